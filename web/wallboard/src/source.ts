// Where the wallboard's data comes from: the SDK's stream (login, token renewal, resume
// with `since` after any disconnect) and its `snapshot()` (GET /api/v1/realtime with the
// cpt it reflects). A token given in the URL goes through TokenSource (token-source.ts).
import { connect, type Directory, type RealtimeSnapshot, type StreamToken, type Update, type VmClient } from '@voice-management/client';

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
  onEvent(fn: (u: Update) => void): void;
  /** `resumed`: the stream came back after a disconnect. */
  onState(fn: (state: LinkState, detail: { resumed?: boolean; reason?: string }) => void): void;
  /** A new token was obtained (renewal). */
  onToken(fn: (token: StreamToken) => void): void;
  close(): void;
}

/** A supervisor's login through the SDK. */
export async function sdkSource(url: string, login: string, password: string): Promise<LiveSource> {
  const client: VmClient = await connect({ url, login, password, types: [...WALLBOARD_TYPES] });
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
    onEvent: (fn) => void client.on('event', fn),
    onState: (fn) =>
      void client.on('state', (c) => fn(c.state, { ...(c.resumed !== undefined ? { resumed: c.resumed } : {}), ...(c.reason ? { reason: c.reason } : {}) })),
    onToken: (fn) => void client.on('token', fn),
    close: () => client.close(),
  };
}
