import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  distanceToBackground,
  measureAll,
  measureMorphometrics,
  MORPHOMETRIC_NAMES,
  skeletonize,
  skeletonLengthOf,
  upscaleMatrix,
  type Morphometrics,
} from '../../src/data/morphometrics.js';
import { loadMnist } from '../../src/data/sources.js';
import { Rng } from '../../src/util/rng.js';
import { expectFsmtlError, SHARED } from './helpers.js';

// ---- Drawing: anti-aliased strokes, like MNIST's. A pixel's value is the mean over 8×8 sub-samples
// of clamp(0.5 + half − d, 0, 1), d the distance to the stroke's centre curve: the 0.5 level set is
// the stroke of width 2·half, with a one-pixel grey ramp across its edge.

type Dist = (x: number, y: number) => number;

function draw(h: number, w: number, dist: Dist, half: number): Float32Array {
  const ss = 8;
  const img = new Float32Array(h * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let i = 0; i < ss; i++) {
        for (let j = 0; j < ss; j++) s += Math.min(1, Math.max(0, 0.5 + half - dist(x + (j + 0.5) / ss, y + (i + 0.5) / ss)));
      }
      img[y * w + x] = s / (ss * ss);
    }
  }
  return img;
}

/** Distance to the segment from (ax, ay) to (bx, by): a stroke with round caps. */
function segment(ax: number, ay: number, bx: number, by: number): Dist {
  const dx = bx - ax;
  const dy = by - ay;
  return (x, y) => {
    const t = Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)));
    return Math.hypot(x - ax - t * dx, y - ay - t * dy);
  };
}

const S = 28;
const C = S / 2;

/** A vertical stroke of width w whose centre segment has length L (its caps add w/2 at each end). */
function verticalStroke(w: number, L: number): Float32Array {
  return draw(S, S, segment(C, C - L / 2, C, C + L / 2), w / 2);
}

/**
 * A bar of width w and height L sheared by angle θ: the row at height y is shifted right by
 * tan θ·(C − y), so for θ > 0 its top leans to the right. Soft edges on all four sides.
 */
function shearedBar(w: number, L: number, theta: number): Float32Array {
  const t = Math.tan(theta);
  const img = new Float32Array(S * S);
  const ss = 8;
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      let s = 0;
      for (let i = 0; i < ss; i++) {
        for (let j = 0; j < ss; j++) {
          const px = x + (j + 0.5) / ss;
          const py = y + (i + 0.5) / ss;
          const across = Math.abs(px - C - t * (C - py)) * Math.cos(theta);
          const along = Math.abs(py - C);
          s += Math.min(1, Math.max(0, 0.5 + w / 2 - across)) * Math.min(1, Math.max(0, 0.5 + L / 2 - along));
        }
      }
      img[y * S + x] = s / (ss * ss);
    }
  }
  return img;
}

function ring(r: number, t: number): Float32Array {
  return draw(S, S, (x, y) => Math.abs(Math.hypot(x - C, y - C) - r), t / 2);
}

function mirrorX(img: Float32Array, h: number, w: number): Float32Array {
  const out = new Float32Array(h * w);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[y * w + x] = img[y * w + (w - 1 - x)];
  return out;
}

function within(value: number, lo: number, hi: number, what: string): void {
  assert.ok(value >= lo && value <= hi, `${what} = ${value}, expected in [${lo}, ${hi}]`);
}

/**
 * Upper bound on the measured length of a straight stroke of width w and centre segment L: the
 * medial axis follows the segment and may reach on into both caps (L + w in all); where the distance
 * map's ridge is two pixels wide (even widths on the ×4 grid) the tie-break steps between them, and
 * with random choices half the steps are diagonal: (1 + √2)/2 per pixel instead of 1.
 */
const maxLength = (L: number, w: number) => ((1 + Math.SQRT2) / 2) * (L + w);

const fmt = (m: Morphometrics) => MORPHOMETRIC_NAMES.map((k) => `${k} ${m[k].toFixed(3)}`).join(', ');

// ---- Strokes whose answer is known

test('a vertical stroke of width w and length L', () => {
  const L = 16;
  for (const w of [2, 3, 4, 5]) {
    const m = measureMorphometrics(verticalStroke(w, L), S, S);
    const at = `w ${w}, L ${L}: ${fmt(m)}`;
    // Thickness is twice the distance from the centre line to the background: w, on the ×4 grid.
    within(m.thickness, w - 0.25, w + 0.25, `thickness (${at})`);
    within(m.length, L - 1, maxLength(L, w), `length (${at})`);
    assert.ok(Math.abs(m.slant) < 1e-3, `slant (${at})`);
    // Width and height are extents of the grey mass (98% of it): the stroke plus part of its grey ramp.
    within(m.width, w, w + 1.5, `width (${at})`);
    within(m.height, L + w - 1, L + w + 1, `height (${at})`);
  }
});

test('thicker strokes measure thicker and wider', () => {
  const ms = [2, 3, 4, 5].map((w) => measureMorphometrics(verticalStroke(w, 14), S, S));
  for (let i = 1; i < ms.length; i++) {
    assert.ok(ms[i].thickness > ms[i - 1].thickness + 0.5, `thickness ${ms[i - 1].thickness} → ${ms[i].thickness}`);
    assert.ok(ms[i].width > ms[i - 1].width + 0.5, `width ${ms[i - 1].width} → ${ms[i].width}`);
  }
  ms.forEach((m, i) => within(m.length, 14 - 1, maxLength(14, i + 2), 'length'));
});

test('a bar sheared by θ has slant θ (positive when its top leans right); de-slanted size unchanged', () => {
  const upright = measureMorphometrics(shearedBar(2.5, 18, 0), S, S);
  assert.ok(Math.abs(upright.slant) < 1e-3, `upright slant ${upright.slant}`);
  for (const deg of [10, 20, 30]) {
    const theta = (deg * Math.PI) / 180;
    const img = shearedBar(2.5, 18, theta);
    const right = measureMorphometrics(img, S, S);
    const left = measureMorphometrics(mirrorX(img, S, S), S, S);
    const at = `${deg}°: ${fmt(right)}`;
    assert.ok(Math.abs(right.slant - theta) < 0.01, `slant ${right.slant} for ${theta} (${at})`);
    assert.ok(Math.abs(left.slant + theta) < 0.01, `mirrored slant ${left.slant} for ${-theta}`);
    assert.ok(Math.abs(right.slant + left.slant) < 1e-6, 'mirror images have opposite slants');
    // The de-slanted width is the bar's horizontal cross-section, w / cos θ instead of w.
    const wantWidth = upright.width + 2.5 * (1 / Math.cos(theta) - 1);
    within(right.width, wantWidth - 0.2, wantWidth + 0.2, `width (${at})`);
    assert.ok(Math.abs(right.height - upright.height) < 0.1, `height ${right.height} vs upright ${upright.height}`);
  }
});

test('a ring of radius r and stroke t: length ≈ 2πr, thickness ≈ t, round', () => {
  for (const [r, t] of [
    [6, 2],
    [9, 2.5],
  ]) {
    const m = measureMorphometrics(ring(r, t), S, S);
    const at = `r ${r}, t ${t}: ${fmt(m)}`;
    // The 8-neighbour link length (1 or √2 per step) overestimates oblique curves: 5.5% on average
    // over directions, plus the skeleton's jaggies.
    within(m.length, 2 * Math.PI * r, 1.15 * 2 * Math.PI * r, `length (${at})`);
    within(m.thickness, t - 0.25, t + 0.25, `thickness (${at})`);
    assert.ok(Math.abs(m.slant) < 0.01, `slant (${at})`);
    assert.ok(Math.abs(m.width - m.height) < 0.05, `width vs height (${at})`);
    within(m.width, 2 * r + t - 1, 2 * r + t + 1.5, `width (${at})`);
  }
});

test('blank and constant images measure all zeros; bad input is refused', () => {
  for (const fill of [0, 0.3, 1]) {
    const m = measureMorphometrics(new Float32Array(S * S).fill(fill), S, S);
    for (const k of MORPHOMETRIC_NAMES) assert.equal(m[k], 0, `${k} of an image filled with ${fill}`);
  }
  const all = measureAll(new Float32Array(3 * S * S), 3, S, S);
  assert.deepEqual(Array.from(all), new Array(15).fill(0));
  // One lit pixel: finite, tiny.
  const dot = new Float32Array(S * S);
  dot[C * S + C] = 1;
  const m = measureMorphometrics(dot, S, S);
  for (const k of MORPHOMETRIC_NAMES) assert.ok(Number.isFinite(m[k]), `${k} of a dot`);
  assert.ok(m.length < 1 && m.thickness < 2, fmt(m));

  // Values outside [0, 1] still give finite numbers; a grey background does not change the stroke.
  const neg = new Float32Array(S * S).fill(-1);
  neg[300] = -0.5;
  for (const v of Object.values(measureMorphometrics(neg, S, S))) assert.ok(Number.isFinite(v), fmt(measureMorphometrics(neg, S, S)));
  const stroke = verticalStroke(3, 14);
  const onGrey = measureMorphometrics(stroke.map((v) => 0.2 + 0.8 * v), S, S);
  const plain = measureMorphometrics(stroke, S, S);
  assert.ok(Math.abs(onGrey.thickness - plain.thickness) < 1e-9 && Math.abs(onGrey.length - plain.length) < 1e-9, `${fmt(onGrey)} vs ${fmt(plain)}`);

  const nan = verticalStroke(2, 10);
  nan[5] = Number.NaN;
  expectFsmtlError(() => measureMorphometrics(nan, S, S), 'NaN', 'finite');
  expectFsmtlError(() => measureMorphometrics(new Float32Array(10), S, S), '10 pixels', '28×28');
  expectFsmtlError(() => measureAll(new Float32Array(S * S), 2, S, S), 'expected 2×28×28');
  expectFsmtlError(() => measureMorphometrics(dot, S, S, { scale: 2.5 }), 'scale');
  expectFsmtlError(() => measureMorphometrics(dot, S, S, { threshold: 1 }), 'threshold');
});

test('measureAll: rows in MORPHOMETRIC_NAMES order, equal to measureMorphometrics; any image size', () => {
  assert.deepEqual([...MORPHOMETRIC_NAMES], ['thickness', 'length', 'slant', 'width', 'height']);
  const imgs = [verticalStroke(3, 12), shearedBar(2, 16, 0.3), ring(7, 2), new Float32Array(S * S)];
  const batch = new Float32Array(imgs.length * S * S);
  imgs.forEach((im, i) => batch.set(im, i * S * S));
  const out = measureAll(batch, imgs.length, S, S);
  assert.equal(out.length, imgs.length * 5);
  imgs.forEach((im, i) => {
    const m = measureMorphometrics(im, S, S);
    MORPHOMETRIC_NAMES.forEach((k, c) => assert.equal(out[i * 5 + c], Math.fround(m[k]), `image ${i} ${k}`));
  });
  // A non-square canvas with the same stroke in its middle measures the same stroke.
  const wide = draw(24, 40, segment(20, 12 - 7, 20, 12 + 7), 1.5);
  const m = measureMorphometrics(wide, 24, 40);
  within(m.thickness, 2.75, 3.25, 'thickness on 24×40');
  within(m.length, 13, 17, 'length on 24×40');
  // scale 1 measures the image as it is, coarser but in the same units.
  const coarse = measureMorphometrics(verticalStroke(3, 16), S, S, { scale: 1 });
  within(coarse.height, 16 + 3 - 1.5, 16 + 3 + 1.5, 'height at scale 1');
  assert.ok(Math.abs(coarse.slant) < 1e-3);
});

// ---- The building blocks

test('upscaleMatrix: scale 1 is the identity; rows sum to 1; mirror symmetric; interpolates smoothly', () => {
  const id = upscaleMatrix(5, 1);
  for (let i = 0; i < 5; i++) for (let k = 0; k < 5; k++) assert.equal(id[i * 5 + k], i === k ? 1 : 0);
  const n = 28;
  const M = upscaleMatrix(n, 4);
  for (let j = 0; j < 4 * n; j++) {
    let s = 0;
    for (let k = 0; k < n; k++) s += M[j * n + k];
    assert.ok(Math.abs(s - 1) < 1e-9, `row ${j} sums to ${s}`);
    for (let k = 0; k < n; k++) assert.ok(Math.abs(M[j * n + k] - M[(4 * n - 1 - j) * n + (n - 1 - k)]) < 1e-12);
  }
  // A linear ramp away from the edges stays linear (the spline and the Gaussian both keep lines).
  for (let j = 40; j < 72; j++) {
    let v = 0;
    for (let k = 0; k < n; k++) v += M[j * n + k] * k;
    assert.ok(Math.abs(v - ((j + 0.5) / 4 - 0.5)) < 1e-6, `ramp at ${j}: ${v}`);
  }
});

test('distanceToBackground equals the brute-force Euclidean distance', () => {
  const rng = new Rng(7);
  for (let trial = 0; trial < 20; trial++) {
    const h = 3 + rng.int(14);
    const w = 3 + rng.int(14);
    const p = 0.5 + 0.45 * rng.next();
    const b = new Uint8Array(h * w);
    for (let i = 0; i < b.length; i++) b[i] = rng.next() < p ? 1 : 0;
    const d = distanceToBackground(b, h, w);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        // Outside the image counts as background.
        let best = b[y * w + x] ? Math.min(y + 1, x + 1, h - y, w - x) ** 2 : 0;
        for (let yy = 0; yy < h; yy++) for (let xx = 0; xx < w; xx++) if (!b[yy * w + xx]) best = Math.min(best, (x - xx) ** 2 + (y - yy) ** 2);
        assert.ok(Math.abs(d[y * w + x] - Math.sqrt(best)) < 1e-12, `trial ${trial} (${y}, ${x}): ${d[y * w + x]} vs ${Math.sqrt(best)}`);
      }
    }
  }
});

/** Number of 8-connected (or 4-connected) components of the pixels equal to `value`, outside = background. */
function components(a: Uint8Array, h: number, w: number, value: number, eight: boolean): number {
  // Pad with a frame of background so that the outside is one background component.
  const H = h + 2;
  const W = w + 2;
  const g = new Uint8Array(H * W);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) g[(y + 1) * W + x + 1] = a[y * w + x] ? 1 : 0;
  const seen = new Uint8Array(H * W);
  const steps = eight ? [-W - 1, -W, -W + 1, -1, 1, W - 1, W, W + 1] : [-W, -1, 1, W];
  let count = 0;
  for (let s = 0; s < H * W; s++) {
    if (seen[s] || g[s] !== value) continue;
    count++;
    const stack = [s];
    seen[s] = 1;
    while (stack.length) {
      const p = stack.pop()!;
      const py = Math.floor(p / W);
      for (const d of steps) {
        const q = p + d;
        if (q < 0 || q >= H * W || Math.abs(Math.floor(q / W) - py) > 1 || seen[q] || g[q] !== value) continue;
        seen[q] = 1;
        stack.push(q);
      }
    }
  }
  return count;
}

test('skeletonize: thin, inside the shape, same components and holes', () => {
  const h = 40;
  const w = 40;
  const shapes: [string, (x: number, y: number) => boolean][] = [
    ['thick bar', (x, y) => Math.abs(x - 20) <= 4 && Math.abs(y - 20) <= 14],
    ['thick ring', (x, y) => Math.abs(Math.hypot(x - 20, y - 20) - 12) <= 4],
    ['plus', (x, y) => (Math.abs(x - 20) <= 3 && Math.abs(y - 20) <= 15) || (Math.abs(y - 20) <= 3 && Math.abs(x - 20) <= 15)],
    ['two discs', (x, y) => Math.hypot(x - 10, y - 10) <= 6 || Math.hypot(x - 28, y - 27) <= 8],
  ];
  for (const [name, inside] of shapes) {
    const b = new Uint8Array(h * w);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) b[y * w + x] = inside(x, y) ? 1 : 0;
    const s = skeletonize(b, h, w);
    let n = 0;
    for (let i = 0; i < s.length; i++) {
      if (s[i]) {
        n++;
        assert.equal(b[i], 1, `${name}: skeleton pixel ${i} outside the shape`);
      }
    }
    assert.ok(n > 0, `${name}: empty skeleton`);
    assert.equal(components(s, h, w, 1, true), components(b, h, w, 1, true), `${name}: foreground components`);
    assert.equal(components(s, h, w, 0, false), components(b, h, w, 0, false), `${name}: background components (holes)`);
    for (let y = 0; y + 1 < h; y++) {
      for (let x = 0; x + 1 < w; x++) {
        const block = s[y * w + x] + s[y * w + x + 1] + s[(y + 1) * w + x] + s[(y + 1) * w + x + 1];
        assert.ok(block < 4, `${name}: a 2×2 block of skeleton at (${y}, ${x})`);
      }
    }
  }
});

test('skeletonLengthOf: 1 per side step, √2 per diagonal step', () => {
  const h = 12;
  const w = 12;
  const line = new Uint8Array(h * w);
  for (let x = 1; x <= 10; x++) line[5 * w + x] = 1;
  assert.equal(skeletonLengthOf(line, h, w), 9);
  const diag = new Uint8Array(h * w);
  for (let i = 1; i <= 10; i++) diag[i * w + i] = 1;
  assert.ok(Math.abs(skeletonLengthOf(diag, h, w) - 9 * Math.SQRT2) < 1e-12);
  const lone = new Uint8Array(h * w);
  lone[3 * w + 3] = 1;
  assert.equal(skeletonLengthOf(lone, h, w), 0);
});

// ---- Real MNIST digits

const mnistDir = join(SHARED, 'mnist');
const noMnist = existsSync(mnistDir) ? false : `MNIST not found at ${mnistDir} (set FSMTL_DATA to a folder holding mnist/)`;

function mnistFloats(n: number): { x: Float32Array; labels: Int32Array } {
  const m = loadMnist(SHARED).train;
  const x = new Float32Array(n * 784);
  for (let i = 0; i < n * 784; i++) x[i] = m.images[i] / 255;
  return { x, labels: m.labels.subarray(0, n) };
}

test('first 100 MNIST training digits: finite, plausible, ones shorter than zeros and eights', { skip: noMnist }, () => {
  const n = 100;
  const { x, labels } = mnistFloats(n);
  const out = measureAll(x, n, 28, 28);
  for (let i = 0; i < out.length; i++) assert.ok(Number.isFinite(out[i]), `value ${i} is ${out[i]}`);
  const mean = (c: number, label?: number) => {
    let s = 0;
    let k = 0;
    for (let i = 0; i < n; i++) {
      if (label !== undefined && labels[i] !== label) continue;
      s += out[i * 5 + c];
      k++;
    }
    return s / k;
  };
  const [T, L, SL, W, H] = [0, 1, 2, 3, 4];
  // Morpho-MNIST: thickness mostly 1.5–6 px, length 10–60 px; MNIST digits are normalised to a 20×20 box.
  within(mean(T), 1.5, 6, 'mean thickness');
  within(mean(L), 10, 60, 'mean length');
  within(mean(SL), -0.5, 0.5, 'mean slant');
  within(mean(H), 15, 21, 'mean height');
  for (let i = 0; i < n; i++) {
    within(out[i * 5 + T], 0.5, 10, `thickness of digit ${i}`);
    within(out[i * 5 + L], 3, 120, `length of digit ${i}`);
    within(out[i * 5 + H], 5, 28, `height of digit ${i}`);
  }
  assert.ok(mean(L, 1) < mean(L, 0) && mean(L, 1) < mean(L, 8), `length of 1s ${mean(L, 1)}, 0s ${mean(L, 0)}, 8s ${mean(L, 8)}`);
  assert.ok(mean(W, 1) < mean(W, 0), `width of 1s ${mean(W, 1)} vs 0s ${mean(W, 0)}`);
});

test('first MNIST training digits agree with the scikit-image pipeline of the paper', { skip: noMnist }, () => {
  // Measured outside this project with scikit-image 0.19.3 and scipy 1.10 as the paper's code does
  // (pyramid_expand ×4, order 3; binarise at half the range; medial_axis; docs/morpho.md); rows in
  // MORPHOMETRIC_NAMES order. medial_axis breaks ties at random, so lengths differ from run to run
  // (0.4 px on average, up to 2.4); the tolerances are the largest differences over 1000 digits.
  const reference = [
    [2.518903, 47.998737, 0.231577, 14.523651, 19.889152],
    [2.570187, 52.698485, 0.330892, 15.385168, 19.359169],
    [1.857575, 47.195436, -0.213113, 20.472912, 19.133937],
    [2.927557, 22.392136, 0.50793, 5.406406, 19.768806],
    [2.226255, 44.955844, 0.008993, 13.27356, 19.492584],
    [2.385538, 55.526912, 0.297989, 18.132294, 16.51157],
    [3.434131, 20.192388, -0.155563, 5.074906, 19.748461],
    [3.156976, 46.006097, 0.31344, 13.307651, 19.625631],
  ];
  const tolerance = [0.25, 0.15, 0.01, 0.5, 0.2]; // length: relative
  const { x } = mnistFloats(reference.length);
  const out = measureAll(x, reference.length, 28, 28);
  reference.forEach((row, i) => {
    row.forEach((want, c) => {
      const got = out[i * 5 + c];
      const tol = c === 1 ? tolerance[c] * want : tolerance[c];
      assert.ok(Math.abs(got - want) <= tol, `digit ${i} ${MORPHOMETRIC_NAMES[c]}: ${got} vs ${want} (± ${tol})`);
    });
  });
});

test('timing: 10,000 MNIST digits (logged, not asserted)', { skip: noMnist }, () => {
  const n = 10000;
  const { x } = mnistFloats(n);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const out = measureAll(x, n, 28, 28);
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const t1 = performance.now();
  measureAll(x.subarray(0, 2000 * 784), 2000, 28, 28, { scale: 1 });
  const ms1 = ((performance.now() - t1) * n) / 2000;
  console.log(
    `morphometrics of ${n} MNIST digits: ${ms.toFixed(0)} ms wall, ${cpuMs.toFixed(0)} ms CPU ` +
      `(${((1000 * ms) / n).toFixed(0)} µs per digit) at scale 4; ~${ms1.toFixed(0)} ms at scale 1`,
  );
  assert.equal(out.length, n * 5);
});
