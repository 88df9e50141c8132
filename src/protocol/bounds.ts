// Bounds on user JSON that may flow into an event (admin publish, web-callback `vars`,
// any request body): nesting depth, string length, number of entries and total size.
// Checked iteratively (no recursion, so a 100,000-level document cannot overflow the
// stack), before anything is queued, so an oversized payload is refused with a sentence
// and never reaches the event log.

export interface PayloadLimits {
  /** Deepest nesting of objects/arrays; the top-level value is depth 1. */
  maxDepth: number;
  /** Longest string (keys included), in UTF-16 code units. */
  maxStringLength: number;
  /** Most values in the whole document (every object, array, key and scalar). */
  maxEntries: number;
  /** Largest size once serialised, in characters (estimated from above while walking). */
  maxSize: number;
}

export const PAYLOAD_LIMITS: Readonly<PayloadLimits> = {
  maxDepth: 32,
  maxStringLength: 8192,
  maxEntries: 10_000,
  maxSize: 256 * 1024,
};

export type BoundsCheck = { ok: true } | { ok: false; message: string };

/** A value still to check; its path (`a.b[2]`) is spelled out only for a refusal. */
interface Frame {
  v: unknown;
  depth: number;
  parent: Frame | undefined;
  key: string | number;
}

function where(frame: Frame): string {
  const keys: (string | number)[] = [];
  for (let f: Frame | undefined = frame; f?.parent; f = f.parent) keys.push(f.key);
  let path = '';
  for (let i = keys.length - 1; i >= 0; i--) {
    const k = keys[i]!;
    path = typeof k === 'number' ? `${path}[${k}]` : path === '' ? k : `${path}.${k}`;
  }
  return path === '' ? 'the payload' : path;
}

/**
 * Checks a JSON value (as parsed, or built by code) against the limits. Values JSON cannot
 * carry (functions, bigint) are refused; a cycle ends at the depth limit.
 */
export function checkPayload(value: unknown, limits: Readonly<PayloadLimits> = PAYLOAD_LIMITS): BoundsCheck {
  const stack: Frame[] = [{ v: value, depth: 1, parent: undefined, key: '' }];
  let entries = 0;
  let size = 0;
  while (stack.length > 0) {
    const frame = stack.pop()!;
    const { v, depth } = frame;
    if (++entries > limits.maxEntries) return { ok: false, message: `The payload has more than ${limits.maxEntries} values.` };
    switch (typeof v) {
      case 'string':
        if (v.length > limits.maxStringLength) {
          return { ok: false, message: `${where(frame)} is a string of ${v.length} characters; at most ${limits.maxStringLength} are accepted.` };
        }
        size += v.length + 2;
        break;
      case 'number':
      case 'boolean':
        size += 24;
        break;
      case 'undefined':
        break;
      case 'object': {
        if (v === null) {
          size += 4;
          break;
        }
        if (depth > limits.maxDepth) return { ok: false, message: `${where(frame)} is nested deeper than ${limits.maxDepth} levels.` };
        size += 2;
        if (Array.isArray(v)) {
          for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], depth: depth + 1, parent: frame, key: i });
          size += v.length;
        } else {
          for (const [k, child] of Object.entries(v)) {
            if (k.length > limits.maxStringLength) return { ok: false, message: `${where(frame)} has a key of ${k.length} characters; at most ${limits.maxStringLength} are accepted.` };
            size += k.length + 4;
            entries++;
            stack.push({ v: child, depth: depth + 1, parent: frame, key: k });
          }
        }
        break;
      }
      default:
        return { ok: false, message: `${where(frame)} is not a JSON value.` };
    }
    if (size > limits.maxSize) return { ok: false, message: `The payload is larger than ${Math.round(limits.maxSize / 1024)} KiB.` };
  }
  return { ok: true };
}
