// What the main thread and the media worker say to each other: requests named by id, each
// answered once; events (dtmf, played) unprompted. Legs' counters are not messages: the
// worker writes them into shared memory the main thread reads (MediaPlane.stats is sync).
import type { MediaError, MediaPlaneOptions } from '../plane.ts';

export type Op = 'answer' | 'offer' | 'answered' | 'reoffer' | 'play' | 'stopPlay' | 'bridge' | 'unbridge' | 'startRecording' | 'stopRecording' | 'close' | 'stop' | 'ping';

export interface Request {
  id: number;
  op: Op;
  args: unknown[];
}

export type Reply =
  | { id: number; ok: true; value: unknown; slot?: number }
  | { id: number; ok: false; code: MediaError['code'] | undefined; message: string }
  | { event: 'dtmf'; leg: string; digit: string }
  | { event: 'played'; leg: string };

export interface WorkerData {
  address: string;
  ports: NonNullable<MediaPlaneOptions['ports']>;
  /** SharedArrayBuffer of the legs' counters (see leg.ts STAT). */
  stats: SharedArrayBuffer;
}
