// The demo's phone page (`vm demo` only, never `vm serve`): GET /demo/phone is the page built
// with the operator toolbar (web/operator/phone.html → dist/operator/phone.html, its assets
// under /operator/assets/), GET /demo/phone.json what it needs to call the demo center: the
// SIP-over-WebSocket path, the main line (the number routed to a voice menu), a caller id,
// and the menu's keys. The page sends no credentials: its INVITE is admitted by the SIP trust
// list (loopback by default), so it calls from a browser on the server's machine only, like
// any SIP phone there; on another machine its INVITE is refused as from an untrusted source.
import type { FastifyPluginAsync } from 'fastify';
import { existsSync, readFileSync } from 'node:fs';
import { randomInt } from 'node:crypto';
import { vmError } from '../../errors/registry.ts';
import { sendError } from '../errors.ts';
import type { Services } from '../services.ts';
import { OPERATOR_DIST, sendNotBuilt } from './pages.ts';

export interface DemoPhoneOptions {
  services: Services;
  /** The demo center's account. */
  accountId: number;
  /** The SIP-over-WebSocket path (`--sip-ws`); undefined: no calls from a browser. */
  wsPath: string | undefined;
  /** The operator build's folder. @default dist/operator */
  root?: string;
}

/** What GET /demo/phone.json answers. */
export interface DemoPhoneConfig {
  ws_path: string;
  service: string;
  caller: string;
  menu: Array<{ dtmf: string; label: string }>;
}

export const demoPhoneRoutes: FastifyPluginAsync<DemoPhoneOptions> = async (app, { services, accountId, wsPath, root = OPERATOR_DIST }) => {
  const file = `${root}phone.html`;
  app.get('/demo/', async (_req, reply) => reply.redirect('/demo/phone'));
  app.get('/demo/phone', { schema: { hide: true } }, async (req, reply) => {
    // Read at each load (it is small): a rebuild shows without a restart.
    if (!existsSync(file)) return sendNotBuilt(req, reply, 'DEMO_PHONE_NOT_BUILT', 'demo phone');
    return reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(readFileSync(file, 'utf8'));
  });
  app.get('/demo/phone.json', { schema: { hide: true } }, async (_req, reply) => {
    reply.header('cache-control', 'no-store');
    if (!wsPath) return sendError(reply, vmError('NOT_FOUND', 'SIP over WebSocket is off on this server: the demo phone cannot call.'));
    const dir = await services.store.directory.getDirectory(accountId);
    const main = dir?.numbers?.find((n) => n.route.type === 'ivr') ?? dir?.numbers?.[0];
    if (!dir || !main) return sendError(reply, vmError('NOT_FOUND', `The demo account ${accountId} has no number to call.`));
    const ivr = main.route.type === 'ivr' ? dir.ivrs?.find((i) => i.id === main.route.id) : undefined;
    const menu = (ivr?.options ?? []).flatMap((o) => (o.dtmf ? [{ dtmf: o.dtmf, label: o.label ?? `Option ${o.dtmf}` }] : []));
    // A mobile-looking caller id, new at each load, so that the wallboard tells calls apart.
    const caller = `33699${String(randomInt(0, 1_000_000)).padStart(6, '0')}`;
    const body: DemoPhoneConfig = { ws_path: wsPath, service: main.service, caller, menu };
    return body;
  });
};
