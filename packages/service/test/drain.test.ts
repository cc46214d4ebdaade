// A closing service lets go of keep-alive connections whose request was in flight at the close: the
// answer carries `Connection: close` and the close finishes, where the server's keep-alive timeout
// (set here to 10 minutes, far past the test's own timeout) would otherwise hold it open.
import Fastify from 'fastify';
import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { closeKeepAliveOnDrain } from '../src/index.ts';

const agents: Agent[] = [];
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.destroy()));
});

async function serverWithHeldRoute(drain: boolean) {
  const app = Fastify({ keepAliveTimeout: 600_000 });
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let arrived!: () => void;
  const inHandler = new Promise<void>((r) => (arrived = r));
  app.post('/held', async () => {
    arrived();
    await held;
    return { ok: true };
  });
  app.get('/quick', async () => ({ ok: true }));
  const startDrain = drain ? closeKeepAliveOnDrain(app.server) : () => {};
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  const agent = new Agent({ keepAliveTimeout: 600_000, keepAliveMaxTimeout: 600_000 });
  agents.push(agent);
  return { app, url: `http://127.0.0.1:${port}`, agent, release, inHandler, startDrain };
}

describe('closeKeepAliveOnDrain', () => {
  it('an in-flight answer closes its connection, so the close ends once it is answered', async () => {
    const s = await serverWithHeldRoute(true);
    // An idle keep-alive connection too: the server's own close ends that one.
    const idle = await request(`${s.url}/quick`, { dispatcher: s.agent });
    expect(idle.headers.connection).toBe('keep-alive');
    await idle.body.text();
    const answer = request(`${s.url}/held`, {
      method: 'POST',
      dispatcher: s.agent,
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    await s.inHandler;
    s.startDrain();
    let closed = false;
    const closing = s.app.close().then(() => (closed = true));
    expect(closed).toBe(false);
    s.release();
    const res = await answer;
    expect(res.statusCode).toBe(200);
    expect(await res.body.json()).toEqual({ ok: true });
    expect(res.headers.connection).toBe('close');
    await closing;
    expect(closed).toBe(true);
  });

  it('without it the in-flight answer keeps its connection alive for the keep-alive timeout', async () => {
    const s = await serverWithHeldRoute(false);
    const answer = request(`${s.url}/held`, {
      method: 'POST',
      dispatcher: s.agent,
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    await s.inHandler;
    const closing = s.app.close();
    s.release();
    const res = await answer;
    expect(res.headers.connection).toBe('keep-alive');
    await res.body.text();
    // Without the drain the answered connection stays open for the keep-alive timeout; here the
    // client ends it, and only then can the close finish.
    await s.agent.close();
    await closing;
  });
});
