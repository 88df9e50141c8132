// Properties of what src/sip writes itself: CIDR matching, digest verification (against npm
// sip's client signer), header helpers, the rate limiter, and a parser that never throws.
import fc from 'fast-check';
import sip from 'sip';
import type { SipMessage } from 'sip';
import digest from 'sip/digest.js';
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { normalizeAddress, parseCidrs } from '../src/sip/cidr.ts';
import { createDigestServer, digestResponse } from '../src/sip/digest-auth.ts';
import { dtmfOfInfo, parseTarget, userOf } from '../src/sip/headers.ts';
import { createRateLimiter } from '../src/sip/rate-limit.ts';
import { offersNoAudio } from '../src/media/plane.ts';
import { webRtcReanswer } from '../src/media/webrtc-sdp.ts';
import { parseMessage } from '../src/sip/transport.ts';

const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255));
const toInt = (a: number[]) => ((a[0]! << 24) | (a[1]! << 16) | (a[2]! << 8) | a[3]!) >>> 0;

describe('CIDR lists', () => {
  it('an IPv4 address is in a /n exactly when its first n bits equal the network', () => {
    fc.assert(
      fc.property(ipv4, ipv4, fc.integer({ min: 0, max: 32 }), (net, addr, n) => {
        const set = parseCidrs([`${net.join('.')}/${n}`]);
        const mask = n === 0 ? 0 : (0xffffffff << (32 - n)) >>> 0;
        const inside = ((toInt(net) & mask) >>> 0) === ((toInt(addr) & mask) >>> 0);
        expect(set.has(addr.join('.'))).toBe(inside);
        expect(set.has(`::ffff:${addr.join('.')}`)).toBe(inside); // a dual-stack socket's spelling
      }),
    );
  });
  it('IPv6 prefixes, plain addresses, and bad entries refused at parse time', () => {
    const set = parseCidrs(['2001:db8::/32', '::1', '10.0.0.1']);
    expect(set.has('2001:db8:1::5')).toBe(true);
    expect(set.has('2001:db9::1')).toBe(false);
    expect(set.has('::1')).toBe(true);
    expect(set.has('10.0.0.1')).toBe(true);
    expect(set.has('10.0.0.2')).toBe(false);
    expect(set.has('not an ip')).toBe(false);
    for (const bad of ['10.0.0.0/33', 'example.com', '10.0.0/8', '::/129', '1.2.3.4/-1']) expect(() => parseCidrs([bad])).toThrow();
    expect(normalizeAddress('fe80::1%eth0')).toBe('fe80::1');
  });
});

describe('digest verification', () => {
  const users = (u: string) => (u === 'alice' ? { password: 'pa:ss"w' } : undefined);
  const challengeFor = (server: ReturnType<typeof createDigestServer>, status = 401): SipMessage => ({
    status,
    reason: '',
    headers: { [status === 401 ? 'www-authenticate' : 'proxy-authenticate']: [server.challenge()] },
  });
  const request = (): SipMessage => ({ method: 'REGISTER', uri: 'sip:127.0.0.1:5060', headers: {} });

  it("accepts npm sip's signature with the right password and refuses any other password", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 20 }), fc.boolean(), (other, proxy) => {
        const server = createDigestServer('vm');
        const rq = request();
        digest.signRequest(null, rq, challengeFor(server, proxy ? 407 : 401), { user: 'alice', password: 'pa:ss"w' });
        const h = rq.headers[proxy ? 'proxy-authorization' : 'authorization'] as { response?: string }[];
        expect(server.verify(h[0], 'REGISTER', users)).toEqual({ ok: true, user: 'alice' });
        expect(server.verify(h[0], 'INVITE', users).ok).toBe(false); // method is covered
        const rq2 = request();
        digest.signRequest(null, rq2, challengeFor(server), { user: 'alice', password: other });
        const r2 = server.verify((rq2.headers.authorization as never[])[0], 'REGISTER', users);
        expect(r2.ok).toBe(other === 'pa:ss"w');
        if (!r2.ok) expect(r2.why).toBe('wrong-password');
      }),
      { numRuns: 50 },
    );
  });

  it('verifies against a stored HA1 exactly as against the password it was made from', () => {
    // npm sip's signer (the client here) strips the quotes of a password wrapped in them
    // (its unq(): '"x"' signs as x, '"' as ''); RFC 2617 clients such as JsSIP do not, nor
    // does our server. Such passwords are left out: the client would not send what it was given.
    const password = fc.string({ minLength: 1, maxLength: 20 }).filter((p) => !(p.startsWith('"') && p.endsWith('"')));
    fc.assert(
      fc.property(password, password, (password, other) => {
        const server = createDigestServer('vm');
        const ha1 = createHash('md5').update(`alice:vm:${password}`).digest('hex');
        const byHa1 = (u: string) => (u === 'alice' ? { ha1 } : undefined);
        const rq = request();
        digest.signRequest(null, rq, challengeFor(server), { user: 'alice', password });
        expect(server.verify((rq.headers.authorization as never[])[0], 'REGISTER', byHa1)).toEqual({ ok: true, user: 'alice' });
        const rq2 = request();
        digest.signRequest(null, rq2, challengeFor(server), { user: 'alice', password: other });
        expect(server.verify((rq2.headers.authorization as never[])[0], 'REGISTER', byHa1).ok).toBe(other === password);
      }),
      { numRuns: 50 },
    );
  });

  it('refuses a tampered field, a foreign nonce, an unknown user; a late nonce is stale', () => {
    let now = 1_000_000;
    const server = createDigestServer('vm', 60_000, () => now);
    const rq = request();
    digest.signRequest(null, rq, challengeFor(server), { user: 'alice', password: 'pa:ss"w' });
    const h = (rq.headers.authorization as Record<string, string>[])[0]!;
    for (const field of ['uri', 'nonce', 'cnonce', 'nc', 'response', 'realm']) {
      const t = { ...h, [field]: `"x${h[field]?.replace(/"/g, '') ?? ''}"` };
      expect(server.verify(t, 'REGISTER', users).ok, field).toBe(false);
    }
    const other = createDigestServer('vm', 60_000, () => now);
    expect(other.verify(h, 'REGISTER', users)).toEqual({ ok: false, why: 'malformed' });
    const mallory = request();
    digest.signRequest(null, mallory, challengeFor(server), { user: 'mallory', password: 'x' });
    expect(server.verify((mallory.headers.authorization as never[])[0], 'REGISTER', users)).toEqual({ ok: false, why: 'unknown-user' });
    now += 61_000;
    expect(server.verify(h, 'REGISTER', users)).toEqual({ ok: false, why: 'stale' });
    expect(server.verify(undefined, 'REGISTER', users).ok).toBe(false);
  });

  it('digestResponse matches RFC 2617 §3.5 (qop=auth)', () => {
    expect(
      digestResponse({ user: 'Mufasa', realm: 'testrealm@host.com', password: 'Circle Of Life', method: 'GET', uri: '/dir/index.html', nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093', qop: 'auth', nc: '00000001', cnonce: '0a4f113b' }),
    ).toBe('6629fae49393a05397450978507c4ef1');
  });
});

describe('header helpers', () => {
  it('parseTarget reads host, port and transport, with IPv6 brackets', () => {
    expect(parseTarget('sip:+331@gw.example.com')).toEqual({ user: '+331', host: 'gw.example.com', port: 5060, transport: 'udp' });
    expect(parseTarget('sip:op@[::1]:5070;transport=TCP')).toEqual({ user: 'op', host: '::1', port: 5070, transport: 'tcp' });
    expect(parseTarget('sip:10.0.0.1:5080;lr')).toEqual({ user: undefined, host: '10.0.0.1', port: 5080, transport: 'udp' });
    for (const bad of ['http://x', 'sip:a@b:70000', 'sip:a@[zz]', 'sip:', '']) expect(parseTarget(bad)).toBeUndefined();
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9+.]{1,12}$/), ipv4, fc.integer({ min: 1, max: 65535 }), fc.boolean(), (user, ip, port, tcp) => {
        const t = parseTarget(`sip:${user}@${ip.join('.')}:${port}${tcp ? ';transport=tcp' : ''}`);
        expect(t).toEqual({ user, host: ip.join('.'), port, transport: tcp ? 'tcp' : 'udp' });
      }),
    );
    fc.assert(fc.property(fc.string(), (s) => void parseTarget(s)));
  });

  it('userOf takes the user part of sip:, sips: and tel: URIs', () => {
    expect(userOf('sip:+33123@carrier;user=phone')).toBe('+33123');
    expect(userOf('tel:+33123;phone-context=x')).toBe('+33123');
    expect(userOf('sip:carrier.example')).toBe('');
    fc.assert(
      fc.property(fc.string(), (s) => {
        expect(userOf(s).length).toBeLessThanOrEqual(128);
      }),
    );
  });

  it('dtmfOfInfo reads dtmf-relay and dtmf bodies, and nothing else', () => {
    expect(dtmfOfInfo('application/dtmf-relay', 'Signal=5\r\nDuration=160')).toBe('5');
    expect(dtmfOfInfo('Application/DTMF-Relay; x=y', 'Signal= #\r\n')).toBe('#');
    expect(dtmfOfInfo('application/dtmf-relay', 'Signal=11')).toBe('#');
    expect(dtmfOfInfo('application/dtmf', '*')).toBe('*');
    expect(dtmfOfInfo('application/dtmf', '55')).toBeUndefined();
    expect(dtmfOfInfo('text/plain', '5')).toBeUndefined();
    fc.assert(
      fc.property(fc.string(), fc.string(), (t, b) => {
        const d = dtmfOfInfo(t, b);
        expect(d === undefined || /^[0-9*#A-D]$/.test(d)).toBe(true);
      }),
    );
  });
});

describe('rate limiter', () => {
  it('never lets through more than rate·(1 + elapsed seconds) from one source', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.array(fc.integer({ min: 0, max: 200 }), { minLength: 1, maxLength: 300 }), (rate, gaps) => {
        const lim = createRateLimiter(rate);
        let t = 0;
        let passed = 0;
        for (const g of gaps) {
          t += g;
          if (lim.take('1.2.3.4', t)) passed++;
        }
        expect(passed).toBeLessThanOrEqual(Math.floor(rate * (1 + t / 1000)) + 1);
        // Another source has its own bucket.
        expect(lim.take('5.6.7.8', t)).toBe(true);
      }),
    );
  });
  it('keeps its table bounded', () => {
    const lim = createRateLimiter(10, 100);
    for (let i = 0; i < 1000; i++) lim.take(`s${i}`, 0);
    expect(lim.size).toBeLessThanOrEqual(100);
  });
});

describe('parser', () => {
  it('parseMessage never throws and only returns messages with the mandatory headers', () => {
    const good = 'OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: 1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n';
    expect(parseMessage(Buffer.from(good))?.method).toBe('OPTIONS');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.nat(good.length), (bytes, cut) => {
        for (const b of [Buffer.from(bytes), Buffer.from(good.slice(0, cut)), Buffer.concat([Buffer.from(good.slice(0, cut)), Buffer.from(bytes)])]) {
          const m = parseMessage(b);
          if (m) expect(typeof m.headers['call-id']).toBe('string');
        }
      }),
      { numRuns: 500 },
    );
    expect(sip.stringify(parseMessage(Buffer.from(good))!)).toContain('CSeq: 1 OPTIONS');
  });
});

describe('offersNoAudio (a phone putting the call on hold)', () => {
  const sdp = (audio: string[], session: string[] = [], c = 'c=IN IP4 192.0.2.7') =>
    ['v=0', 'o=- 1 2 IN IP4 192.0.2.7', 's=-', c, 't=0 0', ...session, 'm=audio 4000 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', ...audio].join('\r\n') + '\r\n';

  it('reads the audio stream, then the session, then RFC 2543 zero addresses', () => {
    expect(offersNoAudio(sdp([]))).toBe(false);
    expect(offersNoAudio(sdp(['a=sendrecv']))).toBe(false);
    expect(offersNoAudio(sdp(['a=recvonly']))).toBe(false);
    expect(offersNoAudio(sdp(['a=sendonly']))).toBe(true);
    expect(offersNoAudio(sdp(['a=inactive']))).toBe(true);
    expect(offersNoAudio(sdp([], ['a=sendonly']))).toBe(true);
    // The stream's own attribute wins over the session's.
    expect(offersNoAudio(sdp(['a=sendrecv'], ['a=inactive']))).toBe(false);
    expect(offersNoAudio(sdp([], [], 'c=IN IP4 0.0.0.0'))).toBe(true);
    expect(offersNoAudio(sdp(['c=IN IP4 0.0.0.0']))).toBe(true);
    expect(offersNoAudio(sdp(['c=IN IP4 192.0.2.9'], [], 'c=IN IP4 0.0.0.0'))).toBe(false);
    // A video stream's direction is not the audio's.
    expect(offersNoAudio(sdp(['a=sendrecv', 'm=video 4002 RTP/AVP 96', 'a=inactive']))).toBe(false);
    expect(offersNoAudio('')).toBe(false);
  });

  it('never throws, whatever the text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 400 }), (s) => typeof offersNoAudio(s) === 'boolean'));
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a=sendonly', 'a=inactive', 'a=sendrecv', 'a=recvonly', 'c=IN IP4 0.0.0.0', 'a=ptime:20'), { maxLength: 5 }), (extra) => {
        // Without a zero address, the first direction attribute of the stream decides.
        const first = extra.find((l) => /^a=(send|recv|inac)/.test(l));
        const zero = extra.includes('c=IN IP4 0.0.0.0');
        expect(offersNoAudio(sdp(extra))).toBe(zero || first === 'a=sendonly' || first === 'a=inactive');
      }),
    );
  });
});

describe("webRtcReanswer (a browser's hold and resume on the same transport)", () => {
  const ours = ['v=0', 'o=- 77 4 IN IP4 10.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE 0', 'm=audio 30000 UDP/TLS/RTP/SAVPF 0', 'c=IN IP4 10.0.0.1', 'a=rtpmap:0 PCMU/8000',
    'a=setup:actpass', 'a=mid:0', 'a=ice-ufrag:us', 'a=ice-pwd:ourpassword0123456789', 'a=fingerprint:sha-256 AA:BB', 'a=candidate:1 1 udp 2130706431 10.0.0.1 30001 typ host', 'a=rtcp-mux', 'a=sendrecv'].join('\r\n') + '\r\n';
  const browser = (extra: string[], ufrag = 'them', setup = 'active', codecs = '0 8', more: string[] = []) =>
    ['v=0', 'o=- 9 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE 0', `m=audio 50000 UDP/TLS/RTP/SAVPF ${codecs}`, 'c=IN IP4 10.0.0.2', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000',
      `a=setup:${setup}`, 'a=mid:0', `a=ice-ufrag:${ufrag}`, 'a=ice-pwd:theirpassword0123456789', 'a=rtcp-mux', ...extra, ...more].join('\r\n') + '\r\n';
  const first = browser(['a=sendrecv']);

  it('answers with our transport, the settled DTLS role, the answering direction and a newer version', () => {
    const held = webRtcReanswer(ours, first, browser(['a=sendonly'], 'them', 'actpass'), 5);
    expect(held).toMatch(/^o=- 77 5 IN IP4 10\.0\.0\.1$/m);
    expect(held).toMatch(/^a=recvonly$/m);
    expect(held).toMatch(/^a=setup:passive$/m);
    expect(held).toMatch(/^a=ice-ufrag:us$/m);
    expect(held).toMatch(/^a=fingerprint:sha-256 AA:BB$/m);
    expect(held).toMatch(/^a=candidate:1 1 udp 2130706431 10\.0\.0\.1 30001 typ host$/m);
    expect(held).not.toMatch(/^a=sendrecv$/m);
    expect(webRtcReanswer(ours, first, browser(['a=inactive']), 6)).toMatch(/^a=inactive$/m);
    expect(webRtcReanswer(ours, first, browser(['a=sendrecv']), 7)).toMatch(/^a=sendrecv$/m);
    // A browser that took the passive role first keeps it: we stay active.
    expect(webRtcReanswer(ours, browser(['a=sendrecv'], 'them', 'passive'), browser(['a=sendonly']), 8)).toMatch(/^a=setup:active$/m);
  });

  it('refuses what needs a new transport or another codec', () => {
    expect(() => webRtcReanswer(ours, first, browser(['a=sendonly'], 'restarted'), 5)).toThrow(/ICE restart/);
    expect(() => webRtcReanswer(ours, first, browser(['a=sendonly'], 'them', 'actpass', '8'), 5)).toThrow(/PCMU/);
    expect(() => webRtcReanswer(ours, first, browser(['a=sendonly'], 'them', 'actpass', '0', ['m=video 50002 UDP/TLS/RTP/SAVPF 96', 'a=mid:1']), 5)).toThrow(/one audio stream/);
    expect(() => webRtcReanswer(ours, first, 'x'.repeat(17_000), 5)).toThrow(/bytes/);
  });
});
