// The demo's phone page (/demo/phone, served by `vm demo` only): calls the demo center from
// the browser as a caller would, over the same SIP path as the toolbar's softphone (SIP over
// WebSocket, WebRTC media): a call button, a dial pad whose keys go to the voice menu as SIP
// INFO (what the B2BUA reads from a WebRTC leg), hang up, and the call's state. Its settings
// (the number, the caller id, the menu) come from GET /demo/phone.json.
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import './style.css';
import './demo-phone.css';
import { microphone, playRemote, sendKey, userAgent, type RTCSession } from './sip-ua.ts';
import type { UA } from 'jssip';

interface DemoPhoneConfig {
  ws_path: string;
  /** The number the page calls (the demo's main line, its voice menu). */
  service: string;
  /** The caller id the page calls from. */
  caller: string;
  /** The menu's keys and what they reach. */
  menu: Array<{ dtmf: string; label: string }>;
}

type CallState = 'idle' | 'calling' | 'ringing' | 'connected' | 'ended' | 'failed';

const LABEL: Record<CallState, string> = {
  idle: 'Ready to call',
  calling: 'Calling…',
  ringing: 'Ringing…',
  connected: 'In call',
  ended: 'Call ended',
  failed: 'Call failed',
};

const KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'];

function DemoPhone() {
  const [cfg, setCfg] = useState<DemoPhoneConfig | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [state, setState] = useState<CallState>('idle');
  const [cause, setCause] = useState<string | undefined>();
  const [sent, setSent] = useState('');
  const [since, setSince] = useState<number | undefined>();
  const [, tick] = useState(0);
  const ua = useRef<UA | undefined>(undefined);
  const session = useRef<RTCSession | undefined>(undefined);
  const audio = useRef<HTMLAudioElement>(null);

  useEffect(() => {
    fetch('/demo/phone.json')
      .then(async (r) => {
        const body = (await r.json()) as DemoPhoneConfig & { message?: string };
        if (!r.ok) throw new Error(body.message ?? `HTTP ${r.status}`);
        setCfg(body);
        const agent = userAgent({ wsPath: body.ws_path, user: body.caller, register: false });
        agent.start();
        ua.current = agent;
      })
      .catch((e: unknown) => setError(`The demo phone is not available here: ${e instanceof Error ? e.message : String(e)}`));
    return () => ua.current?.stop();
  }, []);

  useEffect(() => {
    if (state !== 'connected') return;
    const t = setInterval(() => tick((n) => n + 1), 1000);
    return () => clearInterval(t);
  }, [state]);

  const call = async () => {
    if (!cfg || !ua.current || session.current) return;
    setError(undefined);
    setCause(undefined);
    setSent('');
    let mic: MediaStream;
    try {
      mic = await microphone();
    } catch (e) {
      setError(e instanceof Error && e.message === 'insecure' ? 'The browser gives the microphone to secure pages only: open this page as http://127.0.0.1 or http://localhost, or over https.' : `No microphone: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    setState('calling');
    const s = ua.current.call(`sip:${cfg.service}@${location.hostname}`, { mediaStream: mic, pcConfig: { iceServers: [] }, sessionTimersExpires: 1800 });
    session.current = s;
    if (audio.current) playRemote(s, audio.current);
    const over = (next: CallState) => (e?: { cause?: string }) => {
      if (session.current !== s) return;
      session.current = undefined;
      mic.getTracks().forEach((t) => t.stop());
      setCause(e?.cause);
      setState(next);
      setSince(undefined);
    };
    s.on('progress', () => setState('ringing'));
    s.on('confirmed', () => {
      setState('connected');
      setSince(Date.now());
    });
    s.on('ended', over('ended'));
    s.on('failed', over('failed'));
  };

  const press = (key: string) => {
    const s = session.current;
    if (!s || state !== 'connected') return;
    sendKey(s, key);
    setSent((k) => (k + key).slice(-16));
  };

  const hangup = () => session.current?.terminate();
  const live = state === 'calling' || state === 'ringing' || state === 'connected';
  const elapsed = since === undefined ? '' : new Date(Date.now() - since).toISOString().slice(14, 19);

  return (
    <div class="demo-phone">
      <main>
        <header>
          <h1>Demo phone</h1>
          <p class="hint">Calls the demo center from this browser, as a customer would.</p>
        </header>
        <section class="line">
          <div class="call-state" data-state={state}>
            {LABEL[state]}
            {elapsed && <span class="elapsed"> {elapsed}</span>}
          </div>
          {cfg && (
            <div class="number">
              +{cfg.service} <span class="hint">from +<span class="from">{cfg.caller}</span></span>
            </div>
          )}
          {cause && state === 'failed' && <div class="cause hint">{cause}</div>}
        </section>
        {error && <p class="error">{error}</p>}
        <div class="pad" role="group" aria-label="Dial pad">
          {KEYS.map((k) => (
            <button type="button" class="key" data-key={k} disabled={state !== 'connected'} onClick={() => press(k)}>
              {k}
            </button>
          ))}
        </div>
        <div class="sent hint" aria-live="polite">{sent ? `Keys sent: ${sent}` : '\u00a0'}</div>
        <div class="actions">
          {live ? (
            <button type="button" class="hangup" onClick={hangup}>
              Hang up
            </button>
          ) : (
            <button type="button" class="call" disabled={!cfg} onClick={() => void call()}>
              Call
            </button>
          )}
        </div>
        {cfg && cfg.menu.length > 0 && (
          <section class="menu">
            <h2>Voice menu</h2>
            <ul>
              {cfg.menu.map((o) => (
                <li>
                  <kbd>{o.dtmf}</kbd> {o.label}
                </li>
              ))}
            </ul>
          </section>
        )}
        <audio ref={audio} autoplay />
      </main>
    </div>
  );
}

render(<DemoPhone />, document.getElementById('app')!);
