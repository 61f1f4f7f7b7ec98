// The YAML front end: same model as ldirectord.cf, same checks, errors at the YAML line.
import t from 'tap';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { cf, comparable, configError, yaml } from './helpers.js';

const ETC = join(import.meta.dirname, '../../etc');

t.test('the two samples give the same model', async (t) => {
  const a = await loadConfig(join(ETC, 'ldirectord.cf'));
  const b = await loadConfig(join(ETC, 'lvsd.yaml'));
  t.equal(a.format, 'cf');
  t.equal(b.format, 'yaml');
  t.same(comparable(b), comparable(a));
  t.same(a.warnings, []);
  t.same(b.warnings, []);
  t.ok(a.virtuals.length >= 7);
  t.equal(b.virtuals[0]!.source.line, 46, 'sources point into the YAML file');
  t.equal(b.virtuals[0]!.reals[1]!.source.line, 49);
});

t.test('value forms', async (t) => {
  const y = await yaml(`
quiescent: yes
autoreload: true
fork: no
cleanstop: false
emailalert: [a@example.org, b@example.org]
emailalertstatus: [starting, running]
execute:
  - a.cf
  - b.cf
fallback: 127.0.0.1:80 masq
virtuals:
  - virtual: 127.0.0.1:80
    real:
      - 127.0.0.2:80 gate 2 "/x", "ok"
      - { address: 127.0.0.3->127.0.0.4, port: http, forward: masq, weight: 0, lower: 1, upper: 9 }
    servicename:
    checktype: 2
    ops: true
  - virtual6: "[::1]:80"
    real6:
      - { address: "::2", port: 8080, forward: ipip, request: check, receive: "^ok" }
`);
  t.match(y.global, { quiescent: true, autoreload: true, fork: false, cleanstop: false, emailalert: ['a@example.org', 'b@example.org'], emailalertstatus: ['starting', 'running'], execute: ['a.cf', 'b.cf'], fallback: { address: '127.0.0.1', port: 80, forward: 'masq' } });
  const [v, v6] = y.virtuals;
  t.same(v!.reals.map((r) => [r.address, r.port, r.forward, r.weight, r.request, r.receive, r.lower, r.upper]), [
    ['127.0.0.2', 80, 'gate', 2, '/x', 'ok', 0, 0],
    ['127.0.0.3', 80, 'masq', 0, undefined, undefined, 1, 9],
    ['127.0.0.4', 80, 'masq', 0, undefined, undefined, 1, 9],
  ]);
  t.match(v, { servicename: '', checktype: 'combined', negotiateEvery: 2, ops: true });
  t.match(v6!.reals[0], { address: '::2', port: 8080, forward: 'ipip', weight: 1, request: '/check', receive: '^ok' });
  const same = await cf('quiescent=yes\nautoreload=yes\nfork=no\ncleanstop=no\nemailalert=a@example.org,b@example.org\nemailalertstatus=starting,running\nexecute=a.cf\nexecute=b.cf\nfallback=127.0.0.1:80 masq\n' +
    'virtual=127.0.0.1:80\n\treal=127.0.0.2:80 gate 2 "/x", "ok"\n\treal=127.0.0.3->127.0.0.4:http masq 0 l:1 u:9\n\tservicename=\n\tchecktype=2\n\tops=yes\n' +
    'virtual6=[::1]:80\n\treal6=[::2]:8080 ipip 1 "check", "^ok"\n');
  t.same(comparable(y), comparable(same), 'the same as the ldirectord.cf form');
  t.same(comparable(await yaml('')), { global: {}, virtuals: [] }, 'an empty document');
});

// [name, YAML, line, message]
const ERRORS: Array<[string, string, number, RegExp]> = [
  ['syntax error', 'checktimeout: 5\nvirtuals: [\n', 3, /YAML syntax error/],
  ['unknown key', 'checktimeout: 5\nchekinterval: 5\n', 2, /unknown directive "chekinterval" — did you mean "checkinterval"\?/],
  ['bad value at its line', 'checktimeout: 5\nquiescent:\n  maybe\n', 3, /quiescent must be "yes" or "no", got "maybe"/],
  ['section directive at top level', 'scheduler: rr\n', 1, /scheduler is a virtual-service directive — put it inside an entry of "virtuals:"/],
  ['virtual at top level', '\nvirtual: 127.0.0.1:80\n', 2, /virtual belongs in a list under "virtuals:"/],
  ['virtuals not a list', 'virtuals: 5\n', 1, /virtuals must be a list of virtual services/],
  ['entry without header', 'virtuals:\n  - real: [127.0.0.2:80 gate]\n', 2, /needs exactly one virtual: or virtual6: key/],
  ['real without forwarding method', 'virtuals:\n  - virtual: 127.0.0.1:80\n    real:\n      - 127.0.0.2:80\n', 4, /the forwarding method is required/],
  ['misspelt real field', 'virtuals:\n  - virtual: 127.0.0.1:80\n    real:\n      - address: 127.0.0.2\n        forward: gate\n        weigth: 2\n', 6, /unknown real server field "weigth" — did you mean "weight"\?/],
  ['real object without forward', 'virtuals:\n  - virtual: 127.0.0.1:80\n    real:\n      - address: 127.0.0.2\n', 4, /forward must be gate, masq or ipip \(it is required\)/],
  ['request without receive', 'virtuals:\n  - virtual: 127.0.0.1:80\n    real:\n      - {address: 127.0.0.2, forward: gate, request: /x}\n', 4, /request and receive must be given together/],
  ['bad weight', 'virtuals:\n  - virtual: 127.0.0.1:80\n    real:\n      - {address: 127.0.0.2, forward: gate, weight: -1}\n', 4, /weight must be a whole number ≥ 0, got "-1"/],
  ['real in a virtual6 entry', 'virtuals:\n  - virtual6: "[::1]:80"\n    real: ["[::2]:80 gate"]\n', 3, /real: cannot be used in a virtual6 entry — use real6:/],
  ['global directive in an entry', 'virtuals:\n  - virtual: 127.0.0.1:80\n    autoreload: yes\n', 3, /autoreload is a global directive and cannot be used inside a virtual section/],
  ['misspelt entry key', 'virtuals:\n  - virtual: 127.0.0.1:80\n    schedular: rr\n', 3, /unknown directive "schedular" in a virtual section — did you mean "scheduler"\?/],
  ['untranslatable receive', 'virtuals:\n  - virtual: 127.0.0.1:80\n    real: [127.0.0.2:80 gate]\n    receive: "(?{ 1 })"\n', 4, /cannot use: code blocks/],
  ['unresolvable real', 'virtuals:\n  - virtual: 127.0.0.1:80\n    real:\n      - no..such:80 gate\n', 4, /cannot resolve "no..such"/],
  ['duplicate virtual', 'virtuals:\n  - virtual: 127.0.0.1:80\n  - virtual: 127.0.0.1:80\n', 3, /duplicate virtual server tcp:127.0.0.1:80 \(already defined at line 2\)/],
  ['duplicate key', 'checktimeout: 5\ncheckinterval: 2\ncheckinterval: 3\n', 3, /YAML syntax error: Map keys must be unique/],
  ['mapping where a value is expected', 'checktimeout:\n  a: 1\n', 1, /checktimeout must be a single value/],
  ['deprecated directive', 'timeout: 5\n', 1, /timeout is no longer supported/],
  ['bad fwmark entry', 'virtuals:\n  - virtual: 7\n    protocol: tcp\n', 3, /protocol must be fwm for a firewall-mark virtual service/],
];

t.test('errors carry the YAML line', async (t) => {
  for (const [name, text, line, message] of ERRORS) {
    const e = await configError(t, yaml(text));
    t.equal(e?.line, line, `${name}: line (${e?.detail})`);
    t.match(e?.detail, message, `${name}: message`);
    t.equal(e?.file, '/test/lvsd.yaml');
  }
});

t.test('warnings carry the YAML line', async (t) => {
  const y = await yaml('checkcount: 2\nvirtuals:\n  - virtual: 127.0.0.1:80\n    checktype: negotiate5\n');
  t.same(y.warnings.map((w) => w.line), [1, 4]);
});
