export { buildApp, type BuildAppOptions } from './app.ts';
export { loadAsteriskConfig, type AsteriskConfig } from './config.ts';
export type { MakeCallReply } from './routes/makecallexternal.ts';
