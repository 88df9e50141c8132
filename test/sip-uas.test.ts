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

  it('we hang up after the ACK: sipp answers our BYE; end once, no bye event', async () => {
    ep.onInvite((c) => {
      void c.accept(SDP).then(() => c.hangup());
    });
    const r = await runSipp({ scenario: 'uac-callee-bye', target: target(), keys, service });
    expect(r.code, explain(r)).toBe(0);
    await until('end', () => events.includes('end'));
    expect(events).toEqual(['end']);
  });

  it('sipp CANCELs after 180: 200 for the CANCEL, 487 for the INVITE, cancel then end', async () => {
    ep.onInvite((c) => c.ringing());
    const r = await runSipp({ scenario: 'uac-cancel', target: target(), keys, service });
    expect(r.code, explain(r)).toBe(0);
    await until('end', () => events.includes('end'));
    expect(events).toEqual(['cancel', 'end']);
    expect(ep.stats().dialogs).toBe(0);
  });

  it('answers OPTIONS with 200 and Allow', async () => {
    const r = await runSipp({ scenario: 'options', target: target(), keys, service });
    expect(r.code, explain(r)).toBe(0);
    expect(calls).toHaveLength(0);
  });

  it('re-INVITE with a=sendonly reaches the reinvite handler; its reply (a=recvonly) reaches sipp', async () => {
    const offers: string[] = [];
    ep.onInvite((c) => {
      c.on('reinvite', (sdp: string, reply: (s: string) => void) => {
        offers.push(sdp);
        reply(SDP + 'a=recvonly\r\n');
      });
      void c.accept(SDP);
    });
    const r = await runSipp({ scenario: 'uac-hold', target: target(), keys, service });
    expect(r.code, explain(r)).toBe(0);
    expect(offers).toHaveLength(1);
    expect(offers[0]).toContain('a=sendonly');
    await until('end', () => events.includes('end'));
    expect(events).toEqual(['bye', 'end']);
  });

  it('INFO application/dtmf-relay gives a dtmf event and 200', async () => {
    ep.onInvite((c) => void c.accept(SDP));
    const r = await runSipp({ scenario: 'uac-info', target: target(), keys: { ...keys, digit: '7' }, service });
    expect(r.code, explain(r)).toBe(0);
    await until('end', () => events.includes('end'));
    expect(events).toEqual(['dtmf 7', 'bye', 'end']);
  });

  it('a call over TCP (sipp -t t1) is answered and hung up by the caller', async () => {
    ep.onInvite((c) => void c.accept(SDP));
    const r = await runSipp({ scenario: 'uac-caller-bye', target: target(), keys, service, transport: 't1' });
    expect(r.code, explain(r)).toBe(0);
    await until('end', () => events.includes('end'));
    expect(calls[0]!.source.transport).toBe('tcp');
    expect(events).toEqual(['bye', 'end']);
  });

  it('rejects with the status asked (486) and the transaction takes the ACK', async () => {
    ep.onInvite((c) => c.reject(486));
    const r = await runSipp({ scenario: 'uac-refused', target: target(), keys, service });
    expect(r.code, explain(r)).toBe(0);
    expect(r.messages).toMatch(/^SIP\/2.0 486 /m);
    expect(events).toEqual(['end']);
  });

  it('beyond maxDialogs an INVITE gets 503 and nothing is created', async () => {
    await ep.close();
    ep = await createSipEndpoint({ host: '127.0.0.1', port: 0, trust: ['127.0.0.1/32'], maxDialogs: 0 });
    ep.onInvite((c) => calls.push(c));
    const r = await runSipp({ scenario: 'uac-refused', target: target(), keys, service });
    expect(r.code, explain(r)).toBe(0);
    expect(r.messages).toMatch(/^SIP\/2.0 503 /m);
    expect(calls).toHaveLength(0);
    expect(ep.stats().overloaded).toBe(1);
  });

  it('no ACK for our 200: retransmitted, then after 64·T1 accept() rejects, BYE goes out, end', async () => {
    await ep.close();
    ep = await createSipEndpoint({ host: '127.0.0.1', port: 0, trust: ['127.0.0.1/32'], t1Ms: 40 });
    let outcome = '';
    ep.onInvite((c) => {
      c.on('end', (why: string) => events.push(`end ${why}`));
      c.accept(SDP).then(
        () => (outcome = 'acked'),
        () => (outcome = 'rejected'),
      );
    });
    const r = await runSipp({ scenario: 'uac-no-ack', target: target(), keys, service });
    expect(r.code, explain(r)).toBe(0);
    await until('end', () => events.length > 0 && outcome !== '');
    expect(outcome).toBe('rejected');
    expect(events).toEqual(['end ack-timeout']);
    expect(r.messages.match(/^SIP\/2.0 200 OK/gm)!.length).toBeGreaterThan(2); // retransmitted
  });
});
