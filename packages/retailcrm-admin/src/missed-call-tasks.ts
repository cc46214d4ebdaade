// The missed-call tasks switch of an enterprise (issue 14): integrations_config.retailcrm.missed_call_tasks
// = { enabled, fallback_user_id, due_minutes }, written by the admin page and `fleet retailcrm tasks`,
// read by the call-event route. Off by default; merged into the section like every other write.
import type { Sql } from '@fleet/db';
import { mergeRetailcrmConfig } from './store.ts';

/** Due time of a task when nothing is set: now + 15 minutes (issue 14). */
export const DEFAULT_DUE_MINUTES = 15;
/** The longest due delay accepted: a week, in minutes. */
export const MAX_DUE_MINUTES = 7 * 24 * 60;

export interface MissedCallTaskSettings {
  enabled: boolean;
  /** RetailCRM user id who gets the task when neither a responsible manager nor a mapped extension names one. */
  fallbackUserId: number | null;
  /** The task is due this many minutes after the missed call was handled (1..MAX_DUE_MINUTES). */
  dueMinutes: number;
}

const isUserId = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
const isDue = (v: unknown): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= MAX_DUE_MINUTES;

/** The stored section read defensively: anything unusable is off / unset / the default. Pure. */
export function readMissedCallTasks(value: unknown): MissedCallTaskSettings {
  const v = (value && typeof value === 'object' && !Array.isArray(value) ? value : {}) as Record<string, unknown>;
  return {
    enabled: v.enabled === true,
    fallbackUserId: isUserId(v.fallback_user_id) ? v.fallback_user_id : null,
    dueMinutes: isDue(v.due_minutes) ? v.due_minutes : DEFAULT_DUE_MINUTES,
  };
}

/** Why a value cannot be stored (in the admin's words), or undefined when it can. Pure. */
export function missedCallTasksProblem(s: { fallbackUserId: unknown; dueMinutes: unknown }): string | undefined {
  if (s.fallbackUserId !== null && !isUserId(s.fallbackUserId))
    return 'Запасной исполнитель: укажите ID пользователя RetailCRM (целое число больше 0)';
  if (!isDue(s.dueMinutes)) return `Срок задачи: целое число минут от 1 до ${MAX_DUE_MINUTES}`;
  return undefined;
}

/**
 * Stores the switch (merged into integrations_config.retailcrm, other keys untouched). Values must have
 * passed missedCallTasksProblem. Resolves false when the enterprise does not exist.
 */
export async function saveMissedCallTasks(sql: Sql, enterprise: string, s: MissedCallTaskSettings): Promise<boolean> {
  const stored = { enabled: s.enabled, fallback_user_id: s.fallbackUserId, due_minutes: s.dueMinutes };
  return (await mergeRetailcrmConfig(sql, enterprise, { missed_call_tasks: stored })) !== undefined;
}
