// `vm token`: gets a stream token over HTTP with the SDK's auth functions, as a client would.
import type { Command } from 'commander';
import { apiToken, supervisorLogin } from '../../packages/client/src/index.ts';
import { dataDir, parsePositiveInt } from './options.ts';
import { createSqliteStore } from '../store/sqlite/index.ts';
import { hashToken } from '../auth/service.ts';
import { vmError } from '../errors/registry.ts';
import type { TokenFilter } from '../store/types.ts';

/** The server URL: --url, else env VM_URL (as `vm tail`), else the local default. */
const defaultUrl = (): string => process.env.VM_URL || 'http://127.0.0.1:8080';

/** The demo page (PROTOCOL §6) for a /vm/token answer; an agent token opens it on its operator. */
export function laboLink(url: string, body: Record<string, unknown>): string {
  const q = new URLSearchParams({ id_client: String(body.id_client), id_session: String(body.id_session) });
  if (body.user_type === 'agent' && body.id_operator !== undefined) q.set('id_operator', String(body.id_operator));
  return new URL(`/labo/index.htm?${q.toString()}`, url).href;
}

export function registerTokenCommand(program: Command): void {
  const token = program.command('token').description('Get a stream token from a running server');
  token
    .command('supervisor')
    .description('POST /ws/ init with a supervisor login')
    .requiredOption('-u, --url <url>', 'server URL (env VM_URL)', defaultUrl())
    .requiredOption('-l, --login <login>', 'supervisor login')
    .requiredOption('-p, --password <password>', 'supervisor password (env VM_PASSWORD)', process.env.VM_PASSWORD)
    .option('--json', 'print the whole answer as JSON')
    .action(async (o: { url: string; login: string; password: string; json?: boolean }) => {
      const { answer: body } = await supervisorLogin(o.url, o.login, o.password);
      if (o.json) console.log(JSON.stringify(body));
      else {
        console.log(`id_session ${String(body.id_session)}`);
        console.log(`expires    ${String(body.expire)}`);
        console.log(`init       socket.emit('init', 'supervisor', ${String(body.target)}, '${String(body.id_session)}')`);
      }
    });
  token
    .command('api')
    .description('POST /vm/token with an API user (whole account, or one operator with --agent)')
    .requiredOption('-u, --url <url>', 'server URL (env VM_URL)', defaultUrl())
    .requiredOption('-l, --login <login>', 'API user login')
    .requiredOption('-p, --password <password>', 'API user password (env VM_PASSWORD)', process.env.VM_PASSWORD)
    .option('--agent <id_operator>', 'an agent token for one operator', parsePositiveInt)
    .option('--json', 'print the whole answer as JSON')
    .action(async (o: { url: string; login: string; password: string; agent?: number; json?: boolean }) => {
      const { answer: body } = await apiToken(o.url, { login: o.login, password: o.password, ...(o.agent ? { userType: 'agent' as const, operatorId: o.agent } : {}) });
      if (o.json) console.log(JSON.stringify(body));
      else {
        console.log(`id_session ${String(body.id_session)}`);
        console.log(`expires    ${String(body.expire)}`);
        console.log(`demo page  ${laboLink(o.url, body)}`);
      }
    });
  token
    .command('revoke')
    .description('Revoke tokens in a data directory: one session, one user\'s, or all of an account; a running server closes their sockets within a second')
    .option('-d, --data <dir>', 'data directory (env VM_DATA)')
    .option('--session <id_session>', 'one token (the id_session a login answered)')
    .option('--supervisor <login>', 'every token of this supervisor (and the agent tokens it asked for)')
    .option('--api-user <login>', 'every api and agent token of this API user')
    .option('--operator <login>', "every token of this operator's own sign-in")
    .option('-a, --account <id>', 'every token of this account', parsePositiveInt)
    .option('--json', 'print the result as JSON')
    .action(async (o: { data?: string; session?: string; supervisor?: string; apiUser?: string; operator?: string; account?: number; json?: boolean }) => {
      const given = [o.session, o.supervisor, o.apiUser, o.operator, o.account].filter((v) => v !== undefined);
      if (given.length !== 1) throw vmError('BAD_REQUEST', 'Say which tokens to revoke with exactly one of --session, --supervisor, --api-user, --operator or --account.');
      const filter: TokenFilter =
        o.session !== undefined ? { hash: hashToken(o.session) }
        : o.supervisor !== undefined ? { user: { kind: 'supervisor', login: o.supervisor } }
        : o.apiUser !== undefined ? { user: { kind: 'api', login: o.apiUser } }
        : o.operator !== undefined ? { user: { kind: 'operator', login: o.operator } }
        : { accountId: o.account! };
      const store = createSqliteStore(dataDir(o.data));
      try {
        const r = await store.tokens.revoke(filter, Date.now());
        if (o.json) console.log(JSON.stringify({ revoked: r.revoked, accounts: r.accounts }));
        else console.log(`${r.revoked} token${r.revoked === 1 ? '' : 's'} revoked`);
      } finally {
        await store.close();
      }
    });
}
