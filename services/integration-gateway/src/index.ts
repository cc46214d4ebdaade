export { buildApp, type BuildAppOptions } from './app.ts';
export { loadGatewayConfig, type GatewayConfig } from './config.ts';
export {
  enablementOf,
  enabledIntegrations,
  INTEGRATIONS,
  type Enablement,
  type Integration,
} from './domain/enablement.ts';
export type { DispatchReply } from './routes/dispatch.ts';
