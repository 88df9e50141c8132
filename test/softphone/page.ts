// The minimal softphone page of the softphone tests, bundled with JsSIP (CommonJS only) by
// Vite: it registers over SIP over WebSocket with an operator's SIP credentials, answers
// every incoming call at once (fake microphone), and reports its state and WebRTC counters
// to the test through `window.softphone`.
import * as JsSIP from 'jssip';
import type { RTCSession } from 'jssip/lib/RTCSession.js';

export interface SoftphoneState {
  registered: boolean;
  registrationFailed: string | undefined;
  /** Calls that reached the page / that it answered (ACKed) / that ended, with their causes. */
  incoming: number;
  confirmed: number;
  ended: string[];
  /** Codecs of the RTP streams (audio/PCMU…), once media flows. */
  codecs: string[];
}

export interface RtpCounters {
  packetsReceived: number;
  bytesReceived: number;
  packetsSent: number;
  bytesSent: number;
}

export interface Softphone {
  /** `password`, or the digest `ha1` with its `realm` (what GET …/operators/:op/softphone gives). */
  start(o: { ws: string; uri: string; user: string; password?: string; ha1?: string; realm?: string; debug?: boolean }): void;
  state(): SoftphoneState;
  stats(): Promise<RtpCounters | undefined>;
  hangup(): void;
  /** JsSIP's own hold / resume (a re-INVITE a=sendonly / sendrecv): whether the far end accepted it. */
  hold(): Promise<boolean>;
  unhold(): Promise<boolean>;
  stop(): Promise<void>;
}

declare global {
  interface Window {
    softphone: Softphone;
  }
}

const state: SoftphoneState = { registered: false, registrationFailed: undefined, incoming: 0, confirmed: 0, ended: [], codecs: [] };
let ua: JsSIP.UA | undefined;
let current: RTCSession | undefined;

/** Resolves once the re-INVITE is answered: true on 2xx, false when refused or the call ends. */
function reinvite(what: 'hold' | 'unhold'): Promise<boolean> {
  const s = current;
  if (!s) return Promise.resolve(false);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), 10_000);
    const end = () => {
      clearTimeout(t);
      resolve(false);
    };
    s.once('ended', end);
    s.once('failed', end);
    const ok = () => {
      clearTimeout(t);
      s.removeListener('ended', end);
      resolve(true);
    };
    const started = what === 'hold' ? s.hold({}, ok) : s.unhold({}, ok);
    if (!started) end();
  });
}

window.softphone = {
  start(o) {
    if (o.debug) JsSIP.debug.enable('JsSIP:*');
    else JsSIP.debug.disable();
    ua = new JsSIP.UA({
      sockets: [new JsSIP.WebSocketInterface(o.ws)],
      uri: o.uri,
      authorization_user: o.user,
      ...(o.ha1 ? { ha1: o.ha1, realm: o.realm } : { password: o.password }),
      register: true,
      session_timers: false,
    });
    ua.on('registered', () => (state.registered = true));
    ua.on('unregistered', () => (state.registered = false));
    ua.on('registrationFailed', (e: { cause?: string }) => (state.registrationFailed = String(e.cause)));
    ua.on('newRTCSession', (e: { originator: string; session: RTCSession }) => {
      if (e.originator !== 'remote') return;
      state.incoming++;
      const s = e.session;
      current = s;
      s.on('confirmed', () => state.confirmed++);
      s.on('ended', (x: { cause?: string }) => state.ended.push(`ended:${String(x.cause)}`));
      s.on('failed', (x: { cause?: string }) => state.ended.push(`failed:${String(x.cause)}`));
      s.answer({ mediaConstraints: { audio: true, video: false }, pcConfig: { iceServers: [] } });
    });
    ua.start();
  },
  state: () => structuredClone(state),
  async stats() {
    const pc = current?.connection;
    if (!pc) return undefined;
    const out: RtpCounters = { packetsReceived: 0, bytesReceived: 0, packetsSent: 0, bytesSent: 0 };
    const report = await pc.getStats();
    const codecs = new Set<string>();
    report.forEach((r: { type: string; kind?: string; codecId?: string; packetsReceived?: number; bytesReceived?: number; packetsSent?: number; bytesSent?: number }) => {
      if (r.kind !== 'audio') return;
      if (r.type === 'inbound-rtp') {
        out.packetsReceived += r.packetsReceived ?? 0;
        out.bytesReceived += r.bytesReceived ?? 0;
      } else if (r.type === 'outbound-rtp') {
        out.packetsSent += r.packetsSent ?? 0;
        out.bytesSent += r.bytesSent ?? 0;
      } else return;
      const codec = r.codecId ? (report.get(r.codecId) as { mimeType?: string } | undefined) : undefined;
      if (codec?.mimeType) codecs.add(codec.mimeType);
    });
    state.codecs = [...codecs].sort();
    return out;
  },
  hangup() {
    current?.terminate();
  },
  hold: () => reinvite('hold'),
  unhold: () => reinvite('unhold'),
  async stop() {
    if (!ua) return;
    const u = ua;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 3000);
      u.on('unregistered', () => {
        clearTimeout(t);
        resolve();
      });
      u.stop();
    });
  },
};
