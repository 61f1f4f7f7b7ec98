// JamNNTPd, a small standalone NNTP server (Debian's INN2 cannot be installed on a host
// without a resolvable FQDN: its postinst fails). `broken: true` starts it with no newsgroups
// configured, so it greets with a 503 error banner, a real server's "service unavailable".
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { freeTcpPort, missingPackages, tempDir } from './env.js';
import { startDaemonIn } from './process.js';

export const jamnntpdMissing = (): string | undefined => missingPackages({ '/usr/sbin/jamnntpd': 'jamnntpd' });

export async function startJamnntpd(opts: { broken?: boolean } = {}): Promise<{ port: number; stop(): Promise<void> }> {
  const tmp = tempDir('jamnntpd');
  const f = (name: string, text: string): string => {
    writeFileSync(path.join(tmp.dir, name), text);
    return path.join(tmp.dir, name);
  };
  const port = await freeTcpPort();
  // It binds every address; the allow file admits loopback clients only.
  const args = ['-p', String(port), '-a', f('allow', '127.0.0.1 * *\n'), '-u', f('users', ''),
    '-g', f('groups', opts.broken ? '' : `LVSD.TEST A 2:1/1 ${tmp.dir}/lvsdtest\n`),
    '-x', '/etc/jamnntpd.xlat', '-l', path.join(tmp.dir, 'log'), '-noecholog'];
  const stop = await startDaemonIn(tmp, {
    name: 'jamnntpd',
    cmd: '/usr/sbin/jamnntpd',
    args,
    cwd: tmp.dir,
    tcp: [{ host: '127.0.0.1', port }],
  });
  return {
    port,
    stop,
  };
}
