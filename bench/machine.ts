// What every benchmark line says about the machine it ran on (issue 23: figures that mean the
// same on any machine): the CPU model, whether it has AVX-512, the vector width the kernels use,
// one core's measured fp32 FMA peak at that width (the addon's peak.cc; 0 without the addon), the
// peak of the threads the kernels run on, and whether malloc was asked for huge pages
// (GLIBC_TUNABLES glibc.malloc.hugetlb=1, as the `ligo` command and bench/malloc-env.sh set it).
// `shareOfPeak(gflops)` is a rate as a fraction of that peak. When oneDNN's products are held to
// narrower vectors (ONEDNN_MAX_CPU_ISA or DNNL_MAX_CPU_ISA, e.g. AVX2: how an AVX2 machine is
// measured on an AVX-512 one), the width and the peak are the products' (`isaCap` names the
// setting; the project's own kernels, about a fifth of a step, keep their widest vectors).
// `addon` says whether the native addon is built from the sources beside it ('current'); a
// 'stale' one runs the kernels of its last build, so every line would measure old code (loading
// it also says so on stderr: src/tensor/native.ts).

import fs from 'node:fs';
import os from 'node:os';
import { nativePeak, nativeThreads } from '../src/tensor/native.ts';
import { addonState, type AddonState } from '../native/up-to-date.mjs';

export interface Machine {
  cpu: string;
  avx512: boolean;
  vectorBits: number;
  threads: number;
  peakGflopsPerCore: number;
  peakGflops: number;
  isaCap: string | null;
  mallocHugePages: boolean;
  addon: AddonState;
}

let measured: Machine | null = null;

/** The vector bits oneDNN's ISA cap leaves its products (null: no cap, or one no narrower than AVX-512). */
function capBits(cap: string | null): number | null {
  if (!cap || /^(ALL|DEFAULT|AVX512|AVX10)/i.test(cap)) return null;
  return /^AVX/i.test(cap) ? 256 : 128;
}

export function machine(): Machine {
  if (measured) return measured;
  const flags = fs.existsSync('/proc/cpuinfo') ? fs.readFileSync('/proc/cpuinfo', 'utf8') : '';
  const isaCap = process.env.ONEDNN_MAX_CPU_ISA ?? process.env.DNNL_MAX_CPU_ISA ?? null;
  const peak = nativePeak(undefined, capBits(isaCap) ?? undefined);
  const threads = nativeThreads() ?? 1;
  const perCore = +(peak?.gflopsPerCore ?? 0).toFixed(1);
  measured = { cpu: os.cpus()[0]?.model.trim() ?? 'unknown', avx512: /\bavx512f\b/.test(flags), vectorBits: peak?.vectorBits ?? 0, threads, peakGflopsPerCore: perCore, peakGflops: +(perCore * Math.min(threads, os.availableParallelism())).toFixed(1), isaCap, mallocHugePages: /(^|:)glibc\.malloc\.hugetlb=[12]/.test(process.env.GLIBC_TUNABLES ?? ''), addon: addonState() };
  return measured;
}

/** A rate as a share of the machine's peak (null when the peak is unknown). */
export function shareOfPeak(gflops: number): number | null {
  const p = machine().peakGflops;
  return p > 0 ? +(gflops / p).toFixed(3) : null;
}
