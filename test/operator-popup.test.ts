// The toolbar's screen pop (web/operator/src/popup.ts): the template's placeholders, and only
// they, are replaced by the call's values URL-encoded, so no value adds a host, path, query
// parameter or fragment (fast-check); it pops once per inbound call, on ring or on answer; the
// account file takes http(s) templates of bounded length and sane window names only.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { expandPopup, popupDue, POPUP_PLACEHOLDERS, type PopupValues } from '../web/operator/src/popup.ts';
import { emptyDesk, type Desk, type DeskCall } from '../web/operator/src/desk.ts';
import { validateAccountFile } from '../src/directory/load.ts';

const anyValues = fc.record({ caller: fc.string(), id_call: fc.string(), service: fc.string(), id_queue: fc.string() }) as fc.Arbitrary<PopupValues>;
/** Any text, braces included, that is not a placeholder. */
const literal = fc.string().filter((s) => !/\{(caller|id_call|service|id_queue)\}/.test(s));

/** A path cannot carry `.` or `..` (dot segments, encoded or not): such a value is left out. */
const DOTS = /^\.{1,2}$/;
const encoded = (v: string) => (DOTS.test(v) ? '' : encodeURIComponent(v));

describe('screen pop template', () => {
  it('replaces each placeholder by its value URL-encoded and leaves every other character as it was', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(literal, fc.constantFrom(...POPUP_PLACEHOLDERS)), { maxLength: 6 }), literal, anyValues, (parts, tail, values) => {
        // Joining literals can form a placeholder across the seam ("{call" + "er}"): skip those.
        const template = parts.map(([l, p]) => `${l}{${p}}`).join('') + tail;
        fc.pre(parts.every(([l]) => !/\{(caller|id_call|service|id_queue)$/.test(l)) && !/\{[a-z_]*$/.test(parts.at(-1)?.[0] ?? ''));
        const want = parts.map(([l, p]) => l + encoded(values[p])).join('') + tail;
        expect(expandPopup(template, values)).toBe(want);
      }),
    );
  });

  it('lets no value change the host, path, query keys or fragment of the URL', () => {
    const template = 'https://crm.example.com/contact/{caller}?id={id_call}&svc={service}&q={id_queue}#card';
    fc.assert(
      fc.property(anyValues, (values) => {
        const url = new URL(expandPopup(template, values));
        const kept = (v: string) => (DOTS.test(v) ? '' : v);
        expect(url.origin).toBe('https://crm.example.com');
        expect(url.pathname.split('/').length).toBe(3);
        expect(decodeURIComponent(url.pathname.split('/')[2]!)).toBe(kept(values.caller));
        expect([...url.searchParams.keys()]).toEqual(['id', 'svc', 'q']);
        expect(url.searchParams.get('id')).toBe(kept(values.id_call));
        expect(url.searchParams.get('svc')).toBe(kept(values.service));
        expect(url.searchParams.get('q')).toBe(kept(values.id_queue));
        expect(url.hash).toBe('#card');
      }),
    );
  });

  it('leaves out a value a path would read as a dot segment (found by the property above: caller ".")', () => {
    const v = (caller: string) => new URL(expandPopup('https://crm.example.com/a/contact/{caller}?c={caller}', { caller, id_call: '1', service: '', id_queue: '' }));
    expect(v('..').pathname).toBe('/a/contact/');
    expect(v('.').pathname).toBe('/a/contact/');
    expect(v('...').pathname).toBe('/a/contact/...');
    expect(v('%2E%2E').pathname).toBe('/a/contact/%252E%252E');
  });

  it('keeps unknown braces as written', () => {
    expect(expandPopup('https://x/{name}/{caller}/{ caller }', { caller: '3361', id_call: '1', service: '', id_queue: '' })).toBe('https://x/{name}/3361/{ caller }');
  });
});

describe('when it pops', () => {
  const call = (id: number, outgoing = false): DeskCall => ({ id, number: '33612345678', queue: 1, service: '33100000001', queuedAt: null, waited: 0, ivr: undefined, outgoing, held: false, disposition: undefined });
  const desk = (status: Desk['status'], c: DeskCall | null): Desk => ({ ...emptyDesk(1, 0), status, call: c });

  it('pops once per inbound call, as it rings or once answered', () => {
    const steps = [desk('available', null), desk('ringing', call(7)), desk('ringing', call(7)), desk('connected', call(7)), desk('connected', { ...call(7), held: true }), desk('wrapup', call(7)), desk('ringing', call(8))];
    const pops = (on: 'ring' | 'answer') => steps.slice(1).map((d, i) => popupDue(steps[i]!, d, on)?.id ?? null);
    expect(pops('ring')).toEqual([7, null, null, null, null, 8]);
    expect(pops('answer')).toEqual([null, null, 7, null, null, null]);
  });

  it('does not pop for an outgoing call', () => {
    expect(popupDue(desk('available', null), desk('connected', call(-3, true)), 'answer')).toBeNull();
  });
});

describe('screen pop in the account file', () => {
  const file = (op: Record<string, unknown>) => ({ account: { id: 1, name: 'A' }, operators: [{ id: 1, name: 'Ann', ...op }] });

  it('takes an http(s) template, a moment and a target', () => {
    expect(() => validateAccountFile(file({ popup_url: 'https://crm.example.com/c?n={caller}', popup_on: 'ring', popup_target: 'crm' }))).not.toThrow();
    expect(() => validateAccountFile(file({ popup_url: 'http://crm.local/{id_call}', popup_target: '_blank' }))).not.toThrow();
  });

  it.each([
    [{ popup_url: 'javascript:alert(1)' }, /popup_url/],
    [{ popup_url: 'data:text/html,<b>x</b>' }, /popup_url/],
    [{ popup_url: 'https://crm.example.com/a b' }, /popup_url/],
    [{ popup_url: `https://crm.example.com/${'a'.repeat(2048)}` }, /popup_url/],
    [{ popup_on: 'hangup' }, /popup_on/],
    [{ popup_target: '_top' }, /popup_target/],
    [{ popup_target: 'a window' }, /popup_target/],
  ])('refuses %j', (op, field) => {
    expect(() => validateAccountFile(file(op))).toThrow(field);
  });
});
