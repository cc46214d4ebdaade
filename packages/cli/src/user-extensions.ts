/**
 * `integrations_config.retailcrm.user_extensions`: RetailCRM user id (decimal string) → internal
 * extension. RetailCRM keeps this map only in the module's `additionalCodes`, which every edit
 * replaces wholesale (shared/domain/retailcrm.md), so ours is the source of truth.
 */
export type UserExtensions = Record<string, string>;

/** Reads the stored map defensively: anything but an object of strings becomes `{}`/is dropped. */
export function readUserExtensions(value: unknown): UserExtensions {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  const map: UserExtensions = {};
  for (const [user, ext] of Object.entries(value)) {
    if (typeof ext === 'string' || typeof ext === 'number') map[user] = String(ext);
  }
  return map;
}

export interface Assignment {
  map: UserExtensions;
  /** Users who held the extension before and lost it (one extension belongs to at most one user). */
  takenFrom: string[];
  /** The user's own previous extension, when it changed. */
  replaced?: string;
}

/** Gives `extension` to `user`: takes it from any other user and replaces the user's previous one. */
export function assignExtension(current: UserExtensions, user: string, extension: string): Assignment {
  const map: UserExtensions = {};
  const takenFrom: string[] = [];
  for (const [u, ext] of Object.entries(current)) {
    if (u !== user && ext === extension) takenFrom.push(u);
    else if (u !== user) map[u] = ext;
  }
  map[user] = extension;
  const previous = current[user];
  return { map, takenFrom, ...(previous !== undefined && previous !== extension ? { replaced: previous } : {}) };
}
