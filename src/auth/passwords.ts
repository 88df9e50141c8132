// Password hashing with scrypt from node:crypto; comparisons in constant time.
import { randomBytes, scrypt, scryptSync, timingSafeEqual, createHash } from 'node:crypto';

/** scrypt cost parameters (N = 2^14, r = 8, p = 1: ~16 MiB, tens of ms per hash). */
export const SCRYPT_PARAMS = { N: 16384, r: 8, p: 1, keylen: 32 } as const;
const maxmem = 64 * 1024 * 1024;

function encode(salt: Buffer, key: Buffer, N: number, r: number, p: number): string {
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

function decode(hash: string): { N: number; r: number; p: number; salt: Buffer; key: Buffer } | undefined {
  const parts = hash.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [N, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  if (![N, r, p].every((x) => Number.isInteger(x) && x > 0)) return undefined;
  return { N, r, p, salt: Buffer.from(parts[4]!, 'base64'), key: Buffer.from(parts[5]!, 'base64') };
}

export function hashPasswordSync(password: string): string {
  const { N, r, p, keylen } = SCRYPT_PARAMS;
  const salt = randomBytes(16);
  return encode(salt, scryptSync(password, salt, keylen, { N, r, p, maxmem }), N, r, p);
}

export function verifyPasswordSync(password: string, hash: string): boolean {
  const d = decode(hash);
  if (!d) return false;
  const key = scryptSync(password, d.salt, d.key.length, { N: d.N, r: d.r, p: d.p, maxmem });
  return timingSafeEqual(key, d.key);
}

/** A hash of a random password: verifying against it costs the same as a real one. */
const DUMMY_HASH = hashPasswordSync(randomBytes(16).toString('hex'));

/**
 * Verifies a password off the main thread (libuv pool). With `hash` undefined (unknown
 * login) it still spends the same time, so timing tells nothing about which logins exist.
 */
export function verifyPassword(password: string, hash: string | undefined): Promise<boolean> {
  const d = decode(hash ?? DUMMY_HASH) ?? decode(DUMMY_HASH)!;
  return new Promise((resolve) => {
    scrypt(password, d.salt, d.key.length, { N: d.N, r: d.r, p: d.p, maxmem }, (err, key) => {
      resolve(!err && timingSafeEqual(key, d.key) && hash !== undefined);
    });
  });
}

/** Constant-time comparison of two secrets of any length (compares their digests). */
export function safeEqual(a: string, b: string): boolean {
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db);
}

/** `hashPasswordSync` off the main thread (libuv pool), for servers. */
export function hashPassword(password: string): Promise<string> {
  const { N, r, p, keylen } = SCRYPT_PARAMS;
  const salt = randomBytes(16);
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keylen, { N, r, p, maxmem }, (err, key) => (err ? reject(err) : resolve(encode(salt, key, N, r, p))));
  });
}
