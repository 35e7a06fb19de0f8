// fsmtl's browser entry (`fsmtl/browser`): the same trainer, methods, readers and file formats as in Node,
// without Node modules. Data come as bytes (ArrayBuffer, Blob) mounted into an in-memory file system;
// checkpoints and task models are encoded to and decoded from bytes (the same safetensors files as the CLI's).
import { fflateAndFastPng } from './web/png.js';
import { usePngCodec } from './io/png-codec.js';

usePngCodec(fflateAndFastPng);

export { useBrowserEngine, crossOriginIsolated, type BrowserEngineOptions } from './web/platform.js';
export { mountFiles, fetchFiles, PAGE_DATA_DIR, type FileSource } from './web/files.js';
export { MemoryFileSystem } from './util/memory-fs.js';
export { fileSystem, useFileSystem, type FileSystem } from './util/fs.js';
export { initEngine, engineInfo, describeEngine, type EngineInfo, type EngineOptions, type BackendName, tf } from './engine/setup.js';
export { runTraining, runTrainingWithModel, compareMethods, benchmarkFor } from './experiments/run.js';
export { train, trainModel, scoreLine, FSMTL_VERSION, type TrainedModel, type TrainResult, type TaskResult, type TrainOptions, type ProgressEvent, type EpochEndInfo, type EpochLog } from './train/trainer.js';
export { parseTrainConfig, trainConfigSchema, METHOD_NAMES, BENCHMARK_NAMES, type TrainConfig, type TrainConfigInput } from './train/config.js';
export { loadBenchmark, describeBenchmarks, loadDataManifest, parseIdx, parseNpy, parseNpz, parseCsv, parseJpeg } from './data/index.js';
export type { Benchmark, TaskData, Split } from './data/types.js';
export { pngPixels, imagesFromBytes, type ImageBatch } from './io/predict-input.js';
export { createMethod, methodNames, methodTraits, METHODS } from './methods/registry.js';
export { createWeighting, weightingNames, weightingLabel, WEIGHTINGS } from './methods/weighting/registry.js';
export { maskStats, type MaskStats } from './sparse/mask-stats.js';
export { checkpointFromTrained, encodeCheckpoint, decodeCheckpoint, restoreModel, type Checkpoint } from './io/checkpoint.js';
export { exportTask, encodeTaskModel, decodeTaskModel, taskModelSize, type TaskModel } from './io/export.js';
export { Predictor, predict, checkpointNetwork, taskModelNetwork, type TaskNetwork } from './io/predictor.js';
export { encodeSafetensors, decodeSafetensors, type SafeTensor, type SafeFile } from './io/safetensors.js';
export { registerWasmKernels } from './engine/wasm/install.js';
export { FsmtlError } from './util/errors.js';
