// The admin page's JSON API. Every route needs the session and works on the session's enterprise
// only (never an enterprise named in the request); mutations need the CSRF token.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parseCrmOrigin } from '@fleet/retailcrm-client';
import { BadInputError } from '../admin/errors.ts';
import { journalExchanges } from '../admin/journal-write.ts';
import { lastOutcomes, readJournal } from '../admin/journal-read.ts';
import { currentModuleLink, revokeLinks } from '../admin/links.ts';
import { listExtensions, listManagers, saveMapping, withStoredStatus, type MappingChange } from '../admin/managers.ts';
import { maskKey } from '../admin/redact.ts';
import { crmFailure, registerModule, usableConnection } from '../admin/registration.ts';
import { readConnection, removeConnection, saveConnection } from '../admin/store.ts';

/** Scopes the integration uses (GET /api/credentials): popups and history, the module, the users. */
export const REQUIRED_SCOPES = ['telephony_read', 'telephony_write', 'integration_read', 'integration_write', 'user_read'];

const SCOPE_NAMES: Record<string, string> = {
  telephony_read: 'чтение телефонии',
  telephony_write: 'запись телефонии (события звонков, история)',
  integration_read: 'чтение интеграционных модулей',
  integration_write: 'запись интеграционных модулей (регистрация)',
  user_read: 'чтение пользователей (список менеджеров)',
};

const errText = (err: unknown) => (err as Error).message;

export default async function adminApiRoutes(app: FastifyInstance): Promise<void> {
  const ctx = app.adminCtx;
  const key = ctx.secretsKey;
  app.addHook('preHandler', app.requireAdminSession);
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('cache-control', 'no-store');
    if (request.method === 'GET' || request.method === 'HEAD') return done();
    app.csrfProtection(request, reply, done);
  });
  const ent = (request: FastifyRequest) => request.adminSession!.enterprise;

  function parseDomain(v: unknown): string {
    if (typeof v !== 'string' || !v.trim()) throw new BadInputError('Укажите адрес RetailCRM, например https://shop.retailcrm.ru');
    let origin: string;
    try {
      origin = parseCrmOrigin(v.trim());
    } catch {
      throw new BadInputError('Адрес RetailCRM должен быть https://…, например https://shop.retailcrm.ru');
    }
    // A name DNS cannot hold (a label over 63 characters, over 253 in all) was saved and then failed
    // every CRM call with a 502.
    const host = new URL(origin).hostname;
    if (host.length > 253 || host.split('.').some((label) => label.length > 63)) throw new BadInputError('Адрес RetailCRM слишком длинный для имени сайта');
    return origin;
  }
  function parseKey(v: unknown): string | undefined {
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'string' || !/^[\x21-\x7e]{8,200}$/.test(v.trim())) throw new BadInputError('API-ключ выглядит неверно: 8–200 символов без пробелов');
    return v.trim();
  }

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
      ...(await lastOutcomes(app.sql, ent(request), secrets)),
      csrfToken: reply.generateCsrf({ userInfo: request.adminSession!.idHash }),
    };
  });

  app.post<{ Body: { domain?: string; apiKey?: string } }>('/connection/check', async (request) => {
    const conn = (await readConnection(app.sql, key, ent(request)))!;
    const domain = request.body?.domain ? parseDomain(request.body.domain) : conn.domain;
    const apiKey = parseKey(request.body?.apiKey) ?? conn.apiKey;
    if (!domain) throw new BadInputError('Укажите адрес RetailCRM');
    if (!apiKey) throw new BadInputError('Укажите API-ключ');
    const client = ctx.clientFor(domain, apiKey, journalExchanges(app.sql, ent(request), 'credentials', apiKey));
    try {
      const res = await client.credentials();
      const granted = new Set([...(res.credentials ?? []), ...(((res as { scopes?: string[] }).scopes) ?? [])]);
      const missing = REQUIRED_SCOPES.filter((s) => !granted.has(s));
      return {
        ok: missing.length === 0,
        missing: missing.map((s) => ({ scope: s, title: SCOPE_NAMES[s] ?? s })),
        sites: res.sitesAvailable ?? [],
        message: missing.length === 0 ? 'Ключ подходит: все нужные права есть.' : `Ключу не хватает прав: ${missing.map((s) => `${s} (${SCOPE_NAMES[s]})`).join(', ')}.`,
      };
    } catch (err) {
      return { ok: false, missing: [], sites: [], message: errText(crmFailure(err)) };
    }
  });

  app.put<{ Body: { domain?: string; apiKey?: string; enabled?: boolean } }>('/connection', async (request) => {
    const b = request.body ?? {};
    const domain = parseDomain(b.domain);
    const apiKey = parseKey(b.apiKey);
    if (typeof b.enabled !== 'boolean') throw new BadInputError('enabled must be true or false');
    const before = await readConnection(app.sql, key, ent(request));
    if (!apiKey && !before?.apiKey) throw new BadInputError('Укажите API-ключ');
    await saveConnection(app.sql, key, ent(request), { domain, apiKey, enabled: b.enabled });
    try {
      const r = await registerModule(ctx, ent(request), { mode: 'register', keepSessionHash: request.adminSession!.idHash });
      return { saved: true, registration: { ok: true, ...r, message: r.active ? 'Модуль зарегистрирован и включён.' : 'Модуль зарегистрирован, интеграция выключена.' } };
    } catch (err) {
      return { saved: true, registration: { ok: false, message: errText(err) } };
    }
  });

  app.delete('/connection', async (request, reply) => {
    const enterprise = ent(request);
    let crm: { ok: boolean; message: string } = { ok: true, message: 'Модуля в RetailCRM не было.' };
    if (await currentModuleLink(app.sql, enterprise)) {
      try {
        await registerModule(ctx, enterprise, { mode: 'push', active: false });
        crm = { ok: true, message: 'Модуль в RetailCRM выключен.' };
      } catch (err) {
        crm = { ok: false, message: `Модуль в RetailCRM выключить не удалось: ${errText(err)}` };
      }
    }
    await removeConnection(app.sql, enterprise);
    await revokeLinks(app.sql, enterprise, 'deleted');
    app.clearSessionCookie(reply);
    return { deleted: true, crm };
  });

  app.get('/managers', async (request) => {
    const conn = await usableConnection(ctx, ent(request));
    const client = ctx.clientFor(conn.domain, conn.apiKey, async (x) => {
      if (!x.ok) await journalExchanges(app.sql, conn.enterprise, 'users', conn.apiKey)(x);
    });
    let managers;
    try {
      managers = await listManagers(client);
    } catch (err) {
      throw crmFailure(err);
    }
    managers = await withStoredStatus(app.sql, conn.enterprise, managers);
    return { managers, extensions: await listExtensions(app.sql, conn.enterprise, conn.userExtensions), mapping: conn.userExtensions };
  });

  app.put<{ Body: { changes?: Array<{ userId?: unknown; extension?: unknown }>; names?: Record<string, string> } }>('/managers', async (request) => {
    const raw = request.body?.changes;
    if (!Array.isArray(raw) || raw.length > 5000) throw new BadInputError('changes: нужен список изменений');
    const changes: MappingChange[] = raw.map((c) => {
      const userId = String(c.userId ?? '');
      if (!/^\d{1,10}$/.test(userId)) throw new BadInputError(`Неверный пользователь: ${userId}`);
      if (c.extension === null || c.extension === '') return { userId, extension: null };
      if (typeof c.extension !== 'string' || !/^\d{2,6}$/.test(c.extension)) throw new BadInputError(`Неверный номер: ${String(c.extension)}`);
      return { userId, extension: c.extension };
    });
    const conn = await usableConnection(ctx, ent(request));
    // Names for the messages: the page's own list (display only, never trusted for access).
    const names = request.body?.names ?? {};
    const nameOf = (id: string) => (typeof names[id] === 'string' ? names[id].slice(0, 200) : `#${id}`);
    const result = await saveMapping(app.sql, conn.enterprise, changes, nameOf);
    let push: { ok: boolean; message: string; notExistUsersIds?: number[] };
    try {
      const mode = (await currentModuleLink(app.sql, conn.enterprise)) ? 'push' : 'register';
      const r = await registerModule(ctx, conn.enterprise, { mode, keepSessionHash: request.adminSession!.idHash });
      push = { ok: true, message: `В RetailCRM отправлено соответствий: ${r.additionalCodes.length}.`, notExistUsersIds: r.notExistUsersIds };
    } catch (err) {
      push = { ok: false, message: `Сохранено у нас, но не отправлено в RetailCRM: ${errText(err)}` };
    }
    return {
      mapping: result.map,
      lost: result.lost.map((l) => ({ ...l, name: nameOf(l.userId), takenByName: nameOf(l.takenBy) })),
      push,
    };
  });

  app.get<{ Querystring: Record<string, unknown> }>('/journal', async (request) => {
    // A repeated parameter arrives as an array (?phone=1&phone=2): only a single string is a filter.
    const q = Object.fromEntries(Object.entries(request.query).filter(([, v]) => typeof v === 'string')) as Record<string, string | undefined>;
    const page = Math.max(1, Math.min(10_000, Number.parseInt(q.page ?? '1', 10) || 1));
    // A real calendar day: 2024-02-30 or 9999-99-99 would fail PostgreSQL's ::date cast with a 500.
    const day = (v: string) => new Date(`${v}T00:00:00Z`);
    const date = (v: string | undefined) =>
      v && /^\d{4}-\d{2}-\d{2}$/.test(v) && v >= '1970-01-01' && !Number.isNaN(day(v).getTime()) && day(v).toISOString().startsWith(v) ? v : undefined;
    const status = q.status === 'ok' || q.status === 'error' ? q.status : undefined;
    const conn = (await readConnection(app.sql, key, ent(request)))!;
    return readJournal(
      app.sql,
      conn.enterprise,
      conn.timezone,
      { page, phone: q.phone?.slice(0, 40) || undefined, callId: q.callId?.slice(0, 100) || undefined, status, from: date(q.from), to: date(q.to) },
      conn.apiKey ? [conn.apiKey] : [],
    );
  });
}
