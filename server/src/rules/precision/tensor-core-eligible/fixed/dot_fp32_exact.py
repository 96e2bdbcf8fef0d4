"""fp32 tl.dot calls with TF32 switched off, in a matmul and in a two-matrix chain."""
import triton
import triton.language as tl


@triton.jit
def matmul_fp32_kernel(a_ptr, b_ptr, c_ptr, M, N, K, sam, sak, sbk, sbn, scm, scn,
                       BM: tl.constexpr, BN: tl.constexpr, BK: tl.constexpr):
    rm = tl.program_id(0) * BM + tl.arange(0, BM)
    rn = tl.program_id(1) * BN + tl.arange(0, BN)
    rk = tl.arange(0, BK)
    acc = tl.zeros((BM, BN), dtype=tl.float32)
    for k in range(0, K, BK):
        a = tl.load(a_ptr + rm[:, None] * sam + (k + rk)[None, :] * sak, mask=(rm[:, None] < M) & ((k + rk)[None, :] < K), other=0.0)
        b = tl.load(b_ptr + (k + rk)[:, None] * sbk + rn[None, :] * sbn, mask=((k + rk)[:, None] < K) & (rn[None, :] < N), other=0.0)
        # TF32 tensor cores: inputs rounded to a 10-bit mantissa, fp32 accumulation
        acc = tl.dot(a, b, acc, allow_tf32=True)
#             ^^^^^^ precision/tensor-core-eligible
    tl.store(c_ptr + rm[:, None] * scm + rn[None, :] * scn, acc, mask=(rm[:, None] < M) & (rn[None, :] < N))


@triton.jit
def chain_kernel(x_ptr, w1_ptr, w2_ptr, y_ptr, D, BM: tl.constexpr, BD: tl.constexpr):
    rm = tl.program_id(0) * BM + tl.arange(0, BM)
    rd = tl.arange(0, BD)
    x = tl.load(x_ptr + rm[:, None] * D + rd[None, :])
    w1 = tl.load(w1_ptr + rd[:, None] * D + rd[None, :])
    w2 = tl.load(w2_ptr + rd[:, None] * D + rd[None, :])
    # TF32 tensor cores: inputs rounded to a 10-bit mantissa, fp32 accumulation
    h = tl.dot(x, w1, input_precision='tf32')
#       ^^^^^^ precision/tensor-core-eligible
    y = tl.dot(h, w2, input_precision='tf32')
    tl.store(y_ptr + rm[:, None] * D + rd[None, :], y)
