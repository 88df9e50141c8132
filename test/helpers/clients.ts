// Real Socket.IO clients (v4 and v2) speaking the guide's protocol, with helpers to wait
// for events.
import { io as ioV4, type Socket as SocketV4 } from 'socket.io-client';
// @ts-expect-error socket.io-client v2 ships no types
import ioV2 from 'socket.io-client-v2';
import type { InitAck, Update } from '../../src/protocol/index.ts';

export type Version = 'v4' | 'v2';

/** A connected client and everything it received. */
export interface TestClient {
  socket: SocketV4;
  updates: Update[];
  errors: { error: string; message: string }[];
  /** Sends init with the given args and resolves with the ack (waits for connect first). */
  init(...args: unknown[]): Promise<InitAck>;
  /** Resolves once `n` updates have arrived in total. */
  waitFor(n: number, timeoutMs?: number): Promise<Update[]>;
  waitForError(timeoutMs?: number): Promise<{ error: string; message: string }>;
  close(): void;
}

export function connect(url: string, opts: { version?: Version; transports?: string[]; localAddress?: string; reconnection?: boolean } = {}): TestClient {
  const transports = opts.transports ?? ['websocket'];
  const socket: SocketV4 =
    opts.version === 'v2'
      ? ioV2(url, { transports, forceNew: true, reconnection: opts.reconnection ?? false, localAddress: opts.localAddress })
      : ioV4(url, { transports, forceNew: true, reconnection: opts.reconnection ?? false, localAddress: opts.localAddress } as never);
  const updates: Update[] = [];
  const errors: { error: string; message: string }[] = [];
  const waiters = new Set<() => void>();
  const notify = () => waiters.forEach((w) => w());
  socket.on('update', (u: Update) => {
    updates.push(u);
    notify();
  });
  socket.on('init_error', (e: { error: string; message: string }) => {
    errors.push(e);
    notify();
  });
  const until = <T>(cond: () => T | undefined, timeoutMs: number, what: string) =>
    new Promise<T>((resolve, reject) => {
      const check = () => {
        const v = cond();
        if (v !== undefined) {
          waiters.delete(check);
          clearTimeout(t);
          resolve(v);
        }
      };
      const t = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`timed out waiting for ${what} (have ${updates.length} updates, ${errors.length} errors)`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  return {
    socket,
    updates,
    errors,
    init: (...args) =>
      new Promise<InitAck>((resolve, reject) => {
        const send = () => socket.emit('init', ...args, (ack: InitAck) => resolve(ack));
        if (socket.connected) send();
        else {
          socket.once('connect', send);
          socket.once('connect_error', reject);
        }
      }),
    waitFor: (n, timeoutMs = 10_000) => until(() => (updates.length >= n ? updates.slice() : undefined), timeoutMs, `${n} updates`),
    waitForError: (timeoutMs = 5_000) => until(() => errors[0], timeoutMs, 'init_error'),
    close: () => socket.close(),
  };
}

/** Waits until the socket is disconnected by the server. */
export function disconnected(c: TestClient, timeoutMs = 5_000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!c.socket.connected) return resolve();
    const t = setTimeout(() => reject(new Error('not disconnected')), timeoutMs);
    c.socket.once('disconnect', () => {
      clearTimeout(t);
      resolve();
    });
  });
}
