// A minimal PNG encoder for the two formats pngjs does not write: 8-bit indexed colour (a segmentation
// map whose pixel values are the class indices, shown in the palette's colours) and 16-bit grey (depth).
// Also 8-bit RGB for figures. Rows are stored unfiltered, compressed with zlib.
import { deflateSync } from 'node:zlib';
import { crc32 } from '../util/crc32.js';

const SIGNATURE = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, data.length);
  const typed = new Uint8Array(4 + data.length);
  for (let i = 0; i < 4; i++) typed[i] = type.charCodeAt(i);
  typed.set(data, 4);
  out.set(typed, 4);
  v.setUint32(8 + data.length, crc32(typed));
  return out;
}

export type PngImage =
  /** Indexed colour: one byte per pixel, a palette of at most 256 RGB triples. */
  | { type: 'indexed'; width: number; height: number; pixels: Uint8Array; palette: Uint8Array }
  /** 16-bit grey. */
  | { type: 'grey16'; width: number; height: number; pixels: Uint16Array }
  /** 8-bit RGB, three bytes per pixel. */
  | { type: 'rgb'; width: number; height: number; pixels: Uint8Array };

/** PNG bytes of the image, with optional tEXt entries (keyword → Latin-1 text). */
export function encodePng(img: PngImage, text: Record<string, string> = {}): Uint8Array {
  const { width, height } = img;
  const bytesPerPixel = img.type === 'rgb' ? 3 : img.type === 'grey16' ? 2 : 1;
  const ihdr = new Uint8Array(13);
  const hv = new DataView(ihdr.buffer);
  hv.setUint32(0, width);
  hv.setUint32(4, height);
  ihdr[8] = img.type === 'grey16' ? 16 : 8;
  ihdr[9] = img.type === 'indexed' ? 3 : img.type === 'rgb' ? 2 : 0;
  const stride = width * bytesPerPixel + 1;
  const raw = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const row = y * stride + 1; // filter byte 0: none
    if (img.type === 'grey16') {
      for (let x = 0; x < width; x++) {
        const v = img.pixels[y * width + x];
        raw[row + 2 * x] = v >> 8;
        raw[row + 2 * x + 1] = v & 0xff;
      }
    } else {
      raw.set(img.pixels.subarray(y * width * bytesPerPixel, (y + 1) * width * bytesPerPixel), row);
    }
  }
  const parts = [SIGNATURE, chunk('IHDR', ihdr)];
  if (img.type === 'indexed') parts.push(chunk('PLTE', img.palette));
  for (const [k, t] of Object.entries(text)) parts.push(chunk('tEXt', Uint8Array.from(`${k}\0${t}`, (c) => c.charCodeAt(0) & 0xff)));
  parts.push(chunk('IDAT', new Uint8Array(deflateSync(raw))), chunk('IEND', new Uint8Array(0)));
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) (out.set(p, o), (o += p.length));
  return out;
}
