export { buildApp, type BuildAppOptions } from './app.ts';
export { loadRetailCrmConfig, type RetailCrmConfig } from './config.ts';
export type { CallEventReply, StepReport } from './routes/call-event.ts';
export { audienceOf, dialEvent, hangupEvent, historyRecord, managerOf } from './domain/crm-requests.ts';
// The admin operations `fleet retailcrm admin-link/register` share with the page.
export type { AdminContext } from './admin/context.ts';
export { issueLink, linkUrl, revokeLinks } from './admin/links.ts';
export { registerModule, type RegistrationResult } from './admin/registration.ts';
// The one write of integrations_config.retailcrm that also generates the module clientId (admin page,
// `fleet retailcrm set`, `pnpm demo`).
export { mergeRetailcrmConfig, newClientId } from './admin/store.ts';
