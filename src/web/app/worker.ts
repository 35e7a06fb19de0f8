// The page's training worker: mounts the data, starts the engine, trains each chosen method with the
// library's own trainer, and posts live epochs, results and the files to download.
import {
  checkpointFromTrained,
  describeEngine,
  encodeCheckpoint,
  encodeTaskModel,
  exportTask,
  fetchFiles,
  initEngine,
  methodTraits,
  mountFiles,
  parseTrainConfig,
  PAGE_DATA_DIR,
  trainModel,
  useBrowserEngine,
  benchmarkFor,
} from '../../browser.js';
import { taskKind } from '../../tasks/registry.js';
import type { StartMessage, WorkerMessage } from './protocol.js';

const post = (m: WorkerMessage, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(m, transfer);

async function start(msg: StartMessage): Promise<void> {
  useBrowserEngine({ wasmPaths: msg.wasmPaths });
  const info = await initEngine({ backend: msg.engine, threads: msg.threads });
  post({ type: 'engine', description: describeEngine(info), backend: info.backend, threads: info.threads, kernels: info.registeredKernels });
  if (msg.fetch) await fetchFiles(msg.fetch.baseUrl, msg.fetch.names);
  if (msg.files) await mountFiles(msg.files);
  for (const method of msg.methods) {
    const traits = methodTraits(method as never);
    const input: Record<string, unknown> = { ...msg.config, method, backend: msg.engine };
    if (msg.manifest) input.data = `${PAGE_DATA_DIR}/${msg.manifest}`;
    else input.benchmark = msg.benchmark;
    if (!traits.keep) delete input.keep;
    if (traits.separateTowers) delete input.weighting;
    const config = parseTrainConfig(input);
    const bench = benchmarkFor(config);
    const metric = taskKind(bench.tasks[0].spec).primaryMetric;
    post({ type: 'run-start', method, tasks: bench.tasks.map((t) => t.name), metric });
    let last = performance.now();
    const trained = await trainModel(config, bench, {
      onEpochEnd: (e) => {
        const split = config.validation > 0 ? 'val' : 'test';
        const metricOf = (t: number) => e.evaluate(t, split)[taskKind(bench.tasks[t].spec).primaryMetric];
        const now = performance.now();
        post({ type: 'epoch', method, epoch: e.epoch + 1, loss: e.loss, metric: bench.tasks.map((_, t) => metricOf(t)), split, seconds: (now - last) / 1000 });
        last = now;
      },
    });
    try {
      const checkpoint = encodeCheckpoint(checkpointFromTrained(trained));
      const taskModels = trained.result.perTask.map((t) => ({ task: t.task, bytes: encodeTaskModel(exportTask(trained, t.task)) }));
      post({ type: 'run-end', method, result: trained.result, checkpoint, taskModels }, [checkpoint.buffer as ArrayBuffer, ...taskModels.map((m) => m.bytes.buffer as ArrayBuffer)]);
    } finally {
      trained.model.dispose();
    }
  }
  post({ type: 'done' });
}

self.onmessage = (ev: MessageEvent<StartMessage>) => {
  if (ev.data.type !== 'start') return;
  start(ev.data).catch((e: unknown) => post({ type: 'error', message: (e as Error).message ?? String(e) }));
};
