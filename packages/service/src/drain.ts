import type { Server, ServerResponse } from 'node:http';

/**
 * Makes a closing HTTP server let go of its keep-alive connections.
 *
 * Why: `server.close()` closes the connections idle at that moment, but a connection whose request is
 * still in flight answers with `Connection: keep-alive` and then stays open until the keep-alive
 * timeout (Fastify's default: 72 s), so the close waits for it far past any drain bound. Measured:
 * one in-flight request at close held `app.close()` open for more than 5 s after it was answered.
 *
 * Call it once, before `listen`. It tracks the responses in flight; the returned `startDrain()` marks
 * each one whose headers are not yet sent with `Connection: close` (RFC 9112 §9.6: the client then
 * does not reuse the connection, and Node ends it after that response), and any response that had
 * already sent its headers gets its socket ended right after it finishes.
 */
export function closeKeepAliveOnDrain(server: Server): () => void {
  const inFlight = new Set<ServerResponse>();
  let draining = false;
  server.on('request', (_req, res: ServerResponse) => {
    if (draining) res.setHeader('Connection', 'close');
    inFlight.add(res);
    const socket = res.socket; // Node detaches it from the response before 'finish' listeners run
    res.once('close', () => inFlight.delete(res));
    res.once('finish', () => {
      inFlight.delete(res);
      if (draining && res.getHeader('Connection') !== 'close') socket?.end();
    });
  });
  return () => {
    draining = true;
    for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
  };
}
