// The end state the suite asserts, counted: at the CRM per call, in Telegram per chat and call, in
// integration_logs against what the RetailCRM fake saw, and what is still pending in the database.
import type { World } from './world.ts';
import { botToken } from './world.ts';
import type { Host, Run } from './plan.ts';
import { unexplainedMissingPopups, unexplainedRepeats, unknownAttempts } from '../support/crm-repeats.ts';

/** A final card (telegram-render: ✅ answered / ❌ missed); anything else visible is a live card. */
const FINAL = /^<b>(✅|❌)/;
const isExtension = (s: string | null) => !!s && /^\d{2,5}$/.test(s);

export interface Report {
  lines: string[];
  failures: string[];
  numbers: Record<string, number>;
}

export async function count(w: World, runs: Run[], hs: Host[], retailcrmKills: number[]): Promise<Report> {
  const failures: string[] = [];
  const n: Record<string, number> = {};
  const add = (k: string, by = 1) => (n[k] = (n[k] ?? 0) + by);

  // --- RetailCRM, per call -------------------------------------------------------------------------
  const byCall = new Map<
    string,
    { popups: Record<string, unknown>[]; hangups: { receivedAt: number }[]; uploads: Record<string, unknown>[] }
  >();
  const of = (id: string) => {
    let v = byCall.get(id);
    if (!v) byCall.set(id, (v = { popups: [], hangups: [], uploads: [] }));
    return v;
  };
  for (const e of w.crm.state.events) {
    const id = String(e.event.callExternalId ?? '');
    if (e.event.type === 'hangup') of(id).hangups.push({ receivedAt: e.receivedAt });
    else of(id).popups.push(e.event);
  }
  for (const u of w.crm.state.uploads) of(String(u.call.externalId ?? '')).uploads.push(u.call);
  // Hangup attempts whose outcome the fleet could not know (integration_logs: no answer status — a
  // timeout, a network error, or a row left 'sent' by a kill): RetailCRM may have performed them.
  const unknownHangups = new Map<string, number>();
  const unknown = await unknownAttempts(w.sql);
  for (const a of unknown) {
    if (a.type === 'hangup') unknownHangups.set(a.callId, (unknownHangups.get(a.callId) ?? 0) + 1);
  }

  for (const run of runs) {
    for (const c of run.calls) {
      const seen = byCall.get(c.callId) ?? { popups: [], hangups: [], uploads: [] };
      const where = `${run.code} (${run.host.enterprise}) call ${c.callId}`;
      if (c.kind === 'internal') {
        add('internal');
        if (seen.popups.length + seen.hangups.length + seen.uploads.length)
          failures.push(`${where}: an internal call reached the CRM`);
        continue;
      }
      add('customer');
      if (seen.uploads.length === 1) add('oneHistory');
      else failures.push(`${where}: ${seen.uploads.length} history records`);
      const up = seen.uploads[0];
      const manager = c.direction === 'out' ? c.ringing[0] : isExtension(c.answeredBy) ? c.answeredBy : undefined;
      if (up && (up.type !== c.direction || up.result !== c.result || up.phone !== c.phone || up.code !== manager)) {
        failures.push(
          `${where}: history ${JSON.stringify({ type: up.type, result: up.result, phone: up.phone, code: up.code })} ≠ expected ${JSON.stringify({ type: c.direction, result: c.result, phone: c.phone, code: manager })}`,
        );
      }
      if (!c.ringing.length) {
        add('noRinging');
        if (seen.popups.length + seen.hangups.length)
          failures.push(`${where}: popup/hangup for a call that rang no extension`);
        continue;
      }
      add('ringing');
      const popped = new Set(seen.popups.flatMap((p) => (p.codes as string[] | undefined) ?? []));
      if (seen.popups.length >= 1 && c.ringing.every((x) => popped.has(x))) add('popup');
      else if (unexplainedMissingPopups(c.callId, c.ringing, popped, unknown).length === 0) add('popupUnknown');
      else failures.push(`${where}: popups for [${[...popped].sort()}], rang [${[...c.ringing].sort()}]`);
      // RetailCRM's call/event has no idempotency key: an attempt whose answer never came back (a hang
      // past the timeout, a kill mid-request: the journal shows it without a status) or answered just
      // before the retailcrm process was killed (the step not yet marked done) is repeated. Those
      // copies are counted apart; any other is a failure.
      const copies = seen.hangups.map((h) => h.receivedAt);
      const extra = Math.max(0, copies.length - 1);
      const late = Math.min(extra, unknownHangups.get(c.callId) ?? 0);
      const unexplained = unexplainedRepeats(copies, late, retailcrmKills);
      const killed = extra - unexplained - late;
      add('hangupLateCopies', late);
      add('hangupKillCopies', killed);
      if (seen.hangups.length >= 1 && unexplained === 0) add('oneHangup');
      else
        failures.push(
          `${where}: ${seen.hangups.length} hangup events (${late} after an attempt without an answer, ${killed} near a kill)`,
        );
      for (const leg of [...c.mobileLegs, ...c.consultationLegs]) {
        const l = byCall.get(leg);
        if (l && l.popups.length + l.hangups.length + l.uploads.length)
          failures.push(`${where}: leg ${leg} reached the CRM as a call`);
      }
    }
  }
  const contract = w.crm.state.rejections.filter((r) => !['rate_limit', 'fault_503'].includes(r.reason));
  n.contractViolations = contract.length;
  if (contract.length) failures.push(`CRM contract violations: ${JSON.stringify(contract.slice(0, 3))}`);
  n.rateLimited = w.crm.state.rejections.filter((r) => r.reason === 'rate_limit').length;
  n.fault503 = w.crm.state.rejections.filter((r) => r.reason === 'fault_503').length;

  // --- Telegram, per chat and call -------------------------------------------------------------------
  for (const h of hs) {
    const calls = await w.sql<{ call_id: string }[]>`select call_id from calls where enterprise = ${h.enterprise}`;
    for (const chat of h.chats) {
      add('chats');
      const visible = w.tg.messages(botToken(h.bot), chat).filter((m) => !m.deleted);
      const finals = visible.filter((m) => FINAL.test(m.text));
      const live = visible.filter((m) => !FINAL.test(m.text));
      const cards = await w.sql<{ call_id: string; status: string; final_message_id: string | null }[]>`
        select call_id, status, final_message_id::text from telegram_cards where enterprise = ${h.enterprise} and chat_id = ${chat}`;
      const finalIds = new Set(finals.map((m) => String(m.messageId)));
      const cardFinals = new Set(
        cards.map((c) => c.final_message_id).filter((x): x is string => x !== null && finalIds.has(x)),
      );
      add('chatCalls', calls.length);
      add('finals', finals.length);
      add('liveCards', live.length);
      const where = `chat ${chat} (${h.enterprise})`;
      if (finals.length !== calls.length)
        failures.push(`${where}: ${finals.length} final messages for ${calls.length} calls`);
      if (cards.length !== calls.length || cardFinals.size !== calls.length) {
        failures.push(
          `${where}: ${cards.length} cards, ${cardFinals.size} pointing at distinct visible finals, for ${calls.length} calls`,
        );
      } else add('chatsOneFinalPerCall');
      if (live.length) failures.push(`${where}: ${live.length} live cards left`);
    }
  }
  // A request that reached the fake inside a retry_after may have left before the 429 was read: with
  // several cards in flight that cannot be avoided (Telegram answers it 429 too). A request arriving
  // more than IN_FLIGHT_MS after the 429 was answered was sent after the fleet knew: a violation.
  const IN_FLIGHT_MS = 250;
  const answered429 = [
    ...w.tgTap.answered429,
    ...w.tg.requests.filter((r) => r.status === 429 && !r.violation).map((r) => ({ bot: r.bot, t: r.t })),
  ];
  const violations = w.tg.violations();
  const late = violations.filter((v) => {
    const last = Math.max(...answered429.filter((a) => a.bot === v.bot && a.t <= v.t).map((a) => a.t));
    return v.t - last > IN_FLIGHT_MS;
  });
  n.telegramInFlightAt429 = violations.length - late.length;
  n.telegramViolations = late.length;
  if (late.length)
    failures.push(`${late.length} Telegram requests sent inside a retry_after: ${JSON.stringify(late.slice(0, 3))}`);
  n.telegram429 = w.tg.requests.filter((r) => r.status === 429).length + w.tgTap.injected429;

  // --- missed-call tasks (issue 14) -------------------------------------------------------------------
  // Every missed incoming customer call is on exactly one task row (it created the number's task or was
  // merged into the open one); each task RetailCRM holds is one row's, except a task created by an attempt
  // without an answer (its row is 'lost': not repeated, like call/event). No number has two open tasks.
  const taskRows = await w.sql<
    { status: string; task_id: number | null; calls: { callId: string }[]; phone_key: string; enterprise: string }[]
  >`
    select status, task_id::int, calls, phone_key, enterprise from retailcrm_missed_tasks`;
  const onTask = new Map<string, number>();
  for (const r of taskRows) for (const c of r.calls) onTask.set(c.callId, (onTask.get(c.callId) ?? 0) + 1);
  for (const run of runs) {
    for (const c of run.calls) {
      if (c.kind !== 'customer' || c.direction !== 'in' || c.answered) continue;
      add('missedCalls');
      const n = onTask.get(c.callId) ?? 0;
      if (n === 1) add('missedOnTask');
      else failures.push(`${run.code} (${run.host.enterprise}) call ${c.callId}: missed, on ${n} task rows`);
    }
  }
  const rowTasks = new Set(taskRows.flatMap((r) => (r.task_id === null ? [] : [r.task_id])));
  const lostRows = taskRows.filter((r) => r.status === 'lost').length;
  const crmTasks = w.crm.state.tasks.map((t) => t.task.id as number);
  const strays = crmTasks.filter((id) => !rowTasks.has(id)).length;
  n.tasks = crmTasks.length;
  n.tasksLost = lostRows;
  n.tasksCompleted = w.crm.state.tasks.filter((t) => t.task.complete).length;
  if (strays > lostRows)
    failures.push(`RetailCRM holds ${strays} tasks no row knows (only ${lostRows} lost rows explain one)`);
  const open = new Map<string, number>();
  for (const r of taskRows.filter((x) => x.status === 'open' || x.status === 'creating'))
    open.set(`${r.enterprise} ${r.phone_key}`, (open.get(`${r.enterprise} ${r.phone_key}`) ?? 0) + 1);
  for (const [k, v] of open) if (v > 1) failures.push(`number ${k}: ${v} open tasks`);

  // --- integration_logs against the fake --------------------------------------------------------------
  // Every attempt is journalled before it leaves: each request the fake saw has its row. A row more is
  // only allowed for an attempt journalled and then killed before it left (left in state 'sent').
  const logs = await w.sql<{ kind: string; n: number; sent: number }[]>`
    select kind, count(*)::int as n, (count(*) filter (where state = 'sent'))::int as sent
    from integration_logs where kind in ('call.event', 'calls.upload') group by kind`;
  n.logRows = 0;
  n.logSent = 0;
  n.crmRequests = 0;
  for (const [kind, path] of [
    ['call.event', '/api/v5/telephony/call/event'],
    ['calls.upload', '/api/v5/telephony/calls/upload'],
  ] as const) {
    const row = logs.find((l) => l.kind === kind) ?? { n: 0, sent: 0 };
    const seen = w.crmTap.requests.filter((r) => r.path === path).length;
    n.logRows += row.n;
    n.logSent += row.sent;
    n.crmRequests += seen;
    if (row.n < seen || row.n - seen > row.sent) {
      failures.push(
        `integration_logs ${kind}: ${row.n} rows (${row.sent} without an answer) for ${seen} requests the fake saw`,
      );
    }
  }
  n.crmRequestsAll = w.crmTap.requests.length;

  // --- nothing pending ------------------------------------------------------------------------------
  const [p] = await w.sql<Record<string, number>[]>`
    select (select count(*)::int from intake_outbox where status = 'pending') as outbox_pending,
           (select count(*)::int from intake_outbox where status = 'dead') as outbox_dead,
           (select count(*)::int from telegram_cards where status = 'pending') as cards_pending,
           (select count(*)::int from telegram_cards where status = 'dead') as cards_dead,
           (select count(*)::int from call_events where processed_at is null) as events_unprocessed,
           (select count(*)::int from retailcrm_call_steps where status = 'running') as steps_running`;
  for (const [k, v] of Object.entries(p!)) {
    n[k] = v;
    if (v) failures.push(`${k}: ${v}`);
  }

  const lines = [
    `CRM: ${n.customer ?? 0} customer calls (+ ${n.internal ?? 0} internal, none at the CRM): exactly one history record ${n.oneHistory ?? 0}/${n.customer ?? 0}; ` +
      `of the ${n.ringing ?? 0} that rang an extension: one hangup event ${n.oneHangup ?? 0}/${n.ringing ?? 0}, a popup for every ringing extension ${n.popup ?? 0}/${n.ringing ?? 0} ` +
      `(${n.popupUnknown ?? 0} missing after an attempt without an answer, not repeated by rule) ` +
      `(repeated hangups: ${n.hangupLateCopies ?? 0} after an attempt without an answer, ${n.hangupKillCopies ?? 0} at a retailcrm kill)`,
    `CRM fake: ${n.crmRequestsAll} requests, ${n.fault503} injected 503, ${w.crmTap.requests.filter((r) => (r.end ?? Infinity) - r.start > 3000).length} hung past the timeout, ` +
      `${n.rateLimited} over the rate limit, ${n.contractViolations} contract violations`,
    `Telegram: ${n.chats ?? 0} chats, ${n.finals ?? 0} final messages for ${n.chatCalls ?? 0} (call, chat) pairs, chats with exactly one final per call ${n.chatsOneFinalPerCall ?? 0}/${n.chats ?? 0}, ` +
      `${n.liveCards ?? 0} live cards; ${n.telegram429} answers 429 (${w.tgTap.injected429} injected), ${n.telegramViolations} retry_after violations ` +
      `(+ ${n.telegramInFlightAt429} already in flight when a 429 was answered)`,
    `missed-call tasks: ${n.missedOnTask ?? 0}/${n.missedCalls ?? 0} missed calls on exactly one task; RetailCRM holds ${n.tasks} tasks (${n.tasksCompleted} completed by a callback, ${n.tasksLost} lost to an attempt without an answer)`,
    `integration_logs: ${n.logRows} rows for ${n.crmRequests} call/event and calls/upload requests the fake saw; ${n.logSent} attempts without an answer (cut by a kill)`,
    `pending: intake_outbox ${n.outbox_pending}, telegram_cards ${n.cards_pending}, unprocessed events ${n.events_unprocessed}, ` +
      `running CRM steps ${n.steps_running}; dead: outbox ${n.outbox_dead}, cards ${n.cards_dead}`,
  ];
  return { lines, failures, numbers: n };
}

/** What is still on its way (for a failure message): rows per table and status, and the CRM's missing calls. */
export async function pendingBreakdown(w: World, customers: string[]): Promise<string> {
  const rows = await w.sql<{ t: string; status: string; n: number }[]>`
    select 'intake_outbox' as t, status, count(*)::int as n from intake_outbox where status <> 'done' group by 2
    union all select 'telegram_cards', status, count(*)::int from telegram_cards where status <> 'done' group by 2
    union all select 'call_events', 'unprocessed', count(*)::int from call_events where processed_at is null
    union all select 'retailcrm_call_steps', status, count(*)::int from retailcrm_call_steps where status <> 'done' group by 2`.catch(
    (e: Error) => [{ t: 'database', status: e.message, n: 0 }],
  );
  const up = new Set(w.crm.state.uploads.map((u) => String(u.call.externalId)));
  const missing = customers.filter((id) => !up.has(id));
  const detail = [];
  for (const id of missing.slice(0, 3)) {
    const trail = await w.sql`
      select 'call' as what, enterprise, kind || ' ' || status || ' ' || coalesce(result, '') as state, null as error from calls where call_id = ${id}
      union all select 'outbox ' || event_type, enterprise, status, last_error from intake_outbox where call_id = ${id}
      union all select 'step ' || step, enterprise, status, null from retailcrm_call_steps where call_id = ${id}
      union all select 'log ' || kind, enterprise, coalesce(status_code::text, '-'), error from integration_logs where call_id = ${id}`.catch(
      () => [],
    );
    detail.push(`${id}: ${JSON.stringify(trail)}`);
  }
  return `pending: ${rows.map((r) => `${r.t} ${r.status} ${r.n}`).join(', ')}; ${missing.length} calls missing at the CRM: ${missing.slice(0, 10).join(', ')}\n${detail.join('\n')}`;
}
