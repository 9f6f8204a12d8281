import { toCsv } from './csv';

describe('toCsv', () => {
  it('writes a header row and CRLF-terminated records, quoting per RFC 4180', () => {
    expect(
      toCsv(
        ['a', 'b', 'c'],
        [
          { a: 'plain', b: 'x, "y"', c: 'two\nlines' },
          { a: null, b: 3.5, c: true },
        ],
      ),
    ).toBe('a,b,c\r\nplain,"x, ""y""","two\nlines"\r\n,3.5,true\r\n');
  });

  it('disarms text that a spreadsheet would run as a formula, but not numbers', () => {
    expect(toCsv(['v'], [{ v: '=1+1' }, { v: '+cmd' }, { v: '-x' }, { v: '@SUM(A1)' }, { v: -2 }])).toBe(
      "v\r\n'=1+1\r\n'+cmd\r\n'-x\r\n'@SUM(A1)\r\n-2\r\n",
    );
  });
});
