// The page: choose data, methods and settings; train in a Web Worker (worker.ts) with live charts, the
// results table, the masks' overlap and layer densities, and downloads of each run's files.
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { METHODS } from '../../methods/registry.js';
import { WEIGHTINGS } from '../../methods/weighting/registry.js';
import { metricTitle } from '../../tasks/registry.js';
import type { TrainResult } from '../../train/trainer.js';
import type { StartMessage, WorkerMessage } from './protocol.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const input = (id: string) => $<HTMLInputElement>(id);

// ---- choices, from the library's registries
const methodBox = $('methods');
for (const m of METHODS) {
  const l = document.createElement('label');
  l.title = m.summary;
  l.innerHTML = `<input type="checkbox" value="${m.name}"${m.name === 'fs' || m.name === 'mtl' ? ' checked' : ''}> ${m.label}`;
  methodBox.append(l);
}
for (const w of WEIGHTINGS) $('weighting').append(new Option(w.label, w.name));
const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
input('threads').value = String(isolated ? Math.min(8, navigator.hardwareConcurrency || 1) : 1);
if (!isolated) input('threads').disabled = true;

// ---- data: the served folder (npm run web) or the user's files
interface Served {
  label: string;
  benchmark: string;
  names: string[];
  manifest?: string;
}
let served: Served[] = [];
let dropped: Record<string, File> = {};

async function loadServed(): Promise<void> {
  try {
    const r = await fetch('data/index.json');
    if (!r.ok) throw new Error(String(r.status));
    const files = ((await r.json()) as { files: string[] }).files;
    const hetero = files.filter((f) => /^(mnist|kmnist|fashion-mnist)\/.*\.(gz|npz)$/.test(f));
    if (hetero.length) served.push({ label: 'hetero3 (MNIST + KMNIST + Fashion-MNIST)', benchmark: 'hetero3', names: hetero });
    for (const m of files.filter((f) => f.endsWith('.json'))) {
      const dir = m.includes('/') ? m.slice(0, m.lastIndexOf('/') + 1) : '';
      served.push({ label: `manifest ${m}`, benchmark: 'data', manifest: m, names: files.filter((f) => f.startsWith(dir)) });
    }
  } catch {
    served = [];
  }
  const sel = $<HTMLSelectElement>('served-bench');
  served.forEach((s, i) => sel.append(new Option(s.label, String(i))));
  if (served.length) input('src-served').checked = true;
  else {
    input('src-served').disabled = true;
    sel.append(new Option('(none served here)'));
    input('src-files').checked = true;
  }
}

function showDropped(): void {
  const names = Object.keys(dropped);
  $('dropped').textContent = names.length ? `${names.length} file(s): ${names.slice(0, 6).join(', ')}${names.length > 6 ? ', …' : ''}` : '';
  if (names.length) input('src-files').checked = true;
}

async function walk(entry: FileSystemEntry, prefix: string, out: Record<string, File>): Promise<void> {
  if (entry.isFile) {
    out[prefix + entry.name] = await new Promise<File>((res, rej) => (entry as FileSystemFileEntry).file(res, rej));
  } else if (entry.isDirectory) {
    const reader = (entry as FileSystemDirectoryEntry).createReader();
    for (;;) {
      const batch = await new Promise<FileSystemEntry[]>((res, rej) => reader.readEntries(res, rej));
      if (!batch.length) break;
      for (const e of batch) await walk(e, `${prefix}${entry.name}/`, out);
    }
  }
}

/** Drops the common top folder, so that a dropped "data/" folder's "data/mnist/x" becomes "mnist/x". */
function stripTop(files: Record<string, File>): Record<string, File> {
  const names = Object.keys(files);
  const top = names[0]?.split('/')[0];
  if (!top || !names.every((n) => n.startsWith(top + '/'))) return files;
  return Object.fromEntries(names.map((n) => [n.slice(top.length + 1), files[n]]));
}

const drop = $('drop');
drop.addEventListener('dragover', (e) => (e.preventDefault(), drop.classList.add('over')));
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', async (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  const out: Record<string, File> = {};
  for (const item of [...(e.dataTransfer?.items ?? [])]) {
    const entry = item.webkitGetAsEntry();
    if (entry) await walk(entry, '', out);
  }
  dropped = stripTop(out);
  showDropped();
});
input('pick').addEventListener('change', () => {
  const out: Record<string, File> = {};
  for (const f of input('pick').files ?? []) out[f.webkitRelativePath || f.name] = f;
  dropped = stripTop(out);
  showDropped();
});

// ---- charts (vega-lite, as the CLI's figures)
async function chart(el: HTMLElement, spec: TopLevelSpec): Promise<void> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'svg', container: el, hover: true });
  await view.runAsync();
}

interface EpochRow {
  method: string;
  epoch: number;
  task: string;
  loss: number;
  metric: number;
}
let epochs: EpochRow[] = [];
let metricName = 'f1';
let metricSplit = 'val';

function drawEpochCharts(): void {
  const base = { width: 330, height: 190, data: { values: epochs } } as const;
  void chart($('loss-chart'), {
    ...base,
    title: 'training loss (mean over tasks)',
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', axis: { tickMinStep: 1 } },
      y: { aggregate: 'mean', field: 'loss', type: 'quantitative', title: 'loss' },
      color: { field: 'method', type: 'nominal' },
    },
  } as TopLevelSpec);
  void chart($('metric-chart'), {
    data: { values: epochs },
    title: `${metricTitle(metricName)} per task (${metricSplit === 'val' ? 'validation' : 'test'} split)`,
    facet: { field: 'task', type: 'nominal', title: null },
    columns: 3,
    spec: {
      width: 170,
      height: 150,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', axis: { tickMinStep: 1 } },
        y: { field: 'metric', type: 'quantitative', title: metricTitle(metricName), scale: { zero: false } },
        color: { field: 'method', type: 'nominal' },
      },
    },
  } as TopLevelSpec);
}

function drawMasks(r: TrainResult, label: string): void {
  const m = r.masks;
  if (!m) return;
  const tasks = r.benchmark.tasks;
  const overlap = m.overlap.flatMap((row, a) => row.map((v, b) => ({ a: tasks[a], b: tasks[b], overlap: v })));
  void chart($('overlap-chart'), {
    data: { values: overlap },
    title: `${label}: mask overlap |S_a ∩ S_b| / min(|S_a|, |S_b|)`,
    width: 220,
    height: 220,
    encoding: { x: { field: 'a', type: 'nominal', title: null, sort: tasks }, y: { field: 'b', type: 'nominal', title: null, sort: tasks } },
    layer: [
      { mark: 'rect', encoding: { color: { field: 'overlap', type: 'quantitative', scale: { domain: [0, 1], scheme: 'blues' } } } },
      { mark: { type: 'text', fontSize: 11 }, encoding: { text: { field: 'overlap', type: 'quantitative', format: '.2f' } } },
    ],
  } as TopLevelSpec);
  const dens = m.layerDensity.flatMap((row, t) => row.map((v, l) => ({ task: tasks[t], layer: `L${l + 1}`, density: v })));
  void chart($('density-chart'), {
    data: { values: dens },
    title: `${label}: density per layer`,
    width: 300,
    height: 200,
    mark: 'bar',
    encoding: {
      x: { field: 'layer', type: 'nominal', title: 'layer' },
      xOffset: { field: 'task', type: 'nominal' },
      y: { field: 'density', type: 'quantitative', scale: { domain: [0, 1] } },
      color: { field: 'task', type: 'nominal' },
    },
  } as TopLevelSpec);
}

// ---- results table, like the CLI's
const rows: { label: string; r: TrainResult; links: HTMLElement }[] = [];

function download(bytes: Uint8Array, name: string, text: string): HTMLAnchorElement {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/octet-stream' }));
  a.download = name;
  a.textContent = text;
  a.className = 'download';
  return a;
}

function drawTable(): void {
  if (!rows.length) return;
  const r0 = rows[0].r;
  const tasks = r0.benchmark.tasks;
  const metric = r0.perTask[0] ? Object.keys(r0.perTask[0].metrics).includes(metricName) ? metricName : Object.keys(r0.perTask[0].metrics)[0] : metricName;
  const head = ['Method', 'p', ...tasks.map((t) => `${t} ${metricTitle(metric)}`), `Avg ${metricTitle(metric)}`, 'mean overlap', 'ms/step', 'seconds', 'files'];
  const table = document.createElement('table');
  table.id = 'results-table';
  table.innerHTML = `<tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr>`;
  for (const { label, r, links } of rows) {
    const tr = document.createElement('tr');
    const vals = r.perTask.map((t) => t.metrics[metric]);
    const traits = METHODS.find((m) => m.name === r.config.method)!.traits;
    const cells = [
      label,
      traits.pColumn === 'keep' ? String(r.config.keep) : traits.pColumn === 'dense' ? '1.0' : '-',
      ...vals.map((v) => v.toFixed(4)),
      (vals.reduce((a, b) => a + b, 0) / vals.length).toFixed(4),
      r.masks ? r.masks.meanOverlap.toFixed(3) : '-',
      r.timings.msPerStep.toFixed(1),
      r.timings.totalSeconds.toFixed(1),
    ];
    tr.innerHTML = cells.map((c) => `<td>${c}</td>`).join('');
    const td = document.createElement('td');
    td.append(links);
    tr.append(td);
    table.append(tr);
  }
  $('results').replaceChildren(table);
}

// ---- training
let worker: Worker | null = null;
const status = (text: string, error = false) => {
  $('status').textContent = text;
  $('status').className = error ? 'error' : '';
};

function labelOf(method: string, weighting: string): string {
  const m = METHODS.find((x) => x.name === method)!;
  if (m.traits.separateTowers || weighting === 'ew') return m.label;
  return `${m.label}+${WEIGHTINGS.find((w) => w.name === weighting)!.label}`;
}

async function startTraining(): Promise<void> {
  const methods = [...methodBox.querySelectorAll<HTMLInputElement>('input:checked')].map((i) => i.value);
  if (!methods.length) return status('choose at least one method', true);
  const weighting = $<HTMLSelectElement>('weighting').value;
  const useServed = input('src-served').checked;
  const msg: StartMessage = {
    type: 'start',
    wasmPaths: new URL('wasm/', location.href).href,
    engine: $<HTMLSelectElement>('backend').value as StartMessage['engine'],
    threads: Number(input('threads').value) || undefined,
    benchmark: 'hetero3',
    methods,
    config: {
      epochs: Number(input('epochs').value),
      hidden: input('hidden').value.split(',').map((s) => Number(s.trim())),
      seed: Number(input('seed').value),
      weighting,
      keep: Number(input('keep').value),
      fs: { warmupEpochs: Number(input('warmup').value) },
    },
  };
  if (useServed) {
    const s = served[Number($<HTMLSelectElement>('served-bench').value)];
    msg.fetch = { baseUrl: new URL('data/', location.href).href, names: s.names };
    msg.benchmark = s.benchmark;
    msg.manifest = s.manifest;
  } else {
    const names = Object.keys(dropped);
    if (!names.length) return status('drop a folder first (or choose the served data)', true);
    msg.files = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await dropped[n].arrayBuffer()] as const)));
    const manifests = names.filter((n) => n.endsWith('.json'));
    if (manifests.length) msg.manifest = manifests[0];
  }
  if (!msg.manifest) Object.assign(msg.config, { trainPerTask: Number(input('train').value), testPerTask: Number(input('test').value) });
  epochs = [];
  rows.length = 0;
  $('results').replaceChildren();
  $('train-btn').setAttribute('disabled', '');
  $('stop-btn').removeAttribute('disabled');
  status('starting…');
  worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  const finish = () => {
    worker?.terminate();
    worker = null;
    $('train-btn').removeAttribute('disabled');
    $('stop-btn').setAttribute('disabled', '');
  };
  let current = '';
  worker.onmessage = (ev: MessageEvent<WorkerMessage>) => {
    const m = ev.data;
    if (m.type === 'engine') $('engine').textContent = `engine: ${m.description}${isolated ? ' (cross-origin isolated)' : ''}`;
    else if (m.type === 'run-start') {
      current = labelOf(m.method, weighting);
      metricName = m.metric;
      metricSplit = (msg.config as { validation?: number }).validation === 0 ? 'test' : 'val';
      (window as unknown as { fsmtlTasks: string[] }).fsmtlTasks = m.tasks;
      status(`training ${current}…`);
    } else if (m.type === 'epoch') {
      const tasks = (window as unknown as { fsmtlTasks: string[] }).fsmtlTasks;
      tasks.forEach((task, t) => epochs.push({ method: current, epoch: m.epoch, task, loss: m.loss[t], metric: m.metric[t] }));
      status(`training ${current}: epoch ${m.epoch} done (${m.seconds.toFixed(1)} s)`);
      drawEpochCharts();
    } else if (m.type === 'run-end') {
      const stem = `${m.method}-seed${m.result.config.seed}`;
      const links = document.createElement('span');
      links.append(download(m.checkpoint, `${stem}.safetensors`, 'checkpoint'));
      for (const t of m.taskModels) links.append(' ', download(t.bytes, `${stem}-${t.task}.safetensors`, t.task));
      rows.push({ label: current, r: m.result, links });
      drawTable();
      drawMasks(m.result, current);
      (window as unknown as { fsmtlResults: TrainResult[] }).fsmtlResults = rows.map((x) => x.r);
    } else if (m.type === 'error') {
      status(m.message, true);
      finish();
    } else if (m.type === 'done') {
      status(`done: ${rows.length} run(s)`);
      document.body.dataset.done = 'true';
      finish();
    }
  };
  worker.onerror = (e) => {
    status(`worker failed: ${e.message} (${e.filename}:${e.lineno})`, true);
    finish();
  };
  worker.postMessage(msg);
}

$('train-btn').addEventListener('click', () => void startTraining());
$('stop-btn').addEventListener('click', () => {
  worker?.terminate();
  worker = null;
  status('stopped');
  $('train-btn').removeAttribute('disabled');
  $('stop-btn').setAttribute('disabled', '');
});
void loadServed();
