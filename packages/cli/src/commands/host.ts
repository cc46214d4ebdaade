// fleet host set / check: an enterprise's Asterisk host for click-to-call (services/asterisk). The
// host key is pinned: given with --host-key (known_hosts form, e.g. from ssh-keyscan), or read on a
// first connect and stored only when the operator confirms it with --yes after seeing its fingerprint
// (--fingerprint binds that confirmation to the key the operator checked). Re-running `set` changes
// only what it is given: the binary path, the contexts and nextcall stay as they were otherwise.
import { randomBytes } from 'node:crypto';
import { access, constants } from 'node:fs/promises';
import {
  BINARY_RE,
  CONTEXT_RE,
  execWithDeadline,
  fingerprint,
  formatHostKey,
  hostKeyFromBlob,
  openConnection,
  parseHostKey,
  showVersionCommand,
  targetName,
  type HostTarget,
} from '@fleet/asterisk-host';
import { defineCommand } from '../command.ts';
import { CliError, notFoundError, usageError } from '../errors.ts';
import { mask } from '../format.ts';
import * as v from '../validate.ts';

const CONNECT_TIMEOUT_MS = 5_000;
const COMMAND_TIMEOUT_MS = 10_000;

/** A random originate secret (the clientId of /api/makecallexternal): 48 hex characters. */
export const newOriginateSecret = () => randomBytes(24).toString('hex');

function option(o: Record<string, unknown>, name: string, re: RegExp, what: string): string | undefined {
  const value = o[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !re.test(value)) throw usageError(`--${name} must be ${what}`);
  return value;
}

/** A failure talking to the host: the runner prints it and exits 1 (reason from @fleet/asterisk-host). */
const hostFailure = (message: string) => new Error(message);

export const hostSet = defineCommand({
  group: 'host',
  name: 'set',
  summary: "set an enterprise's Asterisk host for click-to-call (SSH key auth, pinned host key)",
  usage:
    'fleet host set --enterprise <n> --host <ip or name> [--port 22] --user <u> --key-file <path> [--host-key "<type> <base64>" | --yes] ' +
    '[--fingerprint SHA256:…] [--asterisk-path /usr/sbin/asterisk] [--originate-context web-originate] [--outbound-context inoffice] [--nextcall | --no-nextcall]',
  options: {
    enterprise: { type: 'string' },
    host: { type: 'string' },
    port: { type: 'string' },
    user: { type: 'string' },
    'key-file': { type: 'string' },
    'host-key': { type: 'string' },
    yes: { type: 'boolean' },
    fingerprint: { type: 'string' },
    'asterisk-path': { type: 'string' },
    'originate-context': { type: 'string' },
    'outbound-context': { type: 'string' },
    nextcall: { type: 'boolean' },
    'no-nextcall': { type: 'boolean' },
  },
  parse: (o) => {
    const port = o.port === undefined ? 22 : Number(o.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw usageError('--port must be 1 to 65535');
    const hostKey = o['host-key'] === undefined ? undefined : parseHostKey(String(o['host-key']));
    if (o['host-key'] !== undefined && !hostKey)
      throw usageError('--host-key must be a known_hosts entry: "<type> <base64>" (as ssh-keyscan prints it)');
    if (o.nextcall === true && o['no-nextcall'] === true)
      throw usageError('--nextcall and --no-nextcall contradict each other');
    const expected = option(
      o,
      'fingerprint',
      /^SHA256:[A-Za-z0-9+/]{43}=?$/,
      'SHA256:<base64> as ssh-keygen -lf prints it',
    );
    if (expected && hostKey)
      throw usageError('--fingerprint confirms a key read from the host; with --host-key there is nothing to confirm');
    return {
      enterprise: v.enterpriseNumber(v.required(o, 'enterprise'), 'enterprise'),
      host: option(o, 'host', /^[A-Za-z0-9.:_-]{1,253}$/, 'an IP address or host name') ?? v.required(o, 'host'),
      port,
      user: option(o, 'user', /^[A-Za-z0-9._-]{1,64}$/, 'a user name') ?? v.required(o, 'user'),
      keyFile: v.required(o, 'key-file'),
      hostKey: hostKey ? formatHostKey(hostKey) : undefined,
      // A fingerprint the operator checked is a confirmation too, and a stricter one.
      yes: o.yes === true || expected !== undefined,
      fingerprint: expected?.replace(/=$/, ''),
      binary: option(o, 'asterisk-path', BINARY_RE, '"asterisk" or an absolute path'),
      originateContext: option(o, 'originate-context', CONTEXT_RE, 'a dialplan context name'),
      outboundContext: option(o, 'outbound-context', CONTEXT_RE, 'a dialplan context name'),
      /** undefined: keep what the host has (off for a new host). */
      nextcall: o.nextcall === true ? true : o['no-nextcall'] === true ? false : undefined,
    };
  },
  async run(i, { sql, out }) {
    const [ent] = await sql`select number from enterprises where number = ${i.enterprise}`;
    if (!ent) throw notFoundError(`enterprise ${i.enterprise} not found`);
    try {
      await access(i.keyFile, constants.R_OK);
    } catch {
      throw usageError(`--key-file ${i.keyFile} is not readable`);
    }
    let hostKey = i.hostKey;
    if (!hostKey) {
      // First connect: read the key the host presents, show it, store it only when confirmed.
      let presented: Buffer | undefined;
      const target: HostTarget = { host: i.host, port: i.port, username: i.user, keyFile: i.keyFile, hostKey: '' };
      try {
        const ssh = await openConnection(target, {
          connectTimeoutMs: CONNECT_TIMEOUT_MS,
          onHostKey: (k) => (presented = k),
        });
        ssh.dispose();
      } catch (err) {
        if (!presented) throw hostFailure((err as Error).message);
      }
      if (!presented) throw hostFailure(`${targetName(target)} presented no host key`);
      const key = hostKeyFromBlob(presented);
      const seen = fingerprint(presented);
      out(`${targetName(target)} presents ${key.type} ${seen}`);
      if (!i.yes) {
        throw usageError(
          'compare the fingerprint with the host (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub), then repeat with --fingerprint <it> (or --yes), or pass --host-key',
        );
      }
      if (i.fingerprint && i.fingerprint !== seen) {
        throw hostFailure(
          `${targetName(target)} now presents ${seen}, not the ${i.fingerprint} you confirmed: nothing stored`,
        );
      }
      out(
        `pinning ${key.type} ${seen}${i.fingerprint ? ' (matches --fingerprint)' : ' (--yes: the key this connect saw; --fingerprint would bind it to the one you checked)'}`,
      );
      hostKey = formatHostKey(key);
    }
    const candidate = newOriginateSecret();
    const [row] = await sql<{ originate_secret: string; set_nextcall: boolean }[]>`
      insert into asterisk_hosts (enterprise, host, port, username, key_file, host_key, asterisk_path, originate_context, outbound_context, set_nextcall, originate_secret)
      values (${i.enterprise}, ${i.host}, ${i.port}, ${i.user}, ${i.keyFile}, ${hostKey}, ${i.binary ?? 'asterisk'},
              ${i.originateContext ?? 'web-originate'}, ${i.outboundContext ?? 'inoffice'}, ${i.nextcall ?? false}, ${candidate})
      on conflict (enterprise) do update set host = excluded.host, port = excluded.port, username = excluded.username,
        key_file = excluded.key_file, host_key = excluded.host_key,
        asterisk_path = coalesce(${i.binary ?? null}, asterisk_hosts.asterisk_path),
        originate_context = coalesce(${i.originateContext ?? null}, asterisk_hosts.originate_context),
        outbound_context = coalesce(${i.outboundContext ?? null}, asterisk_hosts.outbound_context),
        set_nextcall = coalesce(${i.nextcall ?? null}::boolean, asterisk_hosts.set_nextcall)
      returning originate_secret, set_nextcall`;
    const pinned = parseHostKey(hostKey)!;
    out(
      `asterisk host for enterprise ${i.enterprise}: ${i.user}@${i.host}:${i.port}, key file ${i.keyFile}, ` +
        `host key ${pinned.type} ${fingerprint(pinned.blob)} pinned, nextcall ${row!.set_nextcall ? 'on' : 'off'}, originate clientId ${mask(row!.originate_secret)}` +
        (row!.originate_secret === candidate ? ' (generated)' : ''),
    );
  },
});

export const hostCheck = defineCommand({
  group: 'host',
  name: 'check',
  summary: 'connect to an enterprise\'s Asterisk host (pinned key) and run asterisk -rx "core show version"',
  usage: 'fleet host check --enterprise <n>',
  options: { enterprise: { type: 'string' } },
  parse: (o) => ({ enterprise: v.enterpriseNumber(v.required(o, 'enterprise'), 'enterprise') }),
  async run({ enterprise }, { sql, out }) {
    const [h] = await sql<
      { host: string; port: number; username: string; key_file: string; host_key: string; asterisk_path: string }[]
    >`
      select host, port, username, key_file, host_key, asterisk_path from asterisk_hosts where enterprise = ${enterprise}`;
    if (!h) throw notFoundError(`enterprise ${enterprise} has no Asterisk host (fleet host set)`);
    const target: HostTarget = {
      host: h.host,
      port: h.port,
      username: h.username,
      keyFile: h.key_file,
      hostKey: h.host_key,
    };
    const started = Date.now();
    let ssh;
    try {
      ssh = await openConnection(target, { connectTimeoutMs: CONNECT_TIMEOUT_MS });
      const r = await execWithDeadline(
        ssh,
        showVersionCommand(h.asterisk_path),
        COMMAND_TIMEOUT_MS,
        targetName(target),
      );
      const answer = [r.stdout.trim(), r.stderr.trim()].filter(Boolean).join('\n');
      if (r.code !== 0)
        throw hostFailure(`asterisk -rx failed on ${targetName(target)} (exit ${r.code}): ${answer || 'no output'}`);
      out(`${targetName(target)}: ${answer} (${Date.now() - started} ms)`);
    } catch (err) {
      throw err instanceof CliError ? err : hostFailure((err as Error).message);
    } finally {
      ssh?.dispose();
    }
  },
});
