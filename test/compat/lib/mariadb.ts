// A throw-away MariaDB that also holds what the corpus file ldirectord-mariadb.cf checks for:
// database rft, user monetiq/monetiq, a row for "SELECT us_login FROM user_session LIMIT 1".
// One server serves both reals of the case through per-real TCP proxies (reals.ts, "proxy").
import { execFileSync } from 'node:child_process';
import { mariadbMissing, startMariaDb, type MariaDb } from '../../helpers/daemons/mariadb.js';

/** ldirectord's mysql check needs DBI's MySQL driver, which its package only suggests. Asked once, at load. */
const why = ((): string | undefined => {
  const missing = mariadbMissing();
  if (missing) return missing;
  try {
    execFileSync('perl', ['-MDBD::mysql', '-e1'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return "Debian package libdbd-mysql-perl is not installed (ldirectord's mysql check needs DBD::mysql); see .ci/apt-packages.txt";
  }
})();

export const mariadbSkip = (): string | undefined => why;

export function startCorpusMariaDb(): Promise<MariaDb> {
  return startMariaDb(`CREATE DATABASE rft;
CREATE TABLE rft.user_session (us_login VARCHAR(32));
INSERT INTO rft.user_session VALUES ('compat');
CREATE USER 'monetiq'@'127.0.0.1' IDENTIFIED BY 'monetiq';
GRANT SELECT ON rft.* TO 'monetiq'@'127.0.0.1';
`);
}
