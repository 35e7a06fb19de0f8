// Node's PNG codec (see png-codec.ts): zlib checks the stream, pngjs decodes.
import { kMaxLength } from 'node:buffer';
import { inflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import type { PngCodec } from './png-codec.js';

export const nodePngCodec: PngCodec = {
  inflate: (stream, maxLength) => inflateSync(stream, { maxOutputLength: Math.min(maxLength, kMaxLength) }),
  decode: (bytes) => PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)),
};
