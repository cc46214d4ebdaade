// The baseline of measurement 1: a bare Fastify server (no logger, no plugins) that parses the same
// JSON body and answers what call-intake answers, without storing anything. Fastify is resolved from
// services/call-intake, so the baseline is the very version call-intake runs on. Run as its own
// process, like call-intake, so both are measured the same way: plain JavaScript, so that under plain
// node it is the floor of the bundled services (Node + Fastify), and under `--import tsx`
// (BENCH_ENTRIES=source) the floor of the services run from TypeScript. Usage: BARE_PORT=<port> node test/bench/bare-fastify.mjs
import { createRequire } from 'node:module';

const require = createRequire(new URL('../../services/call-intake/package.json', import.meta.url));
/** @type {(o: { logger: boolean }) => import('fastify').FastifyInstance} */
const Fastify = require('fastify');

const app = Fastify({ logger: false });
const answer = { status: 'ok', message: 'Event queued for processing' };
for (const path of ['/dial', '/hangup']) app.post(path, async () => answer);
app.get('/health', async () => ({ status: 'ok' }));
await app.listen({ port: Number(process.env.BARE_PORT), host: '127.0.0.1' });
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
