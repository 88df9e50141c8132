// `vm token`: gets a stream token over HTTP with the SDK's auth functions, as a client would.
import type { Command } from 'commander';
import { apiToken, supervisorLogin } from '../../packages/client/src/index.ts';
import { parsePositiveInt } from './options.ts';

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
}
