// passwd=, secret= and the password of a request URL never reach the log (file and stdout),
// an alert mail or a status view (lvsd status --json, the status page, /status.json, /metrics),
// even when a hostile real server echoes them back in its answer.
import t from 'tap';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { TempDir, runCli, weightOf } from '../helpers/lvsd.js';
import { freePort, startSmtp } from '../alerts/smtp.js';
import { startDaemon, waitFor } from './helpers.js';

const PASSWD = 'Passw0rdXYZ';
const SECRET = 'RadSecret99';
const URL_PASS = 'UrlPass123';
const URL_PASS2 = 'p@ss:/Word9';
const SECRETS = [PASSWD, SECRET, URL_PASS, URL_PASS2, encodeURIComponent(URL_PASS2)];

/** A real that answers 200 OK until told to turn hostile: then 503 with every secret in its reason phrase. */
async function echoingReal(host: string): Promise<{ addr: string; hostile: () => void; close: () => Promise<void> }> {
  let hostile = false;
  const server = http.createServer((_req, res) => {
    if (!hostile) return void res.writeHead(200, { 'content-type': 'text/plain' }).end('OK');
    res.writeHead(503, `${PASSWD} ${SECRET} ${URL_PASS} ${URL_PASS2}`);
    res.end(`you sent ${PASSWD} and ${SECRET} and ${URL_PASS}`);
  });
  await new Promise<void>((r) => server.listen(0, host, () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    addr: `${host}:${port}`,
    hostile: () => (hostile = true),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const fetchText = (url: string) =>
  new Promise<string>((resolve, reject) => {
    http.get(url, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });

t.test('secrets stay out of logs, mails and status', async (t) => {
  const smtp = await startSmtp();
  t.teardown(() => smtp.close());
  const real = await echoingReal('127.0.0.151');
  t.teardown(() => real.close());
  const statusPort = await freePort();
  const config = (logfile: string) =>
    [
      'checkinterval=1',
      'checktimeout=1',
      'negotiatetimeout=1',
      'quiescent=no',
      `logfile="${logfile}"`,
      'emailalert="ops@example.com"',
      `smtp=127.0.0.1:${smtp.port}`,
      '',
      'virtual=127.0.0.150:80',
      `    real=${real.addr} masq 1 "http://monitor:${URL_PASS}@${real.addr}/health" "OK"`,
      '    service=http',
      '    request="/"',
      '    receive="OK"',
      '    login="monitor"',
      `    passwd="${PASSWD}"`,
      `    secret="${SECRET}"`,
      '',
      // a second virtual whose URL password is percent-encoded
      'virtual=127.0.0.152:80',
      `    real=${real.addr} masq`,
      '    service=http',
      `    request="http://monitor:${encodeURIComponent(URL_PASS2)}@${real.addr}/"`,
      '    receive="OK"',
      '',
    ].join('\n');
  const dir = new TempDir();
  t.teardown(() => dir.remove());
  const logfile = dir.file('lvsd.log');
  const d = startDaemon(t, config(logfile), { dir, args: ['-f', '--status-http', `127.0.0.1:${statusPort}`] });
  await waitFor('the real added', async () => (await weightOf(d.state, '127.0.0.150:80', real.addr)) === 1);

  real.hostile();
  await waitFor('the real removed', async () => (await weightOf(d.state, '127.0.0.150:80', real.addr)) === undefined);
  await waitFor('the down reason logged', () => existsSync(logfile) && /is down: 503/.test(readFileSync(logfile, 'utf8')));
  await waitFor('the alert mailed', () => smtp.mails.some((m) => m.body.includes('Deleted real server')), 60_000);

  const status = await runCli(['--pid-file', d.dir.file('lvsd.pid'), d.cfg, 'status', '--json']);
  const views: [string, string][] = [
    ['log file', readFileSync(logfile, 'utf8')],
    ['stdout/stderr', d.lvsd.out],
    ['mails', smtp.mails.map((m) => m.raw).join('\n')],
    ['lvsd status --json', status.stdout + status.stderr],
    ['status page', await fetchText(`http://127.0.0.1:${statusPort}/`)],
    ['/status.json', await fetchText(`http://127.0.0.1:${statusPort}/status.json`)],
    ['/metrics', await fetchText(`http://127.0.0.1:${statusPort}/metrics`)],
  ];
  for (const [where, text] of views) {
    t.ok(text.length > 0, `${where}: has content`);
    for (const s of SECRETS) t.notOk(text.includes(s), `${where}: no ${s}`);
  }
  t.match(readFileSync(logfile, 'utf8'), /is down: 503 \*\*\*/, 'the log still says why, masked');
  t.match(smtp.mails.map((m) => m.body).join('\n'), /503 \*\*\*/, 'so does the mail');
  t.match(status.stdout, /503 \*\*\*/, 'and the status');
});
