// The publishing seam: everything that produces a notification (the engine, the admin
// API, tests) goes through `publish`. It validates against the catalogue, serialises the
// event, and only then assigns the account's next cpt, appends to the durable log in
// batches (group commit), and fans out, so a client never sees an event that a restart
// could lose. An event that cannot be serialised fails alone, at once, without a cpt; a
// batch the log refuses is retried account by account, so one account's trouble never
// fails another's events.
import type { Clock } from '../clock.ts';
import type { EventLog, LoggedEvent } from '../store/types.ts';
import type { Notification } from '../protocol/index.ts';
import { validateNotification } from '../protocol/index.ts';
import { vmError } from '../errors/registry.ts';
import { RecentEvents } from './recent.ts';

/** Receives each durable batch, in cpt order, right after it is committed. */
export type FanOut = (events: readonly LoggedEvent[]) => void;

export interface PublisherOptions {
  log: EventLog;
  clock: Clock;
  /** Whether an account exists (cached by the caller). */
  accountExists: (accountId: number) => boolean | Promise<boolean>;
  /** Server/node number put in `srv` of `num` events that lack one. @default 1 */
  srv?: number;
  /** Events kept in memory per account for catch-up without reading the log. @default 4096 */
  recentPerAccount?: number;
  /** Largest batch appended in one transaction. @default 5000 */
  maxBatch?: number;
}

/** Largest serialised event accepted (characters). */
export const MAX_EVENT_SIZE = 1024 * 1024;

interface Pending {
  event: LoggedEvent;
  /** The event's notification serialised, for the log only (the ring and fan-out keep `event`). */
  body: string;
  resolve: (cpt: number) => void;
  reject: (e: unknown) => void;
}

export class Publisher {
  private readonly counters = new Map<number, number>();
  private readonly lastDurable = new Map<number, number>();
  private readonly recent = new Map<number, RecentEvents>();
  private readonly fanouts: FanOut[] = [];
  private pending: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private scheduled = false;
  private closed = false;
  private readonly srv: number;
  private readonly recentSize: number;
  private readonly maxBatch: number;

  constructor(private readonly opts: PublisherOptions) {
    this.srv = opts.srv ?? 1;
    this.recentSize = opts.recentPerAccount ?? 4096;
    this.maxBatch = opts.maxBatch ?? 5000;
  }

  /** Loads each account's last cpt from the log, so numbering continues after a restart. */
  async init(): Promise<void> {
    for (const [account, cpt] of await this.opts.log.lastCpts()) {
      this.counters.set(account, cpt);
      this.lastDurable.set(account, cpt);
    }
  }

  /** Adds a subscriber of durable batches (the socket gateway, metrics, the history). */
  onDurable(fanout: FanOut): void {
    this.fanouts.push(fanout);
  }

  /** The last cpt assigned for an account (0 when none). */
  lastCpt(accountId: number): number {
    return this.counters.get(accountId) ?? 0;
  }

  /** The last cpt that is durable and fanned out (0 when none). */
  deliveredCpt(accountId: number): number {
    return this.lastDurable.get(accountId) ?? 0;
  }

  /**
   * Delivered events of an account with cpt > after, from memory; undefined when memory
   * no longer reaches back that far (read the log instead).
   */
  recentAfter(accountId: number, after: number): LoggedEvent[] | undefined {
    const r = this.recent.get(accountId);
    if (!r) return after >= (this.lastDurable.get(accountId) ?? 0) ? [] : undefined;
    return r.after(after);
  }

  /**
   * Validates and publishes a notification for an account. Resolves with its cpt once the
   * event is durable and fanned out; rejects with INVALID_NOTIFICATION / ACCOUNT_MISMATCH /
   * UNKNOWN_ACCOUNT without assigning a cpt.
   */
  async publish(accountId: number, input: unknown): Promise<number> {
    if (this.closed) throw vmError('SHUTTING_DOWN');
    // id_client is implied by the account the event is published for.
    const msg = (input as { msg?: unknown } | null)?.msg;
    if (typeof msg === 'object' && msg !== null && !Array.isArray(msg) && (msg as { id_client?: unknown }).id_client === undefined) {
      (msg as { id_client?: unknown }).id_client = accountId;
    }
    const v = validateNotification(input);
    if (!v.ok) throw vmError('INVALID_NOTIFICATION', v.message);
    const known = this.opts.accountExists(accountId);
    if (known !== true && !(await known)) throw vmError('UNKNOWN_ACCOUNT', `No account ${accountId}.`);
    return this.publishValid(accountId, v.value);
  }

  /**
   * Publishes a notification the caller guarantees is valid (the engine's own output):
   * no validation, no account lookup. Fills `id_client` and, on `num` events, `srv`.
   * `at` is when it happened (the engine's clock), by default now; `fromEngine` marks the
   * account's engine as its source (see LoggedEvent).
   */
  publishValid(accountId: number, n: Notification, at?: number, fromEngine = false): Promise<number> {
    if (this.closed) return Promise.reject(vmError('SHUTTING_DOWN'));
    const msg = n.msg as { id_client?: unknown };
    if (msg.id_client === undefined) msg.id_client = accountId;
    else if (msg.id_client !== accountId) {
      return Promise.reject(vmError('ACCOUNT_MISMATCH', `msg.id_client is ${String(msg.id_client)} but the event is published for account ${accountId}.`));
    }
    if (n.type_notification === 'num' && n.srv === undefined) n.srv = this.srv;
    // Serialised before it takes a cpt: an event that cannot be stored fails here, alone.
    let body: string;
    try {
      body = JSON.stringify(n);
    } catch (e) {
      return Promise.reject(vmError('INVALID_NOTIFICATION', `The notification cannot be serialised as JSON (${e instanceof Error ? e.message : String(e)}).`));
    }
    if (typeof body !== 'string' || body.length > MAX_EVENT_SIZE) {
      return Promise.reject(vmError('INVALID_NOTIFICATION', `The notification is larger than ${MAX_EVENT_SIZE / 1024} KiB once serialised.`));
    }
    const cpt = (this.counters.get(accountId) ?? 0) + 1;
    this.counters.set(accountId, cpt);
    return new Promise<number>((resolve, reject) => {
      const event: LoggedEvent = { accountId, cpt, at: at ?? this.opts.clock.now(), notification: n };
      if (fromEngine) event.fromEngine = true;
      this.pending.push({ event, body, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  /** Appends everything pending, then fans it out. Flushes never overlap. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.pending.length === 0) return;
    const batch = this.pending.length <= this.maxBatch ? this.pending : this.pending.slice(0, this.maxBatch);
    this.pending = batch === this.pending ? [] : this.pending.slice(this.maxBatch);
    this.flushing = this.commit(batch);
    try {
      await this.flushing;
    } finally {
      this.flushing = undefined;
      if (this.pending.length > 0) this.schedule();
    }
  }

  private async commit(batch: Pending[]): Promise<void> {
    const events = batch.map((p) => p.event);
    try {
      await this.opts.log.append(events, batch.map((p) => p.body));
    } catch (e) {
      // Nothing of the batch is durable. Retry it account by account, so a failure fails
      // only the account it belongs to.
      await this.commitPerAccount(batch, e);
      return;
    }
    this.delivered(batch, events);
  }

  private async commitPerAccount(batch: Pending[], first: unknown): Promise<void> {
    const byAccount = new Map<number, Pending[]>();
    for (const p of batch) {
      const list = byAccount.get(p.event.accountId);
      if (list) list.push(p);
      else byAccount.set(p.event.accountId, [p]);
    }
    if (byAccount.size === 1) return this.failAccount(batch[0]!.event.accountId, batch, first);
    for (const [accountId, items] of byAccount) {
      const events = items.map((p) => p.event);
      try {
        await this.opts.log.append(events, items.map((p) => p.body));
      } catch (e) {
        this.failAccount(accountId, items, e);
        continue;
      }
      this.delivered(items, events);
    }
  }

  /**
   * The log refused an account's events: they were never seen by anyone. Fail them and
   * the account's events queued behind them (they follow from those that failed: an
   * engine's later events presuppose its earlier ones), and roll the account's counter
   * back to its last durable cpt, so its numbering stays gapless. Other accounts' events
   * are untouched.
   */
  private failAccount(accountId: number, items: Pending[], e: unknown): void {
    const behind = this.pending.filter((p) => p.event.accountId === accountId);
    if (behind.length > 0) this.pending = this.pending.filter((p) => p.event.accountId !== accountId);
    this.counters.set(accountId, this.lastDurable.get(accountId) ?? 0);
    for (const p of items) p.reject(e);
    for (const p of behind) p.reject(e);
  }

  /** A durable part of a batch: remembered for catch-up, fanned out, acknowledged. */
  private delivered(batch: Pending[], events: LoggedEvent[]): void {
    for (const ev of events) {
      let r = this.recent.get(ev.accountId);
      if (!r) this.recent.set(ev.accountId, (r = new RecentEvents(this.recentSize)));
      r.push(ev);
      this.lastDurable.set(ev.accountId, ev.cpt);
    }
    for (const f of this.fanouts) f(events);
    for (const p of batch) p.resolve(p.event.cpt);
  }

  /** Resolves once everything published so far is durable (or failed). */
  async idle(): Promise<void> {
    while (this.pending.length > 0 || this.flushing) await this.flush();
  }

  /** Stops accepting events and flushes what is pending. */
  async close(): Promise<void> {
    this.closed = true;
    await this.idle();
  }
}
