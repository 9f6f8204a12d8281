import { BadRequestException } from '@nestjs/common';

/** A page position as the client sees it: opaque, so its shape may change without breaking anyone. */
export function encodeOpaqueCursor(values: string[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

/**
 * The strings of a cursor this API returned; anything else (bad base64 or JSON, another shape,
 * values `accepts` refuses) is a 400, as it can only have been edited or made up.
 */
export function decodeOpaqueCursor(value: string, accepts: (values: string[]) => boolean): string[] {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  if (!Array.isArray(decoded) || !decoded.every((item) => typeof item === 'string') || !accepts(decoded)) {
    throw new BadRequestException('cursor is not one this API returned (use nextCursor from the previous page)');
  }
  return decoded;
}
