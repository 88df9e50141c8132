// `vm tail`: human-readable lines with names from the directory, resume notices after a
// disconnect, and NDJSON from the real command.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { createInterface } from 'node:readline';
import { tail } from '../src/cli/tail.ts';
import { publishHttp, startTestServer, uiLogin, type TestServer } from './helpers/server.ts';
import { until } from './helpers/until.ts';

function capture() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  return { stream, text: () => text };
}


describe('vm tail', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('prints readable lines with names, replays with --since, and says when it resumes', async () => {
    const first = (await publishHttp(server.url, 3, { type_notification: 'operator', event: 'status', msg: { status: 'ringing', id_operator: 8, id_queue: 5, id_call: 77 } })).body.cpt as number;
    const out = capture();
    const err = capture();
    const stop = new AbortController();
    const done = tail({ url: server.url, login: 'sup', password: 'secret', since: first - 1, color: false }, { out: out.stream, err: err.stream, signal: stop.signal });
    await until('the replayed event', () => out.text().includes(`#${first}`));
    expect(out.text()).toMatch(new RegExp(`#${first} .*operator/status +status=ringing id_operator=8 \\(Alice Martin\\) id_queue=5 \\(Sales\\) id_call=77`));
    expect(err.text()).toContain('— connected to');
    expect(err.text()).toContain(`(replayed from ${first - 1})`);

    server.app.io.disconnectSockets(true);
    await until('the reconnect notice', () => err.text().includes('reconnecting'));
    const { cpt } = (await publishHttp(server.url, 3, uiLogin(9))).body as { cpt: number };
    await until('the resume notice and the event', () => err.text().includes('resumed after cpt') && out.text().includes(`#${cpt}`));
    expect(out.text()).toMatch(new RegExp(`#${cpt} +UI/login +id_operator=9 \\(Bob Durand\\)`));
    expect(out.text().split('\n').filter((l) => l.includes(`#${cpt} `))).toHaveLength(1);
    stop.abort();
    expect(await done).toBe(0);
  });

  it('streams NDJSON from the real command', { timeout: 60_000 }, async () => {
    const child = spawn(process.execPath, ['bin/vm.js', 'tail', '--url', server.url, '--api-login', 'api', '--api-password', 'secret2', '--types', 'UI', '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      await until('live', () => stderr.includes('— live at cpt'), 45_000);
      const published: number[] = [];
      for (const op of [8, 9, 8]) published.push((await publishHttp(server.url, 3, uiLogin(op))).body.cpt as number);
      const lines: number[] = [];
      for await (const line of createInterface({ input: child.stdout })) {
        const u = JSON.parse(line) as { cpt: number; event: { type_notification: string } };
        expect(u.event.type_notification).toBe('UI');
        lines.push(u.cpt);
        if (lines.length === 3) break;
      }
      expect(lines).toEqual(published);
    } finally {
      child.kill('SIGINT');
    }
  });
});
