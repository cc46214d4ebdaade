import { readFileSync } from 'node:fs';
import { createSql, createTestDatabase, type Sql, type TestDatabase } from '@fleet/db';
import { buildApp, type BuildOptions } from '../src/app.ts';

export const FIXTURES = new URL('../../../../shared/fixtures/asterisk-scenarios/', import.meta.url);

export interface ScenarioEvent {
  event: string;
  body: Record<string, unknown>;
  t?: number;
}

/** A scenario file of the shared corpus, by its code ('2-1'). */
export function scenario(code: string): ScenarioEvent[] {
  const index = JSON.parse(readFileSync(new URL('_index.json', FIXTURES), 'utf8')) as { code: string; file: string }[];
  const entry = index.find((e) => e.code === code);
  if (!entry) throw new Error(`no scenario ${code}`);
  return JSON.parse(readFileSync(new URL(entry.file, FIXTURES), 'utf8')) as ScenarioEvent[];
}

export const baseConfig: BuildOptions['config'] = {
  GATEWAY_URL: 'http://127.0.0.1:9',
  BODY_LIMIT_BYTES: 64 * 1024,
  GROUP_COMMIT_WINDOW_MS: 2,
  GROUP_COMMIT_MAX_BATCH: 500,
  PROCESSOR_POLL_MS: 200,
  DISPATCH_POLL_MS: 100,
  DISPATCH_TIMEOUT_MS: 1000,
  WORKERS: false,
};

export async function withDatabase(): Promise<{ db: TestDatabase; sql: Sql }> {
  const db = await createTestDatabase();
  return { db, sql: createSql(db.url) };
}

export async function addEnterprise(sql: Sql, number: string, token: string, active = true): Promise<void> {
  await sql`insert into enterprises (number, name, host_token, active) values (${number}, ${'E' + number}, ${token}, ${active})`;
}

export async function intake(
  sql: Sql,
  config: Partial<BuildOptions['config']> = {},
  modelSnapshot?: BuildOptions['modelSnapshot'],
  model?: BuildOptions['model'],
) {
  const app = await buildApp({
    sql,
    config: { ...baseConfig, ...config },
    model: { settleMs: 0, closeWithoutHangupMs: 0, ...model },
    modelSnapshot,
  });
  await app.ready();
  return app;
}
