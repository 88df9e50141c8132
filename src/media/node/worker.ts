// The media worker thread: the engine (engine.ts) behind messages from NodeMediaPlane, so
// that RTP pacing and relaying never wait on the fan-out's event loop, nor it on them.
import { parentPort, workerData } from 'node:worker_threads';
import { MediaError } from '../plane.ts';
import { MediaEngine } from './engine.ts';
import type { Reply, Request, WorkerData } from './messages.ts';
import { allowedCpus, pinThread, raiseThreadPriority, threadId } from './priority.ts';

if (!parentPort) throw new Error('worker.ts runs as a worker thread');
const port = parentPort;
const data = workerData as WorkerData;
const post = (r: Reply) => port.postMessage(r);

// Before any socket: RTP must not wait behind the rest of the machine, nor take turns with
// the fan-out when it has a core of its own (see priority.ts).
const nice = raiseThreadPriority();
const tid = threadId();
const placed = data.cpus?.length ? pinThread(data.cpus) : { cpus: allowedCpus() };

const engine = new MediaEngine({
  address: data.address,
  ...(data.webrtcAddress ? { webrtcAddress: data.webrtcAddress } : {}),
  ports: data.ports,
  stats: new Float64Array(data.stats),
  events: {
    dtmf: (leg, digit) => post({ event: 'dtmf', leg, digit }),
    played: (leg) => post({ event: 'played', leg }),
  },
});

async function run(m: Request): Promise<unknown> {
  const a = m.args as [string, string, string];
  switch (m.op) {
    case 'answer':
      return engine.answer(a[0], a[1], a[2]);
    case 'offer':
      return engine.offer(a[0], a[1], m.args[2] as { webrtc?: boolean } | undefined);
    case 'answered':
      return engine.answered(a[0], a[1]);
    case 'reoffer':
      return engine.reoffer(a[0], a[1]);
    case 'play':
      return engine.play(a[0], a[1], m.args[2] as { loop: boolean });
    case 'stopPlay':
      return engine.stopPlay(a[0]);
    case 'bridge':
      return engine.bridge(a[0], a[1]);
    case 'unbridge':
      return engine.unbridge(a[0]);
    case 'startRecording':
      return engine.startRecording(a[0], m.args[1] as string[], a[2]);
    case 'stopRecording':
      return engine.stopRecording(a[0]);
    case 'close':
      return engine.close(a[0]);
    case 'stop':
      return engine.stop();
  }
}

/**
 * What a request must wait for: the requests before it on the same legs or call (a close
 * sent while the leg's answer is still binding its port runs after it). Requests on other
 * legs do not wait for each other (a slow disk under one recording delays no one else).
 */
function lanesOf(m: Request): string[] {
  const a = m.args;
  switch (m.op) {
    case 'answer':
    case 'offer':
      return [`leg:${String(a[1])}`];
    case 'bridge':
      return [`leg:${String(a[0])}`, `leg:${String(a[1])}`];
    case 'startRecording':
      return [`call:${String(a[0])}`, ...(Array.isArray(a[1]) ? a[1].map((l) => `leg:${String(l)}`) : [])];
    case 'stopRecording':
      return [`call:${String(a[0])}`];
    case 'stop':
      return [...lanes.keys()];
    default:
      return [`leg:${String(a[0])}`];
  }
}

const lanes = new Map<string, Promise<void>>();

function queue(m: Request): Promise<unknown> {
  const keys = lanesOf(m);
  const before = keys.map((k) => lanes.get(k)).filter((p) => p !== undefined);
  const result = (before.length ? Promise.all(before).then(() => run(m)) : run(m));
  const settled = result.then(
    () => undefined,
    () => undefined,
  );
  for (const k of keys) lanes.set(k, settled);
  void settled.then(() => {
    for (const k of keys) if (lanes.get(k) === settled) lanes.delete(k);
  });
  return result;
}

// Started: the sounds asked for decoded (the first call's hold music would otherwise wait
// ~0.1 s for it), then the thread reported (the plane's ready()).
void Promise.allSettled((data.preload ?? []).map((f) => engine.preload(f))).then((done) => {
  const errors = done.flatMap((d) => (d.status === 'rejected' ? [d.reason instanceof Error ? d.reason.message : String(d.reason)] : []));
  post({
    event: 'thread',
    ...(tid === undefined ? {} : { tid }),
    ...(nice === undefined ? {} : { nice }),
    ...(placed.cpus ? { cpus: placed.cpus } : {}),
    ...('error' in placed && placed.error ? { cpusError: placed.error } : {}),
    ...(data.preload ? { preloaded: done.length - errors.length } : {}),
    ...(errors.length ? { preloadErrors: errors } : {}),
  });
});

port.on('message', (m: Request) => {
  queue(m).then(
    (value) => {
      const slot = m.op === 'answer' || m.op === 'offer' ? engine.slotOf(String(m.args[1])) : undefined;
      post({ id: m.id, ok: true, value, ...(slot === undefined ? {} : { slot }) });
    },
    (e: unknown) => {
      const code = e instanceof MediaError ? e.code : undefined;
      post({ id: m.id, ok: false, code, message: e instanceof Error ? e.message : String(e) });
    },
  );
});
