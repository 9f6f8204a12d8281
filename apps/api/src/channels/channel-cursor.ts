import type { ChannelPosition } from '@app/metrics';
import { isSlackId } from '@app/slack';
import { BadRequestException } from '@nestjs/common';

/** A ChannelPosition (after the last channel of a page) as the client sees it: opaque. */
export function encodeCursor(cursor: ChannelPosition): string {
  return Buffer.from(JSON.stringify([cursor.name, cursor.id])).toString('base64url');
}

export function decodeCursor(value: string): ChannelPosition {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  // A name with NUL (which PostgreSQL text cannot hold) or an id of another shape was never stored, so never returned.
  if (
    !Array.isArray(decoded) ||
    decoded.length !== 2 ||
    typeof decoded[0] !== 'string' ||
    decoded[0].includes('\u0000') ||
    !isSlackId(decoded[1])
  ) {
    throw new BadRequestException('cursor is not one this API returned (use nextCursor from the previous page)');
  }
  return { name: decoded[0], id: decoded[1] };
}
