// fleet telegram / extension / line against a real PostgreSQL and the Bot API fake: the token is
// checked with getMe and never printed, invites are one-time deep links, webhook registers the
// bot's secret at PUBLIC_BASE_URL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSql, createTestDatabase, type Sql, type TestDatabase } from '@fleet/db';
import { decryptSecret, isEncrypted, resolveSecrets } from '@fleet/secrets';
import { createTelegramFake, type TelegramFake } from '@fleet/telegram-fake';
import { runFleet } from '../src/index.ts';

const TOKEN = '5550001:CLI-token-abcdefghijklmnop';
let db: TestDatabase;
let sql: Sql;
let fake: TelegramFake;
let env: Record<string, string>;

async function fleet(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runFleet(argv, {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    connect: async () => ({ sql, close: async () => {} }),
    env,
  });
  return { code, out, err };
}

beforeAll(async () => {
  db = await createTestDatabase();
  sql = createSql(db.url, { max: 2 });
  fake = createTelegramFake({ bots: [{ token: TOKEN, username: 'shop_bot' }] });
  env = { NODE_ENV: 'test', TELEGRAM_API_ROOT: await fake.listen(), PUBLIC_BASE_URL: 'https://fleet.example' };
  await sql`insert into enterprises (number, name, host_token) values ('201', 'Shop', '375291110201')`;
});
afterAll(async () => {
  await fake.close();
  await sql.end();
  await db.drop();
});

describe('fleet telegram', () => {
  it('set-token validates with getMe, stores the bot, never prints the token', async () => {
    expect((await fleet('telegram', 'set-token', '--enterprise', '201', '--token', 'nonsense')).code).toBe(2);
    expect((await fleet('telegram', 'set-token', '--enterprise', '201', '--token', '1:wrong')).code).toBe(2); // 401 from Telegram
    expect((await fleet('telegram', 'set-token', '--enterprise', '999', '--token', TOKEN)).code).toBe(3);
    const r = await fleet('telegram', 'set-token', '--enterprise', '201', '--token', TOKEN);
    expect(r).toMatchObject({ code: 0, out: ['bot @shop_bot (id 5550001) set for enterprise 201, token ****mnop'] });
    const [bot] = await sql`select bot_id::text, username, token, mode from telegram_bots where enterprise = '201'`;
    expect(bot).toMatchObject({ bot_id: '5550001', username: 'shop_bot', mode: 'polling' });
    // Encrypted at rest with SECRETS_KEY, bound to the enterprise (the test key under NODE_ENV=test).
    expect(isEncrypted(bot!.token)).toBe(true);
    expect(decryptSecret(resolveSecrets({ NODE_ENV: 'test' }).secretsKey, bot!.token, '201')).toBe(TOKEN);
  });

  it('invite prints a one-time deep link; recipients lists linked chats', async () => {
    const r = await fleet('telegram', 'invite', '--enterprise', '201', '--extension', '151');
    expect(r.code).toBe(0);
    const code = /^https:\/\/t\.me\/shop_bot\?start=([\w-]+)$/.exec(r.out[0]!)![1]!;
    const [inv] = await sql`select enterprise, extension, used_at from telegram_invites where code = ${code}`;
    expect(inv).toEqual({ enterprise: '201', extension: '151', used_at: null });
    expect((await fleet('telegram', 'recipients', '--enterprise', '201')).out[0]).toMatch(/no recipients/);
    await sql`insert into telegram_recipients (enterprise, chat_id, kind, extension) values ('201', 42, 'manager', '151')`;
    expect((await fleet('telegram', 'recipients', '--enterprise', '201')).out[1]).toMatch(/^42\s+manager\s+151\s+yes/);
  });

  it('webhook registers PUBLIC_BASE_URL/telegram/webhook/<bot id> with the secret; status shows it', async () => {
    expect((await fleet('telegram', 'webhook', '--enterprise', '201')).out).toEqual([
      'webhook of @shop_bot: https://fleet.example/telegram/webhook/5550001',
    ]);
    const [bot] = await sql`select webhook_secret, mode from telegram_bots where enterprise = '201'`;
    expect(fake.bot(TOKEN).webhook).toMatchObject({
      url: 'https://fleet.example/telegram/webhook/5550001',
      secretToken: bot!.webhook_secret,
    });
    expect(bot!.mode).toBe('webhook');
    const s = await fleet('telegram', 'status', '--enterprise', '201');
    expect(s.code).toBe(0);
    expect(s.out.join('\n')).toContain('mode:             webhook https://fleet.example/telegram/webhook/5550001');
    expect(s.out.join('\n')).toContain('recipients:       1 active of 1');
    expect(s.out.join('\n')).not.toContain(TOKEN);
    expect(s.out.join('\n')).toContain('token ****mnop');
    // The same token again keeps the secret and the mode (compared decrypted: ciphertexts differ).
    expect((await fleet('telegram', 'set-token', '--enterprise', '201', '--token', TOKEN)).code).toBe(0);
    const [again] = await sql`select webhook_secret, mode from telegram_bots where enterprise = '201'`;
    expect(again).toEqual(bot);
  });

  it("status shows the updates Telegram holds, its webhook error and the fleet's last error", async () => {
    const quiet = (await fleet('telegram', 'status', '--enterprise', '201')).out.join('\n');
    expect(quiet).toContain('pending updates:  0');
    expect(quiet).toContain('telegram error:   -');
    expect(quiet).toContain('last error:       -');
    fake.pushUpdate(TOKEN, { message: { text: '/start x', chat: { id: 7 } } });
    fake.pushUpdate(TOKEN, { message: { text: '/stop', chat: { id: 7 } } });
    fake.bot(TOKEN).webhook.lastErrorMessage = 'Wrong response from the webhook: 502 Bad Gateway';
    await sql`update telegram_bots set last_error = 'Forbidden: bot was blocked by the user', last_error_at = '2026-01-02T03:04:05Z' where enterprise = '201'`;
    const s = await fleet('telegram', 'status', '--enterprise', '201');
    expect(s.code).toBe(0);
    expect(s.out).toContain('  pending updates:  2');
    expect(s.out).toContain('  telegram error:   Wrong response from the webhook: 502 Bad Gateway');
    expect(s.out).toContain('  last error:       Forbidden: bot was blocked by the user (2026-01-02T03:04:05.000Z)');
    fake.bot(TOKEN).webhook.lastErrorMessage = null;
    fake.bot(TOKEN).updates = [];
    await sql`update telegram_bots set last_error = null, last_error_at = null where enterprise = '201'`;
  });

  it('still reads a legacy plain token; says so when the stored one cannot be decrypted', async () => {
    await sql`update telegram_bots set token = ${TOKEN} where enterprise = '201'`;
    expect((await fleet('telegram', 'status', '--enterprise', '201')).out.join('\n')).toContain('token ****mnop');
    await sql`update telegram_bots set token = 'enc:v1:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA:AAAA' where enterprise = '201'`;
    const s = await fleet('telegram', 'status', '--enterprise', '201');
    expect(s.out.join('\n')).toContain('token encrypted (not readable with this SECRETS_KEY)');
    expect(s.out).toContain('  pending updates:  -'); // Telegram cannot be asked without the token
    expect(s.out.join('\n')).toMatch(/telegram error: {3}getWebhookInfo failed: .*cannot be decrypted/);
    const w = await fleet('telegram', 'webhook', '--enterprise', '201');
    expect(w.code).toBe(2);
    expect(w.err.join('\n')).toMatch(/cannot be decrypted/);
    expect((await fleet('telegram', 'set-token', '--enterprise', '201', '--token', TOKEN)).code).toBe(0);
  });

  it('extension add and line add fill the directories (names replaced on repeat)', async () => {
    expect((await fleet('extension', 'add', '--enterprise', '201', '--extension', '151', '--name', 'Иван')).code).toBe(
      0,
    );
    expect(
      (await fleet('extension', 'add', '--enterprise', '201', '--extension', '151', '--name', 'Иван Петров')).code,
    ).toBe(0);
    expect((await fleet('line', 'add', '--enterprise', '201', '--trunk', '0001363', '--name', 'МТС')).out).toEqual([
      'line 0001363 → МТС (enterprise 201)',
    ]);
    expect(await sql`select extension, name from extension_directory`).toEqual([
      { extension: '151', name: 'Иван Петров' },
    ]);
    expect((await fleet('extension', 'add', '--enterprise', '201', '--extension', '1', '--name', 'x')).code).toBe(2);
  });
});
