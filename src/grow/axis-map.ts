// Linear maps along one tensor axis: the one place where growth's index arithmetic lives
// (re-exported by structure.ts, whose header documents the API). An AxisMap says, for every new
// index of an axis, which old indices it sums with which weights, and whether it is new
// structure. Every fixed operator expands tensors through `expandAxis`; moments of Adam use the
// same maps (`Mode`).

import { Tensor, empty, zeros, type Rng } from '../tensor/index.ts';

// ---- linear maps along one axis -----------------------------------------------------------

/**
 * New index j of an axis is sum_t w[t] * old[src[t]] over t in [start[j], start[j+1]).
 * `fresh[j]` is 1 when j is new structure (MSG masks it; AKI refills it).
 */
export interface AxisMap {
  oldSize: number;
  start: Int32Array;
  src: Int32Array;
  w: Float64Array;
  fresh: Uint8Array;
}

export const mapSize = (m: AxisMap) => m.fresh.length;

/** One term per new index: old index src[j] times w[j] (src -1: zero). fresh defaults to j >= oldSize. */
export function gatherMap(oldSize: number, src: ArrayLike<number>, w?: ArrayLike<number>, fresh?: ArrayLike<number>): AxisMap {
  return mixMap(
    oldSize,
    Array.from({ length: src.length }, (_, j) => (src[j]! < 0 ? [[], []] : [[src[j]!], [w ? w[j]! : 1]])),
    fresh ?? Array.from({ length: src.length }, (_, j) => (j >= oldSize ? 1 : 0)),
  );
}

/** Any number of terms per new index: rows[j] = [old indices, weights]. */
export function mixMap(oldSize: number, rows: [number[], number[]][], fresh: ArrayLike<number>): AxisMap {
  const start = new Int32Array(rows.length + 1);
  rows.forEach(([s], j) => (start[j + 1] = start[j]! + s.length));
  const src = new Int32Array(start[rows.length]!);
  const w = new Float64Array(src.length);
  rows.forEach(([s, ws], j) => {
    src.set(s, start[j]!);
    w.set(ws, start[j]!);
  });
  return { oldSize, start, src, w, fresh: Uint8Array.from(fresh) };
}

/** Blocks side by side (GPT-2's fused [q; k; v]): block b's sources are offset by b * oldSize. */
export function concatMaps(maps: AxisMap[]): AxisMap {
  const rows: [number[], number[]][] = [];
  const fresh: number[] = [];
  maps.forEach((m, b) => {
    for (let j = 0; j < mapSize(m); j++) {
      const ts = termsOf(m, j);
      rows.push([ts.map(([s]) => s + b * m.oldSize), ts.map(([, w]) => w)]);
      fresh.push(m.fresh[j]!);
    }
  });
  return mixMap(maps.reduce((n, m) => n + m.oldSize, 0), rows, fresh);
}

/** [old index, weight] terms of new index j. */
export function termsOf(m: AxisMap, j: number): [number, number][] {
  const out: [number, number][] = [];
  for (let t = m.start[j]!; t < m.start[j + 1]!; t++) out.push([m.src[t]!, m.w[t]!]);
  return out;
}

/**
 * What is being grown. Parameters use the maps' weights; Adam's first moments likewise; second
 * moments use squared weights (staged training: a copy divided by c has its variance divided by c^2).
 */
export type Mode = 'params' | 'first-moment' | 'second-moment';

/** 1 where new index j has exactly the terms of j - 1 (LEMON's average rows): computed once, copied. */
function repeatsPrevious(m: AxisMap): Uint8Array {
  const out = new Uint8Array(mapSize(m));
  for (let j = 1; j < out.length; j++) {
    const [a, b, c] = [m.start[j - 1]!, m.start[j]!, m.start[j + 1]!];
    if (c - b !== b - a || c === b) continue;
    let same = true;
    for (let t = 0; t < c - b && same; t++) same = m.src[a + t] === m.src[b + t] && m.w[a + t] === m.w[b + t];
    out[j] = same ? 1 : 0;
  }
  return out;
}

/** t with `axis` replaced through `map` (a new tensor; t is not touched). */
export function expandAxis(t: Tensor, axis: number, map: AxisMap, mode: Mode = 'params'): Tensor {
  const shape = [...t.shape];
  if (shape[axis] !== map.oldSize) throw new Error(`expandAxis: axis ${axis} of [${shape.join(', ')}] has ${shape[axis]} entries, the map expects ${map.oldSize}`);
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const n = mapSize(map);
  shape[axis] = n;
  const out = empty(shape, t.dtype);
  const x = t.f;
  const y = out.f;
  const sq = mode === 'second-moment';
  const repeat = repeatsPrevious(map);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < n; j++) {
      const dst = (o * n + j) * inner;
      if (repeat[j]) {
        y.copyWithin(dst, dst - inner, dst);
        continue;
      }
      y.fill(0, dst, dst + inner);
      for (let t2 = map.start[j]!; t2 < map.start[j + 1]!; t2++) {
        const w = sq ? map.w[t2]! * map.w[t2]! : map.w[t2]!;
        const srcOff = (o * map.oldSize + map.src[t2]!) * inner;
        for (let i = 0; i < inner; i++) y[dst + i]! += w * x[srcOff + i]!;
      }
    }
  }
  return out;
}

/** Every axis through its map (null: unchanged). Always returns a new tensor. */
export function expandTensor(t: Tensor, maps: (AxisMap | null)[], mode: Mode = 'params'): Tensor {
  let out = cloneTensor(t);
  maps.forEach((m, axis) => {
    if (m) out = expandAxis(out, axis, m, mode);
  });
  return out;
}

/** 1 where any axis index is fresh under its map, else 0: the grown tensor's new structure. */
export function freshMask(shape: readonly number[], maps: (AxisMap | null)[]): Tensor {
  const mask = zeros(shape, 'float32');
  const m = mask.f;
  const strides = shape.map((_, a) => shape.slice(a + 1).reduce((x, y) => x * y, 1));
  for (let i = 0; i < m.length; i++) {
    m[i] = maps.some((map, a) => map !== null && map.fresh[Math.floor(i / strides[a]!) % shape[a]!] === 1) ? 1 : 0;
  }
  return mask;
}

export function cloneTensor(t: Tensor): Tensor {
  const out = empty(t.shape, t.dtype);
  out.data.set(t.data);
  return out;
}

/** base where mask is 0, other where mask is 1 (a new tensor; same shapes). */
export function maskedMix(base: Tensor, other: Tensor, mask: Tensor): Tensor {
  if (base.shape.join() !== other.shape.join() || base.shape.join() !== mask.shape.join()) throw new Error(`maskedMix: shapes [${base.shape}], [${other.shape}], mask [${mask.shape}] differ`);
  const out = cloneTensor(base);
  const o = out.f;
  const b = other.f;
  const m = mask.f;
  for (let i = 0; i < o.length; i++) if (m[i] !== 0) o[i] = b[i]!;
  return out;
}

/**
 * t plus noise along `axis` that sums to zero over the copies of each old index (new indices
 * whose map is one term from the same source). Where the copies carry equal inputs the weighted
 * sum, hence the function, is unchanged (HyperCloning's noisy cloning).
 */
export function addZeroSumNoise(t: Tensor, axis: number, map: AxisMap, std: number, rng: Rng): Tensor {
  const groups = new Map<number, number[]>();
  for (let j = 0; j < mapSize(map); j++) {
    if (map.start[j + 1]! - map.start[j]! !== 1) continue;
    const s = map.src[map.start[j]!]!;
    groups.set(s, [...(groups.get(s) ?? []), j]);
  }
  const copied = [...groups.values()].filter((g) => g.length > 1);
  const out = cloneTensor(t);
  const y = out.f;
  const shape = t.shape;
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const n = shape[axis]!;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      for (const g of copied) {
        const e = g.map(() => rng.normal());
        const mean = e.reduce((a, b) => a + b, 0) / e.length;
        g.forEach((j, c) => (y[(o * n + j) * inner + i]! += std * (e[c]! - mean)));
      }
    }
  }
  return out;
}
