// Placeholder until the call model lands (helper in progress); keeps the workspace type-checking.
import type { CallEffect, HostEvent, ModelOptions } from './types.ts';

export interface ModelState {
  v: 1;
}
export function emptyState(): ModelState {
  return { v: 1 };
}
export function applyEvent(state: ModelState, _ev: HostEvent, _opts: ModelOptions = {}): { state: ModelState; effects: CallEffect[] } {
  return { state, effects: [] };
}
export function advanceTime(state: ModelState, _now: number, _opts: ModelOptions = {}): { state: ModelState; effects: CallEffect[] } {
  return { state, effects: [] };
}
export function nextDeadline(_state: ModelState): number | null {
  return null;
}
