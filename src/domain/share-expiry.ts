/**
 * How long a shared link lives: `--expires 90m | 12h | 7d | 3600` parsed to seconds and checked
 * against SigV4's limit for presigned URLs (604,800 s = 7 days, inclusive). The expiry instant is
 * always derived from one captured signing time (see `expiryFrom`), never from a second clock read.
 */
import { UserInputError } from '../errors/index.js';

/** SigV4's maximum X-Amz-Expires: exactly 7 days is allowed, one second more is not. */
export const MAX_PRESIGN_SECONDS = 604_800;

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** Parses `30s`, `90m`, `12h`, `7d` or plain seconds; throws EXPIRES_INVALID with the limit stated. */
export function parseExpiry(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$/i.exec(text);
  if (!m) {
    throw new UserInputError('EXPIRES_INVALID', `--expires '${text}' is not a duration`, {
      hint: 'use a number with a unit: 30m, 12h, 7d (or plain seconds); the longest S3 allows is 7d',
      details: { value: text },
    });
  }
  const seconds = Math.round(Number(m[1]) * UNIT_SECONDS[(m[2] || 's').toLowerCase()]);
  return checkExpirySeconds(seconds, text);
}

/** Seconds in 1..604,800, else EXPIRES_INVALID saying by how much the limit was passed. */
export function checkExpirySeconds(seconds: number, asGiven = `${seconds}s`): number {
  if (!Number.isInteger(seconds) || seconds < 1) {
    throw new UserInputError(
      'EXPIRES_INVALID',
      `--expires ${asGiven} is too short: a link must live at least 1 second`,
      { details: { seconds } },
    );
  }
  if (seconds > MAX_PRESIGN_SECONDS) {
    throw new UserInputError(
      'EXPIRES_INVALID',
      `--expires ${asGiven} is ${seconds} s, longer than the ${MAX_PRESIGN_SECONDS} s (7 days) ` +
        `S3 allows for a presigned URL`,
      {
        hint: 'use --expires 7d or less; for longer sharing, run `digitflow share` again when the link expires',
        details: { seconds, max: MAX_PRESIGN_SECONDS },
      },
    );
  }
  return seconds;
}

/**
 * The signing instant and the expiry instant from ONE captured time. SigV4 dates have whole
 * seconds, so the signing time is truncated first; the link then expires exactly `seconds` later.
 */
export function expiryFrom(capturedMs: number, seconds: number): { signingDate: Date; expiresAt: Date } {
  const signed = Math.floor(capturedMs / 1000) * 1000;
  return { signingDate: new Date(signed), expiresAt: new Date(signed + seconds * 1000) };
}
