import { SwitchboardError } from './errors.js';

/** Configuration is unusable; lists every missing or malformed variable by name. */
export class ConfigError extends SwitchboardError {
  constructor(problems: string[]) {
    super('config_invalid', `invalid configuration: ${problems.join('; ')}`, {
      retryable: false,
      details: { problems },
    });
  }
}

/**
 * Reads environment variables into a typed object once, at start, collecting every problem
 * before failing, so that one run of a misconfigured service names all that is wrong.
 */
export class EnvReader {
  private readonly problems: string[] = [];
  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  /** A required string. */
  string(name: string): string;
  /** An optional string with a default. */
  string(name: string, fallback: string): string;
  string(name: string, fallback?: string): string {
    const v = this.env[name];
    if (v !== undefined && v !== '') return v;
    if (fallback !== undefined) return fallback;
    this.problems.push(`${name} is required`);
    return '';
  }

  /** An optional string, undefined when unset. */
  optional(name: string): string | undefined {
    const v = this.env[name];
    return v === undefined || v === '' ? undefined : v;
  }

  /** An integer within [min, max]. */
  int(name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    const v = this.env[name];
    if (v === undefined || v === '') return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) {
      this.problems.push(`${name} must be an integer in [${min}, ${max}], got '${v}'`);
      return fallback;
    }
    return n;
  }

  /** A boolean (`true/false/1/0`). */
  bool(name: string, fallback: boolean): boolean {
    const v = this.env[name];
    if (v === undefined || v === '') return fallback;
    if (/^(true|1|yes)$/i.test(v)) return true;
    if (/^(false|0|no)$/i.test(v)) return false;
    this.problems.push(`${name} must be true or false, got '${v}'`);
    return fallback;
  }

  /** Records a problem found by a check across variables, reported with the others by {@link done}. */
  problem(message: string): void {
    this.problems.push(message);
  }

  /** Throws a {@link ConfigError} naming every problem found so far. */
  done(): void {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
  }
}
