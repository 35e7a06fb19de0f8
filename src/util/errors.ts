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
