// Maps every error Fastify or our code raises onto the registry's `{error, message}` body.
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { ERRORS, VmError, isVmError } from '../errors/registry.ts';

export function sendError(reply: FastifyReply, e: VmError): FastifyReply {
  if (e.retryAfter !== undefined) void reply.header('Retry-After', String(e.retryAfter));
  return reply.code(e.status).type('application/json').send(e.toBody());
}

function fromFastify(err: FastifyError): VmError {
  if (err.validation) {
    const v = err.validation[0];
    const where = `${err.validationContext ?? 'request'}${v?.instancePath ? v.instancePath.replace(/\//g, '.') : ''}`;
    return new VmError('INVALID_FIELD', `${where} ${v?.message ?? 'is invalid'}.`);
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new VmError('PAYLOAD_TOO_LARGE');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new VmError('BAD_REQUEST', 'The body is not valid JSON.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new VmError('BAD_REQUEST', 'Unsupported Content-Type; send application/json.');
  }
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) return new VmError('BAD_REQUEST', err.message);
  return new VmError('INTERNAL');
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const e = isVmError(err) ? err : fromFastify(err);
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
