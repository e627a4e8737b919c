#!/usr/bin/env python3
"""Reference training states in llm.c's manner: for the BERT (masked LM), GPT-2, Llama and Qwen2 fixtures of
make_model_fixtures.py (test/fixtures/models/<name>: weights, config, inputs), PyTorch computes
in float64, dropout off, on the fixture batch with the labels of padded positions removed (as
ligo's batches never label padding; HF's BERT embeddings have a padding_idx, which zeroes the
pad row's lookup gradient, and ligo's do not, so a labelled pad would make them differ):

  - the loss on the fixture batch and every parameter's gradient;
  - ten training updates on that batch with torch.optim.AdamW as ligo configures it (eps 1e-6,
    betas 0.9/0.999, decoupled weight decay 0.1 on tensors of rank > 1 only, biases and
    LayerNorm weights in a no-decay group), torch.nn.utils.clip_grad_norm_ to max norm 3 (the first updates clip, the later ones do not), and
    transformers' linear schedule with warmup (peak 1e-2, 3 warmup updates out of 10: update
    number s, 0-based, uses peak * s / 3 during warmup, so the first update has rate 0), the
    loss and gradient norm before each update, and every parameter after the tenth.

  /usr/bin/python3 scripts/make_train_fixtures.py
      writes test/fixtures/train/<name>/{inputs.json, grads.safetensors, after.safetensors, steps.json}
      (tensors under the checkpoint's keys, tied weights once, float32).

test/train-reference.test.ts replays this on both tensor backends.
"""
import json
import os

import torch

from make_model_fixtures import FIXTURES, load_checkpoint, tied_keys, write_safetensors

OUT = os.path.join(os.path.dirname(FIXTURES), 'train')
NAMES = ['bert', 'gpt2', 'llama', 'llama-tied', 'qwen2', 'qwen2-tied']
# Keep in step with test/train-reference.test.ts.
PEAK_LR, WARMUP, STEPS, WEIGHT_DECAY, CLIP_NORM, EPS = 1e-2, 3, 10, 0.1, 3.0, 1e-6


def lr_at(step):
    """get_linear_schedule_with_warmup's factor times the peak, for 0-based update `step`."""
    if step < WARMUP:
        return PEAK_LR * step / max(1, WARMUP)
    return PEAK_LR * max(0.0, (STEPS - step) / max(1, STEPS - WARMUP))


def named_params(model):
    """Parameters under the checkpoint's keys (tied aliases left out, each tensor once)."""
    skip = set(tied_keys(model))
    return {k: p for k, p in model.named_parameters() if k not in skip}


def loss_of(model, inputs):
    return model.loss(model(inputs), inputs)


def make(name):
    _, model = load_checkpoint(os.path.join(FIXTURES, name))
    with open(os.path.join(FIXTURES, name, 'inputs.json')) as f:
        inputs = json.load(f)
    inputs['labels'] = [[y if m else -100 for y, m in zip(ys, ms)] for ys, ms in zip(inputs['labels'], inputs['attention_mask'])]
    params = named_params(model)
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, 'inputs.json'), 'w') as f:
        json.dump(inputs, f)

    model.zero_grad()
    loss_of(model, inputs).backward()
    write_safetensors(os.path.join(d, 'grads.safetensors'), {k: p.grad for k, p in params.items()})

    decay = [p for p in params.values() if p.dim() > 1]
    no_decay = [p for p in params.values() if p.dim() <= 1]
    opt = torch.optim.AdamW([{'params': decay, 'weight_decay': WEIGHT_DECAY}, {'params': no_decay, 'weight_decay': 0.0}],
                            lr=PEAK_LR, betas=(0.9, 0.999), eps=EPS)
    steps = []
    for s in range(STEPS):
        opt.zero_grad()
        loss = loss_of(model, inputs)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(list(params.values()), CLIP_NORM)
        for group in opt.param_groups:
            group['lr'] = lr_at(s)
        opt.step()
        steps.append({'step': s, 'lr': lr_at(s), 'loss': loss.item(), 'gradNorm': norm.item()})
    with torch.no_grad():
        final = loss_of(model, inputs).item()
    write_safetensors(os.path.join(d, 'after.safetensors'), {k: p.detach() for k, p in params.items()})
    with open(os.path.join(d, 'steps.json'), 'w') as f:
        json.dump({'peakLr': PEAK_LR, 'warmupSteps': WARMUP, 'steps': STEPS, 'weightDecay': WEIGHT_DECAY, 'clipNorm': CLIP_NORM, 'eps': EPS,
                   'updates': steps, 'finalLoss': final}, f, indent=1)
    sizes = ', '.join(f'{fn} {os.path.getsize(os.path.join(d, fn)) / 1024:.1f} KB' for fn in sorted(os.listdir(d)))
    clipped = sum(1 for u in steps if u['gradNorm'] > CLIP_NORM)
    print(f'{name}: loss {steps[0]["loss"]:.6f} -> {final:.6f} after {STEPS} updates ({clipped} clipped); {sizes}')


if __name__ == '__main__':
    torch.manual_seed(0)
    for n in NAMES:
        make(n)
