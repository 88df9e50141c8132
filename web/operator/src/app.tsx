// The operator toolbar: the sign-in (form, `?token_session=` or this tab's kept token), then
// the desk: state with its timer, the call, pushes, the dialer and the recent calls.
import { useEffect, useRef, useState } from 'preact/hooks';
import { signIn } from './api.ts';
import { clock, elapsed, groupColour, waitedNow, type Desk } from './desk.ts';
import { strings, type Strings } from './i18n.ts';
import { Session } from './session.ts';
import { canPickOutput, type AudioDevice } from './audio.ts';

/** Reads and removes a parameter from the address bar (a token must not stay in it). */
function takeParam(name: string): string | undefined {
  const params = new URLSearchParams(location.search);
  const v = params.get(name) ?? undefined;
  if (v === undefined) return undefined;
  params.delete(name);
  history.replaceState(null, '', `${location.pathname}${params.size ? `?${params}` : ''}${location.hash}`);
  return v;
}

export function App() {
  const [session, setSession] = useState<Session | undefined>();
  const [message, setMessage] = useState<string | undefined>();
  const [starting, setStarting] = useState(true);
  const [dial] = useState(() => takeParam('fiche_num'));
  const t = strings(session?.me.lang);

  const open = async (token: string) => {
    const s = await Session.open(token);
    setSession(s);
    if (dial) void s.act('call', { e164: dial });
  };

  useEffect(() => {
    const token = takeParam('token_session') ?? Session.saved();
    if (!token) return setStarting(false);
    open(token)
      .catch((e: unknown) => {
        Session.forget();
        setMessage(`${t.tokenRefused} (${e instanceof Error ? e.message : String(e)})`);
      })
      .finally(() => setStarting(false));
  }, []);

  if (session) {
    return (
      <Toolbar
        session={session}
        onSignOut={async () => {
          if (session.desk.status !== 'logged_out') await session.act('logout');
          await session.close();
          setSession(undefined);
        }}
      />
    );
  }
  if (starting) return <main class="signin"><p class="hint">{t.connecting}</p></main>;
  return (
    <Login
      t={t}
      message={message}
      onLogin={async (login, password) => {
        const r = await signIn(login, password);
        await open(r.id_session);
      }}
    />
  );
}

function Login({ t, message, onLogin }: { t: Strings; message: string | undefined; onLogin: (l: string, p: string) => Promise<void> }) {
  const [error, setError] = useState(message);
  const [busy, setBusy] = useState(false);
  return (
    <main class="signin">
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          const f = new FormData(e.currentTarget);
          setBusy(true);
          setError(undefined);
          await onLogin(String(f.get('login')), String(f.get('password')))
            .catch((x: unknown) => setError(x instanceof Error ? x.message : String(x)))
            .finally(() => setBusy(false));
        }}
      >
        <h1>{t.title}</h1>
        <label>
          {t.login}
          <input name="login" autocomplete="username" required />
        </label>
        <label>
          {t.password}
          <input name="password" type="password" autocomplete="current-password" required />
        </label>
        <button type="submit" disabled={busy}>{t.signIn}</button>
        {error && <p class="error" role="alert">{error}</p>}
      </form>
    </main>
  );
}

function Toolbar({ session: s, onSignOut }: { session: Session; onSignOut: () => void }) {
  const [, setTick] = useState(0);
  const audio = useRef<HTMLAudioElement>(null);
  useEffect(() => s.subscribe(() => setTick((n) => n + 1)), [s]);
  useEffect(() => void s.startPhone(audio.current!), [s]);
  const t = strings(s.me.lang);
  const d = s.desk;
  const now = Date.now();
  return (
    <div class="toolbar" data-status={d.status}>
      <header>
        <strong class="who">{s.me.name}</strong>
        <span class={`link link-${s.link}`}>{s.link === 'live' ? t.live : s.link === 'closed' ? t.closed : t.reconnecting}</span>
        <span class="phone" data-phone={s.phone}>
          {s.phone === 'registered' ? t.phoneHere : s.phone === 'elsewhere' ? t.phoneElsewhere : s.phone === 'failed' ? t.phoneFailed : s.phone === 'starting' ? t.phoneStarting : ''}
        </span>
        <button type="button" class="signout" onClick={onSignOut}>{t.signOut}</button>
      </header>
      <audio ref={audio} autoplay />
      <main>
        <StatePanel s={s} t={t} d={d} now={now} />
        {s.queues.length > 0 && <Queues s={s} t={t} now={now} />}
        {s.message && <p class="error" role="alert">{s.message}</p>}
        {s.phone !== 'none' && s.phone !== 'elsewhere' && <AudioPanel s={s} t={t} />}
        {d.call && <CallPanel s={s} t={t} d={d} now={now} />}
        {d.pushes.length > 0 && <Pushes s={s} t={t} d={d} now={now} />}
        <Dialer s={s} t={t} />
        <Recent t={t} d={d} />
      </main>
    </div>
  );
}

function StatePanel({ s, t, d, now }: { s: Session; t: Strings; d: Desk; now: number }) {
  const pause = s.me.pauses.find((p) => p.id === d.pauseId);
  const [reason, setReason] = useState(s.me.pauses[0]?.id ?? 0);
  const held = d.call?.held && d.status === 'connected';
  const consulting = d.call?.consult && d.status === 'connected';
  // The wrap-up's countdown, or the pause's (it ends by itself after max_duration).
  const left =
    d.status === 'wrapup' && d.wrapUntil !== null ? Math.max(0, Math.ceil((d.wrapUntil - now) / 1000))
    : d.status === 'paused' && pause?.max_duration ? Math.max(0, pause.max_duration - elapsed(d.since, now))
    : undefined;
  return (
    <section class="state">
      <div class="status">
        <span class="badge" data-state={consulting ? 'consult' : held ? 'hold' : d.status}>{consulting ? t.consulting : held ? t.onHold : t[d.status]}</span>
        {pause && <span class="pause-label">{pause.label}</span>}
        <time class="timer">{clock(elapsed(d.since, now))}</time>
        {left !== undefined && <span class="countdown">{clock(left)} {t.left}</span>}
      </div>
      <div class="actions">
        {d.status === 'logged_out' && <button type="button" onClick={() => s.act('login')}>{t.logIn}</button>}
        {(d.status === 'available' || d.status === 'wrapup') && s.me.pauses.length > 0 && (
          <span class="pause-form">
            <select name="pause" aria-label={t.pauseReason} value={reason} onChange={(e) => setReason(Number(e.currentTarget.value))}>
              {s.me.pauses.map((p) => <option value={p.id}>{p.label}</option>)}
            </select>
            <button type="button" class="pause" onClick={() => s.act('pause', { pause: reason })}>{t.pause}</button>
          </span>
        )}
        {d.status === 'paused' && <button type="button" class="unpause" onClick={() => s.act('unpause')}>{t.resume}</button>}
        {d.status === 'wrapup' && <button type="button" class="end-wrapup" onClick={() => s.act('end-wrapup')}>{t.endWrapup}</button>}
        {(d.status === 'available' || d.status === 'paused') && <button type="button" class="logout" onClick={() => s.act('logout')}>{t.logOut}</button>}
      </div>
    </section>
  );
}

function CallPanel({ s, t, d, now }: { s: Session; t: Strings; d: Desk; now: number }) {
  const call = d.call!;
  const group = s.me.groups.find((g) => g.id === call.queue);
  const [muted, setMuted] = useState(false);
  const [target, setTarget] = useState('');
  const [e164, setE164] = useState('');
  const transfer = () => {
    const [type, id] = target.split(':');
    void s.act('transfer', type === 'number' ? { type, e164 } : { type, id: Number(id) });
  };
  const consult = () => {
    const [type, id] = target.split(':');
    void s.act('consult', type === 'number' ? { type, e164 } : { type, id: Number(id) });
  };
  return (
    <section class="call" data-call={call.id} style={group ? { '--group': groupColour(group.id) } : undefined}>
      {d.status === 'ringing' && s.ringingHere() && <p class="ringing-here">{t.ringingHere}</p>}
      <dl>
        <dt>{call.outgoing ? t.called : t.caller}</dt>
        <dd class="caller">{call.number}</dd>
        {group && (
          <>
            <dt>{t.group}</dt>
            <dd class="group"><span class="swatch" aria-hidden="true" />{group.name}</dd>
          </>
        )}
        {!call.outgoing && call.queuedAt !== null && (
          <>
            <dt>{t.waited}</dt>
            <dd class="waited">{clock(waitedNow(call, d.status, now))}</dd>
          </>
        )}
        {call.ivr !== undefined && (
          <>
            <dt>{t.ivrChoice}</dt>
            <dd class="ivr">
              {/^[0-9*#]$/.test(call.ivr.input) ? `${t.key} ${call.ivr.input}` : `“${call.ivr.input}”`}
              {call.ivr.label !== undefined && <span class="ivr-label"> — {call.ivr.label}</span>}
            </dd>
          </>
        )}
      </dl>
      {s.popup?.call === call.id && (
        <p class="popup">
          {s.popup.blocked && <span class="hint">{t.popupBlocked} </span>}
          <a href={s.popup.url} target={s.me.popup?.target ?? '_blank'} rel="noopener noreferrer">{t.popupLink}</a>
        </p>
      )}
      <div class="actions">
        {d.status === 'ringing' && (
          <>
            <button type="button" class="answer" onClick={() => s.answer()}>{t.answer}</button>
            <button type="button" class="reject" onClick={() => s.act('reject')}>{t.reject}</button>
          </>
        )}
        {(d.status === 'connected' || d.status === 'calling') && <button type="button" class="hangup" onClick={() => s.act('hangup')}>{t.hangUp}</button>}
        {d.status === 'connected' && !call.consult && (call.held
          ? <button type="button" class="unhold" onClick={() => s.act('unhold')}>{t.unhold}</button>
          : <button type="button" class="hold" onClick={() => s.act('hold')}>{t.hold}</button>)}
        {d.status === 'connected' && s.phone === 'registered' && (
          <button type="button" class="mute" aria-pressed={muted} onClick={() => { s.setMuted(!muted); setMuted(!muted); }}>{muted ? t.unmute : t.mute}</button>
        )}
      </div>
      {(d.status === 'connected' || d.status === 'wrapup') && s.me.dispositions.length > 0 && (
        <label class="disposition">
          {t.disposition}
          <select name="disposition" value={call.disposition ?? ''} onChange={(e) => void s.act('disposition', { disposition: Number(e.currentTarget.value) })}>
            <option value="" disabled>{t.choose}</option>
            {s.me.dispositions.map((x) => <option value={x.id}>{x.label}</option>)}
          </select>
        </label>
      )}
      {d.status === 'connected' && !call.consult && (
        <div class="transfer">
          <select name="transfer" aria-label={t.transferTo} value={target} onChange={(e) => setTarget(e.currentTarget.value)}>
            <option value="" disabled>{t.transferTo}</option>
            {s.me.targets.groups.map((g) => <option value={`group:${g.id}`}>{g.name}</option>)}
            {s.me.targets.operators.filter((o) => o.id !== s.me.id_operator).map((o) => <option value={`operator:${o.id}`}>{o.name}</option>)}
            <option value="number:">{t.toNumber}</option>
          </select>
          {target === 'number:' && <input type="tel" inputMode="tel" value={e164} onInput={(e) => setE164(e.currentTarget.value)} />}
          <button type="button" class="do-transfer" disabled={!target} onClick={transfer}>{t.transfer}</button>
          <button type="button" class="consult" disabled={!target || (target === 'number:' && !e164)} onClick={consult}>{t.consult}</button>
        </div>
      )}
      {d.status === 'connected' && call.consult && (
        <div class="consulting" data-answered={String(call.consult.answered)}>
          <span class="with">
            {t.consultWith} <strong>{call.consult.operator === null ? call.consult.number : (s.me.targets.operators.find((o) => o.id === call.consult!.operator)?.name ?? `#${call.consult.operator}`)}</strong>
            {!call.consult.answered && <span class="hint"> — {t.ringing}</span>}
          </span>
          <button type="button" class="complete" disabled={!call.consult.answered} onClick={() => s.act('consult/complete')}>{t.complete}</button>
          <button type="button" class="cancel-consult" onClick={() => s.act('consult/cancel')}>{t.cancelConsult}</button>
        </div>
      )}
    </section>
  );
}

/** The softphone's microphone and speaker: why the microphone cannot be used, and the device pickers. */
function AudioPanel({ s, t }: { s: Session; t: Strings }) {
  const problem = s.mic === 'denied' ? t.micDenied : s.mic === 'missing' ? t.micMissing : s.mic === 'insecure' ? t.micInsecure : undefined;
  return (
    <section class="audio" data-mic={s.mic}>
      {problem && (
        <p class="mic-problem" role="alert">
          {problem} <button type="button" class="mic-retry" onClick={() => void s.checkMicrophone()}>{t.tryAgain}</button>
        </p>
      )}
      <DevicePicker name="microphone" label={t.microphone} t={t} devices={s.devices.inputs} value={s.audio.input} onPick={(id) => s.chooseInput(id)} />
      {canPickOutput() && <DevicePicker name="speaker" label={t.speaker} t={t} devices={s.devices.outputs} value={s.audio.output} onPick={(id) => s.chooseOutput(id)} />}
    </section>
  );
}

/** One device list ("Default" first; the browser's own "default" entry is that one); nothing until the browser lists some. */
function DevicePicker({ name, label, t, devices, value, onPick }: { name: string; label: string; t: Strings; devices: AudioDevice[]; value: string | undefined; onPick: (id: string) => void }) {
  if (devices.length === 0) return null;
  return (
    <label>
      {label}
      <select name={name} value={value ?? ''} onChange={(e) => onPick(e.currentTarget.value)}>
        <option value="">{t.defaultDevice}</option>
        {devices.filter((d) => d.id !== 'default').map((d) => <option value={d.id}>{d.label}</option>)}
      </select>
    </label>
  );
}

/** The operator's groups with how many callers wait and the longest wait (counting between two reads). */
function Queues({ s, t, now }: { s: Session; t: Strings; now: number }) {
  return (
    <section class="queues" aria-label={t.queues}>
      <ul>
        {s.queues.map((q) => (
          <li data-queue={q.id} data-waiting={q.waiting} style={{ '--group': groupColour(q.id) }}>
            <span class="swatch" aria-hidden="true" />
            <span class="name">{q.name}</span>
            {q.waiting > 0
              ? <span class="count">{q.waiting} {t.waiting} <span class="longest">· {t.longest} {clock(q.longest + elapsed(q.at, now))}</span></span>
              : <span class="count none">{t.noneWaiting}</span>}
          </li>
        ))}
      </ul>
    </section>
  );
}

function Pushes({ s, t, d, now }: { s: Session; t: Strings; d: Desk; now: number }) {
  return (
    <section class="pushes">
      <h2>{t.pushes}</h2>
      <ul>
        {d.pushes.map((p) => (
          <li data-push={p.id}>
            <span class="number">{p.e164}</span>
            {p.type === 'AUTO' && p.autoTimeout > 0 && <span class="countdown">{t.autoIn} {clock(Math.max(0, p.autoTimeout - elapsed(p.at, now)))}</span>}
            <span class="push-actions">
              <button type="button" onClick={() => s.act(`pushes/${p.id}/accept`)}>{t.accept}</button>
              <button type="button" class="reject" onClick={() => s.act(`pushes/${p.id}/refuse`)}>{t.refuse}</button>
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}

const KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'];

function Dialer({ s, t }: { s: Session; t: Strings }) {
  const [num, setNum] = useState('');
  return (
    <section class="dialer">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (num) void s.act('call', { e164: num.replace(/[^0-9]/g, '') });
        }}
      >
        <input type="tel" name="e164" inputMode="tel" aria-label={t.number} placeholder={t.number} value={num} onInput={(e) => setNum(e.currentTarget.value)} />
        <button type="submit" class="dial">{t.dial}</button>
      </form>
      <div class="keys">
        {KEYS.map((k) => <button type="button" onClick={() => setNum(num + k)}>{k}</button>)}
      </div>
    </section>
  );
}

function Recent({ t, d }: { t: Strings; d: Desk }) {
  return (
    <section class="recent">
      <h2>{t.recent}</h2>
      {d.recent.length === 0 ? <p class="hint">{t.none}</p> : (
        <ul>
          {d.recent.map((r) => (
            <li>
              <span class="dir">{r.outgoing ? '↗' : '↙'}</span> <span class="number">{r.number}</span> <time>{new Date(r.at).toLocaleTimeString(t.locale)}</time>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
