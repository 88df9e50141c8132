// Where call recordings are written and how they go: `<data>/recordings/<account>/<id_call>.wav`,
// one WAV per call, forgotten (row and file) with the event log's retention.
import { mkdirSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { RecordingStore } from '../store/types.ts';

/**
 * The file a call's recording is written to; its directory is created. The B2BUA calls it
 * before the media side starts recording, then stores the result with RecordingStore.add.
 */
export function recordingPath(dataDir: string, accountId: number, idCall: number): string {
  if (!Number.isSafeInteger(accountId) || accountId <= 0) throw new RangeError(`bad account id ${accountId}`);
  if (!Number.isSafeInteger(idCall)) throw new RangeError(`bad id_call ${idCall}`);
  const dir = resolve(dataDir, 'recordings', String(accountId));
  mkdirSync(dir, { recursive: true });
  return join(dir, `${idCall}.wav`);
}

/** Forgets the recordings created before `before` (ms): rows, then files; returns how many. */
export async function purgeRecordings(store: RecordingStore, before: number): Promise<number> {
  const batch = 1000;
  let total = 0;
  for (;;) {
    const gone = await store.purge(before, batch);
    for (const r of gone) {
      // A file already gone (removed by hand) is fine; any other failure leaves a file
      // behind, which is better than a row pointing at nothing.
      await unlink(r.file).catch(() => undefined);
    }
    total += gone.length;
    if (gone.length < batch) return total;
  }
}
