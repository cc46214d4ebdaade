import type { FakeState } from './state.ts';

/** A readable summary of what the fake received: events per call, history records, rejections. */
export function summarize(state: FakeState): string {
  const lines: string[] = [];
  const byCall = new Map<string, string[]>();
  for (const { event: e } of state.events) {
    const id = e.callExternalId ?? '(no callExternalId)';
    const who = [...(e.codes ?? []).map((c) => `ext ${c}`), ...(e.userIds ?? []).map((u) => `user ${u}`)].join(', ');
    const list = byCall.get(id) ?? [];
    list.push(`${e.type}${e.hangupStatus ? ` (${e.hangupStatus})` : ''} ${e.phone} → ${who}`);
    byCall.set(id, list);
  }
  lines.push(
    `RetailCRM fake: ${state.events.length} call events, ${state.uploads.length} history records` +
      `${state.duplicateUploads ? ` (+${state.duplicateUploads} duplicates ignored)` : ''}, ${state.rejections.length} rejections`,
  );
  for (const [id, events] of byCall) {
    lines.push(`  call ${id}:`);
    for (const e of events) lines.push(`    event ${e}`);
    for (const { call: c } of state.uploads.filter((u) => u.call.externalId === id)) {
      lines.push(
        `    history ${c.date} ${c.type} ${c.phone} ${c.result ?? ''} ` +
          `${c.code ? `ext ${String(c.code)} ` : ''}${c.duration ?? 0}s talk/${c.durationWaiting ?? 0}s ring${c.recordUrl ? ' ♫' : ''}`.trimEnd(),
      );
    }
  }
  for (const { call: c } of state.uploads.filter((u) => !byCall.has(u.call.externalId ?? ''))) {
    lines.push(`  history without popup: ${c.externalId ?? '?'} ${c.date} ${c.type} ${c.phone} ${c.result ?? ''}`);
  }
  for (const { task: t } of state.tasks) {
    lines.push(
      `  task ${t.id} → user ${t.performer}${t.datetime ? ` due ${t.datetime}` : ''}: ${t.text}` +
        `${t.complete ? ` [complete ${t.completedAt ?? ''}${t.commentary ? `: ${t.commentary}` : ''}]` : ''}`,
    );
  }
  for (const { customer: c } of state.customers.filter((x) => x.source === 'api')) {
    lines.push(`  customer ${c.id} created: ${c.phones.map((p) => p.number).join(', ')}`);
  }
  const reasons = new Map<string, number>();
  for (const r of state.rejections)
    reasons.set(`${r.status} ${r.reason}`, (reasons.get(`${r.status} ${r.reason}`) ?? 0) + 1);
  for (const [r, n] of reasons) lines.push(`  rejected ×${n}: ${r}`);
  return lines.join('\n');
}
