// What the main thread and the media worker say to each other: requests named by id, each
// answered once; events (dtmf, played) unprompted. Legs' counters are not messages: the
// worker writes them into shared memory the main thread reads (MediaPlane.stats is sync).
import type { MediaError, MediaPlaneOptions } from '../plane.ts';

export type Op = 'answer' | 'offer' | 'answered' | 'reoffer' | 'play' | 'stopPlay' | 'bridge' | 'unbridge' | 'startRecording' | 'stopRecording' | 'close' | 'stop';

export interface Request {
  id: number;
  op: Op;
  args: unknown[];
}

export type Reply =
  | { id: number; ok: true; value: unknown; slot?: number }
  | { id: number; ok: false; code: MediaError['code'] | undefined; message: string }
  | { event: 'dtmf'; leg: string; digit: string }
  | { event: 'played'; leg: string }
  | ({ event: 'thread' } & MediaThread);

/** The worker's thread as it started (its first message): what the kernel runs it as. */
export interface MediaThread {
  /** Its kernel thread id (Linux), e.g. for /proc/<pid>/task/<tid>. */
  tid?: number;
  /** Its nice value (see priority.ts). */
  nice?: number;
  /** The CPUs it may run on (`Cpus_allowed_list`, e.g. `1` or `0-3`). */
  cpus?: string;
  /** Why the CPUs asked for were not set. */
  cpusError?: string;
  /** Sounds decoded at start (WorkerData.preload), and why the others were not. */
  preloaded?: number;
  preloadErrors?: string[];
}

export interface WorkerData {
  address: string;
  /** Where WebRTC legs do ICE (MediaPlaneOptions.webrtcAddress). */
  webrtcAddress?: string;
  ports: NonNullable<MediaPlaneOptions['ports']>;
  /** SharedArrayBuffer of the legs' counters (see leg.ts STAT). */
  stats: SharedArrayBuffer;
  /** CPUs to keep the worker's thread on; none: where the process runs. */
  cpus?: number[];
  /** Sound files to decode at start. */
  preload?: string[];
}
