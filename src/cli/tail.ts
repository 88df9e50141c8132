// `vm tail`: the live stream in a terminal, through the SDK — coloured lines (or NDJSON with
// --json) on stdout, the connection's story (live, reconnecting, resumed, token renewed) on
// stderr. It resumes with `since` after any disconnect or server restart.
import { InvalidArgumentError, type Command } from 'commander';
import {
  NOTIFICATION_TYPES,
  connect,
  type ConnectOptions,
  type Directory,
  type NotificationType,
  type StateChange,
  type Update,
  type VmClient,
} from '../../packages/client/src/index.ts';
import { parsePositiveInt } from './options.ts';

export interface TailOptions {
  url: string;
  login?: string;
  password?: string;
  apiLogin?: string;
  apiPassword?: string;
  agent?: number;
  types?: NotificationType[];
  since?: number;
  json?: boolean;
  color: boolean;
}

const ANSI = { reset: 0, bold: 1, dim: 2, red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, gray: 90 } as const;
type Colour = keyof typeof ANSI;
const TYPE_COLOUR: Record<string, Colour> = { operator: 'cyan', UI: 'magenta', PUSHCALL: 'yellow', queue: 'green', trunk: 'blue', num: 'gray', input: 'bold' };
const STATUS_COLOUR: Record<string, Colour> = { available: 'green', ringing: 'yellow', calling: 'yellow', connected: 'red', unavailable: 'gray' };

export type Paint = (colour: Colour, text: string) => string;
export const paintWith = (enabled: boolean): Paint => (colour, text) => (enabled ? `\x1b[${ANSI[colour]}m${text}\x1b[0m` : text);

function parseTypesList(v: string): NotificationType[] {
  const types = v.split(',').map((t) => t.trim()).filter(Boolean);
  const bad = types.filter((t) => !(NOTIFICATION_TYPES as readonly string[]).includes(t));
  if (bad.length || types.length === 0) throw new InvalidArgumentError(`expected some of ${NOTIFICATION_TYPES.join(',')}`);
  return types as NotificationType[];
}

function parseCpt(v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError('expected a cpt (a non-negative integer)');
  return n;
}

/** Names of the ids a line shows, from the supervisor's directory. */
export interface Names {
  op: Map<number, string>;
  queue: Map<number, string>;
  trunk: Map<number, string>;
  pause: Map<number, string>;
}

export function namesOf(dir: Directory | undefined): Names {
  return {
    op: new Map(dir?.ops.map((o) => [o.id, o.nom])),
    queue: new Map(dir?.groupes.map((g) => [g.id, g.nom])),
    trunk: new Map(dir?.trunks.map((t) => [t.id, t.nom])),
    pause: new Map(dir?.pauses.map((p) => [p.id, p.value])),
  };
}

const NAMED: Record<string, keyof Names> = { id_operator: 'op', id_queue: 'queue', id_trunk: 'trunk' };

/** One human-readable line for an update: time, cpt, type/event, then the msg's fields. */
export function formatUpdate(u: Update, names: Names, paint: Paint): string {
  const at = new Date((u.ts - u.elapse) * 1000).toTimeString().slice(0, 8);
  const { type_notification: type, event, msg } = u.event;
  const fields: string[] = [];
  for (const [k, v] of Object.entries(msg)) {
    if (k === 'id_client' || v === '' || v === undefined) continue;
    let text = typeof v === 'object' ? JSON.stringify(v) : String(v);
    const kind = NAMED[k];
    const name = kind && typeof v === 'number' ? names[kind].get(v) : undefined;
    if (name) text += ` (${name})`;
    if (k === 'supp' && event === 'pause' && typeof v === 'number' && names.pause.get(v)) text += ` (${names.pause.get(v)})`;
    if (k === 'status') text = paint(STATUS_COLOUR[String(v)] ?? 'bold', text);
    fields.push(`${paint('dim', k + '=')}${text}`);
  }
  if (u.event.srv !== undefined) fields.push(`${paint('dim', 'srv=')}${u.event.srv}`);
  const replay = u.elapse > 0 ? paint('dim', ` +${u.elapse}s`) : '';
  return `${paint('gray', at)} ${paint('bold', `#${u.cpt}`)}${replay} ${paint(TYPE_COLOUR[type] ?? 'bold', `${type}/${event}`.padEnd(20))} ${fields.join(' ')}`;
}

/** The stderr line for a state change. */
export function formatState(s: StateChange, paint: Paint): string {
  switch (s.state) {
    case 'live':
      return s.resumed
        ? paint('green', `— resumed after cpt ${s.since ?? '?'}; live at cpt ${s.cpt}`)
        : paint('green', `— live at cpt ${s.cpt}${s.since !== undefined ? ` (replayed from ${s.since})` : ''}`);
    case 'reconnecting':
      return paint('yellow', `— disconnected (${s.reason ?? 'unknown'}); reconnecting, will resume after cpt ${s.cpt ?? '?'}…`);
    case 'closed':
      return paint('gray', `— closed (${s.reason ?? ''})`);
    default:
      return paint('gray', `— ${s.state}`);
  }
}

function connectOptions(o: TailOptions): ConnectOptions {
  const common = { url: o.url, ...(o.types ? { types: o.types } : {}), ...(o.since !== undefined ? { since: o.since } : {}) };
  if (o.apiLogin) {
    if (!o.apiPassword) throw new InvalidArgumentError('--api-password (or env VM_API_PASSWORD) is required with --api-login');
    return { ...common, apiLogin: o.apiLogin, apiPassword: o.apiPassword, ...(o.agent ? { userType: 'agent' as const, operatorId: o.agent } : {}) };
  }
  if (!o.login || o.password === undefined) throw new InvalidArgumentError('give --login and --password (a supervisor) or --api-login and --api-password (an API user)');
  return { ...common, login: o.login, password: o.password };
}

/** Where `tail` writes, and what stops it (SIGINT/SIGTERM stop it too). */
export interface TailIo {
  out?: NodeJS.WritableStream;
  err?: NodeJS.WritableStream;
  signal?: AbortSignal;
}

/** Runs `vm tail` until SIGINT/SIGTERM, `signal`, or a fatal error; resolves with the exit code. */
export async function tail(o: TailOptions, { out = process.stdout, err = process.stderr, signal }: TailIo = {}): Promise<number> {
  const paint = paintWith(o.color);
  const note = (line: string) => err.write(line + '\n');
  const client: VmClient = await connect(connectOptions(o));
  signal?.addEventListener('abort', () => client.close('stopped'), { once: true });
  const token = client.token!;
  const names = namesOf((await client.snapshot({ source: 'init' })).directory);
  note(paint('gray', `— connected to ${o.url} as ${token.userType} ${token.target} (account ${token.idClient})`));
  note(formatState({ state: 'live', cpt: client.cpt, ...(o.since !== undefined ? { since: o.since } : {}) }, paint));
  // While the server is away the same error repeats (each renewal retry): say it once.
  let lastError = '';
  client.on('state', (s) => {
    if (s.state === 'live') lastError = '';
    if (s.state !== 'closed') note(formatState(s, paint));
  });
  client.on('token', (t) => note(paint('gray', `— token renewed, expires ${t.expire}`)));
  client.on('error', (e) => {
    if (e.code !== lastError) note(paint('red', `! ${e.code}: ${e.message}`));
    lastError = e.code;
  });
  const stop = () => client.close('interrupted');
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    for await (const u of client) out.write((o.json ? JSON.stringify(u) : formatUpdate(u, names, paint)) + '\n');
    return 0;
  } catch (e) {
    note(paint('red', `vm tail: ${(e as Error).message}`));
    return 1;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

export function registerTailCommand(program: Command): void {
  program
    .command('tail')
    .description('Print the live notification stream; survives disconnects and server restarts, resuming with since')
    .option('-u, --url <url>', 'server URL (env VM_URL)', process.env.VM_URL ?? 'http://127.0.0.1:8080')
    .option('-l, --login <login>', 'supervisor login')
    .option('-p, --password <password>', 'supervisor password (env VM_PASSWORD)', process.env.VM_PASSWORD)
    .option('--api-login <login>', 'API user login, instead of a supervisor')
    .option('--api-password <password>', 'API user password (env VM_API_PASSWORD)', process.env.VM_API_PASSWORD)
    .option('--agent <id_operator>', 'with an API user: one operator’s events only', parsePositiveInt)
    .option('-t, --types <list>', `comma-separated types: ${NOTIFICATION_TYPES.join(',')} (num and input only when listed)`, parseTypesList)
    .option('--since <cpt>', 'first replay the events after this cpt (0: the whole log)', parseCpt)
    .option('--json', 'one JSON update per line (NDJSON) instead of text')
    .option('--no-color', 'no colours (also NO_COLOR, or when stdout is not a terminal)')
    .action(async (o: TailOptions) => {
      const color = o.color && !o.json && !process.env.NO_COLOR && (process.stdout.isTTY === true || Boolean(process.env.FORCE_COLOR));
      process.exitCode = await tail({ ...o, color });
    });
}
