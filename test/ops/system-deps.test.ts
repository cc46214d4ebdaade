// The `pnpm test` step that installs the system programs the tests drive (test/setup/system-deps.ts):
// what counts as missing, when apt-get may run, and the exact commands — without running apt-get.
import { describe, expect, it } from 'vitest';
import { aptCommands, aptRunner, missingPackages, systemDeps } from '../setup/system-deps.ts';
import { NGINX } from '../support/nginx.ts';
import { SSHD } from '../support/sshd.ts';

describe('system dependencies of the test suite', () => {
  it('looks where the tests look (nginx, sshd, chromium paths and their overrides)', () => {
    const paths = systemDeps().map((d) => d.path);
    expect(paths).toContain(NGINX);
    expect(paths).toContain(SSHD);
    const custom = systemDeps({ CHROMIUM_PATH: '/opt/chrome', NGINX_PATH: '/opt/nginx' });
    expect(custom.find((d) => d.pkg === 'chromium')?.path).toBe('/opt/chrome');
    expect(custom.find((d) => d.pkg === 'nginx')?.path).toBe('/opt/nginx');
  });

  it('asks for nothing when everything is present, and for each missing package once', () => {
    const deps = systemDeps({});
    expect(missingPackages(deps, () => true)).toEqual([]);
    expect(missingPackages(deps, (p) => p !== '/usr/sbin/sshd' && p !== '/usr/bin/chromium')).toEqual([
      'chromium',
      'openssh-server',
    ]);
    expect(missingPackages([...deps, ...deps], () => false)).toEqual([
      'chromium',
      'nginx',
      'openssh-server',
      'openssh-client',
      'openssl',
    ]);
  });

  it('runs apt-get as root, through passwordless sudo otherwise, and not at all without either', () => {
    const has = (cmds: string[]) => (c: string) => cmds.includes(c);
    expect(aptRunner({ uid: 0, has: has(['apt-get']), sudoWorks: () => false })).toEqual([]);
    expect(aptRunner({ uid: 1000, has: has(['apt-get', 'sudo']), sudoWorks: () => true })).toEqual(['sudo', '-n']);
    expect(aptRunner({ uid: 1000, has: has(['apt-get', 'sudo']), sudoWorks: () => false })).toBeNull();
    expect(aptRunner({ uid: 1000, has: has(['apt-get']), sudoWorks: () => true })).toBeNull();
    expect(aptRunner({ uid: 0, has: has([]), sudoWorks: () => true })).toBeNull();
  });

  it('updates once, then installs non-interactively without recommends', () => {
    expect(aptCommands(['sudo', '-n'], ['nginx', 'chromium'])).toEqual([
      ['sudo', '-n', 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'update', '-qq'],
      [
        'sudo',
        '-n',
        'env',
        'DEBIAN_FRONTEND=noninteractive',
        'apt-get',
        'install',
        '-y',
        '-qq',
        '--no-install-recommends',
        'nginx',
        'chromium',
      ],
    ]);
  });
});
