// A small typed event emitter that runs in browsers as in Node (no `node:events`).

/**
 * Event name → listener signature.
 *
 * @example
 * interface MyEvents { tick: (n: number) => void }
 * class Clock extends TypedEmitter<MyEvents> {}
 */
export type EventMap<M> = { [K in keyof M]: (...args: never[]) => void };

/**
 * Typed `on`/`once`/`off`, the base of {@link VmClient}. A listener that throws does not stop the others: the error is
 * rethrown on its own task, as an exception in any event handler would be.
 *
 * @example
 * class Clock extends TypedEmitter<{ tick: (n: number) => void }> {
 *   start() { let n = 0; setInterval(() => this.emit('tick', n++), 1000); }
 * }
 * const off = new Clock().on('tick', (n) => console.log(n));
 */
export class TypedEmitter<M extends EventMap<M>> {
  private readonly listeners = new Map<keyof M, Set<M[keyof M]>>();

  /** Calls `listener` on every `name` event; returns an unsubscribe function. */
  on<K extends keyof M>(name: K, listener: M[K]): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add(listener);
    return () => this.off(name, listener);
  }

  /** Calls `listener` on the next `name` event only. */
  once<K extends keyof M>(name: K, listener: M[K]): () => void {
    const wrapped = ((...args: Parameters<M[K]>) => {
      this.off(name, wrapped);
      (listener as (...a: Parameters<M[K]>) => void)(...args);
    }) as M[K];
    return this.on(name, wrapped);
  }

  /** Removes a listener added with `on` or `once`. */
  off<K extends keyof M>(name: K, listener: M[K]): void {
    this.listeners.get(name)?.delete(listener);
  }

  /** How many listeners `name` has. */
  listenerCount(name: keyof M): number {
    return this.listeners.get(name)?.size ?? 0;
  }

  protected emit<K extends keyof M>(name: K, ...args: Parameters<M[K]>): void {
    const set = this.listeners.get(name);
    if (!set) return;
    for (const l of [...set]) {
      try {
        (l as (...a: Parameters<M[K]>) => void)(...args);
      } catch (e) {
        setTimeout(() => {
          throw e;
        });
      }
    }
  }

  protected removeAllListeners(): void {
    this.listeners.clear();
  }
}
