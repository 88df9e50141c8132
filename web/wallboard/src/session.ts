// Opening a wallboard session: with the login form's credentials (through the SDK), with a
// token in the URL (`?id_session=…&target=<supervisor id>`, or `&id_client=<account>` for an
// api token), or with the token this tab kept from before a reload.
import type { Directory, StreamToken } from '@voice-management/client';
import { sdkSource, type LiveSource } from './source.ts';
import { TokenSource } from './token-source.ts';

const KEY = 'vm-wallboard-session';

interface Saved {
  token: StreamToken;
  directory?: Directory;
}

/** The server's base URL: the wallboard is served at `<base>/wallboard/`. */
export function serverBase(): string {
  return new URL('../', new URL('./', location.href)).href;
}

/** A token passed in the URL, removed from the address bar once read. */
export function tokenFromUrl(): StreamToken | undefined {
  const params = new URLSearchParams(location.search);
  const idSession = params.get('id_session');
  if (!idSession) return undefined;
  const target = Number(params.get('target') ?? NaN);
  const idClient = Number(params.get('id_client') ?? NaN);
  for (const p of ['id_session', 'target', 'id_client']) params.delete(p);
  history.replaceState(null, '', `${location.pathname}${params.size ? `?${params}` : ''}${location.hash}`);
  const base = { idSession, expire: '', receivedAt: Date.now(), lifetimeMs: 0 };
  if (Number.isInteger(target) && target > 0) return { ...base, userType: 'supervisor', target, idClient: Number.isInteger(idClient) ? idClient : 0 };
  if (Number.isInteger(idClient) && idClient > 0) return { ...base, userType: 'api', target: idClient, idClient, lifetimeMs: 2 * 3600_000 };
  return undefined;
}

/** The token this tab kept (sessionStorage: gone when the tab closes). */
export function savedSession(): Saved | undefined {
  try {
    const s = JSON.parse(sessionStorage.getItem(KEY) ?? 'null') as Saved | null;
    return s?.token?.idSession ? s : undefined;
  } catch {
    return undefined;
  }
}

export function forgetSession(): void {
  sessionStorage.removeItem(KEY);
}

/** Keeps the newest token of the source for a reload of this tab. */
function remember(source: LiveSource): void {
  const save = (token: StreamToken) => sessionStorage.setItem(KEY, JSON.stringify({ token, ...(source.directory ? { directory: source.directory } : {}) } satisfies Saved));
  save(source.token());
  source.onToken(save);
}

export async function openWithCredentials(login: string, password: string): Promise<LiveSource> {
  const source = await sdkSource(serverBase(), login, password);
  remember(source);
  return source;
}

export async function openWithToken(token: StreamToken, directory?: Directory): Promise<LiveSource> {
  const source = await TokenSource.open(serverBase(), token, directory);
  remember(source);
  return source;
}
