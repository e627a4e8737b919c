// Reverse-mode automatic differentiation over the graph that ops record on their outputs.
// An op records a GradNode only when one of its inputs needs a gradient (a leaf marked by
// valueAndGrad, or the output of a recorded op), so frozen inputs (a small model's weights
// while a growth operator learns) cost nothing in the backward pass.

import { Tensor, empty, full, markSaved, releaseEarly, tidy, zeros, type GradNode, type TensorData } from './tensor.ts';
import { getBackend } from './device.ts';
import { BinaryOp } from './backend.ts';

let recording = true;

/** Whether gradients flow through t (it is a marked leaf or computed from one). */
export function needsGrad(t: Tensor): boolean {
  return t.requiresGrad || t.node !== null;
}

/**
 * Attaches a backward rule to `out` when recording is on and any input needs a gradient. `saves`
 * names the tensors whose values the rule reads (default: every input and the output), so that
 * `dispose` may release the others during the forward pass.
 */
export function record(out: Tensor, op: string, inputs: Tensor[], backward: GradNode['backward'], saves?: Tensor[]): Tensor {
  if (recording && inputs.some(needsGrad)) {
    out.node = { op, inputs, backward };
    for (const t of saves ?? [...inputs, out]) markSaved(t);
  }
  return out;
}

/** Runs fn without recording gradients (used by backward rules and by inference). */
export function noGrad<T>(fn: () => T): T {
  const prev = recording;
  recording = false;
  try {
    return fn();
  } finally {
    recording = prev;
  }
}

/** Nodes reachable from root, inputs before outputs (iterative, so deep graphs are fine). */
function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: [Tensor, number][] = [[root, 0]];
  seen.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const [t, i] = top;
    const inputs = t.node ? t.node.inputs : [];
    if (i < inputs.length) {
      top[1] = i + 1;
      const inp = inputs[i]!;
      if (!seen.has(inp) && needsGrad(inp)) {
        seen.add(inp);
        stack.push([inp, 0]);
      }
    } else {
      stack.pop();
      order.push(t);
    }
  }
  return order;
}

/**
 * Gradients of a scalar `loss` with respect to each tensor in `wrt` (zeros where loss does not
 * depend on it). Must run inside the same tidy scope as the forward pass that built `loss`.
 * With `releaseForward`, each intermediate's buffer goes back to the pool once its own rule has
 * run (every rule that reads it has, by then): the caller promises to read no intermediate
 * afterwards, only `loss`.
 */
export function backward(loss: Tensor, wrt: Tensor[], opts: { releaseForward?: boolean } = {}): Tensor[] {
  if (loss.size !== 1) throw new Error(`backward: loss must be a scalar, got shape [${loss.shape.join(', ')}]`);
  const be = getBackend();
  const grads = new Map<Tensor, Tensor>();
  const owned = new Set<Tensor>(); // gradient buffers we created by accumulation, safe to add into
  // How many pending gradients read each buffer (pass-through rules and views share them), so a
  // consumed gradient goes back to the pool as soon as nothing else reads it.
  const readers = new Map<TensorData, number>();
  const keepGrad = new Set(wrt);
  const setGrad = (t: Tensor, g: Tensor) => {
    const prev = grads.get(t);
    if (prev) readers.set(prev.data, readers.get(prev.data)! - 1);
    grads.set(t, g);
    readers.set(g.data, (readers.get(g.data) ?? 0) + 1);
  };
  setGrad(loss, full(loss.shape, 1, loss.dtype));
  noGrad(() => {
    const order = topoOrder(loss);
    for (let n = order.length - 1; n >= 0; n--) {
      const t = order[n]!;
      const gy = grads.get(t);
      if (!t.node || !gy) continue;
      const gs = t.node.backward(gy);
      t.node.inputs.forEach((inp, k) => {
        const g = gs[k];
        if (!g || !needsGrad(inp)) return;
        if (g.shape.length !== inp.shape.length || g.shape.some((d, j) => d !== inp.shape[j])) {
          throw new Error(`backward: ${t.node!.op} produced a gradient of shape [${g.shape.join(', ')}] for an input of shape [${inp.shape.join(', ')}]`);
        }
        const prev = grads.get(inp);
        if (!prev) {
          setGrad(inp, g);
        } else {
          // Accumulate: in place into a buffer we own, else into a fresh one that we then own.
          const sum = owned.has(prev) ? prev : empty(prev.shape, prev.dtype);
          const one = Int32Array.of(1);
          be.binary(BinaryOp.Add, prev.f, one, g.f, one, sum.f, Int32Array.of(prev.size));
          owned.add(sum);
          setGrad(inp, sum);
          if (sum !== prev && readers.get(prev.data) === 0) releaseEarly(prev);
        }
        if (readers.get(g.data) === 0) releaseEarly(g);
      });
      if (!keepGrad.has(t)) {
        grads.delete(t);
        const left = readers.get(gy.data)! - 1;
        readers.set(gy.data, left);
        if (left === 0) releaseEarly(gy);
        if (opts.releaseForward && t !== loss && !readers.get(t.data)) releaseEarly(t);
      }
    }
  });
  return wrt.map((w) => grads.get(w) ?? zeros(w.shape, w.dtype));
}

/**
 * The value of a scalar function and its gradient with respect to `wrt` (any subset of the
 * tensors it reads; the rest are treated as constants). Intermediates are released during the
 * backward pass, as soon as nothing reads them: f must return the loss and nothing it computed
 * may be read after valueAndGrad returns (as with any tidy scope).
 */
export function valueAndGrad(f: () => Tensor, wrt: Tensor[]): { loss: Tensor; grads: Tensor[] } {
  const prev = wrt.map((w) => w.requiresGrad);
  for (const w of wrt) w.requiresGrad = true;
  try {
    return tidy(() => {
      const loss = f();
      const grads = backward(loss, wrt, { releaseForward: true });
      loss.node = null;
      return { loss, grads };
    });
  } finally {
    wrt.forEach((w, i) => (w.requiresGrad = prev[i]!));
  }
}
