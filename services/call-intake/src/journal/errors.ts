import createError from '@fastify/error';

// 503 with the reason: the host logs it as a failure (it never retries), which is the honest answer
// when the event can be kept neither in PostgreSQL nor in the bounded local journal.
export const JournalFull = createError(
  'INTAKE_JOURNAL_FULL',
  'database unreachable and the local journal is full (%s bytes): event not accepted',
  503,
);
