import { createHmac, timingSafeEqual } from 'node:crypto';

/** Slack's limit: a request signed more than five minutes away from now is refused (replay protection). */
export const MAX_SIGNATURE_AGE_SECONDS = 300;

export interface SignedRequest {
  /** `X-Slack-Request-Timestamp`, Unix seconds. */
  timestamp: string | undefined;
  /** `X-Slack-Signature`, `v0=<hex>`. */
  signature: string | undefined;
  /** The body exactly as received, before any parsing. */
  rawBody: Buffer | string;
}

export type SignatureVerdict = { valid: true } | { valid: false; reason: 'missing' | 'stale' | 'mismatch' };

/** `v0=` + HMAC-SHA256 of `v0:<timestamp>:<body>` keyed with the signing secret. */
export function slackSignature(signingSecret: string, timestamp: string, rawBody: Buffer | string): string {
  const hmac = createHmac('sha256', signingSecret);
  hmac.update(`v0:${timestamp}:`);
  hmac.update(rawBody);
  return `v0=${hmac.digest('hex')}`;
}

/**
 * Checks Slack's v0 request signature. The comparison is constant-time so the
 * response time leaks nothing about how much of a forged signature matched.
 */
export function verifySlackSignature(
  signingSecret: string,
  request: SignedRequest,
  nowSeconds: number = Math.floor(Date.now() / 1000),
): SignatureVerdict {
  const { timestamp, signature, rawBody } = request;
  if (!timestamp || !signature) return { valid: false, reason: 'missing' };
  if (!/^\d+$/.test(timestamp) || Math.abs(nowSeconds - Number(timestamp)) > MAX_SIGNATURE_AGE_SECONDS) {
    return { valid: false, reason: 'stale' };
  }
  const expected = Buffer.from(slackSignature(signingSecret, timestamp, rawBody));
  const received = Buffer.from(signature);
  if (received.length !== expected.length || !timingSafeEqual(received, expected)) return { valid: false, reason: 'mismatch' };
  return { valid: true };
}
