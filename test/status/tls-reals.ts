// https real servers for the certificate tests: a certificate openssl makes with a chosen
// lifetime, and a server that answers OK with it (and can be given another while it runs).
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { hasCommand } from '../checks/helpers.js';
import { selfSignedCert } from '../helpers/daemons/env.js';
import type { TempDir } from '../helpers/lvsd.js';

export const noOpenssl = hasCommand('openssl') ? false : 'openssl (Debian package openssl) is needed to make test certificates';

export interface Cert {
  key: Buffer;
  cert: Buffer;
}

/** A self-signed certificate for CN=`cn`, valid `days` from now. */
export function makeCert(dir: TempDir, name: string, cn: string, days: number): Cert {
  const files = selfSignedCert(dir.path, { cn, days, name });
  return { key: readFileSync(files.key), cert: readFileSync(files.cert) };
}

/** An https server answering OK on `host` (any free port); closed at teardown. */
export async function httpsReal(t: { teardown(fn: () => unknown): void }, host: string, cert: Cert): Promise<{ addr: string; server: https.Server }> {
  const server = https.createServer(cert, (_req, res) => res.end('OK'));
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, host, () => ok());
  });
  t.teardown(() => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });
  return { addr: `${host}:${(server.address() as AddressInfo).port}`, server };
}
