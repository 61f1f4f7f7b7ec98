// The once-per-certificate rule of certwarndays (the pure part; cert-expiry.test.ts runs it in the daemon).
import t from 'tap';
import { CertWarnings } from '../../src/health/cert-watch.js';
import { daysLeft } from '../../src/checks/cert.js';
import type { CertInfo } from '../../src/checks/types.js';

const NOW = Date.UTC(2026, 11, 1);
const DAY = 86_400_000;
const cert = (fingerprint: string, days: number): CertInfo => ({ fingerprint, subject: 'www.example.test', notAfter: NOW + days * DAY });

t.test('warns once per certificate and virtual service, within the window only', async (t) => {
  const w = new CertWarnings();
  t.equal(w.shouldWarn('tcp:v:443', cert('A', 3), 0, 2, NOW), false, 'certwarndays=0: off');
  t.equal(w.shouldWarn('tcp:v:443', cert('A', 15), 14, 2, NOW), false, 'outside the window');
  t.equal(w.shouldWarn('tcp:v:443', cert('A', 14), 14, 2, NOW), true, 'on its edge: warned');
  t.equal(w.shouldWarn('tcp:v:443', cert('A', 14), 14, 2, NOW + DAY), false, 'the same certificate: not again');
  t.equal(w.shouldWarn('tcp:w:443', cert('A', 14), 14, 2, NOW), true, 'another virtual service (other recipients) is told too');
  t.equal(w.shouldWarn('tcp:v:443', cert('B', 10), 14, 2, NOW), true, 'a renewed certificate near expiry: warned again');
  t.equal(w.shouldWarn('tcp:v:443', cert('C', -2), 14, 2, NOW), true, 'an expired one is warned about');
  w.keepOnly(new Set(['tcp:w:443']));
  t.equal(w.shouldWarn('tcp:v:443', cert('A', 14), 14, 2, NOW), true, 'a virtual service that left the config is forgotten');
  t.equal(w.shouldWarn('tcp:w:443', cert('A', 14), 14, 2, NOW), false, 'the others are kept');
});

t.test('memory is bounded by the virtual service size, oldest certificates out first', async (t) => {
  const w = new CertWarnings();
  for (let i = 0; i < 1000; i++) w.shouldWarn('v', cert(`F${i}`, 1), 14, 2, NOW);
  t.equal(w.shouldWarn('v', cert('F999', 1), 14, 2, NOW), false, 'the newest is still known');
  t.equal(w.shouldWarn('v', cert('F0', 1), 14, 2, NOW), true, 'the oldest was let go');
});

t.test('days left: one decimal, rounded down, negative once expired', async (t) => {
  t.equal(daysLeft(NOW + 2.99 * DAY, NOW), 2.9);
  t.equal(daysLeft(NOW - 0.5 * DAY, NOW), -0.5);
});
