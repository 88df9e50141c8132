// JsSIP over the server's SIP-over-WebSocket path, shared by the pages that talk SIP: the
// toolbar's softphone (phone.ts, registers and takes the operator's calls) and the demo's
// phone page (demo-phone.tsx, calls the center as a caller would). One user agent setup,
// one way to ask for the microphone, one way to play the far end.
import * as JsSIP from 'jssip';
import type { RTCSession } from 'jssip/lib/RTCSession.js';

export type { RTCSession };

export interface UaOptions {
  /** The WebSocket path on this server (GET …/softphone's ws_path, or the demo's). */
  wsPath: string;
  /** The user part of our SIP URI (an operator's SIP username, a caller's number). */
  user: string;
  /** Digest credentials: an operator's HA1 with its realm. None: a caller the server trusts. */
  auth?: { ha1: string; realm: string };
  register: boolean;
}

/** A JsSIP user agent on ws(s)://<this page's host><wsPath>, not yet started. */
export function userAgent(o: UaOptions): JsSIP.UA {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  JsSIP.debug.disable();
  return new JsSIP.UA({
    sockets: [new JsSIP.WebSocketInterface(`${scheme}://${location.host}${o.wsPath}`)],
    uri: `sip:${o.user}@${location.hostname}`,
    ...(o.auth ? { authorization_user: o.user, ha1: o.auth.ha1, realm: o.auth.realm } : {}),
    register: o.register,
    session_timers: false,
  });
}

// The microphone is asked for in audio.ts (the toolbar checks it before JsSIP loads).
export { microphone } from './audio.ts';

/** Plays the far end of `session` in `audio` once its track arrives. */
export function playRemote(session: RTCSession, audio: HTMLAudioElement): void {
  const attach = (pc: RTCPeerConnection) =>
    pc.addEventListener('track', (t) => {
      audio.srcObject = t.streams[0] ?? new MediaStream([t.track]);
      void audio.play().catch(() => undefined);
    });
  // An outgoing session has its peer connection already; an incoming one gets it on answer.
  if (session.connection) attach(session.connection);
  else session.on('peerconnection', (p: { peerconnection: RTCPeerConnection }) => attach(p.peerconnection));
}

/** Sends a key of the dial pad in the call as SIP INFO (the B2BUA reads DTMF from a WebRTC leg so). */
export function sendKey(session: RTCSession, key: string): void {
  session.sendDTMF(key, { transportType: JsSIP.C.DTMF_TRANSPORT.INFO });
}
