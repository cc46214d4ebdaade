export { createSql, pingDatabase, type postgres, type Sql, type SqlOptions } from './client.ts';
export { migrate, MIGRATIONS_DIR, type MigrationResult } from './migrate.ts';
export { startEmbeddedPostgres, withDatabase, type EmbeddedServer, type EmbeddedOptions } from './embedded.ts';
export { resolveDatabase, type ResolvedDatabase } from './resolve.ts';
export { createTestDatabase, prepareTemplate, testDataDir, TEST_SERVER_ENV, type TestDatabase } from './testing.ts';
export { keepListening, PING_PREFIX, type KeepListeningOptions, type Listener } from './listen.ts';
export { jsonbRefusal } from '@fleet/validate/jsonb';
