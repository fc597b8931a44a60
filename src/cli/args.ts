// Parsing of command-line values. Every malformed value becomes an InputError with one line
// that names the option and what was wrong, which the CLI prints with exit code 2.

import { InputError } from '../core/model.ts';

/** A positive integer option such as --depth-max 12. */
export function parsePositiveInt(option: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text.trim())) throw new InputError(`${option} must be a positive integer, got '${text}'`);
  const n = Number(text);
  if (n <= 0 || !Number.isSafeInteger(n)) throw new InputError(`${option} must be a positive integer, got '${text}'`);
  return n;
}

/** A positive number of seconds, fractions allowed: --time-limit 2.5 */
export function parseSeconds(option: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0) {
    throw new InputError(`${option} must be a positive number of seconds, got '${text}'`);
  }
  return n;
}

/** --param KEY=VALUE, repeatable; values are integers. */
export function parseParams(items: readonly string[] | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items ?? []) {
    const m = /^([A-Za-z][A-Za-z0-9_]*)=(.*)$/.exec(item);
    if (m === null) throw new InputError(`--param expects KEY=VALUE, got '${item}'`);
    const [, key, value] = m;
    if (!/^-?\d+$/.test(value.trim())) throw new InputError(`--param ${key} must be an integer, got '${value}'`);
    if (key in out) throw new InputError(`--param ${key} is given twice`);
    out[key] = Number(value);
  }
  return out;
}

export function parseChoice<T extends string>(option: string, text: string | undefined, choices: readonly T[]): T | undefined {
  if (text === undefined) return undefined;
  if (!(choices as readonly string[]).includes(text)) {
    throw new InputError(`${option} must be one of ${choices.join(', ')}, got '${text}'`);
  }
  return text as T;
}
