/** Option checks shared by the CLI commands: each bad value is one CliError naming the flag. */
import { CliError } from './cli-error.ts';

export function wholeNumberOption(name: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min) throw new CliError(`--${name} must be a whole number ≥ ${min}`);
  return number;
}

export function numberOption(name: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || number < min) throw new CliError(`--${name} must be a number ≥ ${min}`);
  return number;
}

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** "24h", "90s", "1.5d", "250ms" → milliseconds (a bare number is seconds). */
export function durationOption(name: string, value: string | undefined, fallbackMs: number): number {
  if (value === undefined) return fallbackMs;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(value.trim());
  const ms = match ? Number(match[1]) * UNIT_MS[(match[2] ?? 's') as keyof typeof UNIT_MS] : NaN;
  if (!(ms > 0)) throw new CliError(`--${name} must be a positive duration such as 90s, 30m, 24h or 1d`);
  return Math.round(ms);
}

/** An http(s) base URL without a trailing slash. */
export function serverOption(value: string | undefined, fallback: string): string {
  const raw = value ?? fallback;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(`--server must be a URL such as http://127.0.0.1:8787 (got "${raw}")`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError(`--server must be an http or https URL (got "${raw}")`);
  return raw.replace(/\/+$/, '');
}

/** AUTH_SECRET, or undefined when unset. */
export function authSecretFromEnv(): string | undefined {
  return process.env['AUTH_SECRET'] || undefined;
}
