// The admin page in a real browser (Debian's chromium through playwright-core) against the strict
// RetailCRM fake: what an enterprise admin does from RetailCRM's "go to account" button to a mapped,
// registered module, and the ways in that must be refused; also what the admin sees when something
// fails (a weak or wrong key, a changed address without its key, two managers given one number, a
// delete RetailCRM does not answer). Screenshots of every state go to test-artifacts/admin/
// (gitignored) for a human to look at.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createSql, createTestDatabase, type Sql, type TestDatabase } from '@fleet/db';
import { createRetailCrmFake, type RetailCrmFake } from '@fleet/retailcrm-fake';
import type { FastifyInstance } from 'fastify';
import { buildApp, loadRetailCrmConfig } from '../src/index.ts';
import { issueLink, linkUrl, signLink } from '@fleet/retailcrm-admin';
import { freePort } from '../../../test/support/net.ts';

const KEY = 'browser-test-key-0123456789abcdef';
const WEAK_KEY = 'browser-weak-key-0123456789abcdef';
const ENT = '401';
const OTHER = '402';
const CODE = 'fleet-telephony';
const SHOTS = resolve(import.meta.dirname, '../../../test-artifacts/admin');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let db: TestDatabase;
let sql: Sql;
let fake: RetailCrmFake;
let crmUrl: string;
let app: FastifyInstance;
let base: string;
let profile: string;
let ctx: BrowserContext;
let page: Page;

const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

async function crmModule() {
  const res = await fetch(`${crmUrl}/api/v5/integration-modules/${CODE}`, { headers: { 'x-api-key': KEY } });
  return (
    (await res.json()) as {
      integrationModule: { active: boolean; integrations: { telephony: { additionalCodes: unknown } } };
    }
  ).integrationModule;
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  db = await createTestDatabase();
  sql = createSql(db.url, { max: 5 });
  fake = createRetailCrmFake({
    apiKeys: [{ key: KEY }, { key: WEAK_KEY, scopes: ['telephony_write', 'user_read'] }],
    users: [
      {
        id: 18,
        firstName: 'Анна',
        lastName: 'Смирнова',
        email: 'anna@shop.by',
        active: true,
        status: 'free',
        online: true,
      },
      {
        id: 19,
        firstName: 'Борис',
        lastName: 'Козлов',
        email: 'boris@shop.by',
        active: true,
        status: 'busy',
        online: true,
      },
      { id: 20, firstName: 'Вера', lastName: 'Иванова', email: 'vera@shop.by', active: true, status: 'dinner' },
      { id: 21, firstName: 'Уволен', lastName: 'Давно', active: false },
    ],
  });
  crmUrl = await fake.listen();
  await sql`insert into enterprises (number, name, host_token) values (${ENT}, 'Магазин «Ромашка»', 'tok-401'), (${OTHER}, 'Другой магазин', 'tok-402')`;
  await sql`update enterprises set integrations_config = ${sql.json({ retailcrm: { enabled: true, domain: crmUrl, api_key: KEY, client_id: 'client-of-402-0000000000000000' } })} where number = ${OTHER}`;
  await sql`insert into extension_directory (enterprise, extension, name) values
    (${ENT}, '151', 'Анна Смирнова'), (${ENT}, '152', 'Борис Козлов'), (${ENT}, '153', 'Вера Иванова'), (${ENT}, '160', 'Склад')`;
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const config = loadRetailCrmConfig({
    NODE_ENV: 'test',
    DATABASE_URL: db.url,
    LOG_LEVEL: 'silent',
    PUBLIC_BASE_URL: base,
    RETAILCRM_PORT: String(port),
  });
  app = await buildApp({ sql, config, logger: false });
  await app.listen({ port, host: '127.0.0.1' });
  profile = mkdtempSync(join(tmpdir(), 'fleet-chromium-'));
  ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
    viewport: { width: 1200, height: 860 },
    locale: 'ru-RU',
    timezoneId: 'Europe/Minsk',
  });
  page = ctx.pages()[0] ?? (await ctx.newPage());
}, 60_000);

afterAll(async () => {
  await ctx?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  await app?.close();
  await fake?.close();
  await sql?.end();
  await db?.drop();
});

const operatorLink = async (enterprise: string) => {
  const c = app.rcrmConfig;
  const l = await issueLink(sql, c.JWT_SECRET, enterprise, 'operator', c.ADMIN_LINK_TTL_DAYS);
  return { url: linkUrl(c.PUBLIC_BASE_URL, l.token), token: l.token, jti: l.jti };
};

describe('admin page in chromium', () => {
  let firstLink: { url: string; token: string };

  it('an issued link lands authenticated on the page, without the token in the address', async () => {
    firstLink = await operatorLink(ENT);
    await page.goto(firstLink.url);
    await page.waitForSelector('body[data-ready="1"]');
    expect(page.url()).toBe(`${base}/retailcrm-admin/`);
    await expect(page.textContent('#enterprise')).resolves.toContain('Магазин «Ромашка»');
    const cookies = await ctx.cookies(`${base}/retailcrm-admin/`);
    expect(cookies.find((c) => c.name === 'rcrm_admin')).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
    await expect(page.textContent('#badge')).resolves.toBe('Не настроено');
    await shot('01-connection-empty');
  });

  it('check names the missing scopes of a weak key as an error (and the last error, not the last success)', async () => {
    await page.fill('input[name=domain]', crmUrl);
    await page.fill('input[name=apiKey]', WEAK_KEY);
    await page.click('#check');
    await page.waitForSelector('#check-result.err:not([hidden])');
    await page.waitForSelector('#last-error >> text=Проверка ключа');
    const text = await page.textContent('#check-result');
    expect(text).toContain('integration_write');
    expect(text).toContain('integration_read');
    expect(text).not.toContain('user_read');
    await expect(page.textContent('#last-success')).resolves.toBe('—');
    await expect(page.textContent('#last-error')).resolves.toMatch(
      /Проверка ключа: Ключу не хватает прав: telephony_read, integration_read, integration_write/,
    );
    await shot('02-check-missing-scopes');
  });

  it('a wrong key: the check says RetailCRM refused it, shown as the last error with its time', async () => {
    await page.fill('input[name=apiKey]', 'browser-wrong-key-000000000000');
    await page.click('#check');
    await page.waitForSelector('#check-result.err:not([hidden]) >> text=RetailCRM не принял API-ключ');
    await page.waitForSelector('#last-error >> text=Wrong'); // the state reloads after the answer
    await expect(page.textContent('#last-error')).resolves.toMatch(
      /^\d\d\.\d\d\.\d{4}, \d\d:\d\d:\d\d — Проверка ключа: Wrong "apiKey" value\.$/,
    );
    await expect(page.getAttribute('#last-error', 'class')).resolves.toBe('err');
    await shot('02b-check-failed-last-error');
    await page.fill('input[name=apiKey]', KEY);
    await page.click('#check');
    await page.waitForSelector('#check-result.ok:not([hidden])');
    await page.waitForSelector('#last-success >> text=Проверка ключа');
    // The fake refused only the wrong key; from here on any refusal is a contract violation.
    expect(fake.state.rejections.map((r) => r.reason)).toEqual(['wrong_api_key']);
    fake.state.rejections.length = 0;
  });

  it('save and register: the key is masked afterwards and the fake accepted the module', async () => {
    await page.check('input[name=enabled]', { force: true });
    await page.click('#save');
    await page.waitForSelector('#check-result.ok >> text=Модуль зарегистрирован');
    // The page reloads its state after the result shows: the masked key is the sign it is done.
    await page.waitForSelector('input[name=apiKey][placeholder*="••••"]');
    await expect(page.inputValue('input[name=apiKey]')).resolves.toBe('');
    await expect(page.getAttribute('input[name=apiKey]', 'placeholder')).resolves.toContain('••••');
    expect(await page.content()).not.toContain(KEY);
    await expect(page.textContent('#badge')).resolves.toBe('Включено');
    await expect(page.textContent('#last-success')).resolves.toContain('Регистрация модуля');
    expect(fake.state.rejections).toEqual([]);
    expect(fake.state.modules[CODE]).toMatchObject({
      active: true,
      baseUrl: base,
      logo: `${base}/retailcrm-admin/assets/logo.svg`,
    });
    await shot('03-connection-registered');
  });

  it('another address without a new key: the page asks for the key, the server refuses to send the stored one', async () => {
    const requests = fake.state.requests;
    await page.fill('input[name=domain]', 'https://attacker.example');
    await expect(page.textContent('#key-hint')).resolves.toContain('Адрес изменился');
    await page.click('#check');
    await page.waitForSelector('#check-result.err:not([hidden]) >> text=введите API-ключ');
    await shot('03b-address-changed-key-required');
    expect(fake.state.requests).toBe(requests);
    await page.fill('input[name=domain]', crmUrl);
    await expect(page.textContent('#key-hint')).resolves.not.toContain('Адрес изменился');
  });

  it('maps two managers; RetailCRM then holds exactly those additionalCodes', async () => {
    await page.click('a[data-tab=managers]');
    await page.waitForSelector('select[data-user="18"]');
    const rows = await page.$$eval('table.managers tbody tr', (trs) => trs.map((t) => t.getAttribute('data-user')));
    expect(rows.sort()).toEqual(['18', '19', '20']); // active users only, all of them
    await page.selectOption('select[data-user="18"]', '151');
    await page.selectOption('select[data-user="19"]', '152');
    await shot('04-managers-edited');
    await page.click('#save-managers');
    await page.waitForSelector('#managers-result.ok');
    expect((await crmModule()).integrations.telephony.additionalCodes).toEqual([
      { userId: 18, code: '151' },
      { userId: 19, code: '152' },
    ]);
    await shot('05-managers-saved');
  });

  it('giving an extension to another manager says who lost it, and RetailCRM follows', async () => {
    await page.selectOption('select[data-user="20"]', '151');
    await page.click('#save-managers');
    await page.waitForSelector('#managers-result.ok >> text=снят с менеджера');
    await expect(page.textContent('#managers-result')).resolves.toContain('Номер 151 снят с менеджера «Смирнова Анна»');
    await expect(page.inputValue('select[data-user="18"]')).resolves.toBe('');
    expect((await crmModule()).integrations.telephony.additionalCodes).toEqual([
      { userId: 19, code: '152' },
      { userId: 20, code: '151' },
    ]);
    expect(fake.state.rejections).toEqual([]);
    await shot('06-managers-moved');
  });

  it('one number chosen for two managers in one save: the page says which number and who, nothing changes', async () => {
    await page.selectOption('select[data-user="18"]', '153');
    await page.selectOption('select[data-user="19"]', '153');
    await page.click('#save-managers');
    await page.waitForSelector('#managers-result.err:not([hidden])');
    await expect(page.textContent('#managers-result')).resolves.toBe(
      'Номер 153 выбран сразу у двух менеджеров: Смирнова Анна и Козлов Борис. Оставьте его одному.',
    );
    await shot('06b-managers-conflict');
    expect((await crmModule()).integrations.telephony.additionalCodes).toEqual([
      { userId: 19, code: '152' },
      { userId: 20, code: '151' },
    ]);
    await page.click('a[data-tab=connection]');
    await page.click('a[data-tab=managers]'); // reload: the unsaved choices are dropped
    await page.waitForSelector('select[data-user="18"]');
    await expect(page.inputValue('select[data-user="18"]')).resolves.toBe('');
    await expect(page.isVisible('#managers-result')).resolves.toBe(false);
  });

  it('the filter box narrows the list by name or number and keeps edits of hidden rows', async () => {
    await page.fill('#managers-filter', 'козл');
    const visible = () =>
      page.$$eval('table.managers tbody tr[data-user]:not([hidden])', (trs) =>
        trs.map((t) => t.getAttribute('data-user')),
      );
    await expect(visible()).resolves.toEqual(['19']);
    await expect(page.textContent('#managers-count')).resolves.toBe('Найдено: 1 из 3');
    await shot('06c-managers-filter');
    await page.fill('#managers-filter', '151');
    await expect(visible()).resolves.toEqual(['20']);
    await page.fill('#managers-filter', 'нет такого');
    await expect(visible()).resolves.toEqual([]);
    await expect(page.isVisible('#managers-empty')).resolves.toBe(true);
    await page.fill('#managers-filter', '');
    await expect(visible()).resolves.toHaveLength(3);
    // An edit of a row the filter then hides is saved with the rest.
    await page.selectOption('select[data-user="18"]', '153');
    await page.fill('#managers-filter', 'козл');
    await page.click('#save-managers');
    await page.waitForSelector('#managers-result.ok:not([hidden])');
    expect((await crmModule()).integrations.telephony.additionalCodes).toEqual([
      { userId: 18, code: '153' },
      { userId: 19, code: '152' },
      { userId: 20, code: '151' },
    ]);
    await page.fill('#managers-filter', '');
  });

  it('the journal shows the registrations, newest first, expandable, without the key', async () => {
    await page.click('a[data-tab=journal]');
    await page.waitForSelector('#journal-rows tr.row');
    const kinds = await page.$$eval('#journal-rows tr.row', (trs) => trs.map((t) => t.getAttribute('data-kind')));
    expect(kinds[0]).toBe('module.edit');
    expect(kinds.filter((k) => k === 'module.edit').length).toBeGreaterThanOrEqual(3);
    await page.click('#journal-rows tr.row >> nth=0');
    await page.waitForSelector('#journal-rows tr.details:not([hidden])');
    const details = await page.textContent('#journal-rows tr.details:not([hidden])');
    expect(details).toContain('integrationModule');
    expect(details).toContain('token=[redacted]');
    expect(await page.content()).not.toContain(KEY);
    await shot('07-journal');
    await page.selectOption('select[name=status]', 'error');
    await page.click('#journal-filter button[type=submit]');
    await page.waitForSelector('#page-info >> text=записей: 2');
    const failed = await page.$$eval('#journal-rows tr.row', (trs) =>
      trs.map((t) => [t.getAttribute('data-kind'), t.querySelector('.pill')?.className]),
    );
    expect(failed).toEqual([
      ['credentials', 'pill err'],
      ['credentials', 'pill err'],
    ]); // the wrong key, the weak key
    await page.fill('input[name=callId]', 'no-such-call');
    await page.click('#journal-filter button[type=submit]');
    await page.waitForSelector('#journal-rows td.empty');
  });

  it('missed-call tasks: switched on with a fallback user and a delay; a key without task scopes is refused, the page lists them', async () => {
    const stored = async () =>
      (
        await sql<{ t: unknown; k: string }[]>`
          select integrations_config->'retailcrm'->'missed_call_tasks' as t, integrations_config->'retailcrm'->>'api_key' as k
          from enterprises where number = ${ENT}`
      )[0]!;
    await page.click('a[data-tab=connection]');
    await page.waitForSelector('#tasks-form');
    await expect(page.inputValue('#tasks-form input[name=dueMinutes]')).resolves.toBe('15');
    await page.check('#tasks-form input[name=enabled]', { force: true });
    await page.fill('#tasks-form input[name=fallbackUserId]', '19');
    await page.fill('#tasks-form input[name=dueMinutes]', '30');
    await page.click('#save-tasks');
    await page.waitForSelector('#tasks-result.ok >> text=задачи по пропущенным звонкам создаются');
    expect((await stored()).t).toEqual({ enabled: true, fallback_user_id: 19, due_minutes: 30 });
    await shot('08-missed-call-tasks-on');
    await page.uncheck('#tasks-form input[name=enabled]', { force: true });
    await page.click('#save-tasks');
    await page.waitForSelector('#tasks-result.ok >> text=задачи не создаются');
    // The stored key swapped (in SQL) for one without task scopes: switching on is refused and explained.
    const key = (await stored()).k;
    await sql`update enterprises set integrations_config = jsonb_set(integrations_config, '{retailcrm,api_key}', to_jsonb(${WEAK_KEY}::text)) where number = ${ENT}`;
    try {
      await page.check('#tasks-form input[name=enabled]', { force: true });
      await page.click('#save-tasks');
      await page.waitForSelector('#tasks-result.err >> text=не хватает прав');
      const text = await page.textContent('#tasks-result');
      expect(text).toContain('task_read');
      expect(text).toContain('task_write');
      await expect(page.isChecked('#tasks-form input[name=enabled]')).resolves.toBe(false);
      expect((await stored()).t).toEqual({ enabled: false, fallback_user_id: 19, due_minutes: 30 });
      await shot('08b-missed-call-tasks-scopes-missing');
    } finally {
      await sql`update enterprises set integrations_config = jsonb_set(integrations_config, '{retailcrm,api_key}', to_jsonb(${key}::text)) where number = ${ENT}`;
    }
  });

  it('customer creation: switched on and off; a key without customer_write is refused, the page says so', async () => {
    const stored = async () =>
      (
        await sql<{ c: unknown; k: string }[]>`
          select integrations_config->'retailcrm'->'create_customers' as c, integrations_config->'retailcrm'->>'api_key' as k
          from enterprises where number = ${ENT}`
      )[0]!;
    await page.click('a[data-tab=connection]');
    await page.waitForSelector('#customers-form');
    await expect(page.isChecked('#customers-form input[name=enabled]')).resolves.toBe(false);
    await page.check('#customers-form input[name=enabled]', { force: true });
    await page.click('#save-customers');
    await page.waitForSelector('#customers-result.ok >> text=клиенты для незнакомых номеров создаются');
    expect((await stored()).c).toBe(true);
    await shot('08c-create-customers-on');
    await page.uncheck('#customers-form input[name=enabled]', { force: true });
    await page.click('#save-customers');
    await page.waitForSelector('#customers-result.ok >> text=клиенты не создаются');
    expect((await stored()).c).toBe(false);
    const key = (await stored()).k;
    await sql`update enterprises set integrations_config = jsonb_set(integrations_config, '{retailcrm,api_key}', to_jsonb(${WEAK_KEY}::text)) where number = ${ENT}`;
    try {
      await page.check('#customers-form input[name=enabled]', { force: true });
      await page.click('#save-customers');
      await page.waitForSelector('#customers-result.err >> text=не хватает прав');
      await expect(page.textContent('#customers-result')).resolves.toContain('customer_write');
      await expect(page.isChecked('#customers-form input[name=enabled]')).resolves.toBe(false);
      expect((await stored()).c).toBe(false);
      await shot('08d-create-customers-scope-missing');
    } finally {
      await sql`update enterprises set integrations_config = jsonb_set(integrations_config, '{retailcrm,api_key}', to_jsonb(${key}::text)) where number = ${ENT}`;
    }
  });

  it("refuses a tampered token, another enterprise's token and a revoked token", async () => {
    const fresh = await browserPage();
    // tampered: one character of the signature changed
    const { token } = await operatorLink(ENT);
    const tampered = token.slice(0, -3) + (token.endsWith('AAA') ? 'BBB' : 'AAA');
    await fresh.goto(`${base}/retailcrm-admin/auth?token=${tampered}`);
    expect(await fresh.getAttribute('[data-denied]', 'data-denied')).toBe('invalid');
    await fresh.screenshot({ path: join(SHOTS, '08-denied-tampered.png') });
    // another enterprise: RetailCRM account of 402 (its clientId) opening 401's link, as a form POST
    const mine = await operatorLink(ENT);
    await fresh.setContent(
      `<form method="post" action="${mine.url}"><input name="clientId" value="client-of-402-0000000000000000"></form>`,
    );
    await Promise.all([fresh.waitForNavigation(), fresh.evaluate('document.forms[0].submit()')]);
    expect(await fresh.getAttribute('[data-denied]', 'data-denied')).toBe('wrong_account');
    await expect(fresh.textContent('.lead')).resolves.toContain('другого предприятия');
    await fresh.screenshot({ path: join(SHOTS, '09-denied-other-enterprise.png') });
    // …and a correctly signed token claiming 402 with a jti recorded for 401: the same answer
    const c = app.rcrmConfig;
    const crossed = signLink(c.JWT_SECRET, {
      jti: mine.jti,
      enterprise: OTHER,
      issuedAt: new Date(),
      expiresAt: new Date(Date.now() + 3_600_000),
    });
    await fresh.goto(linkUrl(base, crossed));
    expect(await fresh.getAttribute('[data-denied]', 'data-denied')).toBe('wrong_account');
    // revoked: the very first link, revoked when the module was registered
    await fresh.goto(firstLink.url);
    expect(await fresh.getAttribute('[data-denied]', 'data-denied')).toBe('revoked');
    await fresh.screenshot({ path: join(SHOTS, '10-denied-revoked.png') });
    // and without any session the page itself is refused
    await fresh.goto(`${base}/retailcrm-admin/`);
    expect(await fresh.getAttribute('[data-denied]', 'data-denied')).toBe('no_session');
    await fresh.screenshot({ path: join(SHOTS, '10b-denied-no-session.png') });
    // An enterprise admin reads these pages: the way back is RetailCRM or the operator, not a CLI command.
    expect(await fresh.content()).not.toMatch(/pnpm|fleet retailcrm/);
    await fresh.close();
  });

  it("the module's own accountUrl opens the page (GET and POST with its clientId)", async () => {
    const accountUrl = String(fake.state.modules[CODE]!.accountUrl);
    const clientId = String(fake.state.modules[CODE]!.clientId);
    expect(clientId).not.toBe(ENT);
    const fresh = await browserPage();
    await fresh.setContent(
      `<form method="post" action="${accountUrl}"><input name="clientId" value="${clientId}"></form>`,
    );
    await Promise.all([fresh.waitForNavigation(), fresh.evaluate('document.forms[0].submit()')]);
    await fresh.waitForSelector('body[data-ready="1"]');
    expect(fresh.url()).toBe(`${base}/retailcrm-admin/`);
    await fresh.close();
    const byGet = await browserPage();
    await byGet.goto(accountUrl);
    await byGet.waitForSelector('body[data-ready="1"]');
    expect(byGet.url()).toBe(`${base}/retailcrm-admin/`);
    await byGet.close();
  });

  it('delete while RetailCRM does not answer: nothing removed, the reason, "retry" and "remove here only"', async () => {
    page.on('dialog', (d) => void d.accept());
    await page.click('a[data-tab=connection]');
    fake.setFaults({ fail503Next: 1000 });
    await page.click('#delete');
    await page.waitForSelector('#check-result.err:not([hidden]) >> text=Интеграция не удалена');
    await expect(page.textContent('#check-result')).resolves.toContain('выключить не удалось');
    expect(await page.$$eval('#check-result button', (bs) => bs.map((b) => b.textContent))).toEqual([
      'Повторить',
      'Удалить только здесь',
    ]);
    await shot('11a-delete-failed');
    expect(
      (await sql`select integrations_config->'retailcrm'->>'domain' as d from enterprises where number = ${ENT}`)[0]!.d,
    ).toBe(crmUrl);
    fake.setFaults({});
  });

  it('retrying switches the module off at RetailCRM, removes the config and closes access', async () => {
    await page.click('#check-result button[data-delete=retry]');
    await page.waitForSelector('[data-deleted="off"]');
    await expect(page.textContent('[data-deleted] .lead')).resolves.toBe(
      'Модуль «fleet-telephony» в RetailCRM выключен.',
    );
    await expect(page.isVisible('[data-deleted] img[src$="logo.svg"]')).resolves.toBe(true);
    await shot('11-deleted');
    expect((await crmModule()).active).toBe(false);
    expect(fake.state.rejections.filter((r) => r.reason !== 'fault_503')).toEqual([]);
    expect(
      (await sql`select integrations_config->'retailcrm' as c from enterprises where number = ${ENT}`)[0]!.c,
    ).toBeNull();
    await page.goto(`${base}/retailcrm-admin/`);
    expect(await page.getAttribute('[data-denied]', 'data-denied')).toBe('no_session');
  });
});

/** A page in a fresh, cookie-less context of the same browser. */
async function browserPage(): Promise<Page> {
  const p = await ctx
    .browser()!
    .newContext({ locale: 'ru-RU' })
    .then((c) => c.newPage())
    .catch(async () => {
      // launchPersistentContext has no browser() handle: clear cookies and use a new page instead
      await ctx.clearCookies();
      return ctx.newPage();
    });
  return p;
}
