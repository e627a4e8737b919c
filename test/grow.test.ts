// The fixed growth operators (src/grow): the parameter specs give every key of every preset its
// axis roles, consistent with the config's sizes; the options each method lists are its real
// defaults; function preservation within 1e-4 relative for every operator that claims it, on
// BERT (post-LN), GPT-2 and ViT (pre-LN), width-only and width+depth where claimed; the stacking /
// interpolation / insertion index rules; purity and seeding; refusals with their messages;
// optimizer-state growth numbers; grouped-query Llamas under the head-copying width operators.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, Tensor, tensor } from '../src/tensor/index.ts';
import { axisRoles, dims, layerKey, modelFor, preset, presetNames, sequenceClassificationConfig, specEntries, withDims, type AxisRole, type Batch, type BertConfig, type LlamaConfig, type ModelConfig, type Qwen2Config } from '../src/models/index.ts';
import { GrowError, checkGrowable, expandAxis, gatherMap, getMethod, growAdamState, headPlan, methodNames, paramRoleMap, paramRoles, type GrowMethod, type GrowResult } from '../src/grow/index.ts';
import { insertionSources, interpolateSources, stackSources } from '../src/grow/depth.ts';
import { upscaleSources } from '../src/grow/solar.ts';

// ---- tiny models ---------------------------------------------------------------------------

const SMALL = { layers: 2, hidden: 32, heads: 2, ffn: 64 };

/**
 * llama: one key/value head per query head; llama-gqa: two query heads per key/value head (more
 * layouts: gqa below); qwen2: two query heads per key/value head, q/k/v biases.
 */
function tiny(family: 'bert' | 'roberta' | 'gpt2' | 'vit' | 'deit' | 'llama' | 'llama-gqa' | 'qwen2'): ModelConfig {
  if (family === 'llama' || family === 'llama-gqa' || family === 'qwen2') {
    const kv = family === 'llama' ? 4 : 2;
    return withDims(preset(family === 'qwen2' ? 'qwen2-tiny' : 'llama-tiny', { vocab_size: 40, max_position_embeddings: 16, num_key_value_heads: kv, bos_token_id: 39, eos_token_id: 39 }), SMALL);
  }
  const c =
    family === 'gpt2'
      ? preset('gpt2-tiny', { vocab_size: 40, n_positions: 16, resid_pdrop: 0, embd_pdrop: 0, attn_pdrop: 0, bos_token_id: 39, eos_token_id: 39 })
      : family === 'vit' || family === 'deit'
        ? preset(family === 'vit' ? 'vit-tiny' : 'deit-tiny-distilled', { image_size: 8, patch_size: 4, num_labels: 5, hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 })
        : preset(`${family}-tiny`, { vocab_size: 40, max_position_embeddings: 20, hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 });
  return withDims(c, SMALL);
}

const grown = (c: ModelConfig, d: Partial<typeof SMALL>) => withDims(c, d);

/** HF init plus noise everywhere (LayerNorm gains and biases too), so no symmetry hides a bug. */
function trainedLike(config: ModelConfig, seed = 1): Map<string, Tensor> {
  const model = modelFor(config);
  const rng = new Rng(seed + 100);
  return new Map(model.flatten(model.initParams(config, seed)).map(([k, t]) => [k, tensor(Array.from(t.f, (x) => x + 0.1 * rng.normal()), t.shape)]));
}

function batchFor(config: ModelConfig): Batch {
  const rng = new Rng(5);
  if (config.model_type === 'vit' || config.model_type === 'deit') {
    const shape = [2, config.num_channels, config.image_size, config.image_size];
    return { pixelValues: tensor(Array.from({ length: 2 * 3 * 64 }, () => rng.normal()), shape) };
  }
  const ids = tensor(Array.from({ length: 16 }, () => rng.int(40)), [2, 8], 'int32');
  const types = config.model_type === 'bert' ? tensor(Array.from({ length: 16 }, () => rng.int(2)), [2, 8], 'int32') : null;
  return { inputIds: ids, tokenTypeIds: types };
}

function logits(params: Map<string, Tensor>, config: ModelConfig): Float32Array {
  const model = modelFor(config);
  return Float32Array.from(model.forward(model.paramsFromFlat(config, params).params, config, batchFor(config)).f);
}

/** max |a - b| / max |b|. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / scale;
}

function grow(name: string, small: ModelConfig, large: ModelConfig, seed = 3, options?: Record<string, unknown>, params = trainedLike(small)): GrowResult {
  return getMethod(name).grow(params, small, large, { seed, ...(options ? { options } : {}) });
}

function assertPreserves(name: string, small: ModelConfig, large: ModelConfig, result?: GrowResult): void {
  const params = trainedLike(small);
  const r = result ?? grow(name, small, large, 3, undefined, params);
  const err = relErr(logits(r.params, large), logits(params, small));
  assert.ok(err <= 1e-4, `${name} ${small.model_type} ${JSON.stringify(dims(small))} -> ${JSON.stringify(dims(large))}: relative error ${err.toExponential(2)}`);
}

const families = ['bert', 'gpt2', 'vit', 'llama', 'qwen2'] as const;
/** The Llama-style decoders (isLlamaFamily): RMSNorm, rotary heads of a fixed size. */
const llamaLike = (f: string) => f === 'llama' || f === 'qwen2';

// ---- structure -----------------------------------------------------------------------------

test('paramRoles covers every flattened key, one role and side per axis', () => {
  for (const f of ['bert', 'roberta', 'gpt2', 'vit', 'deit'] as const) {
    const c = tiny(f);
    const keys = modelFor(c).flatten(modelFor(c).initParams(c, 0));
    const roles = paramRoles(c);
    assert.deepEqual(roles.map((r) => r.key), keys.map(([k]) => k));
    roles.forEach((r, i) => {
      assert.deepEqual(r.shape, [...keys[i]![1].shape], r.key);
      assert.equal(r.axes.length, r.shape.length);
      assert.equal(r.sides.length, r.shape.length);
    });
  }
  const bert = paramRoleMap(tiny('bert'));
  assert.deepEqual(bert.get('bert.encoder.layer.1.attention.self.query.weight'), { key: 'bert.encoder.layer.1.attention.self.query.weight', layer: 1, module: 'attention.self.query.weight', kind: 'weight', axes: ['q', 'hidden'], sides: ['out', 'in'], shape: [32, 32] });
  const gpt2 = paramRoleMap(tiny('gpt2'));
  assert.deepEqual(gpt2.get('transformer.h.0.attn.c_attn.weight')!.axes, ['hidden', 'qkv']);
  const vit = paramRoleMap(tiny('vit'));
  assert.deepEqual(vit.get('vit.embeddings.patch_embeddings.projection.weight')!.axes, ['hidden', 'fixed', 'fixed', 'fixed']);
  assert.deepEqual(vit.get('vit.embeddings.cls_token')!.axes, ['fixed', 'fixed', 'hidden']);
});

test('spec entries: the layer stack of every preset gives every layer key its layer and module (layerKey), the same modules in every layer', () => {
  for (const name of presetNames) {
    const c = preset(name);
    const entries = specEntries(modelFor(c).paramSpec(c));
    const modules = (l: number) => entries.filter((e) => e.layer === l).map((e) => e.module);
    assert.ok(modules(0).length > 0, `${name}: layer 0 has parameters`);
    for (const e of entries) {
      if (e.layer === null) assert.equal(e.module, e.key, `${name} ${e.key}`);
      else assert.equal(layerKey(c, e.layer, e.module), e.key, `${name} ${e.key}`);
    }
    const layers = new Set(entries.flatMap((e) => (e.layer === null ? [] : [e.layer])));
    assert.deepEqual([...layers], Array.from({ length: dims(c).layers }, (_, l) => l), `${name}: layers 0..${dims(c).layers - 1}`);
    for (const l of layers) assert.deepEqual(modules(l), modules(0), `${name}: layer ${l}'s modules`);
  }
});

test('every parameter of every preset and head has one axis role per axis, sized as the config says', () => {
  const configs = presetNames.flatMap((n): ModelConfig[] => {
    const c = preset(n);
    return c.model_type === 'bert' || c.model_type === 'roberta' ? [c, sequenceClassificationConfig(c as BertConfig, ['a', 'b'])] : [c];
  });
  for (const c of configs) {
    const d = dims(c);
    const kv = d.kvHeads * d.headDim; // grouped-query k/v (the Llama family); the hidden size for the others
    const size: Partial<Record<AxisRole, number>> = { hidden: d.hidden, q: d.heads * d.headDim, k: kv, v: kv, qkv: 3 * d.hidden, ffn: d.ffn };
    for (const { key, spec } of specEntries(modelFor(c).paramSpec(c))) {
      const what = `${c.model_type} ${key}`;
      assert.equal(spec.axes.length, spec.shape.length, `${what}: one role per axis`);
      spec.axes.forEach(({ role, side }, a) => {
        assert.ok(axisRoles.includes(role), `${what}: axis ${a} role ${role}`);
        assert.equal(role === 'fixed', side === 'fixed', `${what}: axis ${a} is ${role} on side ${side}`);
        const want = (role === 'v' && side === 'in') || role === 'o' ? size.q : size[role]; // an output projection reads every query head's output
        if (role !== 'fixed') assert.equal(spec.shape[a], want, `${what}: axis ${a} (${role}) has size ${spec.shape[a]}`);
      });
      assert.ok(spec.axes.some((x) => x.role !== 'fixed') || spec.kind === 'bias', `${what}: only a bias over classes or the vocabulary may have no growable axis`);
    }
  }
});

test('the options a method lists carry its real defaults: passing every default grows the same model as passing none', () => {
  const sc = tiny('bert');
  const small = trainedLike(sc);
  const targets: Record<string, ModelConfig> = { hypercloning: grown(sc, { hidden: 64, heads: 4, ffn: 128 }), msg: grown(sc, { ffn: 96 }), mslt: grown(sc, { layers: 4 }), ligo: grown(sc, { layers: 3, hidden: 48, heads: 3, ffn: 96 }) };
  const listed = methodNames().filter((n) => getMethod(n).options);
  assert.deepEqual(listed.sort(), Object.keys(targets).sort());
  for (const name of listed) {
    const m = getMethod(name);
    const defaults = Object.fromEntries(Object.entries(m.options!).map(([k, o]) => [k, o.default]));
    const fixed = name === 'ligo' ? { steps: 0 } : {};
    const a = m.grow(small, sc, targets[name]!, { seed: 4, options: { ...defaults, ...fixed } });
    const b = m.grow(small, sc, targets[name]!, { seed: 4, options: fixed });
    for (const [k, t] of a.params) assert.deepEqual(Array.from(t.f), Array.from(b.params.get(k)!.f), `${name} ${k}`);
    assert.deepEqual(a.schedule?.freeze, b.schedule?.freeze, name);
    assert.equal(a.schedule?.maskRamp?.steps, b.schedule?.maskRamp?.steps, name);
    for (const [k, o] of Object.entries(m.options!)) assert.ok(o.meaning.length > 10 && o.expected.length > 0, `${name} ${k}`);
  }
});

test('headPlan: more heads, wider heads, or refused when both change', () => {
  const c = tiny('bert');
  assert.equal(headPlan(c, grown(c, { hidden: 64, heads: 4 })), 'more-heads');
  assert.equal(headPlan(c, grown(c, { hidden: 64 })), 'wider-heads');
  assert.equal(headPlan(c, grown(c, { ffn: 128 })), 'same');
  assert.throws(() => headPlan(c, grown(c, { hidden: 96, heads: 4 })), /grows in both head count \(2 -> 4\) and head size \(16 -> 24\): keep head size 16/);
});

// ---- function preservation -----------------------------------------------------------------

for (const f of families) {
  const s = tiny(f);
  test(`${f}: net2net preserves the function (more heads, wider heads, FFN any size)`, () => {
    assertPreserves('net2net', s, grown(s, { hidden: 64, heads: 4, ffn: 128 }));
    if (!llamaLike(f)) assertPreserves('net2net', s, grown(s, { hidden: 64, ffn: 96 })); // llama keeps head_dim (rotary pairs): refused below
    assertPreserves('net2net', s, grown(s, { ffn: 100 }));
  });
  test(`${f}: bert2bert-fpi preserves the function in width`, () => assertPreserves('bert2bert-fpi', s, grown(s, { hidden: 64, heads: 4, ffn: 128 })));
  test(`${f}: hypercloning preserves the function (with zero-sum noise)`, () => {
    const large = grown(s, { hidden: 64, heads: 4, ffn: 128 });
    assertPreserves('hypercloning', s, large);
    const params = trainedLike(s);
    const noisy = grow('hypercloning', s, large, 3, undefined, params).params;
    const plain = grow('hypercloning', s, large, 3, { noise: false }, params).params;
    const k = paramRoles(large).find((r) => r.layer === 0 && r.kind === 'weight' && r.sides.includes('in'))!.key;
    assert.notDeepEqual(noisy.get(k)!.f, plain.get(k)!.f, 'noise was added');
  });
  test(`${f}: lemon preserves the function in width and depth`, () => {
    if (llamaLike(f)) return assertPreserves('lemon', s, grown(s, { layers: 5, ffn: 96 })); // RMSNorm: depth and FFN only (refused below)
    assertPreserves('lemon', s, grown(s, { hidden: 64, heads: 4, ffn: 96 }));
    assertPreserves('lemon', s, grown(s, { layers: 5, hidden: 64, heads: 4, ffn: 96 }));
    if (f !== 'bert') assertPreserves('lemon', s, grown(s, { layers: 3, hidden: 48, heads: 3, ffn: 100 }));
  });
}

test('net2net is only approximate when LayerNorm sees uneven copies (hidden 32 -> 48), as documented', () => {
  const s = tiny('bert');
  const large = grown(s, { hidden: 48, heads: 3 });
  const params = trainedLike(s);
  assert.ok(relErr(logits(grow('net2net', s, large, 3, undefined, params).params, large), logits(params, s)) > 1e-3);
});

test('roberta: lemon depth on post-LN is exact up to LayerNorm eps (1e-5 here)', () => {
  const s = tiny('roberta');
  assertPreserves('lemon', s, grown(s, { layers: 4, hidden: 64, heads: 4 }));
});

test('deit: lemon and net2net preserve the distilled model', () => {
  const s = tiny('deit');
  assertPreserves('lemon', s, grown(s, { layers: 3, hidden: 48, heads: 3, ffn: 80 }));
  assertPreserves('net2net', s, grown(s, { hidden: 64, heads: 4 }));
});

test('llama with grouped-query attention: the depth operators keep or copy it; width refusals (RMSNorm, head size) name the reason', () => {
  const s = tiny('llama-gqa');
  assertPreserves('block-expansion', s, grown(s, { layers: 4 }));
  assertPreserves('lemon', s, grown(s, { layers: 3 }));
  const params = trainedLike(s);
  for (const name of ['stackbert', 'interpolation']) {
    const r = grow(name, s, grown(s, { layers: 4 }), 3, undefined, params);
    assert.deepEqual(r.params.get('model.layers.3.self_attn.k_proj.weight')!.f, params.get(`model.layers.${name === 'stackbert' ? 1 : 1}.self_attn.k_proj.weight`)!.f, `${name}: the top layer copies small layer 1`);
  }
  const wider = grown(s, { hidden: 64, heads: 4 });
  assert.equal((wider as LlamaConfig).num_key_value_heads, 2, 'withDims keeps two query heads per key/value head');
  assertPreserves('net2net', s, wider);
  const mha = tiny('llama');
  refuses(() => checkGrowable(mha, grown(mha, { hidden: 64 })), /llama width growth keeps head_dim \(rotary embeddings .*\): set the large num_attention_heads to 4 for head_dim 16/);
  const mhaParams = trainedLike(mha);
  refuses(() => getMethod('lemon').grow(mhaParams, mha, grown(mha, { hidden: 64, heads: 4 }), { seed: 0 }), /lemon cannot widen llama's hidden_size 32 -> 64 losslessly: .*RMSNorm/);
  refuses(() => getMethod('msg').grow(mhaParams, mha, grown(mha, { hidden: 64, heads: 4 }), { seed: 0 }), /msg cannot widen llama's hidden_size 32 -> 64/);
});

test("llama with Llama 3.1's rope scaling: function-preserving growth keeps the logits (the scaled frequencies carried over); a large config with other rope scaling is refused", () => {
  const s = { ...tiny('llama-gqa'), rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 32 } } as LlamaConfig;
  assertPreserves('block-expansion', s, grown(s, { layers: 4 }));
  assertPreserves('net2net', s, grown(s, { hidden: 64, heads: 4 }));
  assert.deepEqual((grown(s, { layers: 4 }) as LlamaConfig).rope_scaling, s.rope_scaling);
  checkGrowable(s, { ...grown(s, { layers: 4 }), rope_scaling: { original_max_position_embeddings: 32, high_freq_factor: 4, low_freq_factor: 1, factor: 8, rope_type: 'llama3' } } as LlamaConfig); // the same, keys in another order
  refuses(() => checkGrowable(s, { ...grown(s, { layers: 4 }), rope_scaling: null } as LlamaConfig), /cannot grow: rope_scaling differs \(small \{"rope_type":"llama3",.*\}, large null\); growth keeps it/);
});

test('qwen2: the width operators grow the q/k/v biases with their heads (each grown head\'s bias a copy of a small head\'s); LiGO maps them to the large shapes', () => {
  const s = tiny('qwen2') as Qwen2Config; // 32 hidden, 2 query heads of 16 over 1 key/value head
  const large = grown(s, { hidden: 64, heads: 4 }) as Qwen2Config; // 4 over 2
  const params = trainedLike(s);
  const D = s.head_dim;
  const heads = (t: Tensor) => Array.from({ length: t.size / D }, (_, h) => Array.from(t.f.subarray(h * D, (h + 1) * D)));
  for (const [name, options] of [['net2net', undefined], ['bert2bert-fpi', undefined], ['hypercloning', { noise: false }]] as const) {
    const r = grow(name, s, large, 3, options, params).params;
    for (const [proj, count] of [['q_proj', large.num_attention_heads], ['k_proj', large.num_key_value_heads], ['v_proj', large.num_key_value_heads]] as const) {
      const key = `model.layers.1.self_attn.${proj}.bias`;
      const grownHeads = heads(r.get(key)!);
      assert.equal(grownHeads.length, count, `${name} ${key}: one bias block per head`);
      const smallHeads = heads(params.get(key)!);
      for (const [h, b] of grownHeads.entries()) assert.ok(smallHeads.some((sb) => sb.every((x, i) => Math.abs(x - b[i]!) < 1e-7)), `${name} ${key}: head ${h}'s bias copies a small head's`);
    }
    assert.ok(![...r.keys()].some((k) => k.endsWith('o_proj.bias') || (k.includes('.mlp.') && k.endsWith('.bias'))), `${name}: no o_proj or feed-forward bias`);
  }
  const deep = grown(large, { layers: 3 });
  const byLigo = grow('ligo', s, deep, 3, { steps: 0 }, params).params;
  assert.deepEqual([...byLigo.keys()].sort(), paramRoles(deep).map((p) => p.key).sort(), "ligo: the large model's keys, the new layer's biases included");
  for (const p of paramRoles(deep)) assert.deepEqual([...byLigo.get(p.key)!.shape], p.shape, `ligo ${p.key}`);
});

// ---- grouped-query attention under the head-copying width operators ------------------------------

/** A Llama with `heads` query heads of size 8 over `kv` key/value heads (48 / 6 / 2: three per group). */
function gqa(hidden: number, heads: number, kv: number, layers = 2): LlamaConfig {
  return preset<LlamaConfig>('llama-tiny', { vocab_size: 40, max_position_embeddings: 16, bos_token_id: 39, eos_token_id: 39, num_hidden_layers: layers, hidden_size: hidden, num_attention_heads: heads, num_key_value_heads: kv, head_dim: 8, intermediate_size: 64 });
}

/** Grows, checks every large parameter's shape against the large config, and returns the logits' relative error. */
function grownError(name: string, small: ModelConfig, large: ModelConfig, params = trainedLike(small)): number {
  const r = grow(name, small, large, 3, undefined, params);
  assert.deepEqual([...r.params.keys()].sort(), paramRoles(large).map((p) => p.key).sort(), `${name}: the large model's keys`);
  for (const p of paramRoles(large)) assert.deepEqual([...r.params.get(p.key)!.shape], p.shape, `${name} ${p.key}`);
  return relErr(logits(r.params, large), logits(params, small));
}

const layout = (c: LlamaConfig) => `${c.hidden_size}/${c.num_attention_heads}/${c.num_key_value_heads}`;

{
  const s = gqa(48, 6, 2);
  const targets = [
    gqa(96, 12, 4), // three query heads per key/value head kept (the default of withDims and ligo grow)
    gqa(96, 12, 2), // six per key/value head: each old group fills half a new one
    gqa(96, 12, 6), // two per key/value head: each old group of three spreads over two new ones
    gqa(96, 12, 12), // one: multi-head attention
    gqa(48, 6, 6), // key/value heads alone
  ];
  const applies = (name: string, large: LlamaConfig) =>
    name === 'hypercloning' ? large.hidden_size !== s.hidden_size : name === 'lemon' ? large.hidden_size === s.hidden_size : true; // whole width multiples; RMSNorm: lemon keeps the residual width
  for (const name of ['net2net', 'bert2bert-fpi', 'hypercloning', 'lemon']) {
    const cases = targets.filter((t) => applies(name, t));
    test(`llama grouped-query attention: ${name} keeps the logits (relative error 1e-5) for ${layout(s)} -> ${cases.map(layout).join(', ')}`, () => {
      const params = trainedLike(s);
      for (const large of cases) {
        const err = grownError(name, s, large, params);
        assert.ok(err <= 1e-5, `${name} ${layout(s)} -> ${layout(large)}: relative error ${err.toExponential(2)}`);
      }
    });
  }

  test('llama grouped-query attention: a new query head copies a query head of the group its key/value head copies', () => {
    const params = trainedLike(s);
    for (const [name, large] of [['net2net', gqa(96, 12, 6)], ['net2net', gqa(96, 12, 2)], ['hypercloning', gqa(96, 12, 4)], ['net2net', gqa(48, 6, 6)]] as const) {
      const r = grow(name, s, large, 3, name === 'hypercloning' ? { noise: false } : undefined, params).params;
      const share = s.hidden_size / large.hidden_size; // every residual neuron is copied large / small times, its consumers split
      /** The one small head whose rows of `proj` new head `h2` copies (compared on the first copies of the residual neurons). */
      const source = (proj: string, h2: number) => {
        const key = `model.layers.0.self_attn.${proj}.weight`;
        const row = (t: Tensor, h: number, i: number, width: number) => t.f[(h * 8 + Math.floor(i / s.hidden_size)) * width + (i % s.hidden_size)]!;
        const smallHeads = params.get(key)!.shape[0]! / 8;
        const found = Array.from({ length: smallHeads }, (_, h) => h).filter((h) =>
          Array.from({ length: 8 * s.hidden_size }, (_, i) => i).every((i) => Math.abs(row(params.get(key)!, h, i, s.hidden_size) * share - row(r.get(key)!, h2, i, large.hidden_size)) < 1e-6),
        );
        assert.equal(found.length, 1, `${name} ${layout(large)} ${proj} head ${h2}: one source`);
        return found[0]!;
      };
      const kvOf = (c: LlamaConfig, h: number) => Math.floor(h / (c.num_attention_heads / c.num_key_value_heads));
      for (let h2 = 0; h2 < large.num_attention_heads; h2++) {
        const q = source('q_proj', h2);
        const kv = source('k_proj', kvOf(large, h2));
        assert.equal(kvOf(s, q), kv, `${name} ${layout(large)}: query head ${h2} copies old head ${q} (group ${kvOf(s, q)}) but its key/value head copies ${kv}`);
      }
    }
  });

  test('llama grouped-query attention: bert2bert-aki and the composed methods grow it to the right shapes; hypercloning+block-expansion keeps the logits', () => {
    const params = trainedLike(s);
    const deep = gqa(96, 12, 4, 4);
    for (const name of ['bert2bert-aki', 'net2net+g-stack', 'hypercloning+stackbert']) assert.ok(Number.isFinite(grownError(name, s, deep, params)));
    const err = grownError('hypercloning+block-expansion', s, gqa(96, 12, 4, 3), params);
    assert.ok(err <= 1e-5, `hypercloning+block-expansion: relative error ${err.toExponential(2)}`);
  });

  test('llama grouped-query attention: layouts no head copy can keep are refused, naming the numbers and a key/value head count that fits', () => {
    const params = trainedLike(s);
    refuses(() => grow('net2net', s, gqa(48, 6, 3), 3, undefined, params), /net2net copies query heads only within their key\/value head's group, and the small model's 2 groups of 3 query heads do not fit into 3 key\/value heads of 2 query heads each \(each group needs 2 of them, 4 in all\): set num_key_value_heads to 6 \(ligo grow --kv-heads 6\), or widen with --method ligo/);
    const s12 = gqa(96, 12, 4);
    refuses(() => grow('bert2bert-fpi', s12, gqa(112, 14, 7), 3, undefined, trainedLike(s12)), /bert2bert-fpi .* 4 groups of 3 query heads do not fit into 7 key\/value heads of 2 .*: set num_key_value_heads to 14/);
    refuses(() => grow('msg', s, gqa(48, 6, 6), 3, undefined, params), /msg starts new key\/value heads fresh, so it cannot spread a group of 3 query heads over several key\/value heads \(6 query heads over 2 -> 6 over 6\)/);
  });
}

for (const f of ['gpt2', 'vit', 'llama', 'qwen2'] as const) {
  test(`${f}: block expansion inserts exact identity blocks`, () => {
    const s = tiny(f);
    assertPreserves('block-expansion', s, grown(s, { layers: 3 }));
    assertPreserves('block-expansion', s, grown(s, { layers: 5 }));
  });
}

/** W * (1 - mask): the grown model at ramp 0. */
function atRampZero(r: GrowResult): Map<string, Tensor> {
  const masks = r.schedule!.maskRamp!.masks;
  return new Map([...r.params].map(([k, t]) => [k, masks.has(k) ? tensor(Array.from(t.f, (x, i) => x * (1 - masks.get(k)!.f[i]!)), t.shape) : t]));
}

for (const f of families) {
  test(`${f}: msg at ramp 0 is the small model; at ramp 1 the new structure acts`, () => {
    const s = tiny(f);
    const large = f === 'bert' ? grown(s, { hidden: 64, heads: 4, ffn: 96 }) : llamaLike(f) ? grown(s, { layers: 3, ffn: 100 }) : grown(s, { layers: 3, hidden: 48, heads: 3, ffn: 100 });
    const params = trainedLike(s);
    const r = grow('msg', s, large, 3, { rampSteps: 50 }, params);
    assert.equal(r.schedule!.maskRamp!.steps, 50);
    for (const m of r.schedule!.maskRamp!.masks.values()) assert.ok(m.f.every((x) => x === 0 || x === 1));
    assert.ok(relErr(logits(atRampZero(r), large), logits(params, s)) <= 1e-4);
    assert.ok(relErr(logits(r.params, large), logits(params, s)) > 1e-3);
  });
}

// ---- depth index rules -----------------------------------------------------------------------

test('G_stack is StackBERT on whole multiples; SOLAR depth up-scaling drops the seam layers', () => {
  const s = tiny('llama-gqa');
  const params = trainedLike(s);
  const l4 = grown(s, { layers: 4 });
  const same = (a: GrowResult, b: GrowResult) => assert.deepEqual([...a.params].map(([k, t]) => [k, [...t.f]]), [...b.params].map(([k, t]) => [k, [...t.f]]));
  same(grow('g-stack', s, l4, 3, undefined, params), grow('stackbert', s, l4, 3, undefined, params));
  refuses(() => grow('g-stack', s, grown(s, { layers: 3 }), 3, undefined, params), /g-stack stacks the whole model, so the large depth must be a multiple of 2 \(g = 2: 4, g = 4: 8\), not 3/);
  // SOLAR: 32 -> 48 keeps layers 0..23 of the first copy and 8..31 of the second.
  assert.deepEqual(upscaleSources(32, 48).map((x) => x.src), [...Array.from({ length: 24 }, (_, i) => i), ...Array.from({ length: 24 }, (_, i) => i + 8)]);
  assert.deepEqual(upscaleSources(3, 4).map((x) => x.src), [0, 1, 1, 2]);
  const six = tiny('llama-gqa');
  const deep = withDims(six, { layers: 3 });
  const r = grow('depth-upscaling', deep, withDims(six, { layers: 4 }), 3, undefined, trainedLike(deep));
  assert.deepEqual(r.params.get('model.layers.2.mlp.up_proj.weight')!.f, trainedLike(deep).get('model.layers.1.mlp.up_proj.weight')!.f, 'large layer 2 is the second copy\'s layer 1');
  refuses(() => grow('depth-upscaling', deep, withDims(six, { layers: 5 }), 3, undefined, trainedLike(deep)), /the large depth must be even and in \(3, 6\], not 5/);
});

test('layer source rules: stacking, interpolation, insertion', () => {
  assert.deepEqual(stackSources(2, 5).map((s) => s.src), [0, 1, 0, 1, 0]);
  assert.deepEqual(interpolateSources(2, 5).map((s) => s.src), [0, 0, 0, 1, 1]);
  assert.deepEqual(interpolateSources(3, 6).map((s) => s.src), [0, 0, 1, 1, 2, 2]);
  assert.deepEqual(insertionSources(4, 6), [0, 1, 1, 2, 3, 3].map((src, l) => ({ src, fresh: l === 2 || l === 5 })));
  assert.deepEqual(insertionSources(2, 3).map((s) => s.src), [0, 1, 1]);
});

for (const [name, rule] of [['stackbert', (l: number) => l % 2], ['interpolation', (l: number) => Math.floor((l * 2) / 5)]] as const) {
  test(`${name}: large layer l is exactly small layer ${name === 'stackbert' ? 'l mod L1' : 'floor(l L1 / L2)'}`, () => {
    const s = tiny('gpt2');
    const large = grown(s, { layers: 5 });
    const params = trainedLike(s);
    const out = grow(name, s, large, 3, undefined, params).params;
    for (const r of paramRoles(large)) {
      const from = r.layer === null ? r.key : layerKey(s, rule(r.layer), r.module);
      assert.deepEqual(out.get(r.key)!.f, params.get(from)!.f, r.key);
    }
  });
}

test('mslt: stacks and freezes the embeddings and the original layers until freezeSteps', () => {
  const s = tiny('bert');
  const large = grown(s, { layers: 4 });
  const r = grow('mslt', s, large, 3, { freezeSteps: 300 });
  const freeze = r.schedule!.freeze!;
  assert.equal(freeze.untilStep, 300);
  const frozen = new Set(freeze.keys);
  for (const p of paramRoles(large)) {
    const expected = p.layer !== null ? p.layer < 2 : p.key.startsWith('bert.embeddings.');
    assert.equal(frozen.has(p.key), expected, p.key);
  }
  assert.throws(() => grow('mslt', s, large, 3, { freezeSteps: -1 }), /freezeSteps must be an integer/);
});

// ---- purity ------------------------------------------------------------------------------------

const randomMethods = new Set(['net2net', 'bert2bert-fpi', 'bert2bert-aki', 'lemon', 'hypercloning', 'msg']);

function targetFor(m: GrowMethod, s: ModelConfig): ModelConfig {
  if (!m.grows.width) return grown(s, { layers: 4 });
  if (!m.grows.depth) return grown(s, { hidden: 64, heads: 4, ffn: 128 });
  return grown(s, { layers: s.model_type === 'gpt2' || m.name !== 'msg' ? 4 : 2, hidden: 64, heads: 4, ffn: 128 });
}

for (const name of methodNames().filter((n) => n !== 'ligo')) {
  test(`${name}: pure (input untouched, nothing shared), seeded`, () => {
    const s = tiny('gpt2');
    const m = getMethod(name);
    const large = targetFor(m, s);
    const params = trainedLike(s);
    const before = new Map([...params].map(([k, t]) => [k, Float32Array.from(t.f)]));
    const a = m.grow(params, s, large, { seed: 1 }).params;
    for (const [k, t] of params) assert.deepEqual(t.f, before.get(k), `${k} changed`);
    const buffers = new Set([...params.values()].map((t) => t.data.buffer));
    for (const [k, t] of a) assert.ok(!buffers.has(t.data.buffer), `${k} shares the small model's buffer`);
    const again = m.grow(params, s, large, { seed: 1 }).params;
    for (const [k, t] of a) assert.deepEqual(again.get(k)!.f, t.f, `${k} differs for the same seed`);
    const other = m.grow(params, s, large, { seed: 2 }).params;
    const differs = [...a].some(([k, t]) => t.f.some((x, i) => x !== other.get(k)!.f[i]));
    assert.equal(differs, randomMethods.has(name), randomMethods.has(name) ? 'another seed should change the result' : 'the method should not depend on the seed');
  });
}

test('bert2bert-aki: new neurons of layer l come from layer l+1, the top layer keeps its own', () => {
  const s = tiny('bert');
  const large = grown(s, { ffn: 96 });
  const params = trainedLike(s);
  const fpi = grow('bert2bert-fpi', s, large, 3, undefined, params).params;
  const aki = grow('bert2bert-aki', s, large, 3, undefined, params).params;
  const w = (p: Map<string, Tensor>, l: number) => p.get(layerKey(large, l, 'intermediate.dense.weight'))!.f; // [96, 32]
  assert.deepEqual(w(aki, 0).slice(0, 64 * 32), w(fpi, 0).slice(0, 64 * 32));
  assert.deepEqual(w(aki, 0).slice(64 * 32), w(fpi, 1).slice(64 * 32));
  assert.deepEqual(w(aki, 1), w(fpi, 1));
});

test('bert2bert-aki on llama: a new head\'s q/k/v rows and its o_proj columns all come from layer l+1', () => {
  const s = gqa(48, 6, 2);
  const large = gqa(96, 12, 4);
  const params = trainedLike(s);
  const fpi = grow('bert2bert-fpi', s, large, 3, undefined, params).params;
  const aki = grow('bert2bert-aki', s, large, 3, undefined, params).params;
  const t = (p: Map<string, Tensor>, l: number, proj: string) => p.get(layerKey(large, l, `self_attn.${proj}.weight`))!;
  const cols = (x: Tensor, from: number, to: number) => Array.from(x.f).filter((_, i) => i % x.shape[1]! >= from && i % x.shape[1]! < to);
  assert.deepEqual(t(aki, 0, 'q_proj').f.slice(48 * 96), t(fpi, 1, 'q_proj').f.slice(48 * 96), 'new query heads');
  assert.deepEqual(t(aki, 0, 'k_proj').f.slice(16 * 96), t(fpi, 1, 'k_proj').f.slice(16 * 96), 'new key/value heads');
  assert.deepEqual(cols(t(aki, 0, 'o_proj'), 48, 96), cols(t(fpi, 1, 'o_proj'), 48, 96), 'new query heads\' o_proj columns');
  assert.deepEqual(cols(t(aki, 0, 'o_proj'), 0, 48), cols(t(fpi, 0, 'o_proj'), 0, 48), 'old query heads\' o_proj columns');
});

// ---- refusals ----------------------------------------------------------------------------------

function refuses(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: Error) => {
    assert.ok(e instanceof GrowError, `expected a GrowError, got ${e.name}: ${e.message}`);
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes('\n'), 'one line');
    return true;
  });
}

test('refusals name the problem and the fix', () => {
  const bert = tiny('bert');
  const gpt2 = tiny('gpt2');
  refuses(() => checkGrowable(bert, grown(bert, { hidden: 16, heads: 1 })), /cannot shrink hidden_size from 32 to 16: .*at least 32/);
  refuses(() => checkGrowable(bert, grown(bert, { layers: 1 })), /cannot shrink num_hidden_layers from 2 to 1/);
  refuses(() => checkGrowable(gpt2, grown(gpt2, { ffn: 32 })), /cannot shrink n_inner from 64 to 32/);
  refuses(() => checkGrowable(bert, gpt2), /cannot grow bert into gpt2: .*model_type 'bert'/);
  refuses(() => checkGrowable(bert, tiny('roberta')), /cannot grow bert into roberta/);
  refuses(() => checkGrowable(bert, grown(bert, { hidden: 48, heads: 5 })), /hidden_size 48 is not divisible by num_attention_heads 5/);
  refuses(() => checkGrowable(bert, { ...bert, vocab_size: 41 } as ModelConfig), /vocab_size differs .*set the large config's vocab_size to 40/);
  refuses(() => grow('stackbert', bert, grown(bert, { layers: 3, hidden: 64, heads: 4 })), /stackbert grows depth only, but hidden_size changes 32 -> 64/);
  refuses(() => grow('hypercloning', bert, grown(bert, { layers: 3 })), /hypercloning grows width only/);
  refuses(() => grow('hypercloning', bert, grown(bert, { hidden: 48, heads: 3 })), /whole multiples, but hidden 32 -> 48/);
  refuses(() => grow('bert2bert-fpi', bert, grown(bert, { hidden: 64 })), /bert2bert-fpi supports more-heads attention growth, not wider-heads .*num_attention_heads to 4/);
  refuses(() => grow('lemon', bert, grown(bert, { hidden: 48, heads: 3 })), /lemon cannot widen post-LN bert losslessly from hidden_size 32 to 48/);
  refuses(() => grow('block-expansion', bert, grown(bert, { layers: 3 })), /block-expansion keeps the function only for pre-LN models/);
  refuses(() => grow('msg', bert, grown(bert, { layers: 3 })), /msg cannot grow post-LN bert in depth/);
  refuses(() => grow('net2net', bert, grown(bert, { hidden: 64 }), 3, { snr: 1 }), /net2net: unknown option snr/);
  refuses(() => getMethod('stack'), /unknown growth method 'stack': use one of .*stackbert/);
});

// ---- optimizer state ---------------------------------------------------------------------------

test('expandAxis: a doubled neuron split in two halves m and quarters v', () => {
  const map = gatherMap(2, [0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5]);
  const m = tensor([2, 4, 6, 8], [2, 2]);
  assert.deepEqual([...expandAxis(m, 1, map, 'first-moment').f], [1, 2, 1, 2, 3, 4, 3, 4]);
  assert.deepEqual([...expandAxis(m, 1, map, 'second-moment').f], [0.5, 1, 0.5, 1, 1.5, 2, 1.5, 2]);
  assert.deepEqual([...expandAxis(m, 0, gatherMap(2, [0, 1, 1]), 'second-moment').f], [2, 4, 6, 8, 6, 8]);
});

test('growAdamState: hypercloning x2 gives copies, m / 2 and v / 4 on the input side', () => {
  const s = tiny('bert');
  const large = grown(s, { hidden: 64, heads: 4, ffn: 128 });
  const state = { tensors: new Map<string, Tensor>(), step: 7 };
  for (const r of paramRoles(s)) {
    const n = r.shape.reduce((a, b) => a * b, 1);
    state.tensors.set(`${r.key}.exp_avg`, tensor(new Array(n).fill(2), r.shape));
    state.tensors.set(`${r.key}.exp_avg_sq`, tensor(new Array(n).fill(4), r.shape));
  }
  const out = growAdamState(state, getMethod('hypercloning'), s, large, { seed: 1 });
  assert.equal(out.step, 7);
  const values = (k: string) => new Set(out.tensors.get(k)!.f);
  const L = (m: string) => layerKey(large, 1, m);
  assert.deepEqual(values(`${L('output.dense.weight')}.exp_avg`), new Set([1]));
  assert.deepEqual(values(`${L('output.dense.weight')}.exp_avg_sq`), new Set([1]));
  assert.deepEqual(values(`${L('output.dense.bias')}.exp_avg`), new Set([2]));
  assert.deepEqual(values(`${L('output.dense.bias')}.exp_avg_sq`), new Set([4]));
  assert.deepEqual(values('bert.embeddings.word_embeddings.weight.exp_avg_sq'), new Set([4]));
  assert.deepEqual(values('cls.predictions.transform.LayerNorm.weight.exp_avg_sq'), new Set([1]));
  assert.deepEqual(out.tensors.get(`${L('output.dense.weight')}.exp_avg`)!.shape, [64, 128]);
  assert.throws(() => growAdamState(state, getMethod('ligo'), s, large, { seed: 1 }), /fresh optimizer/);
});

test('growAdamState: block expansion zeroes the moments of the zeroed projections', () => {
  const s = tiny('gpt2');
  const large = grown(s, { layers: 3 });
  const state = { tensors: new Map<string, Tensor>(), step: 1 };
  for (const r of paramRoles(s)) {
    const n = r.shape.reduce((a, b) => a * b, 1);
    for (const suffix of ['exp_avg', 'exp_avg_sq']) state.tensors.set(`${r.key}.${suffix}`, tensor(new Array(n).fill(3), r.shape));
  }
  const out = growAdamState(state, getMethod('block-expansion'), s, large, { seed: 1 });
  assert.deepEqual(new Set(out.tensors.get('transformer.h.2.mlp.c_proj.weight.exp_avg_sq')!.f), new Set([0]));
  assert.deepEqual(new Set(out.tensors.get('transformer.h.2.mlp.c_fc.weight.exp_avg')!.f), new Set([3]));
});
