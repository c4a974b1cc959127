/**
 * Editors and shells: the schema modelines `plan init` and `plan new` write resolve to the right
 * schema, `plan schema` prints the shipped schemas byte for byte, the completion scripts complete
 * in bash (driven through _plan), fish (complete -C) and zsh (loaded), and every command's --help
 * has an example.
 */
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import Ajv2020Module from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PROJECT_ROOT, tempDirTracker, tempRepo } from '../helpers.js';
import { cleanEnv, has, planWrapper, run, type ShResult } from '../fixtures/ci/support.js';

const dirs = tempDirTracker();
let bin: string;
let repo: string;

function plan(cwd: string, args: string[]): ShResult {
  return run(cwd, join(bin, 'plan'), args, cleanEnv(bin));
}

beforeAll(() => {
  bin = planWrapper(dirs.tempDir('plan-shell-bin-'));
  repo = dirs.track(tempRepo('plan-editors-'));
  expect(plan(repo, ['init']).code).toBe(0);
  expect(plan(repo, ['new', 'alpha', '--title', 'Alpha']).code).toBe(0);
});
afterAll(() => dirs.cleanup());

const SHIPPED = readdirSync(join(PROJECT_ROOT, 'schemas'))
  .filter((f) => f.endsWith('.schema.json'))
  .map((f) => f.slice(0, -'.schema.json'.length))
  .sort();

describe('editors', () => {
  function yamlFiles(dir: string): string[] {
    return readdirSync(dir).flatMap((name) => {
      if (name === '.git') return [];
      const path = join(dir, name);
      return statSync(path).isDirectory() ? yamlFiles(path) : /\.ya?ml$/.test(name) ? [path] : [];
    });
  }

  it('every YAML file of a fresh plan init + plan new has a modeline that resolves to its schema, and validates against it', () => {
    const ajv = new Ajv2020Module.default({ allErrors: true, strict: false });
    ajvFormats.default(ajv);
    const files = yamlFiles(repo);
    expect(files.map((f) => relative(repo, f)).sort()).toEqual(expect.arrayContaining(['plan.config.yaml', '.plan/state.yaml', 'plans/alpha/plan.yaml', 'plans/alpha/be_backlog.yaml', 'rulebook/lifecycle.yaml']));
    const seen: string[] = [];
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      const modeline = /^# yaml-language-server: \$schema=(\S+)$/m.exec(text);
      expect(modeline, `${relative(repo, file)} has no modeline`).not.toBeNull();
      // on the first line, where the YAML language server looks for it
      expect(text.split('\n')[0]).toBe(modeline![0]);
      const target = resolve(dirname(file), modeline![1]!);
      expect(relative(repo, target), `${relative(repo, file)} points outside .plan/schemas`).toMatch(/^\.plan\/schemas\/[a-z_]+\.schema\.json$/);
      const schemaText = readFileSync(target, 'utf8');
      const name = target.split('/').at(-1)!.replace('.schema.json', '');
      // the copy is the shipped schema, so the editor and plan lint agree
      expect(schemaText).toBe(readFileSync(join(PROJECT_ROOT, 'schemas', `${name}.schema.json`), 'utf8'));
      const schema = JSON.parse(schemaText) as { $id: string };
      const validate = ajv.getSchema(schema.$id) ?? ajv.compile(schema);
      expect(validate(parse(text)), `${relative(repo, file)} against ${name}: ${JSON.stringify(validate.errors)}`).toBe(true);
      seen.push(name);
    }
    expect(new Set(seen)).toEqual(new Set(['config', 'state', 'plan', 'be_backlog', 'lifecycle', 'gates', 'governance', 'kpis', 'sealing', 'team_capacity', 'freeze_calendar', 'waivers']));
  });

  it('.plan/schemas holds every shipped schema', () => {
    expect(readdirSync(join(repo, '.plan', 'schemas')).sort()).toEqual(SHIPPED.map((n) => `${n}.schema.json`));
  });

  it.each(SHIPPED)('plan schema %s prints the shipped file byte for byte', (name) => {
    const r = plan(repo, ['schema', name]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(readFileSync(join(PROJECT_ROOT, 'schemas', `${name}.schema.json`), 'utf8'));
  });

  it('plan schema lists the names, and plan schema nope exits 2 with one line naming the choices', () => {
    expect(plan(repo, ['schema']).stdout).toBe(`${SHIPPED.join('\n')}\n`);
    expect(JSON.parse(plan(repo, ['schema', '--json']).stdout)).toEqual(SHIPPED);
    const nope = plan(repo, ['schema', 'nope']);
    expect(nope.code).toBe(2);
    expect(nope.stdout).toBe('');
    expect(nope.stderr).toBe(`plan: no schema "nope"; the shipped schemas are: ${SHIPPED.join(', ')}\n`);
    // outside a repository too: the schemas ship with plan
    expect(plan(dirs.tempDir('plan-no-repo-'), ['schema', 'plan']).code).toBe(0);
  });
});

/** Every command path from `plan --help` down, with its help text. */
function commandTree(): Array<{ path: string[]; help: string }> {
  const out: Array<{ path: string[]; help: string }> = [];
  const walk = (path: string[]) => {
    const r = plan(repo, [...path, '--help']);
    expect(r.code, `plan ${path.join(' ')} --help`).toBe(0);
    out.push({ path, help: r.stdout });
    const section = /\nCommands:\n([^]*?)(\n\n|$)/.exec(r.stdout)?.[1] ?? '';
    for (const line of section.split('\n')) {
      const name = /^ {2}([a-z][a-z-]*)/.exec(line)?.[1];
      if (name && name !== 'help') walk([...path, name]);
    }
  };
  walk([]);
  return out;
}

describe('--help', () => {
  const tree: Array<{ path: string[]; help: string }> = [];
  beforeAll(() => {
    tree.push(...commandTree());
  });

  it('walks the whole tree, nested commands included', () => {
    const paths = tree.map((t) => t.path.join(' '));
    expect(paths).toEqual(expect.arrayContaining(['', 'lint', 'keys', 'keys list', 'keys revoke', 'policy simulate', 'policy test', 'hook install', 'completion', 'schema']));
    expect(paths).not.toContain('merge-state');
  });

  it('of every command shows "Examples:" with at least one $ plan line', () => {
    const missing = tree
      .filter(({ help }) => {
        const examples = /\nExamples:\n([^]*)$/.exec(help)?.[1] ?? '';
        return !/^ {2}\$ (\S+=\S+ )*plan\b/m.test(examples);
      })
      .map(({ path }) => `plan ${path.join(' ')}`.trim());
    expect(missing).toEqual([]);
  });
});

describe('shell completion', () => {
  let scripts: Record<'bash' | 'zsh' | 'fish', string>;
  const files: Record<string, string> = {};
  beforeAll(() => {
    scripts = { bash: plan(repo, ['completion', 'bash']).stdout, zsh: plan(repo, ['completion', 'zsh']).stdout, fish: plan(repo, ['completion', 'fish']).stdout };
    const dir = dirs.tempDir('plan-completion-');
    for (const [shell, text] of Object.entries(scripts)) {
      files[shell] = join(dir, `plan.${shell}`);
      writeFileSync(files[shell]!, text);
    }
  });

  /** What bash's `complete -F _plan` offers for the words typed so far (the last one is being completed). */
  function bashComplete(...words: string[]): string[] {
    const cwd = dirs.tempDir('plan-complete-cwd-');
    const script = `source ${JSON.stringify(files['bash'])}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}
COMP_LINE="\${COMP_WORDS[*]}"; COMP_POINT=\${#COMP_LINE}
_plan
printf '%s\\n' "\${COMPREPLY[@]}"`;
    const r = run(cwd, 'bash', ['--norc', '--noprofile', '-c', script], cleanEnv(bin));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return r.stdout.split('\n').filter(Boolean);
  }

  it('bash: the script registers _plan for plan', () => {
    const r = run(repo, 'bash', ['--norc', '--noprofile', '-c', `source ${JSON.stringify(files['bash'])}; complete -p plan`], cleanEnv(bin));
    expect(r.stdout.trim()).toBe('complete -o filenames -F _plan plan');
  });

  it.each<[string, string[], string[]]>([
    ['commands', ['plan', ''], ['init', 'new', 'lint', 'transition', 'status', 'gate', 'events', 'doctor', 'keygen', 'keys', 'seal', 'sign', 'verify', 'approve', 'digest', 'policy', 'hook', 'completion', 'schema', 'config']],
    ['a prefix', ['plan', 'ke'], ['keygen', 'keys']],
    ['nested commands (keys list/revoke)', ['plan', 'keys', ''], ['list', 'revoke']],
    ['a nested prefix', ['plan', 'keys', 're'], ['revoke']],
    ['policy', ['plan', 'policy', ''], ['simulate', 'test']],
    ['hook', ['plan', 'hook', 'i'], ['install']],
    ['options of a command', ['plan', 'lint', '--'], ['--staged', '--format', '--max-warnings', '--output', '--help']],
    ['options of a nested command', ['plan', 'keys', 'revoke', '--'], ['--reason', '--json', '--help']],
    ['global options', ['plan', '--'], ['--version', '--cwd', '--config', '--no-color', '--quiet', '--verbose', '--help']],
    ['--format choices', ['plan', 'lint', '--format', ''], ['stylish', 'json', 'sarif', 'junit', 'github']],
    ['-f choices with a prefix', ['plan', 'lint', '-f', 's'], ['stylish', 'sarif']],
    ['gate --format', ['plan', 'gate', '--format', 'j'], ['json', 'junit']],
    ['events --format', ['plan', 'events', '--format', ''], ['jsonl', 'cloudevents']],
    ['digest --format', ['plan', 'digest', '--format', ''], ['md', 'json', 'openmetrics']],
    ['after global options', ['plan', '-C', '.', 'ver'], ['verify']],
  ])('bash: %s', (_name, words, expected) => {
    const got = bashComplete(...words);
    // an empty word also offers the options (--help at least)
    if (words.at(-1) === '') expect(got).toEqual(expect.arrayContaining(expected));
    else expect(got).toEqual(expected);
    if (_name === 'commands') expect(got).not.toContain('merge-state');
  });

  it('bash: after an option that takes a value, completes files', () => {
    const cwd = dirs.tempDir('plan-complete-files-');
    writeFileSync(join(cwd, 'report.sarif'), '');
    const script = `source ${JSON.stringify(files['bash'])}; COMP_WORDS=(plan lint -o ''); COMP_CWORD=3; _plan; printf '%s\\n' "\${COMPREPLY[@]}"`;
    expect(run(cwd, 'bash', ['--norc', '--noprofile', '-c', script], cleanEnv(bin)).stdout.trim()).toBe('report.sarif');
  });

  it('fish: completes commands, nested commands and --format choices (complete -C)', () => {
    if (!has('fish')) {
      // not installed (.ci/run installs only pre-commit and tmux): check the structure instead
      expect(scripts.fish).toMatch(/^complete -c plan -n '__fish_use_subcommand' -a keys /m);
      expect(scripts.fish).toMatch(/-a revoke /);
      expect(scripts.fish).toMatch(/-l format -s f -x -a 'stylish json sarif junit github'/);
      return;
    }
    expect(run(repo, 'fish', ['--no-config', '-n', files['fish']!], cleanEnv(bin)).code).toBe(0);
    const complete = (line: string) =>
      run(repo, 'fish', ['--no-config', '-c', `source ${JSON.stringify(files['fish'])}; complete -C${JSON.stringify(line)}`], cleanEnv(bin))
        .stdout.split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t')[0]!)
        .sort();
    expect(complete('plan ke')).toEqual(['keygen', 'keys']);
    expect(complete('plan keys ')).toEqual(['list', 'revoke']);
    expect(complete('plan lint --format ')).toEqual(['github', 'json', 'junit', 'sarif', 'stylish']);
    expect(complete('plan digest -f ')).toEqual(['json', 'md', 'openmetrics']);
    expect(complete('plan lint --f')).toEqual(['--format']);
  });

  it('zsh: defines a completion function per command, with the commands, nested commands and choices', () => {
    expect(scripts.zsh.split('\n')[0]).toBe('#compdef plan');
    expect(scripts.zsh).toMatch(/^compdef _plan plan$/m);
    if (!has('zsh')) {
      expect(scripts.zsh).toMatch(/^_plan_keys_revoke\(\) \{$/m);
      expect(scripts.zsh).toContain(':value:(stylish json sarif junit github)');
      return;
    }
    expect(run(repo, 'zsh', ['-n', files['zsh']!], cleanEnv(bin)).code).toBe(0);
    const zshDump = dirs.tempDir('plan-zsh-');
    const r = run(repo, 'zsh', ['-f', '-c', `autoload -U compinit && compinit -u -d ${zshDump}/zcompdump; source ${files['zsh']}; print -r -- $_comps[plan]; whence -w _plan _plan_keys _plan_keys_list _plan_keys_revoke _plan_lint _plan_policy_simulate; functions _plan_lint`], cleanEnv(bin));
    expect(r.stderr).toBe('');
    const [registered, ...rest] = r.stdout.split('\n');
    expect(registered).toBe('_plan');
    expect(rest.slice(0, 6)).toEqual(['_plan: function', '_plan_keys: function', '_plan_keys_list: function', '_plan_keys_revoke: function', '_plan_lint: function', '_plan_policy_simulate: function']);
    expect(rest.join('\n')).toContain('(stylish json sarif junit github)');
  });
});
