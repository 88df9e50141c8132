// The embedded media plane (RTP in Node, in a worker thread) against the media plane's
// contract: real UDP far ends on loopback (test/media/contract.ts).
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_PENDING, NodeMediaPlane } from '../src/media/node/index.ts';
import { MediaError } from '../src/media/plane.ts';
import { createMediaPlane } from '../src/media/index.ts';
import { MEDIA_NICE } from '../src/media/node/priority.ts';
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

describe('the media worker’s thread', () => {
  const planes: NodeMediaPlane[] = [];
  afterEach(async () => {
    for (const p of planes.splice(0)) await p.stop();
  });
  const make = (opts: Partial<ConstructorParameters<typeof NodeMediaPlane>[0]> = {}) => {
    const p = new NodeMediaPlane({ events: eventLog().handlers, ports: testPorts(8), ...opts });
    planes.push(p);
    return p;
  };
  /** A thread's CPUs as the kernel lists them (`/proc/self/status`: the main thread's). */
  const cpusOf = (tid?: number) => /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync(tid === undefined ? '/proc/self/status' : `/proc/self/task/${tid}/status`, 'utf8'))?.[1];
  const linux = existsSync('/proc/thread-self');
  const taskset = ['/usr/bin/taskset', '/bin/taskset'].some((f) => existsSync(f));

  it.runIf(linux)('runs where the process runs when no CPU is asked, at the media priority', async () => {
    const t = await make().ready();
    expect(t.tid).toBeGreaterThan(0);
    expect(t.tid).not.toBe(process.pid);
    expect(cpusOf(t.tid)).toBe(cpusOf());
    expect(t.cpus).toBe(cpusOf());
    expect(t.cpusError).toBeUndefined();
    // Raised when allowed (root or CAP_SYS_NICE), never lowered.
    expect(getPriority(t.tid!)).toBe(t.nice);
    expect(t.nice!).toBeLessThanOrEqual(0);
    if (process.getuid?.() === 0) expect(t.nice).toBe(MEDIA_NICE);
  });

  it.runIf(linux && taskset)('keeps its thread, and only it, on the CPUs asked', async () => {
    const before = cpusOf();
    // The last CPU: another one than the main thread's whenever the tests run pinned to CPU 0.
    const cpu = availableParallelism() - 1;
    const logged: string[] = [];
    const plane = make({ cpus: [cpu], log: { info: (_o, m) => logged.push(`info ${m}`), warn: (_o, m) => logged.push(`warn ${m}`) } });
    const t = await plane.ready();
    expect(cpusOf(t.tid)).toBe(String(cpu));
    expect(t.cpus).toBe(String(cpu));
    expect(cpusOf()).toBe(before);
    expect(logged).toEqual(['info media worker placed on its CPUs']);
    // And it relays from there.
    const f = await FarEnd.open();
    try {
      f.heard(await plane.answer('c', 'a', f.offer(['PCMU'])));
      await f.sendAudio('PCMU', tone(160 * 3, 8000, 500));
      await until('three packets', () => plane.stats('a')!.rxPackets >= 3);
    } finally {
      f.close();
    }
  });

  it.runIf(linux && taskset)('reports CPUs it cannot have in a log line, and works where it was', async () => {
    const logged: string[] = [];
    const plane = make({ cpus: [1023], log: { info: (_o, m) => logged.push(`info ${m}`), warn: (_o, m) => logged.push(`warn ${m}`) } });
    const t = await plane.ready();
    expect(t.cpusError).toMatch(/taskset -p -c 1023 .* failed/);
    expect(cpusOf(t.tid)).toBe(cpusOf());
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatch(/^warn media worker: taskset/);
    expect(await plane.offer('c', 'a')).toMatch(/m=audio \d+/);
  });

  it('decodes the sounds to preload before ready(), and reports in a log line those it cannot', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'media-preload-'));
    try {
      const good = join(dir, 'hold.wav');
      writeFileSync(good, wavFile(tone(16_000, 16_000, 440), 16_000));
      const eight = join(dir, 'eight.wav');
      writeFileSync(eight, wavFile(tone(800, 8000, 440), 8000));
      const logged: string[] = [];
      const plane = make({ preload: [good, eight, join(dir, 'none.wav')], log: { info: (_o, m) => logged.push(`info ${m}`), warn: (o, m) => logged.push(`warn ${m} ${JSON.stringify(o)}`) } });
      const t = await plane.ready();
      expect(t.preloaded).toBe(1);
      expect(t.preloadErrors).toHaveLength(2);
      expect(t.preloadErrors!.join('\n')).toMatch(/eight\.wav .*sampled at 8000 Hz[^]*none\.wav .*does not exist/);
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatch(/^warn media worker: sounds not decoded at start/);
      // The plane works, and plays what it decoded.
      const f = await FarEnd.open();
      try {
        f.heard(await plane.answer('c', 'a', f.offer(['PCMU'])));
        await plane.play('a', good, { loop: false });
        await until('the sound', () => f.received.length >= 5);
      } finally {
        f.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.runIf(linux)('is started by createMediaPlane, before the first call, not by it', async () => {
    const threads = () => new Set(readdirSync('/proc/self/task').map(Number));
    const before = threads();
    const plane = (await createMediaPlane('node', { events: eventLog().handlers, ports: testPorts(8) })) as NodeMediaPlane;
    planes.push(plane);
    const after = threads();
    // ready() answers for the worker already running (a fresh one would be a thread not seen yet).
    const t = await plane.ready();
    expect(before.has(t.tid!)).toBe(false);
    expect(after.has(t.tid!)).toBe(true);
    expect(await plane.ready()).toEqual(t);
  });
});
