// The baseline of measurement 1: a bare Fastify server (no logger, no plugins) that parses the same
// JSON body and answers what call-intake answers, without storing anything. Fastify is resolved from
// services/call-intake, so the baseline is the very version call-intake runs on. Run as its own
// process, like call-intake, so both are measured the same way. Usage: tsx test/bench/bare-fastify.ts <port>
import { createRequire } from 'node:module';

const require = createRequire(new URL('../../services/call-intake/package.json', import.meta.url));
interface Bare {
  post(path: string, handler: () => Promise<unknown>): void;
  get(path: string, handler: () => Promise<unknown>): void;
  listen(o: { port: number; host: string }): Promise<string>;
  close(): Promise<void>;
}
const Fastify = require('fastify') as (o: { logger: boolean }) => Bare;

const app = Fastify({ logger: false });
const answer = { status: 'ok', message: 'Event queued for processing' };
for (const path of ['/dial', '/hangup']) app.post(path, async () => answer);
app.get('/health', async () => ({ status: 'ok' }));
await app.listen({ port: Number(process.env.BARE_PORT), host: '127.0.0.1' });
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
