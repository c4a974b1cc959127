import { resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { Output } from './output.js';
import { createOutput } from './output.js';

export interface GlobalOptions {
  cwd: string;
  config?: string;
  color?: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

/** What an action hands back: the exit code, decided by the command's result. */
export type Action = (output: Output, globals: GlobalOptions) => Promise<number>;

export interface ProgramState {
  exitCode: number;
  verbose: boolean;
}

function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
}

function integer(value: string): number {
  if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError('must be a whole number');
  return Number(value);
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/**
 * The command tree. Every action imports its command module on demand, so `plan lint` never
 * loads handlebars and `plan new` never loads ajv's formats or the formatters.
 */
export function buildProgram(version: string, state: ProgramState): Command {
  const program = new Command('plan');
  // Before any .command(): subcommands copy this setting when they are created, so usage errors
  // anywhere reach main's handler (exit 2) instead of commander exiting with 1 itself.
  program.exitOverride();
  program.configureOutput({ outputError: (text, write) => write(`plan: ${text.replace(/^error: /, '')}`) });
  program
    .description('Plan, gate, seal and measure work with the git repository as the only database.')
    .version(version, '-V, --version', 'print the version')
    .option('-C, --cwd <dir>', 'run as if started in <dir>')
    .option('--config <file>', 'use this config file instead of searching for one')
    .option('--no-color', 'disable colors (also NO_COLOR=1)')
    .option('-q, --quiet', 'print results only, no notes')
    .option('--verbose', 'show stack traces for errors')
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ sortSubcommands: false })
    .addHelpText('after', examples('plan init', 'plan new checkout-v2 --title "Checkout v2" --tag criticality=1', 'plan lint', 'plan lint --staged --format github', 'plan config --print'));

  const act = (action: (opts: Record<string, unknown>, args: string[]) => Action) =>
    async function (this: Command, ...received: unknown[]): Promise<void> {
      const command = received[received.length - 1] as Command;
      const globals = command.optsWithGlobals() as GlobalOptions;
      globals.cwd = resolve(globals.cwd ?? process.cwd());
      state.verbose = Boolean(globals.verbose);
      const output = createOutput(globals);
      const args = command.processedArgs.map((a: unknown) => a) as string[];
      state.exitCode = await action(command.opts(), args.flat() as string[])(output, globals);
    };

  program
    .command('init')
    .description('set up plan in this repository: config, .plan/, rulebook copy, .gitattributes, editor schemas')
    .option('--no-rulebook', 'do not copy the built-in rulebook into rulebook/')
    .option('--json', 'print the changes as JSON')
    .addHelpText('after', examples('plan init', 'plan init --no-rulebook', 'plan -C ../planning init --json'))
    .action(
      act((opts) => async (output, globals) => {
        const { init } = await import('../commands/init.js');
        const result = await init({ cwd: globals.cwd, config: globals.config, rulebook: opts['rulebook'] !== false });
        const { renderInit } = await import('./render.js');
        output.result(opts['json'] ? JSON.stringify(result, null, 2) : renderInit(result, output.color));
        return 0;
      }),
    );

  program
    .command('new')
    .description('create a plan folder (plan.yaml, be_backlog.yaml, story_map.md) from the templates')
    .argument('<id>', 'plan id, also the folder name under plans/')
    .option('--title <title>', 'human title of the plan')
    .option('--owner <email>', 'who owns the plan')
    .option('--tag <key=value>', 'a governance tag (repeatable)', collect, [])
    .option('--json', 'print the result as JSON')
    .addHelpText('after', examples('plan new checkout-v2 --title "Checkout v2"', 'plan new payments --tag criticality=0 --tag compliance=sox --owner lead@example.com'))
    .action(
      act((opts, [id]) => async (output, globals) => {
        const { newPlan } = await import('../commands/new.js');
        const result = await newPlan({ cwd: globals.cwd, config: globals.config, id: id!, title: opts['title'] as string | undefined, owner: opts['owner'] as string | undefined, tags: opts['tag'] as string[] });
        output.result(opts['json'] ? JSON.stringify(result, null, 2) : `created plan ${result.plan} in ${result.dir}/\n${result.files.map((f) => `  ${f}`).join('\n')}`);
        return 0;
      }),
    );

  program
    .command('lint')
    .description('check planning artifacts: schemas, YAML hygiene, references, dependency cycles, governance tags')
    .argument('[paths...]', 'files or folders to report on (default: all plans)')
    .option('--staged', 'lint what is staged in the git index (for pre-commit hooks)')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['stylish', 'json', 'sarif', 'junit', 'github']))
    .option('--max-warnings <n>', 'exit 1 when there are more than n warnings', integer)
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .addHelpText(
      'after',
      examples('plan lint', 'plan lint plans/checkout-v2', 'plan lint --staged', 'plan lint --format sarif -o plan.sarif', 'plan lint --max-warnings 0') +
        '\nExit codes: 0 clean, 1 errors (or too many warnings), 2 could not run.\nSuppress one finding: # plan-disable-next-line <rule> -- <reason>\n',
    )
    .action(
      act((opts, paths) => async (output, globals) => {
        const { lint, lintExitCode } = await import('../commands/lint.js');
        const result = await lint({ cwd: globals.cwd, config: globals.config, paths, staged: Boolean(opts['staged']), maxWarnings: opts['maxWarnings'] as number | undefined });
        const format = (opts['format'] as string | undefined) ?? (process.env['GITHUB_ACTIONS'] === 'true' ? 'github' : 'stylish');
        const { renderLint } = await import('./render.js');
        await renderLint(result, format, output, globals, opts['output'] as string | undefined);
        return lintExitCode(result);
      }),
    );

  program
    .command('transition')
    .description('move a plan through the lifecycle: resolve the event, run its gate, write state and event together')
    .argument('<plan>', 'plan id')
    .argument('<event|STATE>', 'a lifecycle event (validate_complete) or the target state (READY_FOR_HANDOFF)')
    .option('-n, --dry-run', 'resolve and run the gate, write nothing')
    .option('--commit', 'commit the state and event changes (only those) with Plan-* trailers')
    .option('--record-failure', 'append a GATE_FAILED event when the gate refuses')
    .addOption(new Option('-f, --format <format>', 'format of the gate report when refused').choices(['stylish', 'json', 'sarif', 'junit', 'github']))
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      examples('plan transition checkout-v2 validate_complete', 'plan transition checkout-v2 READY_FOR_HANDOFF --dry-run', 'plan transition checkout-v2 validate_complete --commit', 'plan transition checkout-v2 validate_complete --record-failure --json') +
        '\nExit codes: 0 applied (or would apply), 1 refused (not allowed, or the gate failed), 2 could not run (unknown plan, lock held).\n',
    )
    .action(
      act((opts, [plan, target]) => async (output, globals) => {
        const { transition } = await import('../commands/transition.js');
        const result = await transition({ cwd: globals.cwd, config: globals.config, plan: plan!, target: target!, dryRun: Boolean(opts['dryRun']), commit: Boolean(opts['commit']), recordFailure: Boolean(opts['recordFailure']) });
        const { renderTransition } = await import('./render.js');
        await renderTransition(result, output, opts['json'] ? 'json-result' : ((opts['format'] as string | undefined) ?? 'stylish'));
        return result.outcome === 'refused' ? 1 : 0;
      }),
    );

  program
    .command('status')
    .description("each plan's state, since when, the events allowed next, and whether their gates would pass now")
    .argument('[plan]', 'one plan (default: all)')
    .option('--no-gates', 'do not run gates (faster; readiness unknown)')
    .option('--json', 'print as JSON')
    .addHelpText('after', examples('plan status', 'plan status checkout-v2', 'plan status --json --no-gates'))
    .action(
      act((opts, [plan]) => async (output, globals) => {
        const { status } = await import('../commands/status.js');
        const result = await status({ cwd: globals.cwd, config: globals.config, plan, gates: opts['gates'] !== false });
        const { renderStatus } = await import('./render.js');
        output.result(opts['json'] ? JSON.stringify(result, null, 2) : renderStatus(result, output.color));
        return 0;
      }),
    );

  program
    .command('gate')
    .description('run one quality gate on its own, for one plan or all, with lint\'s formats')
    .argument('<gate>', 'gate name from rulebook/gates.yaml (schema_lint, cross_stream_consistency, parity_coverage)')
    .argument('[plan]', 'one plan (default: every plan)')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['stylish', 'json', 'sarif', 'junit', 'github']))
    .option('--json', 'print the gate results (per plan and validator) as JSON')
    .addHelpText('after', examples('plan gate schema_lint', 'plan gate cross_stream_consistency checkout-v2', 'plan gate parity_coverage --format sarif > gate.sarif') + '\nExit codes: 0 the gate passes, 1 it fails, 2 could not run.\n')
    .action(
      act((opts, [gateName, plan]) => async (output, globals) => {
        const { gate } = await import('../commands/gate.js');
        const result = await gate({ cwd: globals.cwd, config: globals.config, gate: gateName!, plan });
        if (opts['json']) output.result(JSON.stringify(result.reports, null, 2));
        else {
          const { formatFindings } = await import('./render.js');
          output.result(await formatFindings(result.findings, result.filesChecked, (opts['format'] as string | undefined) ?? 'stylish', output.color, result.root));
          output.info(result.reports.map((r) => `${r.plan}: gate ${r.gate} ${r.passed ? 'passes' : 'fails'} (${Object.entries(r.results).map(([k, v]) => `${k} ${v}`).join(', ')})`).join('\n'));
        }
        return result.passed ? 0 : 1;
      }),
    );

  program
    .command('events')
    .description('all events in time order, as JSON lines (ready to forward to a message broker)')
    .option('--plan <plan>', 'only this plan')
    .option('--since <date>', 'only events at or after this date or timestamp')
    .addOption(new Option('--format <format>', 'jsonl: the seed event schema; cloudevents: CloudEvents 1.0 envelopes').choices(['jsonl', 'cloudevents']).default('jsonl'))
    .addHelpText('after', examples('plan events', 'plan events --plan checkout-v2 --since 2024-01-01', 'plan events --format cloudevents | kcat -P -t planning'))
    .action(
      act((opts) => async (output, globals) => {
        const { events, toCloudEvent } = await import('../commands/events.js');
        const result = await events({ cwd: globals.cwd, config: globals.config, plan: opts['plan'] as string | undefined, since: opts['since'] as string | undefined });
        const source = `plan:${globals.cwd}`;
        const lines = result.events.map((e) => JSON.stringify(opts['format'] === 'cloudevents' ? toCloudEvent(e, source) : e));
        if (lines.length > 0) output.result(lines.join('\n'));
        if (result.skipped > 0) output.info(`skipped ${result.skipped} unreadable line(s); run plan doctor`);
        return 0;
      }),
    );

  program
    .command('doctor')
    .description('check the state file against the event logs and plan folders: merges, crashes, hand edits')
    .option('--fix', 'finish an interrupted transition')
    .option('--json', 'print findings as JSON')
    .addHelpText('after', examples('plan doctor', 'plan doctor --fix', 'plan doctor --json') + '\nExit codes: 0 healthy (notes only), 1 problems found, 2 could not run.\n')
    .action(
      act((opts) => async (output, globals) => {
        const { doctor } = await import('../commands/doctor.js');
        const result = await doctor({ cwd: globals.cwd, config: globals.config, fix: Boolean(opts['fix']) });
        for (const line of result.fixed) output.info(`fixed: ${line}`);
        const { formatFindings } = await import('./render.js');
        if (opts['json'] || result.findings.length > 0) output.result(await formatFindings(result.findings, result.checked.eventLogs, opts['json'] ? 'json' : 'stylish', output.color, result.root));
        else output.result(`✔ healthy: ${result.checked.plans} plans, ${result.checked.eventLogs} event logs, state file consistent`);
        return result.findings.some((f) => f.severity !== 'info') ? 1 : 0;
      }),
    );

  program
    .command('config')
    .description('show the resolved configuration and where each part came from')
    .option('--print', 'print the resolved config (the default)')
    .option('--json', 'print as JSON')
    .addHelpText('after', examples('plan config --print', 'plan config --json', 'plan --config ci/plan.yaml config --print'))
    .action(
      act((opts) => async (output, globals) => {
        const { showConfig } = await import('../commands/config.js');
        const result = await showConfig({ cwd: globals.cwd, config: globals.config });
        const { renderConfig } = await import('./render.js');
        output.result(opts['json'] ? JSON.stringify(result, null, 2) : renderConfig(result));
        return 0;
      }),
    );

  return program;
}
