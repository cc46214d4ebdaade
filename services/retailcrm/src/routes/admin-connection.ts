// The Connection section: state, "Проверить подключение", "Сохранить и зарегистрировать",
// "Удалить интеграцию". The stored API key is only ever sent to the address it was saved for.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isRetailCrmError, type CrmExchange } from '@fleet/retailcrm-client';
import { switchModuleOff, type ModuleOffOutcome } from '../admin/deletion.ts';
import {
  BadInputError,
  ModuleOffFailedError,
  journalExchanges,
  currentModuleLink,
  revokeLinks,
  maskKey,
  crmFailure,
  registerModule,
  readConnection,
  removeConnection,
  saveConnection,
} from '@fleet/retailcrm-admin';
import { keyFor, parseDomain, parseKey } from '../admin/input.ts';
import { lastOutcomes } from '../admin/journal-read.ts';
import { missingScopes, SCOPE_TITLES } from '../admin/scopes.ts';

const errText = (err: unknown) => (err as Error).message;

/** Why the check failed, in words the admin can act on. */
function checkFailure(err: unknown, domain: string): string {
  if (!isRetailCrmError(err)) return errText(err);
  if (err.code === 'RCRM_UNAUTHORIZED') {
    return `RetailCRM не принял API-ключ (${err.errorMsg ?? err.status}). Проверьте ключ в RetailCRM: «Настройки → Интеграция → Ключи доступа к API».`;
  }
  if (err.code === 'RCRM_NETWORK' || err.code === 'RCRM_TIMEOUT')
    return `RetailCRM по адресу ${domain} не отвечает. Проверьте адрес. (${err.message})`;
  return errText(crmFailure(err));
}

/** The scopes a credentials answer lacks; [] when it is no credentials answer at all. */
function missingIn(x: CrmExchange) {
  try {
    return missingScopes(JSON.parse(x.response ?? '{}') as { credentials: string[] });
  } catch {
    return [];
  }
}

export default async function adminConnectionRoutes(app: FastifyInstance): Promise<void> {
  const ctx = app.adminCtx;
  const key = ctx.secretsKey;
  const ent = (request: FastifyRequest) => request.adminSession!.enterprise;

  app.get('/state', async (request, reply) => {
    const conn = (await readConnection(app.sql, key, ent(request)))!;
    const link = await currentModuleLink(app.sql, ent(request));
    const secrets = conn.apiKey ? [conn.apiKey] : [];
    return {
      enterprise: { number: conn.enterprise, name: conn.name },
      connection: {
        domain: conn.domain ?? null,
        apiKeyMasked: maskKey(conn.apiKey) ?? (conn.apiKeyUnreadable ? 'не расшифровывается' : null),
        enabled: conn.enabled,
        configured: Boolean(conn.domain && conn.apiKey),
      },
      module: { code: ctx.moduleCode, registered: Boolean(link), registeredAt: link?.issuedAt.toISOString() ?? null },
      missedCallTasks: conn.missedCallTasks,
      createCustomers: conn.createCustomers,
      mappingDrift: await app.rcrmDrift.list(ent(request)),
      ...(await lastOutcomes(app.sql, ent(request), secrets)),
      csrfToken: reply.generateCsrf({ userInfo: request.adminSession!.idHash }),
    };
  });

  app.post<{ Body: { domain?: string; apiKey?: string } }>('/connection/check', async (request) => {
    const conn = (await readConnection(app.sql, key, ent(request)))!;
    const domain = request.body?.domain ? parseDomain(request.body.domain) : conn.domain;
    if (!domain) throw new BadInputError('Укажите адрес RetailCRM');
    const apiKey = keyFor(domain, parseKey(request.body?.apiKey), conn);
    if (!apiKey) throw new BadInputError('Укажите API-ключ');
    // A key that answers but lacks scopes is an error in the journal (and "Последняя ошибка").
    const judge = (x: CrmExchange) => {
      const missing = x.ok ? missingIn(x) : [];
      return missing.length ? { ok: false, error: `Ключу не хватает прав: ${missing.join(', ')}` } : { ok: x.ok };
    };
    const client = ctx.clientFor(domain, apiKey, journalExchanges(app.sql, ent(request), 'credentials', apiKey, judge));
    try {
      const res = await client.credentials();
      const missing = missingScopes(res);
      return {
        ok: missing.length === 0,
        missing: missing.map((s) => ({ scope: s, title: SCOPE_TITLES[s] })),
        sites: res.sitesAvailable ?? [],
        message:
          missing.length === 0
            ? 'Ключ подходит: все нужные права есть.'
            : `Ключу не хватает прав: ${missing.join(', ')}.`,
      };
    } catch (err) {
      return { ok: false, missing: [], sites: [], message: checkFailure(err, domain) };
    }
  });

  app.put<{ Body: { domain?: string; apiKey?: string; enabled?: boolean } }>('/connection', async (request) => {
    const b = request.body ?? {};
    const domain = parseDomain(b.domain);
    const typed = parseKey(b.apiKey);
    if (typeof b.enabled !== 'boolean') throw new BadInputError('enabled must be true or false');
    const before = (await readConnection(app.sql, key, ent(request)))!;
    if (!keyFor(domain, typed, before)) throw new BadInputError('Укажите API-ключ');
    await saveConnection(app.sql, key, ent(request), { domain, apiKey: typed, enabled: b.enabled });
    try {
      const r = await registerModule(ctx, ent(request), { mode: 'register' });
      return {
        saved: true,
        registration: {
          ok: true,
          ...r,
          message: r.active ? 'Модуль зарегистрирован и включён.' : 'Модуль зарегистрирован, интеграция выключена.',
        },
      };
    } catch (err) {
      return { saved: true, registration: { ok: false, message: errText(err) } };
    }
  });

  // ?only=here: the admin saw the switch-off fail and chose to remove the integration here anyway.
  app.delete<{ Querystring: { only?: string } }>('/connection', async (request, reply) => {
    const enterprise = ent(request);
    let outcome: ModuleOffOutcome | 'skipped' = 'skipped';
    if (request.query.only !== 'here') {
      try {
        outcome = await switchModuleOff(ctx, enterprise);
      } catch (err) {
        throw new ModuleOffFailedError(errText(err));
      }
    }
    await removeConnection(app.sql, enterprise);
    await revokeLinks(app.sql, enterprise, 'deleted');
    app.clearSessionCookie(reply);
    return {
      deleted: true,
      crm: { outcome, ok: outcome !== 'skipped', message: DELETE_MESSAGES[outcome](ctx.moduleCode) },
    };
  });
}

const DELETE_MESSAGES: Record<ModuleOffOutcome | 'skipped', (code: string) => string> = {
  off: (code) => `Модуль «${code}» в RetailCRM выключен.`,
  absent: (code) => `В RetailCRM модуля «${code}» нет — выключать было нечего.`,
  not_connected: () => 'Подключение к RetailCRM не было настроено — в RetailCRM ничего не меняли.',
  skipped: (code) =>
    `Модуль «${code}» в RetailCRM НЕ выключен: отключите его в RetailCRM вручную (раздел «Маркетплейс»).`,
};
