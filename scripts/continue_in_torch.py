#!/usr/bin/env python3
"""Continue a ligo training run in PyTorch with DistributedDataParallel (docs/handoff.md).

  node --import tsx scripts/export-batches.ts RUN_DIR --batches N
  /usr/bin/python3 scripts/continue_in_torch.py RUN_DIR [--batches FILE] [--world-size 2] [--float64] [--fresh-optimizer]

Loads the run's newest checkpoint (model.safetensors + config.json into the HF-faithful torch
models of make_model_fixtures.py; optimizer.safetensors's exp_avg / exp_avg_sq and state.json's
step count into torch.optim.AdamW's state) and trains it with DistributedDataParallel over
--world-size processes (gloo, 127.0.0.1, torch.multiprocessing.spawn) on the batches
export-batches.ts wrote: the run's next batches, as `ligo train` would have served them.

The loss of a batch is the mean cross-entropy over its targets (masked tokens; for GPT-2 every
position but the last), as ligo and HF compute it. Each rank takes a contiguous share of the
batch's rows, so the ranks' target counts can differ (masked LM picks ~15% of each row). A rank's
plain mean loss would then weight its targets wrongly once DDP averages the gradients, so each
rank backpropagates  sum of its per-target losses * world_size / (targets in the whole batch):
DDP's gradient average is then exactly the gradient of the full batch's mean loss, and the
full-batch loss is the ranks' sums all-reduced over that count, i.e. the ranks' mean losses
averaged with their target counts as weights. Before the first step rank 0 also computes the
full-batch loss on the whole batch by itself; both must equal ligo's (eval mode, dropout off)
within 1e-4. The re-implementations have no dropout layers, so the continued training is
dropout-free, like the reference continuation export-batches.ts recorded with ligo's own train().

The optimizer is AdamW as ligo's: the exported lr (constant), betas, eps (1e-6, not torch's
1e-8), decoupled weight decay on tensors of rank > 1 only, and torch.nn.utils.clip_grad_norm_
(ligo clips the same way), so the continued losses follow ligo's own continuation.
"""
import argparse
import json
import os
import socket
import sys

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_model_fixtures as hf  # noqa: E402  (HF-faithful torch models and a safetensors reader)

TOLERANCE = 1e-4


def newest_checkpoint(run_dir):
    root = os.path.join(run_dir, 'checkpoints')
    steps = sorted(n for n in os.listdir(root) if n.startswith('step-') and n[5:].isdigit())
    if not steps:
        sys.exit(f'{run_dir}: no checkpoint')
    return os.path.join(root, steps[-1])


def loss_sum(model_type, logits, labels):
    """Sum of the per-target cross-entropies and the number of targets (HF's conventions)."""
    if model_type in ('gpt2', 'llama', 'qwen2'):  # GPT2LMHeadModel, LlamaForCausalLM and Qwen2ForCausalLM shift: logits at t score labels[t + 1]
        logits, labels = logits[:, :-1, :], labels[:, 1:]
    flat = labels.reshape(-1)
    total = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), flat, ignore_index=-100, reduction='sum')
    return total, int((flat != -100).sum())


def rows(batch, lo, hi):
    return {k: batch[k][lo:hi] for k in ('input_ids', 'attention_mask', 'labels')}


def load_optimizer_state(opt, model, ckpt_dir, dtype):
    """optimizer.safetensors (`${key}.exp_avg`, `${key}.exp_avg_sq`) and state.json's step into AdamW."""
    moments = hf.read_safetensors(os.path.join(ckpt_dir, 'optimizer.safetensors'))
    with open(os.path.join(ckpt_dir, 'state.json')) as f:
        steps = json.load(f)['optimizerSteps']
    if set(steps) != {'main'}:
        sys.exit(f'{ckpt_dir}: optimizer groups {sorted(steps)}; only a single group (no frozen tensors) is supported')
    names = set()
    for name, p in model.named_parameters():  # tied weights appear once, under the key ligo saves
        m, v = moments.get(f'{name}.exp_avg'), moments.get(f'{name}.exp_avg_sq')
        if m is None or v is None or m.shape != p.shape or v.shape != p.shape:
            sys.exit(f'{ckpt_dir}: no AdamW moments of shape {list(p.shape)} for {name}')
        opt.state[p] = {'step': torch.tensor(float(steps['main'])), 'exp_avg': m.to(dtype).clone(), 'exp_avg_sq': v.to(dtype).clone()}
        names.add(name)
    left = {k.rsplit('.', 1)[0] for k in moments} - names
    if left:
        sys.exit(f'{ckpt_dir}: moments for tensors the model does not have: {sorted(left)[:5]}')
    return steps['main']


def worker(rank, world, run_dir, exported, dtype, port, fresh):
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    torch.set_num_threads(1)
    dist.init_process_group('gloo', rank=rank, world_size=world)
    say = (lambda *a: print(*a, flush=True)) if rank == 0 else (lambda *a: None)
    ckpt_dir = newest_checkpoint(run_dir)
    config, model = hf.load_checkpoint(ckpt_dir)
    model = model.to(dtype)
    kind = config['model_type']
    o = exported['optimizer']
    decay = [p for p in model.parameters() if p.dim() > 1]
    no_decay = [p for p in model.parameters() if p.dim() <= 1]
    opt = torch.optim.AdamW([{'params': decay, 'weight_decay': o['weight_decay']}, {'params': no_decay, 'weight_decay': 0.0}],
                            lr=o['lr'], betas=tuple(o['betas']), eps=o['eps'])
    step = exported['step'] if fresh else load_optimizer_state(opt, model, ckpt_dir, dtype)
    if step != exported['step']:
        sys.exit(f'{ckpt_dir} is at step {step} but the batches were exported at step {exported["step"]}: export them again')
    # The buffers are constants every rank builds alike (position ids; GPT-2's causal mask, a bool
    # tensor gloo cannot broadcast): DDP leaves them out of its start-up and per-step syncing.
    DDP._set_params_and_buffers_to_ignore_for_model(model, [name for name, _ in model.named_buffers()])
    ddp = DDP(model, broadcast_buffers=False)
    batches, ligo = exported['batches'], exported['ligo']
    B = len(batches[0]['input_ids'])
    lo, hi = rank * B // world, (rank + 1) * B // world
    say(f'{kind} from {ckpt_dir} (step {step}): {sum(p.numel() for p in model.parameters())} parameters, {dtype}; '
        f'DDP over {world} processes (gloo); AdamW lr {o["lr"]:.3g} (constant), weight decay {o["weight_decay"]}, clip {o["clip_norm"]}, '
        + ('FRESH moments and step 0 (control run: ligo\'s optimizer state left out)' if fresh else f'moments and step {step} from optimizer.safetensors / state.json'))

    first = batches[0]
    if rank == 0:
        with torch.no_grad():
            s, n = loss_sum(kind, model(first), torch.tensor(first['labels']))
        whole = s.item() / n
        say(f'batch 0 ({B} x {len(first["input_ids"][0])}, {n} targets), before any step:')
        say(f'  rank 0 on the whole batch:    loss {whole:.6f}')
        say(f'  ligo (eval mode, no dropout): loss {ligo["first_batch_loss"]:.6f}   |diff| {abs(whole - ligo["first_batch_loss"]):.1e}')
    dist.barrier()

    losses = []
    for k, batch in enumerate(batches):
        part = rows(batch, lo, hi)
        opt.zero_grad()
        s, n = loss_sum(kind, ddp(part), torch.tensor(part['labels']))
        (s * world / batch['targets']).backward()  # DDP averages: the full batch's mean-loss gradient
        sums = torch.tensor([s.item(), float(n)], dtype=torch.float64)
        mine = sums.clone()
        dist.all_reduce(sums)
        if sums[1].item() != batch['targets']:
            sys.exit(f'batch {k}: {int(sums[1].item())} targets, but ligo counted {batch["targets"]}')
        if o['clip_norm'] is not None:
            torch.nn.utils.clip_grad_norm_(ddp.parameters(), o['clip_norm'])
        opt.step()
        full = sums[0].item() / batch['targets']
        losses.append(full)
        if k == 0:
            shares = [torch.zeros(2, dtype=torch.float64) for _ in range(world)]
            dist.all_gather(shares, mine)
            for r, (sr, nr) in enumerate(t.tolist() for t in shares):
                say(f'  rank {r}: rows {r * B // world}-{(r + 1) * B // world - 1}, {int(nr)} targets, loss {sr / nr:.6f}')
            plain = sum(sr / nr for sr, nr in (t.tolist() for t in shares)) / world
            say(f'  ranks weighted by targets:    loss {full:.6f}   |diff| {abs(full - ligo["first_batch_loss"]):.1e}')
            say(f'  (plain mean of the ranks:     loss {plain:.6f}   |diff| {abs(plain - ligo["first_batch_loss"]):.1e})')
    if rank == 0:
        say(f'DDP training, {len(batches)} steps on the exported batches (loss before each step, full batch):')
        worst = 0.0
        for k, loss in enumerate(losses):
            ref = ligo['continued'][k] if k < len(ligo['continued']) else None
            tail = f'   ligo {ref["loss"]:.6f}   |diff| {abs(loss - ref["loss"]):.1e}' if ref else ''
            worst = max(worst, abs(loss - ref['loss'])) if ref else worst
            say(f'  step {step + k + 1}: torch DDP {loss:.6f}{tail}')
        first_diff = max(abs(losses[0] - ligo['first_batch_loss']), abs(whole - ligo['first_batch_loss']))
        verdict = lambda d: 'OK' if d <= TOLERANCE else 'MISMATCH'  # noqa: E731
        say(f'{verdict(first_diff)}: first loss vs ligo\'s (eval, no dropout): |diff| {first_diff:.1e} (tolerance {TOLERANCE:g})')
        say(f'{verdict(worst)}: {len(losses)} DDP steps vs ligo\'s own continuation: max |diff| {worst:.1e} (tolerance {TOLERANCE:g})')
        result = 0 if max(first_diff, worst) <= TOLERANCE else 1
    dist.barrier()
    dist.destroy_process_group()
    if rank == 0 and result:
        sys.exit(result)


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('run_dir', help='a `ligo train --out` directory (its newest checkpoint is loaded)')
    ap.add_argument('--batches', help='the file export-batches.ts wrote (default RUN_DIR/handoff-batches.json)')
    ap.add_argument('--world-size', type=int, default=2, help='DDP processes (default 2)')
    ap.add_argument('--float64', action='store_true', help='train in float64 (default float32, as ligo)')
    ap.add_argument('--fresh-optimizer', action='store_true', help='control: start AdamW from zero moments instead of the checkpoint\'s')
    args = ap.parse_args()
    with open(args.batches or os.path.join(args.run_dir, 'handoff-batches.json')) as f:
        exported = json.load(f)
    if len(exported['batches'][0]['input_ids']) < args.world_size:
        sys.exit(f'the batches have fewer rows than --world-size {args.world_size}')
    dtype = torch.float64 if args.float64 else torch.float32
    with open(os.path.join(args.run_dir, 'train.jsonl')) as f:
        log = [json.loads(line) for line in f if line.strip()]
    trained = [r for r in log if r.get('type') == 'train' and r['step'] <= exported['step']][-3:]
    print('ligo run, last steps (dropout on): ' + ', '.join(f'step {r["step"]} loss {r["loss"]:.6f}' for r in trained), flush=True)
    try:
        mp.spawn(worker, args=(args.world_size, args.run_dir, exported, dtype, free_port(), args.fresh_optimizer), nprocs=args.world_size, join=True)
    except mp.ProcessExitedException as e:  # a rank's sys.exit: its message is already printed
        sys.exit(e.exit_code)


if __name__ == '__main__':
    main()
