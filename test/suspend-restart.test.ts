// A suspension does not outlive the engine that holds it: a clean shutdown lifts it in the
// log (UI/unsuspend, as a crash's settle does: test/settle.test.ts), so after a restart the
// live state, the wallboard's card and the engine agree that the operator is not suspended.
import { describe, expect, it } from 'vitest';
import { accountPost, bearerCall, startTestServer, wsInit } from './helpers/server.ts';
import { until } from './helpers/until.ts';
import type { RealtimeSnapshot } from '../src/protocol/index.ts';

const ACCOUNT = 13;
const ANA = 132;

describe('a suspension across a restart', () => {
  it('is lifted by a clean shutdown, in the log and the live state', async () => {
    const first = await startTestServer(['supervise.json']);
    /** Ana in GET /api/v1/realtime, as a supervisor of the whole account sees her. */
    const ana = async (url: string) => {
      const token = (await wsInit(url, 'sup', 'sup-secret')).body.id_session as string;
      const snap = (await bearerCall(url, token, 'GET', '/api/v1/realtime')).body as RealtimeSnapshot;
      return snap.operators.find((o) => o.id === ANA);
    };
    expect((await accountPost(first.url, ACCOUNT, `/operators/${ANA}/suspend`, { group: 131 })).status).toBe(200);
    await until('the suspension in the live state', async () => (await ana(first.url))?.suspended.includes(131));
    await first.close({ keepData: true });

    const second = await startTestServer([], { dataDir: first.dataDir });
    try {
      await until('the live state rebuilt from the log', async () => (await ana(second.url)) !== undefined);
      expect((await ana(second.url))?.suspended).toEqual([]);
      // The engine agrees: suspending again is not "already suspended".
      expect((await accountPost(second.url, ACCOUNT, `/operators/${ANA}/suspend`, { group: 131 })).status).toBe(200);
    } finally {
      await second.close();
    }
  });
});
