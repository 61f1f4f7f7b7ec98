// What the daemon helpers share: "is the Debian package there", throw-away directories that
// unprivileged daemon users can traverse, free loopback ports, self-signed certificates.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export { freeTcpPort, freeUdpPort } from '../../checks/helpers.js';

/**
 * Why a suite must be skipped, naming the Debian package, or undefined when it can run.
 * `needs` maps an absolute path to the package that ships it. The daemons start as root and
 * drop to their packaged users, as in production, so a non-root run skips them too.
 */
export function missingPackages(needs: Record<string, string>): string | undefined {
  const missing = Object.entries(needs).filter(([file]) => !existsSync(file));
  if (missing.length === 0) {
    return process.getuid?.() === 0 ? undefined : 'needs root: the daemon starts as root and drops to its own user';
  }
  const pkgs = [...new Set(missing.map(([, pkg]) => pkg))].join(', ');
  return `Debian package(s) not installed: ${pkgs} (missing ${missing.map(([f]) => f).join(', ')}); see .ci/apt-packages.txt`;
}

/** A fresh directory (mode 0755 so daemons that drop root can reach their files) and its remover. */
export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), `lvsd-${prefix}-`));
  chmodSync(dir, 0o755);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A self-signed P-256 certificate, CN=localhost valid 2 days unless told otherwise:
 * { cert, key } file paths in `dir` (named after `name` when given).
 */
export function selfSignedCert(dir: string, opts: { cn?: string; days?: number; name?: string } = {}): { cert: string; key: string } {
  const cn = opts.cn ?? 'localhost';
  const cert = path.join(dir, `${opts.name ?? 'cert'}.pem`);
  const key = path.join(dir, `${opts.name ? `${opts.name}.key` : 'key.pem'}`);
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert,
      '-subj', `/CN=${cn}`, '-addext', `subjectAltName=DNS:${cn}`, '-days', String(opts.days ?? 2)],
    { stdio: 'ignore' },
  );
  chmodSync(key, 0o644); // read by daemons after they drop privileges; a throw-away key
  return { cert, key };
}

/** uid and gid of a system user, from the passwd database. */
export function userIds(name: string): { uid: number; gid: number } {
  const line = execFileSync('getent', ['passwd', name], { encoding: 'utf8' }).split(':');
  return { uid: Number(line[2]), gid: Number(line[3]) };
}
