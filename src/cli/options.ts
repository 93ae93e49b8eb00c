/** Flag parsers shared by commands: they throw commander's InvalidArgumentError with a clear reason. */
import { InvalidArgumentError } from 'commander';

export function parseInteger(name: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError(`${name} must be a whole number, got '${value}'`);
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`${name} must be between ${min} and ${max}, got ${n}`);
    return n;
  };
}

export function parseFloatIn(
  name: string,
  min: number,
  max: number,
  opts: { exclusiveMin?: boolean; exclusiveMax?: boolean } = {},
) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n))
      throw new InvalidArgumentError(`${name} must be a number, got '${value}'`);
    const lowOk = opts.exclusiveMin ? n > min : n >= min;
    const highOk = opts.exclusiveMax ? n < max : n <= max;
    if (!lowOk || !highOk) {
      throw new InvalidArgumentError(
        `${name} must be in ${opts.exclusiveMin ? '(' : '['}${min}, ${max}${opts.exclusiveMax ? ')' : ']'}, got ${n}`,
      );
    }
    return n;
  };
}
