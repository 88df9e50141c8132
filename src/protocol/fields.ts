// Field schemas every entry point shares (catalogue, call control, callback link, history,
// tokens): ids are positive safe integers, numbers are digits. Defined once so a route
// cannot forget a bound (an id of 1e400 reads as Infinity; 2^53 + 1 is not exact).
import { Type } from 'typebox';

export const MAX_ID = Number.MAX_SAFE_INTEGER;

/** A positive safe integer id. */
export const Id = (description = 'Positive integer id') => Type.Integer({ minimum: 1, maximum: MAX_ID, description });

/** A safe integer call id: outgoing calls are numbered below zero (guide §4.2.1). */
export const CallId = (description = 'Call id (negative for outgoing calls)') => Type.Integer({ minimum: -MAX_ID, maximum: MAX_ID, description });

/** A safe non-negative integer (0 meaning "none", as `id_queue` and `id_operator` use it). */
export const IdOrZero = (description = 'Integer id, 0 when none') => Type.Integer({ minimum: 0, maximum: MAX_ID, description });

/** A calendar day written `YYYY-MM-DD` (whether it exists is checked where it is read). */
export const DAY_PATTERN = '^\\d{4}-\\d{2}-\\d{2}$';
export const Day = (description = 'YYYY-MM-DD') => Type.String({ pattern: DAY_PATTERN, description });

/** A phone number written as digits, E.164 without its +. */
export const Digits = (min: number, max: number, description = 'Number in E.164 without +, digits only') =>
  Type.String({ pattern: `^[0-9]{${min},${max}}$`, description });

/** A caller's number: digits, or empty when the caller withholds it. */
export const CallerNumber = () => Type.String({ pattern: '^[0-9]{0,32}$', description: "Caller's number, digits only (empty when withheld)" });
