// integration_logs rows for the callbacks (kind make-call / status), written without the clientId.
import type { Sql } from '@fleet/db';

export interface CallbackLog {
  enterprise: string;
  kind: 'make-call' | 'status';
  phone?: string | null;
  method: string;
  url: string;
  request: Record<string, unknown>;
  statusCode: number;
  response: unknown;
  ok: boolean;
  error?: string | null;
  latencyMs: number;
}

export async function writeCallbackLog(sql: Sql, l: CallbackLog, onError: (err: unknown) => void): Promise<void> {
  try {
    await sql`
      insert into integration_logs (enterprise, integration, kind, phone, method, url, request, status_code, response, ok, error, latency_ms)
      values (${l.enterprise}, 'retailcrm', ${l.kind}, ${l.phone ?? null}, ${l.method}, ${l.url}, ${sql.json(l.request as never)},
              ${l.statusCode}, ${JSON.stringify(l.response).slice(0, 4000)}, ${l.ok}, ${l.error ?? null}, ${l.latencyMs})`;
  } catch (err) {
    onError(err); // the journal never turns a started call into an error
  }
}
