// The SMTP relay is down: alerts wait in the (bounded, see test/alerts/mailer.test.ts) outbox
// and are delivered once it is back; checks and IPVS updates go on meanwhile.
import t from 'tap';
import { weightOf } from '../helpers/lvsd.js';
import { freePort, startSmtp } from '../alerts/smtp.js';
import { LogWatch, VIP, httpConfig, reals, startDaemon, waitFor } from './helpers.js';

t.test('alerts queue while SMTP is down and are sent later; checks are unaffected', async (t) => {
  const port = await freePort();
  const rs = await reals(t, ['127.0.0.51', '127.0.0.52']);
  const d = startDaemon(t, httpConfig(rs, ['quiescent=no', 'emailalert="ops@example.com"', `smtp=127.0.0.1:${port}`, 'emailalertfrom="lvsd@example.com"']), {
    args: ['-d'],
  });
  const log = new LogWatch(d.lvsd);
  await waitFor('both reals in the table', async () => (await weightOf(d.state, VIP, rs[1]!.addr)) === 3);
  // The start-up alert has left its coalescing window, so the next change is a mail of its own.
  await log.waitCount('the start-up alert queued', new RegExp(`emailalert: .*${rs[1]!.addr.replace(/\./g, '\\.')}`), 1);

  await rs[1]!.stop();
  await waitFor('the dead real removed', async () => (await weightOf(d.state, VIP, rs[1]!.addr)) === undefined);
  // The alert has left the coalescing window for the outbox, where delivery fails.
  await log.waitCount('the alert queued', new RegExp(`emailalert: Deleted real server: ${rs[1]!.addr}`), 1);
  await log.waitCount('a failed delivery', /failed to send e-mail alert \(attempt \d+, retry in \d+s\)/, 1);

  // While the relay is down, the daemon goes on: the real comes back and is re-added.
  await rs[1]!.start();
  await waitFor('the real re-added while mail is failing', async () => (await weightOf(d.state, VIP, rs[1]!.addr)) === 3);
  t.equal(log.count(/E-mail alert delivered/), 0, 'nothing delivered yet');

  const smtp = await startSmtp({ port });
  t.teardown(() => smtp.close());
  // Start-up mails (reals added) come first; then the one from while the relay was down.
  const deleted = `Deleted real server: ${rs[1]!.addr} (${VIP})`;
  const added = `Added real server: ${rs[1]!.addr} (${VIP})`;
  const after = (what: string) => {
    const subjects = smtp.mails.map((m) => m.subject);
    const i = subjects.findIndex((s) => s.includes(deleted));
    return i >= 0 && subjects.slice(i).some((s) => s.includes(what));
  };
  await waitFor('the queued alerts delivered', () => after(added), 60_000).catch((e: Error) => {
    t.comment(smtp.mails.map((m) => m.subject));
    throw e;
  });
  t.ok(after(deleted), 'the alert from while SMTP was down arrived');
  t.ok(after(added), 'and the later one, after it');
  t.same(smtp.mails[0]!.rcptTo, ['ops@example.com']);
  t.match(d.lvsd.out, /E-mail alert delivered after \d+ attempts/, 'the delay is logged');
  t.equal(d.lvsd.child.exitCode, null, 'the daemon kept running');
});
