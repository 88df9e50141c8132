// Listening to an operator's call from the wallboard: POST …/operators/:op/listen gives a
// one-time SIP identity; a JsSIP user agent registers with it over SIP over WebSocket, the
// server calls it, and the call is answered here at once (with the microphone when the
// browser gives it, muted while only listening, so that whisper and barge need no new
// negotiation). Listen / Whisper / Barge switch the mode (PUT), Stop hangs up (DELETE).
// JsSIP (through the toolbar's sip-ua.ts) is loaded when a panel opens, not with the board.
import type { UA } from 'jssip';
import type { RTCSession } from 'jssip/lib/RTCSession.js';
import { useEffect, useRef, useState } from 'preact/hooks';

export type ListenMode = 'listen' | 'whisper' | 'barge';
const MODES: { mode: ListenMode; label: string; title: string }[] = [
  { mode: 'listen', label: 'Listen', title: 'Hear the caller and the operator; nobody hears you' },
  { mode: 'whisper', label: 'Whisper', title: 'The operator hears you, the caller does not' },
  { mode: 'barge', label: 'Barge', title: 'Everyone hears everyone' },
];

interface Identity {
  ws_path?: string;
  username: string;
  realm: string;
  ha1: string;
}

export interface ListenTarget {
  base: string;
  token: () => string;
  account: number;
}

async function call(t: ListenTarget, op: number, method: string, body?: object): Promise<unknown> {
  const res = await fetch(new URL(`api/v1/accounts/${t.account}/operators/${op}/listen`, t.base), {
    method,
    headers: { authorization: `Bearer ${t.token()}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  if (res.status === 204) return undefined;
  const b = (await res.json().catch(() => ({}))) as { message?: string };
  if (!res.ok) throw new Error(b.message ?? `HTTP ${res.status}`);
  return b;
}

type Status = 'starting' | 'ringing' | 'on' | 'ended';

export function ListenPanel({ target, operator, onClose }: { target: ListenTarget; operator: { id: number; name: string }; onClose: () => void }) {
  const [mode, setMode] = useState<ListenMode>('listen');
  const [status, setStatus] = useState<Status>('starting');
  const [error, setError] = useState<string | undefined>();
  const audio = useRef<HTMLAudioElement>(null);
  const ua = useRef<UA | undefined>();
  const session = useRef<RTCSession | undefined>();
  const mic = useRef<MediaStream | undefined>();

  useEffect(() => {
    let gone = false;
    void (async () => {
      try {
        const id = (await call(target, operator.id, 'POST', { mode: 'listen' })) as Identity;
        if (gone) return void call(target, operator.id, 'DELETE').catch(() => undefined);
        if (!id.ws_path) throw new Error('Browser softphones are off on this server (--sip-ws).');
        // The microphone, if the browser gives it (https or localhost): muted until whisper or barge.
        mic.current = await navigator.mediaDevices?.getUserMedia({ audio: true, video: false }).catch(() => undefined);
        for (const t of mic.current?.getAudioTracks() ?? []) t.enabled = false;
        // The SIP pages' one user-agent setup (the toolbar's), loaded with JsSIP when a panel opens.
        const { userAgent, playRemote } = await import('../../../operator/src/sip-ua.ts');
        if (gone) return void call(target, operator.id, 'DELETE').catch(() => undefined);
        const u = userAgent({ wsPath: id.ws_path, user: id.username, auth: { ha1: id.ha1, realm: id.realm }, register: true });
        ua.current = u;
        u.on('registrationFailed', () => setError('The listening phone could not register.'));
        u.on('newRTCSession', (e: { originator: string; session: RTCSession }) => {
          if (e.originator !== 'remote') return;
          const s = e.session;
          session.current = s;
          setStatus('ringing');
          if (audio.current) playRemote(s, audio.current);
          s.on('confirmed', () => setStatus('on'));
          s.on('ended', () => setStatus('ended'));
          s.on('failed', () => setStatus('ended'));
          s.answer({ ...(mic.current ? { mediaStream: mic.current } : { mediaConstraints: { audio: false, video: false } }), pcConfig: { iceServers: [] } });
        });
        u.start();
      } catch (e) {
        setError(e instanceof Error ? e.message : String(e));
        setStatus('ended');
      }
    })();
    return () => {
      gone = true;
      ua.current?.stop();
      for (const t of mic.current?.getTracks() ?? []) t.stop();
    };
  }, [operator.id]);

  const switchTo = async (m: ListenMode) => {
    try {
      await call(target, operator.id, 'PUT', { mode: m });
      for (const t of mic.current?.getAudioTracks() ?? []) t.enabled = m !== 'listen';
      setMode(m);
      setError(undefined);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  const stop = async () => {
    await call(target, operator.id, 'DELETE').catch(() => undefined);
    onClose();
  };

  return (
    <aside class="listen" aria-label={`Listening to ${operator.name}`} data-listen={operator.id} data-status={status} data-mode={mode}>
      <header>
        <h3>{operator.name}</h3>
        <span class="listen-status">{status === 'starting' ? 'Calling this browser…' : status === 'ringing' ? 'Connecting…' : status === 'on' ? (mode === 'listen' ? 'Listening' : mode === 'whisper' ? 'Whispering to the operator' : 'In the call') : 'Ended'}</span>
      </header>
      <div class="listen-modes" role="group" aria-label="Mode">
        {MODES.map((m) => (
          <button type="button" key={m.mode} title={m.title} aria-pressed={mode === m.mode} disabled={status === 'ended' || (m.mode !== 'listen' && !mic.current && status === 'on')} onClick={() => void switchTo(m.mode)}>
            {m.label}
          </button>
        ))}
        <button type="button" class="listen-stop" onClick={() => void stop()}>
          {status === 'ended' ? 'Close' : 'Stop'}
        </button>
      </div>
      {error && (
        <p class="listen-error" role="alert">
          {error}
        </p>
      )}
      <audio ref={audio} autoPlay />
    </aside>
  );
}
