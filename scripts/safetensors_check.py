#!/usr/bin/env python3
"""Interoperability check for ligo's safetensors files, with PyTorch and no `safetensors` package.

    python3 scripts/safetensors_check.py FILE          print each tensor's key, dtype, shape and sum
    python3 scripts/safetensors_check.py --write FILE  write a file of a few tensors with known values, then print it

The format is parsed by hand: an 8-byte little-endian header length N, N bytes of JSON header
({key: {dtype, shape, data_offsets}, "__metadata__": {...}}), then the data buffer.
"""
import argparse
import json
import struct

import torch

DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8,
    "BOOL": torch.bool,
}
NAMES = {v: k for k, v in DTYPES.items()}
# The reference writer orders tensors by this dtype order, largest first, then by name.
WRITE_ORDER = ["BOOL", "U8", "I8", "I16", "F16", "BF16", "I32", "F32", "F64", "I64"]


def read(path):
    """Returns (metadata, [(key, dtype name, tensor)]) in data-offset order."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    data = blob[8 + n:]
    out = []
    for key, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"]):
        begin, end = info["data_offsets"]
        dtype = DTYPES[info["dtype"]]
        if begin == end:
            t = torch.empty(info["shape"], dtype=dtype)
        else:
            t = torch.frombuffer(bytearray(data[begin:end]), dtype=dtype).reshape(info["shape"])
        out.append((key, info["dtype"], t))
    return metadata, out


def total(t):
    return t.to(torch.int64).sum().item() if not t.is_floating_point() else t.to(torch.float64).sum().item()


def write(path, tensors, metadata):
    """Writes tensors ({key: tensor}) the way the reference implementation lays them out."""
    items = sorted(tensors.items(), key=lambda kv: (-WRITE_ORDER.index(NAMES[kv[1].dtype]), kv[0].encode("utf-8")))
    header, chunks, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for key, t in items:
        raw = t.contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()
        header[key] = {"dtype": NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))


def known_tensors():
    return {
        "f32": torch.arange(6, dtype=torch.float32).reshape(2, 3) * 0.5 - 1,
        "i32": torch.tensor([-2, 0, 3, 2147483647], dtype=torch.int32),
        "f16": torch.tensor([1, -2, 0.5, 65504, 2 ** -24], dtype=torch.float16),
        "bf16": torch.tensor([1, -3, 3.140625], dtype=torch.bfloat16),
        "i64": torch.tensor([[5, -7, 2147483647]], dtype=torch.int64),
        "scalar": torch.tensor(2.5, dtype=torch.float32),
        "empty": torch.zeros(0, 3, dtype=torch.float32),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", nargs="?", help="a .safetensors file to print")
    parser.add_argument("--write", metavar="PATH", help="write a file of known tensors to PATH, then print it")
    args = parser.parse_args()
    if (args.path is None) == (args.write is None):
        parser.error("give either a file to read or --write PATH")
    if args.write:
        write(args.write, known_tensors(), {"source": "safetensors_check.py"})
    metadata, tensors = read(args.write or args.path)
    print("metadata", json.dumps(metadata, sort_keys=True))
    for key, dtype, t in sorted(tensors):
        print(key, dtype, list(t.shape), repr(total(t)))


if __name__ == "__main__":
    main()
