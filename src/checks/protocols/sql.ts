// What the mysql and pgsql checks share (spec §6, check_sql): the query is the request minus its
// leading "/", and like ldirectord both a login and a query are required.
import type { CheckTarget } from '../types.js';

/** Most bytes a database may send to one check; a health query needs far less. */
export const MAX_SQL_BYTES = 1024 * 1024;

/** The query to run, or the reason the check cannot run. */
export function sqlQuery(target: CheckTarget): { query: string } | { error: string } {
  const query = target.request.replace(/^\//, '');
  if (!target.login || !query) {
    return { error: `${target.service} check needs login and request (the SQL query)` };
  }
  return { query };
}
