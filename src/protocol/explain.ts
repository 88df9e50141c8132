// Turns JSON-Schema validation errors (Ajv's, as Fastify reports them, and TypeBox's, which
// have the same shape) into one sentence a person understands: "body.caller must be 1 to 32
// digits", "user_type must be one of "api", "agent"", never "must be equal to constant" or
// a JSON dump of `requiredProperties`. The schema that failed is looked up from the error's
// schemaPath, so bounds, alternatives and patterns are said in words.
import { DAY_PATTERN } from './fields.ts';

/** One validation error, as Ajv and TypeBox both report them. */
export interface SchemaIssue {
  keyword: string;
  instancePath: string;
  /** Ajv: `#/…/keyword`; TypeBox: `#/…` (the schema itself). */
  schemaPath?: string;
  params?: Record<string, unknown>;
  message?: string;
}

export interface ExplainOptions {
  /** Names the value at a path (segments of instancePath): `body.caller`, `op in the URL`. */
  name: (segments: string[]) => string;
  /** The schema the value was checked against (to say bounds and alternatives in words). */
  schema?: unknown;
  /** The value that was checked (to tell which alternative of a union was meant). */
  value?: unknown;
}

type Schema = Record<string, unknown>;
const isObject = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);
const decode = (seg: string) => seg.replace(/~1/g, '/').replace(/~0/g, '~');
const segmentsOf = (pointer: string) => (pointer === '' ? [] : pointer.split('/').slice(1).map(decode));

/** The schema an issue is about (Ajv's path ends with the keyword; TypeBox's does not). */
function schemaOf(root: unknown, issue: SchemaIssue): Schema | undefined {
  if (!issue.schemaPath || !issue.schemaPath.startsWith('#')) return undefined;
  const segs = segmentsOf(issue.schemaPath.slice(1));
  let at: unknown = root;
  for (const s of segs) {
    if (!isObject(at) && !Array.isArray(at)) return undefined;
    const next = (at as Record<string, unknown>)[s];
    if (next === undefined && s === issue.keyword) break;
    at = next;
  }
  if (isObject(at) && issue.keyword in at) return at;
  // Ajv's path points at the keyword's value (e.g. the anyOf array): step back one.
  let parent: unknown = root;
  for (const s of segs.slice(0, -1)) parent = isObject(parent) || Array.isArray(parent) ? (parent as Record<string, unknown>)[s] : undefined;
  return isObject(parent) ? parent : isObject(at) ? at : undefined;
}

function valueAt(value: unknown, segs: string[]): unknown {
  let at = value;
  for (const s of segs) at = isObject(at) || Array.isArray(at) ? (at as Record<string, unknown>)[s] : undefined;
  return at;
}

const quote = (v: unknown) => JSON.stringify(v);
const oneOf = (values: unknown[]) => (values.length === 1 ? quote(values[0]) : `one of ${values.map(quote).join(', ')}`);
const SAFE = Number.MAX_SAFE_INTEGER;

function numberWords(s: Schema): string {
  const whole = s.type === 'integer';
  const min = typeof s.minimum === 'number' ? s.minimum : undefined;
  const max = typeof s.maximum === 'number' ? s.maximum : undefined;
  const noun = whole ? 'whole number' : 'number';
  if (whole && min === 1 && (max === undefined || max >= SAFE)) return 'a positive whole number';
  if (whole && min === 0 && (max === undefined || max >= SAFE)) return 'a whole number, 0 or more';
  if (whole && min === -SAFE && max === SAFE) return 'a whole number';
  if (min !== undefined && max !== undefined) return `a ${noun} from ${min} to ${max}`;
  if (min !== undefined) return `a ${noun} of at least ${min}`;
  if (max !== undefined) return `a ${noun} of at most ${max}`;
  return `a ${noun}`;
}

/** Says what a pattern asks for; the patterns of the product, and digits of any length. */
function patternWords(pattern: string): string {
  const digits = /^\^\[0-9\]\{(\d+),(\d+)\}\$$/.exec(pattern);
  if (digits) return digits[1] === '0' ? `digits only (at most ${digits[2]})` : `${digits[1]} to ${digits[2]} digits`;
  if (pattern === '^[0-9]+$' || pattern === '^\\d+$') return 'digits only';
  if (pattern === '^[1-9][0-9]{0,14}$') return 'a positive number written in digits';
  if (pattern === DAY_PATTERN) return 'a date written YYYY-MM-DD';
  if (pattern === '^[0-9*#]$') return 'one key: a digit, * or #';
  return 'in the expected format';
}

const TYPE_WORDS: Record<string, string> = {
  integer: 'a whole number',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  object: 'a JSON object',
  array: 'a list',
  null: 'null',
};

/** What a schema accepts, in words (for the alternatives of a union). */
function describe(s: Schema): string {
  if ('const' in s) return quote(s.const);
  if (Array.isArray(s.enum)) return oneOf(s.enum);
  if (s.type === 'integer' || s.type === 'number') return numberWords(s);
  if (s.type === 'string' && typeof s.pattern === 'string') return patternWords(s.pattern);
  if (s.type === 'object' && Array.isArray(s.required) && s.required.length) return `an object with ${(s.required as string[]).join(' and ')}`;
  if (typeof s.type === 'string') return TYPE_WORDS[s.type] ?? s.type;
  if (Array.isArray(s.anyOf)) return s.anyOf.filter(isObject).map(describe).join(' or ');
  return 'a valid value';
}

function branchesOf(s: Schema | undefined): Schema[] | undefined {
  const b = s && (Array.isArray(s.anyOf) ? s.anyOf : Array.isArray(s.oneOf) ? s.oneOf : undefined);
  return b && b.every(isObject) ? (b as Schema[]) : undefined;
}

/** The property every object branch pins with a const (a discriminated union's tag). */
function tagOf(branches: Schema[]): { key: string; values: unknown[] } | undefined {
  const first = branches[0]?.properties;
  if (!isObject(first)) return undefined;
  for (const key of Object.keys(first)) {
    const values = branches.map((b) => (isObject(b.properties) && isObject(b.properties[key]) && 'const' in b.properties[key] ? (b.properties[key] as Schema).const : undefined));
    if (values.every((v) => v !== undefined)) return { key, values };
  }
  return undefined;
}

function explainOne(issue: SchemaIssue, opts: ExplainOptions): string {
  const segs = segmentsOf(issue.instancePath);
  const where = opts.name(segs);
  const p = issue.params ?? {};
  const s = schemaOf(opts.schema, issue);
  switch (issue.keyword) {
    case 'required': {
      const missing = Array.isArray(p.requiredProperties) ? (p.requiredProperties as string[]) : [String(p.missingProperty)];
      const names = missing.map((m) => opts.name([...segs, m]));
      return names.length === 1 ? `${names[0]} is required` : `${names.slice(0, -1).join(', ')} and ${names.at(-1)} are required`;
    }
    case 'type':
      if (s && (s.type === 'integer' || s.type === 'number')) return `${where} must be ${numberWords(s)}`;
      return `${where} must be ${TYPE_WORDS[String(p.type)] ?? String(p.type)}`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
    case 'multipleOf':
      if (s && branchesOf(s)) return `${where} must be ${describe(s)}`;
      if (s && (s.type === 'integer' || s.type === 'number')) return `${where} must be ${numberWords(s)}`;
      if (p.limit === undefined) return `${where} must be a finite number`;
      return `${where} must be ${issue.keyword === 'minimum' ? 'at least' : issue.keyword === 'maximum' ? 'at most' : 'within'} ${String(p.limit)}`;
    case 'minLength':
      return p.limit === 1 ? `${where} must not be empty` : `${where} must be at least ${String(p.limit)} characters long`;
    case 'maxLength':
      return `${where} must be at most ${String(p.limit)} characters long`;
    case 'pattern':
      return `${where} must be ${patternWords(String(p.pattern))}`;
    case 'const':
      return `${where} must be ${quote(p.allowedValue)}`;
    case 'enum':
      return `${where} must be ${oneOf((p.allowedValues as unknown[]) ?? (Array.isArray(s?.enum) ? s.enum : []))}`;
    case 'additionalProperties': {
      const extra = p.additionalProperty ?? (Array.isArray(p.additionalProperties) ? p.additionalProperties[0] : undefined);
      return extra === undefined ? `${where} has a field that is not allowed` : `${where} has a field ${quote(extra)} that is not allowed`;
    }
    case 'minItems':
      return `${where} must have at least ${String(p.limit)} item${p.limit === 1 ? '' : 's'}`;
    case 'maxItems':
      return `${where} must have at most ${String(p.limit)} items`;
    case 'minProperties':
      return `${where} must not be empty`;
    case 'maxProperties':
      return `${where} has too many fields (at most ${String(p.limit)})`;
    case 'format':
      return `${where} must be a valid ${String(p.format)}`;
    default:
      return `${where} is not valid`;
  }
}

/** The first issue that is not inside a union another issue reports as a whole. */
function pick(issues: SchemaIssue[]): SchemaIssue | undefined {
  const unions = issues.filter((i) => i.keyword === 'anyOf' || i.keyword === 'oneOf');
  const base = (i: SchemaIssue) => (i.schemaPath ?? '').replace(new RegExp(`/${i.keyword}$`), '');
  const inside = (i: SchemaIssue) => unions.some((u) => u !== i && (i.schemaPath ?? '').startsWith(`${base(u)}/${u.keyword}/`));
  return issues.find((i) => !inside(i));
}

function explainUnion(union: SchemaIssue, issues: SchemaIssue[], opts: ExplainOptions): string {
  const segs = segmentsOf(union.instancePath);
  const where = opts.name(segs);
  const branches = branchesOf(schemaOf(opts.schema, union));
  const prefix = `${(union.schemaPath ?? '').replace(new RegExp(`/${union.keyword}$`), '')}/${union.keyword}/`;
  const within = (n: number) => issues.filter((i) => (i.schemaPath ?? '').startsWith(`${prefix}${n}/`) || i.schemaPath === `${prefix}${n}`);
  if (!branches) {
    const consts = issues.filter((i) => i.keyword === 'const' && i.instancePath === union.instancePath).map((i) => i.params?.allowedValue);
    return consts.length ? `${where} must be ${oneOf(consts)}` : `${where} does not match any accepted form`;
  }
  // Literals: "must be one of …".
  if (branches.every((b) => 'const' in b)) return `${where} must be ${oneOf(branches.map((b) => b.const))}`;
  const v = valueAt(opts.value, segs);
  const tag = tagOf(branches);
  if (tag) {
    // A tagged union ({type: "operator", id} | {type: "number", e164}): the tag, then the branch it names.
    const n = isObject(v) ? tag.values.findIndex((t) => t === v[tag.key]) : -1;
    if (!isObject(v)) return `${where} must be ${TYPE_WORDS.object}`;
    if (n < 0) return `${opts.name([...segs, tag.key])} must be ${oneOf(tag.values)}`;
    const inner = within(n);
    if (inner.length) return explainList(inner, opts);
  } else if (isObject(v) && branches.every((b) => b.type === 'object' && isObject(b.properties))) {
    // Object shapes ({dtmf} | {speech, score}): the one whose fields the value uses.
    const score = branches.map((b) => Object.keys(v).filter((k) => k in (b.properties as Schema)).length);
    const best = score.indexOf(Math.max(...score));
    const inner = score[best]! > 0 ? within(best) : [];
    if (inner.length) return explainList(inner, opts);
  }
  return `${where} must be ${branches.map(describe).join(' or ')}`;
}

function explainList(issues: SchemaIssue[], opts: ExplainOptions): string {
  const first = pick(issues);
  if (!first) return `${opts.name([])} is not valid`;
  if (first.keyword === 'anyOf' || first.keyword === 'oneOf') return explainUnion(first, issues, opts);
  return explainOne(first, opts);
}

/** One sentence (no final period) for the first thing wrong in `issues`. */
export function explainIssues(issues: readonly SchemaIssue[], opts: ExplainOptions): string {
  // TypeBox adds a `boolean` issue for `false` sub-schemas; it says nothing more.
  return explainList(issues.filter((i) => i.keyword !== 'boolean'), opts);
}

/** Names `a/b/0` as `root.a.b[0]` (or `root` alone for the whole value). */
export function dotted(root: string): (segments: string[]) => string {
  return (segs) => segs.reduce((acc, s) => (/^\d+$/.test(s) ? `${acc}[${s}]` : acc ? `${acc}.${s}` : s), root) || 'the value';
}
