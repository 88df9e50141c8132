// The README's "Build a dashboard in 20 lines" works when pasted: its code block runs as an
// ES module from the repository root (so `@voice-management/client` resolves to the built
// workspace package) against a server with the demo center, and shows the events published.
import { describe, expect, it } from 'vitest';
import { readmeBlock, useDemoServer } from './helpers/readme.ts';
import { publishHttp } from './helpers/server.ts';

describe('README dashboard', () => {
  const demo = useDemoServer();

  it('fits in 20 lines and shows live operator states and calls waiting', { timeout: 90_000 }, async () => {
    const code = readmeBlock('## Build a dashboard in 20 lines');
    expect(code.trimEnd().split('\n').length).toBeLessThanOrEqual(20);
    const run = demo.run(code);
    const shows = (text: RegExp) => run.shows(text, 20_000);

    // The dashboard subscribes once connect() resolves; publish until it shows the first event.
    const publish = (n: object) => publishHttp(demo.server.url, 1, n).then((r) => expect(r.status).toBe(200));
    for (let i = 0; !run.out.includes('Bruno Petit') && run.child.exitCode === null && i < 300; i++) {
      await publish({ type_notification: 'operator', event: 'status', msg: { status: 'available', id_operator: 2 } });
      await new Promise((r) => setTimeout(r, 100));
    }
    await shows(/Bruno Petit +available/);
    await publish({ type_notification: 'queue', event: 'insert_call', msg: { id_call: 501, id_queue: 1, caller_id_num: '33612345678' } });
    await publish({ type_notification: 'operator', event: 'status', msg: { status: 'ringing', id_operator: 2, id_call: 501, id_queue: 1 } });
    await shows(/Bruno Petit +ringing/);
    expect(run.out).toMatch(/Sales +1 waiting/);
    await publish({ type_notification: 'queue', event: 'delete_call', msg: { id_call: 501, id_queue: 1 } });
    await shows(/Sales +1 waiting[\s\S]*Sales +0 waiting/);
    expect(run.err).toBe('');
  });
});
