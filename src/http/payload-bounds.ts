// Every JSON request body is held to the protocol's payload bounds before validation and
// before any route runs, so nothing oversized can be queued as (part of) an event.
import type { FastifyInstance } from 'fastify';
import { checkPayload } from '../protocol/index.ts';
import { vmError } from '../errors/registry.ts';

export function installPayloadBounds(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const body: unknown = request.body;
    if (typeof body !== 'object' || body === null) return;
    const bounded = checkPayload(body);
    if (!bounded.ok) throw vmError('PAYLOAD_OUT_OF_BOUNDS', bounded.message);
  });
}
