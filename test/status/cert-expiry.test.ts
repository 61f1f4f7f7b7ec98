// TLS certificate expiry end to end: the real daemon checks real https servers on loopback whose
// certificates (made by openssl) expire in 3 and in 400 days. Status (JSON and text) and /metrics
// show the days left; with certwarndays=14 one mail reaches a real SMTP server for the near
// certificate only, once, however many checks and reals show it; a renewed certificate that is
// near expiry in turn is mailed again. `lvsd -t` refuses bad certwarndays values with file and line.
import t from 'tap';
import { daemon, runCli, TempDir, waitFor } from '../helpers/lvsd.js';
import { startSmtp, type Received } from '../alerts/smtp.js';
import { fetchStatus, queryControl } from '../../src/status/client.js';
import type { RealStatus } from '../../src/status/types.js';
import { metric, parseMetrics } from './helpers.js';
import { httpsReal, makeCert, noOpenssl } from './tls-reals.js';

const VIP = '127.0.143.100:443';
const HOSTS = { nearA: '127.0.143.31', nearB: '127.0.143.32', far: '127.0.143.33' };

const certMails = (mails: Received[]) => mails.filter((m) => m.subject.includes('TLS certificate'));

t.test('days left in status and metrics; one warning mail per certificate', { skip: noOpenssl }, async (t) => {
  const smtp = await startSmtp();
  t.teardown(() => smtp.close());
  const certs = new TempDir();
  t.teardown(() => certs.remove());
  const near = makeCert(certs, 'near', 'near.example.test', 3);
  const far = makeCert(certs, 'far', 'far.example.test', 400);
  // two reals show the same near certificate (one certificate, one mail)
  const a = await httpsReal(t, HOSTS.nearA, near);
  const b = await httpsReal(t, HOSTS.nearB, near);
  const c = await httpsReal(t, HOSTS.far, far);
  const cf = [
    'checkinterval=1',
    'checktimeout=10',
    'negotiatetimeout=10',
    'emailalert=ops@example.test',
    `smtp=127.0.0.1:${smtp.port}`,
    // the first checks run while starting: their warning must still come, once running
    'emailalertstatus=running',
    // the global value is overridden by the virtual's
    'certwarndays=2',
    '',
    `virtual=${VIP}`,
    ...[a, b, c].map((r) => `\treal=${r.addr} masq`),
    '\tservice=https',
    '\trequest="/"',
    '\treceive="OK"',
    '\tservicename=shop',
    '\tcertwarndays=14',
    '',
  ].join('\n');
  const d = daemon(t, cf);
  const sock = d.dir.file('lvsd.sock');
  const real = (reals: RealStatus[], addr: string) => reals.find((r) => `${r.address}:${r.port}` === addr);
  let reals: RealStatus[] = [];
  await waitFor('certificates of all three in status', async () => {
    try {
      reals = (await fetchStatus(sock)).virtuals[0]?.reals ?? [];
    } catch {
      return false; // not listening yet
    }
    return reals.length === 3 && reals.every((r) => r.cert !== null && r.health === 'up');
  });

  // JSON: days left, subject, expiring per certwarndays
  for (const r of [a, b]) {
    const cert = real(reals, r.addr)!.cert!;
    t.ok(cert.daysLeft > 2.5 && cert.daysLeft <= 3, `${r.addr}: about 3 days left (${cert.daysLeft})`);
    t.equal(cert.subject, 'near.example.test');
    t.equal(cert.expiring, true, 'within certwarndays=14');
  }
  const farCert = real(reals, c.addr)!.cert!;
  t.ok(farCert.daysLeft > 399 && farCert.daysLeft <= 400, `far: about 400 days left (${farCert.daysLeft})`);
  t.equal(farCert.expiring, false);
  t.ok(Math.abs(Date.parse(farCert.notAfter) - (Date.now() + 400 * 86_400_000)) < 86_400_000, 'notAfter as an ISO time');
  t.equal(real(reals, a.addr)!.cert!.fingerprint, real(reals, b.addr)!.cert!.fingerprint, 'one certificate on two reals');

  // text
  const text = await runCli(['--pid-file', d.pidFile, d.cfgPath, 'status']);
  t.equal(text.code, 0);
  t.match(text.stdout, /^ {2}HEALTH +REAL +KERNEL WEIGHT +FOR +LATENCY +CHECKED +CERT +REASON$/m, 'a CERT column for a TLS service');
  t.match(text.stdout, new RegExp(`^ {2}up +${a.addr} masq .* [23]\\.\\dd left! *$`, 'm'), 'near: days left, marked');
  t.match(text.stdout, new RegExp(`^ {2}up +${c.addr} masq .* 39\\d\\.\\dd left *$`, 'm'), 'far: days left');

  // metrics
  const m = parseMetrics(await queryControl(sock, 'metrics'));
  const V = `tcp:${VIP}`;
  const leftA = metric(m, 'lvsd_real_cert_expiry_seconds', { virtual: V, real: a.addr })!;
  t.ok(leftA > 2.5 * 86400 && leftA <= 3 * 86400, `seconds left for near (${leftA})`);
  const leftC = metric(m, 'lvsd_real_cert_expiry_seconds', { virtual: V, real: c.addr })!;
  t.ok(leftC > 399 * 86400 && leftC <= 400 * 86400, `seconds left for far (${leftC})`);
  t.equal(metric(m, 'lvsd_real_cert_expiry_timestamp_seconds', { virtual: V, real: c.addr }), Date.parse(farCert.notAfter) / 1000, 'notAfter as a timestamp');

  // one mail, for the near certificate
  await waitFor('the warning mail', () => certMails(smtp.mails).length > 0);
  const checks = async () => metric(parseMetrics(await queryControl(sock, 'metrics')), 'lvsd_checks_total', { virtual: V, result: 'ok' }) ?? 0;
  const before = await checks();
  // many more checks of all three (each shows its certificate) and a coalescing window pass
  await waitFor('30 more checks', async () => (await checks()) >= before + 30);
  const mails = certMails(smtp.mails);
  t.equal(mails.length, 1, 'one mail for the certificate, however many checks and reals showed it');
  const mail = mails[0]!;
  t.match(mail.subject, /^\[shop\] TLS certificate of real server 127\.0\.143\.3[12]:\d+ \(127\.0\.143\.100:443\) expires in [23]\.\d days: near\.example\.test, not after /);
  t.same(mail.rcptTo, ['ops@example.test'], 'the alert recipients');
  t.match(mail.body, /^Log-Message: \[shop\] TLS certificate of real server /m);
  t.match(mail.body, /^Daemon-Status: running$/m);
  t.notMatch(mail.subject, 'far.example.test');
  const warned = d.lvsd.out.split('\n').filter((l) => l.includes('TLS certificate of real server') && !l.includes('emailalert:'));
  t.equal(warned.length, 1, 'logged once (besides the mail log line)');

  // renewed, and again near expiry: a new certificate, a new mail
  const renewed = makeCert(certs, 'renewed', 'near.example.test', 5);
  a.server.setSecureContext(renewed);
  await waitFor('the renewed certificate in status', async () => {
    const r = real((await fetchStatus(sock)).virtuals[0]!.reals, a.addr);
    return (r?.cert?.daysLeft ?? 0) > 4;
  });
  await waitFor('a second warning mail', () => certMails(smtp.mails).length > 1);
  t.match(certMails(smtp.mails)[1]!.subject, new RegExp(`real server ${a.addr.replace(/\./g, '\\.')} .*expires in [45]\\.\\d days`), 'names the renewed real');
});

t.test('lvsd -t refuses bad certwarndays values with file and line', async (t) => {
  const dir = new TempDir();
  t.teardown(() => dir.remove());
  const good = dir.file('good.cf', 'certwarndays=30\n\nvirtual=127.0.143.100:443\n\treal=127.0.143.31:443 masq\n\tservice=https\n\tcertwarndays=0\n');
  t.equal((await runCli(['-t', good])).code, 0, 'global and per virtual, 0 = off');
  for (const [value, why] of [['soon', /certwarndays needs a whole number from 0 to 3650, got "soon"/], ['-1', /whole number/], ['4000', /certwarndays must be from 0 to 3650, got 4000/]] as const) {
    const bad = dir.file('bad.cf', `checkinterval=1\n\nvirtual=127.0.143.100:443\n\treal=127.0.143.31:443 masq\n\tcertwarndays=${value}\n`);
    const r = await runCli(['-t', bad]);
    t.equal(r.code, 2, `certwarndays=${value} refused`);
    t.match(r.stderr, `${bad}:5: `, 'names file and line');
    t.match(r.stderr, why);
  }
});
