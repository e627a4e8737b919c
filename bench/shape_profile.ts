// `SIZE=gpt2-seeded node --import tsx bench/shape_profile.ts`: where a model step's products go,
// by shape, and what its attention kernels (forward and backward) run at. Runs bench/model_step.ts's
// step (model-sizes.ts modelStep: same SIZE choices) with every backend matmul timed and grouped
// by (batch, m, n, k, transA, transB, beta, bias), then prints per shape: calls per step, seconds
// per step, GFLOP/s and that rate as a share of the machine's measured FMA peak, and minor page
// faults per call (the heap growing under oneDNN's per-call packing buffer: BENCHMARKS.md "The
// slow-run mode"), largest total first. Each shape is then re-run alone on fresh operands
// (`alone`: the same call in a tight loop, operands in cache) to show what the library does with
// it outside the step; the attention kernels likewise. For finding what falls short of the peak;
// not a timed test.
import * as T from '../src/tensor/index.ts';
import { getBackend, useBackend, type AttentionDims, type Backend, type MatmulArgs } from '../src/tensor/index.ts';
import { machine } from './machine.ts';
import { modelStep } from './model-sizes.ts';
import { median } from './timing.ts';

const size = process.env.SIZE ?? 'gpt2-seeded';
const steps = Number(process.env.STEPS ?? 5);
const { step } = modelStep(size);

const inner = getBackend();
const byShape = new Map<string, { args: MatmulArgs; calls: number; seconds: number; faults: number }>();
const keyOf = (a: MatmulArgs) => `${a.batch}x[${a.m},${a.n},${a.k}] ${a.transA ? 'T' : 'N'}${a.transB ? 'T' : 'N'} beta${a.beta}${a.bias ? ' +bias' : ''}${a.strideC === 0 && a.batch > 1 ? ' sumC' : ''}`;
const attention = new Map<string, { dims: AttentionDims; calls: number; seconds: number }>();
const timed: Backend = new Proxy(inner, {
  get(target, prop, receiver) {
    const value = Reflect.get(target, prop, receiver);
    if (prop === 'attention' || prop === 'attentionBackward')
      return (...args: unknown[]) => {
        const dims = args[args.length - 1] as AttentionDims;
        const t0 = performance.now();
        (value as (...a: unknown[]) => void).apply(target, args);
        const e = attention.get(prop) ?? { dims, calls: 0, seconds: 0 };
        e.calls++;
        e.seconds += (performance.now() - t0) / 1000;
        attention.set(prop, e);
      };
    if (prop !== 'matmul') return typeof value === 'function' ? value.bind(target) : value;
    return (a: T.FloatArray, b: T.FloatArray, c: T.FloatArray, args: MatmulArgs) => {
      const f0 = process.resourceUsage().minorPageFault;
      const t0 = performance.now();
      inner.matmul(a, b, c, args);
      const t1 = performance.now();
      const e = byShape.get(keyOf(args)) ?? { args: { ...args, bias: args.bias ? new Float32Array(args.n) : null }, calls: 0, seconds: 0, faults: 0 };
      e.calls++;
      e.seconds += (t1 - t0) / 1000;
      e.faults += process.resourceUsage().minorPageFault - f0;
      byShape.set(keyOf(args), e);
    };
  },
});
for (let i = 0; i < 2; i++) step();
useBackend(timed);
for (let i = 0; i < steps; i++) step();
useBackend(inner);

const peak = machine().peakGflops;
const flopsOf = (a: MatmulArgs) => 2 * a.batch * a.m * a.n * a.k;
/** The same call alone, operands fresh and warm in cache: the median of 7 after 2 warmups. */
function alone(a: MatmulArgs): number {
  const lenA = (a.strideA || a.m * a.k) * (a.strideA ? a.batch : 1), lenB = (a.strideB || a.k * a.n) * (a.strideB ? a.batch : 1), lenC = (a.strideC || a.m * a.n) * (a.strideC ? a.batch : 1);
  const [x, y, z] = [new Float32Array(lenA).fill(0.5), new Float32Array(lenB).fill(0.25), new Float32Array(lenC)];
  const times: number[] = [];
  for (let i = 0; i < 9; i++) {
    const t0 = performance.now();
    inner.matmul(x, y, z, a);
    if (i >= 2) times.push((performance.now() - t0) / 1000);
  }
  return median(times);
}
const rows = [...byShape.values()].sort((p, q) => q.seconds - p.seconds);
const total = rows.reduce((s, r) => s + r.seconds, 0) / steps;
console.log(`${size} on ${machine().cpu} (${machine().threads} threads, peak ${peak} GFLOP/s): products ${total.toFixed(4)} s/step over ${rows.reduce((s, r) => s + r.calls, 0) / steps} calls`);
console.log('shape (batch x [m,n,k] op) | calls/step | s/step | GFLOP/s in step | share of peak | page faults/call | GFLOP/s alone | share');
for (const r of rows) {
  const perCall = r.seconds / r.calls;
  const rate = flopsOf(r.args) / perCall / 1e9;
  const solo = flopsOf(r.args) / alone(r.args) / 1e9;
  if (process.env.ARGS) console.log(JSON.stringify({ ...r.args, bias: !!r.args.bias }));
  console.log(`${keyOf(r.args)} | ${r.calls / steps} | ${(r.seconds / steps).toFixed(4)} | ${rate.toFixed(1)} | ${(rate / peak).toFixed(2)} | ${Math.round(r.faults / r.calls)} | ${solo.toFixed(1)} | ${(solo / peak).toFixed(2)}`);
}

/** Attention's FLOPs as its products count them (QK^T and PV forward, four products backward; causal masks not subtracted). */
const attentionFlops = (d: AttentionDims, backward: boolean) => (backward ? 8 : 4) * d.batch * d.heads * d.tq * d.tk * d.d;
/** Forward then backward alone on fresh operands (q, k and v side by side in one row, as a fused projection writes them): the median of 7 after 2 warmups, each. */
function attentionAlone(d: AttentionDims): [number, number] {
  const row = (d.heads + 2 * d.kvHeads) * d.d;
  const qkv = new Float32Array(d.batch * d.tq * row).map((_, i) => Math.sin(i)), g = new Float32Array(qkv.length);
  const p = new Float32Array(d.batch * d.heads * d.tq * d.tk), out = new Float32Array(d.batch * d.tq * d.heads * d.d).fill(0.5);
  const views = [{ offset: 0, rowStride: row }, { offset: d.heads * d.d, rowStride: row }, { offset: (d.heads + d.kvHeads) * d.d, rowStride: row }] as const;
  const [fwd, bwd]: number[][] = [[], []];
  for (let i = 0; i < 9; i++) {
    const t0 = performance.now();
    inner.attention(qkv, views[0], qkv, views[1], qkv, views[2], null, p, out, d);
    const t1 = performance.now();
    inner.attentionBackward(qkv, views[0], qkv, views[1], qkv, views[2], p, out, g, g, g, d);
    if (i >= 2) fwd.push((t1 - t0) / 1000), bwd.push((performance.now() - t1) / 1000);
  }
  return [median(fwd), median(bwd)];
}
/** attentionAlone once per dims (the forward and backward entries share theirs). */
const aloneByDims = new Map<string, [number, number]>();
function aloneOf(d: AttentionDims): [number, number] {
  const key = JSON.stringify(d);
  if (!aloneByDims.has(key)) aloneByDims.set(key, attentionAlone(d));
  return aloneByDims.get(key)!;
}
console.log('attention (batch x heads/kvHeads x [tq,tk] x d) | calls/step | s/step | GFLOP/s in step | share of peak | GFLOP/s alone | share');
for (const [name, e] of attention) {
  const backward = name === 'attentionBackward', d = e.dims;
  const rate = attentionFlops(d, backward) / (e.seconds / e.calls) / 1e9;
  const solo = attentionFlops(d, backward) / aloneOf(d)[backward ? 1 : 0] / 1e9;
  console.log(`${name} ${d.batch}x${d.heads}/${d.kvHeads}x[${d.tq},${d.tk}]x${d.d}${d.causal ? ' causal' : ''} | ${e.calls / steps} | ${(e.seconds / steps).toFixed(4)} | ${rate.toFixed(1)} | ${(rate / peak).toFixed(2)} | ${solo.toFixed(1)} | ${(solo / peak).toFixed(2)}`);
}
