// Maps every error Fastify or our code raises onto the registry's `{error, message}` body.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ERRORS, VmError, isVmError } from '../errors/registry.ts';
import { dotted, explainIssues, type SchemaIssue } from '../protocol/index.ts';

/** The registry code each refused request was answered with (the audit records it). */
const refusals = new WeakMap<FastifyRequest, string>();

/** The code `request` was refused with through `sendError`; undefined when it was not. */
export function refusalOf(request: FastifyRequest): string | undefined {
  return refusals.get(request);
}

export function sendError(reply: FastifyReply, e: VmError): FastifyReply {
  refusals.set(reply.request, e.code);
  if (e.retryAfter !== undefined) void reply.header('Retry-After', String(e.retryAfter));
  return reply.code(e.status).type('application/json').send(e.toBody());
}

/** How each part of a request is named in a sentence, and where its schema and value are. */
const PARTS = {
  body: { name: dotted('body'), value: (r: FastifyRequest) => r.body },
  params: { name: (s: string[]) => (s.length ? `${s.join('.')} in the URL` : 'the URL'), value: (r: FastifyRequest) => r.params },
  querystring: { name: (s: string[]) => (s.length ? `query parameter ${s.join('.')}` : 'the query string'), value: (r: FastifyRequest) => r.query },
  headers: { name: (s: string[]) => (s.length ? `header ${s.join('.')}` : 'the headers'), value: (r: FastifyRequest) => r.headers },
} as const;

/** A schema refusal as one sentence (src/protocol/explain.ts), for every route at once. */
function fromValidation(err: FastifyError, request: FastifyRequest): VmError {
  const context = (err.validationContext ?? 'body') as keyof typeof PARTS;
  const part = PARTS[context] ?? PARTS.body;
  const schema = (request.routeOptions.schema as Record<string, unknown> | undefined)?.[context];
  const sentence = explainIssues(err.validation as SchemaIssue[], { name: part.name, schema, value: part.value(request) });
  return new VmError('INVALID_FIELD', `${sentence}.`);
}

function fromFastify(err: FastifyError, request: FastifyRequest): VmError {
  if (err.validation) return fromValidation(err, request);
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new VmError('PAYLOAD_TOO_LARGE');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new VmError('BAD_REQUEST', 'The body is not valid JSON.');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new VmError('BAD_REQUEST', 'The body is empty: send a JSON object, or no Content-Type: application/json header.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new VmError('BAD_REQUEST', 'Unsupported Content-Type; send application/json.');
  }
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) return new VmError('BAD_REQUEST', err.message);
  return new VmError('INTERNAL');
}

/** The path of the first non-finite number in `v` (coercion is all that makes one), looking `depth` levels down. */
function nonFinite(v: unknown, depth: number): string[] | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? undefined : [];
  if (depth === 0 || typeof v !== 'object' || v === null) return undefined;
  // Runs on every request: the path is built only on the way back from a hit.
  for (const k of Object.keys(v)) {
    const p = nonFinite((v as Record<string, unknown>)[k], depth - 1);
    if (p) {
      p.unshift(k);
      return p;
    }
  }
  return undefined;
}

/**
 * Ajv coerces the string "1e400" (a URL's id, or a string where a body field may be a
 * number) to Infinity, and a non-finite number skips its bounds: after validation, such a
 * number is refused with the sentence its schema gives (ids are positive safe integers
 * everywhere). JSON itself cannot carry Infinity past Ajv: only coerced fields, at the
 * depths our schemas coerce, are looked at.
 */
function refuseNonFiniteNumbers(request: FastifyRequest): void {
  for (const context of ['params', 'querystring', 'body'] as const) {
    const path = nonFinite(PARTS[context].value(request), 3);
    if (!path) continue;
    const pointer = path.map((p) => `/${p}`).join('');
    const schemaPath = `#${path.map((p) => `/properties/${p}`).join('')}/maximum`;
    const err = Object.assign(new Error('not finite'), { validation: [{ keyword: 'maximum', instancePath: pointer, schemaPath, params: {} }], validationContext: context });
    throw fromValidation(err as unknown as FastifyError, request);
  }
}

export function installErrorHandling(app: FastifyInstance): void {
  app.addHook('preHandler', async (request) => refuseNonFiniteNumbers(request));
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const e = isVmError(err) ? err : fromFastify(err, request);
    if (e.code === 'INTERNAL') request.log.error({ err }, 'request failed');
    return sendError(reply, e);
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, new VmError('NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}.`)),
  );
}

/** Fastify option: malformed HTTP (oversized headers…) still gets a JSON body. */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: import('node:net').Socket): void {
  if (!socket.writable) return;
  const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
  const body = JSON.stringify(
    tooLarge
      ? { error: 'X_JSON_TOO_LARGE', message: 'The request headers are too large (X-JSON must stay under 8 KiB).' }
      : { error: 'BAD_REQUEST', message: ERRORS.BAD_REQUEST.message },
  );
  socket.end(
    `HTTP/1.1 ${tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
