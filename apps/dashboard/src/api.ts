import type {
  ActiveMembersDay,
  AudienceCounts,
  ChannelCounts,
  ChannelMetrics,
  HeatmapCell,
  MemberChannelCounts,
  TimeZoneMembers,
  Summary,
  UserCounts,
  UserMetrics,
} from '@app/metrics';

/**
 * The dashboard reads only the REST API v1, relative to the page, so it works behind an Ingress
 * path prefix: /prefix/dashboard/ reads /prefix/api/v1/.
 */
// The shapes the API answers with are those of its queries (type-only: nothing of the server is bundled).
export type { ChannelCounts, Summary };
export type ActiveMembersRow = ActiveMembersDay;
export type ChannelRow = ChannelMetrics;
export type UserRow = UserMetrics;
export type MemberChannelRow = MemberChannelCounts;

const API_BASE = new URL('../api/v1/', document.baseURI);

export type Query = Record<string, string | number | undefined>;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function urlOf(path: string, query: Query): URL {
  const url = new URL(path, API_BASE);
  for (const [name, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(name, String(value));
  return url;
}

async function request(token: string, path: string, query: Query, accept: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(urlOf(path, query), { headers: { authorization: `Bearer ${token}`, accept }, cache: 'no-store' });
  } catch {
    throw new ApiError(0, 'the API cannot be reached');
  }
  if (response.ok) return response;
  const body = await response.json().catch(() => undefined);
  throw new ApiError(response.status, typeof body?.message === 'string' ? body.message : `the API answered ${response.status}`);
}

export async function getJson<T>(token: string, path: string, query: Query = {}): Promise<T> {
  return (await request(token, path, query, 'application/json')).json() as Promise<T>;
}

/** The endpoint's own CSV (`format=csv`) and the file name it offers. */
export async function getCsv(token: string, path: string, query: Query): Promise<{ text: string; filename: string }> {
  const response = await request(token, path, { ...query, format: 'csv' }, 'text/csv');
  const filename = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? 'export.csv';
  return { text: await response.text(), filename };
}

export interface Workspace {
  id: string;
  name: string | null;
  domain: string | null;
}

export interface Freshness {
  aggregatedAt: string | null;
  timezone: string;
  today: string;
}

export interface SeriesRow extends Summary {
  date: string;
}

export interface ChannelSeries {
  channelId: string;
  name: string | null;
  data: Array<ChannelCounts & { date: string }>;
}

export interface UserSeries {
  userId: string;
  name: string | null;
  realName: string | null;
  data: Array<UserCounts & { date: string }>;
}

export interface Heatmap {
  timezone: string;
  data: HeatmapCell[];
}

/** Every page of a cursor-paginated list, followed through its nextCursor. */
export async function getAllPages<Row>(token: string, path: string, query: Query): Promise<Row[]> {
  const rows: Row[] = [];
  let cursor: string | null = null;
  do {
    const page: { data: Row[]; nextCursor: string | null } = await getJson(token, path, { ...query, cursor: cursor ?? undefined });
    rows.push(...page.data);
    cursor = page.nextCursor;
  } while (cursor);
  return rows;
}

export interface AudienceSplit {
  data: AudienceCounts[];
}

export interface TimeZoneSplit {
  data: TimeZoneMembers[];
}
