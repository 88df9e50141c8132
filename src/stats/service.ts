// Keeps every account's real-time state and history from the durable event stream. On
// start it replays the recent log, so live metrics and history survive a restart; then it
// follows each durable batch in the same synchronous step as the fan-out, so a snapshot's
// cpt is exactly the last event it reflects.
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { LoggedEvent, Store } from '../store/types.ts';
import type { RealtimeSnapshot } from '../protocol/index.ts';
import { RealtimeState } from './realtime.ts';
import { HistoryRecorder, type Completed } from './history.ts';
import type { CallRecord } from './records.ts';
import { startOfDay } from './day.ts';

export interface StatsOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  /** How far before today's start the replay begins, for states that began earlier. @default 12 h */
  lookBackMs?: number;
}

interface AccountStats {
  realtime: RealtimeState;
  history: HistoryRecorder;
  /** Records completed by events with cpt <= this are already stored. */
  storedCpt: number;
}

export class StatsService {
  private readonly accounts = new Map<number, AccountStats>();
  private writes: Promise<void> = Promise.resolve();

  constructor(private readonly opts: StatsOptions) {}

  private async account(accountId: number): Promise<AccountStats> {
    let a = this.accounts.get(accountId);
    if (!a) {
      const dir = await this.opts.store.directory.getDirectory(accountId);
      a = this.accounts.get(accountId); // created meanwhile
      if (!a) {
        a = { realtime: new RealtimeState(accountId, dir), history: new HistoryRecorder(accountId), storedCpt: await this.opts.store.history.lastCpt(accountId) };
        this.accounts.set(accountId, a);
      }
    }
    return a;
  }

  /** Rebuilds each account's state from the log up to `upTo(account)`. */
  async init(upTo: (accountId: number) => number): Promise<void> {
    const { store, clock } = this.opts;
    const since = startOfDay(clock.now()) - (this.opts.lookBackMs ?? 12 * 3600_000);
    for (const { id } of await store.directory.listAccounts()) {
      const a = await this.account(id);
      const end = upTo(id);
      let cpt = (await store.events.firstCptAt(id, since)) ?? end + 1;
      while (cpt <= end) {
        const page = await store.events.readAfter(id, cpt - 1, 5000);
        if (page.length === 0) break;
        this.applyBatch(a, page.filter((e) => e.cpt <= end));
        cpt = page[page.length - 1]!.cpt + 1;
      }
      a.realtime.cpt = Math.max(a.realtime.cpt, end);
    }
    await this.writes;
  }

  /** Follows a durable batch (called synchronously by the publisher). */
  onDurable(events: readonly LoggedEvent[]): void {
    let i = 0;
    while (i < events.length) {
      const accountId = events[i]!.accountId;
      let j = i + 1;
      while (j < events.length && events[j]!.accountId === accountId) j++;
      // One account per batch is the common case: no copy then.
      const slice = i === 0 && j === events.length ? events : events.slice(i, j);
      const a = this.accounts.get(accountId);
      if (a) this.applyBatch(a, slice);
      else {
        // First event of an account imported after start: load it, then apply in order.
        this.writes = this.writes.then(async () => this.applyBatch(await this.account(accountId), slice));
      }
      i = j;
    }
  }

  private applyBatch(a: AccountStats, events: readonly LoggedEvent[]): void {
    const out: Completed = { calls: [], intervals: [], dispositions: [] };
    const done: Completed = { calls: [], intervals: [], dispositions: [] };
    let last = 0;
    for (const e of events) {
      if (e.cpt <= a.realtime.cpt) continue;
      a.realtime.apply(e);
      a.history.apply(e, done);
      if (done.calls.length + done.intervals.length + done.dispositions.length > 0) {
        // On replay, what an earlier run already stored is not written again.
        if (e.cpt > a.storedCpt) {
          out.calls.push(...done.calls);
          out.intervals.push(...done.intervals);
          out.dispositions.push(...done.dispositions);
        }
        done.calls.length = 0;
        done.intervals.length = 0;
        done.dispositions.length = 0;
      }
      last = e.cpt;
    }
    if (out.calls.length === 0 && out.intervals.length === 0 && out.dispositions.length === 0) return;
    a.storedCpt = last;
    const { history } = this.opts.store;
    this.writes = this.writes
      .then(() => history.append(a.realtime.accountId, last, out.calls, out.intervals, out.dispositions))
      .catch((err: unknown) => this.opts.logger.error({ err }, 'history append failed'));
  }

  /** The account's live state and today's metrics, with the cpt they reflect. */
  async snapshot(accountId: number): Promise<RealtimeSnapshot> {
    const a = await this.account(accountId);
    a.realtime.setDirectory(await this.opts.store.directory.getDirectory(accountId));
    return a.realtime.snapshot(this.opts.clock.now());
  }

  /** Operator intervals not yet ended, cut at now (for statistics that include today). */
  openIntervals(accountId: number) {
    return this.accounts.get(accountId)?.history.openIntervals(this.opts.clock.now()) ?? [];
  }

  /** A re-import changed the account's directory: names, groups and operators follow at once. */
  async directoryChanged(accountId: number): Promise<void> {
    const a = this.accounts.get(accountId);
    if (a) a.realtime.setDirectory(await this.opts.store.directory.getDirectory(accountId));
  }

  /**
   * An account's call records for statistics that include now: those stored, and those
   * still open (marked in `open`), as of the same moment as a snapshot taken now.
   */
  async callsWithOpen(accountId: number, q: { from: number; to: number }): Promise<{ calls: CallRecord[]; open: Set<CallRecord> }> {
    // Open calls first, then every write issued so far: a call that ends meanwhile is read
    // back stored (its newer record replaces the open one), none falls between the two.
    const openNow = this.accounts.get(accountId)?.history.openCalls() ?? [];
    await this.writes;
    const stored = await this.opts.store.history.calls(accountId, q);
    const key = (c: CallRecord) => `${c.idCall}:${c.start}`;
    const storedKeys = new Set(stored.map(key));
    const open = new Set(openNow.filter((c) => !storedKeys.has(key(c)) && c.start < q.to));
    return { calls: [...stored, ...open], open };
  }

  /** Snapshot without a directory refresh (for the per-second push). */
  snapshotNow(accountId: number): RealtimeSnapshot | undefined {
    return this.accounts.get(accountId)?.realtime.snapshot(this.opts.clock.now());
  }

  /** Accounts with live state. */
  accountIds(): IterableIterator<number> {
    return this.accounts.keys();
  }

  /** Resolves once every history write issued so far is stored. */
  flush(): Promise<void> {
    return this.writes;
  }
}
