// `vm sounds import` and `vm sounds list`: an account's prompts, announcements and hold
// music in a data directory (a running server on it sees the change as it sees `vm import`).
import { InvalidArgumentError, type Command } from 'commander';
import { basename } from 'node:path';
import { createSqliteStore } from '../store/sqlite/index.ts';
import { vmError } from '../errors/registry.ts';
import { storeSoundFile } from '../sounds/prepare.ts';
import { BUILTIN_PREFIX, BUILTIN_SOUNDS, isSoundId, soundIdFromFileName } from '../sounds/ids.ts';
import { BUILTIN_SOUNDS_DIR, builtinSoundPath } from '../sounds/library.ts';
import { canonicalDurationMs } from '../sounds/convert.ts';
import { dataDir, parsePositiveInt } from './options.ts';
import { existsSync, statSync } from 'node:fs';

function parseSoundId(v: string): string {
  if (!isSoundId(v)) throw new InvalidArgumentError('expected lower-case letters, digits, - and _ (up to 64, starting with a letter or digit)');
  return v;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export function registerSoundCommands(program: Command): void {
  const sounds = program.command('sounds').description("An account's sounds: IVR prompts, announcements, hold music");

  sounds
    .command('import')
    .description('Convert a WAV or MP3 file to the sound format calls play and add it to an account (replaces a sound of the same id)')
    .argument('<file>', 'WAV (PCM, float, µ-law, A-law; any rate, any channels) or MP3; at most 50 MB and 30 minutes')
    .requiredOption('-a, --account <id>', 'account id', parsePositiveInt)
    .option('--id <id>', 'sound id (default: made from the file name)', parseSoundId)
    .option('--name <name>', 'display name (default: the file name)')
    .option('-d, --data <dir>', 'data directory (env VM_DATA)')
    .option('--json', 'print the result as JSON')
    .action(async (file: string, o: { account: number; id?: string; name?: string; data?: string; json?: boolean }) => {
      const id = o.id ?? soundIdFromFileName(file);
      const name = (o.name ?? basename(file)).slice(0, 200) || id;
      const store = createSqliteStore(dataDir(o.data));
      try {
        if (!(await store.directory.getDirectory(o.account))) throw vmError('UNKNOWN_ACCOUNT', `No account ${o.account} in ${dataDir(o.data)}: import its account file first.`);
        const stored = await storeSoundFile(store.sounds, file);
        const { changed } = await store.sounds.put({ accountId: o.account, id, name, sha256: stored.sha256, durationMs: stored.durationMs });
        if (o.json) console.log(JSON.stringify({ account: o.account, id, name, sha256: stored.sha256, duration_ms: stored.durationMs, input: stored.input, changed }));
        else console.log(`${file}: sound "${id}" of account ${o.account} ${changed ? 'imported' : 'unchanged'} (${stored.input}, ${seconds(stored.durationMs)})`);
      } finally {
        await store.close();
      }
    });

  sounds
    .command('list')
    .description("List an account's sounds, then the built-in ones every account can use")
    .requiredOption('-a, --account <id>', 'account id', parsePositiveInt)
    .option('-d, --data <dir>', 'data directory (env VM_DATA)')
    .option('--json', 'print JSON')
    .action(async (o: { account: number; data?: string; json?: boolean }) => {
      const store = createSqliteStore(dataDir(o.data));
      try {
        if (!(await store.directory.getDirectory(o.account))) throw vmError('UNKNOWN_ACCOUNT', `No account ${o.account} in ${dataDir(o.data)}.`);
        const own = await store.sounds.list(o.account);
        const builtins = BUILTIN_SOUNDS.filter((b) => existsSync(builtinSoundPath(b))).map((b) => ({
          id: `${BUILTIN_PREFIX}${b}`,
          name: b,
          duration_ms: canonicalDurationMs(statSync(builtinSoundPath(b)).size),
        }));
        if (o.json) {
          console.log(
            JSON.stringify({
              account: o.account,
              sounds: own.map((s) => ({ id: s.id, name: s.name, sha256: s.sha256, duration_ms: s.durationMs })),
              builtins,
            }),
          );
          return;
        }
        if (own.length === 0) console.log(`Account ${o.account} has no sounds of its own.`);
        for (const s of own) console.log(`${s.id.padEnd(24)} ${seconds(s.durationMs).padStart(9)}  ${s.name}`);
        console.log(`\nBuilt-in (${BUILTIN_SOUNDS_DIR}):`);
        for (const b of builtins) console.log(`${b.id.padEnd(24)} ${seconds(b.duration_ms).padStart(9)}`);
      } finally {
        await store.close();
      }
    });
}
