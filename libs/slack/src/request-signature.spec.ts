import { MAX_SIGNATURE_AGE_SECONDS, slackSignature, verifySlackSignature } from './request-signature';

// Slack's published example: https://api.slack.com/authentication/verifying-requests-from-slack
const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const TIMESTAMP = '1531420618';
const SIGNATURE = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';
const BODY =
  'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar' +
  '&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com' +
  '%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
const NOW = Number(TIMESTAMP) + 10;

describe('verifySlackSignature', () => {
  it("computes Slack's published example signature", () => {
    expect(slackSignature(SECRET, TIMESTAMP, BODY)).toBe(SIGNATURE);
  });

  it("accepts Slack's published example", () => {
    expect(verifySlackSignature(SECRET, { timestamp: TIMESTAMP, signature: SIGNATURE, rawBody: Buffer.from(BODY) }, NOW)).toEqual({
      valid: true,
    });
  });

  it('refuses a body changed by one character', () => {
    const verdict = verifySlackSignature(
      SECRET,
      { timestamp: TIMESTAMP, signature: SIGNATURE, rawBody: BODY.replace('foobar', 'foobaz') },
      NOW,
    );
    expect(verdict).toEqual({ valid: false, reason: 'mismatch' });
  });

  it('refuses another secret, a truncated signature and a missing header', () => {
    expect(verifySlackSignature('another-secret-value', { timestamp: TIMESTAMP, signature: SIGNATURE, rawBody: BODY }, NOW)).toEqual({
      valid: false,
      reason: 'mismatch',
    });
    expect(verifySlackSignature(SECRET, { timestamp: TIMESTAMP, signature: SIGNATURE.slice(0, -1), rawBody: BODY }, NOW)).toEqual({
      valid: false,
      reason: 'mismatch',
    });
    expect(verifySlackSignature(SECRET, { timestamp: TIMESTAMP, signature: undefined, rawBody: BODY }, NOW)).toEqual({
      valid: false,
      reason: 'missing',
    });
    expect(verifySlackSignature(SECRET, { timestamp: undefined, signature: SIGNATURE, rawBody: BODY }, NOW)).toEqual({
      valid: false,
      reason: 'missing',
    });
  });

  it('accepts up to 300 s of clock difference either way and refuses beyond', () => {
    const request = { timestamp: TIMESTAMP, signature: SIGNATURE, rawBody: BODY };
    const signedAt = Number(TIMESTAMP);
    expect(verifySlackSignature(SECRET, request, signedAt + MAX_SIGNATURE_AGE_SECONDS).valid).toBe(true);
    expect(verifySlackSignature(SECRET, request, signedAt - MAX_SIGNATURE_AGE_SECONDS).valid).toBe(true);
    expect(verifySlackSignature(SECRET, request, signedAt + MAX_SIGNATURE_AGE_SECONDS + 1)).toEqual({ valid: false, reason: 'stale' });
    expect(verifySlackSignature(SECRET, request, signedAt - MAX_SIGNATURE_AGE_SECONDS - 1)).toEqual({ valid: false, reason: 'stale' });
    expect(verifySlackSignature(SECRET, { ...request, timestamp: '1531420618.5' }, NOW)).toEqual({ valid: false, reason: 'stale' });
  });
});
