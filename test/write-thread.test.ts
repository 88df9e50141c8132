// The event log's commits run off the event loop (issue 9, item 14): while a commit waits
// on SQLite (here: another connection holds the write lock, as a long checkpoint or a
// slow disk would), the server keeps answering; the publish is acknowledged, and fanned
// out, only once the commit is done.
import { afterEach, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { connect, type TestClient } from './helpers/clients.ts';
import { http, startTestServer, uiLogin, wsInit, type TestServer } from './helpers/server.ts';

// The store's `writes: 'thread'` mode (the default is 'loop').
process.env.VM_SQLITE_WRITES = 'thread';

let srv: TestServer | undefined;
let client: TestClient | undefined;
let blocker: Database.Database | undefined;
afterEach(async () => {
  client?.close();
  if (blocker?.inTransaction) blocker.prepare('ROLLBACK').run();
  blocker?.close();
  await srv?.close();
});

it('serves requests while a commit waits for the database, and acknowledges and fans out the event once it is durable', async () => {
  srv = await startTestServer(['acme.json']);
  const s = srv;
  const tok = (await wsInit(s.url, 'sup', 'secret')).body as { target: number; id_session: string };
  client = connect(s.url);
  expect(await client.init('supervisor', tok.target, tok.id_session)).toMatchObject({ ok: true, cpt: 0 });
  // A first event, so the write path is warm.
  expect(await s.app.services.publisher.publish(3, uiLogin(8))).toBe(1);

  // Another connection takes the write lock and holds it.
  blocker = new Database(join(s.dataDir, 'vm.sqlite'));
  blocker.prepare('BEGIN IMMEDIATE').run();
  let acked: number | undefined;
  let failed: unknown;
  const published = s.app.services.publisher.publish(3, uiLogin(9)).then(
    (cpt) => (acked = cpt),
    (e: unknown) => (failed = e),
  );
  // The event loop is free: HTTP is answered while the commit is still waiting.
  const health = await http(`${s.url}/healthz`);
  expect(health.status).toBe(200);
  expect(acked).toBeUndefined();
  expect(failed).toBeUndefined();
  expect(client.updates.map((u) => u.cpt)).toEqual([1]);

  blocker.prepare('COMMIT').run();
  await published;
  expect(failed).toBeUndefined();
  expect(acked).toBe(2);
  const got = await client.waitFor(2);
  expect(got.map((u) => u.cpt)).toEqual([1, 2]);
  expect((await s.app.services.store.events.readAfter(3, 0, 10)).map((e) => e.cpt)).toEqual([1, 2]);
});
