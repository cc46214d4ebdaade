import type { Sql } from '@fleet/db';
import { runFleet } from '../src/index.ts';

export interface FleetRun {
  code: number;
  out: string[];
  err: string[];
}

/** Runs `fleet …` in-process against `sql` (the pool stays open between runs). */
export function fleetOn(sql: Sql) {
  return async (...argv: string[]): Promise<FleetRun> => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runFleet(argv, {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      connect: async () => ({ sql, close: async () => {} }),
      // Test secrets (@fleet/secrets) for commands that encrypt or sign.
      env: { NODE_ENV: 'test' },
    });
    return { code, out, err };
  };
}
