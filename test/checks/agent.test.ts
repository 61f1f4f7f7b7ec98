// The agent probe against real sockets: one line read (CR LF, LF or end of stream), the text
// sent first, and agents that flood, close in silence, hang or are not there.
import t, { type Test } from 'tap';
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { agentChecker } from '../../src/checks/agent.js';
import { freeTcpPort, never, target } from './helpers.js';

async function agent(t: Test, onConnect: (sock: Socket) => void): Promise<number> {
  const open = new Set<Socket>();
  const srv = createServer((sock) => {
    open.add(sock);
    sock.on('error', () => {});
    onConnect(sock);
  });
  await new Promise<void>((ok) => srv.listen(0, '127.0.14.44', ok));
  t.teardown(() => {
    for (const s of open) s.destroy();
    return new Promise<void>((r) => srv.close(() => r()));
  });
  return (srv.address() as AddressInfo).port;
}

const probe = (port: number, request = '', checktimeout = 2) =>
  agentChecker.check(target({ checktype: 'connect', host: '127.0.14.44', port, request, checktimeout }), never);

t.test('one line: LF, CR LF, or the end of the stream; the rest is not read', async (t) => {
  t.same(await probe(await agent(t, (s) => s.end('up 50%\r\nmore\n'))), { ok: true, message: 'up 50%' });
  t.same(await probe(await agent(t, (s) => s.end('drain'))), { ok: true, message: 'drain' });
  t.same(await probe(await agent(t, (s) => s.end())), { ok: false, message: 'the agent closed the connection without a reply' });
});

t.test('agentsend: the text goes first, \\n as a line feed', async (t) => {
  const port = await agent(t, (s) => s.once('data', (d) => s.end(`${JSON.stringify(d.toString())}\n`)));
  t.same(await probe(port, 'status web\\n'), { ok: true, message: '"status web\\n"' });
});

t.test('a flood, a hang and an absent agent are failed probes with a reason', async (t) => {
  t.same(await probe(await agent(t, (s) => s.write('x'.repeat(4096)))), { ok: false, message: 'reply longer than 1024 bytes' });
  t.same(await probe(await agent(t, () => {}), '', 0.5), { ok: false, message: 'timeout after 0.5s' });
  t.same(await probe(await freeTcpPort('127.0.14.44')), { ok: false, message: 'Connection refused' });
});
