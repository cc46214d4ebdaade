// Tests' own PostgreSQL clusters live under FLEET_DATA_DIR like everything else the fleet keeps locally
// (a developer who points FLEET_DATA_DIR at a big or fast disk gets the test clusters there too).
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testDataDir } from '../src/index.ts';

describe('testDataDir', () => {
  it('puts a test cluster under FLEET_DATA_DIR, default .data in the working directory', () => {
    expect(testDataDir('test-pg-1', { FLEET_DATA_DIR: '/var/tmp/fleet' })).toBe('/var/tmp/fleet/test-pg-1');
    expect(testDataDir('test-pg-1', { FLEET_DATA_DIR: 'scratch' })).toBe(resolve('scratch', 'test-pg-1'));
    expect(testDataDir('test-pg-1', {})).toBe(resolve('.data', 'test-pg-1'));
    expect(testDataDir('test-pg-1', { FLEET_DATA_DIR: '' })).toBe(resolve('.data', 'test-pg-1'));
  });
});
