// The agent directives (agentport, agentinterval, agentsend, agentoutput): accepted values, the
// model, both writers, and `lvsd -t` refusing bad values with the file and the line.
import t from 'tap';
import { formatConfig, parseConfigText } from '../../src/config/load.js';
import { runCli, TempDir } from '../helpers/lvsd.js';
import { configError } from './helpers.js';

const HEAD = 'virtual=127.0.0.1:80\n\treal=127.0.0.2:80 masq 4\n\tservice=http\n';

t.test('accepted values reach the model and survive both writers', async (t) => {
  const cf = `${HEAD}\tagentport=9777\n\tagentinterval=3\n\tagentsend="hello\\n"\nvirtual=127.0.0.1:81\n\treal=127.0.0.2:81 masq\n\tchecktype=external\n\tcheckcommand=/bin/true\n\tagentoutput=yes\n`;
  const c = await parseConfigText(cf, '/t/a.cf', 'cf');
  t.match(c.virtuals[0], { agentport: 9777, agentinterval: 3, agentsend: 'hello\\n' });
  t.match(c.virtuals[1], { agentoutput: true });
  t.notOk('agentport' in c.virtuals[1]!);
  for (const to of ['cf', 'yaml'] as const) {
    const text = formatConfig(c, to);
    const back = await parseConfigText(text, `/t/b.${to}`, to);
    t.match(back.virtuals[0], { agentport: 9777, agentinterval: 3, agentsend: 'hello\\n' }, to);
    t.match(back.virtuals[1], { agentoutput: true }, to);
  }
});

const BAD: Array<[string, string, number, RegExp]> = [
  ['port 0', `${HEAD}\tagentport=0\n`, 4, /agentport must be from 1 to 65535, got 0/],
  ['port too big', `${HEAD}\tagentport=70000\n`, 4, /agentport must be from 1 to 65535/],
  ['port not a number', `${HEAD}\tagentport=http\n`, 4, /agentport needs a whole number from 1 to 65535, got "http"/],
  ['trailing word', `${HEAD}\tagentport=9777 x\n`, 4, /agentport needs a whole number/],
  ['interval 0', `${HEAD}\tagentport=9777\n\tagentinterval=0\n`, 5, /agentinterval must be from 1 to 86400, got 0/],
  ['interval fraction', `${HEAD}\tagentport=9777\n\tagentinterval=1.5\n`, 5, /agentinterval needs a whole number/],
  ['interval without port', `${HEAD}\tagentinterval=5\n`, 4, /agentinterval= needs agentport=/],
  ['send without port', `${HEAD}\tagentsend="x"\n`, 4, /agentsend= needs agentport=/],
  ['send with a control character', `${HEAD}\tagentport=9777\n\tagentsend="a\x01b"\n`, 5, /agentsend="a\\u0001b" contains a control character/],
  ['output yes/no', `${HEAD}\tagentoutput=maybe\n`, 4, /agentoutput must be "yes" or "no", got "maybe"/],
  ['output without external', `${HEAD}\tagentoutput=yes\n`, 4, /agentoutput=yes reads the output of an external check, but this virtual service has checktype=negotiate/],
  ['output and port', `${HEAD}\tchecktype=external\n\tagentport=9777\n\tagentoutput=yes\n`, 6, /agentoutput=yes and agentport= are two agents/],
  ['global', `agentport=9777\n${HEAD}`, 1, /agentport/],
];

t.test('bad agent values are refused at their line', async (t) => {
  for (const [what, text, line, message] of BAD) {
    const e = await configError(t, parseConfigText(text, '/t/bad.cf', 'cf'));
    t.equal(e?.line, line, `${what}: line`);
    t.match(e?.detail, message, what);
  }
});

t.test('lvsd -t says FILE:LINE: message and exits 2 (a few of them, with the real binary)', async (t) => {
  const dir = new TempDir();
  t.teardown(() => dir.remove());
  for (const [what, text, line, message] of BAD.filter(([w]) => ['port too big', 'interval without port', 'output without external'].includes(w))) {
    const file = dir.file(`${what.replace(/\W+/g, '-')}.cf`, text);
    const r = await runCli(['-t', file]);
    t.equal(r.code, 2, `${what}: exit 2`);
    t.match(r.stderr, `${file}:${line}: `, `${what}: file and line`);
    t.match(r.stderr, message, what);
  }
  const good = dir.file('good.cf', `${HEAD}\tagentport=9777\n`);
  t.equal((await runCli(['-t', good])).code, 0, 'a good one passes');
});
