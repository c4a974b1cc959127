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
      // --quiet reaches io (the spinner) through the environment, as NO_COLOR does
      if (globals.quiet) process.env['PLAN_QUIET'] = '1';
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
    .option('--fix', "repair what is safe to repair: finish an interrupted change, clear a dead process's lock, remove its temp files")
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
    .command('keygen')
    .description('make an RSA signing key: the encrypted private key outside the repository, the public key into the trust store')
    .requiredOption('--id <id>', 'a label for the key (e.g. alice)')
    .requiredOption('--role <role>', 'the one role this key fills (planning_lead, technical_reviewer, review_board, ...)')
    .option('--owner <email>', 'who holds the private key')
    .option('--bits <n>', 'RSA modulus size (2048 to 8192)', integer, 3072)
    .option('--out <dir>', 'where the private key goes, outside the repository (default: $PLAN_KEY_DIR or ~/.plan/keys)')
    .option('--valid-days <n>', 'how long the key is valid', integer, 365)
    .option('--json', 'print the result as JSON')
    .addHelpText('after', examples('PLAN_KEY_PASSPHRASE=... plan keygen --id alice --role planning_lead --owner alice@example.com', 'plan keygen --id bob --role technical_reviewer --out ~/secure/keys') + '\nThe passphrase comes from PLAN_KEY_PASSPHRASE or is asked for (twice) at the terminal.\nThe private key is PKCS#8, AES-256-CBC, PBKDF2-HMAC-SHA256 with 600,000 rounds: `openssl pkey` reads it.\n')
    .action(
      act((opts) => async (output, globals) => {
        const { keygen } = await import('../commands/keys.js');
        const result = await keygen({ cwd: globals.cwd, config: globals.config, id: opts['id'] as string, role: opts['role'] as string, owner: opts['owner'] as string | undefined, bits: opts['bits'] as number, out: opts['out'] as string | undefined, validDays: opts['validDays'] as number });
        output.result(opts['json'] ? JSON.stringify(result, null, 2) : `key ${result.id} (${result.role}), ${result.bits} bits, valid until ${result.validUntil}\n  key id      ${result.keyid}\n  private key ${result.privateKey} (keep it secret; never commit it)\n  public key  ${result.publicKey} (commit it with .plan/keys/keys.yaml)`);
        return 0;
      }),
    );

  const keys = program.command('keys').description('the trust store: list keys, revoke one').addHelpText('after', examples('plan keys list', 'plan keys revoke alice --reason "laptop lost"'));
  keys
    .command('list', { isDefault: true })
    .description('list trusted keys with their roles and status')
    .option('--json', 'print as JSON')
    .addHelpText('after', examples('plan keys list', 'plan keys list --json'))
    .action(
      act((opts) => async (output, globals) => {
        const { listKeys } = await import('../commands/keys.js');
        const result = await listKeys({ cwd: globals.cwd, config: globals.config });
        output.result(opts['json'] ? JSON.stringify(result, null, 2) : result.keys.length === 0 ? 'no keys yet; make one with plan keygen' : result.keys.map((k) => `${k.id.padEnd(16)} ${k.role.padEnd(20)} ${k.status.padEnd(13)} ${k.keyid.slice(0, 16)}…  ${k.owner ?? ''}${k.problem ? `  (${k.problem})` : ''}`).join('\n'));
        return result.keys.some((k) => k.status === 'invalid') ? 1 : 0;
      }),
    );
  keys
    .command('revoke')
    .description('revoke a key: its signatures and approvals stop counting')
    .argument('<id>', 'key label or key id (at least 8 hex digits)')
    .option('--reason <text>', 'why')
    .option('--json', 'print as JSON')
    .addHelpText('after', examples('plan keys revoke alice --reason "laptop lost"'))
    .action(
      act((opts, [id]) => async (output, globals) => {
        const { revokeKey } = await import('../commands/keys.js');
        const key = await revokeKey({ cwd: globals.cwd, config: globals.config, id: id!, reason: opts['reason'] as string | undefined });
        output.result(opts['json'] ? JSON.stringify(key, null, 2) : `revoked ${key.id} (${key.role}) at ${key.revoked_at}; commit .plan/keys/keys.yaml`);
        return 0;
      }),
    );

  program
    .command('seal')
    .description('package_artifacts: gate, a manifest pinned to HEAD with the first signature, state PACKAGED')
    .argument('<plan>', 'plan id')
    .option('--key <file>', 'encrypted private key (or PLAN_SIGNING_KEY)')
    .option('--commit', 'commit the handoff, state and event')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', examples('plan seal checkout-v2 --key ~/.plan/keys/alice.key.pem --commit', 'PLAN_SIGNING_KEY=key.pem PLAN_KEY_PASSPHRASE=... plan seal checkout-v2') + '\nExit codes: 0 sealed, 1 refused (state, uncommitted files, gate, untrusted key), 2 could not run.\n')
    .action(
      act((opts, [plan]) => async (output, globals) => {
        const { seal } = await import('../commands/seal.js');
        const result = await seal({ cwd: globals.cwd, config: globals.config, plan: plan!, key: opts['key'] as string | undefined, commit: Boolean(opts['commit']) });
        const { renderTransition } = await import('./render.js');
        if (opts['json']) output.result(JSON.stringify(result, null, 2));
        else {
          await renderTransition(result, output, 'stylish');
          if (result.manifest) output.result(`sealed ${result.manifest} (${result.artifacts} artifacts, sha256 ${result.manifestSha256?.slice(0, 16)}…), signed by ${result.signer?.id} (${result.signer?.role})`);
        }
        return result.outcome === 'refused' ? 1 : 0;
      }),
    );

  program
    .command('sign')
    .description('add a co-signature to a sealed handoff manifest (signatures.yaml only grows)')
    .argument('<manifest>', 'path of handoff_manifest.yaml (or its folder)')
    .option('--key <file>', 'encrypted private key (or PLAN_SIGNING_KEY)')
    .option('--commit', 'commit the signature')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', examples('plan sign .plan/handoffs/checkout-v2/0001/handoff_manifest.yaml --key ~/.plan/keys/bob.key.pem --commit'))
    .action(
      act((opts, [manifest]) => async (output, globals) => {
        const { sign } = await import('../commands/seal.js');
        const result = await sign({ cwd: globals.cwd, config: globals.config, manifest: manifest!, key: opts['key'] as string | undefined, commit: Boolean(opts['commit']) });
        output.result(opts['json'] ? JSON.stringify(result, null, 2) : `${result.signer.id} (${result.signer.role}) signed ${result.manifest}; ${result.signatures} signature(s)${result.commit ? `, committed ${result.commit.slice(0, 12)}` : ''}`);
        return 0;
      }),
    );

  program
    .command('verify')
    .description('verify sealed handoffs: signatures, threshold and roles, artifacts, hashes, the chain, and (--history) git history')
    .argument('[manifests...]', 'manifest paths (default: the latest of each plan)')
    .option('--all', 'every manifest of every plan')
    .option('--history', 'also prove no sealed manifest was ever modified, deleted or renamed in git history')
    .option('--json', 'print the reports as JSON')
    .addHelpText('after', examples('plan verify', 'plan verify --all --history', 'plan verify .plan/handoffs/checkout-v2/0001/handoff_manifest.yaml --json') + '\nExit codes: 0 everything verifies, 1 something does not (each failure is named), 2 could not run.\n')
    .action(
      act((opts, manifests) => async (output, globals) => {
        const { verify } = await import('../commands/verify.js');
        const result = await verify({ cwd: globals.cwd, config: globals.config, manifests, all: Boolean(opts['all']), history: Boolean(opts['history']) });
        if (opts['json']) output.result(JSON.stringify(result, null, 2));
        else {
          const lines: string[] = [];
          if (result.reports.length === 0) lines.push('no sealed handoffs yet');
          for (const r of result.reports) {
            lines.push(`${r.ok ? '✔' : '✖'} ${r.manifest}: ${r.ok ? 'verified' : 'FAILED'}; signed by ${r.signers.map((s) => `${s.id} (${s.role})`).join(', ') || 'no trusted key'}`);
            for (const f of r.findings) lines.push(`    ${f.severity === 'error' ? 'error' : f.severity}  ${f.message}  ${f.rule}`);
          }
          for (const f of result.history) lines.push(`✖ history: ${f.message}`);
          if (opts['history'] && result.history.length === 0) lines.push('✔ history: no sealed manifest was modified, deleted or renamed; signatures only grew');
          output.result(lines.join('\n'));
        }
        return result.ok ? 0 : 1;
      }),
    );

  program
    .command('approve')
    .description("sign an approval of the plan's current content (editing the plan makes it stale)")
    .argument('<plan>', 'plan id')
    .option('--role <role>', 'the role you approve in; must be your key\'s role in the trust store')
    .option('--key <file>', 'encrypted private key (or PLAN_SIGNING_KEY)')
    .option('--commit', 'commit the approval')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', examples('plan approve payments --key ~/.plan/keys/carol.key.pem --role review_board --commit', 'plan lint   # says which approvals count and why others do not'))
    .action(
      act((opts, [plan]) => async (output, globals) => {
        const { approve } = await import('../commands/approve.js');
        const result = await approve({ cwd: globals.cwd, config: globals.config, plan: plan!, role: opts['role'] as string | undefined, key: opts['key'] as string | undefined, commit: Boolean(opts['commit']) });
        output.result(opts['json'] ? JSON.stringify(result, null, 2) : `${result.approver.id} (${result.approver.role}) approved ${result.plan} at content sha256 ${result.contentSha256.slice(0, 16)}…${result.commit ? `, committed ${result.commit.slice(0, 12)}` : ''}`);
        return 0;
      }),
    );

  program
    .command('digest')
    .description('a cycle digest from git history: executive metrics, KPIs against targets with trends, scope changes, charts')
    .option('--cycle <id>', 'the cycle: a date inside it (2024-01-15; a cycle is named by its first day), current or previous (default: current)')
    .option('--since <date>', 'start of an explicit window instead: a date (midnight in cycle.timezone) or a timestamp with a zone')
    .option('--until <date>', 'end of that window, exclusive (default: through today)')
    .addOption(new Option('-f, --format <format>', 'md: the digest; json: everything the template sees; openmetrics: gauges for node_exporter').choices(['md', 'json', 'openmetrics']).default('md'))
    .option('-o, --out <file>', 'write the digest to this file, atomically, instead of stdout; {cycle} is replaced by the cycle id')
    .addHelpText(
      'after',
      examples('plan digest', 'plan digest --cycle previous --out .plan/digests/{cycle}.md', 'plan digest --cycle 2024-01-15 --format json', 'plan digest --since 2024-01-01 --until 2024-02-01', 'plan digest --format openmetrics --out /var/lib/node_exporter/textfile/plan.prom') +
        '\nCycles come from the config (cycle.length_days, cycle.anchor, cycle.timezone); windows are half-open: [start, end).\nFacts come from the first-parent history of HEAD; a shallow clone is refused.\nExit codes: 0 the digest was made (even when KPIs are missed), 2 could not run (shallow clone, bad dates, bad kpis.yaml).\n',
    )
    .action(
      act((opts) => async (output, globals) => {
        const { digest } = await import('../commands/digest.js');
        const result = await digest({ cwd: globals.cwd, config: globals.config, cycle: opts['cycle'] as string | undefined, since: opts['since'] as string | undefined, until: opts['until'] as string | undefined, format: opts['format'] as 'md' | 'json' | 'openmetrics', out: opts['out'] as string | undefined });
        if (result.written) {
          const counts = ['met', 'at_risk', 'missed', 'no_data'].map((s) => `${result.context.kpis.filter((k) => k.status === s).length} ${s.replace('_', ' ')}`).join(', ');
          output.info(`wrote ${result.written}: cycle ${result.context.cycle.id}, KPIs ${counts}`);
        } else output.result(result.text);
        return 0;
      }),
    );

  const policy = program.command('policy').description('try governance changes before they roll out').addHelpText('after', examples('plan policy simulate --rulebook ../proposed-rulebook', 'plan policy test'));
  policy
    .command('simulate')
    .description('which plans and pending transitions a changed rulebook would block, compared with the one in force (writes nothing)')
    .requiredOption('--rulebook <dir>', 'directory with the candidate governance.yaml (and optionally waivers.yaml, freeze_calendar.yaml)')
    .option('--json', 'print as JSON')
    .addHelpText('after', examples('plan policy simulate --rulebook ../proposed-rulebook', 'plan policy simulate --rulebook rulebook.next --json'))
    .action(
      act((opts) => async (output, globals) => {
        const { simulatePolicy } = await import('../commands/policy.js');
        const result = await simulatePolicy({ cwd: globals.cwd, config: globals.config, rulebook: opts['rulebook'] as string });
        if (opts['json']) output.result(JSON.stringify(result, null, 2));
        else {
          const lines = [`${result.candidate}: ${result.changes.length} of ${result.transitionsChecked} pending transitions (${result.plansChecked} plans) would change`];
          for (const c of result.changes) {
            lines.push(`  ${c.plan} ${c.event} (${c.state ?? 'new'}): ${c.change}`);
            for (const m of c.change === 'unblocked' ? c.current : c.candidate) lines.push(`      ${c.change === 'unblocked' ? 'no longer: ' : ''}${m}`);
          }
          output.result(lines.join('\n'));
        }
        return 0;
      }),
    );
  policy
    .command('test')
    .description('run policy fixtures (plans plus expected verdicts) against the rulebook in force, as conftest verify does')
    .option('--dir <dir>', 'fixture directory (default: rulebook/policy_tests)')
    .option('--json', 'print as JSON')
    .addHelpText('after', examples('plan policy test', 'plan policy test --dir test/policies --json'))
    .action(
      act((opts) => async (output, globals) => {
        const { testPolicy } = await import('../commands/policy.js');
        const result = await testPolicy({ cwd: globals.cwd, config: globals.config, dir: opts['dir'] as string | undefined });
        if (opts['json']) output.result(JSON.stringify(result, null, 2));
        else {
          const lines = result.fixtures.map((f) => `${f.passed ? '✔' : '✖'} ${f.name} (${f.file}): ${f.verdict}${f.problems.length ? `\n    ${f.problems.join('\n    ')}` : ''}`);
          lines.push(`${result.passed} passed, ${result.failed} failed`);
          output.result(lines.join('\n'));
        }
        return result.failed > 0 ? 1 : 0;
      }),
    );

  const hook = program.command('hook').description('git hooks: run plan lint --staged before every commit').addHelpText('after', examples('plan hook install', 'plan hook install --force'));
  hook
    .command('install')
    .description('write a pre-commit hook running plan lint --staged (respects core.hooksPath and husky)')
    .option('--force', 'replace a pre-commit hook that plan did not write')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', examples('plan hook install', 'plan hook install --force') + '\nWith the pre-commit framework, use the plan-lint hook of .pre-commit-hooks.yaml instead.\n')
    .action(
      act((opts) => async (output, globals) => {
        const { installHook } = await import('../commands/hook.js');
        const result = await installHook({ cwd: globals.cwd, force: Boolean(opts['force']) });
        output.result(opts['json'] ? JSON.stringify(result, null, 2) : `${result.action} ${result.path} (via ${result.via}): commits now run plan lint --staged`);
        return 0;
      }),
    );

  program
    .command('completion')
    .description('print a shell completion script')
    .argument('<shell>', 'bash, zsh or fish')
    .addHelpText('after', examples('plan completion bash > /etc/bash_completion.d/plan', 'plan completion zsh > "${fpath[1]}/_plan"', 'plan completion fish > ~/.config/fish/completions/plan.fish'))
    .action(
      act((_opts, [shell]) => async (output) => {
        if (shell !== 'bash' && shell !== 'zsh' && shell !== 'fish') {
          const { UsageError } = await import('../core/errors.js');
          throw new UsageError(`no completion for "${shell}"; choose bash, zsh or fish`);
        }
        const { completionScript } = await import('./completion.js');
        output.result(completionScript(program, shell));
        return 0;
      }),
    );

  program
    .command('schema')
    .description('print a shipped JSON Schema (for editors and other tools), or list them')
    .argument('[name]', 'schema name, e.g. be_backlog, plan, config, event')
    .option('--json', 'list the names as JSON')
    .addHelpText('after', examples('plan schema', 'plan schema be_backlog > be_backlog.schema.json'))
    .action(
      act((opts, [name]) => async (output) => {
        const { schemaNames, schemaText } = await import('../commands/schema.js');
        if (name) output.result(await schemaText(name));
        else output.result(opts['json'] ? JSON.stringify(await schemaNames()) : (await schemaNames()).join('\n'));
        return 0;
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

  program
    .command('merge-state', { hidden: true })
    .description("git's merge driver for .plan/state.yaml (plan init configures it)")
    .argument('<base>')
    .argument('<ours>')
    .argument('<theirs>')
    .action(
      act((_opts, [base, ours, theirs]) => async (output) => {
        const { mergeStateFiles } = await import('../commands/merge_state.js');
        const { conflicts } = await mergeStateFiles(base!, ours!, theirs!);
        if (conflicts.length > 0) output.error(`plan: both branches moved ${conflicts.join(', ')}; run plan doctor after resolving`);
        return conflicts.length > 0 ? 1 : 0;
      }),
    );

  return program;
}
