// What the results were measured on: CPU, cores, memory, OS, Node, the stack's versions,
// which cores the server and the load generators had, and the load on the machine.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, loadavg, release, totalmem, type as osType } from 'node:os';
import { canPin, ROOT } from './procs.ts';
import type { Config } from './harness.ts';

function version(pkg: string): string | null {
  try {
    // Read the file: some packages do not export their package.json.
    return (JSON.parse(readFileSync(join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return null;
  }
}

export interface Machine {
  cpu: string;
  cores: number;
  memory_gib: number;
  os: string;
  node: string;
  versions: Record<string, string | null>;
  server_cores: string;
  load_generator_cores: string;
  load_generator_processes: number;
  pinned: boolean;
  loadavg_at_start: number[];
  loadavg_at_end: number[];
  quick: boolean;
  started: string;
  description: string;
}

export function machine(cfg: Config, started: Date, loadAtStart: number[]): Machine {
  const cpu = cpus()[0]?.model ?? 'unknown';
  const cores = cpus().length;
  const mem = Math.round(totalmem() / 2 ** 30);
  const pinned = canPin;
  const versions = {
    'socket.io': version('socket.io'),
    'engine.io': version('engine.io'),
    ws: version('ws'),
    fastify: version('fastify'),
    'better-sqlite3': version('better-sqlite3'),
    bufferutil: version('bufferutil'),
    'utf-8-validate': version('utf-8-validate'),
  };
  const count = (list: string) => list.split(',').reduce((n, part) => n + (part.includes('-') ? Number(part.split('-')[1]) - Number(part.split('-')[0]) + 1 : 1), 0);
  const sides = pinned
    ? `server pinned to ${count(cfg.serverCpus)} core (cpu ${cfg.serverCpus}), ${cfg.workers} load-generator processes pinned to ${count(cfg.clientCpus)} core (cpu ${cfg.clientCpus})`
    : `server and ${cfg.workers} load-generator processes unpinned (no taskset)`;
  return {
    cpu,
    cores,
    memory_gib: mem,
    os: `${osType()} ${release()}`,
    node: process.version,
    versions,
    server_cores: pinned ? cfg.serverCpus : 'unpinned',
    load_generator_cores: pinned ? cfg.clientCpus : 'unpinned',
    load_generator_processes: cfg.workers,
    pinned,
    loadavg_at_start: loadAtStart.map((x) => Math.round(x * 100) / 100),
    loadavg_at_end: loadavg().map((x) => Math.round(x * 100) / 100),
    quick: cfg.quick,
    started: started.toISOString(),
    description: `${cpu}, ${cores} cores, ${mem} GiB, ${osType()} ${release()}, Node ${process.version}, socket.io ${versions['socket.io']}; ${sides}`,
  };
}
