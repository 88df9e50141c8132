// The browser softphone: JsSIP registered over SIP over WebSocket with the operator's
// digest HA1 (GET …/operators/:op/softphone). The B2BUA rings it when the engine rings the
// operator; answering its session is what makes the B2BUA report the operator's answer, so
// the toolbar's Answer answers here when a softphone is registered. Mute disables the local
// track. Loaded only when the server has a softphone for the operator.
import * as JsSIP from 'jssip';
import type { RTCSession } from 'jssip/lib/RTCSession.js';
import type { Softphone } from './api.ts';

export type PhoneState = 'starting' | 'registered' | 'failed';

export interface Phone {
  state(): PhoneState;
  /** An incoming call not yet answered or ended. */
  ringing(): boolean;
  /** Answers the ringing call with the microphone; rejects with a media error when it is denied or missing. */
  answer(): Promise<void>;
  setMuted(muted: boolean): void;
  stop(): void;
}

export function startPhone(cfg: Softphone, audio: HTMLAudioElement, onChange: () => void): Phone {
  const host = location.host;
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  JsSIP.debug.disable();
  const ua = new JsSIP.UA({
    sockets: [new JsSIP.WebSocketInterface(`${scheme}://${host}${cfg.ws_path}`)],
    uri: `sip:${cfg.username}@${location.hostname}`,
    authorization_user: cfg.username,
    ha1: cfg.ha1,
    realm: cfg.realm,
    register: true,
    session_timers: false,
  });
  let state: PhoneState = 'starting';
  let incoming: RTCSession | undefined;
  let current: RTCSession | undefined;
  const set = (s: PhoneState) => {
    state = s;
    onChange();
  };
  ua.on('registered', () => set('registered'));
  ua.on('registrationFailed', () => set('failed'));
  ua.on('newRTCSession', (e: { originator: string; session: RTCSession }) => {
    if (e.originator !== 'remote') return;
    const s = e.session;
    incoming = s;
    const done = () => {
      if (incoming === s) incoming = undefined;
      if (current === s) current = undefined;
      onChange();
    };
    s.on('ended', done);
    s.on('failed', done);
    s.on('peerconnection', (p: { peerconnection: RTCPeerConnection }) => {
      p.peerconnection.addEventListener('track', (t) => {
        audio.srcObject = t.streams[0] ?? new MediaStream([t.track]);
        void audio.play().catch(() => undefined);
      });
    });
    onChange();
  });
  ua.start();
  return {
    state: () => state,
    ringing: () => incoming !== undefined,
    async answer() {
      const s = incoming;
      if (!s) return;
      // Ask for the microphone first: a denial is then a clear error, not a failed session.
      // Browsers give it to secure pages only (https, or localhost).
      if (!window.isSecureContext || !navigator.mediaDevices) throw new Error('insecure');
      const mic = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
      incoming = undefined;
      current = s;
      s.answer({ mediaStream: mic, pcConfig: { iceServers: [] } });
      onChange();
    },
    setMuted(muted) {
      if (!current) return;
      if (muted) current.mute({ audio: true });
      else current.unmute({ audio: true });
    },
    stop() {
      ua.stop();
    },
  };
}
