import type { GuardContext } from './guard.ts';
import type { FakeUser } from './state.ts';

/** Everything the fake's routes share. */
export interface FakeContext extends GuardContext {
  users: FakeUser[] | undefined;
  managerByPhone: Record<string, number>;
  /** The account's time zone (IANA): createdAt / completedAt are its wall-clock time. */
  timeZone: string;
  /** The last task id given (ids are never reused, even after deleteTask). */
  lastTaskId: number;
  sites: string[];
  seenExternalIds: Set<string>;
  /** Every scoped method the fake serves, as GET /api/credentials names it (filled as routes register). */
  methods: Array<{ path: string; scope: string }>;
}
