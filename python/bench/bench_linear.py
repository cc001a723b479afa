#!/usr/bin/env python3
"""Eval-mode lowbit.nn layers against torch.nn.functional.linear in f32:
[1 x K] x [K x N] (default 2560 x 2560, one token: the decode GEMV), median
of several timed runs of many calls each. Run with Debian's python3 and the
build tree on the path:

    PYTHONPATH=build/python /usr/bin/python3 python/bench/bench_linear.py
"""
import argparse
import statistics
import time

import torch

import lowbit
import lowbit.nn as lnn


def median_us(fn, calls, runs):
    fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        times.append((time.perf_counter() - t0) / calls * 1e6)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--in-features", type=int, default=2560)
    ap.add_argument("--out-features", type=int, default=2560)
    ap.add_argument("--tokens", type=int, default=1)
    ap.add_argument("--calls", type=int, default=50)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--threads", default="1,2", help="thread counts, the same for torch and lowbit")
    a = ap.parse_args()
    torch.manual_seed(0)
    lin = torch.nn.Linear(a.in_features, a.out_features, bias=False)
    x = torch.randn(a.tokens, a.in_features)
    w = lin.weight.detach().contiguous()
    for n in [int(t) for t in a.threads.split(",")]:
        torch.set_num_threads(n)
        lowbit.set_num_threads(n)
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; lowbit {lowbit.get_num_threads()} "
              f"threads; [{a.tokens} x {a.in_features}] x [{a.in_features} x {a.out_features}], "
              f"median of {a.runs} runs x {a.calls} calls")
        run(lin, x, w, a)


def run(lin, x, w, a):
    with torch.no_grad():
        base = median_us(lambda: torch.nn.functional.linear(x, w), a.calls, a.runs)
        print(f"{'torch.nn.functional.linear f32':34s} {base:9.1f} us   1.00x")
        wn, xn = w.numpy(), x.numpy()
        t = median_us(lambda: xn @ wn.T, a.calls, a.runs)
        print(f"{'numpy x @ w.T f32 (context)':34s} {t:9.1f} us {base / t:6.2f}x")
        for name, cls, kw in [("BitLinear158 (ternary, a8)", lnn.BitLinear158, {}),
                              ("HBitLinear (ternary, a8)", lnn.HBitLinear, {}),
                              ("HBitLinear (ternary, a4)", lnn.HBitLinear, {"act_bits": 4}),
                              ("BitLinear (binary, a8)", lnn.BitLinear, {}),
                              ("Int8Linear (int8, threshold 6)", lnn.Int8Linear, {})]:
            layer = cls.from_linear(lin, **kw).eval()
            layer(x)  # packs the weight once
            t = median_us(lambda: layer(x), a.calls, a.runs)
            print(f"{name:34s} {t:9.1f} us {base / t:6.2f}x")


if __name__ == "__main__":
    main()
