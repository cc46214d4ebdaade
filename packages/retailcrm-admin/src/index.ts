// The enterprise admin's RetailCRM operations that the retailcrm service (the admin page) and the
// operator CLI both perform: the stored connection, the signed admin links, registering the module,
// and the journal of those exchanges. No HTTP server here: the page's routes stay in services/retailcrm.
export type { AdminContext } from './context.ts';
export * from './errors.ts';
export * from './links.ts';
export * from './module.ts';
export * from './registration.ts';
export * from './store.ts';
export * from './journal-write.ts';
export * from './redact.ts';
export * from './missed-call-tasks.ts';
export * from './customer-creation.ts';
