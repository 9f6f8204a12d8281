/**
 * The parts of Slack's JSON that ingestion reads. Web API responses, Events
 * API payloads and export files share these shapes; every field is optional
 * because exports from different eras and tools omit different ones.
 */

export interface SlackReaction {
  name?: string;
  count?: number;
  users?: string[];
}

export interface SlackMessage {
  type?: string;
  subtype?: string;
  ts?: string;
  user?: string;
  bot_id?: string;
  thread_ts?: string;
  reply_count?: number;
  latest_reply?: string;
  reactions?: SlackReaction[];
  files?: unknown[];
  /** Exports from before 2019 carry a single `file` instead of `files`. */
  file?: unknown;
  text?: string;
  edited?: { user?: string; ts?: string };
  team?: string;
  /** The author's own workspace; another one than the channel's for a Slack Connect author. */
  user_team?: string;
  /** The workspace the message was posted from. */
  source_team?: string;
}

export interface SlackChannel {
  id?: string;
  name?: string;
  created?: number;
  is_archived?: boolean;
  is_private?: boolean;
  is_im?: boolean;
  is_mpim?: boolean;
  is_member?: boolean;
  num_members?: number;
  /** Exports list members instead of counting them. */
  members?: string[];
}

export interface SlackUser {
  id?: string;
  team_id?: string;
  name?: string;
  real_name?: string;
  deleted?: boolean;
  is_bot?: boolean;
  /** A guest: a multi-channel guest is restricted, a single-channel guest also ultra restricted. */
  is_restricted?: boolean;
  is_ultra_restricted?: boolean;
  /** IANA time zone name of the profile ("Europe/Berlin"). */
  tz?: string;
  profile?: { real_name?: string };
}

export interface SlackTeam {
  id?: string;
  name?: string;
  domain?: string;
}
