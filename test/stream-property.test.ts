// Property: whatever the interleaving of publishes, disconnects and resumes with `since`
// (from memory or from the log), a client that resumes from its last cpt sees every event
// of its subscription exactly once, in cpt order. fast-check draws every choice, the delays
// included, so a failure prints a seed and path that replay it (FC_SEED=… FC_PATH=… to rerun).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { connect, type TestClient } from './helpers/clients.ts';
import { startTestServer, uiLogin, vmToken, type TestServer } from './helpers/server.ts';
import type { NotificationType, Update } from '../src/protocol/index.ts';

let srv: TestServer;
let token: string;

beforeAll(async () => {
  // A small in-memory window, so resumes exercise both the memory and the log paths.
  srv = await startTestServer(['acme.json'], { recentPerAccount: 32 });
  token = (await vmToken(srv.url, 'api', 'secret2', { user_type: 'api' })).body.id_session;
});
afterAll(() => srv.close());

type Cmd =
  /** `wait`: whether the next command waits for these publishes to be durable and fanned out. */
  | { kind: 'publish'; count: number; type: 'UI' | 'queue'; wait: boolean }
  /** Closes the client `delayMs` after the command is reached (in-flight events arrive or not). */
  | { kind: 'drop'; delayMs: number }
  /** Reopens with `since` after `delayMs`. */
  | { kind: 'resume'; delayMs: number };

const delayMs = fc.integer({ min: 0, max: 5 });
const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  {
    weight: 5,
    // Small bursts resume from memory (window 32), large ones from the log.
    arbitrary: fc.record({ kind: fc.constant('publish' as const), count: fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 80 })), type: fc.constantFrom('UI' as const, 'queue' as const), wait: fc.boolean() }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('drop' as const), delayMs }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('resume' as const), delayMs }) },
);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves when the client has received the update with this cpt (bounded). */
function arrived(c: TestClient, cpt: number, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (c.updates.some((u) => u.cpt === cpt)) return resolve();
    const t = setTimeout(() => {
      c.socket.off('update', on);
      reject(new Error(`cpt ${cpt} never arrived (have ${c.updates.length} updates)`));
    }, timeoutMs);
    const on = (u: Update) => {
      if (u.cpt !== cpt) return;
      clearTimeout(t);
      c.socket.off('update', on);
      resolve();
    };
    c.socket.on('update', on);
  });
}

/** Replays a reported failure: FC_SEED=<seed> FC_PATH=<path> npx vitest run test/stream-property.test.ts */
const replay = process.env.FC_SEED ? { seed: Number(process.env.FC_SEED), ...(process.env.FC_PATH ? { path: process.env.FC_PATH } : {}) } : {};

const event = (type: 'UI' | 'queue', i: number) =>
  type === 'UI' ? uiLogin(8 + (i % 2)) : { type_notification: 'queue', event: 'insert_call', msg: { id_call: i, id_queue: 5, caller_id_num: '33600000000' } };

describe('resume property', () => {
  it('delivers each subscribed event exactly once, in order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(cmd, { minLength: 1, maxLength: 25, size: 'max' }), fc.subarray(['UI', 'queue'] as NotificationType[], { minLength: 1 }), async (cmds, types) => {
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
        const inFlight: Promise<number>[] = [];
        for (const c of cmds) {
          if (c.kind === 'publish') {
            const pending: Promise<number>[] = [];
            for (let i = 0; i < c.count; i++) {
              const cpt = srv.app.services.publisher.publish(3, event(c.type, n++));
              pending.push(cpt);
              if (types.includes(c.type)) void cpt.then((x) => expected.push(x));
            }
            if (c.wait) await Promise.all(pending);
            else inFlight.push(...pending);
          } else if (c.kind === 'drop' && client) {
            // Let in-flight events arrive or not: whatever was received counts.
            await sleep(c.delayMs);
            drain();
            client.close();
            client = undefined;
          } else if (c.kind === 'resume' && !client) {
            await sleep(c.delayMs);
            await open();
          }
        }
        await Promise.all(inFlight);
        if (!client) await open();
        // A last subscribed event, published after all the others: once it has arrived,
        // everything before it has (and nothing else can be on its way).
        const last = await srv.app.services.publisher.publish(3, event(types[0] as 'UI' | 'queue', n++));
        expected.push(last);
        expected.sort((a, b) => a - b);
        const c = client!;
        await arrived(c, last);
        drain();
        c.close();
        expect(seen).toEqual(expected);
        expect(seen.at(-1)).toBe(last);
      }),
      { numRuns: 40, ...replay },
    );
  });
});
