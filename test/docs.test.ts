// The API documents: docs/asyncapi.yaml is valid AsyncAPI 3, lists every catalogue event,
// and is what the generator makes of src/protocol today; the OpenAPI document served at
// /docs/json is valid and covers the routes.
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { Parser } from '@asyncapi/parser';
import { validate as validateOpenApi } from '@readme/openapi-parser';
import type { Static } from 'typebox';
import { CATALOGUE, NOTIFICATION_TYPES } from '../src/protocol/index.ts';
import type { ErrorBody, InitAck, InitOptions, Update } from '../src/protocol/index.ts';
import { ASYNCAPI_FILE, asyncApiYaml, ErrorBodySchema, InitAckSchema, InitOptionsSchema, UpdateSchema } from '../scripts/gen-asyncapi.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

/** A and B are assignable both ways (same fields, same optionality, same value types). */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/** A schema as the parser returns it, without the ids it adds (`x-parser-schema-id`). */
const withoutParserIds = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(withoutParserIds)
    : v && typeof v === 'object'
      ? Object.fromEntries(Object.entries(v).filter(([k]) => !k.startsWith('x-parser-')).map(([k, x]) => [k, withoutParserIds(x)]))
      : v;

const entries = NOTIFICATION_TYPES.flatMap((t) => Object.keys(CATALOGUE[t]).map((e) => ({ type: t as string, event: e })));

describe('AsyncAPI document', () => {
  const text = readFileSync(ASYNCAPI_FILE, 'utf8');

  it('is what `npm run docs:asyncapi` generates from src/protocol', () => {
    expect(text, 'docs/asyncapi.yaml is stale: run npm run docs:asyncapi').toBe(asyncApiYaml());
  });

  it('is valid AsyncAPI 3 and lists init, update (every catalogue event) and init_error', async () => {
    const { document, diagnostics } = await new Parser().parse(text);
    expect(diagnostics.filter((d) => d.severity === 0)).toEqual([]);
    expect(document).toBeDefined();
    expect(document!.version()).toMatch(/^3\./);
    const messages = document!.allMessages().all();
    const names = new Set(messages.map((m) => m.name()));
    expect(names).toEqual(new Set(['init', 'init acknowledgement', 'init_error', 'update', 'stats']));
    const updates = messages.filter((m) => m.name() === 'update');
    const listed = updates.map((m) => m.json() as { 'x-type-notification': string; 'x-event': string });
    expect(listed.map((m) => ({ type: m['x-type-notification'], event: m['x-event'] }))).toEqual(entries);
    // Each update message carries the catalogue's own msg schema.
    for (const m of updates) {
      const { 'x-type-notification': type, 'x-event': event } = m.json() as Record<string, string>;
      const msg = m.payload()?.properties()?.['event']?.properties()?.['msg']?.json();
      expect(withoutParserIds(msg)).toEqual(JSON.parse(JSON.stringify((CATALOGUE as Record<string, Record<string, unknown>>)[type!]![event!])));
    }
    const ops = document!.operations().all().map((o) => [o.id(), o.action()]);
    expect(ops).toEqual([
      ['init', 'receive'],
      ['update', 'send'],
      ['init_error', 'send'],
      ['stats', 'send'],
    ]);
    expect(document!.operations().get('init')!.reply()!.messages().all()[0]!.name()).toBe('init acknowledgement');
  });

  it("describes the envelope with schemas whose types are the protocol module's", () => {
    // Checked by tsc (npm run typecheck): each schema's static type and the interface in
    // envelope.ts are assignable both ways. `event` is the catalogue's, checked above.
    expectTypeOf<Same<Omit<Static<typeof UpdateSchema>, 'event'>, Omit<Update, 'event'>>>().toEqualTypeOf<true>();
    expectTypeOf<Same<Static<typeof InitOptionsSchema>, InitOptions>>().toEqualTypeOf<true>();
    expectTypeOf<Same<Static<typeof InitAckSchema>, InitAck>>().toEqualTypeOf<true>();
    expectTypeOf<Same<Static<typeof ErrorBodySchema>, ErrorBody>>().toEqualTypeOf<true>();
  });
});

describe('OpenAPI document', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('is served at /docs/json, validates, and covers the routes with summaries and tags', async () => {
    const res = await fetch(`${server.url}/docs/json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, { summary?: string; tags?: string[]; parameters?: { name: string; required?: boolean }[] }>> };
    expect(doc.openapi).toBe('3.1.0');
    const result = await validateOpenApi(structuredClone(doc) as never);
    expect(result).toMatchObject({ valid: true });
    for (const [path, method] of [
      ['/ws/', 'post'],
      ['/vm/token', 'post'],
      ['/api/v1/accounts/{id}/events', 'post'],
    ] as const) {
      const op = doc.paths[path]?.[method];
      expect(op?.summary, `${method} ${path}`).toBeTruthy();
      expect(op?.tags?.length, `${method} ${path}`).toBeGreaterThan(0);
    }
    expect(doc.paths['/ws/']!.post!.parameters).toContainEqual(expect.objectContaining({ name: 'x-json', required: true }));
    // Pages and probes stay out of the API document.
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/labo') || p === '/healthz')).toEqual([]);
  });

  it('serves Swagger UI at /docs', async () => {
    const res = await fetch(`${server.url}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(await res.text()).toContain('swagger');
  });
});
