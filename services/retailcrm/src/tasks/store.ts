// retailcrm_missed_tasks (sql/130_missed_call_tasks.sql): the open missed-call task of each client number.
// Each write is one statement; none spans a request to RetailCRM (the call steps decide what is sent).
import type { Sql } from '@fleet/db';

export interface MissedCall {
  callId: string;
  /** Call start, ms since epoch. */
  at: number;
}

export interface MissedTaskRow {
  id: string;
  status: 'creating' | 'open' | 'closed' | 'lost';
  createdBy: string;
  taskId: number | null;
  calls: MissedCall[];
}

export type CloseReason = 'callback' | 'closed_in_crm' | 'deleted_in_crm';

const COLUMNS = 'id::text as id, status, created_by as "createdBy", task_id::int as "taskId", calls';

export function createMissedTaskStore(sql: Sql) {
  // A fragment per query (built when used: building the app must not touch the pool).
  const columns = () => sql.unsafe(COLUMNS);
  return {
    /** The number's task being created or open, if any. */
    async current(enterprise: string, phoneKey: string): Promise<MissedTaskRow | undefined> {
      const [row] = await sql<MissedTaskRow[]>`
        select ${columns()} from retailcrm_missed_tasks
        where enterprise = ${enterprise} and phone_key = ${phoneKey} and status in ('creating', 'open')`;
      return row;
    },

    /** The tasks the task:missed step of `callId` created or is creating, oldest first. */
    async createdBy(enterprise: string, callId: string): Promise<MissedTaskRow[]> {
      return sql<MissedTaskRow[]>`
        select ${columns()} from retailcrm_missed_tasks
        where enterprise = ${enterprise} and created_by = ${callId} order by id`;
    },

    /**
     * Reserves the number for the task of `call` (status creating). Returns the reservation (a fresh one,
     * or this call's own from an earlier attempt, maybe open already), or `{ busy }` when another call
     * holds the number.
     */
    async reserve(
      enterprise: string,
      phoneKey: string,
      phone: string,
      call: MissedCall,
    ): Promise<MissedTaskRow | { busy: MissedTaskRow }> {
      const [row] = await sql<MissedTaskRow[]>`
        insert into retailcrm_missed_tasks (enterprise, phone_key, phone, status, created_by, calls)
        values (${enterprise}, ${phoneKey}, ${phone}, 'creating', ${call.callId}, ${sql.json([call] as never)})
        on conflict (enterprise, phone_key) where status in ('creating', 'open') do nothing
        returning ${columns()}`;
      if (row) return row;
      const held = await this.current(enterprise, phoneKey);
      if (!held) return this.reserve(enterprise, phoneKey, phone, call); // closed meanwhile
      return held.createdBy === call.callId ? held : { busy: held };
    },

    /** Whether `callId` was added to another call's task (task:merge), whatever became of that task. */
    async mergedInto(enterprise: string, callId: string): Promise<boolean> {
      const rows = await sql`
        select 1 from retailcrm_missed_tasks
        where enterprise = ${enterprise} and created_by <> ${callId} and calls @> ${sql.json([{ callId }] as never)}
        limit 1`;
      return rows.length > 0;
    },

    /** tasks/create answered with the task's id. */
    async opened(id: string, taskId: number, performerId: number | null): Promise<void> {
      await sql`
        update retailcrm_missed_tasks set status = 'open', task_id = ${taskId}, performer_id = ${performerId}, updated_at = now()
        where id = ${id} and status = 'creating'`;
    },

    /** tasks/create was sent without an answer (or never will be): the number is free again. */
    async lost(id: string): Promise<void> {
      await sql`update retailcrm_missed_tasks set status = 'lost', updated_at = now() where id = ${id} and status = 'creating'`;
    },

    /** RetailCRM refused the task for good: the reservation is dropped. */
    async forget(id: string): Promise<void> {
      await sql`delete from retailcrm_missed_tasks where id = ${id} and status = 'creating'`;
    },

    /** Adds a missed call to an open task (once per call); resolves with the task's calls. */
    async addCall(id: string, call: MissedCall): Promise<MissedCall[]> {
      const [row] = await sql<{ calls: MissedCall[] }[]>`
        update retailcrm_missed_tasks
        set calls = case when calls @> ${sql.json([{ callId: call.callId }] as never)} then calls
                         else calls || ${sql.json([call] as never)} end,
            updated_at = now()
        where id = ${id}
        returning calls`;
      return row?.calls ?? [call];
    },

    async close(id: string, reason: CloseReason, closedBy: string | null): Promise<void> {
      await sql`
        update retailcrm_missed_tasks
        set status = 'closed', close_reason = ${reason}, closed_by = ${closedBy}, closed_at = now(), updated_at = now()
        where id = ${id} and status = 'open'`;
    },

    /**
     * The id RetailCRM gave the task in an answered attempt of the call's task:missed step (the journal
     * keeps the answer: a process stopped between the answer and `opened` still knows its task).
     */
    async createdTaskId(enterprise: string, callId: string): Promise<number | undefined> {
      const [row] = await sql<{ task_id: number | null }[]>`
        select (response::jsonb ->> 'id')::int as task_id from integration_logs
        where enterprise = ${enterprise} and call_id = ${callId} and step = 'task:missed' and ok
          and response is not null and response ~ '^\\s*\\{'
        order by id desc limit 1`;
      return row?.task_id ?? undefined;
    },
  };
}

export type MissedTaskStore = ReturnType<typeof createMissedTaskStore>;
