// What the strict RetailCRM fake observed about one call, and the popups counted per extension.
import type { RetailCrmFake } from '@fleet/retailcrm-fake';

export interface CallAtCrm {
  /** call/event in|out, in arrival order. */
  popups: Array<Record<string, unknown> & { codes?: string[]; receivedAt: number }>;
  hangups: Array<Record<string, unknown> & { receivedAt: number }>;
  uploads: Array<Record<string, unknown>>;
}

export function observed(crm: RetailCrmFake, callId: string): CallAtCrm {
  const events = crm.state.events.filter((e) => e.event.callExternalId === callId);
  const withTime = events.map((e) => ({ ...e.event, receivedAt: e.receivedAt }));
  return {
    popups: withTime.filter((e) => e.type === 'in' || e.type === 'out'),
    hangups: withTime.filter((e) => e.type === 'hangup'),
    uploads: crm.state.uploads.filter((u) => u.call.externalId === callId).map((u) => u.call),
  };
}

/**
 * How many popups each extension got (a multiset: a second popup to one extension counts 2), with
 * the arrival times of each, sorted by extension.
 */
export function popupsByExtension(popups: CallAtCrm['popups']): Map<string, number[]> {
  const by = new Map<string, number[]>();
  for (const p of popups) for (const code of p.codes ?? []) by.set(code, [...(by.get(code) ?? []), p.receivedAt]);
  return new Map([...by.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

/** `{ "150": 1, "151": 2 }`: the popup counts as a plain object, for an assertion diff a reader can follow. */
export function popupCounts(popups: CallAtCrm['popups']): Record<string, number> {
  return Object.fromEntries([...popupsByExtension(popups)].map(([code, at]) => [code, at.length]));
}
