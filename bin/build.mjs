#!/usr/bin/env node
// Builds dist/: one ESM bundle with a chunk per lazily imported command, so `plan --help`
// does not pay for ajv, handlebars or the formatters.
import { build } from 'esbuild';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { Ajv2020 } from 'ajv/dist/2020.js';
import standaloneCode from 'ajv/dist/standalone/index.js';
import addFormats from 'ajv-formats';

const root = new URL('..', import.meta.url);
// `--test-hooks` keeps the fault-injection points (PLAN_TEST_CRASH_AT) that the crash tests use;
// the default build, which `npm pack` ships, compiles them out.
const testHooks = process.argv.includes('--test-hooks');
// Build beside dist/ and swap it in, so a test run using dist/ never sees it half-written.
const staging = new URL('dist.new/', root);
await rm(staging, { recursive: true, force: true });
await precompileSchemas();
await build({
  absWorkingDir: root.pathname,
  entryPoints: { main: 'src/cli/main.ts', api: 'src/index.ts' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.19',
  outdir: 'dist.new',
  chunkNames: 'chunks/[name]-[hash]',
  minify: true,
  keepNames: false,
  // typescript is only cosmiconfig's optional loader for plan.config.ts; bundling it would add 6 MB.
  external: ['typescript'],
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
  // CommonJS dependencies inlined into an ESM bundle still call require() for node builtins.
  alias: { 'plan:validators': './.build/validators.mjs' },
  define: { PLAN_TEST_HOOKS: testHooks ? 'true' : 'false' },
  banner: { js: "import { createRequire as __planCreateRequire } from 'node:module'; const require = __planCreateRequire(import.meta.url);" },
});
if (process.argv.includes('--types')) await emitDeclarations(new URL('dist.new/types/', root));
await rm(new URL('dist.old/', root), { recursive: true, force: true });
await rename(new URL('dist/', root), new URL('dist.old/', root)).catch(() => undefined);
await rename(staging, new URL('dist/', root));
await rm(new URL('dist.old/', root), { recursive: true, force: true });

/**
 * Compiles every shipped schema into standalone validator code once, at build time: ajv's
 * compiler costs ~60 ms per run, the generated code a few. Vitest reads the same file.
 */
async function precompileSchemas() {
  const ajv = new Ajv2020({ allErrors: true, strict: false, code: { source: true, esm: true } });
  addFormats.default(ajv);
  const exports = {};
  const dir = new URL('schemas/', root);
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.schema.json')).sort()) {
    const schema = JSON.parse(await readFile(new URL(file, dir), 'utf8'));
    ajv.addSchema(schema);
    exports[file.slice(0, -'.schema.json'.length)] = schema.$id;
  }
  let code = standaloneCode.default(ajv, exports);
  // ajv emits require() for its runtime helpers even in ESM mode; turn them into imports.
  const modules = [...new Set([...code.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]))];
  modules.forEach((module, i) => {
    code = code.split(`require("${module}")`).join(`__planRequire${i}`);
  });
  const header = modules.map((module, i) => `import __planRequire${i} from "${module}${module.endsWith('.js') ? '' : '.js'}";`).join('\n');
  const names = Object.keys(exports);
  const table = `export const validators = { ${names.map((n) => `${JSON.stringify(n)}: ${n}`).join(', ')} };`;
  await mkdir(new URL('.build/', root), { recursive: true });
  await writeFile(new URL('.build/validators.mjs', root), `${header}\n${code}\n${table}\n`);
}

/** Type declarations of the programmatic API (src/index.ts and what it exports), for `npm pack`. */
async function emitDeclarations(outDir) {
  const { default: ts } = await import('typescript');
  const configPath = new URL('tsconfig.json', root).pathname;
  const config = ts.getParsedCommandLineOfConfigFile(configPath, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n')); } });
  const options = { ...config.options, noEmit: false, declaration: true, emitDeclarationOnly: true, outDir: outDir.pathname, rootDir: new URL('src/', root).pathname };
  const program = ts.createProgram([new URL('src/index.ts', root).pathname, ...config.fileNames.filter((f) => f.endsWith('.d.ts'))], options);
  const result = program.emit();
  const errors = ts.getPreEmitDiagnostics(program).concat(result.diagnostics).filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length > 0) throw new Error(ts.formatDiagnostics(errors, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root.pathname, getNewLine: () => '\n' }));
}
