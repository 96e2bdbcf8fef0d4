"""Scale a tensor with a Triton kernel, then add a bias and apply ReLU in PyTorch.

Kernel Advisor (fusion/elementwise-chain) points at `torch.relu(y + bias)`: the kernel
writes `y` to global memory only for PyTorch to read it straight back, twice, in two
more elementwise kernels. Doing the bias add and the ReLU inside `scale_kernel`, before
its `tl.store`, removes the round trip and two launches.
"""
import torch
import triton
import triton.language as tl


@triton.jit
def scale_kernel(x_ptr, y_ptr, alpha, n_elements, BLOCK_SIZE: tl.constexpr):
    pid = tl.program_id(axis=0)
    offsets = pid * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    x = tl.load(x_ptr + offsets, mask=mask)
    tl.store(y_ptr + offsets, x * alpha, mask=mask)


def scale_bias_relu(x: torch.Tensor, bias: torch.Tensor, alpha: float) -> torch.Tensor:
    y = torch.empty_like(x)
    n_elements = x.numel()
    grid = lambda meta: (triton.cdiv(n_elements, meta["BLOCK_SIZE"]),)
    scale_kernel[grid](x, y, alpha, n_elements, BLOCK_SIZE=1024)
    return torch.relu(y + bias)


if __name__ == "__main__":
    x = torch.randn(1 << 24, device="cuda")
    bias = torch.randn(1 << 24, device="cuda")
    out = scale_bias_relu(x, bias, 0.5)
    torch.testing.assert_close(out, torch.relu(x * 0.5 + bias))
