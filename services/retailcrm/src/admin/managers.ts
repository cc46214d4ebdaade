// The Managers section: every active RetailCRM user (all pages), the enterprise's extension
// directory, and the manager ↔ extension map with "one extension, one manager" enforced in one
// transaction under the enterprise's row lock.
import type { Sql } from '@fleet/db';
import type { CrmUser, RetailCrmClient } from '@fleet/retailcrm-client';
import { ExtensionConflictError, UnknownExtensionError, SECTION, readUserExtensions } from '@fleet/retailcrm-admin';

export interface Manager {
  id: number;
  name: string;
  email: string | null;
  status: string | null;
  /** When the status last changed, if RetailCRM told us through changeUserStatusUrl (ISO time). */
  statusSince: string | null;
  online: boolean;
}

export interface Extension {
  extension: string;
  name: string | null;
}

const PAGE_LIMIT = 100;
const MAX_PAGES = 50;

export const managerName = (u: Pick<CrmUser, 'id' | 'firstName' | 'lastName'>) =>
  [u.lastName, u.firstName].filter((s) => s && s.trim()).join(' ') || `Пользователь #${u.id}`;

/** All active users, page after page (100 per page, at most 5 000). */
export async function listManagers(client: RetailCrmClient): Promise<Manager[]> {
  const users: CrmUser[] = [];
  for (let page = 1; page <= MAX_PAGES; page++) {
    const res = await client.users({ page, limit: PAGE_LIMIT, filter: { active: 1 } });
    users.push(...res.users);
    if (page >= (res.pagination?.totalPageCount ?? 1)) break;
  }
  return users
    .filter((u) => u.active !== false)
    .map((u) => ({
      id: u.id,
      name: managerName(u),
      email: u.email ?? null,
      status: u.status ?? null,
      statusSince: null,
      online: u.online === true,
    }))
    .sort((a, b) => a.name.localeCompare(b.name, 'ru') || a.id - b.id);
}

/**
 * Overlays the statuses RetailCRM pushed to `/retailcrm/status` (retailcrm_manager_status): they are
 * newer than the users API's `status` snapshot and carry the time of the change.
 */
export async function withStoredStatus(sql: Sql, enterprise: string, managers: Manager[]): Promise<Manager[]> {
  const rows = await sql<{ user_id: number; status: string; changed_at: Date }[]>`
    select user_id, status, changed_at from retailcrm_manager_status where enterprise = ${enterprise}`;
  const byUser = new Map(rows.map((r) => [Number(r.user_id), r]));
  return managers.map((m) => {
    const stored = byUser.get(m.id);
    return stored ? { ...m, status: stored.status, statusSince: stored.changed_at.toISOString() } : m;
  });
}

/** The operator's directory (fleet extension add) plus mapped extensions missing from it. */
export async function listExtensions(
  sql: Sql,
  enterprise: string,
  mapped: Record<string, string>,
): Promise<Extension[]> {
  const rows = await sql<Extension[]>`
    select extension, name from extension_directory where enterprise = ${enterprise}`;
  const known = new Set(rows.map((r) => r.extension));
  for (const ext of Object.values(mapped)) if (!known.has(ext)) rows.push({ extension: ext, name: null });
  return rows.sort((a, b) => Number(a.extension) - Number(b.extension) || a.extension.localeCompare(b.extension));
}

export interface MappingChange {
  userId: string;
  /** null = "Без номера". */
  extension: string | null;
}

export interface MappingResult {
  map: Record<string, string>;
  /** Managers whose extension went to someone else in this save. */
  lost: Array<{ userId: string; extension: string; takenBy: string }>;
}

/**
 * Applies `changes` to `current` (pure). Every extension ends with at most one user: a user who held
 * an extension given to another loses it (listed in `lost`).
 * @throws ExtensionConflictError when one save gives one extension to two users.
 */
export function applyMapping(
  current: Record<string, string>,
  changes: readonly MappingChange[],
  nameOf: (id: string) => string,
): MappingResult {
  const given = new Map<string, string>();
  for (const c of changes) {
    if (c.extension === null) continue;
    const other = given.get(c.extension);
    if (other !== undefined && other !== c.userId) {
      throw new ExtensionConflictError(
        `Номер ${c.extension} выбран сразу у двух менеджеров: ${nameOf(other)} и ${nameOf(c.userId)}. Оставьте его одному.`,
      );
    }
    given.set(c.extension, c.userId);
  }
  const changed = new Set(changes.map((c) => c.userId));
  const map: Record<string, string> = {};
  const lost: MappingResult['lost'] = [];
  for (const [user, ext] of Object.entries(current)) {
    if (changed.has(user)) continue;
    const taker = given.get(ext);
    if (taker !== undefined) lost.push({ userId: user, extension: ext, takenBy: taker });
    else map[user] = ext;
  }
  for (const c of changes) if (c.extension !== null) map[c.userId] = c.extension;
  return { map, lost };
}

/** Applies the changes under the enterprise's row lock and merges the new map into the config. */
export async function saveMapping(
  sql: Sql,
  enterprise: string,
  changes: readonly MappingChange[],
  nameOf: (id: string) => string,
): Promise<MappingResult> {
  return sql.begin(async (tx) => {
    const [row] = await tx<{ map: unknown }[]>`
      select integrations_config->'retailcrm'->'user_extensions' as map from enterprises where number = ${enterprise} for update`;
    const current = readUserExtensions(row?.map);
    await requireKnownExtensions(tx, enterprise, changes, current);
    const result = applyMapping(current, changes, nameOf);
    await tx`
      update enterprises set integrations_config = integrations_config || jsonb_build_object('retailcrm',
        ${tx.unsafe(SECTION)} || jsonb_build_object('user_extensions', ${tx.json(result.map)}))
      where number = ${enterprise}`;
    return result;
  });
}

/**
 * Only extensions of the operator's directory (`fleet extension add`) may be given to a manager; one
 * a manager already holds (mapped before the directory existed) may stay with them.
 * @throws UnknownExtensionError naming the others.
 */
async function requireKnownExtensions(
  tx: Tx,
  enterprise: string,
  changes: readonly MappingChange[],
  current: Record<string, string>,
): Promise<void> {
  const given = [
    ...new Set(
      changes.filter((c) => c.extension !== null && current[c.userId] !== c.extension).map((c) => c.extension!),
    ),
  ];
  if (!given.length) return;
  const rows = await tx<{ extension: string }[]>`
    select extension from extension_directory where enterprise = ${enterprise} and extension = any(${given})`;
  const known = new Set(rows.map((r) => r.extension));
  const unknown = given.filter((e) => !known.has(e));
  if (!unknown.length) return;
  throw new UnknownExtensionError(
    unknown.length === 1
      ? `Номера ${unknown[0]} нет в справочнике внутренних номеров предприятия. Выберите номер из списка; новые номера добавляет оператор телефонии.`
      : `Номеров ${unknown.join(', ')} нет в справочнике внутренних номеров предприятия. Выберите номера из списка; новые номера добавляет оператор телефонии.`,
  );
}

// The transaction handle sql.begin passes its callback.
type Tx = Parameters<Parameters<Sql['begin']>[1]>[0];
