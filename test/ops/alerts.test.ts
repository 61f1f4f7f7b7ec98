// E-mail alerts from the real daemon to a real SMTP server (smtp-server) on loopback:
// recipients, subject and body, coalescing, emailalertstatus, emailalertfreq repeats, smtp=,
// and the mail for a reload whose config does not parse.
import t, { type Test } from 'tap';
import { writeFileSync } from 'node:fs';
import { weightOf, weightsOf } from '../helpers/lvsd.js';
import { freePort, startSmtp, type Received } from '../alerts/smtp.js';
import { cf, daemon, servers, sleep, waitFor } from './helpers.js';

const VIP = '127.0.1.120:80';
const VIP2 = '127.0.1.121:80';

async function smtp(t: Test) {
  const s = await startSmtp();
  t.teardown(() => s.close());
  return s;
}

/** A header with RFC 2047 encoded words decoded (nodemailer encodes a subject that is not ASCII). */
function decoded(h: string): string {
  return h.replace(/=\?utf-8\?([QB])\?([^?]*)\?=\s*/gi, (_all, enc: string, text: string) =>
    enc.toUpperCase() === 'B'
      ? Buffer.from(text, 'base64').toString('utf8')
      : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_h, x: string) => String.fromCharCode(parseInt(x, 16))), 'latin1').toString('utf8'),
  );
}

/** `[svc] 3 real servers down: id, id, id` as its head and its ids, sorted (event order varies). */
function summary(subject: string): { head: string; ids: string[] } {
  const i = subject.indexOf(': ');
  return { head: subject.slice(0, i), ids: subject.slice(i + 2).split(', ').sort() };
}

/** The reals named by `Log-Message: [web] <what>: <real> (<vip>)` lines. */
const logged = (m: Received, what: string) =>
  m.body.split('\n').filter((l) => l.startsWith(`Log-Message: [web] ${what}: `)).map((l) => l.slice(`Log-Message: [web] ${what}: `.length));

const status = (m: Received) => /^Daemon-Status: (\w+)$/m.exec(m.body)?.[1];

t.test('coalesced down mail, repeats, recipients, status filter', async (t) => {
  const s = await smtp(t);
  const [a, b, c, d] = await servers(t, ['127.0.1.21', '127.0.1.22', '127.0.1.23', '127.0.1.24']);
  const global = [
    'emailalert="ops@example.test, dev@example.test"',
    'emailalertfrom=LVS <lvs@example.test>',
    'emailalertstatus=running,reloading',
    'emailalertfreq=4',
    `smtp=127.0.0.1:${s.port}`,
    'quiescent=no',
  ];
  const { lvsd, state } = daemon(t, cf(global, [{ vip: VIP, reals: [[a!], [b!], [c!], [d!]], lines: ['servicename=web', 'comment=public site'] }]));
  await waitFor('all four in', async () => (await weightsOf(state, VIP, [a!, b!, c!, d!].map((r) => r.addr))).every((w) => w === 1));

  // Three reals fail together (checks paused while they go, so the failures land in one round).
  lvsd.child.kill('SIGSTOP');
  await Promise.all([b!.stop(), c!.stop(), d!.stop()]);
  await sleep(1500); // every check is due when the daemon runs again
  lvsd.child.kill('SIGCONT');
  const ids = [b!, c!, d!].map((r) => `${r.addr} (${VIP})`);
  const downMails = () => s.mails.filter((m) => logged(m, 'Deleted real server').length > 0);
  await waitFor('down mails naming all three', () => ids.every((id) => downMails().some((m) => logged(m, 'Deleted real server').includes(id))));
  const down = downMails();
  // One mail, unless the machine is so loaded that two IPVS batches came 1.5 s apart.
  t.ok(down.length < 3, `coalesced: ${down.length} mail(s) for 3 failures`);
  t.same(down.flatMap((m) => logged(m, 'Deleted real server')).filter((id) => ids.includes(id)).sort(), [...ids].sort(), "ldirectord's Log-Message for each, once");
  const m = down.find((x) => logged(x, 'Deleted real server').length > 1)!;
  // (a repeat can join it on a loaded machine, where the batches come seconds apart)
  t.match(summary(m.subject).head, new RegExp(`^\\[web\\] ${logged(m, 'Deleted real server').length} real servers down(, |$)`), 'subject: a count…');
  for (const id of logged(m, 'Deleted real server')) t.ok(summary(m.subject).ids.includes(id), `…and the reals: ${id}`);
  t.same(m.rcptTo.sort(), ['dev@example.test', 'ops@example.test'], 'a comma list is one RCPT per address');
  t.equal(m.mailFrom, 'lvs@example.test', 'envelope sender from emailalertfrom');
  t.match(m.headers.get('from')?.[0], 'LVS <lvs@example.test>');
  t.match(m.body, /^lvsd host: \S+\n/);
  t.equal(status(m), 'running');
  t.match(m.body, '\nService name: web\nComment: public site\n');
  // the last of them was sent after all three went down: its state block shows that
  const last = down[down.length - 1]!;
  t.match(last.body, `Virtual service tcp:${VIP} now:\n`, 'the current state of the virtual service follows');
  t.match(last.body, `  real ${a!.addr}: up, in IPVS with weight 1\n`);
  for (const r of [b!, c!, d!]) t.match(last.body, new RegExp(`  real ${r.addr.replace(/\./g, '\\.')}: down, not in IPVS \\(.+\\)\n`));

  // emailalertfreq=4: "Inaccessible real server" repeats while they stay down.
  const repeated = (from: number) => s.mails.slice(from).flatMap((x) => logged(x, 'Inaccessible real server'));
  const after = s.mails.length;
  await waitFor('a repeat for each', () => ids.every((id) => repeated(after).includes(id)));
  t.ok(s.mails.slice(after).some((x) => /^\[web\] \d real servers inaccessible: /.test(x.subject)), 'repeats are coalesced too');
  t.ok(s.mails.slice(after).every((x) => x.rcptTo.length === 2));

  // One comes back: its own mail, and it drops out of the repeats.
  await b!.start();
  await waitFor('b back', async () => (await weightOf(state, VIP, b!.addr)) === 1);
  await waitFor('the up mail', () => s.mails.some((x) => x.body.includes(`Log-Message: [web] Added real server: ${b!.addr} (${VIP})`)));
  const upAt = s.mails.findIndex((x) => x.body.includes(`Added real server: ${b!.addr} (${VIP})`));
  await waitFor('repeats after it', () => ids.slice(1).every((id) => repeated(upAt + 1).includes(id)));
  t.notOk(repeated(upAt + 1).includes(ids[0]!), 'no repeat for the real that is back');

  t.equal(await lvsd.stop(), 0);
  // The mailer drains before the daemon exits, so every mail is here now.
  t.same([...new Set(s.mails.map(status))].sort(), ['running'], 'emailalertstatus=running,reloading: no mail while starting');
});

t.test('default emailalertstatus, per-virtual recipients, and a reload that fails', async (t) => {
  const s = await smtp(t);
  const [a, b] = await servers(t, ['127.0.1.25', '127.0.1.26']);
  const global = ['emailalert=ops@example.test', `smtp=127.0.0.1:${s.port}`, 'autoreload=yes'];
  const virtuals = [{ vip: VIP, reals: [[a!]] as [typeof a][] }, { vip: VIP2, reals: [[b!]] as [typeof b][], lines: ['emailalert=web-team@example.test'] }];
  const { lvsd, cfgPath, state } = daemon(t, cf(global, virtuals));
  const to = (who: string) => s.mails.filter((m) => m.rcptTo.includes(who));
  await waitFor('start mails to both recipient sets', () => to('ops@example.test').length > 0 && to('web-team@example.test').length > 0);
  t.equal(status(to('ops@example.test')[0]!), 'starting', 'the default status list includes starting');
  t.match(to('ops@example.test')[0]!.subject, `Added real server: ${a!.addr} (${VIP})`);
  t.match(to('web-team@example.test')[0]!.subject, `Added real server: ${b!.addr} (${VIP2})`, 'a virtual with its own emailalert mails only there');
  t.notOk(to('ops@example.test').some((m) => m.body.includes(b!.addr)));

  const seen = s.mails.length;
  writeFileSync(cfgPath, cf(global, virtuals).replace('service=http', 'service=htp'));
  const failed = () => s.mails.slice(seen).filter((m) => decoded(m.subject).startsWith('Reload failed'));
  await waitFor('reload failure mails', () => failed().length >= 2);
  await sleep(500);
  t.equal(failed().length, 2, 'one per recipient set');
  t.same(failed().flatMap((m) => m.rcptTo).sort(), ['ops@example.test', 'web-team@example.test']);
  const f = failed()[0]!;
  t.match(decoded(f.subject), new RegExp(`^Reload failed, keeping the running configuration: ${cfgPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: `), 'FILE:LINE: message');
  t.match(f.body, /^Log-Message: Reload failed, keeping the running configuration: /m);
  t.equal(status(f), 'reloading');
  t.equal(await weightOf(state, VIP, a!.addr), 1, 'the running config stays in force');
});

t.test('a mail server that is down: the alert waits and is delivered once it is up', async (t) => {
  const port = await freePort();
  const [a, b] = await servers(t, ['127.0.1.27', '127.0.1.28']);
  const global = ['emailalert=ops@example.test', `smtp=127.0.0.1:${port}`, 'emailalertstatus=running', 'quiescent=no'];
  const { lvsd, state } = daemon(t, cf(global, [{ vip: VIP, reals: [[a!], [b!]] }]));
  await waitFor('both in', async () => (await weightsOf(state, VIP, [a!.addr, b!.addr])).every((w) => w === 1));
  await b!.stop();
  await waitFor('a failed attempt', () => lvsd.out.includes('failed to send e-mail alert (attempt 1, retry in'));
  t.equal(await weightOf(state, VIP, b!.addr), undefined, 'the table did not wait for the mail');
  const s = await startSmtp({ port });
  t.teardown(() => s.close());
  await waitFor('delivered on a retry', () => s.mails.length > 0);
  t.match(s.mails[0]!.subject, `Deleted real server: ${b!.addr} (${VIP})`);
  await waitFor('logged', () => /E-mail alert delivered after \d+ attempts: Deleted real server/.test(lvsd.out));
});
