// service=smtp / submission against a real OpenSMTPD on loopback.
import t from 'tap';
import { smtpChecker } from '../../../src/checks/protocols/smtp.js';
import { opensmtpdMissing, startOpenSmtpd } from '../../helpers/daemons/opensmtpd.js';
import { never, settles, target } from '../helpers.js';
import { BOUND, tcpFailures } from './common.js';

const check = (port: number, service: 'smtp' | 'submission' = 'smtp') =>
  settles(smtpChecker.check(target({ service, port, negotiatetimeout: 10 }), never), BOUND);

t.test('against OpenSMTPD', { skip: opensmtpdMissing() ?? false }, async (t) => {
  const smtpd = await startOpenSmtpd();
  t.teardown(smtpd.stop);

  t.test('smtp: greeting, EHLO, QUIT is up', async (t) => {
    t.same(await check(smtpd.smtpPort), { ok: true, message: 'Success' });
  });

  t.test('submission: same exchange on its own listener is up', async (t) => {
    t.same(await check(smtpd.submissionPort, 'submission'), { ok: true, message: 'Success' });
  });

  t.test('a 554 greeting is down, with the server reply in the message', async (t) => {
    t.same(await check(smtpd.rejectPort), { ok: false, message: 'unexpected greeting: 554 no service here' });
  });
});

t.test('smtp failures', async (t) => tcpFailures(t, smtpChecker, { service: 'smtp' }));
