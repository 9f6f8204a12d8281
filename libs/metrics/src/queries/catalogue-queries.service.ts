import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

export interface WorkspaceListing {
  id: string;
  name: string | null;
  domain: string | null;
}

export interface ChannelListing {
  id: string;
  teamId: string;
  name: string | null;
  kind: string;
  isPrivate: boolean;
  isArchived: boolean;
  memberCount: number | null;
  /** Newest message as of the last aggregation (ISO 8601). */
  lastActivityAt: string | null;
}

/** How current the stored activity is; times are Unix seconds, null before there is any. */
export interface Freshness {
  channels: number;
  /** Channels whose last collection attempt failed. */
  failingChannels: number;
  /** Largest time since the newest collected message, over all channels. */
  maxLagSeconds: number | null;
  lastCollectSuccess: number | null;
  lastAggregationSuccess: number | null;
  lastAggregationFailed: boolean | null;
}

/** Where a page of channels starts: after this (name, id) in the listing's order; a channel without a name sorts as ''. */
export interface ChannelPosition {
  name: string;
  id: string;
}

export interface ChannelFilter {
  teamId?: string;
  /** Case-insensitive substring of the name. */
  nameContains?: string;
  includeArchived: boolean;
  after?: ChannelPosition;
  limit: number;
}

export interface ChannelPage {
  channels: ChannelListing[];
  /** Where the next page starts; undefined on the last page. */
  next?: ChannelPosition;
}

export interface ChannelSyncStatus {
  channelId: string;
  teamId: string | null;
  name: string | null;
  newestTs: string | null;
  newestMessageAt: string | null;
  lastRunAt: string | null;
  lastSuccessAt: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
}

function isoOrNull(value: Date | null): string | null {
  return value ? value.toISOString() : null;
}

/**
 * Reads of what ingestion has stored, for the API and the worker: the
 * workspaces, the channels with their last activity, the collector's sync
 * state. The raw tables are written only through the ingestion library's
 * store (`@app/ingestion`); this is their read side.
 */
@Injectable()
export class CatalogueQueries {
  constructor(private readonly dataSource: DataSource) {}

  workspaces(): Promise<WorkspaceListing[]> {
    return this.dataSource.query('SELECT id, name, domain FROM workspaces ORDER BY id');
  }

  async workspaceIds(): Promise<string[]> {
    return (await this.workspaces()).map((workspace) => workspace.id);
  }

  async workspaceExists(teamId: string): Promise<boolean> {
    const rows = await this.dataSource.query('SELECT 1 FROM workspaces WHERE id = $1', [teamId]);
    return rows.length > 0;
  }

  /** A page of channels ordered by name, then id. */
  async channels(filter: ChannelFilter): Promise<ChannelPage> {
    const pattern = filter.nameContains ? `%${filter.nameContains.replace(/[\\%_]/g, (character) => `\\${character}`)}%` : null;
    const rows: Array<Omit<ChannelListing, 'lastActivityAt'> & { lastActivityAt: Date | null; sortName: string }> =
      await this.dataSource.query(
        `SELECT c.id, c.team_id AS "teamId", c.name, c.kind, c.is_private AS "isPrivate", c.is_archived AS "isArchived",
              c.member_count AS "memberCount", latest.last_message_at AS "lastActivityAt", coalesce(c.name, '') AS "sortName"
       FROM channels c
       LEFT JOIN LATERAL (
         SELECT last_message_at FROM channel_day_rollups r WHERE r.team_id = c.team_id AND r.channel_id = c.id ORDER BY r.day DESC LIMIT 1
       ) latest ON true
       WHERE ($1::text IS NULL OR c.team_id = $1)
         AND ($2::boolean OR NOT c.is_archived)
         AND ($3::text IS NULL OR c.name ILIKE $3)
         AND ($4::text IS NULL OR (coalesce(c.name, ''), c.id) > ($4::text, $5::text))
       ORDER BY coalesce(c.name, ''), c.id
       LIMIT $6`,
        [filter.teamId ?? null, filter.includeArchived, pattern, filter.after?.name ?? null, filter.after?.id ?? null, filter.limit + 1],
      );
    const page = rows.slice(0, filter.limit);
    const last = page[page.length - 1];
    return {
      channels: page.map(({ sortName: _sortName, lastActivityAt, ...channel }) => ({
        ...channel,
        lastActivityAt: isoOrNull(lastActivityAt),
      })),
      next: rows.length > filter.limit ? { name: last.sortName, id: last.id } : undefined,
    };
  }

  /** The collector's progress and last error per channel it has visited. */
  async syncStatus(teamId?: string): Promise<ChannelSyncStatus[]> {
    const rows: Array<Record<keyof ChannelSyncStatus, string | Date | null>> = await this.dataSource.query(
      `SELECT s.channel_id AS "channelId", c.team_id AS "teamId", c.name, s.newest_ts AS "newestTs",
              to_timestamp(s.newest_ts::double precision) AS "newestMessageAt",
              s.last_run_at AS "lastRunAt", s.last_success_at AS "lastSuccessAt", s.last_error AS "lastError", s.last_error_at AS "lastErrorAt"
       FROM channel_sync_state s
       LEFT JOIN channels c ON c.id = s.channel_id
       WHERE $1::text IS NULL OR c.team_id = $1
       ORDER BY c.team_id, c.name, s.channel_id`,
      [teamId ?? null],
    );
    return rows.map((row) => ({
      channelId: row.channelId as string,
      teamId: row.teamId as string | null,
      name: row.name as string | null,
      newestTs: row.newestTs as string | null,
      newestMessageAt: isoOrNull(row.newestMessageAt as Date | null),
      lastRunAt: isoOrNull(row.lastRunAt as Date | null),
      lastSuccessAt: isoOrNull(row.lastSuccessAt as Date | null),
      lastError: row.lastError as string | null,
      lastErrorAt: isoOrNull(row.lastErrorAt as Date | null),
    }));
  }

  /** Whether any message is stored (the demo workspace is loaded only into an empty database). */
  async holdsMessages(): Promise<boolean> {
    const [{ present }] = await this.dataSource.query('SELECT EXISTS (SELECT 1 FROM messages) AS present');
    return present;
  }

  /**
   * Read at scrape time, so it is right whichever process (a CronJob pod, `worker run`) did the
   * collecting or aggregating. Prometheus may scrape before the migrations have created the
   * table of runs: the aggregation figures are null until then.
   */
  async freshness(): Promise<Freshness> {
    const [{ present }] = await this.dataSource.query(`SELECT to_regclass('aggregation_runs') IS NOT NULL AS present`);
    const aggregation = present
      ? `(SELECT extract(epoch FROM finished_at)::float8 FROM aggregation_runs WHERE status = 'succeeded' ORDER BY finished_at DESC LIMIT 1) AS "lastAggregationSuccess",
         (SELECT status = 'failed' FROM aggregation_runs WHERE finished_at IS NOT NULL ORDER BY finished_at DESC LIMIT 1) AS "lastAggregationFailed"`
      : 'NULL::float8 AS "lastAggregationSuccess", NULL::boolean AS "lastAggregationFailed"';
    const [row] = await this.dataSource.query(`
      SELECT count(*)::int AS channels,
             count(*) FILTER (WHERE last_error_at IS NOT NULL AND (last_success_at IS NULL OR last_error_at > last_success_at))::int AS "failingChannels",
             max(extract(epoch FROM now()) - newest_ts::numeric)::float8 AS "maxLagSeconds",
             max(extract(epoch FROM last_success_at))::float8 AS "lastCollectSuccess",
             ${aggregation}
      FROM channel_sync_state`);
    return row;
  }
}
