// The «Звонки» tab in a real browser (Debian's chromium through playwright-core), over the test day of
// calls-day.ts: what an enterprise admin sees of the customer calls, the missed ones that were called
// back (and how fast), those still waiting for a call, and the per-day / per-manager summary; also the
// mapping drift RetailCRM's popup answers reported (issue 14 item 4) on the Connection section. Screenshots
// go to test-artifacts/admin/ (gitignored) next to the other tabs' for a human to look at.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createSql, createTestDatabase, type Sql, type TestDatabase } from '@fleet/db';
import { createRetailCrmFake, type RetailCrmFake } from '@fleet/retailcrm-fake';
import type { FastifyInstance } from 'fastify';
import { issueLink, linkUrl } from '@fleet/retailcrm-admin';
import { buildApp, loadRetailCrmConfig } from '../src/index.ts';
import { freePort } from '../../../test/support/net.ts';
import { insertEnterprise, KEY } from './fixtures.ts';
import { insertCalls, insertDayTasks } from './calls-day.ts';

const ENT = '201';
const SHOTS = resolve(import.meta.dirname, '../../../test-artifacts/admin');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let db: TestDatabase;
let sql: Sql;
let fake: RetailCrmFake;
let app: FastifyInstance;
let profile: string;
let ctx: BrowserContext;
let page: Page;

const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
const rowIds = () => page.$$eval('#calls-rows tr[data-call]', (trs) => trs.map((t) => t.getAttribute('data-call')));

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  db = await createTestDatabase();
  sql = createSql(db.url, { max: 5 });
  fake = createRetailCrmFake({
    apiKeys: [{ key: KEY }],
    users: [{ id: 18, active: true }],
    customers: [{ id: 7, firstName: 'Ольга', lastName: 'Петрова', phones: [{ number: '+375 29 111-11-11' }] }],
  });
  const crm = await fake.listen();
  await insertEnterprise(sql, ENT, {
    enabled: true,
    domain: crm,
    api_key: KEY,
    client_id: 'client-of-201-0000000000000000',
    user_extensions: { '18': '151' },
    record_url_template: 'https://rec.example/{enterprise}/{uniqueId}.mp3',
  });
  await insertEnterprise(sql, '202', null);
  await sql`update enterprises set name = 'Магазин «Ромашка»' where number = ${ENT}`;
  await sql`insert into extension_directory (enterprise, extension, name) values (${ENT}, '151', 'Анна Смирнова'), (${ENT}, '152', 'Борис Козлов')`;
  await insertCalls(sql);
  await insertDayTasks(sql);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const config = loadRetailCrmConfig({
    NODE_ENV: 'test',
    DATABASE_URL: db.url,
    LOG_LEVEL: 'silent',
    PUBLIC_BASE_URL: base,
    RETAILCRM_PORT: String(port),
  });
  app = await buildApp({ sql, config, logger: false });
  await app.listen({ port, host: '127.0.0.1' });
  // A card or a popup already asked RetailCRM about this number: the tab shows the name from that cache.
  await app.rcrmCustomerLookup(ENT, '+375291111111');
  profile = mkdtempSync(join(tmpdir(), 'fleet-chromium-'));
  ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
    viewport: { width: 1200, height: 860 },
    locale: 'ru-RU',
    timezoneId: 'Asia/Tokyo', // not the enterprise's zone: the tab must show Minsk times anyway
  });
  page = ctx.pages()[0] ?? (await ctx.newPage());
  const c = app.rcrmConfig;
  const link = await issueLink(sql, c.JWT_SECRET, ENT, 'operator', c.ADMIN_LINK_TTL_DAYS);
  await page.goto(linkUrl(c.PUBLIC_BASE_URL, link.token));
  await page.waitForSelector('body[data-ready="1"]');
}, 60_000);

afterAll(async () => {
  await ctx?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  await app?.close();
  await fake?.close();
  await sql?.end();
  await db?.drop();
});

async function show(filter: string) {
  await page.selectOption('#calls-filter select[name=filter]', filter);
  await page.waitForSelector(`#calls-rows[data-shown^="${filter}:"]`); // the page marks what it rendered
}

describe('calls tab in chromium', () => {
  it("the tab over a period: every customer call in the enterprise's time, and the per-day and per-manager summary", async () => {
    await page.click('a[data-tab=calls]');
    await page.waitForSelector('#calls-info >> text=Страница');
    await page.fill('#calls-filter input[name=from]', '2024-03-01');
    await page.fill('#calls-filter input[name=to]', '2024-03-02');
    await page.click('#calls-filter button[type=submit]');
    await page.waitForSelector('#calls-info >> text=звонков: 13');
    expect(page.url()).toMatch(/#calls$/);
    const summary = await page.textContent('#calls-summary');
    expect(summary).toContain('Пропущено6');
    expect(summary).toContain('Перезвонили4');
    expect(summary).toContain('Ждут звонка2');
    expect(summary).toContain('17 мин 40 с'); // median of 6:30, 15:10, 20:10, 30:00
    const day1 = await page.$$eval('#calls-days tr[data-day="2024-03-01"] td', (tds) => tds.map((t) => t.textContent));
    expect(day1).toEqual(['01.03.2024', '10', '5', '3', '2', '15 мин 10 с']);
    const managers = await page.$$eval('#calls-managers tr', (trs) =>
      trs.map((t) => [...t.querySelectorAll('td')].map((td) => td.textContent)),
    );
    expect(managers).toEqual([
      ['Анна Смирнова · 151', '3', '1', '2', '6 мин 30 с'],
      ['Борис Козлов · 152', '3', '3', '0', '20 мин 10 с'],
    ]);
    const answered = await page.textContent('#calls-rows tr[data-call="c-1400"]');
    expect(answered).toContain('01.03.2024 14:00'); // Minsk time, though the browser is in Tokyo
    expect(answered).toContain('разговор');
    expect(answered).toContain('2:00');
    await expect(page.getAttribute('#calls-rows tr[data-call="c-1400"] a', 'href')).resolves.toBe(
      'https://rec.example/201/c-1400.mp3',
    );
    await shot('20-calls-all-summary');
  });

  it('missed: only incoming calls nobody answered, with their task in RetailCRM', async () => {
    await show('missed');
    expect(await rowIds()).toEqual(['d-0900', 'c-1200', 'c-1100', 'c-1005', 'c-1000', 'c-0900']);
    await expect(page.textContent('#calls-rows tr[data-call="c-1100"] .outcome')).resolves.toBe(
      'пропущензадача #502 открыта',
    );
    await expect(page.textContent('#calls-rows tr[data-call="c-0900"] .outcome')).resolves.toBe(
      'пропущензадача #501 закрыта',
    );
    await shot('21-calls-missed');
  });

  it('called back: how long the client waited, who called whom, and the cached customer name', async () => {
    await show('called-back');
    expect(await rowIds()).toEqual(['d-0900', 'c-1005', 'c-1000', 'c-0900']);
    const first = await page.textContent('#calls-rows tr[data-call="c-0900"]');
    expect(first).toContain('Петрова Ольга');
    await expect(page.textContent('#calls-rows tr[data-call="c-0900"] .callback')).resolves.toBe(
      'через 6 мин 30 с01.03.2024 09:06, мы позвонили',
    );
    await expect(page.textContent('#calls-rows tr[data-call="c-1000"] .callback')).resolves.toBe(
      'через 20 мин 10 с01.03.2024 10:20, клиент дозвонился',
    );
    await shot('22-calls-called-back');
  });

  it('still open: missed calls nobody has reached yet, highlighted', async () => {
    await show('open');
    expect(await rowIds()).toEqual(['c-1200', 'c-1100']);
    await expect(page.$$eval('#calls-rows tr.open', (trs) => trs.length)).resolves.toBe(2);
    await expect(page.textContent('#calls-rows tr[data-call="c-1100"] .callback')).resolves.toBe('ждёт звонка');
    await shot('23-calls-open');
  });

  it('a day without calls says so', async () => {
    await page.fill('#calls-filter input[name=from]', '2024-04-01');
    await page.fill('#calls-filter input[name=to]', '2024-04-01');
    await page.click('#calls-filter button[type=submit]');
    await page.waitForSelector('#calls-info >> text=звонков: 0');
    await expect(page.textContent('#calls-rows')).resolves.toContain('Звонков нет');
  });

  it('mapping drift: the extensions and users RetailCRM reported unknown are named on the Connection section', async () => {
    await app.rcrmDrift.note(ENT, 'c-1000', { success: true, notExistCodes: ['152', '153'], notExistUsers: [25] });
    await page.goto(page.url().replace(/#.*$/, '#connection'));
    await page.reload();
    await page.waitForSelector('body[data-ready="1"]');
    await page.waitForSelector('#drift:not([hidden])');
    const items = await page.$$eval('#drift li', (lis) => lis.map((l) => l.getAttribute('data-drift')));
    expect(items).toEqual(['code:152', 'code:153', 'user:25']);
    const text = await page.textContent('#drift');
    expect(text).toContain('внутренний номер 153 не сопоставлен в RetailCRM');
    expect(text).toContain('пользователь RetailCRM #25 не найден в RetailCRM');
    await shot('24-mapping-drift');
  });
});
