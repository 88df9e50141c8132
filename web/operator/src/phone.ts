// The browser softphone: JsSIP registered over SIP over WebSocket with the operator's
// digest HA1 (GET …/operators/:op/softphone). The B2BUA rings it when the engine rings the
// operator; answering its session is what makes the B2BUA report the operator's answer, so
// the toolbar's Answer answers here when a softphone is registered. Mute disables the local
// track. Loaded only when the server has a softphone for the operator.
import type { Softphone } from './api.ts';
import { microphone, playRemote, userAgent, type RTCSession } from './sip-ua.ts';

export type PhoneState = 'starting' | 'registered' | 'failed';

export interface Phone {
  state(): PhoneState;
  /** An incoming call not yet answered or ended. */
  ringing(): boolean;
  /** Answers the ringing call with the microphone (`deviceId`, else the default); rejects with a media error when it is denied or missing. */
  answer(deviceId?: string): Promise<void>;
  setMuted(muted: boolean): void;
  stop(): void;
}

export function startPhone(cfg: Softphone, audio: HTMLAudioElement, onChange: () => void): Phone {
  const ua = userAgent({ wsPath: cfg.ws_path, user: cfg.username, auth: { ha1: cfg.ha1, realm: cfg.realm }, register: true });
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
    playRemote(s, audio);
    onChange();
  });
  ua.start();
  return {
    state: () => state,
    ringing: () => incoming !== undefined,
    async answer(deviceId) {
      const s = incoming;
      if (!s) return;
      const mic = await microphone(deviceId);
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
