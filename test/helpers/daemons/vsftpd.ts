// vsftpd on loopback serving one file to anonymous users (passive mode only). Local users are
// disabled, so any other login is refused with a real 530.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freeTcpPort, missingPackages, tempDir } from './env.js';
import { startDaemonIn } from './process.js';

export const vsftpdMissing = (): string | undefined => missingPackages({ '/usr/sbin/vsftpd': 'vsftpd' });

export interface Vsftpd {
  port: number;
  /** path of the served file, as a request. */
  file: string;
  content: string;
  /** a file larger than the checker's 1 MiB cap. */
  bigFile: string;
  stop(): Promise<void>;
}

export async function startVsftpd(): Promise<Vsftpd> {
  const tmp = tempDir('vsftpd');
  const anon = path.join(tmp.dir, 'anon');
  const empty = path.join(tmp.dir, 'empty');
  mkdirSync(anon);
  mkdirSync(empty);
  const content = 'lvsd ftp check: all good\n';
  writeFileSync(path.join(anon, 'health.txt'), content);
  writeFileSync(path.join(anon, 'big.bin'), Buffer.alloc(2 * 1024 * 1024, 0x61));
  chmodSync(anon, 0o555); // vsftpd refuses a writable anonymous root
  const port = await freeTcpPort();
  const conf = path.join(tmp.dir, 'vsftpd.conf');
  writeFileSync(
    conf,
    [
      'listen=YES',
      'listen_address=127.0.0.1',
      `listen_port=${port}`,
      'background=NO',
      'anonymous_enable=YES',
      `anon_root=${anon}`,
      'no_anon_password=NO',
      'local_enable=NO',
      'write_enable=NO',
      'pasv_enable=YES',
      'pasv_address=127.0.0.1',
      'port_enable=NO',
      `secure_chroot_dir=${empty}`,
      'seccomp_sandbox=NO',
      'xferlog_enable=NO',
      'syslog_enable=NO',
      `vsftpd_log_file=${tmp.dir}/log`,
      'ftp_username=ftp',
      '',
    ].join('\n'),
  );
  const stop = await startDaemonIn(tmp, {
    name: 'vsftpd',
    cmd: '/usr/sbin/vsftpd',
    args: [conf],
    tcp: [{ host: '127.0.0.1', port }],
  });
  return {
    port,
    file: '/health.txt',
    content,
    bigFile: '/big.bin',
    stop,
  };
}
