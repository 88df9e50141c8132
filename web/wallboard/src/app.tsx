// The wallboard: the login (form, URL token or this tab's kept token), then the live view
// or the day view, over a Board fed by the SDK.
import { useEffect, useState } from 'preact/hooks';
import { Board } from './board.ts';
import { clock } from './format.ts';
import { forgetSession, openWithCredentials, openWithToken, savedSession, serverBase, tokenFromUrl } from './session.ts';
import type { LiveSource } from './source.ts';
import { openSupervision, type Supervision } from './supervision.ts';
import { Login } from './components/login.tsx';
import { LiveView } from './components/live-view.tsx';
import { DayView } from './components/day-view.tsx';

type Tab = 'live' | 'day';
const tabOf = (): Tab => (location.hash === '#day' ? 'day' : 'live');

export function App() {
  const [board, setBoard] = useState<Board | undefined>();
  const [message, setMessage] = useState<string | undefined>();
  const [starting, setStarting] = useState(true);

  const start = (source: LiveSource) => setBoard(new Board(source));

  // A token in the URL, or the one this tab kept, opens the board without the form.
  useEffect(() => {
    const fromUrl = tokenFromUrl();
    const saved = savedSession();
    const token = fromUrl ?? saved?.token;
    if (!token) return setStarting(false);
    openWithToken(token, fromUrl ? undefined : saved?.directory)
      .then(start)
      .catch((e: unknown) => {
        forgetSession();
        setMessage(`The token was refused (${e instanceof Error ? e.message : String(e)}); sign in again.`);
      })
      .finally(() => setStarting(false));
  }, []);

  if (board) {
    return (
      <Wallboard
        board={board}
        onLogout={() => {
          board.close();
          forgetSession();
          setBoard(undefined);
        }}
      />
    );
  }
  if (starting) return <main class="login"><p class="hint">Connecting…</p></main>;
  return <Login message={message} onLogin={async (login, password) => start(await openWithCredentials(login, password))} />;
}

function Wallboard({ board, onLogout }: { board: Board; onLogout: () => void }) {
  const [, setTick] = useState(0);
  const [tab, setTab] = useState<Tab>(tabOf());
  /** null: not known yet (GET /api/v1/me under way). */
  const [supervision, setSupervision] = useState<Supervision | undefined | null>(null);
  useEffect(() => board.subscribe(() => setTick((n) => n + 1)), [board]);
  // A supervisor token gets the operators' actions; any other token (API, admin) the board alone.
  useEffect(() => {
    let live = true;
    openSupervision(serverBase(), () => board.source.token().idSession)
      .then((s) => live && setSupervision(s))
      .catch(() => live && setSupervision(undefined));
    return () => {
      live = false;
    };
  }, [board]);
  useEffect(() => {
    const onHash = () => setTab(tabOf());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  const view = board.view();
  const now = board.now();
  const snap = view.snap;
  const link = view.error && view.link === 'live' ? 'stale' : view.link;
  return (
    <div class={`board tab-${tab}`} data-supervision={supervision === null ? 'pending' : supervision ? 'supervisor' : 'none'}>
      <header class="top">
        <h1>Wallboard</h1>
        <nav>
          <a href="#live" class={tab === 'live' ? 'active' : ''} aria-current={tab === 'live' ? 'page' : undefined}>
            Live
          </a>
          <a href="#day" class={tab === 'day' ? 'active' : ''} aria-current={tab === 'day' ? 'page' : undefined}>
            Day
          </a>
        </nav>
        <span class={`link link-${link}`} data-link={link} title={view.error ?? ''}>
          {link === 'live' ? 'Live' : link === 'stale' ? 'Stale' : link === 'reconnecting' ? 'Reconnecting…' : link === 'closed' ? 'Disconnected' : 'Connecting…'}
        </span>
        <time class="clock">{clock(now)}</time>
        <button type="button" class="logout" onClick={onLogout}>
          Sign out
        </button>
      </header>
      {snap && view.error && (
        <p class="stale" role="status">
          Showing the state of {clock(Date.parse(snap.at))}: {view.error}
        </p>
      )}
      {!snap ? (
        <main class="loading">{view.error ? `Cannot load the live state: ${view.error}` : 'Loading…'}</main>
      ) : tab === 'live' ? (
        <LiveView view={view} now={now} directory={board.source.directory} supervision={supervision ?? undefined} />
      ) : (
        <DayView base={serverBase()} token={() => board.source.token().idSession} today={snap.day} cpt={snap.cpt} groups={snap.groups.map((g) => ({ id: g.id, name: g.name }))} />
      )}
    </div>
  );
}
