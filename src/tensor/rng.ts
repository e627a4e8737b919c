// Seeded randomness. Two kinds:
// - `hashUniform(seed, i)`: a counter-based hash (murmur3's finaliser over seed and index), used
//   for dropout masks so that element i's draw is the same on every backend and every thread.
//   The C++ addon implements the identical integer arithmetic.
// - `Rng`: a sequential generator (xoshiro128**, seeded through splitmix32) for initialisation
//   and shuffling, with a state that can be saved and restored for resumable runs.

/** 32-bit murmur3-style hash of (seed, index). Both arguments are treated as uint32. */
export function hash32(seed: number, i: number): number {
  let h = (Math.imul(i >>> 0, 0x9e3779b9) ^ (seed >>> 0)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A uniform draw in [0, 1) for element i under seed: hash32(seed, i) / 2^32. */
export function hashUniform(seed: number, i: number): number {
  return hash32(seed, i) / 4294967296;
}

function splitmix32(state: number): [number, number] {
  const s = (state + 0x9e3779b9) >>> 0;
  let z = s;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  z ^= z >>> 15;
  return [s, z >>> 0];
}

export class Rng {
  private s: Uint32Array;

  constructor(seed: number) {
    this.s = new Uint32Array(4);
    let st = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      const [next, out] = splitmix32(st);
      st = next;
      this.s[i] = out;
    }
    if (this.s.every((x) => x === 0)) this.s[0] = 1;
  }

  /** The full generator state, to store in a checkpoint. */
  state(): number[] {
    return Array.from(this.s);
  }

  static fromState(state: number[]): Rng {
    if (state.length !== 4) throw new Error(`Rng.fromState: expected 4 uint32 words, got ${state.length}`);
    const r = new Rng(0);
    r.s.set(state);
    return r;
  }

  /** Next uint32 (xoshiro128**). */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 bits of randomness. */
  uniform(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Standard normal via Box-Muller (one draw per call; simple and reproducible). */
  normal(): number {
    let u = this.uniform();
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** A fresh seed for a child stream (e.g. one dropout call). */
  seed(): number {
    return this.nextUint32();
  }

  /** Fisher-Yates shuffle in place. */
  shuffle<T>(xs: T[]): T[] {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [xs[i], xs[j]] = [xs[j], xs[i]];
    }
    return xs;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
