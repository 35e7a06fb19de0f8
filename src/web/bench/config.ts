// The config the browser bench measures, in the page (page.ts) and in Node (test-browser/bench-node.ts).
export const BENCH_CONFIG = { benchmark: 'hetero3', method: 'mtl', trainPerTask: 1280, testPerTask: 200, epochs: 2, batchSize: 128, hidden: [512, 512], seed: 0, validation: 0 };
