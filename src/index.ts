// fsmtl's public API.
export { initEngine, engineInfo, describeEngine, type EngineInfo, type EngineOptions, type BackendName } from './engine/setup.js';
export { nativeStatus, type NativeStatus } from './engine/native/addon.js';
export { runTraining, runTrainingWithModel, compareMethods, benchmarkFor } from './experiments/run.js';
export { parseExperiment, loadExperiment, experimentSchema, defaultLabel, pLabel, runKey, configHash, KEEP_METHODS, type Experiment, type ExperimentInput, type PlannedRun, type MethodRow } from './experiments/spec.js';
export { planExperiment, runPending, type ExperimentPlan, type RunnerOptions, type RunnerSummary, type RunnerEvent } from './experiments/runner.js';
export { readStore, storedOutcomes, writeRunResult, writeRunFailure, readManifest, type StoreContents, type Manifest, type FailedRun } from './experiments/store.js';
export { summarize, deltaM, columnsOf, METRICS, type RunOutcome, type Summary, type Metric, type Column } from './experiments/summary.js';
export { buildReport, renderMarkdown, renderCsv, renderPerTaskCsv, type Report, type ReportOptions, type BenchmarkReport, type TableRow } from './experiments/report.js';
export { publishReport, type PublishOptions, type Published } from './experiments/publish.js';
export { loadReference, parseReference, type Reference, type ReferenceTable, type ReferenceRow } from './experiments/reference.js';
export { averageRanks, fractionalRanks } from './experiments/rank.js';
export { pairedTTest, twoSidedP, type TTestResult } from './experiments/significance.js';
export { benchmarkFigures, perTaskFigure, keepRatioFigure, overlapFigure, type FigureSpec } from './experiments/figures.js';
export { renderSvg, svgToPng } from './experiments/render.js';
export { train, trainModel, scoreLine, FSMTL_VERSION, type TrainedModel, type TrainResult, type TaskResult, type TrainOptions, type ProgressEvent, type EpochEndInfo, type EpochLog } from './train/trainer.js';
export { parseTrainConfig, trainConfigSchema, METHOD_NAMES, BENCHMARK_NAMES, type TrainConfig, type TrainConfigInput, type FsOptions } from './train/config.js';
export {
  loadBenchmark,
  describeBenchmarks,
  BENCHMARK_NAMES as DATASET_NAMES,
  loadDataManifest,
  dataManifestHash,
  manifestSchema,
  buildMorpho,
  buildCelebA,
  buildScenes,
  buildCityscapes,
  buildNyuv2,
  readCelebA,
  DEFAULT_CELEBA_ATTRIBUTES,
  measureMorphometrics,
  measureAll,
  withValidation,
  resolveDataDir,
  readIdxFile,
  parseIdx,
  readNpyFile,
  readNpzFile,
  parseNpy,
  parseNpz,
  parseCsv,
  readCsvFile,
  parseJpeg,
} from './data/index.js';
export { taskKind, taskSpecSchema, metricDef, describeTaskKinds, TASK_KIND_NAMES } from './tasks/registry.js';
export type { TaskSpec, TaskKind, TaskKindName, MulticlassSpec, BinarySpec, RegressionSpec, SegmentationSpec, DepthSpec, PixelMaps, MetricDef, MetricAccumulator, FisherLikelihood, DecodedPredictions } from './tasks/types.js';
export { mapFiles, classPalette, DEPTH_PNG_SCALE } from './io/maps.js';
export type { Benchmark, TaskData, Split } from './data/types.js';
export { makeExtractor, mlpExtractor, lenetExtractor, cnnExtractor, EXTRACTORS, EXTRACTOR_NAMES, type Extractor, type ExtractorArch, type ExtractorEntry } from './model/extractor.js';
export { MultiTaskModel } from './model/multitask-model.js';
export { fisherDiagonal, type FisherLabel } from './sparse/fisher.js';
export { topKMask, keepCount } from './sparse/topk.js';
export { maskFromScores, randomMask, type TaskMask, type SelectionScope } from './sparse/masks.js';
export { maskStats, type MaskStats } from './sparse/mask-stats.js';
export { createMethod, methodNames, methodEntry, methodTraits, METHODS, type MethodEntry, type MethodTraits } from './methods/registry.js';
export { createWeighting, weightingNames, weightingLabel, WEIGHTINGS, type WeightingEntry } from './methods/weighting/registry.js';
export { ARCHITECTURES, architectureNames, architectureEntry, architectureLabel, type ArchitectureEntry, type ArchitectureOptions } from './model/architectures/registry.js';
export type { SharingMethod, MaskRequest } from './methods/types.js';
export { classificationMetrics, averageMetrics, meanStd, type ClassificationMetrics } from './metrics/classification.js';
export { chain, type GradientTransformation } from './optim/transform.js';
export { adam } from './optim/adam.js';
export { saveCheckpoint, loadCheckpoint, restoreModel, checkpointFromTrained, encodeCheckpoint, decodeCheckpoint, type Checkpoint } from './io/checkpoint.js';
export { exportTask, saveTaskModel, loadTaskModel, taskModelSize, encodeTaskModel, decodeTaskModel, type TaskModel, type TaskModelSize, type ExportOptions } from './io/export.js';
export { Predictor, predict, checkpointNetwork, taskModelNetwork, type TaskNetwork, type PredictorOptions } from './io/predictor.js';
export { CROSSOVER, CROSSOVER_BATCHES, crossoverDensity, type SparsePolicy } from './io/sparse-crossover.js';
export { loadModelFile, modelFileNetworks, type ModelFile } from './io/model-file.js';
export { readImages, imagesFromBytes, checkInputShape, type ImageBatch } from './io/predict-input.js';
export { encodeSafetensors, decodeSafetensors, readSafetensorsFile, writeSafetensorsFile, type SafeTensor, type SafeFile, type SafeDtype } from './io/safetensors.js';
export { FsmtlError } from './util/errors.js';
export { Rng } from './util/rng.js';
