// service=radius against a real FreeRADIUS on loopback, and the packet code on its own.
import crypto from 'node:crypto';
import t from 'tap';
import {
  ACCESS_ACCEPT,
  buildAccessRequest,
  hidePassword,
  radiusChecker,
  verifyReply,
} from '../../../src/checks/protocols/radius.js';
import type { CheckTarget } from '../../../src/checks/types.js';
import { freeradiusMissing, startFreeRadius } from '../../helpers/daemons/freeradius.js';
import { freeUdpPort, never, settles, silentUdpServer, target } from '../helpers.js';
import { BOUND } from './common.js';

const run = (over: Partial<CheckTarget>) =>
  settles(radiusChecker.check(target({ service: 'radius', protocol: 'udp', negotiatetimeout: 10, ...over }), never), BOUND);

t.test('against FreeRADIUS', { skip: freeradiusMissing() ?? false }, async (t) => {
  const rad = await startFreeRadius();
  t.teardown(rad.stop);
  const good = { port: rad.port, secret: rad.secret, login: rad.user, passwd: rad.password };

  t.test('valid credentials: Access-Accept, authenticators verified, up', async (t) => {
    t.same(await run(good), { ok: true, message: 'Success' });
  });

  t.test('a wrong password: Access-Reject, down', async (t) => {
    t.same(await run({ ...good, passwd: 'wrong' }), { ok: false, message: 'Access-Reject' });
  });

  t.test('an unknown user: Access-Reject, down', async (t) => {
    t.same(await run({ ...good, login: 'mallory' }), { ok: false, message: 'Access-Reject' });
  });

  t.test('a wrong secret: the server drops the request, so the check times out', async (t) => {
    t.same(await run({ ...good, secret: 'not-the-secret', negotiatetimeout: 2 }), { ok: false, message: 'timeout after 2s' });
  });
});

t.test('no secret configured is down without sending anything', async (t) => {
  t.same(await run({ port: 1812 }), { ok: false, message: 'radius check needs a secret' });
});

t.test('a closed port is down (ICMP port unreachable)', async (t) => {
  const port = await freeUdpPort();
  t.same(await run({ port, secret: 's', negotiatetimeout: 5 }), { ok: false, message: 'Connection refused' });
});

t.test('a server that never answers times out on negotiatetimeout', async (t) => {
  const silent = await silentUdpServer();
  t.teardown(silent.close);
  t.same(await run({ port: silent.port, secret: 's', negotiatetimeout: 1 }), { ok: false, message: 'timeout after 1s' });
});

t.test('packet code', async (t) => {
  const secret = Buffer.from('xyzzy5461');
  t.test('RFC 2865 §5.2 hiding round-trips and pads to 16 bytes', async (t) => {
    const ra = crypto.randomBytes(16);
    const hidden = hidePassword(Buffer.from('arctangent'), secret, ra);
    t.equal(hidden.length, 16);
    const b1 = crypto.createHash('md5').update(Buffer.concat([secret, ra])).digest();
    const plain = Buffer.from(hidden.map((x, i) => x ^ (b1[i] ?? 0)));
    t.equal(plain.subarray(0, 10).toString(), 'arctangent');
    t.equal(hidePassword(Buffer.alloc(17, 1), secret, ra).length, 32);
    t.throws(() => hidePassword(Buffer.alloc(129), secret, ra), /longer than 128/);
  });

  const req = buildAccessRequest('u', 'p', secret, '127.0.0.1', 7);
  const reply = (code: number, attrs = Buffer.alloc(0), key = secret): Buffer => {
    const head = Buffer.from([code, 7, 0, 0]);
    head.writeUInt16BE(20 + attrs.length, 2);
    const auth = crypto.createHash('md5').update(Buffer.concat([head, req.authenticator, attrs, key])).digest();
    return Buffer.concat([head, auth, attrs]);
  };

  t.test('a genuine reply verifies', async (t) => {
    t.same(verifyReply(reply(ACCESS_ACCEPT), req, secret), { code: ACCESS_ACCEPT });
  });
  t.test('a reply signed with another secret does not', async (t) => {
    t.match(verifyReply(reply(ACCESS_ACCEPT, Buffer.alloc(0), Buffer.from('other')), req, secret), { error: /Response Authenticator/ });
  });
  t.test('another request id is ignored', async (t) => {
    const r = reply(ACCESS_ACCEPT);
    r[1] = 8;
    t.same(verifyReply(r, req, secret), { ignore: true });
  });
  t.test('hostile lengths are refused, never read past the datagram', async (t) => {
    t.match(verifyReply(Buffer.alloc(5), req, secret), { error: /short/ });
    const long = reply(ACCESS_ACCEPT);
    long.writeUInt16BE(5000, 2);
    t.match(verifyReply(long, req, secret), { error: /length/ });
    t.match(verifyReply(reply(ACCESS_ACCEPT, Buffer.from([1, 0])), req, secret), { error: /malformed RADIUS attribute/ });
    t.match(verifyReply(reply(ACCESS_ACCEPT, Buffer.from([1, 9, 0])), req, secret), { error: /malformed RADIUS attribute/ });
    t.match(verifyReply(reply(ACCESS_ACCEPT, Buffer.from([80, 3, 0])), req, secret), { error: /malformed Message-Authenticator/ });
  });
  t.test('a wrong Message-Authenticator is refused', async (t) => {
    t.match(verifyReply(reply(ACCESS_ACCEPT, Buffer.concat([Buffer.from([80, 18]), Buffer.alloc(16)])), req, secret), {
      error: /bad Message-Authenticator/,
    });
  });
});
