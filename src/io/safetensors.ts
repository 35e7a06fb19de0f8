// safetensors files: the codec (src/io/safetensors-codec.ts, pure) and reading and writing them.
import { readBytes, writeBytesAtomic } from './files.js';
import { decodeSafetensors, encodeSafetensors, type SafeFile, type SafeTensor } from './safetensors-codec.js';

export * from './safetensors-codec.js';

// ---- Files

/** Reads and decodes a safetensors file; errors name the path. */
export function readSafetensorsFile(path: string, what = 'safetensors file'): SafeFile {
  return decodeSafetensors(readBytes(path, what), path);
}

/** Encodes and writes a safetensors file atomically; returns its size in bytes. */
export function writeSafetensorsFile(path: string, tensors: Iterable<[string, SafeTensor]>, metadata: Record<string, string> = {}): number {
  const bytes = encodeSafetensors(tensors, metadata);
  writeBytesAtomic(path, bytes);
  return bytes.length;
}
