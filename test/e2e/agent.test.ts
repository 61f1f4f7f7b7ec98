// End to end, agent weights with the real lvsd binary, the stand-in ipvsadm, a real HTTP check
// and a small real agent on loopback whose reply the test changes: 50% → drain → 100% in the
// kernel weight, the clamp, `down` taking the real out and `up` bringing it back, garbage and a
// hanging agent reported and harmless; then an external check whose output sets the weight.
import t, { type Test } from 'tap';
import { chmodSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { queryControl } from '../../src/status/client.js';
import { RealServer, TempDir, daemon, runCli, waitFor, weightOf } from '../helpers/lvsd.js';

const VIP = '127.0.14.40:80';

/** An agent: answers each connection with `reply` and a LF, or holds it open in silence ('hang'). */
class Agent {
  reply = 'up';
  received = '';
  private server?: Server;
  private readonly open = new Set<Socket>();
  port = 0;
  constructor(readonly host: string) {}

  async start(): Promise<this> {
    const srv = createServer((sock) => {
      this.open.add(sock);
      sock.on('close', () => this.open.delete(sock));
      sock.on('error', () => {});
      sock.on('data', (d) => (this.received = (this.received + d.toString()).slice(-200)));
      if (this.reply !== 'hang') sock.end(`${this.reply}\n`);
    });
    await new Promise<void>((ok) => srv.listen(0, this.host, ok));
    this.port = (srv.address() as AddressInfo).port;
    this.server = srv;
    return this;
  }

  async stop(): Promise<void> {
    for (const s of this.open) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

async function setup(t: Test, virtualLines: (real: RealServer) => string[]) {
  const real = await new RealServer('127.0.14.41').start();
  t.teardown(() => real.stop());
  const cf = ['checkinterval=1', 'checktimeout=1', '', `virtual=${VIP}`, `    real=${real.addr} masq 4`, '    service=http', '    receive="OK"', ...virtualLines(real), ''].join('\n');
  const d = daemon(t, cf);
  const status = async () => JSON.parse(await queryControl(d.dir.file('lvsd.sock'), 'status'));
  const realStatus = async () => (await status()).virtuals[0].reals[0];
  const weight = () => weightOf(d.state, VIP, real.addr);
  const weightIs = (what: string, w: number | undefined) => waitFor(`${what}: kernel weight ${w}`, async () => (await weight()) === w);
  return { ...d, real, status, realStatus, weight, weightIs };
}

t.test('agentport: the agent sets the weight, holds the real down and cannot harm it', async (t) => {
  const agent = await new Agent('127.0.14.41').start();
  t.teardown(() => agent.stop());
  agent.reply = '50%';
  const s = await setup(t, () => [`    agentport=${agent.port}`, '    agentsend="hello\\n"']);

  await s.weightIs('50% of 4', 2);
  t.equal(agent.received.slice(0, 6), 'hello\n', 'agentsend reaches the agent, \\n as a line feed');
  t.match(await s.realStatus(), { health: 'up', kernelWeight: 2, agent: { reply: '50%', state: 'up', percent: 50, weight: 2, error: null } });
  const text = (await runCli(['--pid-file', s.pidFile, s.cfgPath, 'status'])).stdout;
  t.match(text, /HEALTH\s+REAL\s+KERNEL WEIGHT\s+AGENT\s+FOR/, 'status text: an AGENT column');
  t.match(text, /up\s+127\.0\.14\.41:\d+ masq\s+2\s+up 50% -> 2\s/);
  const metrics = await queryControl(s.dir.file('lvsd.sock'), 'metrics');
  t.match(metrics, /\nlvsd_real_agent_weight\{virtual="tcp:127\.0\.14\.40:80",real="127\.0\.14\.41:\d+",state="up"\} 2\n/);
  t.match(metrics, /\nlvsd_real_agent_failing\{virtual="tcp:127\.0\.14\.40:80",real="127\.0\.14\.41:\d+"\} 0\n/);

  agent.reply = 'drain';
  await s.weightIs('drain', 0);
  await s.lvsd.logged('agent says drain: weight 0');
  t.match(await s.realStatus(), { health: 'up', agent: { state: 'drain', weight: 0 } }, 'drained, still up and in the table');

  agent.reply = 'ready 100%';
  await s.weightIs('ready 100%', 4);

  // the clamp: a share above 100% (keepalived's unbounded growth) stays at the configured weight
  agent.reply = '250%';
  await waitFor('the agent said 250%', async () => (await s.realStatus()).agent.reply === '250%');
  await waitFor('a few more probes', async () => (await s.realStatus()).agent.at > new Date(Date.now() - 500).toISOString());
  t.equal(await s.weight(), 4, '250% is the configured 4, again and again');
  t.equal((await s.realStatus()).agent.weight, 4);

  agent.reply = 'down #maintenance window';
  await s.weightIs('down takes the real out', undefined);
  await s.lvsd.logged('agent says down (maintenance window): held down until it says up');
  t.match(await s.realStatus(), { health: 'down', lastMessage: 'agent says down (maintenance window)', agent: { state: 'down', weight: 0 } });
  t.match((await s.status()).transitions[0], { from: 'up', to: 'down', message: 'agent says down (maintenance window)' });
  // the real's own check passes all along: the agent's word holds it down
  await waitFor('a second of checks', async () => Date.parse((await s.realStatus()).lastCheckAt) > Date.now() - 1000);
  t.equal(await s.weight(), undefined, 'still out while the check passes');

  agent.reply = 'up';
  await s.weightIs('up brings it back at its next passing check', 4);

  agent.reply = 'HELLO WORLD';
  await waitFor('garbage reported', async () => (await s.realStatus()).agent.error?.message === 'not an agent word: "HELLO" (reply "HELLO WORLD")');
  await s.lvsd.logged('agent not usable: not an agent word: "HELLO" (reply "HELLO WORLD"); its last word stands (up)');
  t.match(await s.realStatus(), { health: 'up', kernelWeight: 4 }, 'garbage changes nothing');

  agent.reply = 'hang';
  await waitFor('a hanging agent reported', async () => (await s.realStatus()).agent.error?.message === 'timeout after 1s');
  t.match(await s.realStatus(), { health: 'up', kernelWeight: 4, agent: { state: 'up', weight: 4 } }, 'a hanging agent changes nothing');
  t.match((await runCli(['--pid-file', s.pidFile, s.cfgPath, 'status'])).stdout, /up 250% -> 4 \(no reply\).*agent: timeout after 1s/);
  t.match(await queryControl(s.dir.file('lvsd.sock'), 'metrics'), /\nlvsd_real_agent_failing\{[^}]*\} 1\n/);

  // and an agent that is not there at all
  await agent.stop();
  await waitFor('an absent agent reported', async () => (await s.realStatus()).agent.error?.message === 'Connection refused');
  t.match(await s.realStatus(), { health: 'up', kernelWeight: 4 });
  // the real's own check still decides: it fails, the real goes
  await s.real.stop();
  await s.weightIs('the check takes it out', undefined);
});

t.test('agentoutput: an external check prints the weight', async (t) => {
  const real = await new RealServer('127.0.14.42').start();
  t.teardown(() => real.stop());
  const dir = new TempDir();
  const word = dir.file('word', '75%\n');
  const script = dir.file('weight.sh', `#!/bin/sh\ncat '${word}'\n`);
  chmodSync(script, 0o755);
  const cf = ['checkinterval=1', 'checktimeout=2', '', 'virtual=127.0.14.43:80', `    real=${real.addr} masq 4`, '    checktype=external', `    checkcommand="${script}"`, '    agentoutput=yes', ''].join('\n');
  const d = daemon(t, cf, { dir });
  const w = () => weightOf(d.state, '127.0.14.43:80', real.addr);
  const realStatus = async () => JSON.parse(await queryControl(d.dir.file('lvsd.sock'), 'status')).virtuals[0].reals[0];
  await waitFor('75% of 4', async () => (await w()) === 3);
  t.match(await realStatus(), { health: 'up', agent: { reply: '75%', weight: 3 } });
  dir.file('word', 'stopped # out of disk\n');
  await waitFor('stopped takes it out', async () => (await w()) === undefined);
  t.match(await realStatus(), { health: 'down', lastMessage: 'agent says stopped (out of disk)' });
  dir.file('word', 'up 100%\n');
  await waitFor('up brings it back at 4', async () => (await w()) === 4);
  dir.file('word', 'all good\n');
  await waitFor('garbage output reported', async () => /not an agent word/.test((await realStatus()).agent.error?.message ?? ''));
  t.equal(await w(), 4, 'garbage output changes nothing');
});
