import { CommandError, refuseOption, UsageError, wholeNumberOption } from './command-errors';

describe('command errors', () => {
  it('names the option, what it must be and what it was given', () => {
    expect(() => refuseOption('--team-id', 'T 1', 'a Slack team id')).toThrow(
      new UsageError('--team-id must be a Slack team id, not "T 1"'),
    );
    expect(new UsageError('--to needs --from').message).toBe('--to needs --from (--help lists the options)');
    expect(new UsageError('x')).toBeInstanceOf(CommandError);
  });

  it.each(['0', '1.5', 'ten', '', '101'])('refuses %j as a whole number from 1 to 100', (text) => {
    expect(() => wholeNumberOption('--batch-size', text, 1, 100, 'a whole number from 1 to 100')).toThrow(
      `--batch-size must be a whole number from 1 to 100, not ${JSON.stringify(text)}`,
    );
  });

  it('reads a whole number within its bounds', () => {
    expect(wholeNumberOption('--batch-size', '100', 1, 100, 'a whole number')).toBe(100);
  });
});
