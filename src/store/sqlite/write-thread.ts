// Writes to the SQLite file from a worker thread (write-thread.worker.mjs), so the event
// log's commits and the WAL checkpoints never block the event loop that serves sockets:
// the caller posts a batch of statements and awaits the thread's answer, which comes once
// the transaction is committed (durable as the main connection's commits were: WAL,
// synchronous=NORMAL). The thread starts on the first write and stops with close().
import { Worker } from 'node:worker_threads';
import type { Db } from './database.ts';

/** One statement of a transaction: the index `register` gave its SQL, and its parameters. */
export type Step = [statement: number, args: unknown[]];

/**
 * Runs transactions of steps over `sqls` (indices into it) on the write thread when there is
 * one, else on `db` itself (':memory:', or `writes: 'loop'`): the same steps either way.
 * Each transaction resolves with the rows it changed.
 */
export function transactions(db: Db, sqls: readonly string[], writer?: WriteThread): (steps: Step[]) => Promise<number> {
  if (writer) {
    const base = writer.register(sqls);
    return (steps) => {
      if (base !== 0) for (const step of steps) step[0] += base;
      return writer.run(steps);
    };
  }
  const statements = sqls.map((sql) => db.prepare(sql));
  const tx = db.transaction((steps: Step[]) => {
    let changes = 0;
    for (const [i, args] of steps) changes += statements[i]!.run(args).changes;
    return changes;
  });
  return async (steps) => tx(steps);
}

interface Waiting {
  resolve: (changes: number) => void;
  reject: (e: Error) => void;
}

interface Answer {
  id: number;
  ok: boolean;
  changes: number;
  message?: string;
  code?: string;
}

export class WriteThread {
  private worker: Worker | undefined;
  private next = 1;
  private readonly waiting = new Map<number, Waiting>();
  private closed = false;
  private readonly sqls: string[] = [];

  constructor(
    private readonly file: string,
    private readonly checkpointMs = 1000,
  ) {}

  /** Adds statements the thread will run (before its first write); returns the index of the first. */
  register(sqls: readonly string[]): number {
    if (this.worker) throw new Error('WriteThread.register after the first write');
    const base = this.sqls.length;
    this.sqls.push(...sqls);
    return base;
  }

  /** Runs the steps in one transaction on the thread; resolves with the rows changed once committed. */
  run(steps: Step[]): Promise<number> {
    if (this.closed) return Promise.reject(new Error('The store is closed.'));
    return this.send({ op: 'run', steps });
  }

  /** Stops the thread once what was sent before is committed. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (!this.worker) return;
    const w = this.worker;
    await this.send({ op: 'close' }).catch(() => undefined);
    await w.terminate();
  }

  private start(): Worker {
    const w = new Worker(new URL('./write-thread.worker.mjs', import.meta.url), {
      workerData: { file: this.file, checkpointMs: this.checkpointMs },
    });
    w.on('message', (a: Answer) => {
      const waiting = this.waiting.get(a.id);
      if (!waiting) return;
      this.waiting.delete(a.id);
      if (this.waiting.size === 0) w.unref();
      if (a.ok) waiting.resolve(a.changes);
      else waiting.reject(Object.assign(new Error(a.message ?? 'SQLite write failed'), a.code ? { code: a.code } : {}));
    });
    const fail = (e: Error) => {
      if (this.worker !== w) return;
      this.worker = undefined;
      for (const waiting of this.waiting.values()) waiting.reject(e);
      this.waiting.clear();
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`The SQLite write thread stopped (exit code ${code}).`)));
    w.postMessage({ id: 0, op: 'prepare', sqls: this.sqls });
    return w;
  }

  private send(m: { op: string; steps?: Step[] }): Promise<number> {
    const w = (this.worker ??= this.start());
    const id = this.next++;
    return new Promise<number>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      // Keeps the process alive only while a write is on its way.
      w.ref();
      w.postMessage({ id, ...m });
    });
  }
}
