// The services' configuration as data, read from their config modules (the only env readers): which
// variables each one reads, their defaults and whether they are required. deploy tests check
// docker-compose.yml against it; `pnpm config-table` writes the README's table and deploy/.env.example
// from it, and a test fails when either is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadCallIntakeConfig } from '../services/call-intake/src/config.ts';
import { loadGatewayConfig } from '../services/integration-gateway/src/config.ts';
import { loadRetailCrmConfig } from '../services/retailcrm/src/config.ts';
import { loadAsteriskConfig } from '../services/asterisk/src/config.ts';

type Env = Record<string, string | undefined>;
export const LOADERS: Record<string, (env: Env) => Record<string, unknown>> = {
  'call-intake': loadCallIntakeConfig,
  'integration-gateway': loadGatewayConfig,
  retailcrm: loadRetailCrmConfig,
  asterisk: loadAsteriskConfig,
};
export type Service = keyof typeof LOADERS;

/** Values that satisfy the required variables, so that every other one shows its default. */
const MINIMAL: Env = {
  DATABASE_URL: 'postgres://fleet@localhost/fleet',
  JWT_SECRET: 'x'.repeat(32),
  SECRETS_KEY: '0'.repeat(64),
  PUBLIC_BASE_URL: 'https://pbx.example.com',
};
/** Read by @fleet/secrets only when JWT_SECRET/SECRETS_KEY are missing (tests, development). */
const DEV_ONLY = new Set(['NODE_ENV', 'FLEET_DEV']);

/** The variables `load` reads on the production path (every key of its schema, plus the secrets). */
function readsOf(load: (env: Env) => unknown): string[] {
  const seen = new Set<string>();
  const env = new Proxy({ ...MINIMAL } as Env, {
    get(target, key) {
      if (typeof key === 'string') seen.add(key);
      return target[key as string];
    },
  });
  load(env);
  return [...seen].filter((k) => /^[A-Z][A-Z0-9_]*$/.test(k) && !DEV_ONLY.has(k));
}

export interface Variable {
  name: string;
  services: Service[];
  required: boolean;
  /** The default as an operator writes it (`''` when there is none). */
  default: string;
}

function shown(v: unknown): string {
  if (v === undefined || Buffer.isBuffer(v)) return '';
  return String(v);
}

/** Every variable of every service, sorted by name. */
export function variables(): Variable[] {
  const byName = new Map<string, Variable>();
  for (const [service, load] of Object.entries(LOADERS)) {
    const defaults = load({ ...MINIMAL });
    for (const name of readsOf(load)) {
      let required = false;
      try {
        load({ ...MINIMAL, [name]: undefined });
      } catch (err) {
        required = (err as { variable?: string }).variable === name;
      }
      const v = byName.get(name) ?? {
        name,
        services: [],
        required: false,
        default: name in MINIMAL ? '' : shown(defaults[name]),
      };
      v.services.push(service);
      v.required ||= required;
      byName.set(name, v);
    }
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** The variables one service reads. */
export const variablesOf = (service: Service) => variables().filter((v) => v.services.includes(service));

// retailcrm's variables are declared in @fleet/retailcrm-admin (the operator CLI loads them too).
const SOURCES = [
  'services/call-intake',
  'services/integration-gateway',
  'packages/retailcrm-admin',
  'services/asterisk',
].map((d) => resolve(import.meta.dirname, '..', d, 'src/config.ts'));
/** Meanings for variables whose schema line carries no TSDoc comment. */
const MEANING: Record<string, string> = {
  DATABASE_URL: 'PostgreSQL URL (postgres://user:password@host:5432/db)',
  LOG_LEVEL: 'pino level (fatal … trace, silent)',
  LOG_PRETTY: 'human-readable logs instead of JSON lines',
  JWT_SECRET: 'HMAC key of admin links, ≥ 32 characters (openssl rand -hex 32)',
  SECRETS_KEY:
    'AES-256-GCM key of the stored RetailCRM API keys and Telegram bot tokens, 32 bytes hex/base64 — back it up',
  CALL_INTAKE_PORT: 'port hosts post to (through nginx)',
  GATEWAY_PORT: 'gateway port (loopback)',
  GATEWAY_HOST: 'gateway bind address',
  GATEWAY_URL: 'where call-intake dispatches to',
  RETAILCRM_PORT: 'retailcrm port (nginx and the gateway)',
  RETAILCRM_HOST: 'retailcrm bind address',
  ASTERISK_PORT: 'asterisk service port (loopback)',
  WORKERS: 'run the call processor and dispatcher',
  GROUP_COMMIT_MAX_BATCH: 'largest group-commit batch',
  DISPATCH_POLL_MS: 'dispatcher poll period',
  DISPATCH_TIMEOUT_MS: 'timeout of one dispatch to the gateway',
  ASTERISK_CONFIRM_POLL_MS: 'period of the look for the originated channel (ms)',
  ASTERISK_HOST_QUEUE: 'commands that may wait for a host slot (then 503)',
  CACHE_REFRESH_JITTER_MS: 'random spread of the periodic cache reload (ms)',
  CUSTOMER_DATA_CACHE_MS: 'getcustomerdata answers cached per (enterprise, phone) (ms)',
  JOURNAL_SEGMENT_BYTES: 'size of one outage-journal segment file',
  RECOVERY_FETCH_TIMEOUT_MS: 'deadline of one post-log fetch over SSH (ms)',
  RECOVERY_JITTER_MS: 'random spread of the recovery runs (ms)',
  RETAILCRM_MODULE_NAME: "the telephony module's name shown in RetailCRM",
  RETAILCRM_RATE_GENERAL: "RetailCRM's per-key limit for non-telephony methods (requests/s)",
  RETAILCRM_URL: 'where the gateway delivers RetailCRM side effects',
  TELEGRAM_GROUP_PER_MINUTE: "Telegram's limit per group chat (messages/min)",
  TELEGRAM_POLL_MS: 'card worker / getUpdates poll period (ms)',
  TELEGRAM_PRIVATE_BURST: "Telegram's burst per private chat",
  TELEGRAM_PRIVATE_PER_SECOND: "Telegram's limit per private chat (messages/s)",
  TELEGRAM_TIMEOUT_MS: 'timeout of one Bot API request (ms)',
};

/** Variables several services read for different purposes: one sentence for all of them. */
const SHARED_MEANING: Record<string, string> = {
  RETAILCRM_URL:
    "services/retailcrm on loopback: the gateway delivers RetailCRM side effects there, and call-intake asks it for the caller's name and CRM links on Telegram cards.",
  PUBLIC_BASE_URL:
    "The fleet's public https origin (behind nginx): retailcrm builds the module's URLs, accountUrl and logo from it; call-intake registers Telegram webhooks at <it>/telegram/webhook/<bot id> (and polls when it is unset).",
};

/** SHARED_MEANING, else the TSDoc line above `NAME:` in the config modules (first sentence), else MEANING. */
function meaningOf(name: string): string {
  if (SHARED_MEANING[name]) return SHARED_MEANING[name];
  for (const file of SOURCES) {
    // The nearest comment: its body may not contain `*/`, so the match cannot span two comments.
    const m = new RegExp(`/\\*\\*((?:(?!\\*/)[^])*)\\*/[ \\t]*\\n[ \\t]*${name}:`).exec(readFileSync(file, 'utf8'));
    const text = m?.[1]?.replace(/\s*\n\s*\*?\s*/g, ' ').trim();
    if (text) return text.replace(/\|/g, '/');
  }
  return MEANING[name] ?? '';
}

/** Defaults that depend on another variable or the machine, shown in words. */
const DERIVED: Record<string, string> = {
  PUBLIC_BASE_URL: 'tests, `FLEET_DEV=1`: `http://127.0.0.1:<RETAILCRM_PORT>`',
  JOURNAL_DIR: '`<FLEET_DATA_DIR>/journal/call-intake`',
};

/** The README's configuration table (markdown). */
export function configTable(): string {
  const rows = variables().map((v) => {
    const def = DERIVED[v.name] ?? (v.default === '' ? '' : `\`${v.default}\``);
    return `| \`${v.name}\` | ${v.required ? '**yes**' : 'no'} | ${def} | ${v.services.join(', ')} | ${meaningOf(v.name)} |`;
  });
  return ['| variable | required | default | read by | meaning |', '|---|---|---|---|---|', ...rows].join('\n');
}

export const README = resolve(import.meta.dirname, '../README.md');
export const TABLE_START = '<!-- config-table:start (generated by `pnpm config-table` from the config modules) -->';
export const TABLE_END = '<!-- config-table:end -->';

/** README.md with the table between the markers replaced by the current one. */
export function readmeWithTable(text: string): string {
  const a = text.indexOf(TABLE_START);
  const b = text.indexOf(TABLE_END);
  if (a < 0 || b < a) throw new Error('README.md has no config-table markers');
  return `${text.slice(0, a + TABLE_START.length)}\n${configTable()}\n${text.slice(b)}`;
}

export const ENV_EXAMPLE = resolve(import.meta.dirname, '.env.example');

/** Set in .env.example for production (the rest stay commented at their defaults). */
const PRODUCTION: Record<string, string> = {
  DATABASE_URL: 'postgres://fleet:change-me@127.0.0.1:5432/fleet',
  JWT_SECRET: '# openssl rand -hex 32',
  SECRETS_KEY:
    '# openssl rand -hex 32 — back it up: the stored RetailCRM API keys and Telegram bot tokens cannot be read without it',
  PUBLIC_BASE_URL: 'https://pbx.example.com',
};
/** Read by docker-compose.yml only (not by the services). */
export const COMPOSE_ONLY: Record<string, string> = {
  POSTGRES_PASSWORD: 'change-me',
  TLS_CERT_DIR: './tls',
};

/** deploy/.env.example: every variable of every service (one file for systemd and compose). */
export function envExample(): string {
  const out = [
    "# The fleet's environment: /etc/fleet/fleet.env for systemd (deploy/systemd, EnvironmentFile=),",
    "# deploy/.env for docker compose. Generated by `pnpm config-table` from the services' config modules",
    '# (a test fails when they drift). Required variables are set below; the rest show their defaults.',
    '# Keep the file mode 0600: it holds the database password and the secrets.',
    '',
  ];
  for (const v of variables()) {
    const note = `# ${v.required ? 'required' : 'optional'}; read by ${v.services.join(', ')}`;
    const prod = PRODUCTION[v.name];
    if (prod?.startsWith('# ')) out.push(`${note}; ${prod.slice(2)}`, `${v.name}=`);
    else if (prod !== undefined) out.push(note, `${v.name}=${prod}`);
    // A machine-dependent default (an absolute path) would make the file differ per checkout.
    else if (DERIVED[v.name]) out.push(`${note}; default ${DERIVED[v.name]!.replace(/`/g, '')}`, `# ${v.name}=`);
    else out.push(note, `# ${v.name}=${v.default}`);
  }
  out.push('', '# docker compose only (deploy/docker-compose.yml)');
  for (const [name, value] of Object.entries(COMPOSE_ONLY)) out.push(`${name}=${value}`);
  return `${out.join('\n')}\n`;
}

/** Names set or shown (commented) in an env file. */
export function envFileNames(text: string): string[] {
  return [...text.matchAll(/^#? ?([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  writeFileSync(README, readmeWithTable(readFileSync(README, 'utf8')));
  writeFileSync(ENV_EXAMPLE, envExample());
  console.log(`README.md and deploy/.env.example: ${variables().length} variables`);
}
