// Data manifests: the user's own files as a benchmark (src/data/manifest.ts, docs/data-manifest.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { zipSync } from 'fflate';
import { PNG } from 'pngjs';
import { readCsvFile } from '../../src/data/csv.js';
import { dataManifestHash, DEFAULT_TEST_FRACTION, loadDataManifest, manifestSchema } from '../../src/data/manifest.js';
import type { Benchmark, Split } from '../../src/data/types.js';
import { parseTrainConfig } from '../../src/train/config.js';
import { train } from '../../src/train/trainer.js';
import { bytesOf, encodeJpeg, expectFsmtlError, makeIdx, makeNpy, npyHeader, tempDir } from './helpers.js';

const EXAMPLE = join(import.meta.dirname, '..', '..', 'examples', 'tabular');

/** A folder holding `files` (text or bytes) and the manifest `m` as tasks.json; returns the manifest's path. */
function folder(files: Record<string, string | Uint8Array>, m: unknown): string {
  const dir = tempDir();
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  writeFileSync(join(dir, 'tasks.json'), typeof m === 'string' ? m : JSON.stringify(m, null, 2));
  return join(dir, 'tasks.json');
}

const f32npy = (shape: number[], values: number[]) => makeNpy(npyHeader('<f4', shape), bytesOf(Float32Array.from(values)));
const u8npy = (shape: number[], values: number[]) => makeNpy(npyHeader('|u1', shape), Uint8Array.from(values));
const i64npy = (shape: number[], values: number[]) => makeNpy(npyHeader('<i8', shape), bytesOf(BigInt64Array.from(values.map(BigInt))));

/** A CSV of n rows: numeric inputs a, b and the given label columns (cells as given). */
function csv(n: number, labels: Record<string, (i: number) => string> = {}): string {
  const names = Object.keys(labels);
  const rows = Array.from({ length: n }, (_, i) => [String(i), String((i * 7) % 5), ...names.map((c) => labels[c](i))].join(','));
  return [['a', 'b', ...names].join(','), ...rows].join('\n') + '\n';
}

const rowsOf = (s: Split, width: number) => Array.from({ length: s.n }, (_, i) => Array.from(s.x.subarray(i * width, (i + 1) * width)));
const missing = (y: Float32Array) => y.filter(Number.isNaN).length;

test('the worked example: shapes, kinds, class names, missing labels, aligned rows', () => {
  const b = loadDataManifest(join(EXAMPLE, 'tasks.json'));
  assert.equal(b.name, 'plants');
  assert.equal(b.kind, 'homogeneous');
  assert.deepEqual(b.inputShape, [1, 1, 6]);
  assert.deepEqual(b.tasks.map((t) => [t.name, t.spec.kind]), [['species', 'multiclass'], ['flowering', 'binary'], ['growth', 'regression']]);
  assert.deepEqual(b.tasks[0].spec, { kind: 'multiclass', classes: 3, classNames: ['basil', 'mint', 'sage'] });
  assert.deepEqual(b.tasks[1].spec, { kind: 'binary', classNames: ['no', 'yes'] });
  assert.deepEqual(b.tasks[2].spec, { kind: 'regression', targets: 1, targetNames: ['growth_cm_week'] });

  // Read the CSV independently of the loader and compare.
  const table = readCsvFile(join(EXAMPLE, 'plants.csv'));
  const N = table.rows;
  const inputs = ['leaf_length_cm', 'leaf_width_cm', 'height_m', 'soil_ph', 'sun_hours', 'water_l_week'];
  const t0 = b.tasks[0];
  assert.equal(t0.train.n + t0.test.n, N);
  assert.equal(t0.test.n, Math.round(N * 0.2));
  assert.equal(t0.val, undefined, 'no validation split unless the manifest asks');
  for (const t of b.tasks) {
    assert.equal(t.train.x, t0.train.x, 'homogeneous tasks share one input array');
    assert.equal(t.test.x, t0.test.x);
  }
  const targets = { species: 'species', flowering: 'flowering', growth: 'growth_cm_week' } as Record<string, string>;
  for (const t of b.tasks) {
    const empty = table.column(targets[t.name]).filter((c) => c.trim() === '').length;
    assert.ok(empty > 0, `the example leaves some ${t.name} labels empty`);
    assert.equal(missing(t.train.y) + missing(t.test.y), empty, `${t.name}: every empty cell is a missing label`);
  }
  // Each example's features and labels come from one CSV row, and every row is used once.
  const byKey = new Map<string, number>();
  for (let i = 0; i < N; i++) byKey.set(inputs.map((c) => Math.fround(Number(table.column(c)[i]))).join(' '), i);
  assert.equal(byKey.size, N, 'the example rows are distinct');
  const used = new Set<number>();
  for (const split of ['train', 'test'] as const) {
    rowsOf(t0[split], 6).forEach((r, k) => {
      const i = byKey.get(r.join(' '));
      assert.ok(i !== undefined, `${split} example ${k} is a row of the CSV`);
      used.add(i);
      const species = table.column('species')[i];
      const y = b.tasks[0][split].y[k];
      assert.equal(species === '' ? 'missing' : ['basil', 'mint', 'sage'][y], species === '' ? 'missing' : species);
      const flowering = table.column('flowering')[i];
      assert.equal(Number.isNaN(b.tasks[1][split].y[k]) ? '' : ['no', 'yes'][b.tasks[1][split].y[k]], flowering);
      const growth = table.column('growth_cm_week')[i];
      assert.equal(b.tasks[2][split].y[k], growth === '' ? NaN : Math.fround(Number(growth)));
    });
  }
  assert.equal(used.size, N);
  assert.ok(b.provenance.some((l) => l.includes("task 'species'") && l.includes('missing')), b.provenance.join('\n'));
  assert.equal(b.dataHash, dataManifestHash(join(EXAMPLE, 'tasks.json')));
});

test('the worked example is learnable: an MLP beats chance clearly on every task', async () => {
  const b = loadDataManifest(join(EXAMPLE, 'tasks.json'));
  const r = await train(parseTrainConfig({ method: 'mtl', hidden: [64, 64], epochs: 20, batchSize: 32, lr: 3e-3 }), b);
  const [species, flowering, growth] = r.perTask;
  // Chance: a third for three species; the majority outcome for flowering.
  const f = b.tasks[1].test.y.filter((v) => !Number.isNaN(v));
  const majority = Math.max(f.filter((v) => v === 1).length, f.filter((v) => v === 0).length) / f.length;
  assert.ok(species.metrics.accuracy > 0.7, `species accuracy ${species.metrics.accuracy}`);
  assert.ok(flowering.metrics.accuracy > majority + 0.1, `flowering accuracy ${flowering.metrics.accuracy} vs majority ${majority}`);
  assert.ok(growth.metrics.r2 > 0.4, `growth R² ${growth.metrics.r2}`);
});

test('the data hash: the same when the folder moves or the JSON is reformatted, different when a data byte or the manifest changes', () => {
  const a = tempDir();
  const b = tempDir();
  cpSync(EXAMPLE, a, { recursive: true });
  cpSync(EXAMPLE, join(b, 'nested'), { recursive: true });
  const h = dataManifestHash(join(EXAMPLE, 'tasks.json'));
  assert.match(h, /^[0-9a-f]{16}$/);
  assert.equal(dataManifestHash(join(a, 'tasks.json')), h);
  assert.equal(dataManifestHash(join(b, 'nested', 'tasks.json')), h);

  const m = JSON.parse(readFileSync(join(a, 'tasks.json'), 'utf8'));
  writeFileSync(join(a, 'tasks.json'), JSON.stringify(m));
  assert.equal(dataManifestHash(join(a, 'tasks.json')), h, 'whitespace does not count');
  writeFileSync(join(a, 'tasks.json'), JSON.stringify({ ...m, split: { ...m.split, seed: 1 } }));
  assert.notEqual(dataManifestHash(join(a, 'tasks.json')), h, 'the manifest counts');

  const data = readFileSync(join(b, 'nested', 'plants.csv'));
  const at = data.indexOf('4.0');
  data[at] = '5'.charCodeAt(0);
  writeFileSync(join(b, 'nested', 'plants.csv'), data);
  const changed = dataManifestHash(join(b, 'nested', 'tasks.json'));
  assert.notEqual(changed, h, 'one byte of the CSV counts');
  assert.equal(loadDataManifest(join(b, 'nested', 'tasks.json')).dataHash, changed);
});

test('the hash reads bytes only: it works on data that would not load', () => {
  const p = folder({ 'd.csv': 'a,b,y\n1,x,0\n2,3,1\n' }, { inputs: { csv: 'd.csv' }, tasks: [{ name: 'y', kind: 'binary', target: 'y' }] });
  assert.match(dataManifestHash(p), /^[0-9a-f]{16}$/);
  expectFsmtlError(() => loadDataManifest(p), 'd.csv', 'line 2', "column 'b'", '"x" is not a number');
  expectFsmtlError(() => dataManifestHash(p.replace('tasks.json', 'none.json')), 'none.json', 'file not found');
});

test('name defaults to the file stem; "exclude" takes every other non-target column; the split is seeded and stable', () => {
  const files = { 'houses.csv': csv(50, { id: (i) => `H${i}`, price: (i) => String(100 + i) }) };
  const m = { inputs: { csv: 'houses.csv', exclude: ['id'] }, tasks: [{ name: 'price', kind: 'regression', target: 'price' }] };
  const p = folder(files, m);
  const b = loadDataManifest(p);
  assert.equal(b.name, 'tasks');
  assert.deepEqual(b.inputShape, [1, 1, 2]);
  assert.equal(b.tasks[0].test.n, Math.round(50 * DEFAULT_TEST_FRACTION));
  // Inputs a = i, so the test rows are readable: the same on every load, another set for another seed.
  const testRows = (bench: Benchmark) => rowsOf(bench.tasks[0].test, 2).map((r) => r[0]);
  assert.deepEqual(testRows(loadDataManifest(p)), testRows(b));
  const other = loadDataManifest(folder(files, { ...m, split: { test: 0.2, seed: 7 } }));
  assert.notDeepEqual(testRows(other), testRows(b));
  // Labels follow their rows: price = 100 + a.
  for (const s of [b.tasks[0].train, b.tasks[0].test]) rowsOf(s, 2).forEach((r, k) => assert.equal(s.y[k], 100 + r[0]));
  // A validation fraction is carved too, disjoint from test.
  const v = loadDataManifest(folder(files, { ...m, split: { test: 0.2, val: 0.1 } })).tasks[0];
  assert.deepEqual([v.train.n, v.val?.n, v.test.n], [35, 5, 10]);
  const all = [v.train, v.val!, v.test].flatMap((s) => rowsOf(s, 2).map((r) => r[0]));
  assert.deepEqual(all.sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i));
});

test('multiclass labels: class numbers, class names (sorted), given classes and classNames, a missing sentinel', () => {
  const names = ['setosa', 'virginica', 'versicolor'];
  const files = { 'd.csv': csv(30, { num: (i) => String(i % 3), name: (i) => (i === 4 ? '' : names[i % 3]), sent: (i) => (i % 5 === 0 ? '-1.0' : String(i % 4)) }) };
  const b = loadDataManifest(
    folder(files, {
      inputs: { csv: 'd.csv', columns: ['a', 'b'] },
      tasks: [
        { name: 'num', kind: 'multiclass', target: 'num' },
        { name: 'named', kind: 'multiclass', target: 'name' },
        { name: 'five', kind: 'multiclass', target: 'num', classes: 5 },
        { name: 'labelled', kind: 'multiclass', target: 'num', classNames: ['zero', 'one', 'two'] },
        { name: 'sent', kind: 'multiclass', target: 'sent', missing: -1 },
      ],
    }),
  );
  const [num, named, five, labelled, sent] = b.tasks;
  assert.deepEqual(num.spec, { kind: 'multiclass', classes: 3 });
  assert.deepEqual(named.spec, { kind: 'multiclass', classes: 3, classNames: ['setosa', 'versicolor', 'virginica'] });
  assert.deepEqual(five.spec, { kind: 'multiclass', classes: 5 });
  assert.deepEqual(labelled.spec, { kind: 'multiclass', classes: 3, classNames: ['zero', 'one', 'two'] });
  assert.deepEqual(sent.spec, { kind: 'multiclass', classes: 4 });
  for (const s of ['train', 'test'] as const) {
    rowsOf(num[s], 2).forEach((r, k) => {
      const i = r[0];
      assert.equal(num[s].y[k], i % 3);
      // Sorted names: setosa 0, versicolor 1, virginica 2.
      assert.equal(named[s].y[k], i === 4 ? NaN : ['setosa', 'versicolor', 'virginica'].indexOf(names[i % 3]));
      assert.equal(sent[s].y[k], i % 5 === 0 ? NaN : i % 4);
    });
  }
  assert.equal(missing(sent.train.y) + missing(sent.test.y), 6);
});

test('binary labels: 0/1, true/false, yes/no, a "positive" value; missing cells', () => {
  const files = {
    'd.csv': csv(20, {
      bit: (i) => String(i % 2),
      tf: (i) => (i % 2 ? 'TRUE' : 'false'),
      yn: (i) => (i === 3 ? '' : i % 2 ? 'yes' : 'No'),
      kind: (i) => (i % 2 ? 'pricey' : 'cheap'),
      code: (i) => (i % 2 ? '7' : '3'),
    }),
  };
  const task = (name: string, extra: object = {}) => ({ name, kind: 'binary', target: name, ...extra });
  const b = loadDataManifest(
    folder(files, { inputs: { csv: 'd.csv', columns: ['a', 'b'] }, tasks: [task('bit'), task('tf'), task('yn'), task('kind', { positive: 'pricey' }), task('code', { positive: 7 })] }),
  );
  assert.deepEqual(b.tasks.map((t) => t.spec), [
    { kind: 'binary' },
    { kind: 'binary', classNames: ['false', 'true'] },
    { kind: 'binary', classNames: ['no', 'yes'] },
    { kind: 'binary', classNames: ['cheap', 'pricey'] },
    { kind: 'binary', classNames: ['3', '7'] },
  ]);
  for (const t of b.tasks) {
    rowsOf(t.train, 2).forEach((r, k) => assert.equal(t.train.y[k], t.name === 'yn' && r[0] === 3 ? NaN : r[0] % 2, `${t.name} row ${r[0]}`));
  }
});

test('regression with several target columns; labels from a separate CSV', () => {
  const files = {
    'x.csv': csv(20),
    'y.csv': 'w,h\n' + Array.from({ length: 20 }, (_, i) => `${i * 2},${i === 5 ? '' : -i - 1}`).join('\n') + '\n',
  };
  const b = loadDataManifest(
    folder(files, { inputs: { csv: 'x.csv' }, tasks: [{ name: 'size', kind: 'regression', targets: ['w', 'h'], labels: { csv: 'y.csv' } }], split: { test: 0.25 } }),
  );
  const t = b.tasks[0];
  assert.deepEqual(t.spec, { kind: 'regression', targets: 2, targetNames: ['w', 'h'] });
  assert.deepEqual(b.inputShape, [1, 1, 2], 'a labels file leaves every input column an input');
  for (const s of [t.train, t.test]) {
    rowsOf(s, 2).forEach((r, k) => {
      assert.equal(s.y[2 * k], 2 * r[0]);
      assert.equal(s.y[2 * k + 1], r[0] === 5 ? NaN : -r[0] - 1);
    });
  }
});

test('array inputs: [N, D] vectors, uint8 [N, H, W] images scaled by 1/255, npz keys, IDX files; array labels with NaN missing', () => {
  const N = 10;
  const files = {
    'x.npy': f32npy([N, 3], Array.from({ length: N * 3 }, (_, i) => i / 2)),
    'y.npy': f32npy([N], Array.from({ length: N }, (_, i) => (i === 2 ? NaN : i % 2))),
    'img.npz': zipSync({ 'x.npy': u8npy([N, 2, 2], Array.from({ length: N * 4 }, (_, i) => i)), 'y.npy': i64npy([N], Array.from({ length: N }, (_, i) => i % 4)) }),
    'img-idx3-ubyte.gz': gzipSync(makeIdx([N, 2, 2], Uint8Array.from({ length: N * 4 }, (_, i) => 255 - i))),
    'lab-idx1-ubyte': makeIdx([N], Uint8Array.from({ length: N }, (_, i) => i % 3)),
  };
  const vec = loadDataManifest(folder(files, { inputs: { npy: 'x.npy' }, tasks: [{ name: 'odd', kind: 'binary', labels: { npy: 'y.npy' } }], split: { test: 0.3 } }));
  assert.deepEqual(vec.inputShape, [1, 1, 3]);
  const odd = vec.tasks[0];
  assert.deepEqual([odd.train.n, odd.test.n], [7, 3]);
  for (const s of [odd.train, odd.test]) rowsOf(s, 3).forEach((r, k) => assert.equal(s.y[k], r[0] === 3 ? NaN : (r[0] / 1.5) % 2));

  const img = loadDataManifest(
    folder(files, {
      name: 'images',
      tasks: [
        { name: 'npz', kind: 'multiclass', inputs: { npz: 'img.npz', key: 'x' }, labels: { npz: 'img.npz', key: 'y' } },
        { name: 'idx', kind: 'multiclass', inputs: { idx: 'img-idx3-ubyte.gz' }, labels: { idx: 'lab-idx1-ubyte' }, classes: 4 },
      ],
    }),
  );
  assert.equal(img.kind, 'heterogeneous');
  assert.deepEqual(img.inputShape, [2, 2, 1]);
  assert.deepEqual(img.tasks.map((t) => t.spec), [{ kind: 'multiclass', classes: 4 }, { kind: 'multiclass', classes: 4 }]);
  const [npz, idx] = img.tasks;
  rowsOf(npz.train, 4).forEach((r, k) => {
    const i = Math.round(r[0] * 255) / 4;
    assert.deepEqual(r, [0, 1, 2, 3].map((j) => Math.fround((4 * i + j) / 255)));
    assert.equal(npz.train.y[k], i % 4);
  });
  rowsOf(idx.test, 4).forEach((r, k) => assert.equal(idx.test.y[k], ((255 - Math.round(r[0] * 255)) / 4) % 3));
});

test('train/test (and val) files instead of fractions; one class vocabulary across files', () => {
  const files = {
    'train.csv': 'a,b,kind\n1,2,cat\n3,4,dog\n5,6,cat\n',
    'test.csv': 'b,a,kind\n8,7,bird\n10,9,dog\n',
    'val.csv': 'a,b,kind\n11,12,dog\n',
  };
  const b = loadDataManifest(
    folder(files, {
      inputs: { train: { csv: 'train.csv' }, test: { csv: 'test.csv' }, val: { csv: 'val.csv' } },
      tasks: [{ name: 'kind', kind: 'multiclass', target: 'kind' }],
    }),
  );
  const t = b.tasks[0];
  assert.deepEqual(t.spec, { kind: 'multiclass', classes: 3, classNames: ['bird', 'cat', 'dog'] });
  assert.deepEqual([t.train.n, t.val?.n, t.test.n], [3, 1, 2]);
  // Columns in the train file's order, whatever the order in the other files.
  assert.deepEqual(rowsOf(t.test, 2), [[7, 8], [9, 10]]);
  assert.deepEqual([...t.test.y], [0, 2]);
  assert.deepEqual([...t.train.y], [1, 2, 1]);
  // A test file and a val fraction: the val examples are carved from train.
  const p = folder({ ...files, 'train.csv': csv(20, { kind: (i) => ['cat', 'dog'][i % 2] }) }, {
    inputs: { train: { csv: 'train.csv' }, test: { csv: 'test.csv' } },
    tasks: [{ name: 'kind', kind: 'multiclass', target: 'kind' }],
    split: { val: 0.25 },
  });
  const c = loadDataManifest(p).tasks[0];
  assert.deepEqual([c.train.n, c.val?.n, c.test.n], [15, 5, 2]);
  expectFsmtlError(() => loadDataManifest(folder(files, { inputs: { train: { csv: 'train.csv' }, test: { csv: 'test.csv' } }, tasks: [{ name: 'kind', kind: 'multiclass', target: 'kind' }], split: { test: 0.2 } })), 'split.test', 'own test file');
});

/** A w×h PNG of one RGB colour. */
function png(w: number, h: number, rgb: [number, number, number]): Uint8Array {
  const p = new PNG({ width: w, height: h });
  for (let i = 0; i < w * h; i++) p.data.set([...rgb, 255], 4 * i);
  return new Uint8Array(PNG.sync.write(p));
}

test('an image folder with a CSV index: PNG and JPEG files, resized, RGB or grey; labels from the index', () => {
  const jpg = (w: number, h: number, rgb: [number, number, number]) => encodeJpeg(Uint8Array.from({ length: w * h * 3 }, (_, i) => rgb[i % 3]), w, h, 100);
  const files = {
    'photos/red.png': png(8, 6, [255, 0, 0]),
    'photos/blue.jpg': jpg(16, 16, [0, 0, 255]),
    'photos/sub/green.png': png(4, 4, [0, 255, 0]),
    'photos/white.jpg': jpg(5, 9, [255, 255, 255]),
    'photos/black.png': png(3, 3, [0, 0, 0]),
    'index.csv': 'path,colour,bright\nred.png,red,no\nblue.jpg,blue,no\nsub/green.png,green,\nwhite.jpg,white,yes\nblack.png,black,no\n',
  };
  const m = (channels: 1 | 3) => ({
    inputs: { images: 'photos', index: 'index.csv', fileColumn: 'path', size: [4, 4], channels },
    tasks: [
      { name: 'colour', kind: 'multiclass', target: 'colour' },
      { name: 'bright', kind: 'binary', target: 'bright' },
    ],
    split: { test: 0.4 },
  });
  const b = loadDataManifest(folder(files, m(3)));
  assert.deepEqual(b.inputShape, [4, 4, 3]);
  const t = b.tasks[0];
  const names = (t.spec.kind === 'multiclass' && t.spec.classNames) || [];
  assert.deepEqual(names, ['black', 'blue', 'green', 'red', 'white']);
  const expected: Record<string, number[]> = { red: [1, 0, 0], blue: [0, 0, 1], green: [0, 1, 0], white: [1, 1, 1], black: [0, 0, 0] };
  let seen = 0;
  for (const s of [t.train, t.test]) {
    rowsOf(s, 48).forEach((r, k) => {
      const colour = names[s.y[k]];
      for (let p = 0; p < 16; p++) for (let c = 0; c < 3; c++) assert.ok(Math.abs(r[3 * p + c] - expected[colour][c]) < 0.03, `${colour} pixel ${p} channel ${c}: ${r[3 * p + c]}`);
      seen++;
    });
  }
  assert.equal(seen, 5);
  assert.equal(missing(b.tasks[1].train.y) + missing(b.tasks[1].test.y), 1);
  const grey = loadDataManifest(folder(files, m(1)));
  assert.deepEqual(grey.inputShape, [4, 4, 1]);
  // Without "size", the images must share one.
  const noSize = { ...m(3), inputs: { images: 'photos', index: 'index.csv', fileColumn: 'path' } };
  expectFsmtlError(() => loadDataManifest(folder(files, noSize)), 'blue.jpg', '16×16', 'red.png', '6×8', 'index.csv line 3', '"size"');
  // A listed file that is not there names the index line.
  const gone = { ...files, 'index.csv': files['index.csv'] + 'gone.png,red,no\n' };
  expectFsmtlError(() => loadDataManifest(folder(gone, m(3))), 'gone.png', 'file not found', 'index.csv line 7');
  expectFsmtlError(() => loadDataManifest(folder({ ...files, 'photos/red.png': 'GIF89a' }, m(3))), 'red.png', 'not a JPEG or PNG image', 'index.csv line 2');
  // The hash covers the images the index lists.
  const p = folder(files, m(3));
  const h = dataManifestHash(p);
  writeFileSync(join(p, '..', 'photos', 'sub', 'green.png'), png(4, 4, [0, 250, 0]));
  assert.notEqual(dataManifestHash(p), h);
});

test('heterogeneous tasks: each with its own inputs of one shape; different shapes are an error naming the tasks', () => {
  const files = {
    'a.csv': csv(20, { y: (i) => String(i % 2) }),
    'b.npy': f32npy([12, 2], Array.from({ length: 24 }, (_, i) => i)),
    'b-y.npy': i64npy([12], Array.from({ length: 12 }, (_, i) => i % 3)),
    'c.npy': f32npy([12, 3], Array.from({ length: 36 }, (_, i) => i)),
  };
  const m = {
    tasks: [
      { name: 'first', kind: 'binary', inputs: { csv: 'a.csv' }, target: 'y' },
      { name: 'second', kind: 'multiclass', inputs: { npy: 'b.npy' }, labels: { npy: 'b-y.npy' } },
    ],
  };
  const b = loadDataManifest(folder(files, m));
  assert.equal(b.kind, 'heterogeneous');
  assert.deepEqual(b.inputShape, [1, 1, 2]);
  assert.deepEqual(b.tasks.map((t) => t.train.n + t.test.n), [20, 12]);
  assert.notEqual(b.tasks[0].train.x, b.tasks[1].train.x);
  // Two tasks with the same inputs share them (and are homogeneous when they are all).
  const same = loadDataManifest(folder(files, { tasks: [m.tasks[1], { ...m.tasks[1], name: 'again' }] }));
  assert.equal(same.kind, 'homogeneous');
  assert.equal(same.tasks[0].train.x, same.tasks[1].train.x);
  const odd = { tasks: [m.tasks[0], { name: 'third', kind: 'regression', inputs: { npy: 'c.npy' }, labels: { npy: 'b-y.npy' } }] };
  expectFsmtlError(() => loadDataManifest(folder(files, odd)), 'tasks.json', 'differ in shape', "'first' 1×1×2", "'third' 1×1×3", 'c.npy');
});

test('errors in the manifest itself name the field path, with a suggestion for a misspelt field', () => {
  const base = { inputs: { csv: 'd.csv' }, tasks: [{ name: 'y', kind: 'binary', target: 'y' }] };
  const p = (m: unknown) => folder({ 'd.csv': csv(10, { y: (i) => String(i % 2) }) }, m);
  expectFsmtlError(() => loadDataManifest(p({ ...base, tasks: [{ name: 'y', kind: 'binary', taget: 'y' }] })), "tasks[0] ('y').taget: unknown field (did you mean 'target'?)");
  expectFsmtlError(() => loadDataManifest(p({ ...base, spilt: { test: 0.2 } })), "spilt: unknown field (did you mean 'split'?)");
  expectFsmtlError(() => loadDataManifest(p({ ...base, inputs: { csv: 'd.csv', colums: ['a'] } })), "inputs.colums: unknown field (did you mean 'columns'?)");
  expectFsmtlError(() => loadDataManifest(p({ ...base, tasks: [{ name: 'y', kind: 'binery', target: 'y' }] })), "tasks[0] ('y').kind", 'multiclass');
  expectFsmtlError(() => loadDataManifest(p({ ...base, inputs: { csv: 'd.csv', npy: 'x.npy' } })), 'inputs: inputs need exactly one of csv, npy, npz, idx, images', 'not csv and npy');
  expectFsmtlError(() => loadDataManifest(p({ ...base, inputs: { npy: 'x.npy', columns: ['a'] } })), "inputs.columns: 'columns' belongs to csv inputs, not npy");
  expectFsmtlError(() => loadDataManifest(p({ ...base, tasks: [{ name: 'y', kind: 'binary', target: 'y', classes: 2 }] })), "tasks[0] ('y').classes", 'multiclass and segmentation tasks, not binary');
  expectFsmtlError(() => loadDataManifest(p({ ...base, tasks: [{ name: 'y', kind: 'binary' }] })), "tasks[0] ('y').target", "needs a 'target'");
  expectFsmtlError(() => loadDataManifest(p({ tasks: base.tasks })), "tasks[0] ('y'): no inputs");
  expectFsmtlError(() => loadDataManifest(p({ ...base, tasks: [base.tasks[0], { name: 'y', kind: 'multiclass', target: 'y' }] })), "tasks[1] ('y').name: duplicate task name 'y'");
  expectFsmtlError(() => loadDataManifest(p('{"tasks": [')), 'tasks.json: not valid JSON');
  for (const test of [0, 1, 1.5, -0.1]) {
    expectFsmtlError(() => loadDataManifest(p({ ...base, split: { test } })), 'tasks.json', 'split.test: must be a fraction in (0, 1)', `got ${test}`);
  }
  expectFsmtlError(() => loadDataManifest(p({ ...base, split: { test: 0.6, val: 0.4 } })), 'split', 'leaves no training examples');
  assert.equal(manifestSchema.safeParse(base).success, true);
});

test('every manifest in docs/data-manifest.md is valid', () => {
  const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'data-manifest.md'), 'utf8');
  const blocks = [...doc.matchAll(/```json\n([\s\S]*?)```/g)].map((b) => b[1]);
  assert.ok(blocks.length >= 6, `${blocks.length} JSON blocks`);
  for (const b of blocks) {
    const r = manifestSchema.safeParse(JSON.parse(b));
    assert.ok(r.success, `${b}\n${JSON.stringify(r.error?.issues)}`);
  }
});

test('missing files name the path', () => {
  expectFsmtlError(() => loadDataManifest(folder({}, { inputs: { csv: 'gone.csv' }, tasks: [{ name: 'y', kind: 'binary', target: 'y' }] })), 'gone.csv: file not found');
  const files = { 'x.npy': f32npy([4, 2], Array.from({ length: 8 }, (_, i) => i)) };
  expectFsmtlError(() => loadDataManifest(folder(files, { inputs: { npy: 'x.npy' }, tasks: [{ name: 'y', kind: 'binary', labels: { npy: 'nope.npy' } }] })), 'nope.npy: file not found');
  expectFsmtlError(() => loadDataManifest(join(tempDir(), 'absent.json')), 'absent.json: file not found');
});

test('inputs and labels of different lengths name both files and both counts', () => {
  const files = { 'x.npy': f32npy([10, 2], Array.from({ length: 20 }, (_, i) => i)), 'y.npy': f32npy([9], Array.from({ length: 9 }, (_, i) => i % 2)), 'y.csv': 'y\n1\n0\n' };
  expectFsmtlError(() => loadDataManifest(folder(files, { inputs: { npy: 'x.npy' }, tasks: [{ name: 'odd', kind: 'binary', labels: { npy: 'y.npy' } }] })), "task 'odd'", 'x.npy has 10 examples', 'y.npy has 9 labels');
  expectFsmtlError(() => loadDataManifest(folder(files, { inputs: { npy: 'x.npy' }, tasks: [{ name: 'odd', kind: 'binary', labels: { csv: 'y.csv' }, target: 'y' }] })), 'x.npy has 10 examples', 'y.csv has 2 labels');
});

test('non-numeric and missing inputs name the file, the line or row, and the column', () => {
  const t = [{ name: 'y', kind: 'binary', target: 'y' }];
  const text = 'a,b,y\n1,2,0\n3,4,1\n5,five,0\n';
  expectFsmtlError(() => loadDataManifest(folder({ 'd.csv': text }, { inputs: { csv: 'd.csv' }, tasks: t })), 'd.csv: line 4', "column 'b'", "inputs of task 'y'", '"five" is not a number');
  expectFsmtlError(() => loadDataManifest(folder({ 'd.csv': 'a,b,y\n1,2,0\n\n3,,1\n' }, { inputs: { csv: 'd.csv' }, tasks: t })), 'd.csv: line 4', "column 'b'", 'inputs cannot be missing');
  const nan = { 'x.npy': f32npy([3, 2], [0, 1, 2, NaN, 4, 5]), 'y.npy': f32npy([3], [0, 1, 0]) };
  expectFsmtlError(() => loadDataManifest(folder(nan, { inputs: { npy: 'x.npy' }, tasks: [{ name: 'z', kind: 'binary', labels: { npy: 'y.npy' } }] })), 'x.npy: row 2, column 2', "task 'z'", 'NaN', 'finite');
  // A non-numeric regression label.
  const r = { 'd.csv': 'a,b,price\n1,2,3.5\n3,4,cheap\n' };
  expectFsmtlError(() => loadDataManifest(folder(r, { inputs: { csv: 'd.csv' }, tasks: [{ name: 'price', kind: 'regression', target: 'price' }] })), 'd.csv: line 3', "column 'price'", "task 'price'", '"cheap" is not a number');
});

test('out-of-range targets: class 7 of 5, a negative or fractional class, a binary column with three values', () => {
  const m = (target: string, extra: object = {}) => ({ inputs: { csv: 'd.csv', columns: ['a', 'b'] }, tasks: [{ name: 't', kind: 'multiclass', target, classes: 5, ...extra }] });
  const files = { 'd.csv': csv(10, { c: (i) => (i === 6 ? '7' : String(i % 5)), neg: (i) => (i === 2 ? '-1' : '0'), frac: (i) => (i === 3 ? '1.5' : '1') }) };
  expectFsmtlError(() => loadDataManifest(folder(files, m('c'))), 'd.csv: line 8', "column 'c'", "task 't'", 'class 7 is out of range', '5 classes (0…4)');
  expectFsmtlError(() => loadDataManifest(folder(files, m('c', { classes: 7 }))), 'd.csv: line 8', 'class 7 is out of range', '7 classes (0…6)');
  expectFsmtlError(() => loadDataManifest(folder(files, m('neg'))), 'line 4', '-1', 'not a class number');
  expectFsmtlError(() => loadDataManifest(folder(files, m('frac'))), 'line 5', '1.5', 'not a class number');
  const names = { 'd.csv': csv(6, { c: (i) => ['x', 'y', 'z'][i % 3] }) };
  expectFsmtlError(() => loadDataManifest(folder(names, { inputs: { csv: 'd.csv', columns: ['a', 'b'] }, tasks: [{ name: 't', kind: 'multiclass', target: 'c', classNames: ['x', 'y'] }] })), 'line 4', '"z" is not one of the classNames (x, y)');
  expectFsmtlError(() => loadDataManifest(folder(names, m('c'))), "task 't'", "'classes' is 5", '3 classes (x, y, z)');
  const b = (cells: string[], extra: object = {}) =>
    loadDataManifest(folder({ 'd.csv': csv(cells.length, { v: (i) => cells[i] }) }, { inputs: { csv: 'd.csv', columns: ['a', 'b'] }, tasks: [{ name: 'v', kind: 'binary', target: 'v', ...extra }] }));
  expectFsmtlError(() => b(['yes', 'no', '', 'maybe', 'yes']), 'd.csv: line 5', "column 'v'", "task 'v'", 'a third value "maybe"', '"yes", "no" and "maybe"');
  expectFsmtlError(() => b(['a', 'b', 'c'], { positive: 'a' }), 'line 4', 'a third value "c"');
  expectFsmtlError(() => b(['cheap', 'pricey', 'cheap']), 'line 2', '"cheap" is not a yes/no value', '"positive"');
  expectFsmtlError(() => b(['cheap', 'pricey', 'cheap'], { positive: 'dear' }), "task 'v'", '"positive": "dear" does not occur', '"cheap", "pricey"');
  const arr = { 'x.npy': f32npy([3, 1], [0, 1, 2]), 'y.npy': f32npy([3], [0, 1, 2]) };
  expectFsmtlError(() => loadDataManifest(folder(arr, { inputs: { npy: 'x.npy' }, tasks: [{ name: 'v', kind: 'binary', labels: { npy: 'y.npy' } }] })), 'y.npy: row 3', 'a third value 2');
});

test('unknown columns list the real ones; a target cannot also be an input column', () => {
  const files = { 'd.csv': csv(10, { y: (i) => String(i % 2) }) };
  const task = [{ name: 'y', kind: 'binary', target: 'y' }];
  expectFsmtlError(() => loadDataManifest(folder(files, { inputs: { csv: 'd.csv', columns: ['a', 'c'] }, tasks: task })), "no input column 'c'", 'columns: a, b, y');
  expectFsmtlError(() => loadDataManifest(folder(files, { inputs: { csv: 'd.csv', exclude: ['id'] }, tasks: task })), "no column 'id' to exclude", 'columns: a, b, y');
  expectFsmtlError(() => loadDataManifest(folder(files, { inputs: { csv: 'd.csv' }, tasks: [{ name: 'y', kind: 'binary', target: 'why' }] })), "task 'y'", "no column 'why'", 'columns: a, b, y');
  expectFsmtlError(() => loadDataManifest(folder(files, { inputs: { csv: 'd.csv', columns: ['a', 'y'] }, tasks: task })), "column 'y' is both an input column and the target of task 'y'");
  // Array inputs have no columns to take a target from.
  const arr = { 'x.npy': f32npy([2, 1], [0, 1]) };
  expectFsmtlError(() => loadDataManifest(folder(arr, { inputs: { npy: 'x.npy' }, tasks: task })), 'x.npy', "task 'y'", "give the task a 'labels' file");
});

test('a split that leaves a task without labelled training or test examples is an error naming the task', () => {
  // One labelled row: whichever side of the split it falls on, the other side has no label.
  const few = { 'd.csv': csv(12, { y: (i) => (i === 0 ? '1' : '') }) };
  expectFsmtlError(() => loadDataManifest(folder(few, { inputs: { csv: 'd.csv' }, tasks: [{ name: 'sparse', kind: 'binary', target: 'y' }] })), "task 'sparse'", 'the split leaves no labelled', 'example');
  // Too few examples for the fraction.
  const two = { 'd.csv': csv(2, { y: (i) => String(i % 2) }) };
  expectFsmtlError(() => loadDataManifest(folder(two, { inputs: { csv: 'd.csv' }, tasks: [{ name: 'y', kind: 'binary', target: 'y' }], split: { test: 0.1 } })), 'tasks.json: split.test 0.1 of the 2 examples of', 'd.csv is no test example');
  expectFsmtlError(() => loadDataManifest(folder(two, { inputs: { csv: 'd.csv' }, tasks: [{ name: 'y', kind: 'binary', target: 'y' }], split: { test: 0.9 } })), 'leaves no training example');
  // Labels split differently from their inputs.
  const parts = { 'x.npy': f32npy([2, 1], [0, 1]), 'y.npy': f32npy([2], [0, 1]) };
  expectFsmtlError(
    () => loadDataManifest(folder(parts, { inputs: { train: { npy: 'x.npy' }, test: { npy: 'x.npy' } }, tasks: [{ name: 'y', kind: 'binary', labels: { npy: 'y.npy' } }] })),
    "task 'y'",
    'labels are one file but its inputs are train/test files',
  );
});
