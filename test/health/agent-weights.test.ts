// Agent weights, pure parts: the reply grammar, what each word does to a real, the weight stage
// and its clamp (a share of the configured weight, never compounding), holds, reload.
import t from 'tap';
import { parseConfigText } from '../../src/config/load.js';
import { bindingsOf } from '../../src/health/targets.js';
import { AgentWeights } from '../../src/health/agent-weights.js';
import { parseAgentReply } from '../../src/checks/agent-reply.js';
import { desiredTable } from '../../src/table/desired.js';
import { DaemonBus } from '../../src/events/index.js';

const CF = `virtual=10.0.0.1:80
    real=10.1.1.1:80 masq 4
    real=10.1.1.2:80 masq 4
    service=http
    agentport=9999
virtual=10.0.0.2:80
    real=10.1.1.1:80 masq 4
    service=http
`;

async function setup() {
  const cfg = await parseConfigText(CF, '/t/x.cf', 'cf');
  const bus = new DaemonBus();
  const logs: string[] = [];
  bus.on('log', (e) => logs.push(`${e.level} ${e.message}`));
  const agents = new AgentWeights(bus);
  const bindings = bindingsOf(cfg);
  agents.bind(bindings);
  const [a1, a2, plain] = bindings as [typeof bindings[0], typeof bindings[0], typeof bindings[0]];
  const say = (line: string) => agents.record(a1.agent!.target.key, { ok: true, message: line });
  const weights = () => desiredTable(cfg, bindings, () => 'up', [agents.stage]).flatMap((s) => s.dests.map((d) => d.weight));
  return { cfg, agents, bindings, a1, a2, plain, say, logs, weights };
}

t.test('the reply grammar: words by blanks or commas, any order and case, # description', async (t) => {
  t.same(parseAgentReply('up 75%'), { op: 'up', opWord: 'up', percent: 75 });
  t.same(parseAgentReply('DRAIN,50%\r\n'), { admin: 'drain', percent: 50 });
  t.same(parseAgentReply('  ready\tup  '), { op: 'up', opWord: 'up', admin: 'ready' });
  t.same(parseAgentReply('stopped #disk full'), { op: 'down', opWord: 'stopped', description: 'disk full' });
  t.same(parseAgentReply('fail#x'), { op: 'down', opWord: 'fail', description: 'x' });
  t.same(parseAgentReply('maint maxconn:30'), { admin: 'maint' }, 'maxconn: is HAProxy\'s own, ignored');
  t.same(parseAgentReply('0%'), { percent: 0 });
  t.match(parseAgentReply('75 %'), { error: 'not an agent word: "75"' }, 'a share needs its % sign');
  t.match(parseAgentReply('HTTP/1.1 200 OK'), { error: /not an agent word/ });
  t.match(parseAgentReply('-5%'), { error: /not an agent word/ });
  t.match(parseAgentReply(''), { error: 'no agent word in the reply' });
  t.match(parseAgentReply('# only a comment'), { error: 'no agent word in the reply' });
  t.match(parseAgentReply('\x00\x01\x02'), { error: /not an agent word/ });
});

t.test('NN% is a share of the configured weight; drain 0; ready/100% back', async (t) => {
  const { say, weights, plain, agents } = await setup();
  t.same(weights(), [4, 4, 4], 'no word yet: configured weights');
  t.same(say('50%'), { hold: false, weight: true });
  t.same(weights(), [2, 4, 4], 'only the real whose agent spoke; not the same real without agentport');
  t.same(say('drain'), { hold: false, weight: true });
  t.same(weights(), [0, 4, 4]);
  t.same(say('drain 50%'), { hold: false, weight: false }, 'nothing new for the table');
  say('ready 100%');
  t.same(weights(), [4, 4, 4]);
  say('1%');
  t.same(weights(), [1, 4, 4], 'a non-zero share never rounds down to 0');
  say('0%');
  t.same(weights(), [0, 4, 4]);
  t.equal(agents.view(plain), undefined, 'a real without an agent has no agent view');
});

t.test('the clamp: shares above 100% give the configured weight, and replies never compound', async (t) => {
  const { say, weights, a1, agents } = await setup();
  for (let i = 0; i < 5; i++) say('250%');
  t.same(weights(), [4, 4, 4], '250% five times is still the configured 4');
  say('999999999%');
  t.same(weights(), [4, 4, 4]);
  t.equal(agents.stage(a1, 4), 4, 'the stage itself never exceeds what it was given');
  say('75%');
  say('75%');
  t.same(weights(), [3, 4, 4], '75% twice is 75% of the configured weight, not 75% of 75%');
  t.match(agents.view(a1), { state: 'up', percent: 75, weight: 3, reply: '75%', error: null });
  // desiredTable clamps whatever a stage returns
  const cfg = await parseConfigText(CF, '/t/x.cf', 'cf');
  const greedy = desiredTable(cfg, bindingsOf(cfg), () => 'up', [(_b, w) => w * 1000, (_b, w) => w + 7]);
  t.same(greedy.flatMap((s) => s.dests.map((d) => d.weight)), [4, 4, 4]);
});

t.test('down, fail, stopped and maint hold the real out; up and ready lift the hold', async (t) => {
  const { say, a1, agents, logs } = await setup();
  const check = a1.target.key;
  t.equal(agents.holdFor(check), undefined);
  t.same(say('down #disk full'), { hold: true, weight: true });
  t.equal(agents.holdFor(check), 'agent says down (disk full)');
  t.equal(agents.holdBeforeCheck(check), 'agent says down (disk full)', 'a held real is not even checked');
  t.match(agents.view(a1), { state: 'down', weight: 0 });
  t.match(logs.pop(), /^warn Real server 10\.1\.1\.1:80 \(tcp:10\.0\.0\.1:80\): agent says down \(disk full\): held down until it says up/);
  t.same(say('up'), { hold: true, weight: true });
  t.equal(agents.holdFor(check), undefined);
  say('maint');
  t.match(agents.holdFor(check), /maint.*maintenance/);
  t.match(logs.pop(), /^info .*agent says maint: in maintenance, out of the pool on purpose \(not a failure\)/);
  say('up');
  t.match(agents.holdFor(check), /maint/, 'up does not end a maintenance');
  say('ready');
  t.equal(agents.holdFor(check), undefined);
  say('stopped');
  t.match(agents.holdFor(check), /agent says stopped/);
  t.equal(agents.holdFor(bindingsOf(await parseConfigText(CF, '/t/x.cf', 'cf'))[2]!.target.key), undefined, 'the same real in a virtual without agent is not held');
});

t.test('an unreachable or garbling agent changes nothing and is reported once per spell', async (t) => {
  const { say, a1, agents, logs, weights } = await setup();
  say('drain');
  logs.length = 0;
  const key = a1.agent!.target.key;
  t.same(agents.record(key, { ok: false, message: 'Connection refused' }), { hold: false, weight: false });
  t.same(agents.record(key, { ok: false, message: 'timeout after 5s' }), { hold: false, weight: false });
  t.same(say('hello there'), { hold: false, weight: false });
  t.same(weights(), [0, 4, 4], 'the last word (drain) stands');
  t.equal(agents.holdFor(a1.target.key), undefined, 'no hold from failures');
  t.same(logs, ['warn Real server 10.1.1.1:80 (tcp:10.0.0.1:80): agent not usable: Connection refused; its last word stands (drain)']);
  t.match(agents.view(a1), { state: 'drain', error: { message: 'not an agent word: "hello" (reply "hello there")' } });
  say('up 100%');
  t.match(logs.pop(), /agent answers again/);
  t.match(agents.view(a1), { state: 'drain', weight: 0 }, 'up does not end a drain');
  say('ready');
  t.match(logs.pop(), /agent says up 100%/);
  t.match(agents.view(a1), { error: null, weight: 4 });
});

t.test('a reload keeps what agents still configured said and forgets the others', async (t) => {
  const { say, agents, cfg, a1 } = await setup();
  say('50%');
  agents.bind(bindingsOf(cfg));
  t.match(agents.view(bindingsOf(cfg)[0]!), { percent: 50 });
  const without = await parseConfigText(CF.replace('    agentport=9999\n', ''), '/t/x.cf', 'cf');
  agents.bind(bindingsOf(without));
  agents.bind(bindingsOf(cfg));
  t.match(agents.view(a1), { percent: null, reply: null }, 'an agent removed and added again starts afresh');
});
