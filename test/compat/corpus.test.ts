// Differential suite, the corpus: every file of test/fixtures/configs under both daemons.
import t from 'tap';
import { CORPUS } from './cases/corpus.js';
import { compareCases } from './lib/report.js';

t.setTimeout(1_800_000);
compareCases(t, CORPUS);
