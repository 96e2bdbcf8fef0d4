"""Row softmax kernels: a single-block version for short rows and looped
versions for vocab-sized rows."""
import torch
import triton
import triton.language as tl


@triton.jit
def _softmax_kernel(out_ptr, in_ptr, in_row_stride, out_row_stride, n_cols,
                    BLOCK_SIZE: tl.constexpr):
    row = tl.program_id(0)
    cols = tl.arange(0, BLOCK_SIZE)
    mask = cols < n_cols
    x = tl.load(in_ptr + row * in_row_stride + cols, mask=mask, other=-float("inf"))
    x = x.to(tl.float32)
    x = x - tl.max(x, axis=0)
    num = tl.exp(x)
    den = tl.sum(num, axis=0)
    tl.store(out_ptr + row * out_row_stride + cols, num / den, mask=mask)


@triton.jit
def _softmax_looped_kernel(out_ptr, in_ptr, row_stride, n_cols, BLOCK_SIZE: tl.constexpr):
    # three sweeps over the row: max, sum of exponentials, normalize
    row = tl.program_id(0)
    row_in = in_ptr + row * row_stride
    row_out = out_ptr + row * row_stride
    m = tl.full([BLOCK_SIZE], -float("inf"), tl.float32)
    for start in range(0, n_cols, BLOCK_SIZE):
        cols = start + tl.arange(0, BLOCK_SIZE)
        x = tl.load(row_in + cols, mask=cols < n_cols, other=-float("inf")).to(tl.float32)
        m = tl.maximum(m, x)
    row_max = tl.max(m, axis=0)
    s = tl.zeros([BLOCK_SIZE], tl.float32)
    for start in range(0, n_cols, BLOCK_SIZE):
        cols = start + tl.arange(0, BLOCK_SIZE)
        x = tl.load(row_in + cols, mask=cols < n_cols, other=-float("inf")).to(tl.float32)
        s += tl.exp(x - row_max)
    denom = tl.sum(s, axis=0)
    for start in range(0, n_cols, BLOCK_SIZE):
        cols = start + tl.arange(0, BLOCK_SIZE)
        mask = cols < n_cols
        x = tl.load(row_in + cols, mask=mask, other=-float("inf")).to(tl.float32)
        tl.store(row_out + cols, tl.exp(x - row_max) / denom, mask=mask)


@triton.jit
def _softmax_online_kernel(out_ptr, in_ptr, row_stride, n_cols, BLOCK_SIZE: tl.constexpr):
    # running max and rescaled running sum in one sweep, then the output sweep
    row = tl.program_id(0)
    row_in = in_ptr + row * row_stride
    row_out = out_ptr + row * row_stride
    m = tl.full([BLOCK_SIZE], -float("inf"), tl.float32)
    s = tl.zeros([BLOCK_SIZE], tl.float32)
    for start in range(0, n_cols, BLOCK_SIZE):
        cols = start + tl.arange(0, BLOCK_SIZE)
        x = tl.load(row_in + cols, mask=cols < n_cols, other=-float("inf")).to(tl.float32)
        m_new = tl.maximum(m, x)
        s = s * tl.exp(m - m_new) + tl.exp(x - m_new)
        m = m_new
    row_max = tl.max(m, axis=0)
    denom = tl.sum(s * tl.exp(m - row_max), axis=0)
    for start in range(0, n_cols, BLOCK_SIZE):
        cols = start + tl.arange(0, BLOCK_SIZE)
        mask = cols < n_cols
        x = tl.load(row_in + cols, mask=mask, other=-float("inf")).to(tl.float32)
        tl.store(row_out + cols, tl.exp(x - row_max) / denom, mask=mask)


@triton.jit
def _row_max_kernel(x_ptr, max_ptr, row_stride, n_cols, BLOCK_SIZE: tl.constexpr):
    row = tl.program_id(0)
    m = tl.full([BLOCK_SIZE], -float("inf"), tl.float32)
    for start in range(0, n_cols, BLOCK_SIZE):
        cols = start + tl.arange(0, BLOCK_SIZE)
        x = tl.load(x_ptr + row * row_stride + cols, mask=cols < n_cols, other=-float("inf"))
        m = tl.maximum(m, x.to(tl.float32))
    tl.store(max_ptr + row, tl.max(m, axis=0))


@triton.jit
def _row_sumexp_kernel(x_ptr, max_ptr, sum_ptr, row_stride, n_cols, BLOCK_SIZE: tl.constexpr):
    row = tl.program_id(0)
    row_max = tl.load(max_ptr + row)
    s = tl.zeros([BLOCK_SIZE], tl.float32)
    for start in range(0, n_cols, BLOCK_SIZE):
        cols = start + tl.arange(0, BLOCK_SIZE)
        x = tl.load(x_ptr + row * row_stride + cols, mask=cols < n_cols, other=-float("inf"))
        s += tl.exp(x.to(tl.float32) - row_max)
    tl.store(sum_ptr + row, tl.sum(s, axis=0))


@triton.jit
def _softmax_normalize_kernel(x_ptr, max_ptr, sum_ptr, out_ptr, row_stride, n_cols,
                              BLOCK_SIZE: tl.constexpr):
    row = tl.program_id(0)
    block = tl.program_id(1)
    cols = block * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = cols < n_cols
    row_max = tl.load(max_ptr + row)
    denom = tl.load(sum_ptr + row)
    x = tl.load(x_ptr + row * row_stride + cols, mask=mask, other=-float("inf")).to(tl.float32)
    tl.store(out_ptr + row * row_stride + cols, tl.exp(x - row_max) / denom, mask=mask)


def softmax(x: torch.Tensor) -> torch.Tensor:
    n_rows, n_cols = x.shape
    BLOCK_SIZE = triton.next_power_of_2(n_cols)
    num_warps = 4 if BLOCK_SIZE < 2048 else (8 if BLOCK_SIZE < 4096 else 16)
    y = torch.empty_like(x)
    _softmax_kernel[(n_rows,)](y, x, x.stride(0), y.stride(0), n_cols,
                               BLOCK_SIZE=BLOCK_SIZE, num_warps=num_warps)
    return y


def softmax_long_rows(x: torch.Tensor, online: bool = True) -> torch.Tensor:
    n_rows, n_cols = x.shape
    x = x.contiguous()
    y = torch.empty_like(x)
    kernel = _softmax_online_kernel if online else _softmax_looped_kernel
    kernel[(n_rows,)](y, x, x.stride(0), n_cols, BLOCK_SIZE=4096, num_warps=16)
    return y


def softmax_three_launch(x: torch.Tensor) -> torch.Tensor:
    """Vocab softmax split into statistics and normalization launches."""
    n_rows, n_cols = x.shape
    row_max = torch.empty(n_rows, device=x.device, dtype=torch.float32)
    row_sum = torch.empty(n_rows, device=x.device, dtype=torch.float32)
    y = torch.empty_like(x, dtype=torch.float32)
    BLOCK = 2048
    _row_max_kernel[(n_rows,)](x, row_max, x.stride(0), n_cols, BLOCK_SIZE=BLOCK)
    _row_sumexp_kernel[(n_rows,)](x, row_max, row_sum, x.stride(0), n_cols, BLOCK_SIZE=BLOCK)
    _softmax_normalize_kernel[(n_rows, triton.cdiv(n_cols, BLOCK))](
        x, row_max, row_sum, y, x.stride(0), n_cols, BLOCK_SIZE=BLOCK)
    return y


def masked_softmax(scores: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """Softmax over the last axis, then zero the dropped positions and rescale."""
    p = softmax(scores)
    p = p * keep
    p = p / 0.9
    return p


def softmax_topk(logits: torch.Tensor, k: int):
    """Top-k probabilities for sampling; top-k needs the whole normalized row."""
    probs = softmax(logits)
    top_p, top_i = torch.topk(probs, k, dim=-1)
    return top_p, top_i
