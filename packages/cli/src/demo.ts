// `pnpm demo`: `start`, plus a local RetailCRM sandbox (the strict fake the tests use), a demo
// enterprise connected to it, a replay of a few recorded calls, and a summary of what the CRM got.
// Telegram too: a Bot API sandbox (the strict fake) with the enterprise's bot and two recipient
// chats, and what each chat shows at the end.
// `--exit` stops everything after the summary (a smoke test); otherwise the fleet keeps running.
import { readFileSync } from 'node:fs';
import { createSql } from '@fleet/db';
import { mergeRetailcrmConfig } from '@fleet/retailcrm-admin';
import { createRetailCrmFake, summarize } from '@fleet/retailcrm-fake';
import { encryptSecret, parseSecretsKey } from '@fleet/secrets';
import { createTelegramFake } from '@fleet/telegram-fake';
import { secretsEnv } from './fleet-services.ts';
import { bootFleet } from './boot.ts';
import { freshIds, randomIdSuffix } from './replay/fresh-ids.ts';
import { replayEvents } from './replay/post.ts';
import { substituteToken } from './replay/token.ts';
import type { ScenarioEvent } from './replay/scenario.ts';
import { REPO_ROOT } from './supervisor.ts';

const DEMO = { number: '9001', name: 'Demo enterprise', token: 'demo-host-token', apiKey: 'demo-sandbox-api-key' };
const SCENARIOS = ['2-1', '2-2', '1-1', '2-12', '2-5', '3-1'];
const BOT = {
  token: '7000001:demo-bot-token-0123456789',
  username: 'fleet_demo_bot',
  chats: [
    { id: 700001, extension: '151' },
    { id: 700002, extension: null },
  ],
};
const say = (line: string) => console.log(`demo: ${line}`);
const exitAfter = process.argv.includes('--exit');

const crm = createRetailCrmFake({
  apiKeys: [{ key: DEMO.apiKey, label: 'demo' }],
  users: [{ id: 18, firstName: 'Анна', lastName: 'Менеджер', active: true }],
});
const crmUrl = await crm.listen(Number(process.env.RETAILCRM_SANDBOX_PORT ?? 0));
say(`RetailCRM sandbox listening at ${crmUrl} (state: ${crmUrl}/_fake/state)`);

const telegram = createTelegramFake({ bots: [{ token: BOT.token, username: BOT.username }] });
const telegramUrl = await telegram.listen(Number(process.env.TELEGRAM_SANDBOX_PORT ?? 0));
say(`Telegram Bot API sandbox listening at ${telegramUrl}`);

let fleet;
try {
  // A demo is development: retailcrm's PUBLIC_BASE_URL defaults to its local port (FLEET_DEV=1).
  fleet = await bootFleet({ say, env: { TELEGRAM_API_ROOT: telegramUrl, FLEET_DEV: '1' } });
} catch (err) {
  console.error(`demo: ${(err as Error).message}`);
  await crm.close();
  await telegram.close();
  process.exit(1);
}

const sql = createSql(fleet.db.url, { max: 1 });
// Secrets are stored as the CLI stores them: encrypted with the services' SECRETS_KEY.
const secretsKey = parseSecretsKey(secretsEnv(process.env).vars.SECRETS_KEY!);
await sql`
  insert into enterprises (number, name, host_token, timezone)
  values (${DEMO.number}, ${DEMO.name}, ${DEMO.token}, 'Europe/Minsk')
  on conflict (number) do update set active = true`;
// The admin page's write (@fleet/retailcrm): merges, and gives the module a random clientId once.
await mergeRetailcrmConfig(sql, DEMO.number, {
  enabled: true,
  domain: crmUrl,
  api_key: encryptSecret(secretsKey, DEMO.apiKey, DEMO.number),
  user_extensions: { '18': '151' },
  record_url_template: 'https://records.example.com/{enterprise}/{uniqueId}.mp3',
});
const token = encryptSecret(secretsKey, BOT.token, DEMO.number);
await sql`
  insert into telegram_bots (enterprise, bot_id, username, token, webhook_secret)
  values (${DEMO.number}, ${BOT.token.split(':')[0]!}, ${BOT.username}, ${token}, 'demo-webhook-secret-0123456789')
  on conflict (enterprise) do update set token = excluded.token, bot_id = excluded.bot_id, username = excluded.username`;
for (const [i, chat] of BOT.chats.entries()) {
  await sql`insert into telegram_recipients (enterprise, chat_id, user_id, kind, extension)
            values (${DEMO.number}, ${chat.id}, ${chat.id}, ${i === 0 ? 'owner' : 'manager'}, ${chat.extension})
            on conflict (enterprise, chat_id) do update set active = true`;
}
say(`enterprise ${DEMO.number} connected to the sandbox (RetailCRM user 18 ↔ extension 151)`);
say(`Telegram bot @${BOT.username} with chats ${BOT.chats.map((c) => c.id).join(', ')}`);

const index = JSON.parse(readFileSync(`${REPO_ROOT}../shared/fixtures/asterisk-scenarios/_index.json`, 'utf8')) as {
  code: string;
  file: string;
}[];
const intake = `http://127.0.0.1:${fleet.ports.callIntake}`;
for (const code of SCENARIOS) {
  const entry = index.find((e) => e.code === code)!;
  const events = JSON.parse(
    readFileSync(`${REPO_ROOT}../shared/fixtures/asterisk-scenarios/${entry.file}`, 'utf8'),
  ) as ScenarioEvent[];
  const results = await replayEvents(substituteToken(freshIds(events, randomIdSuffix()), DEMO.token), {
    intake,
    speed: 0,
  });
  const ok = results.filter((r) => r.status === 200).length;
  say(`replayed ${entry.file}: ${ok}/${results.length} events accepted`);
}

say('waiting for the calls to settle and reach the CRM…');
const expected = 5; // customer calls among SCENARIOS (3-1 is internal and must send nothing)
const until = Date.now() + 30_000;
while (crm.state.uploads.length < expected && Date.now() < until) await new Promise((r) => setTimeout(r, 250));
console.log('\n===== what the RetailCRM sandbox received =====');
console.log(summarize(crm.state));
console.log('===============================================\n');

// Telegram: every card of the demo enterprise delivered (nothing pending), then what each chat shows.
const tgUntil = Date.now() + 30_000;
const pendingCards = async () =>
  (
    await sql<{ n: number }[]>`
  select count(*)::int as n from telegram_cards where enterprise = ${DEMO.number} and status = 'pending'`
  )[0]!.n;
while ((await pendingCards()) > 0 && Date.now() < tgUntil) await new Promise((r) => setTimeout(r, 250));
await sql.end();
const plain = (html: string) =>
  html
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');
let telegramOk = true;
console.log('===== what the Telegram chats show =====');
for (const chat of BOT.chats) {
  const all = telegram.messages(BOT.token, chat.id);
  const shown = all.filter((m) => !m.deleted);
  const live = shown.filter((m) => !/^<b>(✅|❌)/.test(m.text));
  if (live.length || !shown.length) telegramOk = false;
  console.log(
    `chat ${chat.id} (${chat.extension ? `extension ${chat.extension}` : 'no extension'}): ${shown.length} messages, ${live.length} live, ${all.length - shown.length} deleted`,
  );
  for (const m of shown) {
    const [head, ...rest] = plain(m.text).split('\n');
    const button = (m.replyMarkup as { inline_keyboard?: { text: string }[][] } | null)?.inline_keyboard
      ?.flat()
      .map((b) => `[${b.text}]`)
      .join(' ');
    console.log(`  ${m.disableNotification ? '🔕' : '🔔'} ${head}${button ? `  ${button}` : ''}`);
    for (const line of rest.filter(Boolean)) console.log(`      ${line}`);
  }
}
console.log(
  `requests: ${telegram.requests.length}, refused: ${telegram.requests.filter((r) => r.status !== 200).length}`,
);
console.log('========================================\n');

if (exitAfter) {
  await fleet.shutdown();
  await crm.close();
  await telegram.close();
  process.exit(crm.state.uploads.length === expected && telegramOk ? 0 : 1);
}
say(
  `fleet keeps running: replay more with  pnpm replay --token ${DEMO.token} <scenario.json>. Ctrl-C stops everything.`,
);
