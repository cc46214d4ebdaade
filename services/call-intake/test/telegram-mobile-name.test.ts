// Scenario 2-5 (answered only on a manager's mobile) through call-intake to the Bot API fake: where the
// operator mapped the mobile (`fleet extension add --mobile`, extension_directory.mobile) the final
// message names the manager, escaped; where not, it shows the number as before.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql, TestDatabase } from '@fleet/db';
import type { TelegramFake } from '@fleet/telegram-fake';
import { intake, scenario, withDatabase } from './helpers.ts';
import { addTelegramEnterprise, chatView, FAST, post, startFake, telegramConfig } from './telegram-harness.ts';

const MAPPED = '8201:MOBILE-NAME-token';
const UNMAPPED = '8202:MOBILE-NUMBER-token';
const CHAT = 3001;

let db: TestDatabase;
let sql: Sql;
let fake: TelegramFake;
let app: Awaited<ReturnType<typeof intake>>;

beforeAll(async () => {
  ({ db, sql } = await withDatabase());
  let root: string;
  ({ fake, root } = await startFake(
    [
      { token: MAPPED, username: 'mapped_bot' },
      { token: UNMAPPED, username: 'unmapped_bot' },
    ],
    FAST,
  ));
  await addTelegramEnterprise(sql, { number: '401', hostToken: 'HOST-401', botToken: MAPPED, chats: [CHAT] });
  await addTelegramEnterprise(sql, { number: '402', hostToken: 'HOST-402', botToken: UNMAPPED, chats: [CHAT] });
  // 375290000002 is the corpus's manager mobile; only enterprise 401 says whose it is.
  await sql`insert into extension_directory (enterprise, extension, name, mobile) values
            ('401', '151', 'Иван <Петров>', '375290000002'), ('402', '151', 'Иван <Петров>', null)`;
  app = await intake(sql, { ...telegramConfig(root), TELEGRAM_GREETING_DELAY_MS: 0 } as never);
  await post(app, scenario('2-5'), 'HOST-401');
  await post(app, scenario('2-5'), 'HOST-402');
  // settleMs and closeWithoutHangupMs are 0 here: two sweeps close the call the host never hung up.
  await app.processor.sweep();
  await new Promise((r) => setTimeout(r, 10));
  await app.processor.sweep();
  await app.telegram.worker.idle();
});
afterAll(async () => {
  await app.close();
  await fake.close();
  await sql.end();
  await db.drop();
});

describe('2-5 answered on a mobile', () => {
  it('a mapped mobile: the final names the manager, "(мобильный)", escaped', () => {
    const { finals, live } = chatView(fake, MAPPED, CHAT);
    expect(live).toEqual([]);
    expect(finals).toHaveLength(1);
    expect(finals[0]!.text).toMatch(/^<b>✅ Успешный входящий звонок<\/b>/);
    expect(finals[0]!.text).toContain('Менеджер: Иван &lt;Петров&gt; (мобильный)');
    expect(finals[0]!.text).not.toContain('000-00-02');
  });

  it('an unmapped mobile: the final shows the number, as before', () => {
    const { finals } = chatView(fake, UNMAPPED, CHAT);
    expect(finals).toHaveLength(1);
    expect(finals[0]!.text).toContain('Менеджер: +375 (29) 000-00-02 (мобильный)');
  });

  it('the fake refused nothing', () => {
    expect(fake.violations()).toEqual([]);
  });
});
