import { parseArgs } from 'node:util';
import type { Sql } from '@fleet/db';
import type { Command } from './command.ts';
import { COMMANDS } from './commands/index.ts';
import { CliError, EXIT, usageError } from './errors.ts';

/** An open database for one command; `close` ends the pool (and an embedded server it started). */
export interface FleetConnection {
  sql: Sql;
  close(): Promise<void>;
}

export interface FleetIo {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Called only once the arguments are valid: `--help` and usage errors never touch the database. */
  connect(): Promise<FleetConnection>;
  /** Environment for commands that talk to other systems (Telegram); default none. */
  env?: Record<string, string | undefined>;
}

const GROUPS = [...new Set(COMMANDS.map((c) => c.group))];

function helpText(commands: readonly Command[]): string[] {
  return [
    'usage:',
    ...commands.map((c) => `  ${c.usage}`),
    '',
    'exit codes: 0 ok, 1 failure, 2 usage, 3 not found, 4 conflict',
  ];
}

const isHelp = (a: string | undefined) => a === '--help' || a === '-h' || a === 'help';

/**
 * Runs `fleet <group> <name> [options]` and returns its exit code (EXIT): parses with
 * `util.parseArgs` in strict mode, validates, then connects and runs. Errors go to `io.err` as one
 * line (plus the usage line for usage errors); nothing is thrown.
 */
export async function runFleet(argv: string[], io: FleetIo): Promise<number> {
  // A one-word command (`fleet recover --enterprise 1`) has the name '': every later argument is an option.
  const single = COMMANDS.some((c) => c.group === argv[0] && c.name === '');
  const [group, name, ...rest] = single ? [argv[0]!, '', ...argv.slice(1)] : argv;
  const command = COMMANDS.find((c) => c.group === group && c.name === name);
  if (!command) {
    const known = group !== undefined && GROUPS.includes(group);
    const listed = known ? COMMANDS.filter((c) => c.group === group) : COMMANDS;
    // `fleet --help`, `fleet enterprise --help`
    if ((argv.length === 1 && isHelp(group)) || (known && argv.length === 2 && isHelp(name))) {
      helpText(listed).forEach((l) => io.out(l));
      return EXIT.ok;
    }
    io.err(
      argv.length === 0 || (known && name === undefined)
        ? 'fleet: a command is required'
        : `fleet: unknown command: ${argv.slice(0, known ? 2 : 1).join(' ')}`,
    );
    helpText(listed).forEach((l) => io.err(l));
    return EXIT.usage;
  }

  let input: unknown;
  try {
    const { values } = parseArgs({
      args: rest,
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    });
    if (values.help) {
      io.out(`usage: ${command.usage}`);
      io.out(`  ${command.summary}`);
      return EXIT.ok;
    }
    input = command.parse(values);
  } catch (e) {
    // parseArgs throws TypeErrors with ERR_PARSE_ARGS_* codes for unknown or malformed options.
    const code = (e as { code?: string }).code ?? '';
    const usage =
      e instanceof CliError ? e : code.startsWith('ERR_PARSE_ARGS') ? usageError((e as Error).message) : undefined;
    if (!usage) throw e;
    io.err(`fleet ${command.group} ${command.name}: ${usage.message}`);
    io.err(`usage: ${command.usage}`);
    return EXIT.usage;
  }

  let connection: FleetConnection | undefined;
  try {
    connection = await io.connect();
    await command.run(input, { sql: connection.sql, out: io.out, err: io.err, env: io.env ?? {} });
    return EXIT.ok;
  } catch (e) {
    if (e instanceof CliError) {
      io.err(`fleet ${command.group} ${command.name}: ${e.message}`);
      return e.exitCode;
    }
    io.err(`fleet ${command.group} ${command.name}: failed: ${(e as Error).message ?? String(e)}`);
    return EXIT.failure;
  } finally {
    await connection?.close().catch((e: unknown) => io.err(`fleet: closing the database failed: ${String(e)}`));
  }
}
