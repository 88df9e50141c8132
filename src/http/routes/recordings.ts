// `GET /api/v1/accounts/:id/recordings/:id_call`: a call's recording as a WAV, with
// Content-Length and single byte ranges (a player seeks), for the admin token, an API user
// of the account, a supervisor who sees the call (its groups), or the operator who took it.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Type } from 'typebox';
import { vmError } from '../../errors/registry.ts';
import type { Services } from '../services.ts';
import { errorSchema } from '../schemas.ts';
import { CallId, Id } from '../../protocol/index.ts';
import { principalOf, type RouteAuth } from '../auth.ts';
import type { Principal } from '../../auth/principal.ts';
import { seesCall } from '../../auth/scope.ts';
import type { HistoryStore, RecordingRecord } from '../../store/types.ts';

/** Whether `p` may hear this recording: its whole account, or the call's record in its scope (an operator: its own call). */
async function mayHear(p: Principal, history: HistoryStore, rec: RecordingRecord): Promise<boolean> {
  if (!p.scope) return true;
  // The recording is written as the call ends: its record started at most a day before.
  const calls = await history.calls(rec.accountId, { from: rec.createdAt - 2 * 86_400_000, to: rec.createdAt + 60_000 });
  const c = calls.find((x) => x.idCall === rec.idCall);
  if (!c) return false;
  if (p.role === 'operator') return c.operatorId === p.subject || c.legs.some((l) => l.operatorId === p.subject);
  return seesCall(p.scope, c);
}

/** The URL a history row gives for a call's recording. */
export function recordingUrl(accountId: number, idCall: number): string {
  return `/api/v1/accounts/${accountId}/recordings/${idCall}`;
}

/**
 * One byte range of a `size`-byte file from a Range header: `{start, end}` (inclusive),
 * `'whole'` for no header or one this server does not honour (several ranges, other
 * units: the whole file is a valid answer to those), `'unsatisfiable'` past the end.
 */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'whole' | 'unsatisfiable' {
  if (!header) return 'whole';
  const m = /^bytes=(\d{0,15})-(\d{0,15})$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return 'whole';
  if (m[1] === '') {
    // The last N bytes.
    const n = Number(m[2]);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

export const recordingRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.get(
    '/api/v1/accounts/:id/recordings/:id_call',
    {
      config: { auth: { roles: ['operator', 'supervisor', 'api', 'platform'], account: 'id' } satisfies RouteAuth },
      schema: {
        summary: "A call's recording (audio/wav; Range requests answered with 206)",
        tags: ['recordings'],
        params: Type.Object({ id: Id('Account id'), id_call: CallId() }),
        response: { 200: Type.Unknown({ description: 'The WAV file' }), 206: Type.Unknown({ description: 'The bytes asked for' }), '4xx': errorSchema },
      },
    },
    async (request, reply) => {
      const { id, id_call } = request.params;
      const rec = await services.store.recordings.get(id, id_call);
      const st = rec && (await stat(rec.file).catch(() => undefined));
      if (rec && !(await mayHear(principalOf(request), services.store.history, rec))) throw vmError('FORBIDDEN', `Call ${id_call} is not one this token sees.`);
      if (!rec || !st?.isFile()) throw vmError('RECORDING_UNKNOWN', `No recording of call ${id_call} is kept for account ${id}.`);
      const size = st.size;
      const range = parseRange(request.headers.range, size);
      if (range === 'unsatisfiable') {
        reply.header('content-range', `bytes */${size}`);
        throw vmError('RANGE_NOT_SATISFIABLE', `This recording has ${size} bytes; the Range header asks for ${JSON.stringify(String(request.headers.range).slice(0, 64))}.`);
      }
      reply.header('accept-ranges', 'bytes').header('content-type', 'audio/wav').header('content-disposition', `inline; filename="call-${id_call}.wav"`);
      if (range === 'whole') {
        reply.header('content-length', size);
        return reply.send(createReadStream(rec.file));
      }
      reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${size}`).header('content-length', range.end - range.start + 1);
      return reply.send(createReadStream(rec.file, { start: range.start, end: range.end }));
    },
  );
};
