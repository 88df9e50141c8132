// `PUT /api/v1/accounts/:id`: imports an account file over HTTP (the admin token, or an
// admin token of the account), the
// same all-or-nothing import as `vm import`, applied to the running engine and to open
// sockets (revoked tokens) before the answer. Passwords are hashed and checked on the
// libuv pool first, so an import does not stall the server's event loop.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { vmError } from '../../errors/registry.ts';
import { hashPassword, hashPasswordSync, verifyPassword, verifyPasswordSync } from '../../auth/passwords.ts';
import { validateAccountFile } from '../../directory/load.ts';
import type { AccountFile } from '../../directory/schema.ts';
import type { DirectoryStore } from '../../store/types.ts';
import type { Services } from '../services.ts';
import { errorSchema } from '../schemas.ts';
import type { RouteAuth } from '../auth.ts';
import { prepareSounds } from '../../sounds/prepare.ts';

/** The import's hash/verify, answered from work done beforehand off the event loop. */
async function prepareSecrets(directory: DirectoryStore, file: AccountFile) {
  const verdicts = new Map<string, boolean>();
  const hashes = new Map<string, string>();
  const users = [
    ...(file.supervisors ?? []).map((s) => ({ password: s.password, stored: () => directory.findSupervisor(s.login) })),
    ...(file.api_users ?? []).map((a) => ({ password: a.password, stored: () => directory.findApiUser(a.login) })),
    ...(file.operators ?? []).map((o) => ({ password: o.password, stored: async () => (o.login === undefined ? undefined : directory.findOperatorLogin(o.login)) })),
  ];
  for (const u of users) {
    if (u.password === undefined) continue;
    const old = await u.stored();
    const same = old ? await verifyPassword(u.password, old.passwordHash) : false;
    if (old) verdicts.set(`${u.password}\u0000${old.passwordHash}`, same);
    if (!same && !hashes.has(u.password)) hashes.set(u.password, await hashPassword(u.password));
  }
  return {
    hash: (pw: string) => hashes.get(pw) ?? hashPasswordSync(pw),
    verify: (pw: string, hash: string) => verdicts.get(`${pw}\u0000${hash}`) ?? verifyPasswordSync(pw, hash),
  };
}

export const adminImportRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.put(
    '/api/v1/accounts/:id',
    {
      bodyLimit: 4 * 1024 * 1024,
      config: { auth: { roles: ['platform', 'admin'], account: 'id' } satisfies RouteAuth },
      schema: {
        summary: 'Import an account file (JSON), as `vm import` does; applied to the running server before the answer',
        tags: ['admin'],
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
        body: Type.Unknown({ description: 'The account file (see README, Account files)' }),
        response: { 200: Type.Object({ account: Type.Integer(), changed: Type.Boolean() }), '4xx': errorSchema },
      },
    },
    async (request) => {
      let file = validateAccountFile(request.body);
      if (file.account.id !== request.params.id) {
        throw vmError('INVALID_ACCOUNT_FILE', `account.id: the file is account ${file.account.id}, not ${request.params.id} as the URL says.`);
      }
      // Over HTTP a sound keeps stored audio (no `file`: there is no file system to read).
      file = await prepareSounds(services.store.sounds, file);
      const { directory } = services.store;
      const result = await directory.importAccount(file, await prepareSecrets(directory, file));
      if (result.changed) await services.changes?.check();
      return { account: result.accountId, changed: result.changed };
    },
  );
};
