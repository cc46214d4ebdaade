import postgres from 'postgres';

export type Sql = postgres.Sql<Record<string, never>>;
export type { postgres };

export interface SqlOptions {
  /** Pool size; a service needs few connections because group commit batches writes. */
  max?: number;
  /** Name shown in pg_stat_activity, to tell services apart. */
  applicationName?: string;
  /**
   * Called with every statement as it is sent (postgres.js `debug`), with its parameters: tests count
   * the path's commits and the bytes a statement carries.
   */
  debug?: (connection: number, query: string, parameters: readonly unknown[]) => void;
}

/**
 * Opens a postgres.js pool on `url`. Notices are dropped (migrations emit "already exists" notices);
 * connections are recycled after 30 min so a failed-over server is picked up.
 */
export function createSql(url: string, opts: SqlOptions = {}): Sql {
  return postgres(url, {
    max: opts.max ?? 10,
    onnotice: () => {},
    idle_timeout: 60,
    max_lifetime: 30 * 60,
    connect_timeout: 10,
    connection: { application_name: opts.applicationName ?? 'fleet' },
    transform: { undefined: null },
    ...(opts.debug
      ? {
          debug: (connection: number, query: string, parameters: unknown[]) =>
            opts.debug!(connection, query, parameters ?? []),
        }
      : {}),
  }) as Sql;
}

/** True when the database answers `select 1` within `timeoutMs`. For /health. */
export async function pingDatabase(sql: Sql, timeoutMs = 1000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      sql`select 1`,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
      }),
    ]);
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
