// The PNG codec behind pngPixels (src/io/predict-input.ts): in Node, zlib and pngjs (src/io/node-png.ts);
// in a browser, the one the browser entry installs (fflate and fast-png). A variable specifier keeps
// the Node one out of browser bundles.
import { FsmtlError } from '../util/errors.js';

export interface PngCodec {
  /**
   * Inflates a zlib stream, checking its Adler-32, to at most maxLength bytes; throws an Error with
   * code 'ERR_BUFFER_TOO_LARGE' when the stream holds more.
   */
  inflate(stream: Uint8Array, maxLength: number): Uint8Array;
  /** Decodes a PNG file to 8-bit RGBA. */
  decode(bytes: Uint8Array): { width: number; height: number; data: Uint8Array };
}

const NODE_PNG = './node-png.js';
const inNode = typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === 'string';
let codec: PngCodec | undefined = inNode ? ((await import(NODE_PNG)) as { nodePngCodec: PngCodec }).nodePngCodec : undefined;

export function pngCodec(): PngCodec {
  if (!codec) throw new FsmtlError('no PNG decoder is installed here (the browser entry, fsmtl/browser, installs one)');
  return codec;
}

export function usePngCodec(c: PngCodec): void {
  codec = c;
}
