// The store contract for sounds, history, recordings and the audit log: what every backend of src/store/types.ts
// must do, run against each factory (SQLite in memory and on disk today; a Redis or
// PostgreSQL factory joins the list).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { createSqliteStore } from '../src/store/sqlite/index.ts';
import type { AuditEntry, AuditRecord, Store } from '../src/store/types.ts';
import fc from 'fast-check';
import type { CallRecord } from '../src/stats/records.ts';
import { validateAccountFile } from '../src/directory/load.ts';
import { hashPasswordSync, verifyPasswordSync } from '../src/auth/passwords.ts';
import { purgeRecordings, recordingPath } from '../src/recordings/files.ts';
import { SoundLibrary, builtinSoundPath } from '../src/sounds/library.ts';

const tmp = mkdtempSync(join(tmpdir(), 'vm-contract-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const BACKENDS: [string, () => Store][] = [
  ['sqlite :memory:', () => createSqliteStore(':memory:')],
  ['sqlite file', () => createSqliteStore(mkdtempSync(join(tmp, 'data-')))],
];

const secrets = { hash: hashPasswordSync, verify: verifyPasswordSync };
const wavBytes = (seed: number) => {
  const b = Buffer.alloc(44 + 3200);
  b.write('RIFF', 0);
  b.writeUInt32LE(seed, 100);
  return b;
};

describe.each(BACKENDS)('store contract (%s)', (_name, make) => {
  let store: Store;
  beforeAll(() => {
    store = make();
  });
  afterAll(() => store.close());

  describe('sounds', () => {
    it('stores audio by content: same bytes, same hash and one file', async () => {
      const a = wavBytes(1);
      const h1 = await store.sounds.putAudio(a);
      const h2 = await store.sounds.putAudio(Buffer.from(a));
      expect(h1).toBe(createHash('sha256').update(a).digest('hex'));
      expect(h2).toBe(h1);
      const path = await store.sounds.audioPath(h1);
      expect(path && readFileSync(path)).toEqual(a);
      expect(await store.sounds.audioPath('0'.repeat(64))).toBeUndefined();
      expect(await store.sounds.audioPath('../../etc/passwd')).toBeUndefined();
    });

    it("replaces an account's sounds at import, keeps them in its directory, and put changes one", async () => {
      const h = await store.sounds.putAudio(wavBytes(2));
      const file = validateAccountFile({
        account: { id: 501, name: 'Sounds' },
        sounds: [
          { id: 'welcome', name: 'Welcome', sha256: h, duration_ms: 100 },
          { id: 'hold', name: 'Hold', sha256: h, duration_ms: 100 },
        ],
      });
      expect(await store.directory.importAccount(file, secrets)).toEqual({ accountId: 501, changed: true });
      expect(await store.sounds.list(501)).toEqual([
        { accountId: 501, id: 'hold', name: 'Hold', sha256: h, durationMs: 100 },
        { accountId: 501, id: 'welcome', name: 'Welcome', sha256: h, durationMs: 100 },
      ]);
      const rev = (await store.directory.revisions()).get(501)!;

      const h3 = await store.sounds.putAudio(wavBytes(3));
      expect(await store.sounds.put({ accountId: 501, id: 'menu', name: 'Menu', sha256: h3, durationMs: 50 })).toEqual({ changed: true });
      expect(await store.sounds.put({ accountId: 501, id: 'menu', name: 'Menu', sha256: h3, durationMs: 50 })).toEqual({ changed: false });
      expect(await store.sounds.get(501, 'menu')).toEqual({ accountId: 501, id: 'menu', name: 'Menu', sha256: h3, durationMs: 50 });
      // The directory says it too, with a new revision (a running server applies it).
      expect((await store.directory.getDirectory(501))?.sounds?.map((s) => s.id)).toEqual(['welcome', 'hold', 'menu']);
      expect((await store.directory.revisions()).get(501)).toBe(rev + 1);

      // A re-import replaces the list: what the file leaves out is gone.
      await store.directory.importAccount(validateAccountFile({ account: { id: 501, name: 'Sounds' }, sounds: [{ id: 'hold', name: 'Hold 2', sha256: h3, duration_ms: 50 }] }), secrets);
      expect(await store.sounds.list(501)).toEqual([{ accountId: 501, id: 'hold', name: 'Hold 2', sha256: h3, durationMs: 50 }]);
      expect(await store.sounds.get(501, 'welcome')).toBeUndefined();
      // Another account's sounds are its own.
      expect(await store.sounds.list(502)).toEqual([]);
    });

    it('refuses put for an unknown account, and an import of sounds not stored first', async () => {
      await expect(store.sounds.put({ accountId: 9999, id: 'x', name: 'X', sha256: 'a'.repeat(64), durationMs: 1 })).rejects.toMatchObject({ code: 'UNKNOWN_ACCOUNT' });
      const file = validateAccountFile({ account: { id: 503, name: 'N' }, sounds: [{ id: 'x', name: 'X', file: 'x.wav' }] });
      await expect(store.directory.importAccount(file, secrets)).rejects.toMatchObject({ code: 'INVALID_ACCOUNT_FILE' });
      expect(await store.directory.getDirectory(503)).toBeUndefined();
    });

    it('resolves through the library: built-ins from the repository, the account’s own by hash', async () => {
      const lib = new SoundLibrary(store.sounds);
      expect(await lib.resolve(501, 'default:hold')).toBe(builtinSoundPath('hold'));
      expect(await lib.resolve(501, 'default:nope')).toBeUndefined();
      const path = await lib.resolve(501, 'hold');
      expect(path && readFileSync(path)).toEqual(wavBytes(3));
      expect(await lib.resolve(501, 'welcome')).toBeUndefined();
      expect(await lib.resolve(502, 'hold')).toBeUndefined();
    });
  });

  describe('history', () => {
    it('appends calls, and sets a disposition given later on the stored call only', async () => {
      const call = (idCall: number): CallRecord => ({
        accountId: 901, idCall, direction: 'in', start: 1_000_000 + idCall, end: 1_060_000, status: 'ANSWER', service: '33100000001',
        caller: '33611111111', called: '', firstGroupId: 1, groupId: 1, trunkId: null, operatorId: 2,
        durations: { total: 60, ivr: 0, wait: 5, ring: 2, comm: 50, hold: 3, wrapup: 30 }, legs: [],
      });
      await store.history.append(901, 10, [call(1), { ...call(2), disposition: 7 }], []);
      await store.history.append(901, 11, [], [], [{ idCall: 1, disposition: 8 }, { idCall: 99, disposition: 8 }]);
      const q = { from: 0, to: 2_000_000 };
      const rows = await store.history.calls(901, q);
      expect(rows.map((r) => [r.idCall, r.disposition])).toEqual([[1, 8], [2, 7]]);
      expect(rows[0]).toEqual({ ...call(1), disposition: 8 });
      expect(await store.history.calls(902, q)).toEqual([]);
      expect(await store.history.lastCpt(901)).toBe(11);
    });
  });

  describe('recordings', () => {
    it('adds, gets, replaces, and says which calls have one', async () => {
      const rec = { accountId: 601, idCall: 42, file: '/r/42.wav', durationMs: 61_000, bytes: 1_952_044, createdAt: 1e12 };
      await store.recordings.add(rec);
      await store.recordings.add({ ...rec, idCall: -7, file: '/r/-7.wav' });
      expect(await store.recordings.get(601, 42)).toEqual(rec);
      expect(await store.recordings.get(601, -7)).toMatchObject({ idCall: -7, file: '/r/-7.wav' });
      expect(await store.recordings.get(602, 42)).toBeUndefined();
      await store.recordings.add({ ...rec, durationMs: 5 });
      expect((await store.recordings.get(601, 42))?.durationMs).toBe(5);
      const ids = Array.from({ length: 1200 }, (_, i) => i - 600);
      expect([...(await store.recordings.having(601, ids))].sort((a, b) => a - b)).toEqual([-7, 42]);
      expect(await store.recordings.having(601, [])).toEqual(new Set());
      expect(await store.recordings.having(602, [42])).toEqual(new Set());
    });

    it('purges what was created before a time, oldest first, at most limit at once', async () => {
      for (let i = 1; i <= 5; i++) await store.recordings.add({ accountId: 701, idCall: i, file: `/p/${i}.wav`, durationMs: 1, bytes: 46, createdAt: 10_000 + i });
      const first = await store.recordings.purge(10_004, 2);
      expect(first.map((r) => r.idCall)).toEqual([1, 2]);
      expect((await store.recordings.purge(10_004)).map((r) => r.idCall)).toEqual([3]);
      expect(await store.recordings.purge(10_004)).toEqual([]);
      expect(await store.recordings.get(701, 3)).toBeUndefined();
      expect(await store.recordings.get(701, 4)).toBeDefined();
    });

    it('purgeRecordings removes rows and files, and minds no file already gone', async () => {
      const data = mkdtempSync(join(tmp, 'rec-'));
      const files = [1, 2, 3].map((id) => {
        const f = recordingPath(data, 801, id);
        writeFileSync(f, `call ${id}`);
        return f;
      });
      expect(files[0]).toBe(join(data, 'recordings', '801', '1.wav'));
      await store.recordings.add({ accountId: 801, idCall: 1, file: files[0]!, durationMs: 1, bytes: 6, createdAt: 50 });
      await store.recordings.add({ accountId: 801, idCall: 2, file: files[1]!, durationMs: 1, bytes: 6, createdAt: 60 });
      await store.recordings.add({ accountId: 801, idCall: 3, file: files[2]!, durationMs: 1, bytes: 6, createdAt: 500 });
      rmSync(files[1]!);
      expect(await purgeRecordings(store.recordings, 100)).toBe(2);
      expect(existsSync(files[0]!)).toBe(false);
      expect(statSync(files[2]!).size).toBe(6);
      expect(await store.recordings.get(801, 3)).toBeDefined();
    });
  });

  describe('audit', () => {
    const entry = (accountId: number, at: number, over: Partial<AuditEntry> = {}): AuditEntry => ({
      accountId, at, actor: { role: 'supervisor', id: 5, login: 'sup' }, action: 'pause', operatorId: 1, callId: null, groupId: null, pauseId: 2,
      details: { pause: 2 }, ip: '127.0.0.1', result: 'ok', ...over,
    });

    it('keeps every field, newest first, and pages backwards from an id', async () => {
      const a = await store.audit.add(entry(901, 1000, { actor: { role: 'platform', id: 0, login: '' }, action: 'transfer', callId: -7, details: { type: 'number', e164: '33612345678' }, result: 'CALL_UNKNOWN' }));
      expect(a).toEqual({ ...entry(901, 1000), actor: { role: 'platform', id: 0, login: '' }, action: 'transfer', callId: -7, details: { type: 'number', e164: '33612345678' }, result: 'CALL_UNKNOWN', id: expect.any(Number) });
      const b = await store.audit.add(entry(901, 1001));
      const c = await store.audit.add(entry(901, 1002, { action: 'suspend', pauseId: null, groupId: 4, details: { group: 4 } }));
      await store.audit.add(entry(902, 1003));
      expect(b.id).toBeGreaterThan(a.id);
      expect(c.id).toBeGreaterThan(b.id);
      expect(await store.audit.list(901, { limit: 10 })).toEqual([c, b, a]);
      expect(await store.audit.list(901, { limit: 2 })).toEqual([c, b]);
      expect(await store.audit.list(901, { limit: 2, before: b.id })).toEqual([a]);
      expect(await store.audit.list(903, { limit: 2 })).toEqual([]);
    });

    it("a scope sees the entries about its operators or its groups, nothing of the account's", async () => {
      const mine = await store.audit.add(entry(911, 1, { operatorId: 1 }));
      const inGroup = await store.audit.add(entry(911, 2, { operatorId: null, groupId: 7, action: 'callback' }));
      await store.audit.add(entry(911, 3, { operatorId: 2 }));
      await store.audit.add(entry(911, 4, { operatorId: null, callId: 3, action: 'call-hangup' }));
      expect(await store.audit.list(911, { limit: 10, scope: { operators: [1], groups: [7] } })).toEqual([inGroup, mine]);
      expect(await store.audit.list(911, { limit: 10, scope: { operators: [], groups: [] } })).toEqual([]);
      expect(await store.audit.list(911, { limit: 10 })).toHaveLength(4);
    });

    it('pages of any size, with or without a scope, give the matching entries newest first, each once', async () => {
      let account = 10_000;
      const optInt = (max: number) => fc.option(fc.integer({ min: 1, max }), { nil: null });
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.record({ operatorId: optInt(4), groupId: optInt(3) }), { maxLength: 25 }),
          fc.integer({ min: 1, max: 6 }),
          fc.option(fc.record({ operators: fc.uniqueArray(fc.integer({ min: 1, max: 4 })), groups: fc.uniqueArray(fc.integer({ min: 1, max: 3 })) }), { nil: undefined }),
          async (rows, limit, scope) => {
            const id = ++account;
            const added: AuditRecord[] = [];
            for (const [i, r] of rows.entries()) added.push(await store.audit.add(entry(id, i, r)));
            const sees = (r: AuditRecord) => !scope || (r.operatorId !== null && scope.operators.includes(r.operatorId)) || (r.groupId !== null && scope.groups.includes(r.groupId));
            const paged: AuditRecord[] = [];
            let before: number | undefined;
            for (let n = 0; n <= rows.length; n++) {
              const page = await store.audit.list(id, { limit, ...(before !== undefined ? { before } : {}), ...(scope ? { scope } : {}) });
              expect(page.length).toBeLessThanOrEqual(limit);
              paged.push(...page);
              if (page.length < limit) break;
              before = page[page.length - 1]!.id;
            }
            expect(paged).toEqual(added.filter(sees).reverse());
          },
        ),
        { numRuns: 40 },
      );
    });

    it('prune forgets entries older than a time, and all but the newest of each account', async () => {
      for (let i = 0; i < 5; i++) await store.audit.add(entry(921, 100 + i));
      for (let i = 0; i < 2; i++) await store.audit.add(entry(922, 100 + i));
      await store.audit.add(entry(923, 10));
      const before = (await store.audit.list(921, { limit: 10 })).map((r) => r.at);
      expect(before).toEqual([104, 103, 102, 101, 100]);
      // Other tests' accounts hold entries at small times too: count only these three accounts.
      const count = async () => (await Promise.all([921, 922, 923].map((a) => store.audit.list(a, { limit: 100 })))).map((l) => l.length);
      await store.audit.prune(50, 1000);
      expect(await count()).toEqual([5, 2, 0]);
      await store.audit.prune(50, 3);
      expect((await store.audit.list(921, { limit: 10 })).map((r) => r.at)).toEqual([104, 103, 102]);
      expect(await count()).toEqual([3, 2, 0]);
    });
  });
});

describe('recordingPath', () => {
  it('refuses ids that could leave the recordings directory', () => {
    expect(() => recordingPath(tmp, 0, 1)).toThrow(RangeError);
    expect(() => recordingPath(tmp, 1.5, 1)).toThrow(RangeError);
    expect(() => recordingPath(tmp, 1, Number.NaN)).toThrow(RangeError);
    expect(recordingPath(tmp, 3, -12)).toBe(join(tmp, 'recordings', '3', '-12.wav'));
  });
});
