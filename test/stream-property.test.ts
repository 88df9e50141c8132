// Property: whatever the interleaving of publishes, disconnects and resumes with `since`
// (from memory or from the log), a client that resumes from its last cpt sees every event
// of its subscription exactly once, in cpt order.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { connect, type TestClient } from './helpers/clients.ts';
import { startTestServer, uiLogin, vmToken, type TestServer } from './helpers/server.ts';
import type { NotificationType } from '../src/protocol/index.ts';

let srv: TestServer;
let token: string;

beforeAll(async () => {
  // A small in-memory window, so resumes exercise both the memory and the log paths.
  srv = await startTestServer(['acme.json'], { recentPerAccount: 32 });
  token = (await vmToken(srv.url, 'api', 'secret2', { user_type: 'api' })).body.id_session;
});
afterAll(() => srv.close());

type Cmd = { kind: 'publish'; count: number; type: 'UI' | 'queue' } | { kind: 'drop' } | { kind: 'resume' };

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('publish' as const), count: fc.integer({ min: 1, max: 80 }), type: fc.constantFrom('UI' as const, 'queue' as const) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'drop' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'resume' as const }) },
);

const event = (type: 'UI' | 'queue', i: number) =>
  type === 'UI' ? uiLogin(8 + (i % 2)) : { type_notification: 'queue', event: 'insert_call', msg: { id_call: i, id_queue: 5, caller_id_num: '33600000000' } };

describe('resume property', () => {
  it('delivers each subscribed event exactly once, in order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(cmd, { minLength: 1, maxLength: 25 }), fc.subarray(['UI', 'queue'] as NotificationType[], { minLength: 1 }), async (cmds, types) => {
        const start = srv.app.services.publisher.lastCpt(3);
        const expected: number[] = [];
        const seen: number[] = [];
        let client: TestClient | undefined;
        let consumed = 0;
        const open = async () => {
          client = connect(srv.url);
          consumed = 0;
          const last = seen.length ? seen[seen.length - 1]! : start;
          const ack = await client.init('api', 3, token, { since: last, types });
          expect(ack.ok).toBe(true);
        };
        const drain = () => {
          if (!client) return;
          seen.push(...client.updates.slice(consumed).map((u) => u.cpt));
          consumed = client.updates.length;
        };
        await open();
        let n = 0;
        for (const c of cmds) {
          if (c.kind === 'publish') {
            const pending: Promise<number>[] = [];
            for (let i = 0; i < c.count; i++) {
              const cpt = srv.app.services.publisher.publish(3, event(c.type, n++));
              pending.push(cpt);
              if (types.includes(c.type)) void cpt.then((x) => expected.push(x));
            }
            await Promise.all(pending);
          } else if (c.kind === 'drop' && client) {
            // Let in-flight events arrive or not: whatever was received counts.
            await new Promise((r) => setTimeout(r, Math.random() * 5));
            drain();
            client.close();
            client = undefined;
          } else if (c.kind === 'resume' && !client) await open();
        }
        if (!client) await open();
        expected.sort((a, b) => a - b);
        const deadline = Date.now() + 5000;
        while (seen.length + client!.updates.length - consumed < expected.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
        drain();
        client!.close();
        expect(seen).toEqual(expected);
      }),
      { numRuns: 25 },
    );
  });
});
