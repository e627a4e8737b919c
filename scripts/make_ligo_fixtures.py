#!/usr/bin/env python3
"""Reference states for LiGO itself (docs/growth.md "LiGO"; Wang et al., ICLR 2023, Sec. 3), from an
independent PyTorch implementation of the growth operator: theta_large = M theta_small with M factored
into depth mixing (w_m [L2, L1] per in-layer module key) and width matrices (W' = B W A^T, i.e. every
axis of a parameter multiplied by the [D2, D1] matrix of the dimension it indexes, tied as the docs
describe). Which matrix acts on which axis of which HuggingFace parameter is this script's own table
(ROLES below), written from the architectures; only the operator's tensor names follow ligo's
(`width.hidden`, `width.layers.<l>.q|k|v|ffn`, `depth.<module>`, '<name>.in' for untied input
sides), as that is the file format.

For each case (CASES: BERT masked LM code/full, untied inputs, width-first; GPT-2 causal LM with its
fused c_attn [in, 3*out] Conv1D) it writes test/fixtures/ligo/<case>/:
  small.safetensors         the small model (seeded as make_model_fixtures.py's randomize: float32
                            values), HF keys, tied copies left out;
  small_config.json,        the two configs (HF config.json form);
  large_config.json
  inputs.json               one batch (labels only on unpadded positions, as ligo's batches);
  operator.safetensors      every learned tensor of M (seeded random values near the operator's usual
                            start: depth rows near stacking, width new rows around 1/D1; float32),
                            with ligo-operator/1 metadata (settings, both configs), so ligo's
                            readLigoOperator loads and checks it against its own layout;
  large.safetensors         theta_large = M theta_small computed here in float64 (stored float32),
                            HF keys of the large model;
  grads.safetensors         the gradient of the large model's loss on the batch w.r.t. every operator
                            tensor (float64 autograd through the operator, dropout off; stored
                            float32), under the operator's names;
  reference.json            the case's settings, the loss (float64) and the operator tensors' shapes.

  /usr/bin/python3 scripts/make_ligo_fixtures.py
      rewrites every case (same seeds, same files). test/ligo-reference.test.ts replays each case on
      both tensor backends through ligo's readLigoOperator / prepareSmall / applyOperator.
"""
import json
import os

import torch
from torch.nn.utils.stateless import functional_call  # torch 1.13 (Debian): no torch.func

from make_model_fixtures import FIXTURES, build, randomize, save_state, text_inputs, tied_keys, write_safetensors

OUT = os.path.join(os.path.dirname(FIXTURES), 'ligo')
LIGO_FORMAT = 'ligo-operator/1'
F64 = torch.float64

# ---- the configs and the cases -------------------------------------------------------------------


def bert_config(layers, hidden, heads, ffn):
    return dict(model_type='bert', architectures=['BertForMaskedLM'], vocab_size=40, hidden_size=hidden, num_hidden_layers=layers,
                num_attention_heads=heads, intermediate_size=ffn, hidden_act='gelu', hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1,
                max_position_embeddings=16, type_vocab_size=2, initializer_range=0.02, layer_norm_eps=1e-12, pad_token_id=0,
                position_embedding_type='absolute', tie_word_embeddings=True)


def gpt2_config(layers, hidden, heads, ffn):
    return dict(model_type='gpt2', architectures=['GPT2LMHeadModel'], vocab_size=40, n_positions=16, n_embd=hidden, n_layer=layers, n_head=heads,
                n_inner=ffn, activation_function='gelu_new', resid_pdrop=0.1, embd_pdrop=0.1, attn_pdrop=0.1, layer_norm_epsilon=1e-5,
                initializer_range=0.02, scale_attn_weights=True, scale_attn_by_inverse_layer_idx=False, reorder_and_upcast_attn=False,
                bos_token_id=39, eos_token_id=39, tie_word_embeddings=True)


# New cases go at the end: seeds follow the position.
CASES = {
    # 2L-16H (2 heads) -> 3L-24H (3 heads of the same size), FFN 32 -> 48; the authors' setting.
    'bert-code': dict(small=bert_config(2, 16, 2, 32), large=bert_config(3, 24, 3, 48), mode='code', tieInputs=True, order='depth-first'),
    # Whole [D2, D1] matrices, every input side its own matrix; wider heads (2 heads, 8 -> 12), FFN 32 -> 40, 2 -> 3 layers.
    'bert-full-untied': dict(small=bert_config(2, 16, 2, 32), large=bert_config(3, 24, 2, 40), mode='full', tieInputs=False, order='depth-first'),
    # The fused c_attn: its output axis is three blocks (q, k, v), each with its own matrix.
    'gpt2-code': dict(small=gpt2_config(2, 16, 2, 32), large=gpt2_config(3, 24, 3, 48), mode='code', tieInputs=True, order='depth-first'),
    # The paper's order: each small layer widened with its own matrices, then the layers mixed.
    'bert-width-first': dict(small=bert_config(2, 16, 2, 32), large=bert_config(4, 24, 3, 48), mode='code', tieInputs=True, order='width-first'),
}

# ---- which dimension each axis of each parameter indexes ----------------------------------------
# Per axis, in storage order: None (vocabulary, positions, token types: never grown) or
# (dimension, side). Dimensions: 'hidden' (the residual stream), 'q', 'k', 'v' (one layer's
# attention inner axis, heads x head_dim), 'ffn' (one layer's feed-forward inner axis), 'qkv'
# (GPT-2's fused q, k, v blocks). Side 'out': the parameter produces the dimension (B acts on it);
# 'in': it consumes it (A acts on it). The norms that feed the decoder tied to the word embeddings
# are on the 'in' side (docs/growth.md "Axis roles"): the embedding table produces the hidden axis
# the decoder reads.

OUT_H, IN_H = ('hidden', 'out'), ('hidden', 'in')
LN = [OUT_H]


def linear(out_dim, in_dim):
    """An nn.Linear [out, in] and its bias."""
    return {'weight': [(out_dim, 'out'), (in_dim, 'in')], 'bias': [(out_dim, 'out')]}


def conv1d(in_dim, out_dim):
    """GPT-2's Conv1D [in, out] and its bias."""
    return {'weight': [(in_dim, 'in'), (out_dim, 'out')], 'bias': [(out_dim, 'out')]}


def module(prefix, params):
    return {f'{prefix}.{name}': axes for name, axes in params.items()}


def norm(prefix, side='out'):
    return {f'{prefix}.weight': [('hidden', side)], f'{prefix}.bias': [('hidden', side)]}


ROLES = {
    'bert': {
        'layer_prefix': 'bert.encoder.layer.',
        'layer': {
            **module('attention.self.query', linear('q', 'hidden')),
            **module('attention.self.key', linear('k', 'hidden')),
            **module('attention.self.value', linear('v', 'hidden')),
            **module('attention.output.dense', linear('hidden', 'v')),  # reads the values' axis
            **norm('attention.output.LayerNorm'),
            **module('intermediate.dense', linear('ffn', 'hidden')),
            **module('output.dense', linear('hidden', 'ffn')),
            **norm('output.LayerNorm'),
        },
        'outside': {
            'bert.embeddings.word_embeddings.weight': [None, OUT_H],
            'bert.embeddings.position_embeddings.weight': [None, OUT_H],
            'bert.embeddings.token_type_embeddings.weight': [None, OUT_H],
            **norm('bert.embeddings.LayerNorm'),
            'cls.predictions.bias': [None],
            **module('cls.predictions.transform.dense', linear('hidden', 'hidden')),
            **norm('cls.predictions.transform.LayerNorm', 'in'),  # feeds the tied decoder
        },
    },
    'gpt2': {
        'layer_prefix': 'transformer.h.',
        'layer': {
            **norm('ln_1'),
            **module('attn.c_attn', conv1d('hidden', 'qkv')),
            **module('attn.c_proj', conv1d('v', 'hidden')),
            **norm('ln_2'),
            **module('mlp.c_fc', conv1d('hidden', 'ffn')),
            **module('mlp.c_proj', conv1d('ffn', 'hidden')),
        },
        'outside': {
            'transformer.wte.weight': [None, OUT_H],
            'transformer.wpe.weight': [None, OUT_H],
            **norm('transformer.ln_f', 'in'),  # feeds the tied lm_head
        },
    },
}


def split_key(family, key):
    """(layer or None, module key relative to the layer or the whole key, axes) of an HF key."""
    table = ROLES[family]
    prefix = table['layer_prefix']
    if key.startswith(prefix):
        layer, rel = key[len(prefix):].split('.', 1)
        if rel not in table['layer']:
            raise SystemExit(f'{family}: no axis roles for layer parameter {key} (module {rel}): add it to ROLES')
        return int(layer), rel, table['layer'][rel]
    if key not in table['outside']:
        raise SystemExit(f'{family}: no axis roles for {key}: add it to ROLES')
    return None, key, table['outside'][key]


def matrices_of(dim, side, layer, case):
    """The width matrices (names without 'width.') that expand an axis: one, or q, k, v block-wise."""
    blocks = ['q', 'k', 'v'] if dim == 'qkv' else [dim]
    names = ['hidden' if d == 'hidden' else f'layers.{layer}.{d}' for d in blocks]
    return [f'{n}.in' if side == 'in' and not case['tieInputs'] else n for n in names]

# ---- the operator's tensors ------------------------------------------------------------------------


def layer_count(c):
    return c['n_layer'] if c['model_type'] == 'gpt2' else c['num_hidden_layers']


def operator_shapes(case, small_state, large_state):
    """Every learned tensor of M: name -> shape, width matrices first, then depth, in first-use order."""
    family = case['small']['model_type']
    L1, L2 = layer_count(case['small']), layer_count(case['large'])
    width, depth = {}, {}
    prefix = ROLES[family]['layer_prefix']
    for key, t in large_state.items():
        layer, rel, axes = split_key(family, key)
        small_key = key if layer is None else f'{prefix}0.{rel}'
        small_shape = small_state[small_key].shape
        # Depth-first expands large layer l with large layer l's matrices; width-first expands small layer j with its own.
        width_layers = [layer] if layer is None or case['order'] == 'depth-first' else range(L1)
        for axis, role in enumerate(axes):
            if role is None:
                continue
            for wl in width_layers:
                names = matrices_of(*role, wl, case)
                d1, d2 = small_shape[axis] // len(names), t.shape[axis] // len(names)
                for n in names:
                    if width.setdefault(n, (d1, d2)) != (d1, d2):
                        raise SystemExit(f'width matrix {n} is {width[n]} elsewhere but {key} needs {(d1, d2)}')
        if layer is not None:
            depth[rel] = [L2, L1]
    shapes = {}
    for n, (d1, d2) in width.items():
        if case['mode'] == 'full':
            shapes[f'width.{n}'] = [d2, d1]
        elif d2 > d1:
            shapes[f'width.{n}'] = [d2 - d1, d1]
    shapes.update({f'depth.{m}': s for m, s in depth.items()})
    return shapes


def random_operator(shapes, mode, L1, g):
    """Seeded values near the usual start: depth rows near stacking (one-hot on l mod L1 plus noise,
    rows summing to 1); width: new rows around 1/D1 (the mean of the old neurons) plus noise, and in
    'full' the first D1 rows near the identity. Rounded to float32, as the file stores them."""
    params = {}
    for name, shape in shapes.items():
        if name.startswith('depth.'):
            w = 0.15 * torch.rand(shape, generator=g, dtype=F64)
            for l in range(shape[0]):
                w[l, l % L1] += 1.0
            w = w / w.sum(1, keepdim=True)
        else:
            d1 = shape[1]
            w = (1.0 + 0.5 * torch.randn(shape, generator=g, dtype=F64)) / d1
            if mode == 'full':
                w[:d1] = torch.eye(d1, dtype=F64) + 0.05 * torch.randn(d1, d1, generator=g, dtype=F64)
        params[name] = w.float().double()
    return params

# ---- applying M ------------------------------------------------------------------------------------


def width_matrix(params, name, d1, mode):
    """The whole [D2, D1] matrix: the learned one ('full'), or the identity over the learned new rows ('code')."""
    key = f'width.{name}'
    if mode == 'full':
        return params[key]
    if key not in params:  # D2 = D1: nothing to learn
        return torch.eye(d1, dtype=F64)
    return torch.cat([torch.eye(d1, dtype=F64), params[key]], 0)


def times_along(x, axis, m):
    """x with axis `axis` (D1 long) replaced by m @ (that axis): [.., D1, ..] -> [.., D2, ..]."""
    return torch.movedim(torch.tensordot(m, torch.movedim(x, axis, 0), dims=1), 0, axis)


def widen(x, axes, layer, params, case):
    """Every grown axis of x multiplied by its width matrix (block-wise for q/k/v fused): for a
    weight this is B W A^T (or A W B^T for Conv1D's [in, out])."""
    for axis, role in enumerate(axes):
        if role is None:
            continue
        names = matrices_of(*role, layer, case)
        blocks = torch.chunk(x, len(names), dim=axis)
        x = torch.cat([times_along(b, axis, width_matrix(params, n, b.shape[axis], case['mode'])) for n, b in zip(names, blocks)], axis)
    return x


def grow(params, small_state, large_keys, case):
    """theta_large = M theta_small, differentiable w.r.t. params, by HF key of the large model."""
    family = case['small']['model_type']
    prefix = ROLES[family]['layer_prefix']
    L1 = layer_count(case['small'])
    out = {}
    for key in large_keys:
        layer, rel, axes = split_key(family, key)
        if layer is None:
            out[key] = widen(small_state[key], axes, None, params, case)
            continue
        mix = params[f'depth.{rel}'][layer]  # [L1]: large layer `layer`'s coefficients
        small = [small_state[f'{prefix}{j}.{rel}'] for j in range(L1)]
        if case['order'] == 'depth-first':  # mix at the small width, widen with large layer l's matrices
            out[key] = widen(sum(mix[j] * small[j] for j in range(L1)), axes, layer, params, case)
        else:  # widen small layer j with its own matrices, then mix
            out[key] = sum(mix[j] * widen(small[j], axes, j, params, case) for j in range(L1))
    return out

# ---- the fixtures ------------------------------------------------------------------------------------


def batch_for(c, g):
    """Two sequences of 8, the second padded; labels only on real tokens (ligo's batches never label padding)."""
    if c['model_type'] == 'bert':
        inputs = text_inputs(g, c['vocab_size'], c['pad_token_id'], 2, 8, [0, 3], True)
    else:
        inputs = text_inputs(g, c['vocab_size'], c['eos_token_id'], 2, 8, [0, 2], False)
    inputs['labels'] = [[y if m else -100 for y, m in zip(ys, ms)] for ys, ms in zip(inputs['labels'], inputs['attention_mask'])]
    return inputs


def stored_keys(model):
    """The checkpoint's keys: state_dict() without HF's tied duplicates (as save_state)."""
    skip = set(tied_keys(model))
    return [k for k in model.state_dict() if k not in skip]


# HF's tied duplicates and the tensor each one is: torch 1.13's functional_call swaps every module's
# attribute by its own name, so a tied alias must be given the grown tensor too.
TIED = {'cls.predictions.decoder.weight': 'bert.embeddings.word_embeddings.weight', 'cls.predictions.decoder.bias': 'cls.predictions.bias',
        'lm_head.weight': 'transformer.wte.weight'}


def large_loss(model, grown, inputs):
    """The large model's loss with its parameters replaced by the grown tensors (dropout off: eval mode)."""
    state = dict(grown)
    for alias in tied_keys(model):
        state[alias] = grown[TIED[alias]]
    loss = model.loss(functional_call(model, state, (inputs,)), inputs)
    with torch.no_grad():  # the same through load_state_dict: the aliases really were replaced
        model.load_state_dict({k: v.detach() for k, v in grown.items()}, strict=False)
        check = model.loss(model(inputs), inputs)
    if abs(check.item() - loss.item()) > 1e-12 * abs(check.item()):
        raise SystemExit(f'functional_call gives loss {loss.item()} but the loaded model {check.item()}')
    return loss


def settings_of(case):
    return {'mode': case['mode'], 'tieInputs': case['tieInputs'], 'order': case['order']}


def make(name, case, index):
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    small_model = build(case['small'])
    randomize(small_model, 3000 + index)
    small_keys = stored_keys(small_model)
    small_state = {k: v.detach().clone() for k, v in small_model.state_dict().items() if k in small_keys}
    large_model = build(case['large'])
    large_keys = stored_keys(large_model)
    inputs = batch_for(case['large'], torch.Generator().manual_seed(4000 + index))

    shapes = operator_shapes(case, small_state, {k: large_model.state_dict()[k] for k in large_keys})
    params = random_operator(shapes, case['mode'], layer_count(case['small']), torch.Generator().manual_seed(5000 + index))
    for p in params.values():
        p.requires_grad_(True)
    grown = grow(params, small_state, large_keys, case)
    loss = large_loss(large_model, grown, inputs)
    loss.backward()

    save_state(small_model, os.path.join(d, 'small.safetensors'))
    for which in ('small', 'large'):
        with open(os.path.join(d, f'{which}_config.json'), 'w') as f:
            json.dump(case[which], f, indent=2)
    with open(os.path.join(d, 'inputs.json'), 'w') as f:
        json.dump(inputs, f)
    metadata = {'format': LIGO_FORMAT, 'settings': json.dumps(settings_of(case)), 'small_config': json.dumps(case['small']),
                'large_config': json.dumps(case['large'])}
    write_safetensors(os.path.join(d, 'operator.safetensors'), params, metadata)
    write_safetensors(os.path.join(d, 'large.safetensors'), grown, {'format': 'pt'})
    write_safetensors(os.path.join(d, 'grads.safetensors'), {k: p.grad for k, p in params.items()}, {'format': 'pt'})
    with open(os.path.join(d, 'reference.json'), 'w') as f:
        json.dump({'settings': settings_of(case), 'loss': loss.item(), 'operator': shapes}, f, indent=1)
    total = sum(os.path.getsize(os.path.join(d, fn)) for fn in os.listdir(d))
    print(f'{name}: {len(shapes)} operator tensors, {sum(t.numel() for t in params.values())} coefficients; '
          f'{len(grown)} large tensors; loss {loss.item():.6f}; {total / 1024:.1f} KB')


if __name__ == '__main__':
    for i, (n, c) in enumerate(CASES.items()):
        make(n, c, i)
