import { MigrationInterface, QueryRunner } from 'typeorm';
import { AGGREGATION_LOCK_KEY } from '../advisory-lock';
import { NUMBER_SET_BLOCK_BITS, numberSet, numberSetWidths } from '../number-sets';

/**
 * Each workspace day whole — the sums of its channel days and its active
 * channels and members as sets of dense per-workspace numbers — so that the
 * summary and the workspace series read one row per day. Filled here from
 * the rollups already stored (the statements as the aggregation of this
 * version writes them), so their numbers stay right with no aggregation run.
 */
export class TeamDayRollups1765430400000 implements MigrationInterface {
  name = 'TeamDayRollups1765430400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // After a run in progress, whose rollups it reads.
    await queryRunner.query('SELECT pg_advisory_xact_lock($1)', [AGGREGATION_LOCK_KEY]);
    for (const [registry, id, source] of [
      ['member_numbers', 'user_id', 'member_day_rollups'],
      ['channel_numbers', 'channel_id', 'channel_day_rollups'],
    ]) {
      await queryRunner.query(`
        CREATE TABLE ${registry} (
          team_id text COLLATE "C" NOT NULL,
          ${id} text COLLATE "C" NOT NULL,
          number integer NOT NULL CHECK (number >= 0),
          PRIMARY KEY (team_id, ${id})
        )`);
      await queryRunner.query(`
        INSERT INTO ${registry} (team_id, ${id}, number)
        SELECT team_id, ${id}, (row_number() OVER (PARTITION BY team_id ORDER BY first_day, ${id}) - 1)::int
        FROM (SELECT team_id, ${id}, min(day) AS first_day FROM ${source} GROUP BY team_id, ${id}) numbered`);
    }
    await queryRunner.query(`
      CREATE TABLE team_day_rollups (
        team_id text COLLATE "C" NOT NULL,
        day date NOT NULL,
        messages integer NOT NULL,
        human_messages integer NOT NULL,
        thread_replies integer NOT NULL,
        threads_started integer NOT NULL,
        reactions bigint NOT NULL,
        channels bit varying NOT NULL,
        members bit varying NOT NULL,
        PRIMARY KEY (team_id, day)
      )`);
    await queryRunner.query(`
      INSERT INTO team_day_rollups
      SELECT days.team_id, days.day, coalesce(channel_days.messages, 0), coalesce(channel_days.human_messages, 0),
             coalesce(channel_days.thread_replies, 0), coalesce(channel_days.threads_started, 0), coalesce(channel_days.reactions, 0),
             ${numberSet('channel_days.numbers', `coalesce(channel_width.bits, ${NUMBER_SET_BLOCK_BITS})`)},
             ${numberSet('member_days.numbers', `coalesce(member_width.bits, ${NUMBER_SET_BLOCK_BITS})`)}
      FROM (
        SELECT team_id, day FROM channel_day_rollups UNION SELECT team_id, day FROM member_day_rollups
      ) days
      LEFT JOIN (
        SELECT channel_day.team_id, channel_day.day, sum(messages)::int AS messages, sum(human_messages)::int AS human_messages,
               sum(thread_replies)::int AS thread_replies, sum(threads_started)::int AS threads_started,
               sum(reactions)::bigint AS reactions, array_agg(channel.number) AS numbers
        FROM channel_day_rollups channel_day
        JOIN channel_numbers channel ON channel.team_id = channel_day.team_id AND channel.channel_id = channel_day.channel_id
        GROUP BY channel_day.team_id, channel_day.day
      ) channel_days ON channel_days.team_id = days.team_id AND channel_days.day = days.day
      LEFT JOIN (
        SELECT member_day.team_id, member_day.day, array_agg(member.number) AS numbers
        FROM member_day_rollups member_day
        JOIN member_numbers member ON member.team_id = member_day.team_id AND member.user_id = member_day.user_id
        GROUP BY member_day.team_id, member_day.day
      ) member_days ON member_days.team_id = days.team_id AND member_days.day = days.day
      LEFT JOIN (${numberSetWidths('channel_numbers')}) channel_width ON channel_width.team_id = days.team_id
      LEFT JOIN (${numberSetWidths('member_numbers')}) member_width ON member_width.team_id = days.team_id`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE team_day_rollups, channel_numbers, member_numbers`);
  }
}
