import { change, duration } from './format';

describe('dashboard number formats', () => {
  it.each([
    [null, '—'],
    [0.4, '0 s'],
    [45, '45 s'],
    [60, '1 m'],
    [725, '12 m 5 s'],
    [4320, '1 h 12 m'],
    [2809.5, '46 m 50 s'],
    [86766.1, '1 d'],
    [273_600, '3 d 4 h'],
  ])('writes %p seconds as %p', (seconds, text) => {
    expect(duration(seconds)).toBe(text);
  });

  it('gives the change against the previous range, or says there was none before', () => {
    expect(change(120, 100)).toEqual({ text: '+20 %', direction: 'up' });
    expect(change(99, 100)).toEqual({ text: '-1 %', direction: 'down' });
    expect(change(5, 0)).toEqual({ text: 'new', direction: 'up' });
    expect(change(0, 0)).toEqual({ text: 'no change', direction: 'same' });
  });
});
