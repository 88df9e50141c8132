// The embedded media plane answering a browser's call (the demo phone): a WebRTC offer (ICE,
// DTLS-SRTP, UDP/TLS/RTP/SAVPF) gets a werift answer on the WebRTC address, and the leg then
// carries audio both ways like any caller leg: a prompt played on it reaches the "browser",
// what the browser sends is counted on the leg. The browser here is werift too (no Chromium,
// no namespace), driven as a browser's peer connection would be, on this machine's first
// non-loopback IPv4: werift, like a browser, makes no host candidate on loopback (skipped
// when the machine has none). A plain RTP offer is still answered as before, on the media
// address.
import { afterAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { MediaEngine } from '../src/media/node/engine.ts';
import { isWebRtcOffer } from '../src/media/node/sdp.ts';
import { until } from './helpers/until.ts';
import { webRtcHostAddress } from '../src/telephony/index.ts';

const MENU = fileURLToPath(new URL('../sounds/default/menu.wav', import.meta.url));
const PLAIN_OFFER = ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=audio 40000 RTP/AVP 0 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', 'a=sendrecv', ''].join('\r\n');

const lan = webRtcHostAddress();
if (!lan) console.warn('media-webrtc-answer.test.ts: the WebRTC call is SKIPPED, this machine has no non-loopback IPv4');

describe('a WebRTC offer answered by the embedded plane', () => {
  const engine = new MediaEngine({ address: '127.0.0.1', webrtcAddress: lan ?? '127.0.0.1', ports: { min: 27_900, max: 27_949 }, events: { dtmf: () => undefined } });
  const closers: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const c of closers) await c().catch(() => undefined);
    await engine.stop();
  });

  it('tells a WebRTC offer from a plain one', () => {
    expect(isWebRtcOffer(PLAIN_OFFER)).toBe(false);
    expect(isWebRtcOffer(PLAIN_OFFER.replace('RTP/AVP', 'UDP/TLS/RTP/SAVPF'))).toBe(true);
    expect(isWebRtcOffer('not sdp')).toBe(false);
  });

  it.skipIf(!lan)('answers with ICE and DTLS on the WebRTC address, plays the menu to the browser and hears it back', async () => {
    const w = await import('werift');
    const browser = new w.RTCPeerConnection({
      codecs: { audio: [new w.RTCRtpCodecParameters({ mimeType: 'audio/PCMU', clockRate: 8000, channels: 1, payloadType: 0 })], video: [] },
      iceInterfaceAddresses: { udp4: lan! },
      iceUseIpv6: false,
    });
    closers.push(() => browser.close());
    const mic = new w.MediaStreamTrack({ kind: 'audio' });
    const transceiver = browser.addTransceiver(mic, { direction: 'sendrecv' });
    let heard = 0;
    transceiver.onTrack.subscribe((t) => t.onReceiveRtp.subscribe(() => heard++));
    await browser.setLocalDescription(await browser.createOffer());
    await until('the browser gathered its candidates', () => browser.iceGatheringState === 'complete', 5_000);
    const offer = browser.localDescription!.sdp;
    expect(isWebRtcOffer(offer)).toBe(true);

    const answer = await engine.answer('c1', 'c1.a', offer);
    expect(answer).toMatch(/UDP\/TLS\/RTP\/SAVPF 0\b/);
    expect(answer).toMatch(/a=fingerprint:/);
    // ICE on the WebRTC address, on a port of the plane's range.
    const cand = /a=candidate:\S+ 1 udp \d+ (\S+) (\d+) typ host/.exec(answer);
    expect(cand?.[1]).toBe(lan);
    expect(Number(cand?.[2])).toBeGreaterThanOrEqual(27_900);
    expect(Number(cand?.[2])).toBeLessThanOrEqual(27_949);
    await browser.setRemoteDescription({ type: 'answer', sdp: answer });
    await until('ICE and DTLS up', () => browser.connectionState === 'connected', 10_000);

    // The menu prompt, played on the leg, reaches the browser.
    await engine.play('c1.a', MENU, { loop: true });
    await until('the menu heard in the browser', () => heard > 25, 10_000);
    // The browser's audio (20 ms PCMU frames) is counted on the leg.
    let seq = 1;
    const timer = setInterval(() => {
      const header = new w.RtpHeader({ payloadType: 0, sequenceNumber: seq++ & 0xffff, timestamp: seq * 160, ssrc: 1234, marker: false });
      mic.writeRtp(new w.RtpPacket(header, Buffer.alloc(160, 0xff)));
    }, 20);
    try {
      await until('the browser heard on the leg', () => (engine.stats('c1.a')?.rxPackets ?? 0) > 25, 10_000);
    } finally {
      clearInterval(timer);
    }
    expect(engine.stats('c1.a')!.txPackets).toBeGreaterThan(25);

    // The browser holds (JsSIP's hold: a re-offer sendonly on the same transport): answered
    // recvonly with our first transport (fingerprint, candidates) and the DTLS role we took.
    const setup = (sdp: string) => /^a=setup:(\w+)/m.exec(sdp)?.[1];
    const fingerprint = (sdp: string) => /^a=fingerprint:(.+)$/m.exec(sdp)?.[1];
    const hold = await engine.reoffer('c1.a', offer.replace(/^a=sendrecv/m, 'a=sendonly'));
    expect(hold).toMatch(/^a=recvonly/m);
    expect([setup(hold), fingerprint(hold)]).toEqual([setup(answer), fingerprint(answer)]);
    expect(Number(/^o=\S+ \S+ (\d+)/m.exec(hold)?.[1])).toBeGreaterThan(Number(/^o=\S+ \S+ (\d+)/m.exec(answer)?.[1]));
    await engine.close('c1.a');
  }, 30_000);

  it('still answers a plain RTP offer on the media address', async () => {
    const answer = await engine.answer('c2', 'c2.a', PLAIN_OFFER);
    expect(answer).toMatch(/m=audio \d+ RTP\/AVP 0/);
    expect(answer).toMatch(/c=IN IP4 127\.0\.0\.1/);
    expect(answer).not.toMatch(/fingerprint/);
    await engine.close('c2.a');
  });
});
