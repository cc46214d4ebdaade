export { buildApp, type BuildAppOptions } from './app.ts';
export { loadRetailCrmConfig, type RetailCrmConfig } from './config.ts';
export type { CallEventReply, StepReport } from './routes/call-event.ts';
export { audienceOf, dialEvent, hangupEvent, historyRecord, managerOf } from './domain/crm-requests.ts';
