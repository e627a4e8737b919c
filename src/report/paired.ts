// Paired comparisons over seeds (docs/growth.md#seeds). With one validation set for the whole
// experiment, two methods' runs of the same seed differ only in the method: the same small model,
// data order and validation targets. The per-seed difference a - b is then the measurement, and
// the question is whether its mean is away from zero: the mean with a 95% Student-t interval
// (n - 1 degrees of freedom) and the sign count ("a better in 9 of 10 seeds"). A method is ahead
// when the interval excludes zero on its side; with fewer than two differences there is no
// interval and no verdict.

export interface PairedDifference {
  /** a - b per seed, over the seeds where both have the number, in seed order. */
  diffs: number[];
  mean: number | null;
  /** The 95% paired-t interval of the mean; null with fewer than two differences. */
  low: number | null;
  high: number | null;
  /** Seeds where a is better than b, and seeds compared (a seed where only one reached the target counts for the one that did). */
  aBetter: number;
  compared: number;
  /** 'ahead': a better with the interval clear of zero; 'behind': b better so; 'within': the interval holds zero; null: fewer than two differences. */
  verdict: 'ahead' | 'behind' | 'within' | null;
}

/** ln Γ(x) (Lanczos, g = 7), for x > 0. */
function lnGamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  x -= 1;
  let a = c[0]!;
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** The regularized incomplete beta I_x(a, b), by its continued fraction (Lentz). */
function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  if (x > (a + 1) / (a + b + 2)) return 1 - incompleteBeta(1 - x, b, a);
  const front = Math.exp(a * Math.log(x) + b * Math.log(1 - x) - (lnGamma(a) + lnGamma(b) - lnGamma(a + b))) / a;
  const tiny = 1e-300;
  let f = 1;
  let c = 1;
  let d = 0;
  for (let i = 0; i <= 400; i++) {
    const m = Math.floor(i / 2);
    const num = i === 0 ? 1 : i % 2 === 0 ? (m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m)) : -((a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1));
    d = 1 + num * d;
    d = Math.abs(d) < tiny ? tiny : d;
    d = 1 / d;
    c = 1 + num / c;
    c = Math.abs(c) < tiny ? tiny : c;
    const cd = c * d;
    f *= cd;
    if (Math.abs(1 - cd) < 1e-14) break;
  }
  return front * (f - 1);
}

/** P(T <= t) for Student's t with df degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The t with P(T <= t) = p (0 < p < 1), by bisection on the CDF. */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1) || !(df > 0)) throw new RangeError(`studentTQuantile: p must be in (0, 1) and df > 0, got p ${p}, df ${df}`);
  let lo = -1e3;
  let hi = 1e3;
  for (let i = 0; i < 200 && hi - lo > 1e-12; i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * The paired difference of a and b over seeds: values in seed order, null where the seed has no
 * number (a missed target); `higherIsBetter` for savings, false for losses.
 */
export function pairedDifference(a: readonly (number | null)[], b: readonly (number | null)[], higherIsBetter: boolean): PairedDifference {
  if (a.length !== b.length) throw new Error(`pairedDifference: ${a.length} seeds against ${b.length}`);
  const diffs: number[] = [];
  let aBetter = 0;
  let compared = 0;
  a.forEach((x, i) => {
    const y = b[i]!;
    if (x === null && y === null) return;
    compared++;
    if (x !== null && y !== null) {
      diffs.push(x - y);
      if (higherIsBetter ? x > y : x < y) aBetter++;
    } else if (x !== null) aBetter++;
  });
  const n = diffs.length;
  if (n === 0) return { diffs, mean: null, low: null, high: null, aBetter, compared, verdict: null };
  const mean = diffs.reduce((s, d) => s + d, 0) / n;
  if (n < 2) return { diffs, mean, low: null, high: null, aBetter, compared, verdict: null };
  const sd = Math.sqrt(diffs.reduce((s, d) => s + (d - mean) ** 2, 0) / (n - 1));
  const half = studentTQuantile(0.975, n - 1) * (sd / Math.sqrt(n));
  const [low, high] = [mean - half, mean + half];
  const good = (v: number) => (higherIsBetter ? v > 0 : v < 0);
  const verdict = low > 0 || high < 0 ? (good(mean) ? 'ahead' : 'behind') : 'within';
  return { diffs, mean, low, high, aBetter, compared, verdict };
}
