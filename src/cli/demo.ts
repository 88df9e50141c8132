// `vm demo` (what `npm start` runs): imports the demo center, serves it on 127.0.0.1:8080 and prints
// what a person needs to look at it.
import type { Command } from 'commander';
import { fileURLToPath } from 'node:url';
import { formatExpire } from '../protocol/index.ts';
import { importAccountFile } from './directory.ts';
import { startServer } from './serve.ts';
import { createSqliteStore } from '../store/sqlite/index.ts';
import { callbackLink } from '../http/routes/callback-link.ts';
import { dataDir, DEFAULT_HOST, parsePort } from './options.ts';
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';

/** The demo's SIP address: 127.0.0.1:5060 when both UDP and TCP 5060 are free, else any free port. */
async function demoSipAddress(): Promise<string> {
  if (process.env.VM_SIP) return process.env.VM_SIP;
  const free = await Promise.all([
    new Promise<boolean>((resolve) => {
      const srv = createServer();
      srv.once('error', () => resolve(false));
      srv.listen(5060, '127.0.0.1', () => srv.close(() => resolve(true)));
    }),
    new Promise<boolean>((resolve) => {
      const sock = createSocket('udp4');
      sock.once('error', () => resolve(false));
      sock.bind(5060, '127.0.0.1', () => sock.close(() => resolve(true)));
    }),
  ]);
  return free.every(Boolean) ? '127.0.0.1:5060' : '127.0.0.1:0';
}

export const DEMO_FILE = fileURLToPath(new URL('../../demo/demo-center.yaml', import.meta.url));
export const DEMO_SUPERVISOR = { login: 'supervisor', password: 'demo' };
export const DEMO_API = { login: 'api', password: 'demo-api' };

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('Import the demo center and serve it (what npm start runs)')
    .option('-p, --port <port>', 'port (env PORT)', parsePort)
    .option('--host <host>', `address to listen on, 0.0.0.0 for every interface (env HOST; default: ${DEFAULT_HOST})`)
    .option('-d, --data <dir>', 'data directory (env VM_DATA)')
    .option('--json', 'print one JSON line with the URLs and logins')
    .action(async (o: { port?: number; host?: string; data?: string; json?: boolean }) => {
      const store = createSqliteStore(dataDir(o.data));
      const { accountId } = await importAccountFile(store, DEMO_FILE);
      await store.close();
      const { app, url } = await startServer({ port: o.port, host: o.host, data: o.data, logLevel: process.env.LOG_LEVEL ?? 'warn', simulate: [accountId], sip: await demoSipAddress(), sipWs: process.env.VM_SIP_WS ?? true });
      const sipAddr = app.telephony?.address();
      const sip = sipAddr && `sip:33180000001@${sipAddr.host}:${sipAddr.port}`;
      const dir = await app.services.store.directory.getDirectory(accountId);
      // A demo-page token for a browser on this machine (tokens are bound to the client IP).
      const { token, record } = await app.services.auth.loginApi(DEMO_API.login, DEMO_API.password, '127.0.0.1', 'api');
      const labo = `${url}/labo/index.htm?id_client=${accountId}&id_session=${token}`;
      // The wallboard link carries a supervisor token, which the page renews by itself.
      const sup = await app.services.auth.loginSupervisor(DEMO_SUPERVISOR.login, DEMO_SUPERVISOR.password, '127.0.0.1');
      const wallboard = `${url}/wallboard/?id_client=${accountId}&target=${sup.supervisorId}&id_session=${sup.token}`;
      const callback = dir ? callbackLink(url, dir) : undefined;
      if (o.json) {
        console.log(JSON.stringify({ url, wallboard, labo, callback, sip, account: accountId, supervisor: DEMO_SUPERVISOR, api_user: DEMO_API, data: dataDir(o.data) }));
        return;
      }
      console.log(`
  Voice Management demo center is live (simulated traffic): ${url}

  Wallboard         ${wallboard}
                    (or ${url}/wallboard/ and log in as ${DEMO_SUPERVISOR.login} / ${DEMO_SUPERVISOR.password})
  Live events page  ${labo}
                    (tokens valid until ${formatExpire(record.expiresAt)}, from this machine)${callback ? `
  Web callback      ${callback}` : ''}${sip ? `
  Call the center   ${sip}   (a softphone on this machine; menu: 1 sales,
                    2 support, 3 billing; a simulated operator answers with a voice prompt)` : ''}
  API documents     ${url}/docs
  Supervisor login  ${DEMO_SUPERVISOR.login} / ${DEMO_SUPERVISOR.password}   (POST ${url}/ws/)
  API user          ${DEMO_API.login} / ${DEMO_API.password}   (POST ${url}/vm/token)
  Data directory    ${dataDir(o.data)}

  Stop with Ctrl+C.`);
    });
}
