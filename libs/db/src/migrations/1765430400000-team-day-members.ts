import { MigrationInterface, QueryRunner } from 'typeorm';
import { AGGREGATION_LOCK_KEY } from '../advisory-lock';

/**
 * The members active on each workspace day as a bitset over dense member
 * numbers, so that distinct active members over any range are an OR of its
 * days instead of a scan of its member days. Filled here from the member days
 * already rolled up, so the numbers stay as they were with no aggregation run
 * (the aggregation keeps both tables up to date from then on).
 */
export class TeamDayMembers1765430400000 implements MigrationInterface {
  name = 'TeamDayMembers1765430400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // After a run in progress, whose member days it reads.
    await queryRunner.query('SELECT pg_advisory_xact_lock($1)', [AGGREGATION_LOCK_KEY]);
    await queryRunner.query(`
      CREATE TABLE member_numbers (
        team_id text COLLATE "C" NOT NULL,
        user_id text COLLATE "C" NOT NULL,
        number integer NOT NULL CHECK (number >= 0),
        PRIMARY KEY (team_id, user_id)
      )`);
    await queryRunner.query(`
      CREATE TABLE team_day_members (
        team_id text COLLATE "C" NOT NULL,
        day date NOT NULL,
        members bit varying NOT NULL,
        PRIMARY KEY (team_id, day)
      )`);
    await queryRunner.query(`
      INSERT INTO member_numbers (team_id, user_id, number)
      SELECT team_id, user_id, (row_number() OVER (PARTITION BY team_id ORDER BY first_day, user_id) - 1)::int
      FROM (SELECT team_id, user_id, min(day) AS first_day FROM member_day_rollups GROUP BY team_id, user_id) members`);
    await queryRunner.query(`
      INSERT INTO team_day_members (team_id, day, members)
      SELECT active.team_id, active.day, (
        SELECT ('x' || string_agg(repeat('00', byte.gap) || lpad(to_hex(byte.bits), 2, '0'), '' ORDER BY byte.offset_in_set)
                    || repeat('00', width.bits / 8 - max(byte.offset_in_set) - 1))::bit varying
        FROM (
          SELECT offset_in_set, bits, offset_in_set - coalesce(lag(offset_in_set) OVER (ORDER BY offset_in_set), -1) - 1 AS gap
          FROM (
            SELECT number / 8 AS offset_in_set, bit_or(128 >> (number % 8)) AS bits FROM unnest(active.numbers) number GROUP BY 1
          ) bytes
        ) byte
      )
      FROM (
        SELECT member_day.team_id, member_day.day, array_agg(member.number) AS numbers
        FROM member_day_rollups member_day
        JOIN member_numbers member ON member.team_id = member_day.team_id AND member.user_id = member_day.user_id
        GROUP BY member_day.team_id, member_day.day
      ) active
      JOIN (SELECT team_id, ((max(number) / 256 + 1) * 256)::int AS bits FROM member_numbers GROUP BY team_id) width
        ON width.team_id = active.team_id`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE team_day_members, member_numbers`);
  }
}
