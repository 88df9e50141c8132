// The README's "dashboard in 20 lines", run as pasted, starts from the snapshot: states and
// waiting calls that were there before it started show on its first screen (not '…' until
// an event arrives), and only later events change them.
import { describe, expect, it } from 'vitest';
import { readmeBlock, useDemoServer } from './helpers/readme.ts';
import { publishHttp } from './helpers/server.ts';

describe('README dashboard, from the snapshot', () => {
  const demo = useDemoServer();

  it('shows the states and waiting calls of before it started on its first screen', { timeout: 90_000 }, async () => {
    const publish = async (n: object) => {
      const r = await publishHttp(demo.server.url, 1, n);
      expect(r.status).toBe(200);
      return r.body.cpt as number;
    };
    // Before the dashboard runs: Bruno logs in and is available, two calls wait in Sales.
    await publish({ type_notification: 'UI', event: 'login', msg: { id_operator: 2, supp: '' } });
    await publish({ type_notification: 'operator', event: 'status', msg: { status: 'available', id_operator: 2 } });
    await publish({ type_notification: 'queue', event: 'insert_call', msg: { id_call: 601, id_queue: 1, caller_id_num: '33612345678' } });
    const before = await publish({ type_notification: 'queue', event: 'insert_call', msg: { id_call: 602, id_queue: 1, caller_id_num: '33612345679' } });

    const run = demo.run(readmeBlock('## Build a dashboard in 20 lines'));
    const shows = (text: RegExp) => run.shows(text, 30_000);

    // Nothing is published now: the first screen comes from the snapshot alone.
    await shows(new RegExp(`live at event #${before}\\n[\\s\\S]*Bruno Petit +available`));
    const first = run.out.slice(run.out.lastIndexOf(`live at event #${before}`));
    expect(first).toMatch(/Sales +2 waiting/);
    expect(first).not.toContain('…');
    expect(first).toMatch(/ logged_out\n/); // the others are shown as they are: logged out

    // Events after the snapshot change it; the snapshot's states stay until they do.
    await publish({ type_notification: 'operator', event: 'status', msg: { status: 'ringing', id_operator: 2, id_call: 601, id_queue: 1 } });
    await publish({ type_notification: 'queue', event: 'connect_call', msg: { id_call: 601, id_queue: 1, id_operator: 2, status: 'connected' } });
    const last = await publish({ type_notification: 'operator', event: 'status', msg: { status: 'connected', id_operator: 2, id_call: 601, id_queue: 1 } });
    await shows(new RegExp(`live at event #${last}\\n[\\s\\S]*Bruno Petit +connected`));
    expect(run.out.slice(run.out.lastIndexOf(`live at event #${last}`))).toMatch(/Sales +1 waiting/);
    expect(run.err).toBe('');
  });
});
