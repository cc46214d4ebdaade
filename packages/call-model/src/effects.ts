// Effect emission. Keys are stable per call ('started', 'ringing:<n>', 'answered', 'ended'): a replay
// of the same events produces the same keys, which call-intake uses as outbox idempotency keys.
import type { CallEffect } from './types.ts';
import type { CallRec, ModelState, Opts } from './state.ts';
import { snapshot } from './summary.ts';

/** Everything a step of the model works with; `effects` collects what the step emits. */
export interface Ctx {
  state: ModelState;
  opts: Opts;
  effects: CallEffect[];
}

export function emitStarted(ctx: Ctx, c: CallRec): void {
  ctx.effects.push({ type: 'call.started', key: 'started', call: snapshot(c.s) });
}

/** A popup for the extensions that just started ringing; nothing when none is new. */
export function emitRinging(ctx: Ctx, c: CallRec, added: string[]): void {
  if (added.length === 0 || c.finalizedAt !== null) return;
  c.ringingEffects += 1;
  ctx.effects.push({
    type: 'call.ringing',
    key: `ringing:${c.ringingEffects}`,
    call: snapshot(c.s),
    newExtensions: [...added],
  });
}

export function emitAnswered(ctx: Ctx, c: CallRec): void {
  if (c.answeredEmitted || c.finalizedAt !== null) return;
  c.answeredEmitted = true;
  ctx.effects.push({ type: 'call.answered', key: 'answered', call: snapshot(c.s) });
}

export function emitEnded(ctx: Ctx, c: CallRec): void {
  ctx.effects.push({ type: 'call.ended', key: 'ended', call: snapshot(c.s) });
}
