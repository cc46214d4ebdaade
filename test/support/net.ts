// A loopback TCP port nobody listens on right now, for the servers tests start (PostgreSQL, nginx,
// services). Another process may take it before the caller binds it; on a test machine that is rare
// enough, and a clash fails loudly at bind.
import { createServer, type AddressInfo } from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => ok(port));
    });
  });
}
