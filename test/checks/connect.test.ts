// checktype=connect against real loopback sockets: a listener, a refused port, and a listener
// whose accept queue is full (it never accepts), where a SYN is dropped and connect hangs.
import t from 'tap';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { connectChecker, tcpConnectChecker } from '../../src/checks/connect.js';
import { freeTcpPort, listen, never, settles, target, hasCommand, hasIpv6Loopback } from './helpers.js';

const noIpv6 = (await hasIpv6Loopback()) ? false : '::1 cannot be bound here (IPv6 disabled)';
const noPerl = hasCommand('perl') ? false : 'perl (Debian perl-base) is needed for the non-accepting listener';
const noPing = hasCommand('ping') ? false : 'ping (Debian package iputils-ping) is not installed';

t.test('up when something listens', async (t) => {
  let accepted = 0;
  const server = net.createServer((s) => {
    accepted++;
    s.destroy();
  });
  const port = await listen(server);
  t.teardown(() => server.close());
  const r = await connectChecker.check(target({ checktype: 'connect', port }), never);
  t.same(r, { ok: true, message: 'Success' });
  // the server really saw a connection (not just a local shortcut)
  await new Promise((r) => setTimeout(r, 50));
  t.equal(accepted, 1);
});

t.test('down with "Connection refused" on a closed port', async (t) => {
  const port = await freeTcpPort();
  const r = await connectChecker.check(target({ checktype: 'connect', port }), never);
  t.same(r, { ok: false, message: 'Connection refused' });
});

t.test('IPv6 connect', { skip: noIpv6 }, async (t) => {
  const server = net.createServer((s) => s.destroy());
  const port = await listen(server, '::1');
  t.teardown(() => server.close());
  const r = await connectChecker.check(target({ checktype: 'connect', host: '::1', family: 6, port }), never);
  t.equal(r.ok, true);
});

t.test('timeout when the SYN is never answered (full accept queue)', { skip: noPerl }, async (t) => {
  // Perl listens with backlog 0 and never calls accept(); it exits when its stdin closes.
  const perl = spawn(
    'perl',
    [
      '-MSocket',
      '-e',
      'socket(S,PF_INET,SOCK_STREAM,0) or die; bind(S,pack_sockaddr_in(0,inet_aton("127.0.0.1"))) or die;' +
        'listen(S,0) or die; my ($p)=unpack_sockaddr_in(getsockname(S)); $|=1; print "$p\\n"; <STDIN>;',
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  t.teardown(() => perl.kill('SIGKILL'));
  const port = await new Promise<number>((resolve) => perl.stdout.once('data', (d: Buffer) => resolve(Number(String(d).trim()))));
  // Fill the queue: one established-but-never-accepted connection is enough with backlog 0,
  // a second one is sent for good measure (its SYN is dropped, like the checker's).
  const fillers = [net.connect(port, '127.0.0.1'), net.connect(port, '127.0.0.1')];
  t.teardown(() => fillers.forEach((s) => s.destroy()));
  for (const f of fillers) f.on('error', () => {});
  await new Promise((r) => fillers[0]!.once('connect', r));
  await new Promise((r) => setTimeout(r, 100));

  const r = await settles(tcpConnectChecker.check(target({ checktype: 'connect', port, checktimeout: 1 }), never), 10);
  t.same(r, { ok: false, message: 'timeout after 1s' });
});

t.test('settles with "aborted" when the scheduler aborts', async (t) => {
  const ctl = new AbortController();
  ctl.abort();
  const r = await tcpConnectChecker.check(target({ port: await freeTcpPort() }), ctl.signal);
  t.same(r, { ok: false, message: 'aborted' });
});

t.test('protocol udp pings instead of connecting', { skip: noPing }, async (t) => {
  // Nothing listens on the port: a UDP "connect" would prove nothing; the ping answers.
  const r = await connectChecker.check(target({ checktype: 'connect', protocol: 'udp', port: await freeTcpPort() }), never);
  t.same(r, { ok: true, message: 'Success' });
});
