#!/usr/bin/env python3
"""Data-parallel training of a small BitNet b1.58 language model in PyTorch
with lowbit.nn layers: torch.distributed with the gloo backend, N processes
on loopback (DistributedDataParallel averages the gradients), then rank 0
exports the model to GGUF with lowbit.export and it runs with
`lowbit generate`.

    PYTHONPATH=build/python /usr/bin/python3 python/examples/train_ddp.py \\
        --out /tmp/tiny-b158.gguf --steps 200
    build/bin/lowbit generate -m /tmp/tiny-b158.gguf -p "The " -n 64

The PyTorch weights are saved next to the GGUF (<out>.pt) so that the
exported model can be compared with the PyTorch one (python/tests).
"""
import argparse
import os
import pathlib
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch.nn.parallel import DistributedDataParallel

import lowbit
from lowbit import _lowbit
from lowbit.models import BitNetConfig, BitNetLM

REPO = pathlib.Path(__file__).resolve().parents[2]


def model_config(a):
    return BitNetConfig(n_vocab=_lowbit.byte_tokenizer_vocab_size(), n_embd=a.n_embd, n_layer=a.n_layer,
                        n_head=a.n_head, n_head_kv=a.n_head_kv, n_ff=a.n_ff, n_ctx=max(256, a.seq_len))


def worker(rank, a):
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(a.port)
    torch.set_num_threads(1)  # one core per process
    dist.init_process_group("gloo", rank=rank, world_size=a.world)
    torch.manual_seed(a.seed)  # the same initial weights everywhere (DDP broadcasts rank 0's anyway)
    model = BitNetLM(model_config(a))
    ddp = DistributedDataParallel(model)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=0.0)
    data = torch.tensor(_lowbit.byte_tokenize(pathlib.Path(a.text).read_text(encoding="utf-8")), dtype=torch.long)
    gen = torch.Generator().manual_seed(a.seed * 1000 + rank)  # each rank its own batches
    t0 = time.time()
    for step in range(a.steps):
        starts = torch.randint(0, len(data) - a.seq_len - 1, (a.batch,), generator=gen)
        x = torch.stack([data[s:s + a.seq_len] for s in starts])
        y = torch.stack([data[s + 1:s + a.seq_len + 1] for s in starts])
        logits = ddp(x)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        if rank == 0 and (step % 20 == 0 or step == a.steps - 1):
            print(f"step {step:4d}  loss {loss.item():.4f}  ({time.time() - t0:.1f} s)", flush=True)
    if rank == 0:
        lowbit.export(model, a.out, type=a.type)
        torch.save({"config": dict(model.config), "state": model.state_dict()}, a.out + ".pt")
        print(f"exported {a.out}", flush=True)
    dist.barrier()
    dist.destroy_process_group()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="GGUF to write")
    ap.add_argument("--text", default=str(REPO / "README.md"), help="training text (UTF-8)")
    ap.add_argument("--world", type=int, default=2, help="processes")
    ap.add_argument("--port", type=int, default=29517)
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--batch", type=int, default=8, help="sequences per process and step")
    ap.add_argument("--seq-len", type=int, default=64)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--n-embd", type=int, default=128)
    ap.add_argument("--n-layer", type=int, default=2)
    ap.add_argument("--n-head", type=int, default=4)
    ap.add_argument("--n-head-kv", type=int, default=2)
    ap.add_argument("--n-ff", type=int, default=256)
    ap.add_argument("--type", default="i2_s", help="ternary storage: i2_s (exact scale), tq2_0, tq1_0")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    mp.spawn(worker, args=(a,), nprocs=a.world, join=True)


if __name__ == "__main__":
    main()
