// service=ftp against a real vsftpd on loopback: anonymous login, passive RETR into memory.
import t from 'tap';
import { ftpChecker, MAX_FTP_CONTENT, passivePort } from '../../../src/checks/protocols/ftp.js';
import type { CheckTarget } from '../../../src/checks/types.js';
import { startVsftpd, vsftpdMissing } from '../../helpers/daemons/vsftpd.js';
import { never, settles, target } from '../helpers.js';
import { BOUND, tcpFailures } from './common.js';

t.test('against vsftpd', { skip: vsftpdMissing() ?? false }, async (t) => {
  const ftp = await startVsftpd();
  t.teardown(ftp.stop);
  const check = (over: Partial<CheckTarget>) =>
    settles(ftpChecker.check(target({ service: 'ftp', port: ftp.port, negotiatetimeout: 10, ...over }), never), BOUND);

  t.test('anonymous RETR with a matching receive is up', async (t) => {
    t.same(await check({ request: ftp.file, receive: /all good/ }), { ok: true, message: 'Success' });
  });

  t.test('an empty receive means: the transfer succeeded', async (t) => {
    t.same(await check({ request: ftp.file }), { ok: true, message: 'Success' });
  });

  t.test('explicit anonymous login with a password is up', async (t) => {
    t.same(await check({ request: ftp.file, login: 'anonymous', passwd: 'ops@example.test' }), { ok: true, message: 'Success' });
  });

  t.test('content that does not match receive is down', async (t) => {
    t.same(await check({ request: ftp.file, receive: /all bad/ }), { ok: false, message: 'Response mismatch' });
  });

  t.test('a missing file is down with the 550', async (t) => {
    t.match(await check({ request: '/nope.txt' }), { ok: false, message: /^RETR failed: 550 / });
  });

  t.test('a login the server refuses is down with the 530', async (t) => {
    t.match(await check({ request: ftp.file, login: 'bob', passwd: 'wrong' }), { ok: false, message: /^login failed: 530 / });
  });

  t.test(`a file over ${MAX_FTP_CONTENT} bytes is not read into memory`, async (t) => {
    t.same(await check({ request: ftp.bigFile }), { ok: false, message: `file larger than ${MAX_FTP_CONTENT} bytes` });
  });
});

t.test('passive replies are parsed with bounds', async (t) => {
  t.equal(passivePort({ code: 227, lines: ['227 Entering Passive Mode (127,0,0,1,214,245).'] }), 214 * 256 + 245);
  t.equal(passivePort({ code: 229, lines: ['229 Entering Extended Passive Mode (|||40001|)'] }), 40001);
  t.equal(passivePort({ code: 227, lines: ['227 Entering Passive Mode (127,0,0,1,0,0).'] }), undefined, 'port 0');
  t.equal(passivePort({ code: 229, lines: ['229 (|||99999|)'] }), undefined, 'port out of range');
  t.equal(passivePort({ code: 227, lines: ['227 nonsense'] }), undefined);
});

t.test('ftp failures', async (t) => tcpFailures(t, ftpChecker, { service: 'ftp', request: '/x' }));
