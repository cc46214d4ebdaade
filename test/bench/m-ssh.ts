// Measurement 5b (diagnosis of 5): what one command costs on a warm SSH connection to the test sshd,
// per transport. node-ssh's execCommand opens a new session channel per command, so sshd forks and
// sets up a session each time; the alternative is one long-lived `sh` channel per slot to which
// commands are written, each framed by a random end marker carrying its exit status.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { startTestHost, sshdAvailable } from '../support/sshd.ts';
import { dist, now, type Dist } from './lib.ts';

const require = createRequire(new URL('../../packages/asterisk-host/package.json', import.meta.url));

interface Channel {
  write(s: string): void;
  on(ev: 'data', f: (d: Buffer) => void): void;
  end(): void;
}
interface Ssh {
  connect(o: object): Promise<unknown>;
  execCommand(c: string): Promise<unknown>;
  connection: { exec(c: string, cb: (e: Error | undefined, ch: Channel) => void): void; setNoDelay(on: boolean): void };
  dispose(): void;
}

export interface SshResult {
  n: number;
  execTrue: Dist;
  execStandIn: Dist;
  shellTrue: Dist;
  shellStandIn: Dist;
  noDelayExecTrue: Dist;
  noDelayExecStandIn: Dist;
  noDelayShellStandIn: Dist;
}

export async function benchSsh(o: { n: number }): Promise<SshResult> {
  if (!sshdAvailable()) throw new Error('sshd is needed');
  const { NodeSSH } = require('node-ssh') as { NodeSSH: new () => Ssh };
  const host = await startTestHost();
  const ssh = new NodeSSH();
  try {
    await ssh.connect({
      host: '127.0.0.1',
      port: host.port,
      username: host.user,
      privateKey: readFileSync(host.userKeyFile, 'utf8'),
    });
    const time = async (f: () => Promise<unknown>) => {
      await f();
      const xs: number[] = [];
      for (let i = 0; i < o.n; i++) {
        const t0 = now();
        await f();
        xs.push(now() - t0);
      }
      return dist(xs);
    };
    const standIn = `${host.binary} -rx "core show version"`;
    const execTrue = await time(() => ssh.execCommand('true'));
    const execStandIn = await time(() => ssh.execCommand(standIn));
    const ch = await new Promise<Channel>((ok, ko) => ssh.connection.exec('sh', (e, c) => (e ? ko(e) : ok(c))));
    let buf = '';
    let waiting: { marker: string; done: () => void } | null = null;
    ch.on('data', (d) => {
      buf += d.toString();
      if (waiting && buf.includes(waiting.marker)) {
        buf = '';
        waiting.done();
      }
    });
    const inShell = (cmd: string) =>
      new Promise<void>((done) => {
        const marker = `__end_${randomBytes(8).toString('hex')}__`;
        waiting = { marker, done };
        ch.write(`${cmd} </dev/null 2>&1; echo "${marker}$?"\n`);
      });
    const shellTrue = await time(() => inShell('true'));
    const shellStandIn = await time(() => inShell(standIn));
    // The same with TCP_NODELAY on the client's socket (ssh2 leaves Nagle on).
    ssh.connection.setNoDelay(true);
    const noDelayShellStandIn = await time(() => inShell(standIn));
    ch.end();
    const noDelayExecTrue = await time(() => ssh.execCommand('true'));
    const noDelayExecStandIn = await time(() => ssh.execCommand(standIn));
    return {
      n: o.n,
      execTrue,
      execStandIn,
      shellTrue,
      shellStandIn,
      noDelayExecTrue,
      noDelayExecStandIn,
      noDelayShellStandIn,
    };
  } finally {
    ssh.dispose();
    await host.dispose();
  }
}
