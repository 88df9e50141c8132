// The embedded media plane (RTP in Node, in a worker thread): what the rest of the app uses.
export { NodeMediaPlane, MAX_PENDING } from './node-media-plane.ts';
export type { MediaThread, NodeMediaPlaneOptions } from './node-media-plane.ts';
export { MediaEngine, DEFAULT_PORTS } from './engine.ts';
