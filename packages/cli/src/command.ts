import type { ParseArgsConfig } from 'node:util';
import type { Sql } from '@fleet/db';

/** What a command may touch: the database and two line writers (stdout, stderr). */
export interface CommandContext {
  sql: Sql;
  out: (line: string) => void;
  err: (line: string) => void;
  /** The environment (TELEGRAM_API_ROOT, PUBLIC_BASE_URL for the telegram commands). */
  env: Record<string, string | undefined>;
}

/** Option values as `util.parseArgs` returns them. */
export type OptionValues = Record<string, string | boolean | undefined>;

/**
 * One `fleet <group> <name>` command. `parse` validates the options without I/O (usage errors,
 * exit 2) so bad input never opens a database; `run` does the work and throws CliErrors.
 */
export interface Command<I = unknown> {
  group: string;
  name: string;
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  parse(values: OptionValues): I;
  run(input: I, ctx: CommandContext): Promise<void>;
}

/** Keeps the input type of `parse` and `run` tied together while erasing it for the registry. */
export function defineCommand<I>(command: Command<I>): Command<unknown> {
  return command as Command<unknown>;
}
