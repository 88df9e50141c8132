// Operators' phone contacts are read from the directory once per account and read again
// after a re-import, and a failed read is not kept.
import { describe, expect, it } from 'vitest';
import { OperatorContacts } from '../src/telephony/contacts.ts';
import type { AccountDirectory } from '../src/directory/schema.ts';

const dir = (e164: string): AccountDirectory => ({
  account: { id: 1, name: 'A' },
  operators: [
    { id: 1, name: 'Ann', e164, sip: { username: 'ann-desk' } },
    { id: 2, name: 'Bob' },
  ],
});

describe('operator contacts', () => {
  it('reads the directory once, again after forget, and not after a failed read', async () => {
    let reads = 0;
    let current: AccountDirectory | Error = dir('33600000001');
    const contacts = new OperatorContacts(async () => {
      reads++;
      if (current instanceof Error) throw current;
      return current;
    });
    expect(await contacts.get(1, 1)).toEqual({ e164: '33600000001', sipUser: 'ann-desk' });
    expect(await contacts.get(1, 2)).toEqual({});
    expect(await contacts.get(1, 3)).toBeUndefined();
    expect(reads).toBe(1);
    current = dir('33600000009');
    expect((await contacts.get(1, 1))?.e164).toBe('33600000001');
    contacts.forget(1);
    expect((await contacts.get(1, 1))?.e164).toBe('33600000009');
    expect(reads).toBe(2);
    contacts.forget(1);
    current = new Error('disk');
    await expect(contacts.get(1, 1)).rejects.toThrow('disk');
    current = dir('33600000010');
    expect((await contacts.get(1, 1))?.e164).toBe('33600000010');
    expect(reads).toBe(4);
  });
});
