// `vm demo` (what `npm start` runs): imports the demo center, serves it on 8080 and prints
// what a person needs to look at it.
import type { Command } from 'commander';
import { fileURLToPath } from 'node:url';
import { formatExpire } from '../protocol/index.ts';
import { importAccountFile } from './directory.ts';
import { startServer } from './serve.ts';
import { dataDir, parsePort } from './options.ts';

export const DEMO_FILE = fileURLToPath(new URL('../../demo/demo-center.yaml', import.meta.url));
export const DEMO_SUPERVISOR = { login: 'supervisor', password: 'demo' };
export const DEMO_API = { login: 'api', password: 'demo-api' };

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('Import the demo center and serve it (what npm start runs)')
    .option('-p, --port <port>', 'port (env PORT)', parsePort)
    .option('-d, --data <dir>', 'data directory (env VM_DATA)')
    .option('--json', 'print one JSON line with the URLs and logins')
    .action(async (o: { port?: number; data?: string; json?: boolean }) => {
      const { app, url } = await startServer({ port: o.port, data: o.data, logLevel: process.env.LOG_LEVEL ?? 'warn' });
      const { accountId } = await importAccountFile(app.services.store, DEMO_FILE);
      // A demo-page token for a browser on this machine (tokens are bound to the client IP).
      const { token, record } = await app.services.auth.loginApi(DEMO_API.login, DEMO_API.password, '127.0.0.1', 'api');
      const labo = `${url}/labo/index.htm?id_client=${accountId}&id_session=${token}`;
      if (o.json) {
        console.log(JSON.stringify({ url, labo, account: accountId, supervisor: DEMO_SUPERVISOR, api_user: DEMO_API, data: dataDir(o.data) }));
        return;
      }
      console.log(`
  Voice Management demo center is running: ${url}

  Live events page  ${labo}
                    (token valid until ${formatExpire(record.expiresAt)}, from this machine)
  Supervisor login  ${DEMO_SUPERVISOR.login} / ${DEMO_SUPERVISOR.password}   (POST ${url}/ws/)
  API user          ${DEMO_API.login} / ${DEMO_API.password}   (POST ${url}/vm/token)
  Data directory    ${dataDir(o.data)}

  Stop with Ctrl+C.`);
    });
}
