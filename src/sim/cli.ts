// `vm simulate`: runs the engine on simulated traffic and prints the report (one JSON
// object with --json, a readable summary otherwise), with a progress bar on a terminal.
import { InvalidArgumentError, Option, type Command } from 'commander';
import { readAccountFile } from '../directory/load.ts';
import { runSimulation, type SimulationOptions, type SimulationSummary } from './simulate.ts';

/** Parses `8h`, `90m`, `45s`, `1h30m` or plain seconds. */
export function parseDuration(text: string): number {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t);
  const m = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(t);
  if (!m || t === '') throw new InvalidArgumentError('expected a duration such as 8h, 90m, 1h30m or 3600');
  const seconds = Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
  if (!(seconds > 0)) throw new InvalidArgumentError('the duration must be positive');
  return seconds;
}

/** Parses `max`, `1x`, `60x` or a plain factor. */
export function parseSpeed(text: string): 'max' | number {
  if (text === 'max') return 'max';
  const m = /^(\d+(?:\.\d+)?)x?$/.exec(text.trim());
  if (!m || !(Number(m[1]) > 0)) throw new InvalidArgumentError('expected max, 1x, 60x...');
  return Number(m[1]);
}

const number =
  (what: string, min: number, max = Number.POSITIVE_INFINITY, integer = false) =>
  (text: string): number => {
    const v = Number(text);
    if (!Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
      throw new InvalidArgumentError(`${what} must be ${integer ? 'an integer' : 'a number'} from ${min}${max < Infinity ? ` to ${max}` : ''}`);
    }
    return v;
  };

const share = number('a share', 0, 1);

// Commander turns a parser's null into '', hence the 'none' sentinel.
function parsePatience(text: string): number | 'none' {
  if (text === 'none') return 'none';
  return number('patience', 0.001)(text);
}

function parseDelay(text: string): number | [number, number] {
  const parts = text.split('-').map(number('answer delay', 0));
  return parts.length === 2 ? [parts[0]!, parts[1]!] : parts[0]!;
}

interface RawOptions {
  operators?: number;
  callsPerHour: number;
  aht: number;
  patience: number | 'none';
  duration: number;
  speed: 'max' | number;
  seed: number;
  slThreshold: number;
  json?: boolean;
  account?: string;
  profile: 'flat' | 'intraday';
  pausesPerHour: number;
  pauseDuration: number;
  ivrShare: number;
  callbackShare: number;
  transferShare: number;
  answerDelay: number | [number, number];
  catchup: number;
  warmup: number;
  progress: boolean;
}

export function registerSimulateCommand(program: Command): Command {
  return program
    .command('simulate')
    .description('Run the call engine on simulated traffic (virtual time) and report service level, waits and occupancy')
    .option('--operators <n>', 'operators logged in (all of the account with --account)', number('operators', 1, 100_000, true))
    .option('--calls-per-hour <x>', 'mean arrivals per hour', number('calls per hour', 0), 100)
    .option('--aht <seconds>', 'mean talk time (exponential)', number('aht', 0.001), 180)
    .option('--patience <seconds|none>', 'mean caller patience (exponential), or none', parsePatience, 'none')
    .addOption(new Option('--duration <time>', 'simulated arrival period: 8h, 90m, 1h30m, or seconds').argParser(parseDuration).default(8 * 3600, '8h'))
    .option('--speed <max|1x|60x>', 'max, or a multiple of real time', parseSpeed, 'max')
    .option('--seed <n>', 'PRNG seed (same seed, same run)', number('seed', 0, 2 ** 32 - 1, true), 1)
    .option('--sl-threshold <seconds>', 'service-level threshold', number('threshold', 0), 20)
    .option('--json', 'print one JSON object')
    .option('--account <file>', 'account file (JSON or YAML) to simulate instead of a one-group center')
    .option('--profile <flat|intraday>', 'arrival profile over the day', (v: string) => {
      if (v !== 'flat' && v !== 'intraday') throw new InvalidArgumentError('expected flat or intraday');
      return v;
    }, 'flat')
    .option('--pauses-per-hour <x>', 'pauses per operator-hour', number('pauses per hour', 0), 0)
    .option('--pause-duration <seconds>', 'mean pause', number('pause duration', 0), 300)
    .option('--ivr-share <0..1>', 'share of calls on an IVR number', share, 0)
    .option('--callback-share <0..1>', 'share of arrivals that are web callbacks', share, 0)
    .option('--transfer-share <0..1>', 'share of conversations ended by a transfer', share, 0)
    .option('--answer-delay <s|min-max>', 'operator answer delay, seconds', parseDelay, 0)
    .option('--catchup <seconds>', 'wrap-up after each call (generated center)', number('catchup', 0), 0)
    .option('--warmup <seconds>', 'seconds left out of the report at the start', number('warmup', 0), 0)
    .option('--no-progress', 'no progress bar')
    .action(async (raw: RawOptions) => {
      const opts: SimulationOptions = {
        callsPerHour: raw.callsPerHour,
        aht: raw.aht,
        patience: raw.patience === 'none' ? null : raw.patience,
        duration: raw.duration,
        speed: raw.speed,
        seed: raw.seed,
        slThreshold: raw.slThreshold,
        profile: raw.profile,
        pausesPerHour: raw.pausesPerHour,
        pauseDuration: raw.pauseDuration,
        ivrShare: raw.ivrShare,
        callbackShare: raw.callbackShare,
        transferShare: raw.transferShare,
        answerDelay: raw.answerDelay,
        catchup: raw.catchup,
        warmup: raw.warmup,
      };
      if (raw.operators !== undefined) opts.operators = raw.operators;
      if (raw.account) opts.account = readAccountFile(raw.account);
      const bar = raw.progress && process.stderr.isTTY ? progressBar(raw.duration) : undefined;
      if (bar) opts.onProgress = bar.update;
      const summary = await runSimulation(opts);
      bar?.done();
      process.stdout.write(raw.json ? `${JSON.stringify(summary)}\n` : humanSummary(summary));
    });
}

function progressBar(durationSec: number): { update: NonNullable<SimulationOptions['onProgress']>; done(): void } {
  let last = 0;
  const width = 30;
  return {
    update: ({ fraction, simulatedSeconds, notifications }) => {
      const now = Date.now();
      if (now - last < 100 && fraction < 1) return;
      last = now;
      const full = Math.round(fraction * width);
      process.stderr.write(
        `\r[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${(fraction * 100).toFixed(0).padStart(3)}%  ${clock(simulatedSeconds)}/${clock(durationSec)}  ${notifications.toLocaleString('en-US')} events `,
      );
    },
    done: () => process.stderr.write('\r\x1b[2K'),
  };
}

function clock(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return `${h}h${String(m).padStart(2, '0')}m`;
}

const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;

export function humanSummary(s: SimulationSummary): string {
  const e = s.erlang_c;
  const theory = (v: string | undefined): string => (v === undefined ? '' : `   (Erlang C ${v})`);
  const share = (n: number): string => (s.offered > 0 ? ` (${pct(n / s.offered)})` : '');
  const lines = [
    `Simulated ${clock(s.duration)} of ${s.operators} operators, ${s.calls_per_hour} calls/h, AHT ${s.aht} s, patience ${s.patience === null ? 'none' : `${s.patience} s`} (seed ${s.seed})`,
    `  offered        ${s.offered.toLocaleString('en-US')}`,
    `  answered       ${s.answered.toLocaleString('en-US')}${share(s.answered)}`,
    `  abandoned      ${s.abandoned.toLocaleString('en-US')}${share(s.abandoned)}`,
    `  service level  ${pct(s.service_level)} within ${s.sl_threshold} s${theory(e && pct(e.service_level))}`,
    `  waited         ${pct(s.p_wait)}${theory(e && pct(e.p_wait))}`,
    `  average wait   ${s.avg_wait.toFixed(1)} s${theory(e && `${e.avg_wait.toFixed(1)} s`)}`,
    `  occupancy      ${pct(s.occupancy)}${theory(e && pct(e.occupancy))}`,
  ];
  if (s.ivr_inputs + s.callback_requests + s.trunk_calls + s.transfers > 0) {
    lines.push(`  IVR inputs ${s.ivr_inputs}, trunk calls ${s.trunk_calls}, callbacks ${s.callback_requests}, transfers ${s.transfers}, alerts ${s.alerts}`);
  }
  lines.push(`  ${s.notifications.toLocaleString('en-US')} notifications in ${s.wall_ms} ms (${s.notifications_per_sec.toLocaleString('en-US')}/s)`);
  return `${lines.join('\n')}\n`;
}
