// The web pages: the demo page `/labo/index.htm` (PROTOCOL §6), and the protocol module's
// constants served as an ES module so the pages share the server's catalogue.
import type { FastifyPluginAsync } from 'fastify';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CATALOGUE, DEFAULT_TYPES, NOTIFICATION_TYPES, OPT_IN_TYPES } from '../../protocol/index.ts';

const webDir = fileURLToPath(new URL('../../web/', import.meta.url));
const read = (path: string) => readFileSync(webDir + path, 'utf8');

const protocolJs =
  `// Generated from src/protocol: the event catalogue as the server knows it.\n` +
  `export const NOTIFICATION_TYPES = ${JSON.stringify(NOTIFICATION_TYPES)};\n` +
  `export const DEFAULT_TYPES = ${JSON.stringify(DEFAULT_TYPES)};\n` +
  `export const OPT_IN_TYPES = ${JSON.stringify(OPT_IN_TYPES)};\n` +
  `export const EVENTS = ${JSON.stringify(Object.fromEntries(NOTIFICATION_TYPES.map((t) => [t, Object.keys(CATALOGUE[t])])))};\n`;

export const webRoutes: FastifyPluginAsync = async (app) => {
  const labo = { html: read('labo/index.htm'), js: read('labo/labo.js'), css: read('labo/labo.css') };
  app.get('/labo/index.htm', async (_req, reply) => reply.type('text/html; charset=utf-8').send(labo.html));
  // The product opens onto the wallboard.
  app.get('/', async (_req, reply) => reply.redirect('/wallboard/'));
  app.get('/labo/', async (req, reply) => reply.redirect(`/labo/index.htm${req.url.slice('/labo/'.length)}`));
  app.get('/labo/labo.js', async (_req, reply) => reply.type('text/javascript; charset=utf-8').send(labo.js));
  app.get('/labo/labo.css', async (_req, reply) => reply.type('text/css; charset=utf-8').send(labo.css));
  app.get('/protocol.js', async (_req, reply) => reply.type('text/javascript; charset=utf-8').send(protocolJs));
};
