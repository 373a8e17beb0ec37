// The composable form of the server: a secret source and handler functions, no subclass.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ACCESS_ACCEPT,
  ACCESS_REJECT,
  AccessRequest,
  AccountingRequest,
  createRadiusServer,
  RadiusClient,
  RadiusResponseError,
} from '../../src/index.js';
import { fulfilsLater } from '../helpers/thenables.js';

describe('createRadiusServer', () => {
  test('handler functions and a secret function: Accept, Reject, accounting; a refused NAS gets nothing', async () => {
    const errors: unknown[] = [];
    let allow = true;
    const server = createRadiusServer(
      '127.0.0.1',
      {
        secret: (remote) => {
          if (!allow) throw new RadiusResponseError(`not a client: ${remote.address}`);
          return 'fn-secret';
        },
        auth: (attributes) =>
          attributes.get('User-Password') === 'pw'
            ? [[['Reply-Message', `hi ${attributes.get('User-Name')}`]], ACCESS_ACCEPT]
            : [[], ACCESS_REJECT],
        acct: () => [[], null],
        onError: (e) => errors.push(e),
      },
      { authPort: 0, accPort: 0 },
    );
    const info = await server.start();
    const client = new RadiusClient({ timeout: 0.5, retries: 0 });
    const to = (port: number | undefined) => ({ remoteHost: '127.0.0.1', remotePort: port });
    try {
      const [ok] = await client.sendPacket(
        new AccessRequest('fn-secret').addAttributes(['User-Name', 'bob'], ['User-Password', 'pw']),
        to(info.authPort),
      );
      assert.equal(ok.code, ACCESS_ACCEPT);
      assert.equal(ok.get('Reply-Message'), 'hi bob');
      const [no] = await client.sendPacket(
        new AccessRequest('fn-secret').addAttributes(['User-Name', 'bob'], ['User-Password', 'x']),
        to(info.authPort),
      );
      assert.equal(no.code, ACCESS_REJECT);
      const [acct] = await client.sendPacket(
        new AccountingRequest('fn-secret').addAttributes(
          ['Acct-Status-Type', 'Start'],
          ['Acct-Session-Id', 'f1'],
        ),
        to(info.accPort),
      );
      assert.equal(acct.codeName, 'Accounting-Response');
      allow = false;
      await assert.rejects(
        client.sendPacket(new AccessRequest('fn-secret').add('User-Name', 'bob'), to(info.authPort)),
        /no response/,
      );
      assert.ok(errors.some((e) => e instanceof RadiusResponseError));
      assert.equal(server.counters.accepts, 1);
    } finally {
      client.close();
      await server.close();
    }
  });

  test('a secret function and handlers may return any PromiseLike, not only native promises', async () => {
    const server = createRadiusServer(
      '127.0.0.1',
      {
        secret: () => fulfilsLater('fn-secret'),
        auth: () => fulfilsLater([[['Reply-Message', 'later']], ACCESS_ACCEPT] as const),
        acct: () => fulfilsLater([[], null] as const),
      },
      { authPort: 0, accPort: 0 },
    );
    const info = await server.start();
    const client = new RadiusClient({ timeout: 1, retries: 0 });
    try {
      const [ok] = await client.sendPacket(
        new AccessRequest('fn-secret').addAttributes(['User-Name', 'bob'], ['User-Password', 'pw']),
        { remoteHost: '127.0.0.1', remotePort: info.authPort },
      );
      assert.equal(ok.code, ACCESS_ACCEPT);
      assert.equal(ok.get('Reply-Message'), 'later');
      const [acct] = await client.sendPacket(
        new AccountingRequest('fn-secret').addAttributes(
          ['Acct-Status-Type', 'Start'],
          ['Acct-Session-Id', 't1'],
        ),
        { remoteHost: '127.0.0.1', remotePort: info.accPort },
      );
      assert.equal(acct.codeName, 'Accounting-Response');
    } finally {
      client.close();
      await server.close();
    }
  });

  test('only the ports of the handlers given are opened; a string secret works', async () => {
    const server = createRadiusServer(
      '127.0.0.1',
      { secret: 's', acct: () => [[], null] },
      { authPort: 0, accPort: 0 },
    );
    const info = await server.start();
    try {
      assert.equal(info.authPort, undefined);
      assert.equal(typeof info.accPort, 'number');
    } finally {
      await server.close();
    }
  });
});
