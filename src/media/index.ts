// The media plane `vm serve --media node|rtpengine` runs (src/media/plane.ts).
import type { MediaPlane, MediaPlaneOptions } from './plane.ts';

export * from './plane.ts';

export type MediaKind = 'node' | 'rtpengine';

export async function createMediaPlane(kind: MediaKind, opts: MediaPlaneOptions & { rtpengine?: { host: string; port: number } }): Promise<MediaPlane> {
  void opts;
  throw new Error(`media plane ${kind}: not built yet`);
}
