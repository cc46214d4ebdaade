// Commands over long-lived `sh` channels instead of one exec channel each: sshd sets up a session per
// exec channel (fork, login shell, rc files: 140–220 ms per command on the bench VM), a shell that is
// already running answers in a few ms (BENCHMARKS.md 5b). One transport per SSH connection; it keeps
// at most one shell per command running at once (the pool's per-host limit bounds how many), and:
// - writes only Asterisk CLI lines as commands.ts builds them, framed per framing.ts; anything else
//   goes over an exec channel as before;
// - one command at a time per shell; a command past its deadline closes its shell, a shell that ends
//   is forgotten, output arriving while a shell is idle retires it: the next command opens a new one;
// - opens a shell only when the host proves it is one: the exec request `printf '%s%s\n' A B; exec
//   /bin/sh` must print A and B joined (only a shell evaluating the line does; a forced command, or a
//   wrapper that refuses it, does not) before anything is written to it. A host that fails the proof
//   gets exec channels for the rest of the connection (forced command in authorized_keys, ForceCommand,
//   restricted shell, no /bin/sh).
import { randomBytes } from 'node:crypto';
import type { NodeSSH } from 'node-ssh';
import { CLI_LINE_RE } from './commands.ts';
import { execWithDeadline, type ExecResult } from './connection.ts';
import { HostError } from './errors.ts';
import { Framer, newMarker, shellLine } from './framing.ts';

export type Transport = 'unknown' | 'shell' | 'exec';

export interface ShellTransport {
  /**
   * Runs `command` with a deadline, over a shell when it is a CLI line and the host has shells, else
   * over an exec channel. Same contract as execWithDeadline (stdout here carries stderr merged in).
   */
  run(command: string, timeoutMs: number, name: string): Promise<ExecResult & { channelOpened: boolean }>;
  /** What this connection uses for CLI lines: not yet known, shells, or exec channels (shell refused). */
  readonly transport: Transport;
  /** Shells open now (idle or busy). */
  readonly shells: number;
  /** Closes every shell (the connection itself is the caller's). */
  close(): void;
}

/** The parts of ssh2's session channel used here (ssh2 ships no types of its own). */
interface ClientChannel {
  write(data: string): boolean;
  close(): void;
  on(event: 'data', f: (chunk: Buffer) => void): unknown;
  on(event: 'close', f: () => void): unknown;
  stderr: { on(event: 'data', f: (chunk: Buffer) => void): unknown };
}
interface Connection {
  exec(command: string, cb: (err: Error | undefined, channel: ClientChannel) => void): unknown;
}

interface Shell {
  channel: ClientChannel;
  alive: boolean;
  /** Set while a command runs: receives the channel's output. */
  onData: ((chunk: Buffer) => void) | null;
  onEnd: (() => void) | null;
}

/** A transport over `ssh` (one per connection). */
export function createShellTransport(ssh: NodeSSH): ShellTransport {
  let transport: Transport = 'unknown';
  const idle: Shell[] = [];
  const open = new Set<Shell>();
  let closed = false;

  function retire(s: Shell): void {
    if (!s.alive) return;
    s.alive = false;
    open.delete(s);
    const i = idle.indexOf(s);
    if (i >= 0) idle.splice(i, 1);
    try {
      s.channel.close();
    } catch {
      /* already gone */
    }
  }

  /** Opens and proves a shell; 'refused' when the host does not give us one. @throws HostError. */
  function openShell(timeoutMs: number, name: string): Promise<Shell | 'refused'> {
    const a = randomBytes(8).toString('hex');
    const b = randomBytes(8).toString('hex');
    const ready = `${a}${b}\n`;
    const connection = ssh.connection as unknown as Connection | null;
    return new Promise((resolve, reject) => {
      let settled = false;
      let channel: ClientChannel | undefined;
      const finish = (v: Shell | 'refused' | HostError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (v instanceof HostError) reject(v);
        else resolve(v);
      };
      // Not a refusal: the connection is gone (the pool reconnects) or the proof took too long.
      const lost = (why: string) =>
        new HostError('AST_HOST_UNREACHABLE', `${name}: the connection failed while opening a shell (${why})`, {
          channelOpened: false,
        });
      const refused = () => {
        channel?.close();
        finish(ssh.isConnected() ? 'refused' : lost('closed'));
      };
      const timer = setTimeout(() => {
        channel?.close();
        finish(
          new HostError('AST_HOST_COMMAND_TIMEOUT', `${name} did not start a shell within ${timeoutMs} ms`, {
            channelOpened: false,
          }),
        );
      }, timeoutMs);
      try {
        if (!connection) throw new Error('Not connected');
        connection.exec(`printf '%s%s\\n' ${a} ${b}; exec /bin/sh`, (err, ch) => {
          if (err) return ssh.isConnected() ? finish('refused') : finish(lost(err.message));
          channel = ch;
          if (settled) return void ch.close();
          let out = '';
          const shell: Shell = { channel: ch, alive: true, onData: null, onEnd: null };
          // stderr of the long-lived sh itself: rc-file noise before the proof, nothing after (every
          // command merges its own stderr into stdout).
          ch.stderr.on('data', () => undefined);
          ch.on('data', (chunk: Buffer) => {
            if (shell.onData) return shell.onData(chunk);
            if (settled) return retire(shell); // output while idle: not in a known state any more
            out += chunk.toString('latin1');
            // rc files may print before; the proof is the last thing before sh reads its input.
            if (out.endsWith(ready)) {
              open.add(shell);
              finish(shell);
            } else if (out.length > 64 * 1024) refused();
          });
          ch.on('close', () => {
            const wasAlive = shell.alive;
            shell.alive = false;
            open.delete(shell);
            const i = idle.indexOf(shell);
            if (i >= 0) idle.splice(i, 1);
            if (!settled) refused();
            else if (wasAlive) shell.onEnd?.();
          });
        });
      } catch (err) {
        finish(lost((err as Error).message));
      }
    });
  }

  /** One framed command on `s`. The shell goes back to `idle` only when its frame ended cleanly. */
  function runOn(
    s: Shell,
    command: string,
    timeoutMs: number,
    name: string,
    started: number,
  ): Promise<ExecResult & { channelOpened: boolean }> {
    const marker = newMarker();
    const line = shellLine(command, marker); // throws before anything is written if the line is not a CLI line
    const framer = new Framer(marker);
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        s.onData = null;
        s.onEnd = null;
      };
      const timer = setTimeout(
        () => {
          done();
          retire(s);
          reject(
            new HostError('AST_HOST_COMMAND_TIMEOUT', `${name} did not finish the command within ${timeoutMs} ms`, {
              channelOpened: true,
            }),
          );
        },
        Math.max(0, timeoutMs - (Date.now() - started)),
      );
      s.onData = (chunk) => {
        const f = framer.push(chunk);
        if (!f) return;
        done();
        if (f.rest !== '' || closed) retire(s);
        else idle.push(s);
        resolve({ stdout: f.output.trim(), stderr: '', code: f.code, ms: Date.now() - started, channelOpened: true });
      };
      s.onEnd = () => {
        done();
        // The command was written: it may have run. Not retried.
        reject(
          new HostError('AST_HOST_UNREACHABLE', `${name}: the shell ended during the command`, { channelOpened: true }),
        );
      };
      s.channel.write(line);
    });
  }

  return {
    async run(command, timeoutMs, name) {
      const started = Date.now();
      if (closed || transport === 'exec' || !CLI_LINE_RE.test(command))
        return execWithDeadline(ssh, command, timeoutMs, name);
      let s = idle.pop();
      if (!s) {
        const opened = await openShell(timeoutMs, name);
        if (opened === 'refused') {
          // Remembered for this connection only if no shell ever opened on it (a later refusal may be
          // a full session table: this command falls back, the next tries again).
          if (transport === 'unknown') transport = 'exec';
          return execWithDeadline(ssh, command, Math.max(1, timeoutMs - (Date.now() - started)), name);
        }
        transport = 'shell';
        s = opened;
        if (closed) {
          retire(s);
          throw new HostError('AST_HOST_UNREACHABLE', `${name}: host pool closed`, { channelOpened: false });
        }
      }
      return runOn(s, command, timeoutMs, name, started);
    },
    get transport() {
      return transport;
    },
    get shells() {
      return open.size;
    },
    close() {
      closed = true;
      for (const s of [...open]) retire(s);
    },
  };
}
