/**
 * Sets of dense per-workspace numbers (members, channels) as PostgreSQL bit
 * strings: bit n is number n. The aggregation writes them and the migration
 * that introduced them filled them the same way, so both take these.
 */

/** Bits of every set of a workspace: its numbers rounded up to a whole block, so that it grows seldom. */
export const NUMBER_SET_BLOCK_BITS = 256;

/** The width in bits of the sets of each workspace numbered in `registry`, as `(team_id, bits)` rows. */
export function numberSetWidths(registry: string): string {
  return `SELECT team_id, ((max(number) / ${NUMBER_SET_BLOCK_BITS} + 1) * ${NUMBER_SET_BLOCK_BITS})::int AS bits
          FROM ${registry} GROUP BY team_id`;
}

/**
 * The set of the numbers in the int[] expression `numbers` (NULL: none) as a
 * bit string of `bits` bits: built a byte at a time as hex, each non-empty
 * byte after the zero bytes since the one before.
 */
export function numberSet(numbers: string, bits: string): string {
  return `(
    SELECT ('x' || coalesce(string_agg(repeat('00', byte.gap) || lpad(to_hex(byte.bits), 2, '0'), '' ORDER BY byte.byte_index), '')
                || repeat('00', ${bits} / 8 - coalesce(max(byte.byte_index), -1) - 1))::bit varying
    FROM (
      SELECT byte_index, bits, byte_index - coalesce(lag(byte_index) OVER (ORDER BY byte_index), -1) - 1 AS gap
      FROM (SELECT number / 8 AS byte_index, bit_or(128 >> (number % 8)) AS bits FROM unnest(${numbers}) number GROUP BY 1) bytes
    ) byte
  )`;
}
