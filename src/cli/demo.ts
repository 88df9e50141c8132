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
import type { AccountDirectory } from '../directory/schema.ts';
import type { LiveSimulationOptions } from '../sim/index.ts';
import { parseIpv4, webRtcHostAddress } from '../telephony/index.ts';
import { InvalidArgumentError } from 'commander';

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
/** The demo center's operator for the person trying it (demo/demo-center.yaml): never simulated. */
export const DEMO_OPERATOR = { id: 21, login: 'operator', password: 'demo' };

/** The demo's live simulation: every operator but the person's. */
export function demoSimulation(dir: Pick<AccountDirectory, 'operators'>): LiveSimulationOptions {
  return { operators: (dir.operators ?? []).map((o) => o.id).filter((id) => id !== DEMO_OPERATOR.id) };
}

/**
 * Where browsers reach the demo's WebRTC media: --webrtc-address / VM_WEBRTC_ADDRESS, else
 * this machine's first external IPv4 (neither a browser nor werift makes a host ICE candidate
 * on loopback, and SIP and plain RTP stay on 127.0.0.1 for sipp and desk softphones), else
 * none, with a warning.
 */
function demoWebRtcAddress(flag: string | undefined): string | undefined {
  const given = flag ?? process.env.VM_WEBRTC_ADDRESS;
  if (given) return given;
  const found = webRtcHostAddress();
  if (!found) console.warn('No non-loopback IPv4 address on this machine: browsers (the demo phone, the toolbar softphone) will get no WebRTC audio; SIP softphones still work.');
  return found;
}

function parseIpv4Option(v: string): string {
  try {
    return parseIpv4(v);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('Import the demo center and serve it (what npm start runs)')
    .option('-p, --port <port>', 'port (env PORT)', parsePort)
    .option('--host <host>', `address to listen on, 0.0.0.0 for every interface (env HOST; default: ${DEFAULT_HOST})`)
    .option('-d, --data <dir>', 'data directory (env VM_DATA)')
    .option('--webrtc-address <ipv4>', "where browsers' WebRTC media reaches the demo (env VM_WEBRTC_ADDRESS; default: this machine's first non-loopback IPv4)", parseIpv4Option)
    .option('--json', 'print one JSON line with the URLs and logins')
    .action(async (o: { port?: number; host?: string; data?: string; json?: boolean; webrtcAddress?: string }) => {
      const store = createSqliteStore(dataDir(o.data));
      const { accountId } = await importAccountFile(store, DEMO_FILE);
      const imported = await store.directory.getDirectory(accountId);
      await store.close();
      const webrtcAddress = demoWebRtcAddress(o.webrtcAddress);
      const { app, url } = await startServer({
        port: o.port,
        host: o.host,
        data: o.data,
        logLevel: process.env.LOG_LEVEL ?? 'warn',
        simulate: [accountId],
        simulation: demoSimulation(imported ?? {}),
        sip: await demoSipAddress(),
        sipWs: process.env.VM_SIP_WS ?? true,
        ...(webrtcAddress ? { webrtcAddress } : {}),
        demoPhone: { accountId },
      });
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
      // The person's toolbar, signed in by an agent token in the link (also: log in as operator / demo).
      const agent = await app.services.auth.loginApi(DEMO_API.login, DEMO_API.password, '127.0.0.1', 'agent', DEMO_OPERATOR.id);
      const toolbar = `${url}/operator/?token_session=${agent.token}`;
      const phone = sip ? `${url}/demo/phone` : undefined;
      const operator = { id: DEMO_OPERATOR.id, login: DEMO_OPERATOR.login, password: DEMO_OPERATOR.password };
      if (o.json) {
        console.log(JSON.stringify({ url, wallboard, labo, callback, sip, toolbar, phone, operator, webrtc_address: webrtcAddress ?? null, account: accountId, supervisor: DEMO_SUPERVISOR, api_user: DEMO_API, data: dataDir(o.data) }));
        return;
      }
      console.log(`
  Voice Management demo center is live (simulated traffic): ${url}

  Wallboard         ${wallboard}
                    (or ${url}/wallboard/ and log in as ${DEMO_SUPERVISOR.login} / ${DEMO_SUPERVISOR.password})
  Live events page  ${labo}
                    (tokens valid until ${formatExpire(record.expiresAt)}, from this machine)
  Your toolbar      ${toolbar}
                    (or ${url}/operator/ and log in as ${DEMO_OPERATOR.login} / ${DEMO_OPERATOR.password}; press Log in to take calls)${phone ? `
  Demo phone        ${phone}
                    (call the center from this browser: key 4 in the menu rings your toolbar)` : ''}${callback ? `
  Web callback      ${callback}` : ''}${sip ? `
  Call the center   ${sip}   (a softphone on this machine; menu: 1 sales,
                    2 support, 3 billing: a simulated operator answers with a voice prompt;
                    4 your desk: your toolbar rings)` : ''}
  API documents     ${url}/docs
  Supervisor login  ${DEMO_SUPERVISOR.login} / ${DEMO_SUPERVISOR.password}   (POST ${url}/ws/)
  API user          ${DEMO_API.login} / ${DEMO_API.password}   (POST ${url}/vm/token)
  Data directory    ${dataDir(o.data)}

  Stop with Ctrl+C.`);
    });
}
