// The readers in Chromium: a data manifest of PNG (grey, grey+alpha, RGB, RGBA; 8 and 16 bits) and JPEG
// images with a CSV index, and the tabular example's CSV manifest, mounted as bytes in a page, load to the
// same arrays, labels and content hash as in Node.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import type { Browser } from 'playwright-core';
import { loadDataManifest } from '../src/data/manifest.js';
import { launch, pageErrors, serve } from './helpers.js';

let browser: Browser;
let server: { url: string; close: () => Promise<void> };
let dir: string;
before(async () => {
  server = await serve();
  browser = await launch();
  dir = mkdtempSync(join(tmpdir(), 'fsmtl-readers-'));
});
after(async () => {
  await browser?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

function pixels(w: number, h: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: w * h * 4 }, (_, i) => (i * 37 + seed * 101 + ((i >> 2) % 7) * 13) & 255);
}

function writeImages(): void {
  mkdirSync(join(dir, 'imgs', 'sub'), { recursive: true });
  const rows = ['file,shade,bright'];
  const forms: { colorType: 0 | 2 | 4 | 6; bitDepth: 8 | 16 }[] = [
    { colorType: 0, bitDepth: 8 }, { colorType: 2, bitDepth: 8 }, { colorType: 4, bitDepth: 8 }, { colorType: 6, bitDepth: 8 },
    { colorType: 6, bitDepth: 16 }, { colorType: 0, bitDepth: 16 },
  ];
  forms.forEach((f, i) => {
    const png = new PNG({ width: 6, height: 5, colorType: f.colorType, bitDepth: f.bitDepth, inputHasAlpha: true });
    png.data = Buffer.from(pixels(6, 5, i));
    const name = `${i % 2 ? 'sub/' : ''}p${i}.png`;
    writeFileSync(join(dir, 'imgs', name), PNG.sync.write(png, { colorType: f.colorType, bitDepth: f.bitDepth, inputHasAlpha: true }));
    rows.push(`${name},${['dark', 'mid', 'light'][i % 3]},${i % 2 ? 'yes' : 'no'}`);
  });
  for (let i = 0; i < 3; i++) {
    const enc = jpeg.encode({ data: pixels(9, 7, 10 + i), width: 9, height: 7 }, 90);
    writeFileSync(join(dir, 'imgs', `j${i}.jpg`), enc.data);
    rows.push(`j${i}.jpg,${['dark', 'mid', 'light'][i]},${i ? 'yes' : ''}`);
  }
  writeFileSync(join(dir, 'imgs.csv'), rows.join('\n') + '\n');
  writeFileSync(
    join(dir, 'images.json'),
    JSON.stringify({
      inputs: { images: 'imgs/', index: 'imgs.csv', size: [6, 5], channels: 3 },
      tasks: [{ name: 'shade', kind: 'multiclass', target: 'shade' }, { name: 'bright', kind: 'binary', target: 'bright' }],
      split: { test: 0.3, seed: 1 },
    }),
  );
  mkdirSync(join(dir, 'tabular'));
  for (const f of ['tasks.json', 'plants.csv']) writeFileSync(join(dir, 'tabular', f), readFileSync(join('examples/tabular', f)));
}

function files(d: string, out: Record<string, number[]> = {}): Record<string, number[]> {
  for (const n of readdirSync(d)) {
    const p = join(d, n);
    if (statSync(p).isDirectory()) files(p, out);
    else out[relative(dir, p)] = [...readFileSync(p)];
  }
  return out;
}

const summary = (b: ReturnType<typeof loadDataManifest>) => ({
  inputShape: b.inputShape,
  dataHash: b.dataHash,
  tasks: b.tasks.map((t) => ({ name: t.name, spec: t.spec, train: [...t.train.x], trainY: [...t.train.y], test: [...t.test.x], testY: [...t.test.y] })),
});

test('PNG, JPEG and CSV manifests load in Chromium exactly as in Node', { timeout: 120_000 }, async () => {
  writeImages();
  const page = await browser.newPage();
  const errors = pageErrors(page);
  await page.goto(server.url + 'blank.html');
  const inPage = await page.evaluate(
    async ({ files }) => {
      const f = await import(new URL('fsmtl.js', location.href).href);
      await f.mountFiles(Object.fromEntries(Object.entries(files).map(([k, v]) => [k, Uint8Array.from(v as number[])])), '/work');
      return ['/work/images.json', '/work/tabular/tasks.json'].map((m) => {
        const b = f.loadDataManifest(m);
        return {
          inputShape: b.inputShape,
          dataHash: b.dataHash,
          tasks: b.tasks.map((t: { name: string; spec: unknown; train: { x: Float32Array; y: Float32Array }; test: { x: Float32Array; y: Float32Array } }) => ({
            name: t.name, spec: t.spec, train: [...t.train.x], trainY: [...t.train.y], test: [...t.test.x], testY: [...t.test.y],
          })),
        };
      });
    },
    { files: files(dir) },
  );
  assert.deepEqual(errors, []);
  const inNode = [summary(loadDataManifest(join(dir, 'images.json'))), summary(loadDataManifest(join(dir, 'tabular', 'tasks.json')))];
  // NaN (a missing label) does not survive page.evaluate's serialisation as NaN: compare as JSON.
  assert.deepEqual(JSON.parse(JSON.stringify(inPage)), JSON.parse(JSON.stringify(inNode)));
  assert.equal(inNode[0].tasks[0].train.length + inNode[0].tasks[0].test.length, 9 * 6 * 5 * 3, 'all nine images were read');
  await page.close();
});
