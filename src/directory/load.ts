// Reading and checking account files: JSON or YAML, schema then cross-references, with
// errors that name the entry and the field.
import { readFileSync } from 'node:fs';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { Compile } from 'typebox/compile';
import { AccountFileSchema, type AccountFile, type AccountDirectory } from './schema.ts';
import { vmError } from '../errors/registry.ts';
import { checkRouting } from '../engine/config.ts';
import { dotted, explainIssues, type SchemaIssue } from '../protocol/index.ts';

const check = Compile(AccountFileSchema);

/** Parses JSON or YAML text (YAML is a superset of JSON). */
export function parseAccountText(text: string, source = 'file'): unknown {
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
  }
  const apiLogins = new Set<string>();
  for (const [i, a] of (file.api_users ?? []).entries()) {
    if (apiLogins.has(a.login)) fail(`api_users[${i}].login`, `duplicate login "${a.login}"`);
    apiLogins.add(a.login);
  }
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
