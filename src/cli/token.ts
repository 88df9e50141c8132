// `vm token`: gets a stream token over HTTP, as a client of the server would.
import type { Command } from 'commander';
import { parsePositiveInt } from './options.ts';

async function call(url: string, init: RequestInit): Promise<Record<string, unknown>> {
  const res = await fetch(url, init);
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${res.status} ${String(body.error ?? '')}: ${String(body.message ?? res.statusText)}`);
  return body;
}

export function registerTokenCommand(program: Command): void {
  const token = program.command('token').description('Get a stream token from a running server');
  token
    .command('supervisor')
    .description('POST /ws/ init with a supervisor login')
    .requiredOption('-u, --url <url>', 'server URL', 'http://127.0.0.1:8080')
    .requiredOption('-l, --login <login>', 'supervisor login')
    .requiredOption('-p, --password <password>', 'supervisor password (env VM_PASSWORD)', process.env.VM_PASSWORD)
    .option('--json', 'print the whole answer as JSON')
    .action(async (o: { url: string; login: string; password: string; json?: boolean }) => {
      const xjson = JSON.stringify({ requete: 'init', header: { login: o.login, password: o.password, account_type: 'supervisor' }, msg: {} });
      const body = await call(new URL('/ws/', o.url).href, { method: 'POST', headers: { 'X-JSON': xjson } });
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
    .requiredOption('-u, --url <url>', 'server URL', 'http://127.0.0.1:8080')
    .requiredOption('-l, --login <login>', 'API user login')
    .requiredOption('-p, --password <password>', 'API user password (env VM_PASSWORD)', process.env.VM_PASSWORD)
    .option('--agent <id_operator>', 'an agent token for one operator', parsePositiveInt)
    .option('--json', 'print the whole answer as JSON')
    .action(async (o: { url: string; login: string; password: string; agent?: number; json?: boolean }) => {
      const payload = o.agent ? { user_type: 'agent', id_operator: o.agent } : { user_type: 'api' };
      const body = await call(new URL('/vm/token', o.url).href, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${o.login}:${o.password}`).toString('base64')}` },
        body: JSON.stringify(payload),
      });
      if (o.json) console.log(JSON.stringify(body));
      else {
        console.log(`id_session ${String(body.id_session)}`);
        console.log(`expires    ${String(body.expire)}`);
        console.log(`demo page  ${new URL(`/labo/index.htm?id_client=${String(body.id_client)}&id_session=${String(body.id_session)}`, o.url).href}`);
      }
    });
}
