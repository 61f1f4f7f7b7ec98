// E-mail alerts from the real daemon to a real SMTP server (smtp-server) on loopback:
// recipients, subject and body, coalescing, emailalertstatus, emailalertfreq repeats, smtp=,
// and the mail for a reload whose config does not parse.
import t, { type Test } from 'tap';
import { writeFileSync } from 'node:fs';
import { waitFor, weightOf, weightsOf } from '../helpers/lvsd.js';
import { freePort, startSmtp, type Received } from '../alerts/smtp.js';
import { cf, daemon, servers, sleep } from './helpers.js';

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

const status = (m: Received) => /^Daemon-Status: (\w+)$/m.exec(m.body)?.[1];

t.test('coalesced down mail, repeats, recipients, status filter', async (t) => {
  const s = await smtp(t);
  const [a, b, c, d] = await servers(t, ['127.0.1.21', '127.0.1.22', '127.0.1.23', '127.0.1.24']);
  const global = [
    'emailalert="ops@example.test, dev@example.test"',
    'emailalertfrom=LVS <lvs@example.test>',
    'emailalertstatus=running,reloading',
    'emailalertfreq=2',
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
  await waitFor('the down mail', () => s.mails.some((m) => m.body.includes('Deleted real server')));
  const down = s.mails.filter((m) => m.body.includes('Deleted real server'));
  t.equal(down.length, 1, 'one mail for the three failures');
  const m = down[0]!;
  t.same(m.rcptTo.sort(), ['dev@example.test', 'ops@example.test'], 'a comma list is one RCPT per address');
  t.equal(m.mailFrom, 'lvs@example.test', 'envelope sender from emailalertfrom');
  t.match(m.headers.get('from')?.[0], 'LVS <lvs@example.test>');
  const ids = [b!, c!, d!].map((r) => `${r.addr} (${VIP})`);
  t.equal(m.subject, `[web] 3 real servers down: ${ids.join(', ')}`);
  const lines = m.body.split('\n');
  t.equal(lines[0], `lvsd host: ${lines[0]!.slice('lvsd host: '.length)}`);
  t.same(lines.filter((l) => l.startsWith('Log-Message: ')).sort(), ids.map((id) => `Log-Message: [web] Deleted real server: ${id}`).sort(), "ldirectord's Log-Message for each");
  t.equal(status(m), 'running');
  t.match(m.body, '\nService name: web\nComment: public site\n');
  t.match(m.body, `Virtual service tcp:${VIP} now:\n`, 'the current state of the virtual service follows');
  t.match(m.body, `  real ${a!.addr}: up, in IPVS with weight 1\n`);
  for (const r of [b!, c!, d!]) t.match(m.body, new RegExp(`  real ${r.addr.replace(/\./g, '\\.')}: down, not in IPVS \\(.+\\)\n`));

  // emailalertfreq=2: "Inaccessible real server" repeats while they stay down, coalesced too.
  const after = s.mails.length;
  await waitFor('a repeat', () => s.mails.length > after);
  const rep = s.mails[after]!;
  t.equal(rep.subject, `[web] 3 real servers inaccessible: ${ids.join(', ')}`);
  t.same(rep.rcptTo.sort(), ['dev@example.test', 'ops@example.test']);

  // One comes back: its own mail, and it drops out of the repeats.
  await b!.start();
  await waitFor('b back', async () => (await weightOf(state, VIP, b!.addr)) === 1);
  await waitFor('the up mail', () => s.mails.some((x) => x.body.includes(`Added real server: ${b!.addr} (${VIP})`)));
  const upAt = s.mails.findIndex((x) => x.body.includes(`Added real server: ${b!.addr} (${VIP})`));
  await waitFor('a repeat after it', () => s.mails.slice(upAt).some((x) => x.subject.includes('inaccessible') && !x.subject.includes(b!.addr)));
  const later = s.mails.slice(upAt).find((x) => x.subject.includes('inaccessible') && !x.subject.includes(b!.addr))!;
  t.equal(later.subject, `[web] 2 real servers inaccessible: ${ids.slice(1).join(', ')}`);

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
  await waitFor('delivered on a retry', () => s.mails.length > 0, 30000);
  t.match(s.mails[0]!.subject, `Deleted real server: ${b!.addr} (${VIP})`);
  await waitFor('logged', () => /E-mail alert delivered after \d+ attempts: Deleted real server/.test(lvsd.out));
});
