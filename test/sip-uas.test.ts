// Inbound calls at our SIP endpoint with real sipp as the caller: answer and both hang-ups,
// CANCEL, OPTIONS, re-INVITE hold, INFO DTMF, TCP.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSipEndpoint, type IncomingCall, type SipEndpoint } from '../src/sip/index.ts';
import { explain, killSipps, runSipp } from './helpers/sipp.ts';
import { until } from './helpers/until.ts';

const SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';

let ep: SipEndpoint;
let calls: IncomingCall[];
const events: string[] = [];

beforeEach(async () => {
  ep = await createSipEndpoint({ host: '127.0.0.1', port: 0, trust: ['127.0.0.1/32'] });
  calls = [];
  events.length = 0;
  ep.onInvite((c) => {
    calls.push(c);
    for (const e of ['cancel', 'bye', 'end']) c.on(e, () => events.push(e));
    c.on('dtmf', (d: string) => events.push(`dtmf ${d}`));
  });
});
afterEach(async () => {
  killSipps();
  await ep.close();
});

const target = () => `127.0.0.1:${ep.address().port}`;
const keys = { caller: '+33100000001' };
const service = '+33999';

describe('sip endpoint as the callee (sipp calls)', () => {
  it('answers with SDP; the caller hangs up: 200 to its BYE, bye and end once', async () => {
    ep.onInvite((c) => {
      c.ringing();
      void c.accept(SDP);
    });
    const r = await runSipp({ scenario: 'uac-caller-bye', target: target(), keys, service });
    expect(r.code, explain(r)).toBe(0);
    await until('end', () => events.includes('end'));
    expect(events).toEqual(['bye', 'end']);
    const c = calls[0]!;
    expect(c.from).toBe('+33100000001');
    expect(c.to).toBe('33999');
    expect(c.offer).toContain('m=audio');
    expect(c.source).toMatchObject({ address: '127.0.0.1', transport: 'udp' });
    expect(ep.stats().dialogs).toBe(0);
  });
});
