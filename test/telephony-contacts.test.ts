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
    expect(await contacts.get(1, 1)).toEqual({ e164: '33600000001', sipUser: 'ann-desk', callerId: '0' });
    expect(await contacts.get(1, 2)).toEqual({ callerId: '0' });
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

describe("the number an operator's own calls present", () => {
  const presentation = async (account: Partial<AccountDirectory['account']>, op: { caller_id?: string }, numbers: string[] = []) => {
    const d: AccountDirectory = {
      account: { id: 1, name: 'A', ...account },
      operators: [{ id: 1, name: 'Ann', ...op }],
      numbers: numbers.map((service, i) => ({ id: i + 1, service, route: { type: 'group', id: 1 } })),
    } as AccountDirectory;
    return (await new OperatorContacts(async () => d).get(1, 1))?.callerId;
  };

  it("is the operator's caller_id, else the account's, else the account's first service number, else anonymous (0)", async () => {
    expect(await presentation({ caller_id: '33100000009' }, { caller_id: '33100000005' }, ['33100000001'])).toBe('33100000005');
    expect(await presentation({ caller_id: '33100000009' }, {}, ['33100000001'])).toBe('33100000009');
    expect(await presentation({}, {}, ['33100000001', '33100000002'])).toBe('33100000001');
    expect(await presentation({}, {}, [])).toBe('0');
    expect(await presentation({ caller_id: 'anonymous' }, {}, ['33100000001'])).toBe('0');
    expect(await presentation({ caller_id: '33100000009' }, { caller_id: 'anonymous' }, ['33100000001'])).toBe('0');
  });
});
