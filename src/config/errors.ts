// Config errors always carry the file and line they are about, so every front end
// (lvsd -t, a failed reload, the log) can print `FILE:LINE: message`.

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly detail: string,
  ) {
    super(`${file}:${line}: ${detail}`);
    this.name = 'ConfigError';
  }
}

export function isConfigError(e: unknown): e is ConfigError {
  return e instanceof ConfigError;
}
