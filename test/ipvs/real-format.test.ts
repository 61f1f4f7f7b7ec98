// The ipvsadm stand-in (test/bin/ipvsadm) against what the real ipvsadm 1.31 printed on a real kernel
// (test/fixtures/ipvsadm-real/transcript.json, recorded in the VM by test/kernel/capture-ipvsadm.js):
// the same command sequence replayed on an empty stand-in table must give the same exit status,
// stdout and stderr, byte for byte. The one normalisation: the real tool was run as `ipvsadm` and
// prints argv[0] in its usage hints, while a node script only knows its resolved path.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const standIn = path.resolve(here, '../bin/ipvsadm');
const fixture = path.resolve(here, '../fixtures/ipvsadm-real/transcript.json');

interface Step { note: string; args: string[]; stdin?: string; status: number; stdout: string; stderr: string }
interface Transcript { ipvsadm: string; kernel: string; invokedAs: string; steps: Step[] }

if (!fs.existsSync(standIn)) {
  t.skip('test/bin/ipvsadm (the stand-in) is not there yet');
} else {
  const doc = JSON.parse(fs.readFileSync(fixture, 'utf8')) as Transcript;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lvsd-real-format-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const env = { ...process.env, LVSD_IPVS_STATE: path.join(dir, 'state.json') };

  t.ok(doc.steps.length > 50, `transcript of ipvsadm ${doc.ipvsadm} on ${doc.kernel}`);
  doc.steps.forEach((step, i) => {
    const r = spawnSync(process.execPath, [standIn, ...step.args], {
      input: step.stdin ?? '', encoding: 'utf8', env, timeout: 20_000,
    });
    const name = `#${i + 1} ipvsadm ${step.args.join(' ')}${step.note ? ` (${step.note})` : ''}`;
    const stderr = r.stderr.split(standIn).join(doc.invokedAs);
    t.same({ status: r.status, stdout: r.stdout, stderr }, { status: step.status, stdout: step.stdout, stderr: step.stderr }, name);
  });
}
