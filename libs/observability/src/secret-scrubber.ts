import { Writable } from 'node:stream';

export const REDACTED = '[REDACTED]';
/** Values shorter than this are too likely to occur by chance to be scrubbed everywhere. */
const MIN_SCRUBBED_LENGTH = 6;

/**
 * A last line of defence behind pino's path-based redaction: any configured
 * secret value that still reaches a log line (inside an error message, a URL,
 * a stack) is replaced before the line is written.
 */
export function scrubbingStream(destination: NodeJS.WritableStream, secrets: readonly (string | undefined)[]): Writable {
  const values = [...new Set(secrets.filter((secret): secret is string => !!secret && secret.length >= MIN_SCRUBBED_LENGTH))]
    // Longest first, so a secret that contains another is replaced whole.
    .sort((a, b) => b.length - a.length);
  const encoded = values.flatMap((value) => {
    const uriEncoded = encodeURIComponent(value);
    return uriEncoded === value ? [value] : [value, uriEncoded];
  });
  return new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      let line = chunk.toString();
      for (const value of encoded) {
        if (line.includes(value)) line = line.split(value).join(REDACTED);
      }
      destination.write(line, callback);
    },
  });
}
