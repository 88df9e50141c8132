// Turns an account directory into the engine's routing model: defaults applied, seconds
// turned into milliseconds, cross-references checked. Pure; called once per engine.
import type { AccountDirectory, AccountFile } from '../directory/schema.ts';
import type { Route, Strategy } from '../directory/routing-schema.ts';
import { compileHours, type HoursRule } from './hours.ts';
import { RoutingConfigError } from './errors.ts';

export interface GroupConfig {
  id: number;
  name: string;
  priority: number;
  vipRate: number;
  strategy: Strategy;
  ringTimeoutMs: number;
  maxWaitMs: number | null;
  overflow: Route;
  catchupMs: number;
  rec: boolean;
  alertOp: { minAvailable: number; validityMs: number } | null;
  alertFile: { waitMs: number; validityMs: number } | null;
  /** Hold music (sound id); null: the built-in one. */
  music: string | null;
  ringRetryMs: number;
}

export interface IvrOptionConfig {
  dtmf: string | null;
  /** Lower-cased keywords. */
  speech: string[];
  /** The option's label in the account file, if any (told to the operator it rings). */
  label?: string;
  route: Route;
}

export interface IvrConfig {
  id: number;
  name: string;
  acceptsDtmf: boolean;
  acceptsSpeech: boolean;
  timeoutMs: number;
  retries: number;
  minScore: number;
  options: IvrOptionConfig[];
  defaultRoute: Route;
  /** Prompt (sound id); null: the built-in one. */
  prompt: string | null;
}

export interface NumberConfig {
  id: number;
  service: string;
  route: Route;
  hours: HoursRule | null;
  fallback: Route;
  rec: boolean;
  announcement: boolean;
  /** Announcement (sound id); null: the built-in welcome. */
  announcementSound: string | null;
}

export interface TrunkConfig {
  id: number;
  name: string;
  destination: string;
  ringTimeoutMs: number;
}

export interface CallbackConfig {
  groupId: number | null;
  type: 'AUTO' | 'MANUAL';
  priority: number;
  ringTimeoutMs: number;
  retryTimeoutMs: number;
  autoTimeoutMs: number;
  unassignTimeoutMs: number;
  retries: number;
  expireAfterMs: number;
}

export interface OperatorConfig {
  id: number;
  name: string;
  groups: number[];
}

export interface RoutingModel {
  accountId: number;
  groups: Map<number, GroupConfig>;
  operators: Map<number, OperatorConfig>;
  trunks: Map<number, TrunkConfig>;
  numbers: Map<number, NumberConfig>;
  numbersByService: Map<string, NumberConfig>;
  ivrs: Map<number, IvrConfig>;
  pauses: Map<number, string>;
  /** Pauses with a `max_duration`: ms after which the operator is made available again. */
  pauseLimits: Map<number, number>;
  /** Disposition id → label. */
  dispositions: Map<number, string>;
  forbidden: string[];
  callback: CallbackConfig | null;
}

const HANGUP: Route = { type: 'hangup' };
const ms = (s: number | undefined, dflt: number): number => Math.round((s ?? dflt) * 1000);

/** The account's routing problems (dangling references), empty when it can be run. */
export function checkRouting(dir: AccountDirectory | AccountFile): string[] {
  const problems: string[] = [];
  const groups = new Set((dir.groups ?? []).map((g) => g.id));
  const trunks = new Set((dir.trunks ?? []).map((t) => t.id));
  const ivrs = new Set((dir.ivrs ?? []).map((i) => i.id));
  const checkRoute = (where: string, r: Route | undefined): void => {
    if (!r || r.type === 'hangup') return;
    const known = r.type === 'group' ? groups : r.type === 'trunk' ? trunks : ivrs;
    if (r.id === undefined || !known.has(r.id)) problems.push(`${where}: ${r.type} ${r.id ?? '(no id)'} does not exist`);
  };
  for (const [i, n] of (dir.numbers ?? []).entries()) {
    checkRoute(`numbers[${i}].route`, n.route);
    checkRoute(`numbers[${i}].fallback`, n.fallback);
    for (const [j, s] of (n.hours?.slots ?? []).entries()) {
      if (s.from >= s.to) problems.push(`numbers[${i}].hours.slots[${j}]: from ${s.from} is not before to ${s.to}`);
    }
    if (n.hours?.timezone !== undefined && !validTimeZone(n.hours.timezone)) {
      problems.push(`numbers[${i}].hours.timezone: unknown time zone "${n.hours.timezone}"`);
    }
  }
  for (const [i, g] of (dir.groups ?? []).entries()) checkRoute(`groups[${i}].overflow`, g.overflow);
  for (const [i, ivr] of (dir.ivrs ?? []).entries()) {
    checkRoute(`ivrs[${i}].default_route`, ivr.default_route);
    for (const [j, o] of ivr.options.entries()) {
      checkRoute(`ivrs[${i}].options[${j}].route`, o.route);
      if (o.dtmf === undefined && (o.speech ?? []).length === 0) problems.push(`ivrs[${i}].options[${j}]: needs a dtmf key or speech keywords`);
    }
  }
  for (const [i, op] of (dir.operators ?? []).entries()) {
    for (const g of op.groups ?? []) if (!groups.has(g)) problems.push(`operators[${i}].groups: group ${g} does not exist`);
  }
  const cb = dir.web_callback;
  if (cb?.group !== undefined && !groups.has(cb.group)) problems.push(`web_callback.group: group ${cb.group} does not exist`);
  return problems;
}

function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Builds the routing model; throws `RoutingConfigError` listing every problem. */
export function compileRouting(dir: AccountDirectory | AccountFile): RoutingModel {
  const problems = checkRouting(dir);
  if (problems.length > 0) throw new RoutingConfigError(problems);
  const groups = new Map<number, GroupConfig>();
  for (const g of dir.groups ?? []) {
    groups.set(g.id, {
      id: g.id,
      name: g.name,
      priority: g.priority ?? 50,
      vipRate: g.vip_rate ?? 1,
      strategy: g.strategy ?? 'longest-idle',
      ringTimeoutMs: ms(g.ring_timeout, 20),
      maxWaitMs: g.max_wait === undefined ? null : ms(g.max_wait, 0),
      overflow: g.overflow ?? HANGUP,
      catchupMs: ms(g.catchup, 0),
      rec: g.rec ?? false,
      alertOp: g.alerts?.op ? { minAvailable: g.alerts.op.min_available, validityMs: ms(g.alerts.op.validity, 60) } : null,
      alertFile: g.alerts?.file ? { waitMs: ms(g.alerts.file.wait, 0), validityMs: ms(g.alerts.file.validity, 60) } : null,
      music: g.music ?? null,
      ringRetryMs: ms(g.ring_retry, 5),
    });
  }
  const operators = new Map<number, OperatorConfig>();
  for (const o of dir.operators ?? []) operators.set(o.id, { id: o.id, name: o.name, groups: [...new Set(o.groups ?? [])] });
  const trunks = new Map<number, TrunkConfig>();
  for (const t of dir.trunks ?? []) {
    trunks.set(t.id, { id: t.id, name: t.name, destination: t.destination, ringTimeoutMs: ms(t.ring_timeout, 30) });
  }
  const numbers = new Map<number, NumberConfig>();
  const numbersByService = new Map<string, NumberConfig>();
  for (const n of dir.numbers ?? []) {
    const cfg: NumberConfig = {
      id: n.id,
      service: n.service,
      route: n.route,
      hours: n.hours ? compileHours(n.hours) : null,
      fallback: n.fallback ?? HANGUP,
      rec: n.rec ?? false,
      announcement: n.announcement ?? false,
      announcementSound: n.announcement_sound ?? null,
    };
    numbers.set(n.id, cfg);
    numbersByService.set(n.service, cfg);
  }
  const ivrs = new Map<number, IvrConfig>();
  for (const i of dir.ivrs ?? []) {
    const input = i.input ?? 'both';
    ivrs.set(i.id, {
      id: i.id,
      name: i.name,
      acceptsDtmf: input !== 'speech',
      acceptsSpeech: input !== 'dtmf',
      timeoutMs: ms(i.timeout, 10),
      retries: i.retries ?? 1,
      minScore: i.min_score ?? 50,
      options: i.options.map((o) => ({ dtmf: o.dtmf ?? null, speech: (o.speech ?? []).map((w) => w.toLowerCase()), ...(o.label !== undefined ? { label: o.label } : {}), route: o.route })),
      defaultRoute: i.default_route ?? HANGUP,
      prompt: i.prompt ?? null,
    });
  }
  const pauses = new Map<number, string>();
  const pauseLimits = new Map<number, number>();
  for (const p of dir.pauses ?? []) {
    pauses.set(p.id, p.label);
    if (p.max_duration !== undefined) pauseLimits.set(p.id, ms(p.max_duration, 0));
  }
  const dispositions = new Map((dir.dispositions ?? []).map((d) => [d.id, d.label] as const));
  const cb = dir.web_callback;
  const callback: CallbackConfig | null =
    cb && cb.enabled !== false
      ? {
          groupId: cb.group ?? null,
          type: cb.type ?? 'AUTO',
          priority: cb.priority ?? 50,
          ringTimeoutMs: ms(cb.ring_timeout, 30),
          retryTimeoutMs: ms(cb.retry_timeout, 60),
          autoTimeoutMs: ms(cb.auto_timeout, 5),
          unassignTimeoutMs: ms(cb.unassign_timeout, 60),
          retries: cb.retries ?? 2,
          expireAfterMs: ms(cb.expire_after, 3600),
        }
      : null;
  return {
    accountId: dir.account.id,
    groups,
    operators,
    trunks,
    numbers,
    numbersByService,
    ivrs,
    pauses,
    pauseLimits,
    dispositions,
    forbidden: [...(dir.forbidden_destinations ?? [])],
    callback,
  };
}
