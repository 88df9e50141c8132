// Sounds in account files and `vm sounds`: files relative to the account file converted and
// stored by content at `vm import`, clear errors (missing file, bad format, unknown
// reference, new sound without a file), exports re-importable, the HTTP import keeping
// stored sounds, and `vm sounds import|list` as child processes beside a running server.
import { describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createSqliteStore } from '../src/store/sqlite/index.ts';
import { SoundLibrary } from '../src/sounds/library.ts';
import { soundIdFromFileName } from '../src/sounds/ids.ts';
import { vmCli } from './helpers/cli.ts';
import { freshDirs, importError, importIn } from './helpers/import.ts';
import { ADMIN_TOKEN, http, startTestServer } from './helpers/server.ts';
import { canonicalSamples, frequencyOf, makeWav, sine } from './helpers/wav.ts';

const MP3 = new URL('./fixtures/sounds/tone-1k-44k-stereo.mp3', import.meta.url).pathname;
const fresh = freshDirs('vm-sounds-');

const account = (id: number, extra: object = {}) => ({
  account: { id, name: `Sounds ${id}` },
  groups: [{ id: id * 10, name: 'Sales' }],
  ivrs: [{ id: id * 10, name: 'Menu', prompt: 'menu-en', options: [{ dtmf: '1', route: { type: 'group', id: id * 10 } }] }],
  numbers: [{ id: id * 10, service: `3318000${id}`, route: { type: 'ivr', id: id * 10 } }],
  ...extra,
});

const toneWav = (freq: number, rate = 8000) => makeWav({ tag: 1, sampleBytes: 2, rate, channels: [sine(freq, rate, 0.5)] });

async function withStore<T>(data: string, f: (s: ReturnType<typeof createSqliteStore>) => Promise<T>): Promise<T> {
  const store = createSqliteStore(data);
  try {
    return await f(store);
  } finally {
    await store.close();
  }
}

describe('sounds in account files', () => {
  it('reads files relative to the account file, converts and stores them by content, and the library resolves them', async () => {
    const t = fresh();
    mkdirSync(t.path('audio'));
    writeFileSync(join(t.path('audio'), 'menu.wav'), toneWav(500));
    writeFileSync(t.path('hold.mp3'), readFileSync(MP3));
    const path = t.file(
      'account.json',
      account(1, {
        sounds: [
          // Relative to the account file, wherever `vm import` runs from.
          { id: 'menu-en', name: 'Menu (English)', file: `./${t.path('audio').split('/').pop()}/menu.wav` },
          { id: 'hold', name: 'Hold music', file: t.path('hold.mp3') },
        ],
      }),
    );
    expect(await importIn(t.data, path)).toEqual({ accountId: 1, changed: true });
    expect(await importIn(t.data, path)).toEqual({ accountId: 1, changed: false });
    await withStore(t.data, async (store) => {
      const sounds = await store.sounds.list(1);
      expect(sounds.map((s) => [s.id, s.name, s.durationMs])).toEqual([
        ['hold', 'Hold music', expect.any(Number)],
        ['menu-en', 'Menu (English)', 500],
      ]);
      // The stored directory keeps id, name, hash and length; no path.
      const dir = await store.directory.getDirectory(1);
      expect(dir?.sounds).toEqual(sounds.map((s) => ({ id: s.id, name: s.name, sha256: s.sha256, duration_ms: s.durationMs })).reverse());
      const lib = new SoundLibrary(store.sounds);
      const menu = await lib.resolve(1, 'menu-en');
      expect(menu).toBe(join(t.data, 'sounds', `${sounds[1]!.sha256}.wav`));
      expect(Math.abs(frequencyOf(canonicalSamples(readFileSync(menu!)), 16_000) - 500)).toBeLessThan(2);
      const hold = canonicalSamples(readFileSync((await lib.resolve(1, 'hold'))!));
      expect(Math.abs(frequencyOf(hold, 16_000) - 1000)).toBeLessThan(5);
    });
  });

  it('says which entry and field is wrong: missing file, bad format, unknown reference, new sound without a file', async () => {
    const t = fresh();
    writeFileSync(t.path('notes.wav'), 'these are not samples');
    const missing = await importError(t.data, t.file('missing.json', account(2, { sounds: [{ id: 'menu-en', name: 'Menu', file: 'nowhere.wav' }] })));
    expect(missing).toMatchObject({ code: 'INVALID_ACCOUNT_FILE', message: `sounds[0].file: ${join(dirname(t.path('x')), 'nowhere.wav')}: cannot read (ENOENT)` });

    const bad = await importError(t.data, t.file('bad.json', account(2, { sounds: [{ id: 'menu-en', name: 'Menu', file: t.path('notes.wav') }] })));
    expect(bad).toMatchObject({ code: 'INVALID_ACCOUNT_FILE', message: `sounds[0].file: ${t.path('notes.wav')}: not a WAV or MP3 file` });

    const unknown = await importError(t.data, t.file('unknown.json', account(2)));
    expect(unknown).toMatchObject({ code: 'INVALID_ACCOUNT_FILE', message: `ivrs[0].prompt: sound "menu-en" is not in this file's sounds` });

    const builtin = account(2);
    (builtin.ivrs[0] as Record<string, unknown>).prompt = 'default:menus';
    expect(await importError(t.data, t.file('builtin.json', builtin))).toMatchObject({
      message: expect.stringMatching(/^ivrs\[0\]\.prompt: "default:menus" is not a built-in sound \(default:welcome, default:menu, default:hold, /),
    });

    const noFile = await importError(t.data, t.file('nofile.json', account(2, { sounds: [{ id: 'menu-en', name: 'Menu' }] })));
    expect(noFile.message).toBe('sounds[0].file: required for a new sound (account 2 has no sound "menu-en" stored)');

    const dup = await importError(t.data, t.file('dup.json', account(2, { sounds: [{ id: 'a', name: 'A', file: 'x' }, { id: 'a', name: 'B', file: 'y' }] })));
    expect(dup.message).toBe('sounds[1].id: duplicate sound id "a" (also sounds[0])');

    const badId = await importError(t.data, t.file('badid.json', account(2, { sounds: [{ id: 'Menu EN', name: 'Menu', file: 'x' }] })));
    expect(badId.message).toMatch(/^sounds\[0\]\.id /);
    // Nothing was written by any of them.
    await withStore(t.data, async (store) => expect(await store.directory.getDirectory(2)).toBeUndefined());
  });

  it('takes built-ins by name, in any field that names a sound', async () => {
    const t = fresh();
    const file = account(3, { groups: [{ id: 30, name: 'Sales', music: 'default:hold' }], numbers: [{ id: 30, service: '331800003', route: { type: 'ivr', id: 30 }, announcement_sound: 'default:welcome' }] });
    (file.ivrs[0] as Record<string, unknown>).prompt = 'default:menu';
    expect(await importIn(t.data, t.file('a.json', file))).toEqual({ accountId: 3, changed: true });
    const bad = { ...file, groups: [{ id: 30, name: 'Sales', music: 'jazz' }] };
    expect((await importError(t.data, t.file('b.json', bad))).message).toBe(`groups[0].music: sound "jazz" is not in this file's sounds`);
  });

  it('re-imports an export (sounds without files keep their audio), and an HTTP import keeps stored sounds but reads no file', { timeout: 120_000 }, async () => {
    const t = fresh();
    writeFileSync(t.path('menu.wav'), toneWav(700));
    await importIn(t.data, t.file('a.json', account(4, { sounds: [{ id: 'menu-en', name: 'Menu', file: basename(t.path('menu.wav')) }] })));
    const exported = await vmCli('export', '--account', '4', '--data', t.data);
    expect(exported.code).toBe(0);
    const dir = JSON.parse(exported.stdout) as { sounds: { sha256: string; file?: string }[] };
    expect(dir.sounds[0]).toEqual({ id: 'menu-en', name: 'Menu', sha256: expect.stringMatching(/^[0-9a-f]{64}$/), duration_ms: 500 });
    expect(await importIn(t.data, t.file('export.json', dir))).toEqual({ accountId: 4, changed: false });
    // The same audio under another id, by its hash.
    dir.sounds.push({ ...dir.sounds[0]!, id: 'menu-copy' } as never);
    expect(await importIn(t.data, t.file('copy.json', dir))).toEqual({ accountId: 4, changed: true });

    const srv = await startTestServer([], { dataDir: t.data });
    try {
      const put = (body: object) =>
        http(`${srv.url}/api/v1/accounts/4`, { method: 'PUT', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const withFile = await put(account(4, { sounds: [{ id: 'menu-en', name: 'Menu', file: '/etc/passwd' }] }));
      expect(withFile.status).toBe(400);
      expect(withFile.body).toEqual({ error: 'INVALID_ACCOUNT_FILE', message: expect.stringMatching(/^sounds\[0\]\.file: sound files cannot be read in an import over HTTP/) });
      const kept = await put(account(4, { sounds: [{ id: 'menu-en', name: 'Menu renamed' }] }));
      expect(kept).toMatchObject({ status: 200, body: { account: 4, changed: true } });
      expect(await srv.app.services.store.sounds.list(4)).toEqual([{ accountId: 4, id: 'menu-en', name: 'Menu renamed', sha256: dir.sounds[0]!.sha256, durationMs: 500 }]);
      const unknown = await put(account(4, { sounds: [{ id: 'other', name: 'X' }] }));
      expect(unknown.body.message).toBe(`ivrs[0].prompt: sound "menu-en" is not in this file's sounds (other)`);
    } finally {
      await srv.close({ keepData: true });
    }
  });
});

describe('vm sounds (CLI)', () => {
  // Each CLI start loads the whole tree through tsx: slow on a busy machine.
  it('imports a WAV and an MP3 into an account a running server has, which then uses them; lists them', { timeout: 300_000 }, async () => {
    const t = fresh();
    // The account exists with built-in prompts only.
    const base = account(5);
    (base.ivrs[0] as Record<string, unknown>).prompt = 'default:menu';
    await importIn(t.data, t.file('base.json', base));
    const srv = await startTestServer([], { dataDir: t.data });
    try {
      const menuId = soundIdFromFileName(t.path('Menu EN.wav'));
      expect(menuId).toMatch(/^t\d+-menu-en$/);
      writeFileSync(t.path('Menu EN.wav'), makeWav({ tag: 1, sampleBytes: 2, rate: 44_100, channels: [sine(440, 44_100, 1), sine(440, 44_100, 1)] }));
      const wav = await vmCli('sounds', 'import', '--account', '5', '--data', t.data, t.path('Menu EN.wav'));
      expect(wav).toMatchObject({ code: 0, stderr: '' });
      expect(wav.stdout).toBe(`${t.path('Menu EN.wav')}: sound "${menuId}" of account 5 imported (WAV PCM 16-bit 44100 Hz stereo, 1.0 s)\n`);
      const mp3 = await vmCli('sounds', 'import', '--account', '5', '--id', 'hold', '--name', 'Hold music', '--data', t.data, '--json', MP3);
      expect(mp3.code).toBe(0);
      expect(JSON.parse(mp3.stdout)).toMatchObject({ account: 5, id: 'hold', name: 'Hold music', input: 'MP3 44100 Hz', changed: true });

      // The running server sees them: an HTTP import may now name them without files.
      const withSounds = { ...base, sounds: [{ id: 'hold', name: 'Hold music' }, { id: menuId, name: 'Menu' }] };
      (withSounds.ivrs[0] as Record<string, unknown>).prompt = menuId;
      const put = await http(`${srv.url}/api/v1/accounts/5`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(withSounds),
      });
      expect(put).toMatchObject({ status: 200, body: { account: 5 } });
      const lib = new SoundLibrary(srv.app.services.store.sounds);
      const hold = await lib.resolve(5, 'hold');
      expect(Math.abs(frequencyOf(canonicalSamples(readFileSync(hold!)), 16_000) - 1000)).toBeLessThan(5);

      const list = await vmCli('sounds', 'list', '--account', '5', '--data', t.data, '--json');
      expect(list.code).toBe(0);
      const listed = JSON.parse(list.stdout) as { sounds: { id: string; duration_ms: number }[]; builtins: { id: string }[] };
      expect(listed.sounds.map((s) => s.id)).toEqual(['hold', menuId]);
      expect(listed.sounds[1]!.duration_ms).toBe(1000);
      expect(listed.builtins.map((b) => b.id)).toEqual(['default:welcome', 'default:menu', 'default:hold', 'default:goodbye', 'default:closed', 'default:operator']);
      const text = await vmCli('sounds', 'list', '--account', '5', '--data', t.data);
      expect(text.stdout).toMatch(/^hold\s+1\.\d s {2}Hold music$/m);
      expect(text.stdout).toMatch(/^default:operator\s+\d+\.\d s$/m);
    } finally {
      await srv.close({ keepData: true });
    }
  });

  it('refuses clearly: unknown account, bad file, bad id', { timeout: 300_000 }, async () => {
    const t = fresh();
    await importIn(t.data, t.file('base.json', { account: { id: 6, name: 'Six' } }));
    writeFileSync(t.path('x.wav'), 'RIFF....WAVEjunk');
    const [unknown, bad, badId, missing] = await Promise.all([
      vmCli('sounds', 'import', '--account', '7', '--data', t.data, t.path('x.wav')),
      vmCli('sounds', 'import', '--account', '6', '--data', t.data, t.path('x.wav')),
      vmCli('sounds', 'import', '--account', '6', '--id', 'Not OK', '--data', t.data, t.path('x.wav')),
      vmCli('sounds', 'import', '--account', '6', '--data', t.data, t.path('none.mp3')),
    ]);
    expect(unknown).toMatchObject({ code: 2, stdout: '' });
    expect(unknown.stderr).toMatch(/^vm: UNKNOWN_ACCOUNT: No account 7 in /);
    expect(bad.stderr).toBe(`vm: INVALID_SOUND: ${t.path('x.wav')}: no fmt chunk\n`);
    expect(badId.code).not.toBe(0);
    expect(badId.stderr).toMatch(/--id.*lower-case letters/);
    expect(missing.stderr).toBe(`vm: INVALID_SOUND: ${t.path('none.mp3')}: cannot read (ENOENT)\n`);
    await withStore(t.data, async (store) => expect(await store.sounds.list(6)).toEqual([]));
  });
});
