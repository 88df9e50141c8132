// The SDK's wire types are generated from src/protocol (packages/client/scripts/gen-protocol.ts):
// these checks prove they are the server's types (tsc runs them: npm run typecheck), that the
// generated file is fresh, and that the built package depends on nothing but socket.io-client.
import { describe, expect, expectTypeOf, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as sdk from '../packages/client/src/index.ts';
import type * as Sdk from '../packages/client/src/index.ts';
import * as server from '../src/protocol/index.ts';
import type * as Server from '../src/protocol/index.ts';
import { CLIENT_PROTOCOL_FILE, generateClientProtocol } from '../packages/client/scripts/gen-protocol.ts';

const DIST = new URL('../packages/client/dist/', import.meta.url).pathname;

describe('SDK wire types', () => {
  it("are the protocol module's (checked by tsc)", () => {
    expectTypeOf<Sdk.NotificationType>().toEqualTypeOf<Server.NotificationType>();
    expectTypeOf<Sdk.OperatorStatus>().toEqualTypeOf<Server.OperatorStatus>();
    expectTypeOf<Sdk.Notification>().toEqualTypeOf<Server.Notification>();
    expectTypeOf<Sdk.MsgOf<'queue', 'insert_call'>>().toEqualTypeOf<Server.MsgOf<'queue', 'insert_call'>>();
    expectTypeOf<Sdk.MsgOf<'operator', 'status'>>().toEqualTypeOf<Server.MsgOf<'operator', 'status'>>();
    expectTypeOf<Sdk.Update>().toEqualTypeOf<Server.Update>();
    expectTypeOf<Sdk.InitOptions>().toEqualTypeOf<Server.InitOptions>();
    expectTypeOf<Sdk.InitAck>().toEqualTypeOf<Server.InitAck>();
    expectTypeOf<Sdk.ErrorBody>().toEqualTypeOf<Server.ErrorBody>();
    expectTypeOf<Sdk.ServerToClientEvents>().toEqualTypeOf<Server.ServerToClientEvents>();
    expectTypeOf<Sdk.ClientToServerEvents>().toEqualTypeOf<Server.ClientToServerEvents>();
    expectTypeOf<Sdk.RealtimeSnapshot>().toEqualTypeOf<Server.RealtimeSnapshot>();
    expectTypeOf<Sdk.WsInitResponse>().toEqualTypeOf<Server.WsInitResponse>();
    expectTypeOf<Sdk.WsRefreshResponse>().toEqualTypeOf<Server.WsRefreshResponse>();
    expectTypeOf<Sdk.VmTokenRequest>().toEqualTypeOf<Server.VmTokenRequest>();
    expectTypeOf<Sdk.VmTokenResponse>().toEqualTypeOf<Server.VmTokenResponse>();
    // Narrowing on the discriminants gives a typed msg.
    const n = {} as Sdk.Notification;
    if (n.type_notification === 'queue' && n.event === 'insert_call') expectTypeOf(n.msg.id_queue).toEqualTypeOf<number>();
  });

  it("carry the catalogue's constants", () => {
    expect(sdk.NOTIFICATION_TYPES).toEqual(server.NOTIFICATION_TYPES);
    expect(sdk.DEFAULT_TYPES).toEqual(server.DEFAULT_TYPES);
    expect(sdk.OPT_IN_TYPES).toEqual(server.OPT_IN_TYPES);
    expect(sdk.OPERATOR_STATUSES).toEqual(server.OPERATOR_STATUSES);
    expect(sdk.EVENTS).toEqual(Object.fromEntries(server.NOTIFICATION_TYPES.map((t) => [t, server.eventsOf(t)])));
  });

  it('are generated from the current src/protocol', () => {
    expect(readFileSync(CLIENT_PROTOCOL_FILE, 'utf8'), 'stale: run npm run build -w @voice-management/client').toBe(generateClientProtocol());
  });

  it.skipIf(!existsSync(DIST))('build to ESM and types that import nothing but socket.io-client', () => {
    const files = readdirSync(DIST).filter((f) => f.endsWith('.js') || f.endsWith('.d.ts'));
    expect(files).toEqual(expect.arrayContaining(['index.js', 'index.d.ts', 'protocol.d.ts', 'client.d.ts']));
    for (const f of files) {
      const code = readFileSync(DIST + f, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
      const specifiers = [...code.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!);
      for (const spec of specifiers) expect(spec.startsWith('./') || spec === 'socket.io-client', `${f} imports ${spec}`).toBe(true);
    }
    const pkg = JSON.parse(readFileSync(new URL('../packages/client/package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> };
    expect(Object.keys(pkg.dependencies)).toEqual(['socket.io-client']);
  });
});
