// Opens a model file for prediction: a checkpoint (every task, or one) or an exported task model.
import { FsmtlError } from '../util/errors.js';
import { checkpointFromSafetensors, taskIndex, type Checkpoint } from './checkpoint.js';
import { formatOf } from './container.js';
import { taskModelFromSafetensors, type TaskModel } from './export.js';
import { checkpointNetwork, taskModelNetwork, type TaskNetwork } from './predictor.js';
import { readSafetensorsFile } from './safetensors.js';

export type ModelFile = { kind: 'checkpoint'; checkpoint: Checkpoint } | { kind: 'task-model'; model: TaskModel };

export function loadModelFile(path: string): ModelFile {
  const file = readSafetensorsFile(path, 'model');
  return formatOf(file, path) === 'fsmtl-checkpoint'
    ? { kind: 'checkpoint', checkpoint: checkpointFromSafetensors(file, path) }
    : { kind: 'task-model', model: taskModelFromSafetensors(file, path) };
}

/** The task networks of a model file: every task of a checkpoint (or only `task`), or the task model's one. */
export function modelFileNetworks(m: ModelFile, task?: string): TaskNetwork[] {
  if (m.kind === 'checkpoint') {
    const c = m.checkpoint;
    return task === undefined ? c.tasks.map((_, t) => checkpointNetwork(c, t)) : [checkpointNetwork(c, taskIndex(c, task))];
  }
  if (task !== undefined && task !== m.model.task) {
    throw new FsmtlError(`unknown task '${task}' in ${m.model.source ?? 'the task model'} (it is the model of task '${m.model.task}')`);
  }
  return [taskModelNetwork(m.model)];
}
