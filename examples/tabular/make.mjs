// Writes plants.csv: 400 synthetic herb plants, with three tasks learnable from six measurements.
// Deterministic (a fixed seed), plain Node: `node examples/tabular/make.mjs` rewrites the same file.
//
//   species         basil, mint or sage: set by the leaves (basil broad, mint small, sage narrow) and height
//   flowering       yes/no: more likely with more sun and water, a little by species
//   growth_cm_week  weekly growth: sun and water help, soil pH away from 6.5 hurts, mint grows fastest
// About 8% of species, 10% of flowering and 6% of growth cells are left empty (labels not recorded).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const N = 400;

// mulberry32: a tiny seeded generator, so that the file is the same on every machine.
let state = 20240917;
function uniform() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const between = (lo, hi) => lo + (hi - lo) * uniform();
const normal = (mean, sd) => mean + sd * Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());

const SPECIES = {
  basil: { length: [6.5, 0.9], width: [3.8, 0.6], height: [0.45, 0.08], flower: 0.5, growth: 1.0 },
  mint: { length: [4.5, 0.8], width: [2.3, 0.4], height: [0.6, 0.12], flower: -0.5, growth: 1.8 },
  sage: { length: [6.0, 1.0], width: [1.7, 0.35], height: [0.55, 0.08], flower: 0, growth: 0.4 },
};
const names = Object.keys(SPECIES);

const header = ['plant_id', 'leaf_length_cm', 'leaf_width_cm', 'height_m', 'soil_ph', 'sun_hours', 'water_l_week', 'species', 'flowering', 'growth_cm_week'];
const lines = [header.join(',')];
for (let i = 0; i < N; i++) {
  const species = names[Math.floor(uniform() * names.length)];
  const s = SPECIES[species];
  const length = Math.max(1.5, normal(...s.length));
  const width = Math.max(0.5, normal(...s.width));
  const height = Math.max(0.1, normal(...s.height));
  const ph = between(5.2, 7.8);
  const sun = between(2, 12);
  const water = between(0.5, 5);
  const logit = 1.1 * (sun - 7) + 0.8 * (water - 2.5) + s.flower;
  const flowering = uniform() < 1 / (1 + Math.exp(-logit)) ? 'yes' : 'no';
  const growth = Math.max(0, 0.35 * sun + 0.6 * water - 1.5 * (ph - 6.5) ** 2 + s.growth + normal(0, 0.4));
  const row = [
    `P${String(i + 1).padStart(3, '0')}`,
    length.toFixed(1),
    width.toFixed(1),
    height.toFixed(2),
    ph.toFixed(1),
    sun.toFixed(1),
    water.toFixed(1),
    uniform() < 0.08 ? '' : species,
    uniform() < 0.1 ? '' : flowering,
    uniform() < 0.06 ? '' : growth.toFixed(1),
  ];
  lines.push(row.join(','));
}
const out = fileURLToPath(new URL('plants.csv', import.meta.url));
writeFileSync(out, lines.join('\n') + '\n');
console.log(`wrote ${out} (${N} rows)`);
