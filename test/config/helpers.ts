// Shared helpers for the config tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { parseConfigText } from '../../src/config/load.js';
import { ConfigError } from '../../src/config/errors.js';
import type { Config } from '../../src/config/model.js';

/** A scratch directory removed when the test ends. */
export function scratch(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-config-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function cf(text: string, file = '/test/ldirectord.cf'): Promise<Config> {
  return parseConfigText(text, file, 'cf');
}

export function yaml(text: string, file = '/test/lvsd.yaml'): Promise<Config> {
  return parseConfigText(text, file, 'yaml');
}

/** The ConfigError a parse throws (fails the test when it does not throw one). */
export async function configError(t: Test, p: Promise<unknown>): Promise<ConfigError | undefined> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ConfigError) return e;
    t.fail(`threw something else: ${String(e)}`);
    return undefined;
  }
  t.fail('parsed without error');
  return undefined;
}

/** The model without where it came from: what two front ends / a round trip must agree on. */
export function comparable(cfg: Config): unknown {
  return JSON.parse(JSON.stringify({ global: cfg.global, virtuals: cfg.virtuals }, (k, v) => (k === 'source' ? undefined : v)));
}
