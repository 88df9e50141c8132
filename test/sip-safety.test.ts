// An open SIP port: untrusted INVITEs (403, or 407 then digest), junk datagrams and TCP junk,
// per-source rate limit — and after all of it a good call still works.
import dgram from 'node:dgram';
import net from 'node:net';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createSipEndpoint, type IncomingCall, type SipEndpoint, type SipEndpointOptions } from '../src/sip/index.ts';
import { explain, killSipps, runSipp } from './helpers/sipp.ts';
import { until } from './helpers/until.ts';

const SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40004 RTP/AVP 0\r\n';
let ep: SipEndpoint | undefined;
afterEach(async () => {
  killSipps();
  await ep?.close();
  ep = undefined;
});

async function endpoint(o: Partial<SipEndpointOptions> = {}): Promise<{ ep: SipEndpoint; calls: IncomingCall[]; target: string }> {
  const e = await createSipEndpoint({ host: '127.0.0.1', port: 0, trust: ['127.0.0.1/32'], ...o });
  ep = e;
  const calls: IncomingCall[] = [];
  e.onInvite((c) => {
    calls.push(c);
    void c.accept(SDP);
  });
  return { ep: e, calls, target: `127.0.0.1:${e.address().port}` };
}
const keys = { caller: '555' };

const INVITE = (port: number, branch: string) =>
  `INVITE sip:123@127.0.0.1:${port} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK${branch};rport\r\nFrom: <sip:555@127.0.0.1>;tag=a\r\nTo: <sip:123@127.0.0.1>\r\nCall-ID: ${branch}@x\r\nCSeq: 1 INVITE\r\nContact: <sip:555@127.0.0.1:9>\r\nContent-Type: application/sdp\r\nContent-Length: ${SDP.length}\r\n\r\n${SDP}`;

describe('safety on an open port', () => {
  it('an INVITE from outside the trust list (sipp on 127.0.0.2) gets 403 and creates nothing', async () => {
    const { ep: e, calls, target } = await endpoint();
    const r = await runSipp({ scenario: 'uac-refused', target, keys, service: '123', localIp: '127.0.0.2' });
    expect(r.code, explain(r)).toBe(0);
    expect(r.messages).toMatch(/^SIP\/2.0 403 /m);
    expect(calls).toHaveLength(0);
    expect(e.stats()).toMatchObject({ forbidden: 1, dialogs: 0 });
  });

  it('an untrusted source with valid proxy credentials is challenged (407) and then admitted', async () => {
    const { calls, target } = await endpoint({ users: (u) => (u === 'alice' ? { password: 'pw1' } : undefined) });
    const r = await runSipp({ scenario: 'uac-auth-call', target, keys, service: '123', localIp: '127.0.0.2', auth: { username: 'alice', password: 'pw1' } });
    expect(r.code, explain(r)).toBe(0);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.user).toBe('alice');
    expect(calls[0]!.source.address).toBe('127.0.0.2');
  });

  it('an untrusted source with a wrong password gets 403 after the 407', async () => {
    const { ep: e, calls, target } = await endpoint({ users: (u) => (u === 'alice' ? { password: 'pw1' } : undefined) });
    const r = await runSipp({ scenario: 'uac-auth-call', target, keys, service: '123', localIp: '127.0.0.2', auth: { username: 'alice', password: 'bad' } });
    expect(r.code).toBe(1);
    expect(r.messages).toMatch(/^SIP\/2.0 403 /m);
    expect(calls).toHaveLength(0);
    expect(e.stats().forbidden).toBe(1);
  });

  it('junk datagrams (random bytes, truncated and mangled INVITEs) are dropped; then a good call works', async () => {
    const { ep: e, calls, target } = await endpoint();
    const port = e.address().port;
    const sock = dgram.createSocket('udp4');
    const good = Buffer.from(INVITE(port, 'junk0'));
    const junk = fc.oneof(
      fc.uint8Array({ minLength: 0, maxLength: 1500 }).map((a) => Buffer.from(a)),
      fc.integer({ min: 0, max: good.length - 1 }).map((n) => good.subarray(0, n)),
      fc.tuple(fc.integer({ min: 0, max: good.length - 1 }), fc.uint8Array({ minLength: 1, maxLength: 40 })).map(([at, bytes]) =>
        Buffer.concat([good.subarray(0, at), Buffer.from(bytes), good.subarray(at + bytes.length)]),
      ),
      fc.string({ maxLength: 300 }).map((s) => Buffer.from(`INVITE sip:${s} SIP/2.0\r\nVia: ${s}\r\nCSeq: ${s}\r\n\r\n`)),
    );
    const samples = fc.sample(junk, { numRuns: 300, seed: 42 });
    samples.push(Buffer.alloc(70_000, 0x41)); // bigger than any SIP message we accept
    for (const s of samples) await new Promise<void>((r) => sock.send(s, port, '127.0.0.1', () => r()));
    sock.close();
    await until('junk counted', () => e.stats().malformed > 0);
    // Mangled INVITEs that still parse may start calls (from 555): they are well-formed SIP, not junk.
    const r = await runSipp({ scenario: 'uac-caller-bye', target, keys: { caller: '777' }, service: '123' });
    expect(r.code, explain(r)).toBe(0);
    expect(calls.filter((c) => c.from === '777')).toHaveLength(1);
  });

  it('TCP junk: a stream without a header end past 64 KiB is cut; a good TCP call still works', async () => {
    const { ep: e, target } = await endpoint();
    const port = e.address().port;
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => {});
    const closed = new Promise<void>((r) => s.once('close', () => r()));
    for (let i = 0; i < 100 && !s.destroyed; i++) s.write(Buffer.alloc(1024, 0x42));
    await closed;
    expect(e.stats().malformed).toBeGreaterThan(0);
    const t = net.connect(port, '127.0.0.1');
    t.on('error', () => {});
    t.write('\r\n\r\nnot sip at all\r\n\r\nGARBAGE / SIP/9\r\nContent-Length: 5\r\n\r\nhello');
    const r = await runSipp({ scenario: 'uac-caller-bye', target, keys, service: '123', transport: 't1' });
    expect(r.code, explain(r)).toBe(0);
    t.destroy();
  });

  it('beyond ratePerSource, requests from one source are dropped and counted', async () => {
    const { ep: e } = await endpoint({ ratePerSource: 20 });
    const port = e.address().port;
    const sock = dgram.createSocket('udp4');
    let answered = 0;
    sock.on('message', () => answered++);
    // From outside the trust list (trusted sources are not limited).
    await new Promise<void>((r) => sock.bind(0, '127.0.0.2', () => r()));
    const n = 200;
    for (let i = 0; i < n; i++) {
      const m = `OPTIONS sip:x@127.0.0.1:${port} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.2:${sock.address().port};branch=z9hG4bKrl${i}\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:x@y>\r\nCall-ID: rl${i}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`;
      sock.send(m, port, '127.0.0.1');
    }
    await until('every OPTIONS answered or dropped', () => answered + e.stats().rateLimited === n);
    expect(e.stats().rateLimited).toBeGreaterThan(0);
    expect(answered).toBeGreaterThan(0);
    expect(answered).toBeLessThan(n);
    sock.close();
  });
});
