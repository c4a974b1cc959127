import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../helpers.js';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g)].map((m) => (m[1] ?? m[2])!);
}

const SRC = join(PROJECT_ROOT, 'src');

describe('dependency direction (DESIGN §9)', () => {
  it('core imports no io, commands, cli or report, and no node built-ins that touch the outside world', () => {
    const offenders: string[] = [];
    for (const file of sources(join(SRC, 'core'))) {
      for (const spec of imports(file)) {
        if (/^\.\.?\//.test(spec) && /\/(io|commands|cli|report)\//.test(join(relative(SRC, file), '..', spec).replace(/\\/g, '/') + '/')) offenders.push(`${relative(SRC, file)} -> ${spec}`);
        if (/^(node:)?(fs|fs\/promises|child_process|process|os|net|http|https)$/.test(spec)) offenders.push(`${relative(SRC, file)} -> ${spec}`);
      }
      const text = readFileSync(file, 'utf8');
      if (/\bconsole\.|\bprocess\./.test(text)) offenders.push(`${relative(SRC, file)} uses console or process`);
    }
    expect(offenders).toEqual([]);
  });

  it('commands never print', () => {
    const offenders = sources(join(SRC, 'commands')).filter((f) => /\bconsole\.|process\.(stdout|stderr)/.test(readFileSync(f, 'utf8')));
    expect(offenders.map((f) => relative(SRC, f))).toEqual([]);
  });

  it('only src/cli/main.ts sets the exit code', () => {
    const offenders = sources(SRC).filter((f) => /process\.exit/.test(readFileSync(f, 'utf8')) && !f.endsWith(join('cli', 'main.ts')));
    expect(offenders.map((f) => relative(SRC, f))).toEqual([]);
  });

  it('io and report never import commands or cli', () => {
    const offenders: string[] = [];
    for (const layer of ['io', 'report']) {
      for (const file of sources(join(SRC, layer))) {
        for (const spec of imports(file)) if (/\.\.\/(commands|cli)\//.test(spec)) offenders.push(`${relative(SRC, file)} -> ${spec}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
