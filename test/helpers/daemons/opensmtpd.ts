// OpenSMTPD on loopback: one listener that greets normally (smtp), one with a different
// hostname (submission), and one whose connect filter turns every client away with 554.
// OpenSMTPD keeps its control socket and queue at fixed paths, so one instance per machine:
// tests of both smtp and submission share this one.
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freeTcpPort, missingPackages, tempDir } from './env.js';
import { startDaemonIn } from './process.js';

export const opensmtpdMissing = (): string | undefined => missingPackages({ '/usr/sbin/smtpd': 'opensmtpd' });

export interface OpenSmtpd {
  smtpPort: number;
  submissionPort: number;
  /** a listener that answers every connection with `554 no service here`. */
  rejectPort: number;
  stop(): Promise<void>;
}

export async function startOpenSmtpd(): Promise<OpenSmtpd> {
  const tmp = tempDir('smtpd');
  const [smtpPort, submissionPort, rejectPort] = [await freeTcpPort(), await freeTcpPort(), await freeTcpPort()];
  const conf = path.join(tmp.dir, 'smtpd.conf');
  writeFileSync(
    conf,
    [
      'table refused { 127.0.0.1 }',
      'filter "refuse" phase connect match src <refused> disconnect "554 no service here"',
      `listen on 127.0.0.1 port ${smtpPort}`,
      `listen on 127.0.0.1 port ${submissionPort} hostname submission.test`,
      `listen on 127.0.0.1 port ${rejectPort} filter "refuse"`,
      'action "local" mbox',
      'match for local action "local"',
      '',
    ].join('\n'),
  );
  chmodSync(conf, 0o600);
  const stop = await startDaemonIn(tmp, {
    name: 'smtpd',
    cmd: '/usr/sbin/smtpd',
    args: ['-d', '-f', conf],
    tcp: [smtpPort, submissionPort, rejectPort].map((port) => ({ host: '127.0.0.1', port })),
  });
  return {
    smtpPort,
    submissionPort,
    rejectPort,
    stop,
  };
}
