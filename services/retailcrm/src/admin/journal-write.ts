// integration_logs rows for what the admin page (and `fleet retailcrm register`) asks RetailCRM:
// module registrations and key checks. The API key and link tokens are scrubbed before writing.
import type { Sql } from '@fleet/db';
import type { CrmExchange } from '@fleet/retailcrm-client';
import { redact, redactJson } from './redact.ts';

export type AdminLogKind = 'module.edit' | 'credentials' | 'users';

/** Returns an onExchange callback that journals each attempt for `enterprise`. */
export function journalExchanges(sql: Sql, enterprise: string, kind: AdminLogKind, apiKey: string) {
  return async (x: CrmExchange): Promise<void> => {
    const scrub = (s: string) => redact(s, [apiKey]);
    await sql`
      insert into integration_logs
        (enterprise, integration, kind, method, url, request, status_code, response, ok, error, latency_ms)
      values
        (${enterprise}, 'retailcrm', ${kind}, ${x.method}, ${scrub(x.url)}, ${sql.json(redactJson(x.request, [apiKey]) as never)},
         ${x.status ?? null}, ${x.response === undefined ? null : scrub(x.response)}, ${x.ok},
         ${x.error ? scrub(`${x.error.code}: ${x.error.message}`) : null}, ${x.latencyMs})`.catch(() => undefined);
  };
}
