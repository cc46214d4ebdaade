// One SSH connection to a host with its key pinned, and one command on it with a deadline. node-ssh
// (on ssh2) does the protocol; what is ours: the host-key check, the error vocabulary and timeouts.
import { NodeSSH } from 'node-ssh';
import { HostError } from './errors.ts';
import { fingerprint, parseHostKey } from './host-key.ts';

/** Where and as whom to connect. `hostKey` is the pinned known-hosts entry (`<type> <base64>`). */
export interface HostTarget {
  host: string;
  port: number;
  username: string;
  /** Path of the private key file on this machine. */
  keyFile: string;
  hostKey: string;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  /** Exit status; null when the command died by a signal. */
  code: number | null;
  ms: number;
}

export interface ConnectOptions {
  connectTimeoutMs: number;
  keepaliveIntervalMs?: number;
  /** Instead of the pinned key: accept any key and report it (`fleet host set` before confirmation). */
  onHostKey?: (blob: Buffer) => void;
}

export const targetName = (t: Pick<HostTarget, 'host' | 'port' | 'username'>) => `${t.username}@${t.host}:${t.port}`;

/**
 * Opens a connection. @throws HostError: AST_HOST_KEY_MISMATCH (the host presented another key: we
 * refuse, and say which), AST_HOST_KEY_INVALID, AST_HOST_UNREACHABLE, AST_HOST_AUTH_FAILED,
 * AST_HOST_KEY_FILE, AST_HOST_CONNECT_TIMEOUT.
 */
export async function openConnection(t: HostTarget, o: ConnectOptions): Promise<NodeSSH> {
  const pinned = o.onHostKey ? null : parseHostKey(t.hostKey);
  if (!o.onHostKey && !pinned)
    throw new HostError('AST_HOST_KEY_INVALID', `no usable pinned host key for ${targetName(t)}`);
  let presented: Buffer | undefined;
  const ssh = new NodeSSH();
  const started = Date.now();
  try {
    await ssh.connect({
      host: t.host,
      port: t.port,
      username: t.username,
      privateKeyPath: t.keyFile,
      readyTimeout: o.connectTimeoutMs,
      keepaliveInterval: o.keepaliveIntervalMs ?? 15_000,
      keepaliveCountMax: 3,
      tryKeyboard: false,
      hostVerifier: (key: Buffer) => {
        presented = key;
        if (o.onHostKey) {
          o.onHostKey(key);
          return true;
        }
        return key.toString('base64') === pinned!.blob;
      },
    });
  } catch (err) {
    ssh.dispose();
    throw classifyConnectError(err, t, pinned?.blob, presented, Date.now() - started, o.connectTimeoutMs);
  }
  // Later errors (keepalive timeout, reset) arrive as events; without a listener they would crash us.
  ssh.connection?.on('error', () => undefined);
  // ssh2 leaves Nagle on: each small command/answer packet then waits for the peer's delayed ACK
  // (~40 ms steps, BENCHMARKS.md 5b). Commands are latency-bound, never bulk.
  ssh.connection?.setNoDelay(true);
  return ssh;
}

function classifyConnectError(
  err: unknown,
  t: HostTarget,
  pinned: string | undefined,
  presented: Buffer | undefined,
  ms: number,
  limit: number,
): HostError {
  const e = err as Error & { code?: string; level?: string };
  const name = targetName(t);
  const msg = e?.message ?? String(err);
  if (pinned && presented && presented.toString('base64') !== pinned) {
    return new HostError(
      'AST_HOST_KEY_MISMATCH',
      `host key mismatch for ${name}: expected ${fingerprint(pinned)}, the host presented ${fingerprint(presented)}; refusing to connect`,
      { expected: fingerprint(pinned), presented: fingerprint(presented) },
    );
  }
  if (/timed out/i.test(msg) || e.code === 'ETIMEDOUT') {
    return new HostError('AST_HOST_CONNECT_TIMEOUT', `no SSH handshake with ${name} within ${limit} ms`, { ms });
  }
  if (e.level === 'client-authentication' || /authentication methods failed/i.test(msg)) {
    return new HostError('AST_HOST_AUTH_FAILED', `${name} refused our key (${msg})`);
  }
  if (/privateKey|ENOENT|EACCES|Cannot parse privateKey|Unsupported key format/i.test(msg) && !e.level) {
    return new HostError('AST_HOST_KEY_FILE', `private key file ${t.keyFile} is unusable: ${msg}`);
  }
  return new HostError('AST_HOST_UNREACHABLE', `cannot connect to ${name}: ${e.code ? `${e.code} ` : ''}${msg}`, {
    ms,
  });
}

/**
 * Runs one command; resolves with its output whatever the exit status. @throws HostError
 * AST_HOST_COMMAND_TIMEOUT after `timeoutMs` (the channel is closed; `channelOpened` tells whether
 * the command may have started), AST_HOST_UNREACHABLE when the connection broke.
 */
export function execWithDeadline(
  ssh: NodeSSH,
  command: string,
  timeoutMs: number,
  name: string,
): Promise<ExecResult & { channelOpened: boolean }> {
  const started = Date.now();
  let channel: { close(): void } | undefined;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      try {
        channel?.close();
      } catch {
        /* already gone */
      }
      reject(
        new HostError('AST_HOST_COMMAND_TIMEOUT', `${name} did not finish the command within ${timeoutMs} ms`, {
          channelOpened: channel !== undefined,
        }),
      );
    }, timeoutMs);
    ssh
      .execCommand(command, { onChannel: (c) => (channel = c) })
      .then(
        (r) =>
          resolve({ stdout: r.stdout, stderr: r.stderr, code: r.code, ms: Date.now() - started, channelOpened: true }),
        (err: Error) =>
          reject(
            new HostError(
              'AST_HOST_UNREACHABLE',
              `${name}: the connection failed during the command (${err.message})`,
              {
                channelOpened: channel !== undefined,
              },
            ),
          ),
      )
      .finally(() => clearTimeout(timer));
  });
}
