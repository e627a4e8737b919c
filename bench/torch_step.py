#!/usr/bin/env python3
"""The same step as bench/step.ts in PyTorch (Debian's python3-torch): forward + backward of a
BERT encoder stack (post-LN, GELU erf, biases), fp32, loss = MSE to a fixed random target, at
SIZE=small (default; 4 layers, hidden 256, 4 heads, FFN 1024, batch 16 x 128), SIZE=base
(12 layers, hidden 768, 12 heads, FFN 3072, batch 32 x 128) or SIZE=demo (4 layers, hidden 192,
3 heads, FFN 768, batch 32 x 64). Prints one JSON line; system and
user CPU seconds and page faults are per timed step, as in bench:step.
Run: /usr/bin/python3 bench/torch_step.py   (env STEPS, WARMUP as for bench:step; TORCH_THREADS:
intra-op threads, default every core; bench/compare.sh runs both 1 and 2 and keeps the faster)"""
import json, math, os, statistics, time
import torch
import torch.nn as nn
import torch.nn.functional as F

from timing import time_steps

SIZE = os.environ.get("SIZE", "small")
B, T, L, D, H, FFN = {"small": (16, 128, 4, 256, 4, 1024), "base": (32, 128, 12, 768, 12, 3072), "demo": (32, 64, 4, 192, 3, 768)}[SIZE]
STEPS = int(os.environ.get("STEPS", 10))
WARMUP = int(os.environ.get("WARMUP", 2))
torch.set_num_threads(int(os.environ.get("TORCH_THREADS", len(os.sched_getaffinity(0)))))


class Layer(nn.Module):
    def __init__(self):
        super().__init__()
        self.q, self.k, self.v, self.o = (nn.Linear(D, D) for _ in range(4))
        self.ln1, self.ln2 = nn.LayerNorm(D, eps=1e-12), nn.LayerNorm(D, eps=1e-12)
        self.fc1, self.fc2 = nn.Linear(D, FFN), nn.Linear(FFN, D)

    def heads(self, x):
        return x.view(B, T, H, D // H).transpose(1, 2)

    def forward(self, x):
        q, k, v = self.heads(self.q(x)), self.heads(self.k(x)), self.heads(self.v(x))
        p = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(D // H), dim=-1)
        ctx = (p @ v).transpose(1, 2).reshape(B, T, D)
        x = self.ln1(self.o(ctx) + x)
        return self.ln2(self.fc2(F.gelu(self.fc1(x))) + x)


torch.manual_seed(0)
model = nn.Sequential(*[Layer() for _ in range(L)])
x = torch.randn(B, T, D)
target = torch.randn(B, T, D)


def step():
    model.zero_grad(set_to_none=True)
    loss = F.mse_loss(model(x), target)
    loss.backward()
    return loss.item()


def sgemm_gflops():
    n = 1024
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    ts = []
    for _ in range(5):
        t0 = time.perf_counter(); a @ b; ts.append(time.perf_counter() - t0)
    return 2 * n ** 3 / statistics.median(ts) / 1e9


sec, loss, before, usage = time_steps(step, WARMUP, STEPS)
flops = 3 * B * T * L * (2 * (4 * D * D + 2 * D * FFN) + 4 * T * D)
print(json.dumps({
    "bench": "torch_step", "size": SIZE, "torch": torch.__version__, "threads": torch.get_num_threads(), "steps": STEPS,
    "medianStepSeconds": round(sec, 4), "tokensPerSecond": round(B * T / sec),
    "gflopsPerSecond": round(flops / sec / 1e9, 1), "sgemmGflopsPerSecond": round(sgemm_gflops(), 1),
    "peakRssMB": round(usage.ru_maxrss / 1024),
    "sysSecondsPerStep": round((usage.ru_stime - before.ru_stime) / STEPS, 3),
    "userSecondsPerStep": round((usage.ru_utime - before.ru_utime) / STEPS, 3),
    "minorFaultsPerStep": round((usage.ru_minflt - before.ru_minflt) / STEPS), "loss": round(loss, 5),
}))
