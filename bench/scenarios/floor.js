// Scenario 7: the floor. The checks of scenario 1, made by bare Node (lib/floor-client.js, no lvsd
// code) against the same farm: the CPU per check any Node process pays here, which bounds what
// lvsd can reach (its CPU per check minus this is lvsd's own work).
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT, hostOf, log } from '../lib/util.js';

export async function floorRun(session, n, check, { count, concurrency }) {
  await session.farm.ensure(n, session.port);
  await session.farm.reset(n);
  const args = { hosts: Array.from({ length: n }, (_, i) => hostOf(i)), port: session.port, check, count, concurrency };
  const { stdout } = await promisify(execFile)(process.execPath, [path.join(ROOT, 'bench', 'lib', 'floor-client.js'), JSON.stringify(args)], { timeout: 300_000 });
  const fig = JSON.parse(stdout);
  if (fig.failed > count / 100) throw new Error(`${fig.failed} of ${count} checks failed`);
  log(`  floor ${check} over ${n} servers: ${fig.cpuPerCheckMs.toFixed(3)} ms CPU/check at ${fig.checksPerSec.toFixed(0)} checks/s`);
  return fig;
}
