// BENCHMARKS.md from the numbers of one `pnpm bench` run: the machine, the table with the targets
// and whether each holds, the details of each measurement, and what bounds the misses (analysis.md).
import { readFileSync } from 'node:fs';
import { ms, type Dist, type Machine } from './lib.ts';
import type { SshResult } from './m-ssh.ts';
import type { IntakeResult } from './m-intake.ts';
import type { EndToEndResult } from './m-e2e.ts';

import type { ConfigResult } from './m-config.ts';
import type { ClickResult } from './m-click.ts';
import type { TelegramResult } from './m-telegram.ts';
import type { GrowthRow } from './m-growth.ts';

const CPU_KEYS = ['call-intake', 'gateway', 'retailcrm', 'postgres'] as const;
/** CPU ms of every process of the path (PostgreSQL included) per popup delivered in the rate's window. */
const cpuMsPerPopup = (x: { cpuSecondsPerService: Record<string, number>; delivered: number }) =>
  (CPU_KEYS.reduce((a, k) => a + (x.cpuSecondsPerService[k] ?? NaN), 0) * 1000) / Math.max(1, x.delivered);

export interface Results {
  machine: Machine;
  /** What the services ran: `pnpm build`'s bundles under node, or the TypeScript under tsx. */
  entries: 'bundle' | 'source';
  quick: boolean;
  busyBefore: string[];
  busyDuring: string[];
  durationS: number;
  failures?: string[];
  intake?: IntakeResult;
  e2e?: EndToEndResult;
  /** Measurement 3 again with 5 enterprises: every call keeps ringing, so each has hundreds live. */
  e2eFew?: EndToEndResult;
  /** Outgoing dials at 20 calls/s: the popup without the call model's hold (issue 13). */
  e2eOut?: EndToEndResult;
  /** Issue 13: outgoing dials of the corpus the call model held before deciding (hold-census.ts). */
  hold?: {
    own: number;
    legs: number;
    heldOwnRecorded: number;
    heldLegsRecorded: number;
    heldOwnMaxDelayed: number;
    heldLegsMaxDelayed: number;
    seeds: number;
  };
  config?: ConfigResult;
  click?: ClickResult;
  telegram?: TelegramResult;
  growth?: GrowthRow[];
  ssh?: SshResult;
  commit?: { temp: Dist; durable: Dist };
}

/** Measurement 7: each service's peak RSS over the loads that ran it (MB), and which load that was. */
export function peakRss(r: Results): Record<string, { v: number; load: string }> {
  const rss: Record<string, { v: number; load: string }> = {};
  const take = (name: string, v: number | undefined, load: string) => {
    if (v !== undefined && (!rss[name] || v > rss[name]!.v)) rss[name] = { v, load };
  };
  take('call-intake', r.intake?.rssMb, 'loads 1–2');
  for (const [k, v] of Object.entries(r.e2e?.rssMb ?? {})) take(k, v, 'load 3 (500 calls/s)');
  for (const [k, v] of Object.entries(r.click?.rssMb ?? {})) take(k, v, 'load 5');
  return rss;
}

/** Which bound set a Telegram burst's minimum, in words. */
const BINDING: Record<TelegramResult['binding'], string> = {
  bot: 'bot limit',
  privateChat: 'private-chat limit',
  group: 'group limit',
  posting: 'arrival of the last call',
};

const verdict = (ok: boolean | undefined) => (ok === undefined ? '—' : ok ? '**holds**' : '**missed**');
const mb = (x: number | undefined) => (x === undefined ? 'n/a' : `${x.toFixed(0)} MB`);
const n0 = (x: number) => x.toFixed(0);

export function report(r: Results): string {
  const m = r.machine;
  const rows: string[] = [];
  const row = (what: string, measured: string, target: string, ok: boolean | undefined) =>
    rows.push(`| ${what} | ${measured} | ${target} | ${verdict(ok)} |`);
  const i = r.intake;
  if (i) {
    row(
      '1. `POST /dial` durable commit vs bare Fastify',
      `${n0(i.intake.rps)} vs ${n0(i.bare.rps)} req/s (**${(i.ratio * 100).toFixed(1)} %**); p50/p99 ${ms(i.intake.p50)}/${ms(i.intake.p99)} vs ${ms(i.bare.p50)}/${ms(i.bare.p99)}`,
      '≥ 40 % of bare Fastify',
      i.ratio >= 0.4,
    );
    const at5k = i.rates.find((x) => x.offered === 5000);
    if (at5k)
      row(
        '2. intake latency at a fixed 5 000 events/s (open loop)',
        `p50 ${ms(at5k.latency.p50)}, **p99 ${ms(at5k.latency.p99)}**; answered ${n0(at5k.achieved)}/s`,
        'p99 ≤ 10 ms',
        at5k.latency.p99 <= 10,
      );
    for (const x of i.rates.filter((x) => x.offered !== 5000))
      row(
        `2'. same at ${x.offered} events/s`,
        `p50 ${ms(x.latency.p50)}, p99 ${ms(x.latency.p99)}`,
        '(context)',
        undefined,
      );
  }
  for (const e of [r.e2e, r.e2eFew]) {
    for (const x of e?.rates ?? []) {
      // Below the targets' rates: the chain's own latency, with (almost) no queueing — context only.
      if (x.rate < 200) {
        row(
          `3'. same at ${x.rate} calls/s (unqueued: the chain's own latency)`,
          `p50 ${ms(x.endToEnd.p50)}, p99 ${ms(x.endToEnd.p99)} (${x.delivered}/${x.accepted} delivered)`,
          '(context)',
          undefined,
        );
        continue;
      }
      const target = x.rate >= 500 ? 100 : 50;
      row(
        `3. dial → call/event at the CRM fake, ${x.rate} calls/s, ${e!.enterprises} enterprises${e === r.e2eFew ? ' (every call still ringing)' : ''}`,
        `p50 ${ms(x.endToEnd.p50)}, **p99 ${ms(x.endToEnd.p99)}** (${x.delivered}/${x.accepted} delivered)`,
        `p99 ≤ ${target} ms`,
        x.endToEnd.p99 <= target && x.delivered === x.accepted,
      );
    }
  }
  for (const x of r.e2eOut?.rates ?? []) {
    row(
      `3o. outgoing dial → call/event at the CRM fake, ${x.rate} calls/s`,
      `p50 ${ms(x.endToEnd.p50)}, **p99 ${ms(x.endToEnd.p99)}** (${x.delivered}/${x.accepted} delivered)`,
      'p99 ≤ 50 ms',
      x.endToEnd.p99 <= 50 && x.delivered === x.accepted,
    );
  }
  if (r.hold) {
    const h = r.hold;
    row(
      '3o. outgoing dials of the corpus held by the call model (the FollowMe doubt)',
      `own calls **${h.heldOwnRecorded} of ${h.own}**, FollowMe legs ${h.heldLegsRecorded} of ${h.legs} in recorded order; with 0–2 s delays (${h.seeds} seeds) at most ${h.heldOwnMaxDelayed} own and ${h.heldLegsMaxDelayed} legs`,
      'only where the doubt is real',
      h.heldOwnRecorded === 0 && h.heldOwnMaxDelayed === 0,
    );
  }
  const at200 = r.e2e?.rates.find((x) => x.rate === 200);
  if (at200) {
    const cpu = cpuMsPerPopup(at200);
    row(
      '3. CPU per delivered popup, all processes incl. PostgreSQL, 200 calls/s',
      `**${cpu.toFixed(2)} ms** (${CPU_KEYS.map((k) => `${k} ${(((at200.cpuSecondsPerService[k] ?? NaN) * 1000) / at200.delivered).toFixed(2)}`).join(', ')})`,
      '≤ 2 ms',
      cpu <= 2,
    );
  }
  if (r.config)
    row(
      '4. config commit → both gateways answer it',
      `p50 ${ms(r.config.bothGateways.p50)}, **p99 ${ms(r.config.bothGateways.p99)}** (${r.config.changes} changes)`,
      'p99 ≤ 100 ms',
      r.config.bothGateways.p99 <= 100,
    );
  if (r.click)
    row(
      '5. make-call → originate started on the host (warm SSH)',
      `**p50 ${ms(r.click.toHost.p50)}**, p99 ${ms(r.click.toHost.p99)}`,
      'p50 ≤ 50 ms',
      r.click.toHost.p50 <= 50,
    );
  if (r.telegram) {
    const t = r.telegram;
    row(
      `6. Telegram burst: ${t.calls} calls, 1 bot, ${t.chats} chats (limits scaled, see below)`,
      `${t.totalS.toFixed(2)} s vs minimum ${t.minimumS.toFixed(2)} s (${BINDING[t.binding]} binds): **×${t.ratio.toFixed(2)}**; ${t.violations} limit violations`,
      'close to the minimum (the burst test asks ≤ ×1.15)',
      t.ratio <= 1.15 && t.violations === 0,
    );
  }
  const rss = peakRss(r);
  if (i)
    rows.push(
      `| 7'. peak RSS of a bare Fastify process under ${r.entries === 'source' ? 'tsx' : 'plain node'} (load 1): the floor | ${mb(i.bareRssMb)} | (context) | |`,
    );
  for (const [name, { v, load }] of Object.entries(rss))
    row(`7. peak RSS of ${name} (${load})`, mb(v), '≤ 150 MB', v <= 150);
  if (r.growth?.length) {
    const g = r.growth;
    row(
      '8. gateway per-event cost, 1 / 100 / 10 000 enterprises cached',
      g.map((x) => `${n0(x.cpuUsPerEvent)} µs`).join(' / ') +
        ' CPU per event; ' +
        g.map((x) => `${n0(x.rps)}`).join(' / ') +
        ' req/s',
      'flat (O(1) lookup)',
      g.at(-1)!.cpuUsPerEvent <= g[0]!.cpuUsPerEvent * 1.25,
    );
  }

  const out: string[] = [];
  out.push('# Benchmarks', '');
  out.push(
    `Written by \`pnpm bench\` (test/bench/run.ts) on ${new Date().toISOString()}, in ${n0(r.durationS)} s.${r.quick ? ' **QUICK RUN: short durations, numbers only check the harness.**' : ''}`,
    '',
  );
  out.push('## Machine', '');
  out.push(`- ${m.nproc} CPUs (${m.cpu}), ${m.memoryGb} GB memory, ${m.kernel}`);
  out.push(`- Node ${m.node}; PostgreSQL ${m.postgres} (embedded, from npm, default settings, data on the local disk)`);
  out.push(`- git commit ${m.commit}; load average at the end ${m.load}`);
  out.push(
    r.entries === 'source'
      ? '- Services run from TypeScript under tsx (`BENCH_ENTRIES=source`), as the tests run them, not as production does.'
      : "- Services run as production runs them: `pnpm build`'s bundles (services/<name>/dist/server.mjs) under plain node.",
  );
  const quiet = r.busyBefore.length === 0 && r.busyDuring.length === 0;
  out.push(
    quiet
      ? '- The machine was quiet: no other test or benchmark run was seen before or during this run.'
      : `- **The machine was NOT quiet**: other runs were seen (${r.busyBefore.length} processes before, ${r.busyDuring.length} during), e.g. \`${[...r.busyBefore, ...r.busyDuring][0]}\`. Their CPU use skews the numbers (2 cores shared).`,
  );
  if (r.commit)
    out.push(
      `- One durable single-row commit (autocommit INSERT, fsync'd WAL): p50 ${ms(r.commit.durable.p50)}, p99 ${ms(r.commit.durable.p99)}; into a temporary table (no WAL flush): p50 ${ms(r.commit.temp.p50)}. Every stage of the chain that commits pays the first.`,
    );
  out.push(
    '- Everything shares those cores: the load generator (this process), PostgreSQL, the services under test and any other service of the measurement.',
    '',
  );
  out.push('## Results', '');
  out.push('| measurement | measured | target | verdict |', '|---|---|---|---|', ...rows, '');
  if (r.failures?.length) out.push('Failed measurements:', '', ...r.failures.map((f) => `- ${f}`), '');

  out.push('## Details', '');
  if (i) {
    out.push(`### 1–2. call-intake`, '');
    out.push(
      `autocannon, ${i.connections} connections, ${i.seconds} s, each connection posting dial → hangup of a new call for one of 100 enterprises (same bodies for both servers). ` +
        `Bare Fastify: the same Fastify version, no logger, parses the JSON body and answers call-intake's body. call-intake: a real process (LOG_LEVEL=warn) on PostgreSQL with fsync, ` +
        `acknowledging each event only after its group-commit transaction committed.`,
      '',
      '| server | req/s | p50 | p99 | max | non-2xx |',
      '|---|---|---|---|---|---|',
      `| bare Fastify | ${n0(i.bare.rps)} | ${ms(i.bare.p50)} | ${ms(i.bare.p99)} | ${ms(i.bare.max)} | ${i.bare.non2xx} |`,
      `| call-intake | ${n0(i.intake.rps)} | ${ms(i.intake.p50)} | ${ms(i.intake.p99)} | ${ms(i.intake.max)} | ${i.intake.non2xx} |`,
      '',
      `call-intake: ${i.intake.cpuMsPerEvent.toFixed(2)} ms CPU per accepted event (its own process), mean group-commit batch ${i.intake.meanBatch.toFixed(1)} events; ` +
        `the processor drained the backlog left after the load at ${n0(i.intake.drainPerSecond)} events/s.`,
      '',
      'Open loop (test/bench/lib.ts `openLoop`): request k is sent at t0 + k/rate whatever happened to the earlier ones, and its latency is counted from that *intended* time, ' +
        'so a stall shows in every request it delayed (no coordinated omission). Dial and hangup alternate; a fresh database and process per rate; 1 s warm-up.',
      '',
      '| offered events/s | answered/s | p50 | p99 | max | failed | generator lag p99 |',
      '|---|---|---|---|---|---|---|',
      ...i.rates.map(
        (x) =>
          `| ${x.offered} | ${n0(x.achieved)} | ${ms(x.latency.p50)} | ${ms(x.latency.p99)} | ${ms(x.latency.max)} | ${x.failed} | ${ms(x.generatorLagP99)} |`,
      ),
      '',
    );
  }
  for (const e of [r.e2e, r.e2eFew, r.e2eOut]) {
    if (!e) continue;
    out.push(
      e === r.e2e
        ? '### 3. End to end'
        : e.outgoing
          ? `### 3o. End to end, outgoing dials (${e.enterprises} enterprises; each call a new desk phone dialling a new client number, no call ends)`
          : `### 3. End to end, ${e.enterprises} enterprises whose calls all keep ringing`,
      '',
    );
    out.push(
      `call-intake, integration-gateway and retailcrm as processes (\`fleetServices\`, LOG_LEVEL=warn), ${e.enterprises} enterprises each with its own API key at the strict RetailCRM fake. ` +
        "Open-loop dials only (incoming call ringing 150–152, 151 mapped to user 18; no call ends, so each enterprise's live calls grow through the run); the time runs from the intended send " +
        "time to the moment the fake stores the `telephony/call/event` of that call, both in the generator process. CPU per popup: every process of the path, PostgreSQL included, over the rate's window.",
      '',
      '| calls/s | s | accepted | delivered | POST → 200 p50/p99 | POST → call/event p50 | p99 | max | CPU s (intake / gateway / retailcrm / postgres) in window s | CPU per popup | machine busy |',
      '|---|---|---|---|---|---|---|---|---|---|---|',
      ...e.rates.map(
        (x) =>
          `| ${x.rate} | ${x.seconds} | ${x.accepted} | ${x.delivered} | ${ms(x.intake.p50)} / ${ms(x.intake.p99)} | ${ms(x.endToEnd.p50)} | ${ms(x.endToEnd.p99)} | ${ms(x.endToEnd.max)} | ` +
          `${CPU_KEYS.map((k) => (x.cpuSecondsPerService[k] ?? NaN).toFixed(1)).join(' / ')} in ${x.windowS.toFixed(1)} | ${cpuMsPerPopup(x).toFixed(2)} ms | ${x.machineBusyPct.toFixed(0)} % |`,
      ),
      '',
    );
    out.push(
      'Where the time goes (database clock, ms after call-intake stored the dial, except crm_to_done: from the journalled CRM attempt to the outbox row done; p50 / p99): ' +
        e.rates
          .map(
            (x) =>
              `${x.rate}/s: ` +
              Object.entries(x.stages)
                .map(([k, [a, b]]) => `${k} ${n0(a)} / ${n0(b)}`)
                .join(', '),
          )
          .join('; ') +
        '.',
      '',
    );
    if (e.errors.length) out.push('Errors seen:', '', ...e.errors.map((err) => `- \`${err.slice(0, 200)}\``), '');
  }
  if (r.config)
    out.push(
      '### 4. Configuration change',
      '',
      `Two gateway processes on one database; ${r.config.changes} UPDATEs of \`integrations_config\` toggling RetailCRM for one of 20 enterprises; each gateway polled (GET /integrations/:n, ~1 ms apart) until it answers the new value. p50 ${ms(r.config.bothGateways.p50)}, p99 ${ms(r.config.bothGateways.p99)}, max ${ms(r.config.bothGateways.max)} (the time includes the UPDATE's own commit).`,
      '',
    );
  if (r.click)
    out.push(
      '### 5. Click to call',
      '',
      `${r.click.clicks} clicks, one after another, each on a new number: the RetailCRM fake calls the module's makeCallUrl → retailcrm (process) → asterisk (process) → a real OpenSSH sshd on loopback running the asterisk stand-in of services/asterisk/test/sshd.ts, which stamps its start. Click → originate started: p50 ${ms(r.click.toHost.p50)}, p99 ${ms(r.click.toHost.p99)}, max ${ms(r.click.toHost.max)}; click → 200 to RetailCRM: p50 ${ms(r.click.toReply.p50)}, p99 ${ms(r.click.toReply.p99)}.`,
      '',
    );
  if (r.ssh) {
    const s = r.ssh;
    out.push(
      '### 5b. SSH transport (diagnosis of 5)',
      '',
      `${s.n} commands one after another on one warm connection to the same sshd (node-ssh, the library packages/asterisk-host uses), per transport; packages/asterisk-host runs the last row by default (shell.ts; every connection sets TCP_NODELAY) and the third only for hosts that refuse a shell:`,
      '',
      '| transport | \`true\` p50 / p99 | asterisk stand-in p50 / p99 |',
      '|---|---|---|',
      `| exec channel per command (node-ssh execCommand, Nagle on: before the shell transport) | ${ms(s.execTrue.p50)} / ${ms(s.execTrue.p99)} | ${ms(s.execStandIn.p50)} / ${ms(s.execStandIn.p99)} |`,
      `| one long-lived \`sh\` channel, commands framed by a random end marker, Nagle on | ${ms(s.shellTrue.p50)} / ${ms(s.shellTrue.p99)} | ${ms(s.shellStandIn.p50)} / ${ms(s.shellStandIn.p99)} |`,
      `| exec channel per command, client socket TCP_NODELAY (the fallback for hosts that refuse a shell) | ${ms(s.noDelayExecTrue.p50)} / ${ms(s.noDelayExecTrue.p99)} | ${ms(s.noDelayExecStandIn.p50)} / ${ms(s.noDelayExecStandIn.p99)} |`,
      `| one long-lived \`sh\` channel + TCP_NODELAY (the default) | | ${ms(s.noDelayShellStandIn.p50)} / ${ms(s.noDelayShellStandIn.p99)} |`,
      '',
    );
  }
  if (r.telegram) {
    const t = r.telegram;
    out.push(
      '### 6. Telegram burst',
      '',
      `${t.calls} calls (scenario 2-3) posted within ${t.postedS.toFixed(1)} s for one bot and ${t.chats} private chats; requests at the fake: ${Object.entries(
        t.requests,
      )
        .map(([s, c]) => `${s}: ${c}`)
        .join(', ')}. ` +
        `Last request after ${t.totalS.toFixed(2)} s. What the limits allow — one final per call per chat within the bot's window, each private chat's bucket and each group's window, ` +
        `and not before the last call — is ${t.minimumS.toFixed(2)} s, set by the ${BINDING[t.binding]}. ` +
        `**Scaled limits** (as services/call-intake/test/telegram-burst.test.ts): bot ${t.limits.botPerSecond}/s instead of 30/s, private chat ${t.limits.privatePerSecond}/s with a burst of ${t.limits.privateBurst} instead of ~1/s. ` +
        `At the real limits the ${BINDING[t.real.binding]} binds instead: the same burst needs ≥ ${t.real.seconds.toFixed(0)} s (the bot's limit alone ${t.real.bySeconds.bot.toFixed(0)} s), which this run cannot afford; ` +
        'the burst test also checks a scaled case where the private chat binds (60 calls, chat 5/s). The limiter keeps no slack under a limit; what remains above the minimum: each slot starts its window ' +
        '(bot) or spacing (chat) at the answer of its request, not at the send, so each round of the window costs one round trip (the price of never drawing a 429 from jitter), ' +
        "the processor's settle time before a final, and the tail after the last call.",
      '',
    );
  }
  if (r.growth?.length) {
    out.push(
      '### 8. Cost growth with the size of the gateway cache',
      '',
      'One gateway process per size (its start-up full reload caches every enterprise), autocannon 20 connections on POST /dispatch/call-event spread evenly over all enterprises (no integration enabled, so the cache-dependent path only: schema, lookup, token digest check).',
      '',
      '| enterprises | cached | req/s | p50 | p99 | CPU per event | hit rate | RSS |',
      '|---|---|---|---|---|---|---|---|',
    );
    for (const g of r.growth)
      out.push(
        `| ${g.enterprises} | ${g.cacheEntries} | ${n0(g.rps)} | ${ms(g.p50)} | ${ms(g.p99)} | ${n0(g.cpuUsPerEvent)} µs | ${(g.hitRate * 100).toFixed(1)} % | ${mb(g.rssMb)} |`,
      );
    out.push('');
  }
  out.push(readFileSync(new URL('./analysis.md', import.meta.url), 'utf8').trim(), '');
  out.push(
    '## Reproduce',
    '',
    '```sh',
    'pnpm install',
    'pnpm bench                 # everything, ~8 minutes; writes BENCHMARKS.md',
    'pnpm bench --quick         # a short harness check (numbers not comparable)',
    'pnpm bench --only 3,5      # some measurements only',
    'BENCH_ENTRIES=source pnpm bench --only 1,3,5   # services from TypeScript under tsx (as the tests), to compare RSS',
    'pnpm bench --profile --only 1   # call-intake with --cpu-prof; then: npx tsx test/bench/top-self.ts .data/bench-profiles/<file>.cpuprofile',
    'pnpm bench:intake          # the original intake-only benchmark',
    '```',
    '',
    'Needs sshd (openssh-server) for measurement 5. Run it on a quiet machine: the numbers are CPU-bound on 2 cores.',
    '',
  );
  return out.join('\n');
}
