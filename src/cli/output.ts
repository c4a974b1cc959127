/**
 * The only code that writes to the terminal. Results go to stdout, diagnostics to stderr;
 * color follows NO_COLOR / FORCE_COLOR / --no-color and whether the stream is a terminal.
 */
export interface Output {
  color: boolean;
  quiet: boolean;
  verbose: boolean;
  /** A result: always printed, even with --quiet. */
  result(text: string): void;
  /** Progress or notes for a person: dropped with --quiet. */
  info(text: string): void;
  error(text: string): void;
}

export function colorEnabled(flag: boolean | undefined, env: NodeJS.ProcessEnv, isTTY: boolean): boolean {
  if (flag === false) return false;
  if (env['FORCE_COLOR'] !== undefined && env['FORCE_COLOR'] !== '0' && env['FORCE_COLOR'] !== 'false') return true;
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return false;
  return isTTY && env['TERM'] !== 'dumb';
}

export function createOutput(options: { color?: boolean; quiet?: boolean; verbose?: boolean }): Output {
  const withNewline = (text: string): string => (text.endsWith('\n') || text === '' ? text : `${text}\n`);
  return {
    color: colorEnabled(options.color, process.env, Boolean(process.stdout.isTTY)),
    quiet: Boolean(options.quiet),
    verbose: Boolean(options.verbose),
    result: (text) => void process.stdout.write(withNewline(text)),
    info(text) {
      if (!this.quiet) process.stderr.write(withNewline(text));
    },
    error: (text) => void process.stderr.write(withNewline(text)),
  };
}
