// Account-file imports as the tests drive them: a fresh data directory per test, every
// directory row of its database, and importAccountFile in-process.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect } from 'vitest';
import { createSqliteStore } from '../../src/store/sqlite/index.ts';
import { importAccountFile } from '../../src/cli/directory.ts';

export interface Fresh {
  /** A data directory no test used yet (not created). */
  data: string;
  /** The path of a file of this test (not written). */
  path(name: string): string;
  /** Writes `content` (a string as is, anything else as JSON) to a new file; returns its path. */
  file(name: string, content: unknown): string;
}

/** Registers a temporary directory for the file (removed after it); returns `fresh()`, per test. */
export function freshDirs(prefix: string): () => Fresh {
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), prefix));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  let n = 0;
  return () => {
    const id = ++n;
    const path = (name: string) => join(tmp, `t${id}-${name}`);
    return {
      data: join(tmp, `t${id}`, 'data'),
      path,
      file(name, content) {
        writeFileSync(path(name), typeof content === 'string' ? content : JSON.stringify(content, null, 2));
        return path(name);
      },
    };
  };
}

export interface Dump {
  accounts: { id: number; name: string; directory: string }[];
  entity_ids: { kind: string; id: number; account_id: number }[];
  supervisors: { id: number; account_id: number; login: string; password_hash: string }[];
  api_users: { login: string; account_id: number; password_hash: string }[];
}

/** Every directory row of the database, password hashes included (so a re-hash shows). */
export function dump(data: string): Dump {
  const db = new Database(join(data, 'vm.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return {
      accounts: db.prepare('SELECT * FROM accounts ORDER BY id').all() as Dump['accounts'],
      entity_ids: db.prepare('SELECT * FROM entity_ids ORDER BY kind, id').all() as Dump['entity_ids'],
      supervisors: db.prepare('SELECT * FROM supervisors ORDER BY id').all() as Dump['supervisors'],
      api_users: db.prepare('SELECT * FROM api_users ORDER BY login').all() as Dump['api_users'],
    };
  } finally {
    db.close();
  }
}

/** Imports in-process, as the server's own code does. */
export async function importIn(data: string, path: string) {
  const store = createSqliteStore(data);
  try {
    return await importAccountFile(store, path);
  } finally {
    await store.close();
  }
}

/** Imports in-process and resolves with the error it must end with. */
export async function importError(data: string, path: string): Promise<{ code: string; message: string }> {
  const e = await importIn(data, path).then(
    () => undefined,
    (err: unknown) => err as { code: string; message: string },
  );
  expect(e, `importing ${path} should fail`).toBeDefined();
  return e!;
}
