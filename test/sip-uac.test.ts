// Calls we place with invite() to real sipp as the callee: answered and hung up by either side,
// busy, no answer → our timeout CANCEL → 408, digest challenge answered, TCP, and a target on
// our own address (npm sip's send would answer that with a local 404).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSipEndpoint, type OutgoingCall, type SipEndpoint } from '../src/sip/index.ts';
import { explain, killSipps, startSipp } from './helpers/sipp.ts';
import { until } from './helpers/until.ts';

const SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40002 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';

let ep: SipEndpoint;
beforeEach(async () => {
  ep = await createSipEndpoint({ host: '127.0.0.1', port: 0, trust: ['127.0.0.1/32'] });
});
afterEach(async () => {
  killSipps();
  await ep.close();
});

/** Every event of the call in order, with its first argument. */
function record(call: OutgoingCall): string[] {
  const seen: string[] = [];
  for (const e of ['ringing', 'early', 'answered', 'failed', 'bye', 'end']) {
    call.on(e, (a?: unknown) => seen.push(e === 'failed' ? `failed ${String(a)}` : e));
  }
  return seen;
}

describe('sip endpoint as the caller (sipp answers)', () => {
  it('answered: ACK, then our hangup sends BYE that sipp answers', async () => {
    const sipp = await startSipp({ scenario: 'uas-answer' });
    const call = ep.invite({ target: `sip:op1@${sipp.address}`, from: '+33100000002', displayName: 'VM', sdp: SDP });
    const seen = record(call);
    let answer = '';
    call.on('answered', (sdp: string) => (answer = sdp));
    await until('answered', () => seen.includes('answered'));
    expect(answer).toContain('m=audio');
    call.hangup();
    const r = await sipp.done;
    expect(r.code, explain(r)).toBe(0);
    expect(seen).toEqual(['ringing', 'answered', 'end']);
    expect(ep.stats().dialogs).toBe(0);
  });

  it('answered, then sipp hangs up: bye then end', async () => {
    const sipp = await startSipp({ scenario: 'uas-answer-bye' });
    const seen = record(ep.invite({ target: `sip:op1@${sipp.address}`, from: '100', sdp: SDP }));
    const r = await sipp.done;
    expect(r.code, explain(r)).toBe(0);
    await until('end', () => seen.includes('end'));
    expect(seen).toEqual(['ringing', 'answered', 'bye', 'end']);
  });

  it('486 from the callee: failed 486, then end', async () => {
    const sipp = await startSipp({ scenario: 'uas-busy' });
    const seen = record(ep.invite({ target: `sip:op1@${sipp.address}`, from: '100', sdp: SDP }));
    const r = await sipp.done;
    expect(r.code, explain(r)).toBe(0);
    await until('end', () => seen.includes('end'));
    expect(seen).toEqual(['failed 486', 'end']);
  });

  it('no answer: our timeout CANCELs after the 180; failed 408; sipp gets its ACK for the 487', async () => {
    const sipp = await startSipp({ scenario: 'uas-noanswer' });
    const seen = record(ep.invite({ target: `sip:op1@${sipp.address}`, from: '100', sdp: SDP, timeoutMs: 500 }));
    const r = await sipp.done;
    expect(r.code, explain(r)).toBe(0);
    expect(seen).toEqual(['ringing', 'failed 408', 'end']);
  });

  it('hangup before the answer CANCELs: end only', async () => {
    const sipp = await startSipp({ scenario: 'uas-noanswer' });
    const call = ep.invite({ target: `sip:op1@${sipp.address}`, from: '100', sdp: SDP });
    const seen = record(call);
    await until('ringing', () => seen.includes('ringing'));
    call.hangup();
    const r = await sipp.done;
    expect(r.code, explain(r)).toBe(0);
    expect(seen).toEqual(['ringing', 'end']);
  });

  it('a 401 challenge is answered once with digest credentials that sipp verifies', async () => {
    const sipp = await startSipp({ scenario: 'uas-auth' });
    const call = ep.invite({ target: `sip:op1@${sipp.address}`, from: '100', sdp: SDP, auth: { username: 'alice', password: 'secret' } });
    const seen = record(call);
    await until('answered', () => seen.includes('answered') || seen.includes('end'));
    call.hangup();
    const r = await sipp.done;
    expect(r.code, explain(r)).toBe(0);
    expect(seen).toEqual(['answered', 'end']);
  });

  it('wrong digest credentials: sipp refuses with 403, failed 403', async () => {
    const sipp = await startSipp({ scenario: 'uas-auth' });
    const seen = record(ep.invite({ target: `sip:op1@${sipp.address}`, from: '100', sdp: SDP, auth: { username: 'alice', password: 'wrong' } }));
    await until('end', () => seen.includes('end'));
    expect(seen).toEqual(['failed 403', 'end']);
    const r = await sipp.done;
    expect(r.code).toBe(1); // the scenario counts a refused call as failed
  });

  it('over TCP (;transport=tcp): answered and hung up', async () => {
    const sipp = await startSipp({ scenario: 'uas-answer', transport: 't1' });
    const call = ep.invite({ target: `sip:op1@${sipp.address};transport=tcp`, from: '100', sdp: SDP });
    const seen = record(call);
    await until('answered', () => seen.includes('answered') || seen.includes('end'));
    call.hangup();
    const r = await sipp.done;
    expect(r.code, explain(r)).toBe(0);
    expect(seen).toEqual(['ringing', 'answered', 'end']);
  });
});
