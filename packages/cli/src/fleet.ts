// `pnpm fleet …`: operator commands against the fleet's database. All logic is in run-fleet.ts.
import { exitWith } from './exit.ts';
import { openFleetDatabase } from './db.ts';
import { runFleet } from './run-fleet.ts';

// `pnpm fleet -- enterprise list` may hand us the separator itself.
const argv = process.argv.slice(2);
if (argv[0] === '--') argv.shift();

exitWith(
  await runFleet(argv, {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    connect: () => openFleetDatabase(process.env),
    env: process.env,
  }),
);
