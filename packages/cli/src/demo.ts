// `pnpm demo`: `start`, plus a local RetailCRM sandbox (the strict fake the tests use), a demo
// enterprise connected to it, a replay of a few recorded calls, and a summary of what the CRM got.
// `--exit` stops everything after the summary (a smoke test); otherwise the fleet keeps running.
import { readFileSync } from 'node:fs';
import { createSql } from '@fleet/db';
import { createRetailCrmFake, summarize } from '@fleet/retailcrm-fake';
import { bootFleet } from './boot.ts';
import { freshIds, randomIdSuffix } from './replay/fresh-ids.ts';
import { replayEvents } from './replay/post.ts';
import { substituteToken } from './replay/token.ts';
import type { ScenarioEvent } from './replay/scenario.ts';
import { REPO_ROOT } from './supervisor.ts';

const DEMO = { number: '9001', name: 'Demo enterprise', token: 'demo-host-token', apiKey: 'demo-sandbox-api-key' };
const SCENARIOS = ['2-1', '2-2', '1-1', '2-12', '2-5', '3-1'];
const say = (line: string) => console.log(`demo: ${line}`);
const exitAfter = process.argv.includes('--exit');

const crm = createRetailCrmFake({ apiKeys: [{ key: DEMO.apiKey, label: 'demo' }], users: [{ id: 18, firstName: 'Анна', lastName: 'Менеджер', active: true }] });
const crmUrl = await crm.listen(Number(process.env.RETAILCRM_SANDBOX_PORT ?? 0));
say(`RetailCRM sandbox listening at ${crmUrl} (state: ${crmUrl}/_fake/state)`);

let fleet;
try {
  fleet = await bootFleet({ say });
} catch (err) {
  console.error(`demo: ${(err as Error).message}`);
  await crm.close();
  process.exit(1);
}

const sql = createSql(fleet.db.url, { max: 1 });
const retailcrm = {
  enabled: true,
  domain: crmUrl,
  api_key: DEMO.apiKey,
  client_id: 'demo-client-id-0000000000000000',
  user_extensions: { '18': '151' },
  record_url_template: 'https://records.example.com/{enterprise}/{uniqueId}.mp3',
};
await sql`
  insert into enterprises (number, name, host_token, timezone, integrations_config)
  values (${DEMO.number}, ${DEMO.name}, ${DEMO.token}, 'Europe/Minsk', ${sql.json({ retailcrm })})
  on conflict (number) do update set integrations_config =
    enterprises.integrations_config || jsonb_build_object('retailcrm', ${sql.json(retailcrm)}::jsonb), active = true`;
await sql.end();
say(`enterprise ${DEMO.number} connected to the sandbox (RetailCRM user 18 ↔ extension 151)`);

const index = JSON.parse(readFileSync(`${REPO_ROOT}../shared/fixtures/asterisk-scenarios/_index.json`, 'utf8')) as { code: string; file: string }[];
const intake = `http://127.0.0.1:${fleet.ports.callIntake}`;
for (const code of SCENARIOS) {
  const entry = index.find((e) => e.code === code)!;
  const events = JSON.parse(readFileSync(`${REPO_ROOT}../shared/fixtures/asterisk-scenarios/${entry.file}`, 'utf8')) as ScenarioEvent[];
  const results = await replayEvents(substituteToken(freshIds(events, randomIdSuffix()), DEMO.token), { intake, speed: 0 });
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

if (exitAfter) {
  await fleet.shutdown();
  await crm.close();
  process.exit(crm.state.uploads.length === expected ? 0 : 1);
}
say(`fleet keeps running: replay more with  pnpm replay --token ${DEMO.token} <scenario.json>. Ctrl-C stops everything.`);
