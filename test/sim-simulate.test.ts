// The simulator: determinism, abandonment, the report's definitions, `vm simulate` output,
// the demo account and the live simulation.
import { Command } from 'commander';
import { describe, expect, it, vi } from 'vitest';
import { readAccountFile } from '../src/directory/load.ts';
import type { AccountDirectory, AccountFile } from '../src/directory/schema.ts';
import { checkRouting, VirtualScheduler, type Scheduler } from '../src/engine/index.ts';
import { EngineHost } from '../src/engine/host.ts';
import { validateNotification, type Notification } from '../src/protocol/index.ts';
import { liveSimulation, registerSimulateCommand, runSimulation, type LiveSimulationOptions } from '../src/sim/index.ts';
import { parseDuration, parseSpeed } from '../src/sim/cli.ts';
import { LawfulChecker } from './engine-lawful.ts';
import { DEMO_OPERATOR, demoSimulation } from '../src/cli/demo.ts';

const base = { operators: 8, callsPerHour: 180, aht: 120, duration: 4 * 3600 };

describe('runSimulation', () => {
  it('is deterministic for a seed and differs across seeds', async () => {
    const a = await runSimulation({ ...base, patience: 60, seed: 5 });
    const b = await runSimulation({ ...base, patience: 60, seed: 5 });
    const c = await runSimulation({ ...base, patience: 60, seed: 6 });
    const strip = ({ wall_ms: _w, notifications_per_sec: _n, ...rest }: typeof a) => rest;
    expect(strip(b)).toEqual(strip(a));
    expect(strip(c)).not.toEqual(strip(a));
  });

  it('offered = answered + abandoned; patience makes callers abandon, none makes nobody abandon', async () => {
    const impatient = await runSimulation({ ...base, callsPerHour: 260, patience: 30, seed: 2 });
    expect(impatient.answered + impatient.abandoned).toBe(impatient.offered);
    expect(impatient.abandoned).toBeGreaterThan(0);
    const patient = await runSimulation({ ...base, callsPerHour: 260, patience: null, seed: 2 });
    expect(patient.abandoned).toBe(0);
    expect(patient.answered).toBe(patient.offered);
    expect(patient.avg_wait).toBeGreaterThan(impatient.avg_wait);
  });

  it('every notification of a rich run (IVR, callbacks, pauses, transfers, profile) is valid and lawful', async () => {
    const checker = new LawfulChecker(1);
    const s = await runSimulation(
      { ...base, operators: 12, patience: 90, seed: 3, ivrShare: 0.4, callbackShare: 0.1, pausesPerHour: 2, transferShare: 0.1, answerDelay: [1, 4], catchup: 10, profile: 'intraday' },
      (n: Notification) => checker.observe(n),
    );
    expect(checker.finalErrors()).toEqual([]);
    expect(checker.count).toBe(s.notifications);
    expect(s.ivr_inputs).toBeGreaterThan(0);
    expect(s.callback_requests).toBeGreaterThan(0);
    expect(s.outgoing_calls).toBeGreaterThan(0);
  });

  it('the intraday profile shapes arrivals by hour', async () => {
    const hours = new Map<number, number>();
    await runSimulation({ ...base, operators: 30, callsPerHour: 400, patience: null, duration: 24 * 3600, start: Date.UTC(2026, 0, 5), profile: 'intraday', seed: 4 }, (n, at) => {
      if (n.type_notification === 'num' && n.event === 'start') hours.set(new Date(at).getUTCHours(), (hours.get(new Date(at).getUTCHours()) ?? 0) + 1);
    });
    expect(hours.get(10)!).toBeGreaterThan(10 * (hours.get(3) ?? 0));
  });
});

describe('vm simulate', () => {
  it('--json prints exactly one JSON object with the report fields', async () => {
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk));
      return true;
    });
    try {
      const program = new Command('vm').exitOverride();
      registerSimulateCommand(program);
      await program.parseAsync(
        ['simulate', '--operators', '10', '--calls-per-hour', '200', '--aht', '150', '--patience', 'none', '--duration', '2h', '--speed', 'max', '--seed', '7', '--sl-threshold', '20', '--json'],
        { from: 'user' },
      );
    } finally {
      spy.mockRestore();
    }
    const text = out.join('');
    expect(text.trim().split('\n')).toHaveLength(1);
    const report = JSON.parse(text) as Record<string, unknown>;
    for (const key of ['offered', 'answered', 'abandoned', 'service_level', 'p_wait', 'avg_wait', 'occupancy']) expect(typeof report[key]).toBe('number');
    expect(report).toMatchObject({ operators: 10, calls_per_hour: 200, patience: null, seed: 7, sl_threshold: 20, abandoned: 0 });
  });

  it('parses durations and speeds', () => {
    expect(parseDuration('8h')).toBe(28_800);
    expect(parseDuration('1h30m')).toBe(5_400);
    expect(parseDuration('90')).toBe(90);
    expect(() => parseDuration('8x')).toThrow();
    expect(parseSpeed('max')).toBe('max');
    expect(parseSpeed('60x')).toBe(60);
    expect(() => parseSpeed('fast')).toThrow();
  });
});

/** The live simulation as `vm serve --simulate` runs it: a driver of the host's engine. */
async function startLive(file: AccountFile, sink: (n: Notification) => void, opts: LiveSimulationOptions, scheduler?: Scheduler) {
  const host = new EngineHost({
    directory: async (id) => (id === file.account.id ? (file as AccountDirectory) : undefined),
    publish: async (_id, n) => sink(n),
    ...(scheduler ? { scheduler: () => scheduler } : {}),
  });
  const engine = await host.attach(file.account.id, liveSimulation(opts));
  return { host, engine };
}

describe('demo center', () => {
  it('validates against the schema and its routing resolves', () => {
    const file = readAccountFile('demo/demo-center.yaml');
    expect(checkRouting(file)).toEqual([]);
    expect(file.account).toEqual({ id: 1, name: 'Demo Center' });
    // 20 simulated operators and the person's own (in a group of their own).
    expect(file.operators).toHaveLength(21);
    expect(file.operators?.find((o) => o.id === DEMO_OPERATOR.id)).toMatchObject({ login: DEMO_OPERATOR.login, password: DEMO_OPERATOR.password, groups: [4], sip: { username: 'operator' } });
    expect(file.groups).toHaveLength(4);
    expect(file.trunks?.length).toBeGreaterThan(0);
    expect(file.ivrs?.[0]?.input).toBe('both');
    expect(file.supervisors).toEqual([{ id: 1, login: 'supervisor', password: 'demo' }]);
    expect(file.api_users).toEqual([{ login: 'api', password: 'demo-api' }]);
  });

  it('runs live: logins and calls in the first second, all valid and lawful', async () => {
    const file = readAccountFile('demo/demo-center.yaml');
    const seen: Notification[] = [];
    const checker = new LawfulChecker(1);
    // Its own RealTimeScheduler on Node's timers and Date, faked so the test moves time: what
    // happens in the first 300 ms of the simulation, whatever the machine's speed.
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 5, 9, 0, 0) });
    try {
      const live = await startLive(file, (n) => { seen.push(n); checker.observe(n); }, { seed: 1, ...demoSimulation(file) });
      vi.advanceTimersByTime(300);
      live.host.stop();
      expect(vi.getTimerCount()).toBe(0); // stop() leaves no timer behind
    } finally {
      vi.useRealTimers();
    }
    // The demo's simulation logs in its 20 operators, never the person's.
    expect(seen.filter((n) => n.type_notification === 'UI' && n.event === 'login')).toHaveLength(20);
    expect(seen.some((n) => (n.msg as { id_operator?: number }).id_operator === DEMO_OPERATOR.id)).toBe(false);
    expect(seen.filter((n) => n.type_notification === 'num' && n.event === 'start').length).toBeGreaterThan(0);
    expect(seen.every((n) => validateNotification(n).ok)).toBe(true);
    expect(checker.errors).toEqual([]);
  });

  it('a simulated hour of the demo center on virtual time is lawful and busy', async () => {
    const file = readAccountFile('demo/demo-center.yaml');
    const checker = new LawfulChecker(1);
    const sched = new VirtualScheduler();
    const live = await startLive(file, (n) => checker.observe(n), { seed: 2 }, sched);
    sched.runUntil(sched.now() + 3_600_000);
    live.host.stop();
    expect(checker.errors).toEqual([]);
    expect(checker.count).toBeGreaterThan(3000);
  });

  it("the demo's simulation leaves the person's operator alone for an hour, even logged in: never rung, paused or answered for; its callers never pick key 4", async () => {
    const file = readAccountFile('demo/demo-center.yaml');
    const checker = new LawfulChecker(1);
    const mine: Notification[] = [];
    const sched = new VirtualScheduler();
    const live = await startLive(file, (n) => {
      checker.observe(n);
      if ((n.msg as { id_operator?: number }).id_operator === DEMO_OPERATOR.id) mine.push(n);
    }, { seed: 4, ...demoSimulation(file) }, sched);
    // The person logs in (as the toolbar would) and stays available.
    expect(live.engine.operatorLogin(DEMO_OPERATOR.id)).toMatchObject({ ok: true });
    sched.runUntil(sched.now() + 3_600_000);
    live.host.stop();
    expect(checker.errors).toEqual([]);
    expect(checker.count).toBeGreaterThan(3000);
    // Their login, and nothing else: no ring, no pause, no call.
    expect(mine.map((n) => `${n.type_notification}/${n.event}`)).toEqual(['UI/login']);
  });

  it('phones that refuse or ring out: the simulated telephony reports ring failures, the stream stays lawful', async () => {
    const file = readAccountFile('demo/demo-center.yaml');
    /** Half an hour of the demo center; rings per answered ring, from the port's commands. */
    const run = async (opts: LiveSimulationOptions) => {
      const checker = new LawfulChecker(1);
      const sched = new VirtualScheduler();
      const commands = new Map<string, number>();
      const host = new EngineHost({ directory: async () => file as AccountDirectory, publish: async (_id, n) => checker.observe(n), scheduler: () => sched });
      const live = liveSimulation(opts);
      // The simulation's own port, watched: what the engine asked of the simulated network.
      await host.attach(1, (dir, scheduler) => {
        const driver = live(dir, scheduler);
        return { ...driver, telephony: { command: (c) => (commands.set(c.op, (commands.get(c.op) ?? 0) + 1), driver.telephony.command(c)) } };
      });
      sched.runUntil(sched.now() + 1_800_000);
      host.stop();
      expect(checker.errors).toEqual([]);
      return { ringsPerBridge: commands.get('ring')! / commands.get('bridge')!, bridges: commands.get('bridge')! };
    };
    // The simulated operators only (the person's desk is rung by nobody then).
    const plain = await run({ seed: 3, ...demoSimulation(file) });
    const refusing = await run({ seed: 3, ringFailProb: 0.3, ringNoAnswerProb: 0.1, ...demoSimulation(file) });
    expect(refusing.bridges).toBeGreaterThan(50);
    // About four rings in ten are refused or ring out, so it takes clearly more rings per answer.
    expect(refusing.ringsPerBridge).toBeGreaterThan(1.3 * plain.ringsPerBridge);
  });
});
