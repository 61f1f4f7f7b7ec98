// The ipvsadm stand-in (test/bin/ipvsadm) against what the real ipvsadm 1.31 printed on a real kernel
// (test/fixtures/ipvsadm-real/transcript.json, recorded in the VM by test/kernel/capture-ipvsadm.js):
// the same command sequence replayed on an empty stand-in table must give the same exit status,
// stdout and stderr, byte for byte. The one normalisation: the real tool was run as `ipvsadm` and
// prints argv[0] in its usage hints, while a node script only knows its resolved path.
// The steps run in one stand-in process (batch mode, helpers.standinBatch): one node start
// instead of one per step; standin.test.ts checks that a batch prints what separate runs print.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { standinBatch, standinEnv } from './helpers.js';

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
  // the VM had one interface for the sync daemon steps (capture-ipvsadm.js SYNC_IF), MTU 1500
  const env = standinEnv({ LVSD_IPVS_STATE: path.join(dir, 'state.json'), LVSD_IPVS_IFACES: 'lvsd-sync0' });

  t.ok(doc.steps.length > 50, `transcript of ipvsadm ${doc.ipvsadm} on ${doc.kernel}`);
  const results = standinBatch(env, doc.steps.map((step) => ({ args: step.args, stdin: step.stdin ?? '' })), standIn);
  doc.steps.forEach((step, i) => {
    const r = results[i]!;
    const name = `#${i + 1} ipvsadm ${step.args.join(' ')}${step.note ? ` (${step.note})` : ''}`;
    const stderr = r.stderr.split(standIn).join(doc.invokedAs);
    t.same({ status: r.code, stdout: r.stdout, stderr }, { status: step.status, stdout: step.stdout, stderr: step.stderr }, name);
  });
}
