// Opening a wallboard session: with the login form's credentials (through the SDK), with a
// token in the URL (`?id_session=…&target=<supervisor id>`, or `&id_client=<account>` for an
// api token), or with the token this tab kept from before a reload.
import type { Directory, StreamToken, TokenConnectOptions } from '@voice-management/client';
import { sdkSource, type LiveSource } from './source.ts';

const KEY = 'vm-wallboard-session';

/** A token to open the stream with: its `init` arguments, and its lifetime when known. */
export type GivenToken = TokenConnectOptions['token'];

interface Saved {
  token: StreamToken;
  directory?: Directory;
}

/** The server's base URL: the wallboard is served at `<base>/wallboard/`. */
export function serverBase(): string {
  return new URL('../', new URL('./', location.href)).href;
}

/**
 * A token passed in the URL, removed from the address bar once read. Its lifetime is
 * unknown, so the SDK renews it at once (which also checks it).
 */
export function tokenFromUrl(): GivenToken | undefined {
  const params = new URLSearchParams(location.search);
  const idSession = params.get('id_session');
  if (!idSession) return undefined;
  const target = Number(params.get('target') ?? NaN);
  const idClient = Number(params.get('id_client') ?? NaN);
  for (const p of ['id_session', 'target', 'id_client']) params.delete(p);
  history.replaceState(null, '', `${location.pathname}${params.size ? `?${params}` : ''}${location.hash}`);
  // A supervisor token's account, when not given, is learnt from the `init` answer.
  if (Number.isInteger(target) && target > 0) return { userType: 'supervisor', target, idSession, ...(Number.isInteger(idClient) && idClient > 0 ? { idClient } : {}) };
  if (Number.isInteger(idClient) && idClient > 0) return { userType: 'api', target: idClient, idClient, idSession };
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
  const source = await sdkSource({ url: serverBase(), login, password });
  remember(source);
  return source;
}

/** A token from the URL, or the one this tab kept (used as is until its renewal is due). */
export async function openWithToken(token: GivenToken, directory?: Directory): Promise<LiveSource> {
  const source = await sdkSource({ url: serverBase(), token, ...(directory ? { directory } : {}) });
  remember(source);
  return source;
}
