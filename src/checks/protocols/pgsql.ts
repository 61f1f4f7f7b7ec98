// service=pgsql (spec §6): log in with login/passwd/database, run the request as SQL; up when it
// returns at least one row (or, for a statement without a result set, affects one, as DBI's
// rows() did). Unlike ldirectord, the whole exchange is under negotiatetimeout, the connection is
// always closed, and the check stops reading at the first row.
import net from 'node:net';
import pg from 'pg';
import { down, runCheck, up } from '../deadline.js';
import type { CheckResult, CheckTarget, Checker } from '../types.js';
import { socketTracker } from './capped-socket.js';
import { MAX_SQL_BYTES, sqlQuery } from './sql.js';

async function pgsqlCheck(target: CheckTarget, signal: AbortSignal): Promise<CheckResult> {
  const sql = sqlQuery(target);
  if ('error' in sql) return down(sql.error);
  const sockets = socketTracker(MAX_SQL_BYTES, signal);
  const client = new pg.Client({
    host: target.host,
    port: target.port,
    user: target.login,
    password: target.passwd,
    ...(target.database ? { database: target.database } : {}),
    connectionTimeoutMillis: Math.max(1, target.negotiatetimeout * 1000),
    stream: () => sockets.track(new net.Socket()),
  });
  client.on('error', () => undefined); // a dropped connection is reported by connect() or the query
  try {
    await client.connect();
    return await new Promise<CheckResult>((resolve, reject) => {
      // With a 'row' listener pg does not accumulate rows, so memory stays flat.
      const q = client.query(new pg.Query(sql.query));
      q.on('error', reject);
      q.on('row', () => resolve(up('Success')));
      q.on('end', (r: pg.QueryResult) => resolve((r.rowCount ?? 0) > 0 ? up('Success') : down('query returned no rows')));
    });
  } finally {
    client.end().catch(() => undefined);
  }
}

export const pgsqlChecker: Checker = {
  check: (target, signal) => runCheck(signal, target.negotiatetimeout, (s) => pgsqlCheck(target, s)),
};
