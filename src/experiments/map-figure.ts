// Figures of per-pixel predictions: one row per image, panels of the input, then maps (segmentation in
// the class palette, depth in a colour ramp, near = bright), side by side; drawn straight to PNG (a Vega
// chart of 64×64×k pixels would be slow and large). Pure: arrays in, PNG bytes out.
import { classPalette } from '../io/maps.js';
import { encodePng } from '../io/png-write.js';

/**
 * One panel: an input image (height × width × channels, 1 or 3, in [0, 1]) or a map of height × width
 * class indices or depths (NaN: no value, drawn white).
 */
export type MapPanel = { type: 'image'; values: Float32Array; channels: number } | { type: 'classes' | 'values'; values: Float32Array };

export interface MapFigureOptions {
  height: number;
  width: number;
  /** Depth range of the colour ramp (near, far); pixels outside are clamped. */
  depthRange: [number, number];
  /** Integer magnification (nearest neighbour), default 2. */
  zoom?: number;
  /** Gap between panels in pixels, default 4. */
  gap?: number;
}

/** A dark-to-bright ramp (approximately viridis), t in [0, 1]. */
const RAMP = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];
function ramp(t: number): [number, number, number] {
  const u = Math.max(0, Math.min(1, t)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(u));
  const f = u - i;
  return [0, 1, 2].map((c) => Math.round(RAMP[i][c] + f * (RAMP[i + 1][c] - RAMP[i][c]))) as [number, number, number];
}

/** PNG bytes of the figure. */
export function mapFigurePng(rows: MapPanel[][], o: MapFigureOptions): Uint8Array {
  const zoom = o.zoom ?? 2;
  const gap = o.gap ?? 4;
  const panels = Math.max(1, ...rows.map((r) => r.length));
  const ph = o.height * zoom;
  const pw = o.width * zoom;
  const W = panels * pw + (panels + 1) * gap;
  const H = rows.length * ph + (rows.length + 1) * gap;
  const px = new Uint8Array(W * H * 3).fill(255);
  const palette = classPalette();
  const [near, far] = o.depthRange;
  const put = (row: number, panel: number, colour: (p: number) => [number, number, number]) => {
    const top = gap + row * (ph + gap);
    const left = gap + panel * (pw + gap);
    for (let y = 0; y < ph; y++) {
      for (let x = 0; x < pw; x++) {
        const rgb = colour(Math.floor(y / zoom) * o.width + Math.floor(x / zoom));
        px.set(rgb, ((top + y) * W + left + x) * 3);
      }
    }
  };
  rows.forEach((r, i) =>
    r.forEach((m, k) =>
      put(i, k, (p) => {
        if (m.type === 'image') {
          const C = m.channels;
          const v = (c: number) => Math.round(255 * Math.max(0, Math.min(1, m.values[p * C + (C === 3 ? c : 0)])));
          return [v(0), v(1), v(2)];
        }
        const v = m.values[p];
        if (Number.isNaN(v)) return [255, 255, 255];
        if (m.type === 'classes') return [palette[3 * v], palette[3 * v + 1], palette[3 * v + 2]];
        return ramp((far - v) / (far - near || 1));
      }),
    ),
  );
  return encodePng({ type: 'rgb', width: W, height: H, pixels: px });
}
