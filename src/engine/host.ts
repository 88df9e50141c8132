// One engine per account, built lazily from its directory on the app's clock, publishing
// what it produces. The host is the one place engines are built for the server: it
// assembles the parts (log sink, durable ids, server number, scheduler, telephony port) and
// hands them to one factory. Call-control commands and a live simulation (a driver: its
// simulated telephony port and traffic, attached with `attach`) reach the same engine, so an
// account has one routing state whoever drives it.
//
// The log is the truth: a command is acknowledged only once every event it produced is
// durable (`run`). When an engine's event cannot be made durable, its engine no longer
// matches the log: the engine is discarded, what the log shows open is closed with lawful
// events (`settle`, the same routine as after a crash), and a fresh engine is built on
// next use (at once for an attached simulation).
import { systemClock, type Clock } from '../clock.ts';
import type { AccountDirectory } from '../directory/schema.ts';
import type { Notification } from '../protocol/index.ts';
import { Engine } from './engine.ts';
import { fail, type EngineFailure, type EngineResult } from './errors.ts';
import { countingIds, type IdSource } from './ids.ts';
import type { NotificationSink } from './model.ts';
import type { ReconfigureSummary } from './reconfigure.ts';
import { RealTimeScheduler, type Scheduler } from './scheduler.ts';
import { NO_TELEPHONY, type TelephonyPort } from './telephony.ts';
import { vmError } from '../errors/registry.ts';

/** What the host gives an engine it builds. */
export interface EngineParts {
  /** Publishes to the log (the host tracks durability), then shows the driver. */
  sink: NotificationSink;
  /** Durable ids (unique for the data directory's life). */
  ids: IdSource;
  srv: number;
  /** Timers on the app's clock; stopped when the engine is discarded. */
  scheduler: Scheduler;
  /** The attached driver's port, else the host's (SIP), else NO_TELEPHONY. */
  telephony: TelephonyPort;
}

/** Builds an engine from its parts. @throws RoutingConfigError */
export type EngineFactory = (directory: AccountDirectory, parts: EngineParts) => Engine;

/** The one engine factory: every engine of the server is built here. */
export const buildEngine: EngineFactory = (directory, parts) => new Engine(directory, parts);

/**
 * What drives an account's engine besides the API: a live simulation, whose simulated
 * people and phone network are the engine's telephony port and traffic.
 */
export interface EngineDriver {
  /** The engine's telephony port (the host builds the engine with it). */
  telephony: TelephonyPort;
  /** Sees every notification of the engine, after the log was handed it. Same rules as a sink. */
  observe?(n: Notification, at: number): void;
  /** The engine is built: start driving it (from its scheduler's timers). */
  start(engine: Engine): void;
  /** Nothing more is driven; the engine still takes commands. */
  stop(): void;
}

/** Makes a fresh driver for each engine the host builds for an account (the first one and each rebuild). */
export type DriverFactory = (directory: AccountDirectory, scheduler: Scheduler) => EngineDriver;

/** A built engine and how to stop what drives it. */
interface HostedEngine {
  engine: Engine;
  /** Stops what drives the engine and its timers; the engine still takes commands. */
  stop(): void;
}

export interface EngineHostOptions {
  /** The account's directory, or undefined when there is no such account. */
  directory: (accountId: number) => Promise<AccountDirectory | undefined>;
  /** Where notifications go (the server's publisher); resolves once durable. */
  publish: (accountId: number, n: Notification, at: number) => Promise<unknown>;
  /** Durable ids for an account's engine. @default counted from 1 in memory */
  ids?: (accountId: number) => Promise<IdSource>;
  /**
   * Closes with lawful events what the account's log shows open, and resolves once they
   * are durable. Runs before an account's first engine of this process is built, and
   * after an engine is discarded. @default nothing to close
   */
  settle?: (accountId: number) => Promise<void>;
  /**
   * Records that the account's log has nothing open up to now, without reading it (after a
   * drain whose events were all stored). @default settle
   */
  markSettled?: (accountId: number) => Promise<void>;
  /** The app's clock: each engine gets a RealTimeScheduler on it. @default the system clock */
  clock?: Clock;
  /** Another time source per engine (virtual time in tests). @default a RealTimeScheduler on `clock` */
  scheduler?: () => Scheduler;
  /**
   * The telephony port of an account's engine (SIP), given the attached driver's port (a
   * live simulation's) to carry what SIP does not (its own calls, its simulated operators).
   * Undefined: the driver's port, else NO_TELEPHONY.
   */
  telephony?: (accountId: number, driver: TelephonyPort | undefined) => TelephonyPort | undefined;
  /** @default buildEngine */
  factory?: EngineFactory;
  /** Server number on num events. @default 1 */
  srv?: number;
  /** Reports events lost and failed recoveries. */
  onError?: (err: unknown, accountId: number) => void;
}

/** The account's log could not be settled (its closing events could not be stored). */
class NotSettledError extends Error {
  constructor(readonly accountId: number, cause: unknown) {
    super(`account ${accountId}: what the event log left open could not be closed`, { cause });
    this.name = 'NotSettledError';
  }
}

/** One engine's life: its events are published only while it is the account's current one. */
interface Generation extends HostedEngine {
  alive: boolean;
  telephony: TelephonyPort;
}

export class EngineHost {
  private readonly hosted = new Map<number, Generation>();
  private readonly opening = new Map<number, Promise<Generation | undefined>>();
  private readonly recovering = new Map<number, Promise<void>>();
  private readonly drivers = new Map<number, DriverFactory>();
  /** Accounts whose log has nothing open that no engine of this process knows of. */
  private readonly settled = new Set<number>();
  /** Publish promises of the command running now (commands are synchronous). */
  private collecting: Promise<unknown>[] | undefined;
  private draining = false;

  constructor(private readonly opts: EngineHostOptions) {}

  /** The account's engine, created on first use; undefined when the account does not exist. */
  async get(accountId: number): Promise<Engine | undefined> {
    return (await this.open(accountId))?.engine;
  }

  /**
   * Applies a re-imported directory to the account's engine when one runs (an engine built
   * later reads the new directory anyway), answering once the events it produced are
   * durable. @throws RoutingConfigError
   */
  async applyDirectory(dir: AccountDirectory): Promise<ReconfigureSummary | undefined> {
    // Only the current, live engine is hosted (a discarded one leaves the map as it dies).
    if (!this.hosted.has(dir.account.id)) return undefined;
    let summary: ReconfigureSummary | undefined;
    await this.run(dir.account.id, (engine) => {
      summary = engine.applyDirectory(dir);
      return { ok: true as const };
    });
    return summary;
  }

  /**
   * Runs a command on the account's engine and answers once every event it produced is
   * durable. If one cannot be made durable, the engine is rebuilt from the log and the
   * answer is EVENTS_NOT_DURABLE. Undefined when the account does not exist.
   */
  async run<R extends EngineResult<object>>(accountId: number, command: (engine: Engine) => R): Promise<R | EngineFailure | undefined> {
    let gen: Generation | undefined;
    try {
      gen = await this.open(accountId);
    } catch (err) {
      if (!(err instanceof NotSettledError)) throw err;
      this.report(err, accountId);
      return fail('ACCOUNT_RECOVERING');
    }
    if (!gen) return undefined;
    if (this.draining) throw vmError('SHUTTING_DOWN');
    if (!gen.alive) return fail('ACCOUNT_RECOVERING');
    const collected: Promise<unknown>[] = [];
    this.collecting = collected;
    let result: R;
    try {
      result = command(gen.engine);
    } finally {
      this.collecting = undefined;
    }
    if (collected.length === 0) return result;
    const outcomes = await Promise.allSettled(collected);
    if (outcomes.every((o) => o.status === 'fulfilled')) return result;
    await this.recovering.get(accountId);
    return fail('EVENTS_NOT_DURABLE');
  }

  /**
   * Drives the account's engine with a driver from `driver` (a live simulation), now and
   * whenever the engine is rebuilt. Resolves once it runs. An engine already built keeps
   * its port: attach before the account's first use.
   */
  async attach(accountId: number, driver: DriverFactory): Promise<Engine> {
    this.drivers.set(accountId, driver);
    const gen = await this.open(accountId);
    if (!gen) throw new Error(`no account ${accountId}`);
    return gen.engine;
  }

  /** Closes what the logs of these accounts show open (on start, before serving). */
  async settleAll(accountIds: Iterable<number>): Promise<void> {
    for (const id of accountIds) await this.settle(id);
  }

  private async settle(accountId: number): Promise<void> {
    if (this.settled.has(accountId)) return;
    try {
      await this.opts.settle?.(accountId);
    } catch (err) {
      throw new NotSettledError(accountId, err);
    }
    this.settled.add(accountId);
  }

  private open(accountId: number): Promise<Generation | undefined> {
    const existing = this.hosted.get(accountId);
    if (existing) return Promise.resolve(existing);
    let p = this.opening.get(accountId);
    if (!p) {
      p = this.build(accountId).finally(() => this.opening.delete(accountId));
      this.opening.set(accountId, p);
    }
    return p;
  }

  private async build(accountId: number): Promise<Generation | undefined> {
    await this.recovering.get(accountId);
    const dir = await this.opts.directory(accountId);
    if (!dir) return undefined;
    await this.settle(accountId);
    const ids = this.opts.ids ? await this.opts.ids(accountId) : countingIds();
    const scheduler = this.opts.scheduler?.() ?? new RealTimeScheduler(this.opts.clock ?? systemClock);
    const driver = this.drivers.get(accountId)?.(dir, scheduler);
    const telephony = this.opts.telephony?.(accountId, driver?.telephony) ?? driver?.telephony ?? NO_TELEPHONY;
    const gen = { alive: true, telephony } as Generation;
    const engine = (this.opts.factory ?? buildEngine)(dir, {
      sink: (n, at) => {
        this.emitted(accountId, gen, n, at);
        driver?.observe?.(n, at);
      },
      ids,
      srv: this.opts.srv ?? 1,
      scheduler,
      telephony,
    });
    gen.engine = engine;
    gen.stop = () => {
      driver?.stop();
      if (scheduler instanceof RealTimeScheduler) scheduler.stop();
    };
    this.hosted.set(accountId, gen);
    driver?.start(engine);
    return gen;
  }

  private emitted(accountId: number, gen: Generation, n: Notification, at: number): void {
    // A discarded engine's events are dropped: the log (and the settle after it) decides.
    if (!gen.alive) return;
    const p = this.opts.publish(accountId, n, at);
    this.collecting?.push(p);
    p.catch((err: unknown) => this.lost(accountId, gen, err));
  }

  /** An event of the engine could not be made durable: the engine no longer matches the log. */
  private lost(accountId: number, gen: Generation, err: unknown): void {
    this.report(err, accountId);
    if (!gen.alive) return;
    gen.alive = false;
    gen.stop();
    // The log (settled next) closes the discarded engine's calls: the network hangs them up
    // too, so no leg outlives them (the rebuilt engine starts with none).
    for (const id of gen.engine.activeCalls()) gen.telephony.command({ op: 'hangup', id_call: id });
    if (this.hosted.get(accountId) === gen) this.hosted.delete(accountId);
    this.settled.delete(accountId);
    if (this.draining) return;
    const recovery: Promise<void> = this.recover(accountId).finally(() => {
      if (this.recovering.get(accountId) === recovery) this.recovering.delete(accountId);
    });
    this.recovering.set(accountId, recovery);
  }

  private async recover(accountId: number): Promise<void> {
    try {
      await this.settle(accountId);
    } catch (err) {
      // Still unsettled: the next command (or the next rebuild) tries again.
      this.report(err, accountId);
      return;
    }
    // A simulation goes on with a fresh engine; others are built on next use.
    if (this.drivers.has(accountId) && !this.draining) {
      this.recovering.delete(accountId);
      await this.open(accountId).catch((err: unknown) => this.report(err, accountId));
    }
  }

  private report(err: unknown, accountId: number): void {
    this.opts.onError?.(err, accountId);
  }

  /**
   * Ends what the engines hold before a shutdown, so the log stays lawful: traffic stops,
   * every call gets its delete_call and end, pending callbacks are cancelled, operators
   * log out. Once all of it is durable the account is marked settled, so the next start
   * reads nothing; if some of it could not be stored, the account is settled from the log.
   */
  async drain(): Promise<void> {
    this.draining = true;
    await Promise.allSettled([...this.opening.values(), ...this.recovering.values()]);
    const done: Promise<unknown>[] = [];
    for (const [accountId, gen] of this.hosted) {
      gen.stop();
      const collected: Promise<unknown>[] = [];
      this.collecting = collected;
      try {
        const e = gen.engine;
        for (const id of e.activeCalls()) e.callHangup(id);
        for (const id of e.activePushes()) e.callbackCancel(id);
        // The next engine knows no suspension: lifted in the log too (as a settle would).
        for (const op of e.operators()) for (const g of op.suspended) e.operatorSuspend(op.id_operator, g, false);
        for (const op of e.operators()) if (op.logged_in) e.operatorLogout(op.id_operator);
      } finally {
        this.collecting = undefined;
      }
      gen.alive = false;
      this.settled.delete(accountId);
      done.push(
        Promise.allSettled(collected)
          .then((outcomes) =>
            outcomes.every((o) => o.status === 'fulfilled') && this.opts.markSettled ? this.opts.markSettled(accountId) : this.settle(accountId),
          )
          .catch((err: unknown) => this.report(err, accountId)),
      );
    }
    this.hosted.clear();
    await Promise.all(done);
  }

  /** Stops every engine's timers and traffic. */
  stop(): void {
    this.draining = true;
    for (const gen of this.hosted.values()) gen.stop();
  }
}
