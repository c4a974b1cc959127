import { CommanderError } from 'commander';
import { EXIT_CANNOT_RUN, PlanError } from '../core/errors.js';
import { packageVersion } from '../io/package.js';
import { buildProgram, type ProgramState } from './program.js';

/**
 * The one top-level handler: runs the program, maps every error to an exit code and one line,
 * and is the only place that sets the process exit code.
 */
export async function main(argv: readonly string[]): Promise<number> {
  const state: ProgramState = { exitCode: 0, verbose: argv.includes('--verbose') };
  const program = buildProgram(packageVersion(), state);
  try {
    await program.parseAsync(argv as string[]);
    return state.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are successes; every other parse failure is a usage error.
      return error.exitCode === 0 ? 0 : EXIT_CANNOT_RUN;
    }
    if (error instanceof PlanError) {
      process.stderr.write(`plan: ${error.oneLine}\n`);
      if (state.verbose && error.stack) process.stderr.write(`${error.stack}\n`);
      return error.exitCode;
    }
    const e = error as NodeJS.ErrnoException;
    const system = systemErrorLine(e);
    if (system) {
      process.stderr.write(`plan: ${system}\n`);
      if (state.verbose && e.stack) process.stderr.write(`${e.stack}\n`);
      return EXIT_CANNOT_RUN;
    }
    process.stderr.write(`plan: internal error: ${e?.message ?? String(error)}\n`);
    process.stderr.write(state.verbose ? `${e?.stack ?? ''}\n` : 'plan: run again with --verbose for the stack trace, and please report it\n');
    return EXIT_CANNOT_RUN;
  }
}

/** What the machine refused (permissions, a full disk, a read-only filesystem), said in one line. */
function systemErrorLine(error: NodeJS.ErrnoException): string | undefined {
  const reasons: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    ENOSPC: 'no space left on the device',
    EDQUOT: 'disk quota exceeded',
    EROFS: 'read-only file system',
    EISDIR: 'is a directory, not a file',
    ENOTDIR: 'a part of the path is not a directory',
    ELOOP: 'too many symbolic links (a link loop?)',
    EMFILE: 'too many open files',
    EIO: 'input/output error',
  };
  const reason = error?.code ? reasons[error.code] : undefined;
  if (!reason) return undefined;
  return error.path ? `${error.path}: ${reason}` : `${reason} (${error.syscall ?? error.code})`;
}

// A reader that stops early (`plan lint | head`) is not an error of ours.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});

process.exitCode = await main(process.argv);
