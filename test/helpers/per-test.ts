// Servers and clients that live for one test: opened through these, closed after each test
// (clients first, then servers), pass or fail.
import { afterEach } from 'vitest';
import { connect, type TestClient } from './clients.ts';
import { startTestServer, type TestServer } from './server.ts';

export interface PerTest {
  server(...args: Parameters<typeof startTestServer>): Promise<TestServer>;
  client(...args: Parameters<typeof connect>): TestClient;
}

/** Registers the afterEach that closes what `server` and `client` open (call it at the top of a file). */
export function closedAfterEach(): PerTest {
  const servers: TestServer[] = [];
  const clients: TestClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    for (const s of servers.splice(0)) await s.close();
  });
  return {
    async server(...args) {
      const s = await startTestServer(...args);
      servers.push(s);
      return s;
    },
    client(...args) {
      const c = connect(...args);
      clients.push(c);
      return c;
    },
  };
}
