/**
 * A command that cannot do what it was asked, for a reason its message
 * explains to whoever ran it: an unusable option, input it refuses, a run
 * that failed. Thrown from a command, it ends the worker with exit code 1 and
 * the message alone (see main.ts); anything else thrown is logged with its
 * stack.
 */
export class CommandError extends Error {}

/** An option or argument the command cannot use, refused before it does anything. */
export class UsageError extends CommandError {
  constructor(problem: string) {
    super(`${problem} (--help lists the options)`);
  }
}

/** Refuses an option's value, naming the option, what it must be and what it was given. */
export function refuseOption(option: string, given: string, mustBe: string): never {
  throw new UsageError(`${option} must be ${mustBe}, not ${JSON.stringify(given)}`);
}

/** An option's text as a whole number from `min` to `max`, or refused saying it `mustBe` one. */
export function wholeNumberOption(option: string, text: string, min: number, max: number, mustBe: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) refuseOption(option, text, mustBe);
  return value;
}
