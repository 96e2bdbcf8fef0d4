"""Attention forward: a fused flash-style kernel and the unfused path kept for
debugging numerics."""
import math

import torch
import triton
import triton.language as tl

from softmax import softmax


@triton.autotune(
    configs=[
        triton.Config({"BLOCK_M": 128, "BLOCK_N": 64}, num_stages=3, num_warps=8),
        triton.Config({"BLOCK_M": 64, "BLOCK_N": 64}, num_stages=4, num_warps=4),
    ],
    key=["N_CTX", "HEAD_DIM"],
)
@triton.jit
def _attn_fwd_kernel(Q, K, V, Out, sm_scale,
                     stride_qh, stride_qm, stride_kh, stride_kn, stride_vh, stride_vn,
                     stride_oh, stride_om, N_CTX,
                     HEAD_DIM: tl.constexpr, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr,
                     CAUSAL: tl.constexpr):
    start_m = tl.program_id(0)
    bh = tl.program_id(1)
    offs_m = start_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_n = tl.arange(0, BLOCK_N)
    offs_d = tl.arange(0, HEAD_DIM)

    q = tl.load(Q + bh * stride_qh + offs_m[:, None] * stride_qm + offs_d[None, :],
                mask=offs_m[:, None] < N_CTX, other=0.0)
    m_i = tl.full([BLOCK_M], -float("inf"), tl.float32)
    l_i = tl.zeros([BLOCK_M], tl.float32)
    acc = tl.zeros([BLOCK_M, HEAD_DIM], tl.float32)
    qk_scale = sm_scale * 1.4426950408889634  # fold log2(e) so we can use exp2

    hi = tl.minimum((start_m + 1) * BLOCK_M, N_CTX) if CAUSAL else N_CTX
    for start_n in range(0, hi, BLOCK_N):
        cols = start_n + offs_n
        k = tl.load(K + bh * stride_kh + cols[None, :] * stride_kn + offs_d[:, None],
                    mask=cols[None, :] < N_CTX, other=0.0)
        qk = tl.dot(q, k) * qk_scale
        if CAUSAL:
            qk = tl.where(offs_m[:, None] >= cols[None, :], qk, -float("inf"))
        qk = tl.where(cols[None, :] < N_CTX, qk, -float("inf"))
        m_new = tl.maximum(m_i, tl.max(qk, axis=1))
        p = tl.math.exp2(qk - m_new[:, None])
        alpha = tl.math.exp2(m_i - m_new)
        l_i = l_i * alpha + tl.sum(p, axis=1)
        acc = acc * alpha[:, None]
        v = tl.load(V + bh * stride_vh + cols[:, None] * stride_vn + offs_d[None, :],
                    mask=cols[:, None] < N_CTX, other=0.0)
        acc = tl.dot(p.to(v.dtype), v, acc)
        m_i = m_new

    acc = acc / l_i[:, None]
    tl.store(Out + bh * stride_oh + offs_m[:, None] * stride_om + offs_d[None, :],
             acc.to(Out.dtype.element_ty), mask=offs_m[:, None] < N_CTX)


@triton.jit
def _bmm_kernel(A, B, C, M, N, K,
                stride_ab, stride_am, stride_ak, stride_bb, stride_bk, stride_bn,
                stride_cb, stride_cm, stride_cn,
                BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr):
    pid_m = tl.program_id(0)
    pid_n = tl.program_id(1)
    batch = tl.program_id(2)
    rm = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    rn = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    rk = tl.arange(0, BLOCK_K)
    A += batch * stride_ab
    B += batch * stride_bb
    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)
    for k in range(0, K, BLOCK_K):
        a = tl.load(A + rm[:, None] * stride_am + (k + rk)[None, :] * stride_ak,
                    mask=(rm[:, None] < M) & ((k + rk)[None, :] < K), other=0.0)
        b = tl.load(B + (k + rk)[:, None] * stride_bk + rn[None, :] * stride_bn,
                    mask=((k + rk)[:, None] < K) & (rn[None, :] < N), other=0.0)
        acc = tl.dot(a, b, acc)
    C += batch * stride_cb
    tl.store(C + rm[:, None] * stride_cm + rn[None, :] * stride_cn,
             acc.to(C.dtype.element_ty), mask=(rm[:, None] < M) & (rn[None, :] < N))


def bmm(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Batched a @ b for 3-D tensors (batch, M, K) x (batch, K, N)."""
    batch, M, K = a.shape
    N = b.shape[2]
    c = torch.empty((batch, M, N), device=a.device, dtype=a.dtype)
    grid = (triton.cdiv(M, 64), triton.cdiv(N, 64), batch)
    _bmm_kernel[grid](a, b, c, M, N, K,
                      a.stride(0), a.stride(1), a.stride(2),
                      b.stride(0), b.stride(1), b.stride(2),
                      c.stride(0), c.stride(1), c.stride(2),
                      BLOCK_M=64, BLOCK_N=64, BLOCK_K=32, num_warps=4)
    return c


def flash_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, causal: bool = False):
    """q, k, v: (batch * heads, seq, head_dim), contiguous."""
    BH, n_ctx, head_dim = q.shape
    o = torch.empty_like(q)
    sm_scale = 1.0 / math.sqrt(head_dim)
    grid = lambda META: (triton.cdiv(n_ctx, META["BLOCK_M"]), BH)
    _attn_fwd_kernel[grid](q, k, v, o, sm_scale,
                           q.stride(0), q.stride(1), k.stride(0), k.stride(1),
                           v.stride(0), v.stride(1), o.stride(0), o.stride(1), n_ctx,
                           HEAD_DIM=head_dim, CAUSAL=causal)
    return o


def attention_reference(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor):
    """Unfused attention used by the numerics tests: scores, softmax, then P @ V."""
    BH, n_ctx, head_dim = q.shape
    scores = bmm(q, k.transpose(1, 2).contiguous())
    scores = scores * (1.0 / math.sqrt(head_dim))
    probs = softmax(scores.view(BH * n_ctx, n_ctx)).view(BH, n_ctx, n_ctx)
    return bmm(probs.to(v.dtype), v)


def attention_with_weights(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor):
    """Attention for the interpretability hooks, which need the probabilities."""
    BH, n_ctx, head_dim = q.shape
    scores = bmm(q, k.transpose(1, 2).contiguous()) / math.sqrt(head_dim)
    probs = torch.softmax(scores.float(), dim=-1)
    out = bmm(probs.to(v.dtype), v)
    return out, probs


class CrossAttention(torch.nn.Module):
    """Decoder cross-attention over the encoder memory (served model)."""

    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.heads = heads
        self.head_dim = dim // heads
        self.q_proj = torch.nn.Linear(dim, dim, bias=False)
        self.kv_proj = torch.nn.Linear(dim, 2 * dim, bias=False)
        self.out_proj = torch.nn.Linear(dim, dim, bias=False)

    def _split(self, t: torch.Tensor) -> torch.Tensor:
        b, n, _ = t.shape
        return t.view(b, n, self.heads, self.head_dim).transpose(1, 2).reshape(b * self.heads, n, self.head_dim)

    def forward(self, x: torch.Tensor, memory: torch.Tensor) -> torch.Tensor:
        b, n, dim = x.shape
        q = self._split(self.q_proj(x))
        k, v = self.kv_proj(memory).chunk(2, dim=-1)
        k, v = self._split(k), self._split(v)
        s = memory.shape[1]
        scores = bmm(q, k.transpose(1, 2).contiguous())
        scores = scores * (self.head_dim ** -0.5)
        probs = softmax(scores.view(-1, s)).view(b * self.heads, n, s)
        out = bmm(probs.to(v.dtype), v)
        out = out.view(b, self.heads, n, self.head_dim).transpose(1, 2).reshape(b, n, dim)
        return self.out_proj(out)
