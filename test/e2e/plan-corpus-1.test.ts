// `lvsd plan` on corpus configs and their edits, cases 0–1 of plan-steps.ts (three files,
// so they run side by side, each well within its bound).
import t from 'tap';
import { CASES, runCase } from './plan-steps.js';

// each step starts the CLI several times; under load that is seconds a start
t.setTimeout(600_000);
CASES.slice(0, 2).forEach((c, i) => {
  t.test(`corpus ${c.file}`, (t) => runCase(t, c, 10 + i));
});
