// loadConfig (format by extension, absolute file, read errors) and formatConfig, including
// the values ldirectord.cf cannot carry.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { formatConfig, loadConfig, parseConfigText } from '../../src/config/load.js';
import { ConfigError } from '../../src/config/errors.js';
import { comparable, configError, scratch, yaml } from './helpers.js';

const CF = 'virtual=127.0.0.1:80\n\treal=127.0.0.2:80 gate\n';
const YAML = 'virtuals:\n  - virtual: 127.0.0.1:80\n    real: [127.0.0.2:80 gate]\n';

t.test('the format follows the extension; the file is absolute', async (t) => {
  const dir = scratch(t);
  const files: Array<[string, string, 'cf' | 'yaml']> = [
    ['a.cf', CF, 'cf'], ['ldirectord', CF, 'cf'], ['b.yaml', YAML, 'yaml'], ['c.yml', YAML, 'yaml'], ['D.YML', YAML, 'yaml'],
  ];
  for (const [name, text, format] of files) {
    writeFileSync(join(dir, name), text);
    const c = await loadConfig(relative(process.cwd(), join(dir, name)));
    t.equal(c.file, join(dir, name), `${name}: absolute path`);
    t.equal(c.format, format, `${name}: ${format}`);
    t.equal(c.virtuals[0]!.source.file, join(dir, name));
    t.same(comparable(c), comparable(await parseConfigText(CF, 'x', 'cf')));
  }
  // cf text in a .yaml file is a YAML error, not a silent misreading
  writeFileSync(join(dir, 'wrong.yaml'), CF);
  t.type(await configError(t, loadConfig(join(dir, 'wrong.yaml'))), ConfigError);
});

t.test('a missing file is a ConfigError', async (t) => {
  const dir = scratch(t);
  const e = await configError(t, loadConfig(join(dir, 'nope.cf')));
  t.equal(e?.file, join(dir, 'nope.cf'));
  t.equal(e?.line, 0);
  t.match(e?.detail, /cannot read the configuration file: ENOENT/);
});

t.test('formatConfig output reads back', async (t) => {
  const c = await parseConfigText(CF + '\tservicename=Web\n', '/x.cf', 'cf');
  const asCf = formatConfig(c, 'cf');
  t.match(asCf, /^virtual=127\.0\.0\.1:80\n\treal=127\.0\.0\.2:80 gate 1\n\tservicename=Web\n$/m);
  const asYaml = formatConfig(c, 'yaml');
  t.match(asYaml, /virtuals:\n {2}- virtual: 127\.0\.0\.1:80\n {4}real:\n {6}- 127\.0\.0\.2:80 gate 1\n {4}servicename: Web\n/);
  t.same(comparable(await parseConfigText(asYaml, '/y.yaml', 'yaml')), comparable(c));
});

// [what, YAML of a virtual entry's extra keys, message]
const NOT_CF: Array<[string, string, RegExp]> = [
  ['"#" in a section value', '    receive: "a#b"\n', /receive="a#b": "#" starts a comment inside a virtual section/],
  ['TAB in a section value', '    servicename: "a\\tb"\n', /a TAB inside a virtual section becomes 4 spaces/],
  ['newline', '    comment: "a\\nb"\n', /the value contains a newline/],
  ['leading blanks in an unquoted value', '    servicename: " web"\n', /leading whitespace would be dropped/],
  ['quote in virtualhost', "    virtualhost: 'a\"b'\n", /virtualhost "a\\"b": it contains a double quote/],
  ['ambiguous per-real request/receive', '    real:\n      - { address: 127.0.0.3, forward: gate, request: /a, receive: \'b", "c\' }\n', /request "\/a" and receive "b\\", \\"c" cannot be told apart/],
];

t.test('what ldirectord.cf cannot express is refused, pointing at the source', async (t) => {
  for (const [what, extra, message] of NOT_CF) {
    const c = await yaml('virtuals:\n  - virtual: 127.0.0.1:80\n' + extra);
    let err: unknown;
    try {
      formatConfig(c, 'cf');
    } catch (e) {
      err = e;
    }
    t.type(err, ConfigError, what);
    t.match((err as ConfigError).detail, message, what);
    t.equal((err as ConfigError).line, 2, `${what}: line of the virtual in the YAML file`);
    t.same(comparable(await yaml(formatConfig(c, 'yaml'))), comparable(c), `${what}: YAML can carry it`);
  }
});
