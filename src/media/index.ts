// The media plane `vm serve --media node|rtpengine` runs (src/media/plane.ts): the embedded
// one (RTP in a worker thread), or rtpengine — one we start ourselves from Debian's package
// (`--media rtpengine` alone), or one someone else runs (`--rtpengine HOST:PORT`, whose
// `--dtmf-log-dest` points at `--rtpengine-dtmf`).
import { freeUdpPort } from './ports.ts';
import type { MediaPlane, MediaPlaneOptions } from './plane.ts';
import { NodeMediaPlane } from './node/index.ts';
import { bindDtmfLog, RtpenginePlane } from './rtpengine/plane.ts';
import { startRtpengine } from './rtpengine/daemon.ts';

export * from './plane.ts';

export type MediaKind = 'node' | 'rtpengine';

export interface CreateMediaOptions extends MediaPlaneOptions {
  /** An rtpengine someone else runs (its NG address); none: we start one. */
  rtpengine?: { host: string; port: number };
  /** Where we hear rtpengine's DTMF reports (its --dtmf-log-dest). @default 127.0.0.1, any port (own rtpengine) */
  rtpengineDtmf?: { host: string; port: number };
  /** Where recordings are spooled (rtpengine's --recording-dir, readable here). */
  recordingDir?: string;
}

export async function createMediaPlane(kind: MediaKind, opts: CreateMediaOptions): Promise<MediaPlane> {
  if (kind === 'node') {
    // The worker is loaded now, not by the first call (which would wait seconds for it).
    const plane = new NodeMediaPlane(opts);
    await plane.warm();
    return plane;
  }
  const address = opts.address ?? '127.0.0.1';
  const dtmfLog = await bindDtmfLog(opts.rtpengineDtmf?.host ?? '127.0.0.1', opts.rtpengineDtmf?.port ?? 0);
  if (opts.rtpengine) {
    const plane = new RtpenginePlane({ ...opts, ng: `${opts.rtpengine.host}:${opts.rtpengine.port}`, dtmfLog, ...(opts.recordingDir ? { recordingDir: opts.recordingDir } : {}) });
    return stopsToo(plane, async () => {
      dtmfLog.close();
    });
  }
  // Our own rtpengine, in userspace (--table=-1), stopped with the plane.
  const ports = opts.ports ?? { min: 20_000, max: 29_999 };
  const daemon = await startRtpengine({
    ngPort: await freeUdpPort(address),
    portMin: ports.min,
    portMax: ports.max,
    address,
    dtmfLogPort: (dtmfLog.address() as { port: number }).port,
    ...(opts.recordingDir ? { recordingDir: opts.recordingDir } : {}),
  }).catch((err: unknown) => {
    dtmfLog.close();
    throw err;
  });
  const plane = new RtpenginePlane({ ...opts, ng: daemon.ng, dtmfLog, ...(opts.recordingDir ? { recordingDir: opts.recordingDir } : {}) });
  return stopsToo(plane, async () => {
    dtmfLog.close();
    await daemon.stop();
  });
}

/** The plane, whose `stop` also runs `after` (what was started for it). */
function stopsToo(plane: RtpenginePlane, after: () => Promise<void>): MediaPlane {
  const stop = plane.stop.bind(plane);
  plane.stop = async () => {
    try {
      await stop();
    } finally {
      await after();
    }
  };
  return plane;
}
