// The shipped etc/logrotate.d/lvsd run by the real logrotate against a live logger: the file
// is rotated, the postrotate script runs, and the logger writes on into the new file, both
// by itself (it notices the rename) and after reopen() (what the postrotate's SIGUSR1 does).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '../../src/log/logger.js';
import { hasCommand, tempDir } from './helpers.js';

const shipped = new URL('../../etc/logrotate.d/lvsd', import.meta.url);
const noLogrotate = hasCommand('logrotate') ? false : 'logrotate (Debian package logrotate) is not installed';

t.test('the shipped snippet parses', { skip: noLogrotate }, async (t) => {
  const dir = tempDir(t);
  const r = spawnSync('logrotate', ['-d', '-s', join(dir, 'state'), shipped.pathname], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  t.notMatch(r.stderr, /error/i);
});

t.test('rotation by the real logrotate with the shipped settings', { skip: noLogrotate }, async (t) => {
  const dir = tempDir(t);
  const log = join(dir, 'lvsd.log');
  const marker = join(dir, 'postrotate-ran');
  // the shipped snippet, pointed at this directory; postrotate leaves a mark instead of
  // signalling a systemd unit that does not exist here
  const conf = readFileSync(shipped, 'utf8')
    .replace('/var/log/lvsd.log /var/log/lvsd/*.log', log)
    .replace(/^\s*systemctl kill .*$/m, `        touch ${marker}`);
  t.match(conf, log);
  writeFileSync(join(dir, 'lvsd.conf'), conf);

  const logger = createLogger({ logfile: log, cfgname: 't.cf', pid: 1 });
  t.teardown(() => logger.close());
  logger.log('info', 'before rotation');
  const r = spawnSync('logrotate', ['-f', '-s', join(dir, 'state'), join(dir, 'lvsd.conf')], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  t.ok(existsSync(`${log}.1`), 'rotated to .1 (compression is delayed)');
  t.ok(existsSync(marker), 'postrotate ran');
  t.equal(statSync(log).mode & 0o777, 0o640, 'new file created 0640');
  t.equal(statSync(log).size, 0);

  logger.log('info', 'after rotation');
  logger.reopen();
  logger.log('info', 'after reopen');
  t.match(readFileSync(`${log}.1`, 'utf8'), /\] before rotation\n$/);
  t.match(readFileSync(log, 'utf8'), /\] after rotation\n.*\] after reopen\n$/);
});
