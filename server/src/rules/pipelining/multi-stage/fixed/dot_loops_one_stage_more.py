# More tl.dot loops compiled with one stage: block sizes passed by position, an
# accumulate-into-C kernel (autotune would run it more than once), two launches with
# different block sizes, autotune configs built by a helper, and a launch passing a
# local that holds 1.
import torch
import triton
import triton.language as tl


@triton.jit
def matmul_kernel(a_ptr, b_ptr, c_ptr, M, N, K, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr):
    rm = tl.program_id(0) * BLOCK_M + tl.arange(0, BLOCK_M)
    rn = tl.program_id(1) * BLOCK_N + tl.arange(0, BLOCK_N)
    rk = tl.arange(0, BLOCK_K)
    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)
    for k in range(0, K, BLOCK_K):
  # ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ pipelining/multi-stage
        a = tl.load(a_ptr + rm[:, None] * K + (k + rk)[None, :], mask=(rm[:, None] < M) & ((k + rk)[None, :] < K), other=0.0)
        b = tl.load(b_ptr + (k + rk)[:, None] * N + rn[None, :], mask=((k + rk)[:, None] < K) & (rn[None, :] < N), other=0.0)
        acc = tl.dot(a, b, acc)
    tl.store(c_ptr + rm[:, None] * N + rn[None, :], acc.to(tl.float16), mask=(rm[:, None] < M) & (rn[None, :] < N))


@triton.jit
def matmul_accumulate_kernel(a_ptr, b_ptr, c_ptr, M, N, K,
                             BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr):
    rm = tl.program_id(0) * BLOCK_M + tl.arange(0, BLOCK_M)
    rn = tl.program_id(1) * BLOCK_N + tl.arange(0, BLOCK_N)
    rk = tl.arange(0, BLOCK_K)
    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)
    for k in range(0, K, BLOCK_K):
  # ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ pipelining/multi-stage
        a = tl.load(a_ptr + rm[:, None] * K + (k + rk)[None, :], mask=(rm[:, None] < M) & ((k + rk)[None, :] < K), other=0.0)
        b = tl.load(b_ptr + (k + rk)[:, None] * N + rn[None, :], mask=((k + rk)[:, None] < K) & (rn[None, :] < N), other=0.0)
        acc = tl.dot(a, b, acc)
    c_ptrs = c_ptr + rm[:, None] * N + rn[None, :]
    mask = (rm[:, None] < M) & (rn[None, :] < N)
    c = tl.load(c_ptrs, mask=mask, other=0.0)
    tl.store(c_ptrs, c + acc, mask=mask)


def _configs():
    # 3 stages (was 1): the next K-blocks load while tl.dot runs
    return [
        triton.Config({"BLOCK_M": 128, "BLOCK_N": 64, "BLOCK_K": 32}, num_stages=3, num_warps=4),
        triton.Config({"BLOCK_M": 64, "BLOCK_N": 64, "BLOCK_K": 32}, num_stages=3, num_warps=4),
    ]


@triton.autotune(configs=_configs(), key=["M", "N", "K"])
@triton.jit
def matmul_tuned_kernel(a_ptr, b_ptr, c_ptr, M, N, K,
                        BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr):
    rm = tl.program_id(0) * BLOCK_M + tl.arange(0, BLOCK_M)
    rn = tl.program_id(1) * BLOCK_N + tl.arange(0, BLOCK_N)
    rk = tl.arange(0, BLOCK_K)
    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)
    for k in range(0, K, BLOCK_K):
  # ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ pipelining/multi-stage
        a = tl.load(a_ptr + rm[:, None] * K + (k + rk)[None, :], mask=(rm[:, None] < M) & ((k + rk)[None, :] < K), other=0.0)
        b = tl.load(b_ptr + (k + rk)[:, None] * N + rn[None, :], mask=((k + rk)[:, None] < K) & (rn[None, :] < N), other=0.0)
        acc = tl.dot(a, b, acc)
    tl.store(c_ptr + rm[:, None] * N + rn[None, :], acc, mask=(rm[:, None] < M) & (rn[None, :] < N))


def matmul(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    M, K = a.shape
    N = b.shape[1]
    c = torch.empty((M, N), device=a.device, dtype=torch.float16)
    grid = (triton.cdiv(M, 64), triton.cdiv(N, 64))
    # 3 stages (was 1): the next K-blocks load while tl.dot runs
    matmul_kernel[grid](a, b, c, M, N, K, 64, 64, 32, num_warps=4, num_stages=3)
    return c


def matmul_add(a: torch.Tensor, b: torch.Tensor, c: torch.Tensor, small: bool) -> torch.Tensor:
    M, K = a.shape
    N = b.shape[1]
    if small:
        grid = (triton.cdiv(M, 32), triton.cdiv(N, 32))
        # 3 stages (was 1): the next K-blocks load while tl.dot runs
        matmul_accumulate_kernel[grid](a, b, c, M, N, K, BLOCK_M=32, BLOCK_N=32, BLOCK_K=32, num_stages=3)
    else:
        grid = (triton.cdiv(M, 128), triton.cdiv(N, 128))
        # 3 stages (was 1): the next K-blocks load while tl.dot runs
        matmul_accumulate_kernel[grid](a, b, c, M, N, K,
                                       BLOCK_M=128, BLOCK_N=128, BLOCK_K=32,
                                       num_warps=8, num_stages=3)
    return c


def matmul_tuned(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    M, K = a.shape
    N = b.shape[1]
    c = torch.empty((M, N), device=a.device, dtype=torch.float32)
    grid = lambda META: (triton.cdiv(M, META["BLOCK_M"]), triton.cdiv(N, META["BLOCK_N"]))
    matmul_tuned_kernel[grid](a, b, c, M, N, K)
    return c


@triton.jit
def attention_local_stages_kernel(q_ptr, k_ptr, o_ptr, N, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    acc = tl.zeros((BLOCK, BLOCK), dtype=tl.float32)
    q = tl.load(q_ptr + offs[:, None] * BLOCK + offs[None, :])
    for start_n in range(0, N, BLOCK):
  # ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ pipelining/multi-stage
        k = tl.load(k_ptr + (start_n + offs)[None, :] * BLOCK + offs[:, None])
        acc += tl.dot(q, k)
    tl.store(o_ptr + offs[:, None] * BLOCK + offs[None, :], acc)


def attention(q: torch.Tensor, k: torch.Tensor, o: torch.Tensor, N: int) -> torch.Tensor:
    num_warps = 4 if N <= 64 else 8
    # 3 stages (was 1): the next K-blocks load while tl.dot runs
    num_stages = 3
    attention_local_stages_kernel[(1,)](q, k, o, N, BLOCK=64, num_warps=num_warps, num_stages=num_stages)
    return o


# a positional `*strides` fills the kernel's parameters, never the launch options: `num_stages=1` still decides
@triton.jit
def attention_strided_kernel(q_ptr, k_ptr, o_ptr, N, stride_q, stride_k, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    acc = tl.zeros((BLOCK, BLOCK), dtype=tl.float32)
    q = tl.load(q_ptr + offs[:, None] * stride_q + offs[None, :])
    for start_n in range(0, N, BLOCK):
  # ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ pipelining/multi-stage
        k = tl.load(k_ptr + (start_n + offs)[None, :] * stride_k + offs[:, None])
        acc += tl.dot(q, k)
    tl.store(o_ptr + offs[:, None] * BLOCK + offs[None, :], acc)


def attention_strided(q: torch.Tensor, k: torch.Tensor, o: torch.Tensor, N: int) -> torch.Tensor:
    strides = (q.stride(0), k.stride(0))
    # 3 stages (was 1): the next K-blocks load while tl.dot runs
    attention_strided_kernel[(1,)](q, k, o, N, *strides, BLOCK=64, num_stages=3)
    return o
