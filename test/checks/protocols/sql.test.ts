// service=mysql against a real MariaDB, service=pgsql against a real PostgreSQL, both on
// loopback in throw-away data directories; service=oracle says it is unsupported.
import t from 'tap';
import { mysqlChecker } from '../../../src/checks/protocols/mysql.js';
import { ORACLE_UNSUPPORTED, oracleChecker } from '../../../src/checks/protocols/oracle.js';
import { pgsqlChecker } from '../../../src/checks/protocols/pgsql.js';
import type { Checker, CheckTarget } from '../../../src/checks/types.js';
import { mariadbMissing, startMariaDb } from '../../helpers/daemons/mariadb.js';
import { postgresMissing, startPostgres } from '../../helpers/daemons/postgres.js';
import { never, settles, target } from '../helpers.js';
import { BOUND, closesItsConnections, tcpFailures, tcpSockets } from './common.js';

const run = (c: Checker, over: Partial<CheckTarget>) => settles(c.check(target({ negotiatetimeout: 20, ...over }), never), BOUND);

t.test('mysql against MariaDB', { skip: mariadbMissing() ?? false }, async (t) => {
  const db = await startMariaDb();
  t.teardown(db.stop);
  const base = { service: 'mysql', port: db.port, login: db.user, passwd: db.password, database: db.database } as const;

  const before = tcpSockets();
  t.same(await run(mysqlChecker, { ...base, request: '/SELECT v FROM beat' }), { ok: true, message: 'Success' }, 'a row: up');
  await closesItsConnections(t, before);
  t.same(await run(mysqlChecker, { ...base, request: 'SELECT v FROM beat WHERE v > 1' }), { ok: false, message: 'query returned no rows' }, 'no row: down');
  t.same(
    await run(mysqlChecker, { ...base, request: '/SELECT seq FROM seq_1_to_100000' }),
    { ok: true, message: 'Success' },
    'a large result: up at the first row, within the byte cap',
  );
  t.match(await run(mysqlChecker, { ...base, request: '/SELECT 1', passwd: 'wrong' }), { ok: false, message: /Access denied/ }, 'wrong password');
  t.match(await run(mysqlChecker, { ...base, request: '/SELECT * FROM nowhere' }), { ok: false, message: /doesn't exist/ }, 'a bad query');
  t.same(
    await run(mysqlChecker, { ...base, request: '/SELECT SLEEP(30)', negotiatetimeout: 1 }),
    { ok: false, message: 'timeout after 1s' },
    'a slow query is bounded by negotiatetimeout (ldirectord had no SQL timeout)',
  );
  t.same(await run(mysqlChecker, { ...base, login: '', request: '/SELECT 1' }), {
    ok: false,
    message: 'mysql check needs login and request (the SQL query)',
  });
});

t.test('pgsql against PostgreSQL', { skip: postgresMissing() ?? false }, async (t) => {
  const db = await startPostgres();
  t.teardown(db.stop);
  const base = { service: 'pgsql', port: db.port, login: db.user, passwd: db.password, database: db.database } as const;

  const before = tcpSockets();
  t.same(await run(pgsqlChecker, { ...base, request: '/SELECT 1' }), { ok: true, message: 'Success' }, 'a row: up');
  await closesItsConnections(t, before);
  t.same(await run(pgsqlChecker, { ...base, request: '/SELECT 1 WHERE false' }), { ok: false, message: 'query returned no rows' }, 'no row: down');
  t.same(
    await run(pgsqlChecker, { ...base, request: '/SELECT g FROM generate_series(1, 1000000) g' }),
    { ok: true, message: 'Success' },
    'a large result: up at the first row, within the byte cap',
  );
  t.match(await run(pgsqlChecker, { ...base, request: '/SELECT 1', passwd: 'wrong' }), { ok: false, message: /password authentication failed/ }, 'wrong password');
  t.match(await run(pgsqlChecker, { ...base, request: '/SELECT 1', database: 'nope' }), { ok: false, message: /does not exist/ }, 'no such database');
  t.same(
    await run(pgsqlChecker, { ...base, request: '/SELECT pg_sleep(30)', negotiatetimeout: 1 }),
    { ok: false, message: 'timeout after 1s' },
    'a slow query is bounded by negotiatetimeout (ldirectord had no SQL timeout)',
  );
});

// Floods start with a packet header announcing more than the cap: MySQL's 3-byte length
// 0xffffff, PostgreSQL's message 'A' (NotificationResponse) of length 0x7fffffff.
t.test('mysql failures', async (t) =>
  tcpFailures(t, mysqlChecker, { service: 'mysql', login: 'u', request: '/SELECT 1' }, { flood: Buffer.from([0xff, 0xff, 0xff, 0]) }));
t.test('pgsql failures', async (t) =>
  tcpFailures(t, pgsqlChecker, { service: 'pgsql', login: 'u', request: '/SELECT 1' }, { flood: Buffer.from([0x41, 0x7f, 0xff, 0xff, 0xff]) }));

t.test('oracle is refused with a clear reason', async (t) => {
  t.same(await oracleChecker.check(target({ service: 'oracle', login: 'u', request: '/SELECT 1 FROM dual' }), never), {
    ok: false,
    message: ORACLE_UNSUPPORTED,
  });
});
