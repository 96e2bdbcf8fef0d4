"""Timing loops that wait for the GPU after every launch."""
import time

import torch
import triton
import triton.language as tl


@triton.jit
def _scale_kernel(x_ptr, y_ptr, a, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(y_ptr + offs, a * tl.load(x_ptr + offs, mask=mask), mask=mask)


def bench_scale(x, y, iters):
    n = x.numel()
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(iters):
        _scale_kernel[(triton.cdiv(n, 1024),)](x, y, 2.0, n, BLOCK=1024)
    # one wait after the loop (was one per iteration): launches run in order on the stream
    torch.cuda.synchronize()
#       ^^^^^^^^^^^^^^^^^^^^^^^^ overlap/sync-transfer
    return (time.perf_counter() - start) / iters
