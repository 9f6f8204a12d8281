import { addDays, canAddDays, dayInZone, daysInclusive, eachDay, isIsoDay } from './calendar';

describe('calendar days', () => {
  it('accepts only real dates written YYYY-MM-DD', () => {
    expect(['2024-02-29', '2025-12-31'].every(isIsoDay)).toBe(true);
    expect(['2025-02-29', '2025-13-01', '2025-1-01', '20250101', '', 20250101].some(isIsoDay)).toBe(false);
  });

  it('accepts only the supported days, 1970-01-01 to 9999-12-31, and never steps out of them', () => {
    expect(['1970-01-01', '9999-12-31'].every(isIsoDay)).toBe(true);
    expect(['1969-12-31', '0099-12-07', '0001-01-01', '0000-01-01', '+010000-01-01', '10000-01-01'].some(isIsoDay)).toBe(false);
    expect(() => addDays('9999-12-31', 1)).toThrow(RangeError);
    expect(() => addDays('1970-01-05', -29)).toThrow(RangeError);
    expect(canAddDays('9999-12-04', 27)).toBe(true);
    expect(canAddDays('9999-12-05', 27)).toBe(false);
    expect(eachDay('9999-12-30', '9999-12-31')).toEqual(['9999-12-30', '9999-12-31']);
    expect(eachDay('9999-12-31', '9999-12-31')).toEqual(['9999-12-31']);
    expect(eachDay('2025-01-02', '2025-01-01')).toEqual([]);
    expect(daysInclusive('1970-01-01', '9999-12-31')).toBe(2_932_897);
  });

  it('counts and steps whole days across month, year and DST boundaries', () => {
    expect(addDays('2024-12-31', 1)).toBe('2025-01-01');
    expect(addDays('2025-03-31', -31)).toBe('2025-02-28');
    expect(daysInclusive('2025-03-29', '2025-04-02')).toBe(5);
    expect(eachDay('2025-03-30', '2025-04-01')).toEqual(['2025-03-30', '2025-03-31', '2025-04-01']);
  });

  it('places an instant on the calendar day of the zone', () => {
    const lateEvening = new Date('2025-02-19T23:30:00Z');
    expect(dayInZone(lateEvening, 'UTC')).toBe('2025-02-19');
    expect(dayInZone(lateEvening, 'Asia/Tokyo')).toBe('2025-02-20');
    expect(dayInZone(new Date('2025-02-20T04:00:00Z'), 'America/Los_Angeles')).toBe('2025-02-19');
  });
});
