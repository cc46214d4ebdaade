// `pnpm test`, step 0: the programs the tests drive for real and npm cannot supply — Chromium (the
// admin page in a browser, through playwright-core: no browser download works here), nginx (the site
// config under `nginx -t` and proxied requests), OpenSSH's sshd and ssh-keygen (the asterisk service
// originates over SSH to a test host) and openssl (a test certificate). When one is missing and
// apt-get can run (as root, or through passwordless sudo) they are installed non-interactively;
// otherwise this stops with the package and the command to run. Everything present: a no-op.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { pathToFileURL } from 'node:url';

/** A program the tests need: where they look for it, and the Debian package that provides it. */
export interface SystemDep {
  path: string;
  pkg: string;
  why: string;
}

/** What the tests use, at the paths they use (CHROMIUM_PATH / NGINX_PATH override, as in the tests). */
export function systemDeps(env: Record<string, string | undefined> = process.env): SystemDep[] {
  return [
    { path: env.CHROMIUM_PATH ?? '/usr/bin/chromium', pkg: 'chromium', why: 'admin page browser tests' },
    { path: env.NGINX_PATH ?? '/usr/sbin/nginx', pkg: 'nginx', why: 'nginx site tests' },
    { path: '/usr/sbin/sshd', pkg: 'openssh-server', why: 'asterisk service SSH tests' },
    { path: '/usr/bin/ssh-keygen', pkg: 'openssh-client', why: 'asterisk service SSH tests' },
    { path: '/usr/bin/openssl', pkg: 'openssl', why: 'nginx TLS test certificate' },
  ];
}

/** The packages to install (deduplicated, in order) for the deps whose path does not exist. */
export function missingPackages(deps: SystemDep[], exists: (path: string) => boolean = existsSync): string[] {
  return [...new Set(deps.filter((d) => !exists(d.path)).map((d) => d.pkg))];
}

/**
 * How apt-get may run here: directly as root, through `sudo -n` when that needs no password, or not
 * at all (null) — no apt-get, or neither root nor passwordless sudo.
 */
export function aptRunner(probe: {
  uid: number;
  has: (cmd: string) => boolean;
  sudoWorks: () => boolean;
}): string[] | null {
  if (!probe.has('apt-get')) return null;
  if (probe.uid === 0) return [];
  // sudo resets the environment, so DEBIAN_FRONTEND goes through `env`.
  if (probe.has('sudo') && probe.sudoWorks()) return ['sudo', '-n'];
  return null;
}

/** The commands, as argv lists: one `apt-get update`, then one install without recommends. */
export function aptCommands(prefix: string[], pkgs: string[]): string[][] {
  const apt = [...prefix, 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get'];
  return [
    [...apt, 'update', '-qq'],
    [...apt, 'install', '-y', '-qq', '--no-install-recommends', ...pkgs],
  ];
}

const say = (line: string) => console.log(`system-deps: ${line}`);

const onPath = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

function fail(pkgs: string[], why: string): never {
  console.error(
    `system-deps: missing ${pkgs.join(', ')} (${why}).\n` +
      `  Install as root: apt-get update && apt-get install -y --no-install-recommends ${pkgs.join(' ')}\n` +
      '  (other systems: install Chromium, nginx, OpenSSH server and openssl; CHROMIUM_PATH / NGINX_PATH point at them)',
  );
  process.exit(1);
}

/** Checks, installs what is missing when it can, checks again. Exits 1 with instructions otherwise. */
function main(): void {
  const deps = systemDeps();
  const pkgs = missingPackages(deps);
  if (pkgs.length === 0) return;
  const prefix = aptRunner({
    uid: userInfo().uid,
    has: onPath,
    sudoWorks: () => spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0,
  });
  if (!prefix) fail(pkgs, 'apt-get cannot run here: not root, no passwordless sudo, or no apt-get');
  say(`installing ${pkgs.join(' ')} with apt-get${prefix.length ? ' (sudo)' : ''}; this may take a few minutes…`);
  for (const argv of aptCommands(prefix, pkgs)) {
    const t0 = Date.now();
    // Quiet (dpkg's chatter captured) but visible: each step is announced, its output shown on failure.
    const r = spawnSync(argv[0]!, argv.slice(1), {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 256 * 1024 * 1024,
    });
    const step = argv.includes('update') ? 'apt-get update' : 'apt-get install';
    if (r.status !== 0) {
      console.error(`${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-30).join('\n'));
      fail(pkgs, `${step} failed (${r.error?.message ?? `exit ${r.status}`})`);
    }
    say(`${step} done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  const still = missingPackages(deps);
  if (still.length) fail(still, 'still missing after apt-get install');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main();
