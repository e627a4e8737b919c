#!/usr/bin/env python3
"""The same step as bench/model_step.ts in PyTorch (Debian's python3-torch): forward + backward of
the loss of scripts/make_model_fixtures.py's re-implementation of the HF model (LlamaForCausalLM,
GPT2LMHeadModel, BertForMaskedLM: the math of transformers' modeling files), fp32, random token
ids, no optimizer, no dropout. The config, batch, window and loss are ligo's (bench/model-sizes.ts),
passed in by bench/compare-model.sh (env CONFIG, BATCH, SEQ, LOSS). Masked LM is run at its best:
the MLM head on the labelled positions only, as ligo does (HF's BertForMaskedLM scores every
position and ignores the unlabelled ones: the same loss, more work). Prints one JSON line.
Env STEPS, WARMUP; TORCH_THREADS: intra-op threads."""
import json, os, sys
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'scripts'))
from make_model_fixtures import build  # noqa: E402
from timing import time_steps  # noqa: E402

c = json.loads(os.environ['CONFIG'])
B, T, LOSS = int(os.environ['BATCH']), int(os.environ['SEQ']), os.environ.get('LOSS', 'causal')
STEPS = int(os.environ.get("STEPS", 10))
WARMUP = int(os.environ.get("WARMUP", 2))
torch.set_num_threads(int(os.environ.get("TORCH_THREADS", len(os.sched_getaffinity(0)))))
torch.manual_seed(0)
model = build(c).float().train()
with torch.no_grad():
    for p in model.parameters():
        p.normal_(0, 0.02) if p.dim() > 1 else p.fill_(1.0)
ids = torch.randint(0, c['vocab_size'], (B, T))
if LOSS == 'mlm':
    labels = torch.where(torch.rand(B, T) < 0.15, ids, torch.full_like(ids, -100))
    labelled = labels != -100

    def loss_of():
        h = model.bert(ids, None, None)
        return F.cross_entropy(model.cls.predictions(h[labelled]), labels[labelled])
else:
    inputs = {'input_ids': ids.tolist(), 'labels': ids.tolist()}

    def loss_of():
        return model.loss(model(inputs), inputs)


def step():
    model.zero_grad(set_to_none=True)
    loss = loss_of()
    loss.backward()
    return loss.item()


sec, loss, before, usage = time_steps(step, WARMUP, STEPS)
print(json.dumps({
    "bench": "torch_model_step", "model": c['model_type'], "torch": torch.__version__, "threads": torch.get_num_threads(), "steps": STEPS,
    "medianStepSeconds": round(sec, 4), "tokensPerSecond": round(B * T / sec), "peakRssMB": round(usage.ru_maxrss / 1024),
    "userSecondsPerStep": round((usage.ru_utime - before.ru_utime) / STEPS, 3), "loss": round(loss, 5),
}))
