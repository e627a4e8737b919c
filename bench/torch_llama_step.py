#!/usr/bin/env python3
"""The same step as bench/llama_step.ts in PyTorch (Debian's python3-torch): forward + backward of
the causal-LM loss of scripts/make_model_fixtures.py's LlamaForCausalLM re-implementation (HF's
modeling_llama.py math: RMSNorm, rotary, SwiGLU, grouped-query attention with repeat_kv), fp32,
random token ids, no optimizer. SIZE=study (default; llama-4L-192H, vocabulary 2,048, batch
32 x 64) or SIZE=smollm (SmolLM-135M's shape at vocabulary 8,192, batch 8 x 128); the configs are
ligo's presets, passed in as JSON by bench/compare-llama.sh (CONFIG env). Prints one JSON line.
Run through bench/compare-llama.sh (env STEPS, WARMUP; TORCH_THREADS: intra-op threads)."""
import json, os, resource, statistics, sys, time
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'scripts'))
from make_model_fixtures import LlamaForCausalLM  # noqa: E402

c = json.loads(os.environ['CONFIG'])
B, T = int(os.environ['BATCH']), int(os.environ['SEQ'])
STEPS = int(os.environ.get("STEPS", 10))
WARMUP = int(os.environ.get("WARMUP", 2))
torch.set_num_threads(int(os.environ.get("TORCH_THREADS", len(os.sched_getaffinity(0)))))
torch.manual_seed(0)
model = LlamaForCausalLM(c).float().train()
with torch.no_grad():
    for p in model.parameters():
        p.normal_(0, 0.02) if p.dim() > 1 else p.fill_(1.0)
ids = torch.randint(0, c['vocab_size'], (B, T))
inputs = {'input_ids': ids.tolist(), 'labels': ids.tolist()}


def step():
    model.zero_grad(set_to_none=True)
    loss = model.loss(model(inputs), inputs)
    loss.backward()
    return loss.item()


for _ in range(WARMUP):
    step()
before = resource.getrusage(resource.RUSAGE_SELF)
times = []
for _ in range(STEPS):
    t0 = time.perf_counter(); loss = step(); times.append(time.perf_counter() - t0)
sec = statistics.median(times)
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({
    "bench": "torch_llama_step", "torch": torch.__version__, "threads": torch.get_num_threads(), "steps": STEPS,
    "medianStepSeconds": round(sec, 4), "tokensPerSecond": round(B * T / sec), "peakRssMB": round(usage.ru_maxrss / 1024),
    "userSecondsPerStep": round((usage.ru_utime - before.ru_utime) / STEPS, 3), "loss": round(loss, 5),
}))
