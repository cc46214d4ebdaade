import { parseArgs } from 'node:util';
import { EXIT } from './errors.ts';
import { portsFromEnv } from './fleet-services.ts';
import { freshIds, randomIdSuffix } from './replay/fresh-ids.ts';
import { replayEvents } from './replay/post.ts';
import { loadScenario, type ScenarioEvent } from './replay/scenario.ts';
import { summarize, type ReplayResult } from './replay/timing.ts';
import { substituteToken } from './replay/token.ts';

export const REPLAY_USAGE =
  'replay [--intake <url, default http://127.0.0.1:$CALL_INTAKE_PORT, else :8000>] [--token <host token>] [--speed <factor, default 1; 0 = no waiting>] [--fresh-ids] <scenario.json…>';

export interface ReplayIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

const ms = (v: number) => `${v.toFixed(1)} ms`;

/** One output line per answered event: index, event, UniqueId, HTTP status (0 = none), latency. */
export function formatResult(r: ReplayResult): string {
  const status = r.status === 0 ? `ERR ${r.error ?? ''}`.trim() : String(r.status);
  const extra = r.status !== 0 && r.error ? `  ${r.error.replace(/\s+/g, ' ')}` : '';
  return `${String(r.index + 1).padStart(4)}  ${r.event.padEnd(14)}  ${(r.uniqueId || '-').padEnd(22)}  ${status.padEnd(3)}  ${ms(r.latencyMs).padStart(9)}${extra}`;
}

interface ReplayArgs {
  intake: string;
  token?: string;
  speed: number;
  fresh: boolean;
  files: string[];
}

/** Where call-intake listens on this machine: CALL_INTAKE_PORT, as `pnpm start` and the service read it. */
function defaultIntake(env: Record<string, string | undefined>): string {
  const port = portsFromEnv(env).callIntake;
  if (!Number.isInteger(port) || port < 1 || port > 65_535)
    throw new Error(`CALL_INTAKE_PORT must be a port number, not "${env.CALL_INTAKE_PORT}"`);
  return `http://127.0.0.1:${port}`;
}

function parseReplayArgs(argv: string[], env: Record<string, string | undefined>): ReplayArgs | 'help' {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      intake: { type: 'string' },
      token: { type: 'string' },
      speed: { type: 'string', default: '1' },
      'fresh-ids': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: true,
  });
  if (values.help) return 'help';
  const intakeUrl = values.intake ?? defaultIntake(env);
  const speed = Number(values.speed);
  if (values.speed === '' || !Number.isFinite(speed) || speed < 0) throw new Error('--speed must be a number ≥ 0');
  let intake: URL;
  try {
    intake = new URL(intakeUrl);
  } catch {
    throw new Error('--intake must be a URL such as http://127.0.0.1:8000');
  }
  if (intake.protocol !== 'http:' && intake.protocol !== 'https:') throw new Error('--intake must be an http(s) URL');
  if (values.token !== undefined && !/^[^\s"]{1,128}$/.test(values.token)) {
    throw new Error('--token must be 1 to 128 characters without spaces or quotes');
  }
  if (positionals.length === 0) throw new Error('give at least one scenario file');
  return {
    intake: intakeUrl,
    speed,
    fresh: values['fresh-ids'],
    files: positionals,
    ...(values.token !== undefined ? { token: values.token } : {}),
  };
}

/**
 * `pnpm replay …`: posts scenario files to call-intake as a host would and reports each answer.
 * Without --intake it posts to http://127.0.0.1:<CALL_INTAKE_PORT of `env`, default 8000>.
 * @returns exit code: 0 all 2xx, 1 a non-2xx / no answer / unreadable file, 2 usage error.
 */
export async function runReplay(
  argv: string[],
  io: ReplayIo,
  env: Record<string, string | undefined> = {},
): Promise<number> {
  let args: ReplayArgs | 'help';
  try {
    args = parseReplayArgs(argv, env);
  } catch (e) {
    io.err(`replay: ${(e as Error).message}`);
    io.err(`usage: ${REPLAY_USAGE}`);
    return EXIT.usage;
  }
  if (args === 'help') {
    io.out(`usage: ${REPLAY_USAGE}`);
    return EXIT.ok;
  }

  // Load every file before sending anything: a typo in the third file must not half-replay.
  const scenarios: { file: string; events: ScenarioEvent[] }[] = [];
  try {
    for (const file of args.files) {
      let events = await loadScenario(file);
      if (args.token !== undefined) events = substituteToken(events, args.token);
      if (args.fresh) events = freshIds(events, randomIdSuffix());
      scenarios.push({ file, events });
    }
  } catch (e) {
    io.err(`replay: ${(e as Error).message}`);
    return EXIT.failure;
  }

  const results: ReplayResult[] = [];
  for (const { file, events } of scenarios) {
    io.out(`== ${file} (${events.length} events)`);
    results.push(
      ...(await replayEvents(events, {
        intake: args.intake,
        speed: args.speed,
        firstIndex: results.length,
        onResult: (r) => io.out(formatResult(r)),
      })),
    );
  }

  const s = summarize(results);
  const statuses = Object.entries(s.byStatus)
    .map(([status, n]) => `${status === '0' ? 'no answer' : status}×${n}`)
    .join(', ');
  io.out(
    s.count === 0
      ? 'summary: no events sent'
      : `summary: ${s.count} events; ${statuses}; latency p50 ${ms(s.p50Ms)}, p99 ${ms(s.p99Ms)}`,
  );
  return s.ok ? EXIT.ok : EXIT.failure;
}
