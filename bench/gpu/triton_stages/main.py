# Triton matmul 8192^3 fp16: the single-stage kernel, what the multi-stage fix writes, the hand-set
# num_stages=3 kernel, next to torch fp16 (the ceiling); outputs checked against the before kernel's.
import importlib.util
import itertools
import json
import os
import sys
import time

import torch

here = os.path.dirname(os.path.abspath(__file__))


def load(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(here, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def median_ms(fn, warmup=3, runs=21):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(runs):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        fn()
        b.record()
        b.synchronize()
        times.append(a.elapsed_time(b))
    return sorted(times)[len(times) // 2]


def main():
    S = int(sys.argv[1]) if len(sys.argv) > 1 else 8192
    torch.manual_seed(0)
    a = torch.randn((S, S), device="cuda", dtype=torch.float16)
    b = torch.randn((S, S), device="cuda", dtype=torch.float16)
    flop = 2.0 * S * S * S
    ceiling = flop / (median_ms(lambda: torch.matmul(a, b)) * 1e-3) / 1e12
    variants = (("before", load("before")), ("fix", load("after")), ("hand", load("hand")))
    want = None
    errors = {}
    for variant, module in variants:
        got = module.matmul(a, b).float()
        torch.cuda.synchronize()
        if want is None:
            want = got
        # the same products summed in the same k order: fp16 outputs should agree to rounding
        errors[variant] = ((want - got).abs() / want.abs().clamp(min=1.0)).max().item()
    # at 600+ TFLOP/s the GPU's clocks follow its power and heat: a variant timed right after a
    # fast one ran slower (the same kernel timed 11% apart). Each variant is timed after a pause,
    # in every order of the three, and its median taken over all of them
    samples = {name: [] for name, _ in variants}
    for order in itertools.permutations(variants):
        for name, module in order:
            time.sleep(0.5)
            samples[name].append(median_ms(lambda: module.matmul(a, b)))
    for variant, _ in variants:
        ms = sorted(samples[variant])[len(samples[variant]) // 2]
        err = errors[variant]
        value = flop / (ms * 1e-3) / 1e12
        print(json.dumps({"pair": "triton_stages", "variant": variant, "ms": round(ms, 4), "unit": "TFLOP/s", "value": round(value, 2),
                          "ceiling": round(ceiling, 2), "of_ceiling": round(value / ceiling, 4), "max_rel_error": err, "tolerance": 1e-2, "ok": err <= 1e-2}), flush=True)

main()
