// Reading and checking account files: JSON or YAML, schema then cross-references, with
// errors that name the entry and the field.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { parse as parseJsonc, type ParseError } from 'jsonc-parser';
import { Compile } from 'typebox/compile';
import { AccountFileSchema, type AccountFile, type AccountDirectory } from './schema.ts';
import { vmError } from '../errors/registry.ts';
import { checkRouting } from '../engine/config.ts';
import { unknownSoundReference } from '../sounds/references.ts';
import { dotted, explainIssues, type SchemaIssue } from '../protocol/index.ts';

const check = Compile(AccountFileSchema);

/** Line and column (from 1) of an offset in a text. */
function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `line ${before.length}, column ${before.at(-1)!.length + 1}`;
}

/**
 * JSON text, read by the JSON parser: its own message, and where it stopped. V8 says "at
 * position N" for most errors; for the others (a bad literal such as `tru`) the position is
 * the first error jsonc-parser (strict: no comments, no trailing commas) finds.
 */
function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    // V8 quotes the text around the error; keep the sentence on one line.
    const message = (e as Error).message.replace(/\s*\n\s*/g, ' ');
    const at = /at position (\d+)/.exec(message);
    let offset = at ? Number(at[1]) : undefined;
    if (offset === undefined) {
      const errors: ParseError[] = [];
      parseJsonc(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
      offset = errors[0]?.offset ?? text.length;
    }
    throw vmError('INVALID_ACCOUNT_FILE', `${source}: not valid JSON or YAML: the JSON parser says: ${message} (${lineColumn(text, offset)})`);
  }
}

/**
 * Parses an account file's text: JSON for a `.json` file (or, without a known extension,
 * text that starts with `{` or `[`), so a JSON syntax error is the JSON parser's, with its
 * position; YAML otherwise.
 */
export function parseAccountText(text: string, source = 'file'): unknown {
  const ext = extname(source).toLowerCase();
  const json = ext === '.json' || (ext !== '.yaml' && ext !== '.yml' && /^\s*[[{]/.test(text));
  if (json) return parseJson(text.replace(/^\uFEFF/, ''), source);
  try {
    return parseYaml(text, { maxAliasCount: 100 });
  } catch (e) {
    throw vmError('INVALID_ACCOUNT_FILE', `${source}: not valid JSON or YAML: ${(e as Error).message.split('\n')[0]}`);
  }
}

export function readAccountFile(path: string): AccountFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw vmError('INVALID_ACCOUNT_FILE', `${path}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return validateAccountFile(parseAccountText(text, path));
}

function fail(path: string, message: string): never {
  throw vmError('INVALID_ACCOUNT_FILE', `${path}: ${message}`);
}

/** Checks the schema and every cross-reference; returns the typed file or throws naming the entry and field. */
export function validateAccountFile(input: unknown): AccountFile {
  if (!check.Check(input)) {
    // One sentence naming the entry and the field: "operators[0].id must be a whole number from 1 to …".
    const sentence = explainIssues([...check.Errors(input)] as SchemaIssue[], { name: (s) => (s.length ? dotted('')(s) : 'the file'), schema: AccountFileSchema, value: input });
    throw vmError('INVALID_ACCOUNT_FILE', `${sentence}.`);
  }
  const file = input as AccountFile;
  const ids = (kind: keyof AccountFile) => {
    const seen = new Map<number, number>();
    for (const [i, e] of ((file[kind] as { id: number }[] | undefined) ?? []).entries()) {
      if (seen.has(e.id)) fail(`${kind}[${i}].id`, `duplicate id ${e.id} (also ${kind}[${seen.get(e.id)}])`);
      seen.set(e.id, i);
    }
    return seen;
  };
  const groups = ids('groups');
  ids('operators');
  const trunks = ids('trunks');
  ids('pauses');
  ids('numbers');
  ids('supervisors');
  for (const [i, op] of (file.operators ?? []).entries()) {
    for (const [j, g] of (op.groups ?? []).entries()) {
      if (!groups.has(g)) fail(`operators[${i}].groups[${j}]`, `group ${g} is not in this file's groups`);
    }
  }
  const services = new Map<string, number>();
  for (const [i, n] of (file.numbers ?? []).entries()) {
    if (services.has(n.service)) fail(`numbers[${i}].service`, `duplicate service ${n.service}`);
    services.set(n.service, i);
    const r = n.route;
    if ((r.type === 'group' || r.type === 'trunk') && r.id === undefined) fail(`numbers[${i}].route.id`, `is required for a ${r.type} route`);
    if (r.type === 'group' && !groups.has(r.id!)) fail(`numbers[${i}].route.id`, `group ${r.id} is not in this file's groups`);
    if (r.type === 'trunk' && !trunks.has(r.id!)) fail(`numbers[${i}].route.id`, `trunk ${r.id} is not in this file's trunks`);
  }
  const logins = new Set<string>();
  for (const [i, s] of (file.supervisors ?? []).entries()) {
    if (logins.has(s.login)) fail(`supervisors[${i}].login`, `duplicate login "${s.login}"`);
    logins.add(s.login);
    for (const [j, g] of (s.groups ?? []).entries()) {
      if (!groups.has(g)) fail(`supervisors[${i}].groups[${j}]`, `group ${g} is not in this file's groups`);
    }
  }
  const opLogins = new Map<string, number>();
  for (const [i, o] of (file.operators ?? []).entries()) {
    if (o.password === undefined) continue;
    if (o.login === undefined) fail(`operators[${i}].password`, 'an operator signs in with login and password: give the login too');
    if (opLogins.has(o.login)) fail(`operators[${i}].login`, `duplicate login "${o.login}" (also operators[${opLogins.get(o.login)}]), and both have a password`);
    opLogins.set(o.login, i);
  }
  const apiLogins = new Set<string>();
  for (const [i, a] of (file.api_users ?? []).entries()) {
    if (apiLogins.has(a.login)) fail(`api_users[${i}].login`, `duplicate login "${a.login}"`);
    apiLogins.add(a.login);
  }
  const soundIds = new Map<string, number>();
  for (const [i, s] of (file.sounds ?? []).entries()) {
    if (soundIds.has(s.id)) fail(`sounds[${i}].id`, `duplicate sound id "${s.id}" (also sounds[${soundIds.get(s.id)}])`);
    soundIds.set(s.id, i);
  }
  const unknownSound = unknownSoundReference(file);
  if (unknownSound) fail(...unknownSound);
  // Routing references (IVR options, overflow, fallbacks, callback group) must resolve too.
  const [problem] = checkRouting(file);
  if (problem) {
    const i = problem.indexOf(': ');
    fail(problem.slice(0, i), problem.slice(i + 2));
  }
  return file;
}

export function formatDirectory(dir: AccountDirectory, format: 'json' | 'yaml'): string {
  return format === 'yaml' ? stringifyYaml(dir) : `${JSON.stringify(dir, null, 2)}\n`;
}
