// Entry points the daemon and CLI use: read a configuration in either format, and
// write one out (`lvsd convert`).
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ConfigError } from './errors.js';
import type { Config } from './model.js';
import { parseLdirectordCf } from './ldirectord-cf.js';
import { parseYaml } from './yaml.js';
import { writeCf } from './write-cf.js';
import { writeYaml } from './write-yaml.js';

export type ConfigFormat = 'cf' | 'yaml';

/** `.yaml`/`.yml` → YAML, anything else → ldirectord.cf. */
export function formatOf(path: string): ConfigFormat {
  return /\.ya?ml$/i.test(path) ? 'yaml' : 'cf';
}

/** Reads and parses a file; Config.file is its absolute path. Throws ConfigError. */
export async function loadConfig(path: string): Promise<Config> {
  const file = resolve(path);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new ConfigError(file, 0, `cannot read the configuration file: ${(e as Error).message}`);
  }
  return parseConfigText(text, file, formatOf(file));
}

export async function parseConfigText(text: string, file: string, format: ConfigFormat): Promise<Config> {
  return format === 'yaml' ? parseYaml(text, file) : parseLdirectordCf(text, file);
}

/** The configuration as text in the given format; throws ConfigError for what cf cannot express. */
export function formatConfig(cfg: Config, format: ConfigFormat): string {
  return format === 'yaml' ? writeYaml(cfg) : writeCf(cfg);
}
