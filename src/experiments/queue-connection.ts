// Where the queue lives: a redis:// or rediss:// (TLS) URL, from --queue or FSMTL_REDIS_URL, with the
// password in the URL or in FSMTL_REDIS_PASSWORD. The URL is shown only with its credentials masked.
import type { RedisOptions } from 'bullmq';
import { FsmtlError } from '../util/errors.js';

export interface QueueConnection {
  /** The URL as it may be printed: user kept, password replaced by ***. */
  shown: string;
  /** ioredis options (BullMQ's `connection`). */
  options: RedisOptions;
}

/** Masks the password of a URL (and any user:pass@ it may hold, even malformed), for messages and logs. */
export function maskUrl(url: string): string {
  return url.replace(/^(\w+:\/\/)([^@/]*)@/, (_, scheme: string, auth: string) => {
    const user = auth.includes(':') ? auth.slice(0, auth.indexOf(':')) : '';
    return `${scheme}${user ? `${user}:` : ''}***@`;
  });
}

/** Masks `secret` wherever it appears in `text` (error messages of the client may quote it). */
export function redact(text: string, secret: string | undefined): string {
  return secret ? text.split(secret).join('***') : text;
}

export function parseQueueUrl(raw: string | undefined, env: NodeJS.ProcessEnv = process.env): QueueConnection {
  const text = raw ?? env.FSMTL_REDIS_URL;
  if (!text) throw new FsmtlError('--queue: no Redis URL given, and FSMTL_REDIS_URL is not set (e.g. redis://localhost:6379)');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new FsmtlError(`--queue: '${maskUrl(text)}' is not a URL (expected redis://[user:password@]host:port[/db] or rediss://...)`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new FsmtlError(`--queue: '${maskUrl(text)}' is not a redis:// or rediss:// URL`);
  }
  if (!url.hostname) throw new FsmtlError(`--queue: '${maskUrl(text)}' names no host`);
  const port = url.port === '' ? 6379 : Number(url.port);
  const path = url.pathname.replace(/^\//, '');
  if (path !== '' && !/^\d+$/.test(path)) throw new FsmtlError(`--queue: '${maskUrl(text)}': the path must be a database number, e.g. /0`);
  if (url.search || url.hash) throw new FsmtlError(`--queue: '${maskUrl(text)}': no query or fragment expected`);
  const password = url.password ? decodeURIComponent(url.password) : env.FSMTL_REDIS_PASSWORD || undefined;
  const options: RedisOptions = {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port,
    db: path === '' ? 0 : Number(path),
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(password ? { password } : {}),
    ...(url.protocol === 'rediss:' ? { tls: { servername: url.hostname } } : {}),
    // BullMQ's workers block on Redis: requests must wait for a reconnection rather than fail after N tries.
    maxRetriesPerRequest: null,
    // Reconnect for ever, at most every 2 s: a Redis restart must not end a sweep.
    retryStrategy: (times: number) => Math.min(100 * times, 2000),
  };
  return { shown: maskUrl(text), options };
}
