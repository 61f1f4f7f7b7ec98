// service=mysql (spec §6): log in with login/passwd/database, run the request as SQL; up when it
// returns at least one row (or, for a statement without a result set, affects one, as DBI's
// rows() did). Unlike ldirectord, the whole exchange is under negotiatetimeout, the connection is
// always closed, and the check stops reading at the first row.
import net from 'node:net';
import mysql from 'mysql2';
import { down, runCheck, up } from '../deadline.js';
import type { CheckResult, CheckTarget, Checker } from '../types.js';
import { socketTracker } from './capped-socket.js';
import { MAX_SQL_BYTES, sqlQuery } from './sql.js';

function mysqlCheck(target: CheckTarget, signal: AbortSignal): Promise<CheckResult> {
  const sql = sqlQuery(target);
  if ('error' in sql) return Promise.resolve(down(sql.error));
  const sockets = socketTracker(MAX_SQL_BYTES, signal);
  const conn = mysql.createConnection({
    host: target.host,
    port: target.port,
    user: target.login,
    password: target.passwd,
    ...(target.database ? { database: target.database } : {}),
    connectTimeout: Math.max(1, target.negotiatetimeout * 1000),
    multipleStatements: false,
    stream: () => sockets.track(net.connect(target.port, target.host)),
  });
  return new Promise<CheckResult>((resolve, reject) => {
    // Connection and login errors reach the connection, not a query queued without a callback.
    conn.on('error', reject);
    let resultSet = false;
    const q = conn.query(sql.query);
    q.on('error', reject);
    q.on('fields', (fields: unknown) => {
      resultSet = fields !== undefined;
    });
    q.on('result', (row: unknown) => {
      if (resultSet) resolve(up('Success'));
      else if (((row as { affectedRows?: number }).affectedRows ?? 0) > 0) resolve(up('Success'));
    });
    q.on('end', () => resolve(down('query returned no rows')));
  }).finally(() => conn.destroy());
}

export const mysqlChecker: Checker = {
  check: (target, signal) => runCheck(signal, target.negotiatetimeout, (s) => mysqlCheck(target, s)),
};
