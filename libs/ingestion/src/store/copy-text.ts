/**
 * Encoding of rows for PostgreSQL's `COPY ... FROM STDIN` text format:
 * tab-separated columns, `\N` for NULL, backslash escapes for the four
 * characters that would break a line apart.
 */

const NEEDS_ESCAPE = /[\\\t\n\r]/;

export function copyText(value: string | null): string {
  if (value === null) return '\\N';
  if (!NEEDS_ESCAPE.test(value)) return value;
  return value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

/** A text[] literal of identifiers; each element is quoted so any character is safe. */
export function copyTextArray(values: string[]): string {
  if (values.length === 0) return '{}';
  return copyText(`{${values.map((value) => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`);
}
