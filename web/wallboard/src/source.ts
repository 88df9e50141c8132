// Where the wallboard's data comes from: the SDK's stream (login or a given token, token
// renewal, resume with `since` after any disconnect) and its `snapshot()` (GET
// /api/v1/realtime with the cpt it reflects).
import { connect, type Directory, type RealtimeSnapshot, type SeriesPoint, type StreamToken, type SupervisorConnectOptions, type TokenConnectOptions, type Update, type VmClient } from '@voice-management/client';
import { fetchSeries } from './api.ts';

/** The connection as the header shows it. */
export type LinkState = 'connecting' | 'live' | 'reconnecting' | 'closed';

/** The stream types the wallboard needs: operators, their UI actions, queues and trunks. */
export const WALLBOARD_TYPES = ['operator', 'UI', 'queue', 'trunk'] as const;

/** A live feed: events exactly once in cpt order, and snapshots with the cpt they reflect. */
export interface LiveSource {
  /** The account's directory, when the login gave one (pause labels). */
  readonly directory: Directory | undefined;
  /** The newest token (for REST calls such as /api/v1/stats). */
  token(): StreamToken;
  /** The account's live state with the cpt it reflects. */
  snapshot(): Promise<RealtimeSnapshot>;
  /** Calls waiting and the day's service level from `fromMs` to now, every `stepS` seconds, from the history. */
  history?(fromMs: number, stepS: number): Promise<SeriesPoint[]>;
  onEvent(fn: (u: Update) => void): void;
  /** `resumed`: the stream came back after a disconnect. */
  onState(fn: (state: LinkState, detail: { resumed?: boolean; reason?: string }) => void): void;
  /** A new token was obtained (renewal). */
  onToken(fn: (token: StreamToken) => void): void;
  close(): void;
}

/** A session through the SDK: a supervisor's login, or a token given to the page (with the directory kept from its login). */
export async function sdkSource(opts: SupervisorConnectOptions | TokenConnectOptions): Promise<LiveSource> {
  const client: VmClient = await connect({ ...opts, types: [...WALLBOARD_TYPES] });
  const snap = await client.snapshot({ source: 'realtime' }).catch((e: unknown) => {
    client.close('snapshot failed');
    throw e;
  });
  const directory = snap.directory;
  let first: RealtimeSnapshot | undefined = snap.realtime;
  return {
    directory,
    token: () => client.token!,
    async snapshot() {
      // The snapshot taken right after login is handed out once, then fresh ones.
      if (first) {
        const s = first;
        first = undefined;
        return s;
      }
      const s = await client.snapshot({ source: 'realtime' });
      return s.realtime!;
    },
    history: (fromMs, stepS) => fetchSeries(opts.url, client.token!.idSession, { from: new Date(fromMs).toISOString(), step: stepS }),
    onEvent: (fn) => void client.on('event', fn),
    onState: (fn) =>
      void client.on('state', (c) => fn(c.state, { ...(c.resumed !== undefined ? { resumed: c.resumed } : {}), ...(c.reason ? { reason: c.reason } : {}) })),
    onToken: (fn) => void client.on('token', fn),
    close: () => client.close(),
  };
}
