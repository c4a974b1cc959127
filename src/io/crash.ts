/**
 * Fault injection for the crash-consistency tests: when PLAN_TEST_CRASH_AT names this step,
 * the process dies on the spot (SIGKILL: no cleanup, no finally), as a power cut would leave it.
 * The release build removes the check (bin/build.mjs defines PLAN_TEST_HOOKS as false).
 */
declare const PLAN_TEST_HOOKS: boolean | undefined;

export function crashPoint(step: string): void {
  if (typeof PLAN_TEST_HOOKS !== 'undefined' && !PLAN_TEST_HOOKS) return;
  if (process.env['PLAN_TEST_CRASH_AT'] === step) process.kill(process.pid, 'SIGKILL');
}
