// Values that reach mail headers or the SMTP dialogue (emailalert, emailalertfrom, smtp,
// servicename) are refused at config check when they hold a control character: a CR or LF
// there would add headers (Bcc: ...) to every alert. Both front ends, with file and line.
import t from 'tap';
import { parseConfigText } from '../../src/config/load.js';
import { isConfigError } from '../../src/config/errors.js';
import { TempDir, runCli } from '../helpers/lvsd.js';

const FILE = '/etc/ha.d/ldirectord.cf';
const VIRTUAL = ['virtual=127.0.0.1:80', '    real=127.0.0.2:80 gate', '    service=http'];

async function refusal(text: string, format: 'cf' | 'yaml' = 'cf'): Promise<{ line: number; message: string } | undefined> {
  try {
    await parseConfigText(text, format === 'cf' ? FILE : '/etc/lvsd.yaml', format);
    return undefined;
  } catch (e) {
    if (!isConfigError(e)) throw e;
    return { line: e.line, message: e.message };
  }
}

const INJECT = ['\r\nBcc: evil@example.org', '\nBcc: evil@example.org', '\rX: y', '\x00', '\x1b[31m', '\x7f'];

t.test('cf: each mail value with a control character is refused at its line', async (t) => {
  for (const bad of INJECT) {
    const cases: [string, string[]][] = [
      ['emailalert', [`emailalert="ops@example.com${bad}"`, '', ...VIRTUAL]],
      ['emailalert (second address)', [`emailalert=ops@example.com, other@example.com${bad}x`, '', ...VIRTUAL]],
      ['emailalertfrom', [`emailalertfrom=lvsd@example.com${bad}x`, '', ...VIRTUAL]],
      ['smtp', [`smtp=mail.example.com${bad}x`, '', ...VIRTUAL]],
      ['servicename', ['', ...VIRTUAL, `    servicename=web${bad}x`]],
      ['emailalert in a virtual', ['', ...VIRTUAL, `    emailalert=ops@example.com${bad}x`]],
    ];
    for (const [what, lines] of cases) {
      // A LF inside the value splits the line in a cf file: only CR and the others stay inside.
      if (bad.includes('\n')) continue;
      const r = await refusal(lines.join('\n') + '\n');
      const at = lines.findIndex((l) => l.includes(bad)) + 1;
      t.ok(r, `${what} with ${JSON.stringify(bad)} refused`);
      t.equal(r?.line, at, `${what}: reported at line ${at}`);
      t.match(r?.message, `${FILE}:${at}:`, `${what}: message names file and line`);
      t.match(r?.message, /control character/);
    }
  }
});

t.test('yaml: the same values refused (YAML strings can hold LF)', async (t) => {
  for (const bad of INJECT) {
    const q = JSON.stringify(`x${bad}`).slice(1, -1);
    const cases: [string, string][] = [
      ['emailalert', `emailalert: "ops@example.com${q}"\n`],
      ['emailalertfrom', `emailalertfrom: "lvsd@example.com${q}"\n`],
      ['smtp', `smtp: "mail${q}"\n`],
    ];
    for (const [what, head] of cases) {
      const r = await refusal(`${head}virtuals:\n  - virtual: 127.0.0.1:80\n    service: http\n    reals: [127.0.0.2:80 gate]\n`, 'yaml');
      t.ok(r, `${what} with ${JSON.stringify(bad)} refused`);
      t.equal(r?.line, 1, `${what}: at line 1`);
    }
    const r = await refusal(`virtuals:\n  - virtual: 127.0.0.1:80\n    service: http\n    servicename: "web${q}"\n    reals: [127.0.0.2:80 gate]\n`, 'yaml');
    t.equal(r?.line, 4, `servicename with ${JSON.stringify(bad)} refused at line 4`);
  }
});

t.test('ordinary values pass, also in a file with CRLF line endings', async (t) => {
  const lines = ['emailalert="Ops <ops@example.com>, root"', 'emailalertfrom=lvsd@example.com', 'smtp=mail.example.com:25', '', ...VIRTUAL, '    servicename=web\tfront'];
  t.equal(await refusal(lines.join('\n') + '\n'), undefined, 'LF file');
  t.equal(await refusal(lines.join('\r\n') + '\r\n'), undefined, 'CRLF file: the line-ending CR is no part of the value');
});

t.test('lvsd -t refuses an injecting config with exit 2 and FILE:LINE', async (t) => {
  const dir = new TempDir();
  t.teardown(() => dir.remove());
  const cf = dir.file('ldirectord.cf', ['emailalert="ops@example.com\rBcc: evil@example.org"', '', ...VIRTUAL, ''].join('\n'));
  const r = await runCli(['-t', cf]);
  t.equal(r.code, 2);
  t.match(r.stderr, `${cf}:1: emailalert=`);
});
