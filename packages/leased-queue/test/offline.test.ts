// Regression: creating the queue's parts touches no database. The OpenAPI generator (test/ops) builds
// call-intake on a pool that throws on any use; createLeasedTable once built its fragments up front
// and broke that build.
import { describe, expect, it } from 'vitest';
import type { Sql } from '@fleet/db';
import { createLanes, createLeasedTable, createRounds } from '../src/index.ts';

const refusing = new Proxy(() => {}, {
  apply: () => {
    throw new Error('offline');
  },
  get: () => {
    throw new Error('offline');
  },
}) as unknown as Sql;

describe('offline construction', () => {
  it('builds a table, lanes and rounds without a statement', () => {
    expect(() =>
      createLeasedTable(
        refusing,
        { table: 'jobs', returning: 't.id', due: 'true', order: 'q.id', lease: 'lease_until' },
        { leaseMs: 1000, onMarkError: () => {} },
      ),
    ).not.toThrow();
    expect(() => createLanes({ perLane: 1, idOf: String, work: async () => {}, onError: () => {} })).not.toThrow();
    expect(() => createRounds({ round: async () => undefined, onError: () => {} })).not.toThrow();
  });
});
