// A TCP port free on 127.0.0.1 right now, for the servers the end-to-end tests start (Vite
// preview or dev server, a consumer app): the OS picks it, the probe closes it again.
import { createServer, type AddressInfo } from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
