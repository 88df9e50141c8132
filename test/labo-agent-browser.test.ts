// The demo-page link `vm token api --agent N` prints works: the real CLI (a child process)
// gets an agent token, and that very link, opened in Chromium, goes live as the operator and
// shows the operator's events (and only theirs).
import { describe, expect, it } from 'vitest';
import { haveChromium, useServerAndPage, warnIfNoChromium } from './helpers/browser.ts';
import { runVm } from './helpers/cli.ts';
import { publishHttp, uiLogin } from './helpers/server.ts';

warnIfNoChromium('labo-agent-browser');

describe.skipIf(!haveChromium)('the demo-page link of vm token api --agent', () => {
  const ui = useServerAndPage(['acme.json'], { width: 1200, height: 700 });

  it('opens live on the operator and shows its events', async () => {
    const { s, page, pageErrors } = ui;
    const r = await runVm(['token', 'api', '--login', 'api', '--password', 'secret2', '--agent', '8'], { env: { ...process.env, VM_URL: s.url } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const link = /^demo page\s+(\S+)$/m.exec(r.stdout)?.[1];
    expect(link).toBeDefined();
    expect(link!.startsWith(`${s.url}/labo/index.htm?`)).toBe(true);

    await page.goto(link!);
    await page.waitForSelector('#state[data-state="live"], #state[data-state="error"]', { timeout: 15_000 });
    expect(await page.textContent('#error')).toBe('');
    expect(await page.getAttribute('#state', 'data-state')).toBe('live');
    expect(await page.textContent('#account')).toMatch(/operator 8/);

    // Operator 9's event is not for this token; operator 8's is, and it shows.
    expect((await publishHttp(s.url, 3, uiLogin(9))).body).toEqual({ cpt: 1 });
    expect((await publishHttp(s.url, 3, uiLogin(8))).body).toEqual({ cpt: 2 });
    await page.waitForSelector('#events tr[data-cpt="2"]', { timeout: 10_000 });
    const rows = await page.$$eval('#events tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    expect(rows.map((cells) => cells[0])).toEqual(['2']);
    expect(rows[0]![2]).toBe('UI');
    expect(rows[0]![3]).toBe('login');
    expect(rows[0]![4]).toContain('"id_operator":8');
    expect(pageErrors).toEqual([]);
  });
});
