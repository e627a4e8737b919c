// The native (C++ addon) backend against the reference backend, kernel by kernel, on random
// float32 inputs of odd sizes, broadcasting and masking edge cases, aliasing, and sizes large
// enough to take the multi-threaded paths. Skips (visibly) when the addon is not built.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BinaryOp, ReduceOp, UnaryOp, type Backend, type MatmulArgs } from '../src/tensor/backend.ts';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addonState } from '../native/up-to-date.mjs';
import { createRequire } from 'node:module';
import { NATIVE_ADDON_PATH, loadNativeBackend, nativeLoadError, nativePeak } from '../src/tensor/native.ts';
import { NATIVE_FUNCTIONS, nativeSignatures, opEnumText, type NativeAddon } from '../src/tensor/native-abi.ts';
import { referenceBackend as ref } from '../src/tensor/reference.ts';
import { Rng, hash32 } from '../src/tensor/rng.ts';
import { contiguousStrides } from '../src/tensor/ops/shape-util.ts';
import { nativeSkip } from './optional.ts';

const loaded = loadNativeBackend();
const skip = nativeSkip;
const nat = loaded as Backend;

/** A test that skips with the load error when the addon is missing. */
function ntest(name: string, fn: () => void): void {
  test(`native: ${name}`, { skip }, fn);
}

// Sizes: tiny, odd, and one past the ~131k-element threshold of the multi-threaded paths.
const SIZES = [1, 3, 17, 129, 140_003];

function randn(rng: Rng, n: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal() * scale;
  return a;
}

function randPos(rng: Rng, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = 0.05 + Math.abs(rng.normal()) * 2;
  return a;
}

function randInt(rng: Rng, n: number, high: number): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.int(high);
  return a;
}

/** |a - e| <= atol + rtol |e| everywhere; NaN must match NaN, infinities must match exactly. */
function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, rtol = 1e-5, atol = 1e-6): void {
  assert.equal(actual.length, expected.length, `${what}: lengths differ`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Object.is(a, e) || a === e) continue;
    if (Number.isNaN(e) || !Number.isFinite(e)) assert.fail(`${what}[${i}]: native ${a}, reference ${e}`);
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) assert.fail(`${what}[${i}]: native ${a}, reference ${e} (|diff| ${Math.abs(a - e).toExponential(2)})`);
  }
}

function assertNumberClose(a: number, e: number, what: string, rtol = 1e-5): void {
  assert.ok(Math.abs(a - e) <= rtol * Math.max(1, Math.abs(e)), `${what}: native ${a}, reference ${e}`);
}

const copy = (x: Float32Array) => Float32Array.from(x);

// ---------------------------------------------------------------------------------------------

test('native: addon availability (a built addon must load and match native-abi.ts)', () => {
  if (!loaded) console.log(`# ${skip}`);
  assert.ok(loaded || typeof nativeLoadError() === 'string', 'a missing addon must come with a load error');
  if (existsSync(NATIVE_ADDON_PATH)) assert.ok(loaded, `the addon is built but does not load: ${nativeLoadError()}`);
});

ntest('the addon agrees with the boundary declared in native-abi.ts, and reports any difference', () => {
  const addon = createRequire(import.meta.url)(NATIVE_ADDON_PATH) as NativeAddon;
  addon.declare(nativeSignatures()); // the declaration as it is: no difference
  const exported = Object.keys(addon).filter((k) => k !== 'declare').sort();
  assert.deepEqual(exported, Object.keys(NATIVE_FUNCTIONS).sort(), 'the addon exports exactly the declared functions');

  const changed = { ...nativeSignatures(), matmul: nativeSignatures().matmul!.replace('strideA:size', 'strideA:int') };
  assert.throws(() => addon.declare(changed), /matmul: declared `a:f32 .*strideA:int.*`, the addon reads `.*strideA:size/);
  const { softmax: _removed, ...missing } = nativeSignatures();
  assert.throws(() => addon.declare(missing), /softmax: not declared/);
  assert.throws(() => addon.declare({ ...nativeSignatures(), conv2d: 'x:f32 -> void' }), /conv2d: declared, but the addon has no such function/);
  const swapped = { ...nativeSignatures(), softmax: 'x:f32 cols:size rows:size out:f32 log:bool -> void' };
  assert.throws(() => addon.declare(swapped), /softmax: declared `x:f32 cols:size rows:size/);
});

ntest("the addon's op lists agree with backend.ts's enums, and a list that drifts is refused on one line", () => {
  const addon = createRequire(import.meta.url)(NATIVE_ADDON_PATH) as NativeAddon;
  assert.equal(nativeSignatures().UnaryOp, 'Exp Log Sqrt Rsqrt Tanh Erf Neg GeluErf GeluTanh Pow Scale AddScalar Relu Silu');
  const reordered = { ...nativeSignatures(), BinaryOp: 'Add Mul Sub Div' };
  assert.throws(() => addon.declare(reordered), (e: Error) => /BinaryOp: declared `Add Mul Sub Div`, the addon reads `Add Sub Mul Div`$/.test(e.message) && !e.message.includes('\n'));
  const { ReduceOp: _removed, ...missing } = nativeSignatures();
  assert.throws(() => addon.declare(missing), /ReduceOp: not declared \(the addon has `Sum Max`\)/);
  assert.equal(opEnumText({ A: 0, B: 1, 0: 'A', 1: 'B' }), 'A B');
  assert.equal(opEnumText({ A: 0, B: 2, 0: 'A', 2: 'B' }), 'A undefined', 'a gap in the values cannot match a list of names');
});

test('addonState: an addon older than any of its sources is stale (loading it says so)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ligo-addon-'));
  try {
    mkdirSync(join(dir, 'src'));
    mkdirSync(join(dir, 'build', 'Release'), { recursive: true });
    const sources = [join(dir, 'binding.gyp'), join(dir, 'src', 'a.cc'), join(dir, 'src', 'b.h')];
    for (const f of sources) writeFileSync(f, '');
    assert.equal(addonState(dir), 'missing');
    const addon = join(dir, 'build', 'Release', 'ligo_native.node');
    writeFileSync(addon, '');
    const at = (file: string, seconds: number) => utimesSync(file, seconds, seconds);
    for (const f of sources) at(f, 1000);
    at(addon, 2000);
    assert.equal(addonState(dir), 'current');
    at(join(dir, 'src', 'b.h'), 3000);
    assert.equal(addonState(dir), 'stale', 'a header edited after the build');
    at(join(dir, 'src', 'b.h'), 1000);
    at(join(dir, 'binding.gyp'), 2001);
    assert.equal(addonState(dir), 'stale', 'binding.gyp edited after the build');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

ntest('loading a stale addon says so on stderr, once, for any program that imports the package; a current one says nothing', () => {
  // A copy of src/ and native/ (the loader finds the addon and its sources beside its own file).
  const root = mkdtempSync(join(tmpdir(), 'ligo-stale-'));
  try {
    const repo = join(import.meta.dirname, '..');
    for (const d of ['src', 'native/src']) cpSync(join(repo, d), join(root, d), { recursive: true });
    for (const f of ['native/binding.gyp', 'native/up-to-date.mjs', 'native/build/Release/ligo_native.node', 'package.json']) cpSync(join(repo, f), join(root, f));
    symlinkSync(join(repo, 'node_modules'), join(root, 'node_modules'));
    const load = () =>
      spawnSync(process.execPath, ['--import', 'tsx', '-e', "import('./src/tensor/index.ts').then((t) => { t.getBackend(); t.getBackend(); console.log(t.getBackend().name); })"], { cwd: root, encoding: 'utf8', env: { ...process.env, LIGO_BACKEND: 'native' } });
    const at = (file: string, seconds: number) => utimesSync(join(root, file), seconds, seconds);
    for (const f of readdirSync(join(root, 'native/src'))) at(join('native/src', f), 1000);
    at('native/binding.gyp', 1000);
    at('native/build/Release/ligo_native.node', 2000);
    const current = load();
    assert.equal(current.status, 0, current.stderr);
    assert.equal(current.stdout.trim(), 'native');
    assert.doesNotMatch(current.stderr, /older than native\/src/);
    at('native/src/kernels_nn.cc', 3000);
    const stale = load();
    assert.equal(stale.status, 0, stale.stderr);
    assert.equal(stale.stdout.trim(), 'native', 'a stale addon still loads');
    assert.equal(stale.stderr.match(/ligo: the native addon is older than native\/src, so it runs the kernels of its last build, not these sources: rebuild it with `npm run build:native`/g)?.length, 1, stale.stderr);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

ntest('backend identity', () => {
  assert.equal(nat.name, 'native');
  assert.equal(nat.float64, false);
});

ntest('fill', () => {
  for (const n of SIZES) {
    const out = new Float32Array(n).fill(NaN);
    nat.fill(out, -1.25);
    assert.ok(out.every((v) => v === -1.25));
  }
});

// ---------------------------------------------------------------------------------------------
// unary

const UNARY_CASES: { op: UnaryOp; param: number; positive?: boolean }[] = [
  { op: UnaryOp.Exp, param: 0 },
  { op: UnaryOp.Log, param: 0, positive: true },
  { op: UnaryOp.Sqrt, param: 0, positive: true },
  { op: UnaryOp.Rsqrt, param: 0, positive: true },
  { op: UnaryOp.Tanh, param: 0 },
  { op: UnaryOp.Erf, param: 0 },
  { op: UnaryOp.Neg, param: 0 },
  { op: UnaryOp.GeluErf, param: 0 },
  { op: UnaryOp.GeluTanh, param: 0 },
  { op: UnaryOp.Pow, param: 2 },
  { op: UnaryOp.Pow, param: 3 },
  { op: UnaryOp.Pow, param: 0.5, positive: true },
  { op: UnaryOp.Pow, param: -1.5, positive: true },
  { op: UnaryOp.Pow, param: 0 },
  { op: UnaryOp.Scale, param: 1.7 },
  { op: UnaryOp.AddScalar, param: -0.3 },
  { op: UnaryOp.Relu, param: 0 },
  { op: UnaryOp.Silu, param: 0 },
];

/** Values every unary op must get right: zeros, tails, infinities, NaN, tiny and huge. */
const SPECIAL = [0, -0, 1e-30, -1e-30, 1e-4, -1e-4, 0.5, -0.5, 0.625, -0.625, 1, -1, 2, -2, 3.5, -3.5, 5.9, -5.9, 9, -9, 15, -15, 80, -80, 88, 89, -100, -104, 1e30, -1e30, Infinity, -Infinity, NaN];

function unaryInput(rng: Rng, n: number, positive: boolean | undefined): Float32Array {
  return positive ? randPos(rng, n) : randn(rng, n, 3);
}

ntest('unary: every op on random inputs of odd sizes', () => {
  const rng = new Rng(1);
  for (const { op, param, positive } of UNARY_CASES) {
    for (const n of SIZES) {
      const x = unaryInput(rng, n, positive);
      const want = new Float32Array(n);
      const got = new Float32Array(n);
      ref.unary(op, x, want, param);
      nat.unary(op, x, got, param);
      assertClose(got, want, `unary ${UnaryOp[op]}(${param}) n=${n}`);
    }
  }
});

ntest('unary: special values (0, tails, inf, NaN)', () => {
  const x = Float32Array.from(SPECIAL);
  const dense = new Float32Array(20_001);
  for (let i = 0; i < dense.length; i++) dense[i] = -20 + (40 * i) / (dense.length - 1);
  for (const { op, param, positive } of UNARY_CASES) {
    if (positive) continue;
    for (const input of [x, dense]) {
      const want = new Float32Array(input.length);
      const got = new Float32Array(input.length);
      ref.unary(op, input, want, param);
      nat.unary(op, input, got, param);
      assertClose(got, want, `unary ${UnaryOp[op]}(${param}) special`);
    }
  }
});

ntest('unary: out aliases x', () => {
  const rng = new Rng(2);
  for (const { op, param, positive } of UNARY_CASES) {
    for (const n of [17, 140_003]) {
      const x = unaryInput(rng, n, positive);
      const want = new Float32Array(n);
      ref.unary(op, x, want, param);
      nat.unary(op, x, x, param);
      assertClose(x, want, `unary in place ${UnaryOp[op]}`);
    }
  }
});

ntest('unaryBackward: every op, and gx aliasing gy', () => {
  const rng = new Rng(3);
  for (const { op, param, positive } of UNARY_CASES) {
    for (const n of SIZES) {
      const x = unaryInput(rng, n, positive);
      const y = new Float32Array(n);
      ref.unary(op, x, y, param);
      const gy = randn(rng, n);
      const want = new Float32Array(n);
      const got = new Float32Array(n);
      ref.unaryBackward(op, x, y, gy, want, param);
      nat.unaryBackward(op, x, y, gy, got, param);
      assertClose(got, want, `unaryBackward ${UnaryOp[op]}(${param}) n=${n}`);
      nat.unaryBackward(op, x, y, gy, gy, param);
      assertClose(gy, want, `unaryBackward in place ${UnaryOp[op]}(${param}) n=${n}`);
    }
  }
});

// ---------------------------------------------------------------------------------------------
// binary

interface BinaryCase {
  name: string;
  shape: number[];
  aLen: number;
  aStrides: number[];
  bLen: number;
  bStrides: number[];
}

const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);

function binaryCases(): BinaryCase[] {
  const cases: BinaryCase[] = [];
  for (const n of SIZES) cases.push({ name: `equal [${n}]`, shape: [n], aLen: n, aStrides: [1], bLen: n, bStrides: [1] });
  for (const [r, c] of [[3, 17], [129, 3], [600, 257]] as const) {
    const s = [r, c];
    const full = contiguousStrides(s);
    cases.push({ name: `equal [${r},${c}]`, shape: s, aLen: r * c, aStrides: full, bLen: r * c, bStrides: full });
    cases.push({ name: `b leading broadcast [${r},${c}]`, shape: s, aLen: r * c, aStrides: full, bLen: c, bStrides: [0, 1] });
    cases.push({ name: `a leading broadcast [${r},${c}]`, shape: s, aLen: c, aStrides: [0, 1], bLen: r * c, bStrides: full });
    cases.push({ name: `b trailing broadcast [${r},${c}]`, shape: s, aLen: r * c, aStrides: full, bLen: r, bStrides: [1, 0] });
    cases.push({ name: `b scalar [${r},${c}]`, shape: s, aLen: r * c, aStrides: full, bLen: 1, bStrides: [0, 0] });
    cases.push({ name: `a scalar [${r},${c}]`, shape: s, aLen: 1, aStrides: [0, 0], bLen: r * c, bStrides: full });
    cases.push({ name: `a transposed [${r},${c}]`, shape: s, aLen: r * c, aStrides: [1, r], bLen: r * c, bStrides: full });
    cases.push({ name: `outer product [${r},${c}]`, shape: s, aLen: r, aStrides: [1, 0], bLen: c, bStrides: [0, 1] });
  }
  for (const [p, q, r] of [[3, 5, 7], [17, 1, 129], [80, 33, 61]] as const) {
    const s = [p, q, r];
    const full = contiguousStrides(s);
    cases.push({ name: `b middle broadcast [${p},${q},${r}]`, shape: s, aLen: p * q * r, aStrides: full, bLen: p * r, bStrides: [r, 0, 1] });
    cases.push({ name: `both broadcast [${p},${q},${r}]`, shape: s, aLen: p * r, aStrides: [r, 0, 1], bLen: q * r, bStrides: [0, r, 1] });
    cases.push({ name: `b inner-only [${p},${q},${r}]`, shape: s, aLen: p * q * r, aStrides: full, bLen: q, bStrides: [0, 1, 0] });
  }
  const big = [2, 1, 3, 1, 4, 5, 1, 6];
  cases.push({ name: 'rank 8 with size-1 dims', shape: big, aLen: prod(big), aStrides: contiguousStrides(big), bLen: 4 * 6, bStrides: [0, 0, 0, 0, 6, 0, 0, 1] });
  cases.push({ name: 'scalar shape [1]', shape: [1], aLen: 1, aStrides: [1], bLen: 1, bStrides: [0] });
  cases.push({ name: 'empty [0, 5]', shape: [0, 5], aLen: 0, aStrides: [5, 1], bLen: 0, bStrides: [5, 1] });
  return cases;
}

ntest('binary: all ops over equal shapes, broadcasts (leading, trailing, middle, scalar) and strides', () => {
  const rng = new Rng(4);
  for (const c of binaryCases()) {
    const a = randn(rng, c.aLen);
    const b = randn(rng, c.bLen);
    for (let i = 0; i < b.length; i++) if (Math.abs(b[i]!) < 0.05) b[i] = 0.5; // keep Div tame
    const n = prod(c.shape);
    for (const op of [BinaryOp.Add, BinaryOp.Sub, BinaryOp.Mul, BinaryOp.Div]) {
      const want = new Float32Array(n);
      const got = new Float32Array(n).fill(NaN);
      const args = [Int32Array.from(c.aStrides), Int32Array.from(c.bStrides), Int32Array.from(c.shape)] as const;
      ref.binary(op, a, args[0], b, args[1], want, args[2]);
      nat.binary(op, a, args[0], b, args[1], got, args[2]);
      assertClose(got, want, `binary ${BinaryOp[op]} ${c.name}`, 0, 0);
    }
  }
});

ntest('binary: out aliases a or b (contiguous equal shapes)', () => {
  const rng = new Rng(5);
  for (const n of [17, 140_003]) {
    const st = Int32Array.of(1);
    const shape = Int32Array.of(n);
    for (const op of [BinaryOp.Add, BinaryOp.Sub, BinaryOp.Mul, BinaryOp.Div]) {
      const a = randn(rng, n);
      const b = randPos(rng, n);
      const want = new Float32Array(n);
      ref.binary(op, a, st, b, st, want, shape);
      const a2 = copy(a);
      nat.binary(op, a2, st, b, st, a2, shape);
      assertClose(a2, want, `binary ${BinaryOp[op]} out=a`, 0, 0);
      const b2 = copy(b);
      nat.binary(op, a, st, b2, st, b2, shape);
      assertClose(b2, want, `binary ${BinaryOp[op]} out=b`, 0, 0);
      const a3 = copy(a);
      const want2 = new Float32Array(n);
      ref.binary(op, a, st, a, st, want2, shape);
      nat.binary(op, a3, st, a3, st, a3, shape);
      assertClose(a3, want2, `binary ${BinaryOp[op]} out=a=b`, 0, 0);
    }
  }
});

ntest('where: float and int32 conditions', () => {
  const rng = new Rng(6);
  for (const n of SIZES) {
    const a = randn(rng, n);
    const b = randn(rng, n);
    const ci = randInt(rng, n, 2);
    const cf = Float32Array.from(ci, (v, i) => (v ? (i % 3) - 1.5 : 0));
    for (const cond of [ci, cf]) {
      const want = new Float32Array(n);
      const got = new Float32Array(n);
      ref.where(cond, a, b, want);
      nat.where(cond, a, b, got);
      assertClose(got, want, `where n=${n}`, 0, 0);
    }
    const want = new Float32Array(n);
    ref.where(ci, a, b, want);
    const a2 = copy(a);
    nat.where(ci, a2, b, a2);
    assertClose(a2, want, 'where out=a', 0, 0);
  }
});

// ---------------------------------------------------------------------------------------------
// reductions and layout

const REDUCE_SHAPES: [number, number, number][] = [
  [1, 1, 1], [3, 17, 1], [1, 129, 1], [17, 3, 129], [3, 1, 17], [1, 300, 517], [4, 129, 300], [1100, 129, 1], [5, 0, 3],
  // column sums of one matrix of 2^20 elements or more: rows split between the threads
  [1, 2049, 515], [1, 1031, 1033],
];

ntest('reduce: sum and max over [outer, r, inner]', () => {
  const rng = new Rng(7);
  for (const [outer, r, inner] of REDUCE_SHAPES) {
    const x = randn(rng, outer * r * inner);
    for (const op of [ReduceOp.Sum, ReduceOp.Max]) {
      const want = new Float32Array(outer * inner);
      const got = new Float32Array(outer * inner).fill(NaN);
      ref.reduce(op, x, outer, r, inner, want);
      nat.reduce(op, x, outer, r, inner, got);
      assertClose(got, want, `reduce ${ReduceOp[op]} [${outer},${r},${inner}]`, 1e-5, 1e-5);
    }
  }
});

ntest('reduce: max propagates NaN', () => {
  const x = Float32Array.of(1, NaN, 3, 0, 5, 2);
  for (const [outer, r, inner] of [[1, 6, 1], [1, 3, 2], [2, 3, 1]] as const) {
    const want = new Float32Array(outer * inner);
    const got = new Float32Array(outer * inner);
    ref.reduce(ReduceOp.Max, x, outer, r, inner, want);
    nat.reduce(ReduceOp.Max, x, outer, r, inner, got);
    assertClose(got, want, `reduce max NaN [${outer},${r},${inner}]`, 0, 0);
  }
});

ntest('reduceMaxBackward: first maximum gets the gradient (with ties)', () => {
  const rng = new Rng(8);
  for (const [outer, r, inner] of REDUCE_SHAPES) {
    const x = Float32Array.from(randInt(rng, outer * r * inner, 4)); // many ties
    const y = new Float32Array(outer * inner);
    ref.reduce(ReduceOp.Max, x, outer, r, inner, y);
    const gy = randn(rng, outer * inner);
    const want = new Float32Array(outer * r * inner);
    const got = new Float32Array(outer * r * inner).fill(NaN);
    ref.reduceMaxBackward(x, y, gy, outer, r, inner, want);
    nat.reduceMaxBackward(x, y, gy, outer, r, inner, got);
    assertClose(got, want, `reduceMaxBackward [${outer},${r},${inner}]`, 0, 0);
  }
});

interface CopyCase {
  name: string;
  shape: number[];
  srcLen: number;
  src: { offset: number; strides: number[] };
  dstLen: number;
  dst: { offset: number; strides: number[] };
  accumulate: boolean;
}

function copyCases(): CopyCase[] {
  const cases: CopyCase[] = [];
  for (const [p, q, r] of [[2, 3, 4], [17, 3, 129], [80, 33, 61]] as const) {
    const n = p * q * r;
    const shape = [r, p, q]; // permute (2, 0, 1) of a [p, q, r] tensor
    cases.push({ name: `permute [${p},${q},${r}]`, shape, srcLen: n, src: { offset: 0, strides: [1, q * r, r] }, dstLen: n, dst: { offset: 0, strides: contiguousStrides(shape) }, accumulate: false });
    cases.push({ name: `slice [${p},${q},${r}] rows 1..`, shape: [p, q - 1, r], srcLen: n, src: { offset: r, strides: [q * r, r, 1] }, dstLen: p * (q - 1) * r, dst: { offset: 0, strides: contiguousStrides([p, q - 1, r]) }, accumulate: false });
    cases.push({ name: `pad [${p},${q},${r}] into [${p},${q + 2},${r + 1}]`, shape: [p, q, r], srcLen: n, src: { offset: 0, strides: contiguousStrides([p, q, r]) }, dstLen: p * (q + 2) * (r + 1), dst: { offset: (r + 1) + 1, strides: [(q + 2) * (r + 1), r + 1, 1] }, accumulate: false });
    cases.push({ name: `expand [1,${q},${r}] to [${p},${q},${r}]`, shape: [p, q, r], srcLen: q * r, src: { offset: 0, strides: [0, r, 1] }, dstLen: n, dst: { offset: 0, strides: contiguousStrides([p, q, r]) }, accumulate: false });
    cases.push({ name: `expand backward [${p},${q},${r}] to [1,${q},${r}]`, shape: [p, q, r], srcLen: n, src: { offset: 0, strides: contiguousStrides([p, q, r]) }, dstLen: q * r, dst: { offset: 0, strides: [0, r, 1] }, accumulate: true });
    cases.push({ name: `expand backward [${p},${q},${r}] to [${p},${q},1]`, shape: [p, q, r], srcLen: n, src: { offset: 0, strides: contiguousStrides([p, q, r]) }, dstLen: p * q, dst: { offset: 0, strides: [q, 1, 0] }, accumulate: true });
    cases.push({ name: `accumulate slice [${p},${q},${r}]`, shape: [p, q, r], srcLen: n, src: { offset: 0, strides: contiguousStrides([p, q, r]) }, dstLen: p * (q + 1) * r, dst: { offset: r, strides: [(q + 1) * r, r, 1] }, accumulate: true });
  }
  cases.push({ name: 'rank 0', shape: [], srcLen: 5, src: { offset: 3, strides: [] }, dstLen: 2, dst: { offset: 1, strides: [] }, accumulate: false });
  cases.push({ name: 'contiguous 1-d large', shape: [140_003], srcLen: 140_010, src: { offset: 7, strides: [1] }, dstLen: 140_003, dst: { offset: 0, strides: [1] }, accumulate: false });
  cases.push({ name: 'matmul bias broadcast', shape: [129, 17], srcLen: 17, src: { offset: 0, strides: [0, 1] }, dstLen: 129 * 17, dst: { offset: 0, strides: [17, 1] }, accumulate: false });
  return cases;
}

ntest('copyStrided: permute, slice, pad, expand, expand backward, accumulate (float32 and int32)', () => {
  const rng = new Rng(9);
  for (const c of copyCases()) {
    const args = (v: { offset: number; strides: number[] }) => ({ offset: v.offset, strides: Int32Array.from(v.strides) });
    const src = randn(rng, c.srcLen);
    const dst0 = randn(rng, c.dstLen);
    const want = copy(dst0);
    const got = copy(dst0);
    ref.copyStrided(src, args(c.src), want, args(c.dst), Int32Array.from(c.shape), c.accumulate);
    nat.copyStrided(src, args(c.src), got, args(c.dst), Int32Array.from(c.shape), c.accumulate);
    assertClose(got, want, `copyStrided ${c.name}`, 1e-6, 1e-6);

    const isrc = randInt(rng, c.srcLen, 1000);
    const iwant = randInt(rng, c.dstLen, 1000);
    const igot = Int32Array.from(iwant);
    ref.copyStrided(isrc, args(c.src), iwant, args(c.dst), Int32Array.from(c.shape), c.accumulate);
    nat.copyStrided(isrc, args(c.src), igot, args(c.dst), Int32Array.from(c.shape), c.accumulate);
    assert.deepEqual(igot, iwant, `copyStrided int32 ${c.name}`);
  }
});

ntest('gather and scatterAdd (repeated ids), RangeError on a bad id', () => {
  const rng = new Rng(10);
  for (const [vocab, cols, n] of [[1, 1, 1], [17, 3, 129], [50, 129, 17], [300, 160, 400], [1000, 512, 8200]] as const) {
    const table = randn(rng, vocab * cols);
    const ids = randInt(rng, n, vocab);
    const want = new Float32Array(n * cols);
    const got = new Float32Array(n * cols);
    ref.gather(table, vocab, cols, ids, want);
    nat.gather(table, vocab, cols, ids, got);
    assertClose(got, want, `gather ${vocab}x${cols}`, 0, 0);

    const gy = randn(rng, n * cols);
    const g0 = randn(rng, vocab * cols);
    const gw = copy(g0);
    const gg = copy(g0);
    ref.scatterAdd(gy, ids, cols, gw);
    nat.scatterAdd(gy, ids, cols, gg);
    assertClose(gg, gw, `scatterAdd ${vocab}x${cols}`);
  }
  const table = new Float32Array(12);
  assert.throws(() => nat.gather(table, 4, 3, Int32Array.of(0, 4), new Float32Array(6)), (e: Error) => e instanceof RangeError && /id 4 at position 1/.test(e.message));
  assert.throws(() => nat.gather(table, 4, 3, Int32Array.of(-1), new Float32Array(3)), RangeError);
  assert.throws(() => nat.scatterAdd(new Float32Array(3), Int32Array.of(4), 3, table), (e: Error) => e instanceof RangeError && /id 4/.test(e.message));
});

// ---------------------------------------------------------------------------------------------
// softmax family, layer norm, cross-entropy

const ROWS_COLS: [number, number][] = [[1, 1], [3, 17], [17, 3], [129, 129], [7, 5000], [300, 257]];

ntest('softmax and log-softmax, forward and backward (and in place)', () => {
  const rng = new Rng(11);
  for (const [rows, cols] of ROWS_COLS) {
    const x = randn(rng, rows * cols, 4);
    x[0] = 30; // a large logit
    for (const log of [false, true]) {
      const want = new Float32Array(rows * cols);
      const got = new Float32Array(rows * cols);
      ref.softmax(x, rows, cols, want, log);
      nat.softmax(x, rows, cols, got, log);
      assertClose(got, want, `softmax log=${log} [${rows},${cols}]`, 1e-5, 1e-6);
      const inPlace = copy(x);
      nat.softmax(inPlace, rows, cols, inPlace, log);
      assertClose(inPlace, want, `softmax in place log=${log}`, 1e-5, 1e-6);

      const gy = randn(rng, rows * cols);
      const gw = new Float32Array(rows * cols);
      const gg = new Float32Array(rows * cols);
      ref.softmaxBackward(want, gy, rows, cols, gw, log);
      nat.softmaxBackward(want, gy, rows, cols, gg, log);
      assertClose(gg, gw, `softmaxBackward log=${log} [${rows},${cols}]`, 1e-5, 1e-5);
    }
  }
});

ntest('attention forward and backward: causal (tq == tk, tq < tk, tq > tk), key masks, fully masked rows, grouped key/value heads, packed and padded rows', () => {
  const rng = new Rng(12);
  const cases: [number, number, number, number, number, boolean, boolean, number?][] = [
    // batch, heads, tq, tk, head size, causal, keyMask, key/value heads (default: heads)
    [1, 1, 1, 1, 1, true, false],
    [2, 3, 5, 5, 4, true, false],
    [2, 3, 5, 5, 4, false, true],
    [2, 3, 5, 5, 3, true, true],
    [1, 2, 3, 7, 5, true, false],
    [1, 2, 7, 3, 5, true, false], // query rows 0..3 see no key at all
    [3, 2, 17, 17, 8, true, true],
    [2, 4, 129, 129, 16, true, true],
    [4, 4, 64, 64, 64, false, false],
    [2, 6, 5, 5, 8, true, true, 2],
    [2, 6, 5, 5, 8, false, false, 2],
    [2, 6, 5, 5, 8, false, true, 3],
    [1, 4, 3, 7, 5, true, false, 1], // one key/value head for every query head
    [1, 4, 7, 3, 5, true, true, 2],
    [2, 8, 129, 129, 16, true, true, 2], // multi-threaded over (batch item, key/value head)
  ];
  for (const [batch, heads, tq, tk, d, causal, masked, kvHeads = heads] of cases) {
    let keyMask: Int32Array | null = null;
    if (masked) {
      keyMask = randInt(rng, batch * tk, 4).map((v) => (v === 0 ? 0 : 1));
      keyMask.fill(0, 0, tk); // batch 0: every key masked -> all-zero rows
      if (batch > 1) keyMask.fill(1, tk, 2 * tk);
    }
    const [C, Ckv] = [heads * d, kvHeads * d];
    const dims = { batch, heads, kvHeads, tq, tk, d, scale: 0.37, causal };
    // Three layouts: own [B, T, C] arrays (k and v [B, T, Ckv]); q, k, v packed in one
    // [B, T, C + 2 Ckv] array (tq == tk); rows padded past the heads, at an offset.
    const layouts = [{ name: 'own', offsets: [0, 0, 0], strides: [C, Ckv, Ckv] }, { name: 'padded', offsets: [3, 1, 2], strides: [C + 5, Ckv + 5, Ckv + 5] }];
    if (tq === tk) layouts.push({ name: 'packed', offsets: [0, C, C + Ckv], strides: Array(3).fill(C + 2 * Ckv) });
    for (const { name, offsets, strides } of layouts) {
      const packed = name === 'packed';
      const len = (rows: number, i: number) => offsets[i]! + batch * rows * strides[i]!;
      const [qa, ka, va] = packed ? Array(3).fill(randn(rng, len(tq, 0))) : [randn(rng, len(tq, 0)), randn(rng, len(tk, 1)), randn(rng, len(tk, 2))];
      const [qv, kv, vv] = offsets.map((offset, i) => ({ offset, rowStride: strides[i]! }));
      const what = `attention ${name} b${batch} h${heads} kv${kvHeads} ${tq}x${tk} d${d} causal=${causal} mask=${masked}`;
      const run = (be: Backend) => {
        const p = new Float32Array(batch * heads * tq * tk);
        const out = new Float32Array(batch * tq * C);
        be.attention(qa!, qv!, ka!, kv!, va!, vv!, keyMask, p, out, dims);
        const gout = randn(new Rng(5), out.length);
        const grads = packed ? Array(3).fill(new Float32Array(qa!.length)) : [qa!, ka!, va!].map((x) => new Float32Array(x.length));
        be.attentionBackward(qa!, qv!, ka!, kv!, va!, vv!, p, gout, grads[0], grads[1], grads[2], dims);
        return { p, out, grads };
      };
      const want = run(ref);
      const got = run(nat);
      assertClose(got.p, want.p, `${what}: probabilities`, 1e-5, 1e-6);
      assertClose(got.out, want.out, `${what}: output`, 1e-4, 1e-5);
      got.grads.forEach((g, i) => assertClose(g, want.grads[i]!, `${what}: gradient ${'qkv'[i]}`, 1e-4, 1e-5));
      if (masked) assert.ok(got.p.subarray(0, heads * tq * tk).every((v) => v === 0), 'fully masked rows are zeros');
    }
  }
});

ntest('layerNorm forward and backward (ggamma / gbeta accumulate)', () => {
  const rng = new Rng(13);
  for (const [rows, cols] of ROWS_COLS) {
    const x = randn(rng, rows * cols, 2);
    for (let i = 0; i < x.length; i++) x[i] = x[i]! + 3; // a mean far from 0
    const gamma = randn(rng, cols);
    const beta = randn(rng, cols);
    const want = new Float32Array(rows * cols);
    const got = new Float32Array(rows * cols);
    const meanW = new Float32Array(rows);
    const rstdW = new Float32Array(rows);
    const meanG = new Float32Array(rows);
    const rstdG = new Float32Array(rows);
    ref.layerNorm(x, gamma, beta, rows, cols, 1e-5, want, meanW, rstdW);
    nat.layerNorm(x, gamma, beta, rows, cols, 1e-5, got, meanG, rstdG);
    assertClose(got, want, `layerNorm [${rows},${cols}]`, 1e-5, 2e-6);
    assertClose(meanG, meanW, 'layerNorm mean');
    assertClose(rstdG, rstdW, 'layerNorm rstd');

    const gy = randn(rng, rows * cols);
    const gxW = new Float32Array(rows * cols);
    const gxG = new Float32Array(rows * cols);
    const gg0 = randn(rng, cols);
    const gb0 = randn(rng, cols);
    const ggW = copy(gg0);
    const gbW = copy(gb0);
    const ggG = copy(gg0);
    const gbG = copy(gb0);
    ref.layerNormBackward(x, gamma, meanW, rstdW, gy, rows, cols, gxW, ggW, gbW);
    nat.layerNormBackward(x, gamma, meanW, rstdW, gy, rows, cols, gxG, ggG, gbG);
    assertClose(gxG, gxW, `layerNormBackward gx [${rows},${cols}]`, 1e-4, 1e-5);
    assertClose(ggG, ggW, `layerNormBackward ggamma [${rows},${cols}]`, 1e-5, 1e-5);
    assertClose(gbG, gbW, `layerNormBackward gbeta [${rows},${cols}]`, 1e-5, 1e-5);
  }
});

ntest('rmsNorm forward and backward (ggamma accumulates)', () => {
  const rng = new Rng(22);
  for (const [rows, cols] of [[7, 13], ...ROWS_COLS]) {
    const x = randn(rng, rows * cols, 2);
    const gamma = randn(rng, cols);
    const want = new Float32Array(rows * cols);
    const got = new Float32Array(rows * cols);
    const rstdW = new Float32Array(rows);
    const rstdG = new Float32Array(rows);
    ref.rmsNorm(x, gamma, rows, cols, 1e-6, want, rstdW);
    nat.rmsNorm(x, gamma, rows, cols, 1e-6, got, rstdG);
    assertClose(got, want, `rmsNorm [${rows},${cols}]`, 1e-5, 2e-6);
    assertClose(rstdG, rstdW, 'rmsNorm rstd');

    const gy = randn(rng, rows * cols);
    const gxW = new Float32Array(rows * cols);
    const gxG = new Float32Array(rows * cols);
    const gg0 = randn(rng, cols);
    const ggW = copy(gg0);
    const ggG = copy(gg0);
    ref.rmsNormBackward(x, gamma, rstdW, gy, rows, cols, gxW, ggW);
    nat.rmsNormBackward(x, gamma, rstdW, gy, rows, cols, gxG, ggG);
    assertClose(gxG, gxW, `rmsNormBackward gx [${rows},${cols}]`, 1e-4, 1e-5);
    assertClose(ggG, ggW, `rmsNormBackward ggamma [${rows},${cols}]`, 1e-5, 1e-5);
  }
});

ntest('rotary forward and backward (and in place); an odd head size throws', () => {
  const rng = new Rng(23);
  // batch, t, heads, head size; the last one past the multi-threaded threshold.
  for (const [batch, t, heads, d] of [[1, 1, 1, 2], [2, 5, 3, 6], [3, 7, 2, 10], [2, 129, 4, 64]] as const) {
    const n = batch * t * heads * d;
    const x = randn(rng, n);
    const cos = randn(rng, t * d);
    const sin = randn(rng, t * d);
    for (const backward of [false, true]) {
      const want = new Float32Array(n);
      const got = new Float32Array(n).fill(NaN);
      ref.rotary(x, cos, sin, batch, t, heads, d, want, backward);
      nat.rotary(x, cos, sin, batch, t, heads, d, got, backward);
      const what = `rotary backward=${backward} [${batch},${t},${heads}x${d}]`;
      assertClose(got, want, what, 1e-5, 1e-6);
      const inPlace = copy(x);
      nat.rotary(inPlace, cos, sin, batch, t, heads, d, inPlace, backward);
      assertClose(inPlace, want, `${what} in place`, 1e-5, 1e-6);
    }
  }
  const f32 = new Float32Array(12);
  assert.throws(() => nat.rotary(f32, f32, f32, 1, 2, 2, 3, f32, false), /d \(head size\) must be even, got 3/);
  assert.throws(() => nat.rotary(f32, f32, f32, 2, 2, 2, 2, f32, false), RangeError);
});

ntest('crossEntropy forward and backward with an ignore index; RangeError on a bad target', () => {
  const rng = new Rng(14);
  for (const [rows, cols] of ROWS_COLS) {
    const logits = randn(rng, rows * cols, 3);
    logits[0] = 50;
    const targets = randInt(rng, rows, cols);
    for (let r = 1; r < rows; r += 3) targets[r] = -100;
    const lseW = new Float32Array(rows);
    const lseG = new Float32Array(rows).fill(NaN);
    const lw = ref.crossEntropy(logits, targets, rows, cols, -100, lseW);
    const lg = nat.crossEntropy(logits, targets, rows, cols, -100, lseG);
    assertNumberClose(lg, lw, `crossEntropy loss [${rows},${cols}]`);
    assertClose(lseG, lseW, `crossEntropy lse [${rows},${cols}]`);

    const gw = new Float32Array(rows * cols);
    const gg = new Float32Array(rows * cols).fill(NaN);
    ref.crossEntropyBackward(logits, targets, lseW, rows, cols, -100, 0.25, gw);
    nat.crossEntropyBackward(logits, targets, lseW, rows, cols, -100, 0.25, gg);
    assertClose(gg, gw, `crossEntropyBackward [${rows},${cols}]`, 1e-5, 1e-7);
  }
  const all = Int32Array.of(-1, -1);
  assert.equal(nat.crossEntropy(new Float32Array(6), all, 2, 3, -1, new Float32Array(2)), 0);
  assert.throws(() => nat.crossEntropy(new Float32Array(6), Int32Array.of(0, 3), 2, 3, -100, new Float32Array(2)), (e: Error) => e instanceof RangeError && /target 3 at row 1/.test(e.message));
});

// ---------------------------------------------------------------------------------------------
// dropout, sum of squares, AdamW

ntest('dropoutMask: bit-identical to the reference and to hash32', () => {
  for (const seed of [0, 1, 0xdeadbeef, 4294967295, 123456789]) {
    for (const p of [0, 0.1, 0.5, 0.9, 1]) {
      for (const n of SIZES) {
        const want = new Float32Array(n);
        const got = new Float32Array(n).fill(NaN);
        ref.dropoutMask(seed, p, want);
        nat.dropoutMask(seed, p, got);
        assert.deepEqual(got, want, `dropoutMask seed=${seed} p=${p} n=${n}`);
      }
    }
  }
  const out = new Float32Array(1000);
  nat.dropoutMask(77, 0.3, out);
  const keep = Math.fround(1 / 0.7);
  for (let i = 0; i < out.length; i++) assert.equal(out[i], hash32(77, i) / 4294967296 >= 0.3 ? keep : 0);
});

ntest('sumSquares: float64 accumulation; NaN / Inf give a non-finite result', () => {
  const rng = new Rng(15);
  for (const n of [...SIZES, 1_000_003]) {
    const x = randn(rng, n);
    assertNumberClose(nat.sumSquares(x), ref.sumSquares(x), `sumSquares n=${n}`, 1e-9);
  }
  assert.equal(nat.sumSquares(new Float32Array(0)), 0);
  const bad = new Float32Array(150_000);
  bad[140_000] = NaN;
  assert.ok(!Number.isFinite(nat.sumSquares(bad)));
  bad[140_000] = -Infinity;
  assert.ok(!Number.isFinite(nat.sumSquares(bad)));
});

ntest('adamw: several steps match the reference', () => {
  const rng = new Rng(16);
  for (const n of SIZES) {
    const p0 = randn(rng, n);
    const pW = copy(p0);
    const pG = copy(p0);
    const mW = new Float32Array(n);
    const vW = new Float32Array(n);
    const mG = new Float32Array(n);
    const vG = new Float32Array(n);
    for (let step = 1; step <= 5; step++) {
      const g = randn(rng, n, 0.1);
      ref.adamw(pW, g, mW, vW, 1e-3, 0.9, 0.999, 1e-8, 0.01, step, 0.5);
      nat.adamw(pG, g, mG, vG, 1e-3, 0.9, 0.999, 1e-8, 0.01, step, 0.5);
    }
    assertClose(pG, pW, `adamw p n=${n}`, 1e-5, 1e-7);
    assertClose(mG, mW, `adamw m n=${n}`, 1e-5, 1e-9);
    assertClose(vG, vW, `adamw v n=${n}`, 1e-5, 1e-12);
  }
});

// ---------------------------------------------------------------------------------------------
// matmul

function matmulCase(rng: Rng, g: MatmulArgs, fillC: 'nan' | 'random', what: string): void {
  const aSize = g.m * g.k;
  const bSize = g.k * g.n;
  const cSize = g.m * g.n;
  const extent = (stride: number, size: number) => (g.batch - 1) * stride + size;
  const a = randn(rng, extent(g.strideA, aSize));
  const b = randn(rng, extent(g.strideB, bSize));
  const c0 = fillC === 'nan' ? new Float32Array(extent(g.strideC, cSize)).fill(NaN) : randn(rng, extent(g.strideC, cSize));
  const want = copy(c0);
  const got = copy(c0);
  ref.matmul(a, b, want, g);
  nat.matmul(a, b, got, g);
  assertClose(got, want, `matmul ${what}`, 1e-4, 1e-4 * Math.sqrt(g.k) * (g.strideC === 0 ? g.batch : 1));
}

ntest('matmul: both transposes, beta 0 (C never read) and 1, alpha, odd sizes', () => {
  const rng = new Rng(17);
  for (const [m, n, k] of [[1, 1, 1], [3, 17, 1], [17, 3, 129], [129, 17, 3], [1, 129, 17], [33, 65, 17]] as const) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        for (const beta of [0, 1]) {
          for (const batch of [1, 3]) {
            const g: MatmulArgs = { batch, m, n, k, transA, transB, strideA: m * k, strideB: k * n, strideC: m * n, alpha: beta ? 0.5 : 1, beta };
            matmulCase(rng, g, beta ? 'random' : 'nan', `${m}x${n}x${k} tA=${transA} tB=${transB} beta=${beta} batch=${batch}`);
          }
        }
      }
    }
  }
});

ntest('matmul: broadcast operands (strideA / strideB = 0) and k = 0', () => {
  const rng = new Rng(18);
  for (const transB of [false, true]) {
    matmulCase(rng, { batch: 5, m: 17, n: 33, k: 9, transA: false, transB, strideA: 17 * 9, strideB: 0, strideC: 17 * 33, alpha: 1, beta: 0 }, 'nan', `strideB=0 tB=${transB}`);
    matmulCase(rng, { batch: 4, m: 130, n: 70, k: 64, transA: false, transB, strideA: 130 * 64, strideB: 0, strideC: 130 * 70, alpha: 1, beta: 0 }, 'nan', `strideB=0 large tB=${transB}`);
  }
  matmulCase(rng, { batch: 3, m: 17, n: 5, k: 9, transA: true, transB: false, strideA: 0, strideB: 45, strideC: 85, alpha: 1, beta: 1 }, 'random', 'strideA=0');
  matmulCase(rng, { batch: 2, m: 3, n: 4, k: 0, transA: false, transB: false, strideA: 0, strideB: 0, strideC: 12, alpha: 1, beta: 0 }, 'nan', 'k=0 beta=0');
  matmulCase(rng, { batch: 2, m: 3, n: 4, k: 0, transA: false, transB: false, strideA: 0, strideB: 0, strideC: 12, alpha: 1, beta: 1 }, 'random', 'k=0 beta=1');
});

ntest('matmul with a bias: odd sizes, beta 0 and 1, alpha, k = 0, and every threading path', () => {
  const rng = new Rng(21);
  const cases: [number, number, number, number, boolean, number][] = [
    // batch, m, n, k, transB, beta
    [1, 1, 1, 1, false, 0],
    [1, 17, 33, 9, true, 0],
    [3, 17, 33, 9, false, 1],
    [1, 2048, 96, 64, true, 0], // one product, rows split between threads
    [1, 24, 2048, 64, true, 0], // one product, columns split between threads
    [2, 300, 257, 31, true, 1], // few large items, each split
    [16, 128, 64, 32, false, 0], // over the batch
    [2, 5, 7, 0, false, 0], // k = 0: C is the bias
    [2, 5, 7, 0, false, 1],
  ];
  for (const [batch, m, n, k, transB, beta] of cases) {
    const g: MatmulArgs = { batch, m, n, k, transA: false, transB, strideA: m * k, strideB: k * n, strideC: m * n, alpha: beta ? 0.5 : 1, beta, bias: randn(rng, n) };
    matmulCase(rng, g, beta ? 'random' : 'nan', `bias ${batch}x${m}x${n}x${k} tB=${transB} beta=${beta}`);
  }
  const f32 = new Float32Array(8);
  assert.throws(() => nat.matmul(f32, f32, f32, { batch: 2, m: 1, n: 2, k: 2, transA: false, transB: false, strideA: 2, strideB: 4, strideC: 0, alpha: 1, beta: 1, bias: f32 }), /bias needs a C per batch item/);
  assert.throws(() => nat.matmul(f32, f32, f32, { batch: 1, m: 1, n: 4, k: 2, transA: false, transB: false, strideA: 0, strideB: 0, strideC: 0, alpha: 1, beta: 0, bias: new Float32Array(3) }), RangeError);
});

ntest('matmul: summing a batch into one C (strideC = 0, beta = 1)', () => {
  const rng = new Rng(19);
  for (const [transA, transB] of [[true, false], [false, false], [false, true], [true, true]] as const) {
    for (const [m, n, k, batch] of [[17, 9, 5, 3], [96, 128, 64, 8]] as const) {
      matmulCase(rng, { batch, m, n, k, transA, transB, strideA: m * k, strideB: k * n, strideC: 0, alpha: 1, beta: 1 }, 'random', `strideC=0 ${m}x${n}x${k}x${batch} tA=${transA} tB=${transB}`);
    }
  }
});

ntest('matmul: multi-threaded paths (attention batch, few large items, one large product)', () => {
  const rng = new Rng(20);
  // Attention-shaped batch (OpenMP over the batch), Q K^T and P V.
  matmulCase(rng, { batch: 16, m: 128, n: 128, k: 64, transA: false, transB: true, strideA: 128 * 64, strideB: 128 * 64, strideC: 128 * 128, alpha: 0.125, beta: 0 }, 'nan', 'attention QK^T');
  matmulCase(rng, { batch: 16, m: 128, n: 64, k: 128, transA: false, transB: false, strideA: 128 * 128, strideB: 128 * 64, strideC: 128 * 64, alpha: 1, beta: 0 }, 'nan', 'attention PV');
  // An odd batch of large items (each item split between threads), rows and columns.
  matmulCase(rng, { batch: 3, m: 200, n: 150, k: 129, transA: true, transB: false, strideA: 200 * 129, strideB: 129 * 150, strideC: 200 * 150, alpha: 1, beta: 1 }, 'random', 'batch 3 split rows');
  matmulCase(rng, { batch: 1, m: 33, n: 700, k: 257, transA: false, transB: true, strideA: 33 * 257, strideB: 700 * 257, strideC: 33 * 700, alpha: 1, beta: 0 }, 'nan', 'split columns');
  matmulCase(rng, { batch: 1, m: 301, n: 257, k: 129, transA: true, transB: true, strideA: 0, strideB: 0, strideC: 0, alpha: 2, beta: 0 }, 'nan', 'one large product');
});

ntest('matmul: matrix-vector shapes, long k and products larger than the sgemm cache blocks', () => {
  const rng = new Rng(21);
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      const cases = [[1, 300, 257], [300, 1, 257], [1, 1, 1000], [7, 5, 3001], [520, 530, 1030]] as const;
      for (const [m, n, k] of cases) {
        const g: MatmulArgs = { batch: 1, m, n, k, transA, transB, strideA: 0, strideB: 0, strideC: 0, alpha: 1, beta: 0 };
        matmulCase(rng, g, 'nan', `${m}x${n}x${k} tA=${transA} tB=${transB}`);
      }
    }
  }
});

// ---------------------------------------------------------------------------------------------
// argument checking

ntest('Float64Array arguments throw a TypeError naming the kernel and argument', () => {
  const f64 = new Float64Array(4);
  const f32 = new Float32Array(4);
  const isF64Error = (e: Error) => e instanceof TypeError && /Float64Array/.test(e.message) && /float32-only/.test(e.message);
  assert.throws(() => nat.fill(f64, 1), isF64Error);
  assert.throws(() => nat.unary(UnaryOp.Exp, f64, f32, 0), isF64Error);
  assert.throws(() => nat.unary(UnaryOp.Exp, f32, f64, 0), isF64Error);
  assert.throws(() => nat.matmul(f64, f32, f32, { batch: 1, m: 2, n: 2, k: 2, transA: false, transB: false, strideA: 4, strideB: 4, strideC: 4, alpha: 1, beta: 0 }), isF64Error);
  assert.throws(() => nat.binary(BinaryOp.Add, f32, Int32Array.of(1), f64, Int32Array.of(1), f32, Int32Array.of(4)), isF64Error);
  assert.throws(() => nat.softmax(f64, 2, 2, f64, false), isF64Error);
  assert.throws(() => nat.sumSquares(f64), isF64Error);
  assert.throws(() => nat.adamw(f64, f64, f64, f64, 1, 0.9, 0.99, 1e-8, 0, 1, 1), isF64Error);
  assert.throws(() => nat.copyStrided(f64, { offset: 0, strides: Int32Array.of(1) }, f64, { offset: 0, strides: Int32Array.of(1) }, Int32Array.of(4), false), isF64Error);
});

ntest('sizes beyond an array throw a RangeError instead of reading out of bounds', () => {
  const f32 = new Float32Array(4);
  assert.throws(() => nat.matmul(f32, f32, f32, { batch: 2, m: 2, n: 2, k: 2, transA: false, transB: false, strideA: 4, strideB: 4, strideC: 4, alpha: 1, beta: 0 }), RangeError);
  assert.throws(() => nat.binary(BinaryOp.Add, f32, Int32Array.of(2), f32, Int32Array.of(1), f32, Int32Array.of(4)), RangeError);
  assert.throws(() => nat.copyStrided(f32, { offset: 1, strides: Int32Array.of(1) }, f32, { offset: 0, strides: Int32Array.of(1) }, Int32Array.of(4), false), RangeError);
  assert.throws(() => nat.layerNorm(f32, f32, f32, 2, 4, 1e-5, f32, f32, f32), RangeError);
  const dims = { batch: 1, heads: 1, kvHeads: 1, tq: 2, tk: 2, d: 2, scale: 1, causal: true };
  const rows = { offset: 0, rowStride: 2 };
  assert.throws(() => nat.attention(f32, rows, f32, rows, f32, rows, Int32Array.of(1), f32, f32, dims), RangeError);
  assert.throws(() => nat.attention(f32, { offset: 1, rowStride: 2 }, f32, rows, f32, rows, null, f32, f32, dims), RangeError);
  assert.throws(() => nat.attention(f32, { offset: 0, rowStride: 1 }, f32, rows, f32, rows, null, f32, f32, dims), /qRowStride 1 is less than heads x head size \(2\)/);
  const grouped = { ...dims, heads: 4, kvHeads: 2, d: 1 }; // q rows 4 wide, k and v rows 2
  assert.throws(() => nat.attention(f32, rows, f32, rows, f32, rows, null, new Float32Array(16), new Float32Array(8), grouped), /qRowStride 2 is less than heads x head size \(4\)/);
  assert.throws(() => nat.attention(new Float32Array(8), { offset: 0, rowStride: 4 }, f32, { offset: 0, rowStride: 1 }, f32, rows, null, new Float32Array(16), new Float32Array(8), grouped), /kRowStride 1 is less than heads x head size \(2\)/);
  assert.throws(() => nat.attention(f32, rows, f32, rows, f32, rows, null, f32, f32, { ...grouped, kvHeads: 3 }), /kvHeads 3 does not divide heads \(4\)/);
  assert.throws(() => nat.attentionBackward(f32, rows, f32, rows, f32, rows, f32, f32, f32, f32, f32, { ...dims, kvHeads: 0 }), /kvHeads 0 does not divide heads \(1\)/);
  assert.throws(() => nat.rmsNorm(f32, f32, 2, 4, 1e-6, f32, f32), RangeError);
});

// ---------------------------------------------------------------------------------------------
// storage

ntest('allocate: large buffers (own mappings) are zeroed, exactly sized and serve the kernels; small ones too', () => {
  const rng = new Rng(41);
  for (const bytes of [64, (2 << 20) - 4, 2 << 20, (6 << 20) + 4 * 4099]) {
    const buf = nat.allocate(bytes);
    assert.ok(buf instanceof ArrayBuffer);
    assert.equal(buf.byteLength, bytes);
    const a = new Float32Array(buf);
    assert.ok(a.every((v) => v === 0), `${bytes} bytes zeroed`);
    a[a.length - 1] = 1.5; // the last element is writable
    assert.equal(a[a.length - 1], 1.5);
  }
  // A product whose operands and result live in mapped buffers equals the reference's.
  const [m, n, k] = [1031, 517, 1029];
  const mapped = (len: number) => new Float32Array(nat.allocate(4 * len));
  const a = mapped(m * k);
  const b = mapped(k * n);
  a.set(randn(rng, m * k));
  b.set(randn(rng, k * n));
  const args: MatmulArgs = { batch: 1, m, n, k, transA: false, transB: false, strideA: 0, strideB: 0, strideC: 0, alpha: 1, beta: 0 };
  const c = mapped(m * n);
  const want = new Float32Array(m * n);
  nat.matmul(a, b, c, args);
  ref.matmul(a, b, want, args);
  for (let i = 0; i < want.length; i += 97) assert.ok(Math.abs(c[i]! - want[i]!) <= 1e-3 * (1 + Math.abs(want[i]!)), `c[${i}]`);
});

test('the machine peak: the vector width the kernels use and a positive FMA rate (benchmarks print rates as its share)', { skip }, () => {
  const peak = nativePeak(2_000_000)!;
  assert.ok([128, 256, 512].includes(peak.vectorBits), `vector bits ${peak.vectorBits}`);
  if (peak.vectorBits >= 256) assert.ok(peak.gflopsPerCore > 1, `peak ${peak.gflopsPerCore} GFLOP/s`);
  // At a narrower width (how bench/machine.ts reads a oneDNN ISA cap): that width, and a rate of
  // its own (at 256 bits no more than ~1.2x the widest rate; 0 where the CPU lacks the width).
  const narrow = nativePeak(2_000_000, 256)!;
  assert.equal(narrow.vectorBits, 256);
  if (peak.vectorBits >= 256) assert.ok(narrow.gflopsPerCore > 1 && narrow.gflopsPerCore < 1.2 * peak.gflopsPerCore, `256-bit peak ${narrow.gflopsPerCore} against ${peak.gflopsPerCore} GFLOP/s`);
  assert.equal(nativePeak(1000, 384)!.gflopsPerCore, 0, 'a width the addon does not measure');
});
