// `vm import` and `vm export`: account files in and out of a data directory.
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createSqliteStore } from '../store/sqlite/index.ts';
import { readAccountFile, formatDirectory } from '../directory/load.ts';
import { hashPasswordSync, verifyPasswordSync } from '../auth/passwords.ts';
import { isVmError, vmError } from '../errors/registry.ts';
import type { ImportResult, Store } from '../store/types.ts';
import { dataDir, parsePositiveInt } from './options.ts';
import { prepareSounds } from '../sounds/prepare.ts';

/**
 * Validates and imports one account file; all or nothing. Its sounds' files (relative to
 * it) are converted and stored first: audio stored by content is harmless if the import
 * then fails.
 */
export async function importAccountFile(store: Store, path: string): Promise<ImportResult> {
  const file = await prepareSounds(store.sounds, readAccountFile(path), { baseDir: dirname(resolve(path)) });
  return store.directory.importAccount(file, { hash: hashPasswordSync, verify: verifyPasswordSync });
}

export function registerDirectoryCommands(program: Command): void {
  program
    .command('import')
    .description('Import account files (JSON or YAML); idempotent, all or nothing per file')
    .argument('<files...>', 'account files')
    .option('-d, --data <dir>', 'data directory (env VM_DATA)')
    .option('--json', 'print the result as JSON')
    .action(async (files: string[], o: { data?: string; json?: boolean }) => {
      const store = createSqliteStore(dataDir(o.data));
      try {
        for (const f of files) {
          const r = await importAccountFile(store, f).catch((e: unknown) => {
            // With several files, say which one the entry and field are in.
            throw isVmError(e) && !e.message.startsWith(f) ? vmError(e.code, `${f}: ${e.message}`) : e;
          });
          if (o.json) console.log(JSON.stringify({ file: f, account: r.accountId, changed: r.changed }));
          else console.log(`${f}: account ${r.accountId} ${r.changed ? 'imported' : 'unchanged'}`);
        }
      } finally {
        await store.close();
      }
    });

  program
    .command('export')
    .description('Write an account directory (without passwords)')
    .requiredOption('-a, --account <id>', 'account id', parsePositiveInt)
    .option('-d, --data <dir>', 'data directory (env VM_DATA)')
    .option('-f, --format <format>', 'json or yaml', 'json')
    .option('-o, --out <file>', 'write to a file instead of stdout')
    .action(async (o: { account: number; data?: string; format: string; out?: string }) => {
      if (o.format !== 'json' && o.format !== 'yaml') throw vmError('BAD_REQUEST', '--format must be json or yaml.');
      const store = createSqliteStore(dataDir(o.data));
      try {
        const dir = await store.directory.getDirectory(o.account);
        if (!dir) throw vmError('UNKNOWN_ACCOUNT', `No account ${o.account} in ${dataDir(o.data)}.`);
        // The callback link's signing secret stays out of exports, like passwords.
        if (dir.web_callback?.secret) dir.web_callback = { ...dir.web_callback, secret: undefined };
        const text = formatDirectory(JSON.parse(JSON.stringify(dir)), o.format);
        if (o.out) writeFileSync(o.out, text);
        else process.stdout.write(text);
      } finally {
        await store.close();
      }
    });
}
