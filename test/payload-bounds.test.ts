// checkPayload names where a payload breaks a bound, in the dotted/indexed spelling of the
// other refusals (the path is spelled out only for a refusal).
import { describe, expect, it } from 'vitest';
import { checkPayload } from '../src/protocol/index.ts';

const long = 'x'.repeat(9000);

describe('checkPayload', () => {
  it('names the offending value by its path', () => {
    expect(checkPayload({ msg: { vars: [1, { note: long }] } })).toEqual({ ok: false, message: 'msg.vars[1].note is a string of 9000 characters; at most 8192 are accepted.' });
    expect(checkPayload([[0, long]])).toEqual({ ok: false, message: '[0][1] is a string of 9000 characters; at most 8192 are accepted.' });
    expect(checkPayload(long)).toEqual({ ok: false, message: 'the payload is a string of 9000 characters; at most 8192 are accepted.' });
    expect(checkPayload({ a: { [long]: 1 } })).toEqual({ ok: false, message: 'a has a key of 9000 characters; at most 8192 are accepted.' });
    expect(checkPayload({ a: { f: () => 1 } })).toEqual({ ok: false, message: 'a.f is not a JSON value.' });
    let deep: unknown = 1;
    for (let i = 0; i < 40; i++) deep = { d: deep };
    expect(checkPayload(deep)).toEqual({ ok: false, message: `${Array(32).fill('d').join('.')} is nested deeper than 32 levels.` });
    expect(checkPayload({ msg: { vars: [1, { note: 'ok' }] } })).toEqual({ ok: true });
  });
});
