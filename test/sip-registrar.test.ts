// REGISTER with digest against real sipp: challenge, good password → binding at the source
// address, wrong password → 403, Expires 0 removes, too brief → 423.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSipEndpoint, type Registration, type SipEndpoint } from '../src/sip/index.ts';
import { explain, killSipps, runSipp, startSipp } from './helpers/sipp.ts';

let ep: SipEndpoint;
let changes: Array<[string, Registration | undefined]>;
beforeEach(async () => {
  ep = await createSipEndpoint({ host: '127.0.0.1', port: 0, trust: [], users: (u) => (u === 'alice' ? { password: 's3cret' } : undefined) });
  changes = [];
  ep.onRegistration((u, reg) => changes.push([u, reg]));
});
afterEach(async () => {
  killSipps();
  await ep.close();
});
const target = () => `127.0.0.1:${ep.address().port}`;

describe('registrar', () => {
  it('a REGISTER answered with the right digest binds the source address (NAT), not the Contact sent', async () => {
    const sipp = await startSipp({ scenario: 'register', target: target(), keys: { user: 'alice', expires: 120, status: 200 }, auth: { username: 'alice', password: 's3cret' } });
    const r = await sipp.done;
    expect(r.code, explain(r)).toBe(0);
    const reg = ep.registration('alice');
    // The scenario's Contact says 192.0.2.1:5999; the binding is where the REGISTER came from.
    expect(reg?.contact).toBe(`sip:alice@127.0.0.1:${sipp.port}`);
    expect(reg!.expiresAt - Date.now()).toBeGreaterThan(100_000);
    expect(reg!.expiresAt - Date.now()).toBeLessThanOrEqual(120_000);
    expect(changes.map(([u, g]) => [u, g?.contact])).toEqual([['alice', reg!.contact]]);
    expect(r.messages).toMatch(/^Contact:\s+<sip:alice@192\.0\.2\.1:5999;transport=UDP>;expires=1[12]\d/m);
  });

  it('Expires 0 removes the binding', async () => {
    const auth = { username: 'alice', password: 's3cret' };
    const first = await runSipp({ scenario: 'register', target: target(), keys: { user: 'alice', expires: 300 }, auth });
    expect(first.code, explain(first)).toBe(0);
    expect(ep.registration('alice')).toBeDefined();
    const r = await runSipp({ scenario: 'register', target: target(), keys: { user: 'alice', expires: 0 }, auth });
    expect(r.code, explain(r)).toBe(0);
    expect(ep.registration('alice')).toBeUndefined();
    expect(changes.at(-1)).toEqual(['alice', undefined]);
  });

  it('a wrong password gets 403 and binds nothing', async () => {
    const r = await runSipp({ scenario: 'register-refused', target: target(), keys: { user: 'alice', expires: 120 }, auth: { username: 'alice', password: 'nope' } });
    expect(r.code, explain(r)).toBe(0);
    expect(r.messages).toMatch(/^SIP\/2.0 403 /m);
    expect(ep.registration('alice')).toBeUndefined();
  });

  it('an unknown user gets 403', async () => {
    const r = await runSipp({ scenario: 'register-refused', target: target(), keys: { user: 'mallory', expires: 120 }, auth: { username: 'mallory', password: 'x' } });
    expect(r.code, explain(r)).toBe(0);
    expect(r.messages).toMatch(/^SIP\/2.0 403 /m);
    expect(ep.stats().registrations).toBe(0);
  });

  it('Expires below 60 gets 423 with Min-Expires 60', async () => {
    const r = await runSipp({ scenario: 'register-refused', target: target(), keys: { user: 'alice', expires: 10 }, auth: { username: 'alice', password: 's3cret' } });
    expect(r.code, explain(r)).toBe(0);
    expect(r.messages).toMatch(/^SIP\/2.0 423 /m);
    expect(r.messages).toMatch(/^Min-Expires: 60/m);
  });
});
