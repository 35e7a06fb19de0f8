/**
 * An error caused by the user's input or environment (bad config, missing file, corrupt data...).
 * The CLI prints its message on one line, without a stack trace.
 */
export class FsmtlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FsmtlError';
  }
}

/**
 * Text from a file or a library (a name, JSON.parse's excerpt of the text) made fit for a one-line
 * message: line breaks and other control characters escaped, cut after `max` characters.
 */
export function oneLine(text: string, max = 200): string {
  const t = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return t.length > max ? `${t.slice(0, max)}…` : t;
}
