// fsmtl's version, written into model files (no imports: the TensorFlow.js-free predictor reads it too).
export const FSMTL_VERSION = '0.2.0';
