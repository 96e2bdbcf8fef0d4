"""Elementwise and simple reduction kernels used by the training utilities."""
import math

import torch
import triton
import triton.language as tl


@triton.jit
def _add_kernel(x_ptr, y_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    pid = tl.program_id(axis=0)
    offsets = pid * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    x = tl.load(x_ptr + offsets, mask=mask)
    y = tl.load(y_ptr + offsets, mask=mask)
    tl.store(out_ptr + offsets, x + y, mask=mask)


@triton.jit
def _gelu_kernel(x_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    pid = tl.program_id(axis=0)
    offsets = pid * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    x = tl.load(x_ptr + offsets, mask=mask, other=0.0).to(tl.float32)
    # tanh approximation, written with exp so it lowers on every backend
    inner = 0.7978845608028654 * (x + 0.044715 * x * x * x)
    t = 2.0 / (1.0 + tl.exp(-2.0 * inner)) - 1.0
    y = 0.5 * x * (1.0 + t)
    tl.store(out_ptr + offsets, y.to(out_ptr.dtype.element_ty), mask=mask)


@triton.jit
def _bias_gelu_kernel(x_ptr, bias_ptr, out_ptr, n_rows, n_cols,
                      stride_row, BLOCK_N: tl.constexpr):
    row = tl.program_id(0)
    cols = tl.arange(0, BLOCK_N)
    mask = cols < n_cols
    x = tl.load(x_ptr + row * stride_row + cols, mask=mask, other=0.0).to(tl.float32)
    b = tl.load(bias_ptr + cols, mask=mask, other=0.0).to(tl.float32)
    x = x + b
    inner = 0.7978845608028654 * (x + 0.044715 * x * x * x)
    t = 2.0 / (1.0 + tl.exp(-2.0 * inner)) - 1.0
    y = 0.5 * x * (1.0 + t)
    tl.store(out_ptr + row * stride_row + cols, y.to(out_ptr.dtype.element_ty), mask=mask)


def add(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    assert x.is_cuda and x.shape == y.shape
    out = torch.empty_like(x)
    n = out.numel()
    grid = lambda meta: (triton.cdiv(n, meta["BLOCK_SIZE"]),)
    _add_kernel[grid](x, y, out, n, BLOCK_SIZE=1024)
    return out


def gelu(x: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(x)
    n = x.numel()
    _gelu_kernel[(triton.cdiv(n, 1024),)](x, out, n, BLOCK_SIZE=1024)
    return out


def residual_gelu(x: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
    """gelu(x + residual) as two launches through a temporary."""
    h = torch.empty_like(x)
    n = x.numel()
    grid = (triton.cdiv(n, 1024),)
    _add_kernel[grid](x, residual, h, n, BLOCK_SIZE=1024)
    out = torch.empty_like(x)
    _gelu_kernel[grid](h, out, n, BLOCK_SIZE=1024)
    return out


def bias_gelu(x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    n_rows, n_cols = x.shape
    out = torch.empty_like(x)
    BLOCK_N = triton.next_power_of_2(n_cols)
    _bias_gelu_kernel[(n_rows,)](x, bias, out, n_rows, n_cols, x.stride(0), BLOCK_N=BLOCK_N)
    return out


def scaled_residual(x: torch.Tensor, y: torch.Tensor, alpha: float) -> torch.Tensor:
    out = add(x, y)
    out = out * alpha
    return out


def gelu_half(x: torch.Tensor) -> torch.Tensor:
    """GELU in fp32 storage, handed to the fp16 decoder."""
    out = gelu(x.float())
    return out.to(torch.float16)


@triton.jit
def _scale_one_kernel(x_ptr, out_ptr, scale):
    # one program per element
    idx = tl.program_id(0)
    x = tl.load(x_ptr + idx)
    tl.store(out_ptr + idx, x * scale)


def scale(x: torch.Tensor, s: float) -> torch.Tensor:
    out = torch.empty_like(x)
    _scale_one_kernel[(x.numel(),)](x, out, s)
    return out


@triton.jit
def _column_sum_kernel(x_ptr, out_ptr, n_rows, n_cols, stride_row,
                       BLOCK_M: tl.constexpr):
    # one program per column, walking down the rows
    col = tl.program_id(0)
    acc = tl.zeros([BLOCK_M], dtype=tl.float32)
    for start in range(0, n_rows, BLOCK_M):
        rows = start + tl.arange(0, BLOCK_M)
        x = tl.load(x_ptr + rows * stride_row + col, mask=rows < n_rows, other=0.0)
        acc += x.to(tl.float32)
    tl.store(out_ptr + col, tl.sum(acc, axis=0))


@triton.jit
def _column_sum_tiled_kernel(x_ptr, out_ptr, n_rows, n_cols, stride_row,
                             BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr):
    # one program per strip of BLOCK_N adjacent columns
    pid = tl.program_id(0)
    cols = pid * BLOCK_N + tl.arange(0, BLOCK_N)
    col_mask = cols < n_cols
    acc = tl.zeros([BLOCK_M, BLOCK_N], dtype=tl.float32)
    for start in range(0, n_rows, BLOCK_M):
        rows = start + tl.arange(0, BLOCK_M)
        ptrs = x_ptr + rows[:, None] * stride_row + cols[None, :]
        mask = (rows[:, None] < n_rows) & col_mask[None, :]
        acc += tl.load(ptrs, mask=mask, other=0.0).to(tl.float32)
    tl.store(out_ptr + cols, tl.sum(acc, axis=0), mask=col_mask)


def column_sum(x: torch.Tensor, tiled: bool = True) -> torch.Tensor:
    n_rows, n_cols = x.shape
    out = torch.empty(n_cols, device=x.device, dtype=torch.float32)
    if tiled:
        BLOCK_N = 64
        _column_sum_tiled_kernel[(triton.cdiv(n_cols, BLOCK_N),)](
            x, out, n_rows, n_cols, x.stride(0), BLOCK_M=32, BLOCK_N=BLOCK_N)
    else:
        _column_sum_kernel[(n_cols,)](x, out, n_rows, n_cols, x.stride(0), BLOCK_M=256)
    return out


def _silu_body(x_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    pid = tl.program_id(0)
    offs = pid * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offs < n_elements
    x = tl.load(x_ptr + offs, mask=mask, other=0.0).to(tl.float32)
    y = x / (1.0 + tl.exp(-x))
    tl.store(out_ptr + offs, y.to(out_ptr.dtype.element_ty), mask=mask)


silu_kernel = triton.jit(_silu_body)


def swiglu(gate: torch.Tensor, up: torch.Tensor) -> torch.Tensor:
    """silu(gate) * up, the MLP activation of the decoder block."""
    act = torch.empty_like(gate)
    n = gate.numel()
    silu_kernel[(triton.cdiv(n, 2048),)](gate, act, n, BLOCK_SIZE=2048)
    return act * up


def gelu_inplace_stats(x: torch.Tensor):
    """GELU, then statistics of the activations for the monitor."""
    y = gelu(x)
    hist = torch.histc(y, bins=64, min=-4.0, max=4.0)
    sorted_vals, _ = torch.sort(y.flatten())
    median = sorted_vals[sorted_vals.numel() // 2]
    return y, hist, median


def init_scale(fan_in: int) -> float:
    return 1.0 / math.sqrt(fan_in)


class AddReLU(torch.autograd.Function):
    """relu(x + y) for the residual branch."""

    @staticmethod
    def forward(ctx, x, y):
        c = add(x, y)
        c = torch.relu(c)
        ctx.save_for_backward(c)
        return c

    @staticmethod
    def backward(ctx, grad_out):
        (c,) = ctx.saved_tensors
        g = grad_out * (c > 0).to(grad_out.dtype)
        return g, g


def gelu_of_sum(x: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
    """gelu(x + residual) written with the op helpers: two launches, the sum through memory."""
    return gelu(add(x, residual))
