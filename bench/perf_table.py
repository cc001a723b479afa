#!/usr/bin/python3
"""Runs lowbit-bench and the ggml anchor on the same shapes and prints the
markdown table of docs/PERFORMANCE.md (medians of 3 repetitions).

  /usr/bin/python3 bench/perf_table.py [--bench build/bin/lowbit-bench]
      [--anchor /tmp/ggml-anchor/ggml_gemv_bench] [--filter REGEX]
"""
import argparse
import json
import os
import re
import statistics
import subprocess

SHAPES = [(2560, 2560), (640, 2560), (6912, 2560), (2560, 6912), (16384, 16384)]
PREFILL = 128


def run_bench(exe, regex):
    out = subprocess.run([exe, f"--benchmark_filter={regex}", "--benchmark_repetitions=3",
                          "--benchmark_report_aggregates_only=true", "--benchmark_format=json"],
                         check=True, capture_output=True, text=True).stdout
    res = {}
    for b in json.loads(out)["benchmarks"]:
        if b.get("aggregate_name") != "median":
            continue
        name = b["run_name"].replace("/real_time", "")
        res[name] = b
    return res


def run_anchor(exe, out, inn, n, threads):
    if not exe or not os.path.exists(exe):
        return None
    env = dict(os.environ, LD_LIBRARY_PATH=os.path.join(os.path.dirname(exe), "build", "src"))
    times = []
    for _ in range(3):
        s = subprocess.run([exe, "tq2_0", str(out), str(inn), str(n), str(threads)], check=True,
                           capture_output=True, text=True, env=env).stdout
        times.append(float(re.search(r":\s*([\d.]+) us", s).group(1)))
    return statistics.median(times)


def us(b):
    t = b["real_time"]
    return {"ns": t / 1e3, "us": t, "ms": t * 1e3}[b["time_unit"]]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", default="build/bin/lowbit-bench")
    ap.add_argument("--anchor", default="/tmp/ggml-anchor/ggml_gemv_bench")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--kinds", default="gemv,gemm")
    args = ap.parse_args()
    threads = [int(t) for t in args.threads.split(",")]
    r = run_bench(args.bench, "bandwidth/")
    bw = {t: r.get(f"bandwidth/read/threads:{t}", {}).get("best_bytes_per_second", float("nan")) / 1e9 for t in (1, 2)}
    med = {t: r.get(f"bandwidth/read/threads:{t}", {}).get("bytes_per_second", float("nan")) / 1e9 for t in (1, 2)}
    print(f"read bandwidth (bandwidth/read, best pass): 1 thread {bw[1]:.1f} GB/s, 2 threads {bw[2]:.1f} GB/s "
          f"(medians {med[1]:.1f} / {med[2]:.1f})\n")
    print("| kernel | shape | threads | median us | best us | weight GB/s (best) | GOP/s (best) | vs f32 GEMV "
          "| of bandwidth | ggml TQ2_0 best us | vs ggml (best/best) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    fmts = ["lowbit", "lowbit_avx2", "i2_s"]
    for kind in args.kinds.split(","):
        for (o, i) in SHAPES:
            for t in threads:
                n = 1 if kind == "gemv" else PREFILL
                dims = f"{o}x{i}" + ("" if kind == "gemv" else f"x{n}")
                # ours and ggml back to back, so both see the same machine load
                extra = "|f32" if kind == "gemv" else ""
                r = run_bench(args.bench, f"^{kind}/({'|'.join(fmts)}{extra})/{dims}/threads:{t}/")
                if not r:
                    continue
                anchor = run_anchor(args.anchor, o, i, n, t) or float("nan")
                f32 = r.get(f"gemv/f32/{o}x{i}/threads:{t}")
                for f in fmts:
                    b = r.get(f"{kind}/{f}/{dims}/threads:{t}")
                    if not b:
                        continue
                    tu = us(b)
                    best = b["best_us"]
                    gbs = b["bytes_per_second"] / 1e9 * tu / best
                    gops = b["items_per_second"] / 1e9 * tu / best
                    vs_f32 = f"{f32['best_us'] / best:.1f}x" if f32 else "-"
                    of_bw = f"{100 * gbs / bw[t]:.0f}%" if kind == "gemv" else "-"
                    print(f"| {kind}/{f} | {dims} | {t} | {tu:.1f} | {best:.1f} | {gbs:.1f} | {gops:.0f} | {vs_f32} | "
                          f"{of_bw} | {anchor:.1f} | {anchor / best:.2f}x |", flush=True)
    r = run_bench(args.bench, "quant/|repack/")
    print()
    for name, b in sorted(r.items()):
        best = f"{b['best_us']:.2f}" if "best_us" in b else "-"
        print(f"| {name} | {us(b):.2f} | {best} | {b['bytes_per_second'] / 1e9:.2f} |")


if __name__ == "__main__":
    main()
