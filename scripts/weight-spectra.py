#!/usr/bin/env python3
"""How much of each weight matrix lies beyond a rank, for checkpoints side by side (issue 26).

A model grown in width by a linear operator (LiGO's B W A^T, Net2Net, bert2BERT) starts with every
matrix of rank at most the small model's width: its new neurons are combinations of the old ones.
Training can lift it; this prints how far it has, beside a model trained from scratch, with each
matrix's largest singular value (the weights' scale, which sets how far an Adam step of a given
learning rate moves them). For every 2-D parameter the checkpoints share (or those matching
--match), per checkpoint: s1 (largest singular value) and the share of the squared singular values
beyond --rank.

  python3 scripts/weight-spectra.py --rank 128 grown=RUN/legs/ligo/grown/model.safetensors \\
      end=RUN/legs/ligo/train/checkpoints/step-002200/model.safetensors \\
      scratch=RUN/legs/scratch/train/checkpoints/step-002200/model.safetensors
"""
import argparse
import json
import re
import struct

import numpy as np


def load(path):
    with open(path, 'rb') as f:
        raw = f.read()
    n = struct.unpack('<Q', raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    out = {}
    for key, v in header.items():
        if key == '__metadata__' or v['dtype'] != 'F32' or len(v['shape']) != 2:
            continue
        s, e = v['data_offsets']
        out[key] = np.frombuffer(raw[8 + n + s:8 + n + e], dtype=np.float32).reshape(v['shape']).astype(np.float64)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--rank', type=int, required=True, help='the small model\'s width: energy beyond this rank is reported')
    ap.add_argument('--match', default='', help='only keys matching this regular expression')
    ap.add_argument('checkpoints', nargs='+', metavar='NAME=PATH', help='model.safetensors files, each with a column name')
    args = ap.parse_args()
    named = [c.split('=', 1) for c in args.checkpoints]
    if any(len(c) != 2 for c in named):
        ap.error('each checkpoint is NAME=PATH')
    weights = {name: load(path) for name, path in named}
    keys = [k for k in next(iter(weights.values())) if all(k in w for w in weights.values()) and re.search(args.match, k)]
    print(f"{'parameter':60s} " + ' '.join(f'{n + " s1":>12s} {n + " >r":>10s}' for n, _ in named))
    for k in keys:
        cells = []
        for name, _ in named:
            s = np.linalg.svd(weights[name][k], compute_uv=False)
            cells.append(f'{s[0]:12.3f} {(s[args.rank:] ** 2).sum() / (s ** 2).sum():10.4f}')
        print(f'{k:60s} ' + ' '.join(cells))


if __name__ == '__main__':
    main()
