/**
 * Runs `fn` with an ora spinner on stderr when a person is watching (a TTY, not CI, not quiet)
 * and the work is long enough to deserve one; otherwise just runs it.
 */
export async function withSpinner<T>(text: string, long: boolean, fn: () => Promise<T>): Promise<T> {
  // A terminal that reports no width (some `script` sessions) makes ora redraw forever.
  const watching = long && Boolean(process.stderr.isTTY) && (process.stderr.columns ?? 0) > 0 && !process.env['CI'] && process.env['PLAN_QUIET'] !== '1';
  if (!watching) return fn();
  const { default: ora } = await import('ora');
  const spinner = ora({ text, stream: process.stderr }).start();
  try {
    const result = await fn();
    spinner.succeed();
    return result;
  } catch (error) {
    spinner.fail();
    throw error;
  }
}
