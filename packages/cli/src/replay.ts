// `pnpm replay …`: post scenario files to call-intake as an Asterisk host would. Logic: run-replay.ts.
import { exitWith } from './exit.ts';
import { runReplay } from './run-replay.ts';

const argv = process.argv.slice(2);
if (argv[0] === '--') argv.shift();

exitWith(
  await runReplay(
    argv,
    {
      out: (line) => process.stdout.write(`${line}\n`),
      err: (line) => process.stderr.write(`${line}\n`),
    },
    process.env,
  ),
);
