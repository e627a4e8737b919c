#!/usr/bin/env python3
"""Splits an experiment spec into parts that run in parallel, and merges their legs back.

A run directory is locked by one process, so a sweep with many methods (issue 26's operator
sweep, experiments/sweep-bert-operator.json) runs as PARTS specs in PARTS directories, one thread
each: every part keeps the spec's name, data, seeds, small and large models and its plain scratch
method, and takes every PARTS-th of the other methods. Each part trains its own small model (the
same seed and thread count give the same weights; merge checks their final losses agree). Merging
hard-links part 0's directory into OUT/all and every other part's finished legs beside it; then
`ligo experiment SPEC --out OUT/all` claims it (a spec that only adds methods extends a run),
finds every leg finished and reruns nothing.

  scripts/sweep-parts.py split SPEC PARTS OUT     writes OUT/part-K.json for K < PARTS
  scripts/sweep-parts.py merge PARTS OUT          builds OUT/all from OUT/part-K/
"""
import json
import os
import sys


def is_reference(m):
    return m['name'] == 'scratch' and 'training' not in m and 'ki' not in m and 'label' not in m


def split(spec_path, parts, out):
    spec = json.load(open(spec_path))
    ref = [m for m in spec['methods'] if is_reference(m)]
    if len(ref) != 1:
        sys.exit(f'{spec_path}: needs exactly one plain scratch method to split')
    others = [m for m in spec['methods'] if not is_reference(m)]
    os.makedirs(out, exist_ok=True)
    for k in range(parts):
        part = dict(spec, methods=ref + others[k::parts])
        with open(os.path.join(out, f'part-{k}.json'), 'w') as f:
            json.dump(part, f, indent=2)
            f.write('\n')


def link_tree(src, dst):
    """Hard-links every file of src under dst (directories created); an existing dst file is kept."""
    for root, _dirs, files in os.walk(src):
        target = os.path.join(dst, os.path.relpath(root, src))
        os.makedirs(target, exist_ok=True)
        for name in files:
            if name == 'lock':  # a run's lock (src/train/lock.ts) belongs to the process that held it
                continue
            to = os.path.join(target, name)
            if not os.path.exists(to):
                os.link(os.path.join(root, name), to)


def final_small_losses(part_dir):
    seeds = os.path.join(part_dir, 'seeds')
    roots = [os.path.join(seeds, s) for s in sorted(os.listdir(seeds))] if os.path.isdir(seeds) else [part_dir]
    return {os.path.basename(r): json.load(open(os.path.join(r, 'small', 'done.json')))['valLoss'] for r in roots}


def merge(parts, out):
    dirs = [os.path.join(out, f'part-{k}') for k in range(parts)]
    first = final_small_losses(dirs[0])
    for d in dirs[1:]:
        if final_small_losses(d) != first:
            sys.exit(f'{d}: its small models ended at other losses than {dirs[0]}\'s ({final_small_losses(d)} vs {first}): the parts did not train the same small model, so their legs cannot be merged')
    merged = os.path.join(out, 'all')
    link_tree(dirs[0], merged)
    for d in dirs[1:]:
        for root, subdirs, _files in os.walk(d):
            if os.path.basename(root) == 'legs':
                link_tree(root, os.path.join(merged, os.path.relpath(root, d)))
                subdirs.clear()


if __name__ == '__main__':
    if len(sys.argv) == 5 and sys.argv[1] == 'split':
        split(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    elif len(sys.argv) == 4 and sys.argv[1] == 'merge':
        merge(int(sys.argv[2]), sys.argv[3])
    else:
        sys.exit(__doc__)
