import { createHmac } from 'node:crypto';

/** Signs like Slack: `v0=` + HMAC-SHA256 of `v0:<timestamp>:<raw body>`. Written out here, not imported from the code under test. */
export function signSlackRequest(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export interface Delivery {
  /** Sent as JSON, or as it is when already a string. */
  body: unknown;
  secret: string;
  timestamp?: number;
  signature?: string;
  retryNumber?: number;
  requestId?: string;
}

export interface DeliveryAnswer {
  status: number;
  body: unknown;
}

/** POSTs one Events API delivery to a running API at `url`, signed unless the delivery says otherwise. */
export async function deliverSlackEvent(url: string, delivery: Delivery): Promise<DeliveryAnswer> {
  const raw = typeof delivery.body === 'string' ? delivery.body : JSON.stringify(delivery.body);
  const timestamp = delivery.timestamp ?? Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': delivery.signature ?? signSlackRequest(delivery.secret, timestamp, raw),
  };
  if (delivery.requestId !== undefined) headers['x-request-id'] = delivery.requestId;
  if (delivery.retryNumber !== undefined) {
    headers['x-slack-retry-num'] = String(delivery.retryNumber);
    headers['x-slack-retry-reason'] = 'http_timeout';
  }
  const response = await fetch(`${url}/slack/events`, { method: 'POST', headers, body: raw });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** An `event_callback` envelope around `event`, as Slack sends it. */
export function eventCallback(teamId: string, eventId: string, event: Record<string, unknown>): Record<string, unknown> {
  return {
    token: 'unused',
    team_id: teamId,
    api_app_id: 'A0APP',
    type: 'event_callback',
    event_id: eventId,
    event_time: 1_717_200_000,
    event,
  };
}
