// The embedded media plane (RTP in Node, in a worker thread) against the media plane's
// contract: real UDP far ends on loopback (test/media/contract.ts).
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_PENDING, NodeMediaPlane } from '../src/media/node/index.ts';
import { MediaError } from '../src/media/plane.ts';
import { until } from './helpers/until.ts';
import { eventLog, mediaContract, testPorts } from './media/contract.ts';
import { FarEnd } from './media/far-end.ts';
import { tone, wavFile } from './media/signals.ts';

mediaContract('embedded (Node worker)', async (opts) => {
  const events = eventLog();
  const plane = new NodeMediaPlane({ events: events.handlers, address: '127.0.0.1', ports: opts?.ports ?? testPorts(64) });
  return { plane, events };
});

describe('embedded media plane specifics', () => {
  let plane: NodeMediaPlane;
  let events: ReturnType<typeof eventLog>;
  const fars: FarEnd[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'media-node-'));
  afterEach(async () => {
    for (const f of fars.splice(0)) f.close();
    await plane?.stop();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const start = (ports = testPorts(16)) => {
    events = eventLog();
    plane = new NodeMediaPlane({ events: events.handlers, ports });
    return plane;
  };
  const far = async () => {
    const f = await FarEnd.open();
    fars.push(f);
    return f;
  };

  it('takes exactly the even ports of its range, and gives a closed leg’s port to a later leg', async () => {
    const ports = testPorts(4);
    start(ports);
    const f = await far();
    const a = await plane.answer('c', 'a', f.offer(['PCMU']));
    const b = await plane.answer('c', 'b', f.offer(['PCMU']));
    const port = (sdp: string) => Number(/m=audio (\d+)/.exec(sdp)![1]);
    expect(new Set([port(a), port(b)])).toEqual(new Set([ports.min, ports.min + 2]));
    const e = await plane.answer('c', 'x', f.offer(['PCMU'])).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(MediaError);
    expect((e as MediaError).code).toBe('MEDIA_NO_PORT');
    await plane.close('a');
    expect(port(await plane.answer('c', 'd', f.offer(['PCMU'])))).toBe(port(a));
  });

  it('refuses a sound that is not 16 kHz mono 16-bit PCM, or missing, with MEDIA_BAD_SOUND across the thread', async () => {
    start();
    const f = await far();
    await plane.answer('c', 'a', f.offer(['PCMU']));
    const file = join(dir, 'eight.wav');
    writeFileSync(file, wavFile(tone(800, 8000, 440), 8000));
    for (const [path, why] of [
      [file, /sampled at 8000 Hz/],
      [join(dir, 'none.wav'), /does not exist/],
    ] as const) {
      const e = await plane.play('a', path, { loop: false }).catch((err: unknown) => err);
      expect(e).toBeInstanceOf(MediaError);
      expect((e as MediaError).code).toBe('MEDIA_BAD_SOUND');
      expect((e as MediaError).message).toMatch(why);
    }
  });

  it('counts only RTP: garbage datagrams are not packets', async () => {
    start();
    const f = await far();
    f.heard(await plane.answer('c', 'a', f.offer(['PCMU'])));
    for (let i = 0; i < 50; i++) f.sendRaw(Buffer.from(`garbage ${i}`));
    f.sendRaw(Buffer.alloc(4000, 0x80));
    await f.sendAudio('PCMU', tone(160 * 3, 8000, 500));
    await until('three packets', () => plane.stats('a')!.rxPackets >= 3);
    await f.sendDtmf('1');
    await until('the key', () => events.dtmf.length === 1);
    expect(plane.stats('a')!.rxPackets).toBe(3 + 10);
  });

  it('refuses requests beyond MAX_PENDING with MEDIA_UNAVAILABLE instead of queueing them', async () => {
    start();
    await plane.offer('c', 'a');
    const all = Array.from({ length: MAX_PENDING + 5 }, () => plane.stopPlay('a').then(() => 'ok', (e: MediaError) => e.code));
    const codes = await Promise.all(all);
    expect(codes.filter((c) => c === 'MEDIA_UNAVAILABLE')).toHaveLength(5);
    expect(codes.filter((c) => c === 'ok')).toHaveLength(MAX_PENDING);
  });
});
