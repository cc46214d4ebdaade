// integration_logs rows for what the admin page (and `fleet retailcrm register`) asks RetailCRM:
// module registrations and reads, key checks, user lists. The API key and link tokens are scrubbed
// before writing.
import type { Sql } from '@fleet/db';
import type { CrmExchange } from '@fleet/retailcrm-client';
import { redact, redactJson } from './redact.ts';

export type AdminLogKind = 'module.edit' | 'module.get' | 'credentials' | 'users';

/**
 * What an answered exchange means for the integration when HTTP success is not the whole story: a
 * key check whose key lacks scopes is an error (with the missing scopes), a 404 on reading the module
 * means "not registered" and is no error.
 */
export type Judge = (x: CrmExchange) => { ok: boolean; error?: string };

/** Returns an onExchange callback that journals each attempt for `enterprise`. */
export function journalExchanges(sql: Sql, enterprise: string, kind: AdminLogKind, apiKey: string, judge?: Judge) {
  return async (x: CrmExchange): Promise<void> => {
    const scrub = (s: string) => redact(s, [apiKey]);
    const verdict = judge?.(x);
    const ok = verdict?.ok ?? x.ok;
    const error = verdict?.error ?? (x.error ? `${x.error.code}: ${x.error.message}` : null);
    await sql`
      insert into integration_logs
        (enterprise, integration, kind, method, url, request, status_code, response, ok, error, latency_ms)
      values
        (${enterprise}, 'retailcrm', ${kind}, ${x.method}, ${scrub(x.url)}, ${sql.json(redactJson(x.request, [apiKey]) as never)},
         ${x.status ?? null}, ${x.response === undefined ? null : scrub(x.response)}, ${ok},
         ${error === null || ok ? null : scrub(error)}, ${x.latencyMs})`.catch(() => undefined);
  };
}
