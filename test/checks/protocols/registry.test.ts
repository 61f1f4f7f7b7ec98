// The registry sends every negotiate service of this directory to its checker.
import t from 'tap';
import { protocolCheckers } from '../../../src/checks/protocols/index.js';
import { checkerFor } from '../../../src/checks/registry.js';
import type { Service } from '../../../src/config/model.js';
import { target } from '../helpers.js';

t.test('negotiate dispatch for the protocol services', async (t) => {
  const services: Service[] = ['smtp', 'submission', 'pop', 'pops', 'imap', 'imaps', 'nntp', 'ftp', 'ldap', 'ldaps', 'radius', 'mysql', 'pgsql', 'oracle'];
  t.same(Object.keys(protocolCheckers).sort(), [...services].sort(), 'one entry per service, no other');
  for (const service of services) {
    t.equal(checkerFor(target({ service })), protocolCheckers[service as keyof typeof protocolCheckers], service);
  }
  t.equal(checkerFor(target({ service: 'submission' })), checkerFor(target({ service: 'smtp' })), 'submission is smtp');
});
