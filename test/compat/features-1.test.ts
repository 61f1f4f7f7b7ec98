// Differential suite, feature cases (part 1 of 2; the parts run as separate tap files, in parallel).
import t from 'tap';
import { FEATURES_1 } from './cases/features.js';
import { compareCases } from './lib/report.js';

t.setTimeout(1_800_000);
compareCases(t, FEATURES_1);
