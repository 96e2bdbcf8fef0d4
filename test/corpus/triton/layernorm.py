"""LayerNorm / RMSNorm forward kernels for the inference path."""
import torch
import triton
import triton.language as tl


@triton.jit
def _layer_norm_fwd(X, Y, W, B, Mean, Rstd, stride, N, eps, BLOCK_N: tl.constexpr):
    # the whole row fits in one block: one read, statistics in registers
    row = tl.program_id(0)
    cols = tl.arange(0, BLOCK_N)
    mask = cols < N
    x = tl.load(X + row * stride + cols, mask=mask, other=0.0).to(tl.float32)
    mean = tl.sum(x, axis=0) / N
    xc = tl.where(mask, x - mean, 0.0)
    var = tl.sum(xc * xc, axis=0) / N
    rstd = 1.0 / tl.sqrt(var + eps)
    w = tl.load(W + cols, mask=mask)
    b = tl.load(B + cols, mask=mask)
    y = xc * rstd * w + b
    tl.store(Mean + row, mean)
    tl.store(Rstd + row, rstd)
    tl.store(Y + row * stride + cols, y.to(Y.dtype.element_ty), mask=mask)


@triton.jit
def _layer_norm_fwd_wide(X, Y, W, B, stride, N, eps, BLOCK_N: tl.constexpr):
    # rows wider than a block: mean sweep, variance sweep, output sweep
    row = tl.program_id(0)
    X += row * stride
    Y += row * stride
    acc = tl.zeros([BLOCK_N], dtype=tl.float32)
    for off in range(0, N, BLOCK_N):
        cols = off + tl.arange(0, BLOCK_N)
        acc += tl.load(X + cols, mask=cols < N, other=0.0).to(tl.float32)
    mean = tl.sum(acc, axis=0) / N
    acc = tl.zeros([BLOCK_N], dtype=tl.float32)
    for off in range(0, N, BLOCK_N):
        cols = off + tl.arange(0, BLOCK_N)
        x = tl.load(X + cols, mask=cols < N, other=0.0).to(tl.float32)
        x = tl.where(cols < N, x - mean, 0.0)
        acc += x * x
    rstd = 1.0 / tl.sqrt(tl.sum(acc, axis=0) / N + eps)
    for off in range(0, N, BLOCK_N):
        cols = off + tl.arange(0, BLOCK_N)
        mask = cols < N
        x = tl.load(X + cols, mask=mask, other=0.0).to(tl.float32)
        w = tl.load(W + cols, mask=mask)
        b = tl.load(B + cols, mask=mask)
        tl.store(Y + cols, ((x - mean) * rstd * w + b).to(Y.dtype.element_ty), mask=mask)


@triton.jit
def _rms_norm_fwd(X, Y, W, stride, N, eps, BLOCK_N: tl.constexpr):
    row = tl.program_id(0)
    cols = tl.arange(0, BLOCK_N)
    mask = cols < N
    x = tl.load(X + row * stride + cols, mask=mask, other=0.0).to(tl.float32)
    rms = tl.sqrt(tl.sum(x * x, axis=0) / N + eps)
    w = tl.load(W + cols, mask=mask).to(tl.float32)
    tl.store(Y + row * stride + cols, (x / rms * w).to(Y.dtype.element_ty), mask=mask)


def layer_norm(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, eps: float = 1e-5):
    x2d = x.reshape(-1, x.shape[-1])
    M, N = x2d.shape
    y = torch.empty_like(x2d)
    mean = torch.empty((M,), dtype=torch.float32, device=x.device)
    rstd = torch.empty((M,), dtype=torch.float32, device=x.device)
    MAX_FUSED = 65536 // x.element_size()
    BLOCK_N = min(MAX_FUSED, triton.next_power_of_2(N))
    if N <= BLOCK_N:
        num_warps = min(max(BLOCK_N // 256, 1), 8)
        _layer_norm_fwd[(M,)](x2d, y, weight, bias, mean, rstd, x2d.stride(0), N, eps,
                              BLOCK_N=BLOCK_N, num_warps=num_warps)
    else:
        _layer_norm_fwd_wide[(M,)](x2d, y, weight, bias, x2d.stride(0), N, eps,
                                   BLOCK_N=BLOCK_N, num_warps=8)
    return y.view_as(x), mean, rstd


def rms_norm(x: torch.Tensor, weight: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    x2d = x.reshape(-1, x.shape[-1])
    M, N = x2d.shape
    y = torch.empty_like(x2d)
    _rms_norm_fwd[(M,)](x2d, y, weight, x2d.stride(0), N, eps,
                        BLOCK_N=triton.next_power_of_2(N))
    return y.view_as(x)


def rms_norm_gated(x: torch.Tensor, weight: torch.Tensor, gate: torch.Tensor) -> torch.Tensor:
    """Gated RMSNorm of the SSM block: norm(x) * silu(gate)."""
    y = rms_norm(x, weight)
    return y * torch.nn.functional.silu(gate)


class LayerNorm(torch.nn.Module):
    def __init__(self, hidden: int, eps: float = 1e-5):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(hidden))
        self.bias = torch.nn.Parameter(torch.zeros(hidden))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y, _, _ = layer_norm(x, self.weight, self.bias, self.eps)
        return y
