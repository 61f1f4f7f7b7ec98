// Applying one change to an in-memory table with the kernel's rules and ipvsadm's error texts.
// Used for lvsd's cached view of the kernel after a successful batch.
import type { Change, Service, Table } from './types.js';
import { serviceKeyString } from './types.js';

export class TableOpError extends Error {}

function find(table: Table, key: Service['key']): Service | undefined {
  const k = serviceKeyString(key);
  return table.services.find((s) => serviceKeyString(s.key) === k);
}

export function applyChangeToTable(table: Table, c: Change): void {
  const svc = find(table, c.service);
  switch (c.op) {
    case 'add-service':
      if (svc) throw new TableOpError('Service already exists');
      table.services.push({ key: c.service, ...c.attrs, dests: [] });
      return;
    case 'edit-service':
      if (!svc) throw new TableOpError('No such service');
      Object.assign(svc, c.attrs);
      return;
    case 'del-service':
      if (!svc) throw new TableOpError('No such service');
      table.services.splice(table.services.indexOf(svc), 1);
      return;
  }
  if (!svc) throw new TableOpError('Service not defined');
  const addr = c.op === 'del-dest' ? c.address : c.dest.address;
  const port = c.op === 'del-dest' ? c.port : c.dest.port;
  const i = svc.dests.findIndex((d) => d.address === addr && d.port === port);
  if (c.op === 'add-dest') {
    if (i >= 0) throw new TableOpError('Destination already exists');
    svc.dests.push({ ...c.dest });
  } else if (i < 0) {
    throw new TableOpError('No such destination');
  } else if (c.op === 'edit-dest') {
    svc.dests[i] = { ...c.dest };
  } else {
    svc.dests.splice(i, 1);
  }
}
