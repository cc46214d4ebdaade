// A real nginx for tests: a scratch prefix directory (its temp paths writable by nginx's worker user),
// a main config around the test's own `http` body, `nginx -t`, start, and stop. The site files under
// test come from nginx/ (SITE). nginx is required, never skipped: `pnpm test` installs it (test/setup/system-deps.ts).
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const NGINX = process.env.NGINX_PATH ?? '/usr/sbin/nginx';
/** The project's nginx/ folder. */
export const SITE = resolve(import.meta.dirname, '../../nginx');

export interface ScratchNginx {
  /** The prefix directory (also where a test may write included files). */
  dir: string;
  /** Writes nginx.conf: main settings, temp paths in `dir`, then `http` (upstreams, servers, includes). */
  configure(http: string, opts?: { workerConnections?: number; accessLog?: string }): void;
  /** `nginx -t` on the written config. */
  check(): SpawnSyncReturns<string>;
  /** Starts nginx and waits until `probe` (a URL fetched, or a function) resolves. */
  start(probe: string | (() => Promise<unknown>)): Promise<void>;
  /** Graceful stop (SIGQUIT), then removes the directory. */
  stop(): Promise<void>;
}

/** @throws Error when nginx is not installed (apt-get install nginx; `pnpm test` does). */
export function scratchNginx(prefix: string): ScratchNginx {
  if (!existsSync(NGINX))
    throw new Error(
      `nginx not found at ${NGINX}: apt-get install nginx (pnpm test installs it: test/setup/system-deps.ts)`,
    );
  const dir = mkdtempSync(join(tmpdir(), prefix));
  // The worker runs as an unprivileged user: it must reach the prefix and write its temp paths.
  chmodSync(dir, 0o777);
  for (const d of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, d), { mode: 0o777 });
  const conf = join(dir, 'nginx.conf');
  let proc: ChildProcess | undefined;
  return {
    dir,
    configure(http, opts = {}) {
      writeFileSync(
        conf,
        `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections ${opts.workerConnections ?? 64}; }
http {
  access_log ${opts.accessLog ?? 'off'};
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
${http}
}
`,
      );
    },
    check: () => spawnSync(NGINX, ['-t', '-p', dir, '-c', conf], { encoding: 'utf8' }),
    async start(probe) {
      proc = spawn(NGINX, ['-p', dir, '-c', conf], { stdio: 'ignore' });
      const attempt = typeof probe === 'string' ? () => fetch(probe) : probe;
      for (let i = 0; i < 100; i++) {
        if (
          await attempt().then(
            () => true,
            () => false,
          )
        )
          return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`nginx did not answer ${typeof probe === 'string' ? probe : 'the probe'}`);
    },
    async stop() {
      if (proc && proc.exitCode === null) {
        const exited = new Promise((r) => proc!.once('exit', r));
        proc.kill('SIGQUIT');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
