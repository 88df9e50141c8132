// A listener on a conversation (a supervisor listening to an operator's call), the way the
// recorder hears one: what each side says is decoded into a short queue (recorder.ts's
// SampleQueue, which absorbs the packets' jitter around the clock's ticks), and each tick of
// the media clock takes a frame from each queue and sums them with clipping:
//   listener ← target + peer                 (every mode)
//   target   ← peer + listener               (whisper, barge: instead of the plain relay)
//   peer     ← target + listener             (barge: instead of the plain relay)
// A leg fed by the mix is "mixed": the engine's relay skips it. Its audio then comes on the
// clock, behind the queue's priming (up to 100 ms more than the relay), which is the price
// of hearing two voices at once. `peer` follows whatever `target` is bridged to.
import { encode } from '../g711.ts';
import type { ListenMode } from '../plane.ts';
import { FRAME_SAMPLES } from './clock.ts';
import type { Leg } from './leg.ts';
import { SampleQueue } from './recorder.ts';
import { buildRtp } from './rtp.ts';

/** Sums two frames into `out`, clipped to 16 bits. */
export function mix(a: Int16Array, b: Int16Array, out: Int16Array): Int16Array {
  for (let i = 0; i < out.length; i++) {
    const s = a[i]! + b[i]!;
    out[i] = s > 32767 ? 32767 : s < -32768 ? -32768 : s;
  }
  return out;
}

export class Monitor {
  /** What the target, its peer and the listener say. */
  readonly fromTarget = new SampleQueue();
  readonly fromPeer = new SampleQueue();
  readonly fromListener = new SampleQueue();
  private peer: Leg | undefined;
  private started = false;
  private readonly t = new Int16Array(FRAME_SAMPLES);
  private readonly p = new Int16Array(FRAME_SAMPLES);
  private readonly l = new Int16Array(FRAME_SAMPLES);
  private readonly sum = new Int16Array(FRAME_SAMPLES);
  private readonly codes = new Uint8Array(FRAME_SAMPLES);

  constructor(
    readonly listener: Leg,
    readonly target: Leg,
    public mode: ListenMode,
  ) {
    target.saysTo.add(this.fromTarget);
    listener.saysTo.add(this.fromListener);
    this.apply();
  }

  /** Marks which legs the mix feeds (the relay skips them), after a mode or peer change. */
  apply(): void {
    this.follow();
    this.target.mixedBy = this.mode === 'listen' ? undefined : this;
    if (this.peer) this.peer.mixedBy = this.mode === 'barge' ? this : undefined;
  }

  /** Hears whatever the target is bridged to now. */
  private follow(): void {
    const peer = this.target.peer === this.listener ? undefined : this.target.peer;
    if (peer === this.peer) return;
    if (this.peer) {
      this.peer.saysTo.delete(this.fromPeer);
      if (this.peer.mixedBy === this) this.peer.mixedBy = undefined;
    }
    this.peer = peer;
    if (peer) {
      peer.saysTo.add(this.fromPeer);
      if (this.mode === 'barge') peer.mixedBy = this;
    }
  }

  /** One clock tick: a mixed frame to the listener, and to the legs the mode feeds. */
  tick(tick: number, heard: (leg: Leg, frame: Uint8Array) => void): void {
    this.follow();
    this.fromTarget.take(this.t);
    this.fromPeer.take(this.p);
    this.fromListener.take(this.l);
    this.send(this.listener, mix(this.t, this.p, this.sum), tick, !this.started, heard);
    this.started = true;
    if (this.mode !== 'listen') this.send(this.target, mix(this.p, this.l, this.sum), tick, false, heard);
    if (this.mode === 'barge' && this.peer) this.send(this.peer, mix(this.t, this.l, this.sum), tick, false, heard);
  }

  private send(leg: Leg, pcm: Int16Array, tick: number, start: boolean, heard: (leg: Leg, frame: Uint8Array) => void): void {
    const codec = leg.codec;
    // A sound playing to the leg (hold music) has the leg to itself.
    if (!codec || !leg.sending || leg.playing) return;
    encode(codec, pcm, this.codes);
    const st = leg.out.paced(tick, start);
    leg.send(buildRtp(leg.remote!.pt, st.marker, st.seq, st.timestamp, leg.out.ssrc, this.codes));
    heard(leg, this.codes);
  }

  /** Detaches from the legs (the relay takes over again where the mix fed). */
  stop(): void {
    this.target.saysTo.delete(this.fromTarget);
    this.listener.saysTo.delete(this.fromListener);
    if (this.target.mixedBy === this) this.target.mixedBy = undefined;
    if (this.peer) {
      this.peer.saysTo.delete(this.fromPeer);
      if (this.peer.mixedBy === this) this.peer.mixedBy = undefined;
    }
    this.peer = undefined;
  }
}
