// passwd=, secret= and passwords in request URLs never show in status, metrics, the page or the
// log, even when a real server echoes the password back in its error reply.
import t from 'tap';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { runCli, waitFor } from '../helpers/lvsd.js';
import { startLvsd, queryControl } from './helpers.js';
import { redactor, redactingChecks } from '../../src/status/redact.js';
import { parseConfigText } from '../../src/config/load.js';
import type { CheckTarget } from '../../src/checks/types.js';

const FTP_PASS = 'FtpPassw0rd';
const URL_PASS = 'UrlS3cretPw';
const RADIUS_SECRET = 'RadiusS3cret';
const RADIUS_PASS = 'RadPassw0rd';
const SECRETS = [FTP_PASS, URL_PASS, RADIUS_SECRET, RADIUS_PASS];

t.test('redactor: config secrets, URL credentials, quoted directives', async (t) => {
  const cfg = await parseConfigText(
    [
      'virtual=127.0.0.1:21', '\treal=127.0.0.2:21 masq', '\tservice=ftp', '\tlogin="u"', `\tpasswd="${FTP_PASS}"`, '',
      'virtual=127.0.0.1:80', `\treal=127.0.0.2:80 masq "http://mon:${encodeURIComponent('p@ss/w')}@127.0.0.2/x" "OK"`, '\tservice=http', '',
      'virtual=127.0.0.1:53', '\treal=127.0.0.2:53 masq', '\tservice=dns', '\tpasswd="ab"', '',
    ].join('\n'),
    '/t/x.cf',
    'cf',
  );
  const r = redactor(cfg);
  t.equal(r(`530 wrong password ${FTP_PASS}`), '530 wrong password ***');
  t.equal(r('GET http://mon:p%40ss%2Fw@127.0.0.2/x failed'), 'GET http://mon:***@127.0.0.2/x failed', 'URL password, user kept');
  t.equal(r('server said p@ss/w'), 'server said ***', 'the decoded form too');
  t.equal(r('https://a:b@c/ and ftp://x:y@z'), 'https://a:***@c/ and ftp://x:***@z', 'any URL credentials');
  t.equal(r('line 3: passwd="hunter2" secret=abc'), 'line 3: passwd=*** secret=***', 'quoted config lines');
  t.equal(r('about that lab'), 'about that lab', 'a 2-character password is not masked everywhere');
});

t.test('redactingChecks: a result never carries its target\'s secrets', async (t) => {
  const target = { passwd: FTP_PASS, secret: RADIUS_SECRET, request: `http://u:${URL_PASS}@h/` } as CheckTarget;
  const echo = { check: async () => ({ ok: false, message: `refused ${FTP_PASS} ${RADIUS_SECRET} ${URL_PASS}`, forced: true }) };
  const r = await redactingChecks(() => echo)(target).check(target, new AbortController().signal);
  t.same(r, { ok: false, message: 'refused *** *** ***', forced: true }, 'masked, other fields kept');
});

/** An FTP server that rejects the login and quotes the password it got. */
async function echoFtp(host: string): Promise<{ server: Server; port: number }> {
  const server = createServer((s) => {
    s.write('220 echo ftp\r\n');
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString();
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i).trim();
        buf = buf.slice(i + 1);
        if (line.startsWith('USER')) s.write('331 password please\r\n');
        else if (line.startsWith('PASS')) s.end(`530 login incorrect, password ${line.slice(5)} rejected\r\n`);
        else s.write('500 ?\r\n');
      }
    });
    s.on('error', () => s.destroy());
  });
  await new Promise<void>((r) => server.listen(0, host, () => r()));
  return { server, port: (server.address() as AddressInfo).port };
}

t.test('the running daemon: status, CLI, status.json, metrics, page and -d log are free of secrets', async (t) => {
  const ftp = await echoFtp('127.0.0.74');
  t.teardown(() => new Promise<void>((r) => ftp.server.close(() => r())));
  const d = await startLvsd(t, ['127.0.0.71'], {
    args: ['-d', '--status-http', '127.0.0.1:0'],
    text: ([web]) =>
      [
        'checkinterval=1', 'checktimeout=2', 'negotiatetimeout=2', 'quiescent=yes', '',
        'virtual=127.0.0.100:80', `\treal=${web!.addr} masq 1 "http://monitor:${URL_PASS}@${web!.addr}/" "OK"`, '\tservice=http', '',
        'virtual=127.0.0.100:21', `\treal=127.0.0.74:${ftp.port} masq`, '\tservice=ftp', '\tlogin="monitor"', `\tpasswd="${FTP_PASS}"`, '',
        'virtual=127.0.0.100:1812', '\treal=127.0.0.73:1812 masq', '\tprotocol=udp', '\tservice=radius', '\tlogin="monitor"',
        `\tpasswd="${RADIUS_PASS}"`, `\tsecret="${RADIUS_SECRET}"`, '',
      ].join('\n'),
  });
  await waitFor('the echoing FTP server seen down, the web real up', async () => {
    const health = (await d.status()).virtuals.map((v) => v.reals[0]?.health);
    return health.join() === 'up,down,down';
  });
  const s = await d.status();
  t.match(s.virtuals[1]!.reals[0]!.lastMessage, /530 login incorrect, password \*\*\* rejected/, 'the echoed password is masked');
  const url = s.http!.url;
  const views: Record<string, string> = {
    'control socket status': await queryControl(d.sock, 'status'),
    'control socket metrics': await queryControl(d.sock, 'metrics'),
    'lvsd status': (await runCli(['--pid-file', d.pid, d.cfg, 'status'])).stdout,
    'lvsd status --json': (await runCli(['--json', '--pid-file', d.pid, d.cfg, 'status'])).stdout,
    '/status.json': await (await fetch(`${url}status.json`)).text(),
    '/metrics': await (await fetch(`${url}metrics`)).text(),
    '/': await (await fetch(url)).text(),
  };
  await d.lvsd.stop();
  views['the -d log'] = d.lvsd.out;
  t.match(d.lvsd.out, /login failed: 530 login incorrect, password \*\*\* rejected/, 'the log has the masked reason');
  for (const [where, text] of Object.entries(views)) {
    t.ok(text.length > 0, `${where}: has content`);
    t.same(SECRETS.filter((x) => text.includes(x)), [], `${where}: no secret`);
  }
});
