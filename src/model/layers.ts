// Descriptions of the parametric layers of a shared extractor. Masks and Fisher scores are laid out
// per parameter tensor in this order: [kernel_0, bias_0, kernel_1, bias_1, ...].
export interface DenseLayer {
  kind: 'dense';
  name: string;
  inputs: number;
  units: number;
}

export interface ConvLayer {
  kind: 'conv';
  name: string;
  kernelSize: number;
  inChannels: number;
  filters: number;
  stride: number;
  padding: 'valid' | 'same';
}

export type ParamLayer = DenseLayer | ConvLayer;

export interface ParamSpec {
  name: string;
  shape: number[];
  size: number;
  layer: number;
  role: 'kernel' | 'bias';
}

export function kernelShape(layer: ParamLayer): number[] {
  return layer.kind === 'dense'
    ? [layer.inputs, layer.units]
    : [layer.kernelSize, layer.kernelSize, layer.inChannels, layer.filters];
}

export function outUnits(layer: ParamLayer): number {
  return layer.kind === 'dense' ? layer.units : layer.filters;
}

export function paramSpecs(layers: ParamLayer[]): ParamSpec[] {
  const specs: ParamSpec[] = [];
  layers.forEach((layer, i) => {
    const k = kernelShape(layer);
    specs.push({ name: `${layer.name}/kernel`, shape: k, size: k.reduce((a, b) => a * b, 1), layer: i, role: 'kernel' });
    const u = outUnits(layer);
    specs.push({ name: `${layer.name}/bias`, shape: [u], size: u, layer: i, role: 'bias' });
  });
  return specs;
}
