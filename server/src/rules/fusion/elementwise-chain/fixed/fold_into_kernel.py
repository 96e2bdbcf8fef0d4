# A Triton kernel's output goes straight through PyTorch elementwise ops on the host: each
# op is one more pass over the tensor. The ops have direct `tl` equivalents and their other
# operands are Python scalars or the kernel's own inputs, so the fix folds them into a copy
# of the kernel just before its `tl.store`.
import torch
import triton
import triton.language as tl


@triton.jit
def bias_add_kernel(x_ptr, b_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    x = tl.load(x_ptr + offs, mask=m)
    b = tl.load(b_ptr + offs, mask=m)
    tl.store(out_ptr + offs, x + b, mask=m)


@triton.jit
def bias_relu_scaled_kernel(x_ptr, b_ptr, out_ptr, n, BLOCK: tl.constexpr, alpha):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    x = tl.load(x_ptr + offs, mask=m)
    b = tl.load(b_ptr + offs, mask=m)
    # torch.relu(out) * alpha, from bias_relu_scaled, folded in before the store
    out_val = x + b
    out_val = tl.maximum(out_val, 0.0) * alpha
    tl.store(out_ptr + offs, out_val, mask=m)


def bias_relu_scaled(x: torch.Tensor, b: torch.Tensor, alpha: float) -> torch.Tensor:
    out = torch.empty_like(x)
    n = x.numel()
    bias_relu_scaled_kernel[(triton.cdiv(n, 1024),)](x, b, out, n, BLOCK=1024, alpha=alpha)
    return out
#          ^^^^^^^^^^^^^^^^^^^^^^^ fusion/elementwise-chain


@triton.jit
def bias_sigmoid_kernel(x_ptr, b_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    x = tl.load(x_ptr + offs, mask=m)
    b = tl.load(b_ptr + offs, mask=m)
    # out.sigmoid_(), from bias_sigmoid_, folded in before the store
    out_val = x + b
    out_val = tl.sigmoid(out_val)
    tl.store(out_ptr + offs, out_val, mask=m)


def bias_sigmoid_(x: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(x)
    n = x.numel()
    bias_sigmoid_kernel[(triton.cdiv(n, 1024),)](x, b, out, n, BLOCK=1024)
#   ^^^^^^^^^^^^^^ fusion/elementwise-chain
    return out


@triton.jit
def bias_silu_residual_kernel(x_ptr, b_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    x = tl.load(x_ptr + offs, mask=m)
    b = tl.load(b_ptr + offs, mask=m)
    # torch.nn.functional.silu(out) + x, from bias_silu_residual, folded in before the store
    out_val = x + b
    out_val = out_val * tl.sigmoid(out_val) + x
    tl.store(out_ptr + offs, out_val, mask=m)


def bias_silu_residual(x: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(x)
    n = x.numel()
    bias_silu_residual_kernel[(triton.cdiv(n, 1024),)](x, b, out, n, BLOCK=1024)
    h = out
#       ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ fusion/elementwise-chain
    return h
