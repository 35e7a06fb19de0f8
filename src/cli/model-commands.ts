// `fsmtl export` and `fsmtl predict`: a task's stand-alone sparse model, and predictions from a model file.
import { Command, InvalidArgumentError, Option } from 'commander';
import { extname, join } from 'node:path';
import { BACKEND_NAMES, initEngine } from '../engine/setup.js';
import { loadCheckpoint } from '../io/checkpoint.js';
import { exportTask, saveTaskModel, taskModelSize, type ExportLayout, type TaskModel, type TaskModelSize } from '../io/export.js';
import { writeBytesAtomic } from '../io/files.js';
import { loadModelFile, modelFileNetworks } from '../io/model-file.js';
import { checkInputShape, readImages } from '../io/predict-input.js';
import { formatCsv, formatJson, formatPreview, type TaskPredictions } from '../io/predict-output.js';
import { mapFiles } from '../io/maps.js';
import { Predictor } from '../io/predictor.js';
import type { SparsePolicy } from '../io/sparse-crossover.js';
import { MASKED_METHODS, type TrainConfig } from '../train/config.js';
import { FsmtlError } from '../util/errors.js';

const int = (n: number) => n.toLocaleString('en-US');
/** Examples predicted per call (and per path choice). */
const BATCH = 1000;
const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(1)}%`;

/** The lines `fsmtl export` prints about a task model's size. */
export function describeTaskModel(m: TaskModel, s: TaskModelSize): string {
  const why =
    m.kind === 'sparse'
      ? `sparse: only the ${int(s.keptShared)} shared parameters its mask keeps (p = ${m.keep}), plus its head`
      : MASKED_METHODS.includes(m.method)
        ? `dense: with placement 'update' the task predicts with the dense extractor (its mask only limited its updates), so its model is the whole extractor plus its head`
        : `dense: method ${m.method} has no masks, so the task's model is the whole extractor plus its head`;
  const denseStored = m.kind === 'sparse' ? m.params.filter((p) => p.layout === 'dense').length : 0;
  const storage = denseStored
    ? [`  storage     ${denseStored} of ${m.params.length} parameter tensors stored dense (zeros where masked out): smaller than indices + values at this keep ratio`]
    : [];
  return [
    `  kind        ${why}`,
    ...storage,
    `  parameters  ${int(s.params)} vs ${int(s.denseParams)} in the dense single-task model (${pct(s.params, s.denseParams)}; extractor ${int(s.keptShared)} of ${int(s.sharedParams)}, head ${int(s.headParams)})`,
    `  size        ${int(s.bytes)} bytes vs ${int(s.denseBytes)} bytes dense F32 (${pct(s.bytes, s.denseBytes)})`,
  ].join('\n');
}

function rowsOption(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`--rows must be a non-negative integer, got '${v}'`);
  return n;
}

export function addModelCommands(program: Command): void {
  program
    .command('export')
    .description("write one task's stand-alone inference model (its kept shared parameters in a sparse layout, plus its head)")
    .argument('<checkpoint>', 'checkpoint written by `fsmtl train --save`')
    .option('--task <name>', 'the task to export')
    .requiredOption('--out <file>', 'write the task model (safetensors) here')
    .addOption(new Option('--layout <layout>', 'auto: per tensor, indices + values where smaller than dense; sparse: always; dense: never').choices(['auto', 'sparse', 'dense']).default('auto'))
    .action((path: string, flags: { task?: string; out: string; layout: ExportLayout }) => {
      const c = loadCheckpoint(path);
      if (flags.task === undefined) throw new FsmtlError(`choose a task with --task (tasks in ${path}: ${c.tasks.join(', ')})`);
      const m = exportTask(c, flags.task, { layout: flags.layout });
      const bytes = saveTaskModel(flags.out, m);
      const size = { ...taskModelSize(m), bytes };
      process.stdout.write(`Task '${m.task}' of ${path} (${m.method}, keep ${m.keep}, placement ${m.placement}) written to ${flags.out}\n`);
      process.stdout.write(describeTaskModel(m, size) + '\n');
    });

  program
    .command('predict')
    .description('predict with a checkpoint or an exported task model: classes, yes/no with probabilities, or values, per task')
    .argument('<model>', 'checkpoint (fsmtl train --save) or task model (fsmtl export)')
    .argument('<input>', 'inputs: IDX file (raw or .gz), .npy/.npz (uint8 0-255 or float 0-1, shape [N,H,W] or [N,H,W,C]), a PNG/JPEG file or a folder of them (decoded to the model\'s channels; other sizes centre-cropped to its aspect ratio and resized)')
    .option('--task <name>', 'only this task (default: every task of a checkpoint)')
    .option('--out <file>', 'write the predictions here: CSV if it ends in .csv, else JSON')
    .option('--rows <n>', 'rows of predictions to print', rowsOption, 10)
    .option('--maps <dir>', 'per-pixel tasks: write their maps into this folder (segmentation: palette PNG of class indices; depth: 16-bit PNG of depth × 1000)')
    .addOption(new Option('--map-format <format>', 'format of --maps: one PNG per input, or one .npy per task ([n, height, width])').choices(['png', 'npy']).default('png'))
    .addOption(new Option('--backend <name>', 'tensor engine').choices([...BACKEND_NAMES]))
    .addOption(
      new Option('--path <path>', 'auto: compute with only the kept weights where that is faster (docs/sparse-inference.md); sparse or dense: always that way')
        .choices(['auto', 'sparse', 'dense'])
        .default('auto'),
    )
    .action(async (modelPath: string, inputPath: string, flags: { task?: string; out?: string; rows: number; maps?: string; mapFormat: 'png' | 'npy'; backend?: TrainConfig['backend']; path: SparsePolicy }) => {
      const file = loadModelFile(modelPath);
      const networks = modelFileNetworks(file, flags.task);
      const input = readImages(inputPath, networks[0].inputShape);
      checkInputShape(input, networks[0].inputShape, inputPath);
      await initEngine({ backend: flags.backend });
      const paths = new Set<string>();
      const written: string[] = [];
      const preds: TaskPredictions[] = networks.map((net) => {
        const p = new Predictor(net, { path: flags.path });
        try {
          paths.add(p.sparseFor(Math.min(input.n, BATCH)) ? 'sparse' : 'dense');
          const maps = flags.maps ? p.decodeMaps(input.x, input.n) : null;
          if (maps) {
            for (const f of mapFiles(net.task, maps, input.n, flags.mapFormat)) writeBytesAtomic(join(flags.maps!, f.name), f.bytes);
            written.push(`${net.task} (${flags.mapFormat === 'npy' ? `${net.task}.npy` : `${input.n} PNG${input.n === 1 ? '' : 's'} in ${net.task}/`})`);
          }
          return { task: net.task, predictions: p.decode(input.x, input.n, BATCH) };
        } finally {
          p.dispose();
        }
      });
      if (flags.maps && !written.length) throw new FsmtlError(`--maps: no task of ${modelPath} predicts per pixel`);
      const kind = `${file.kind === 'checkpoint' ? `checkpoint, ${file.checkpoint.config.method}` : `task model, ${file.model.kind}`}; ${[...paths].join(' and ')} path`;
      const resized = input.resized ? `, ${input.resized} of them centre-cropped and resized to the model's size` : '';
      process.stdout.write(`${int(input.n)} image${input.n === 1 ? '' : 's'} (${input.shape.join('×')}, ${input.format}${resized}) from ${inputPath}; model ${modelPath} (${kind})\n\n`);
      process.stdout.write(formatPreview(preds, input.n, flags.rows) + '\n');
      if (flags.out) {
        const text =
          extname(flags.out).toLowerCase() === '.csv'
            ? formatCsv(preds, input.n, input.files)
            : formatJson(preds, input.n, { model: modelPath, input: inputPath, inputShape: input.shape, ...(input.files ? { files: input.files } : {}) });
        writeBytesAtomic(flags.out, text);
        process.stdout.write(`\nPredictions written to ${flags.out}\n`);
      }
      if (written.length) process.stdout.write(`\nMaps written to ${flags.maps}: ${written.join(', ')}\n`);
    });
}
