"""Optimizer step, loss and metric kernels, and the loops that drive them."""
import torch
import triton
import triton.language as tl


@triton.jit
def _sgd_momentum_kernel(p_ptr, g_ptr, buf_ptr, n, lr, momentum, weight_decay,
                         BLOCK: tl.constexpr):
    pid = tl.program_id(0)
    offs = pid * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    p = tl.load(p_ptr + offs, mask=mask)
    g = tl.load(g_ptr + offs, mask=mask)
    buf = tl.load(buf_ptr + offs, mask=mask)
    g = g + weight_decay * p
    buf = momentum * buf + g
    tl.store(buf_ptr + offs, buf, mask=mask)
    tl.store(p_ptr + offs, p - lr * buf, mask=mask)


@triton.jit
def _sq_norm_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    pid = tl.program_id(0)
    offs = pid * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offs, mask=offs < n, other=0.0).to(tl.float32)
    tl.atomic_add(out_ptr, tl.sum(x * x, axis=0))


@triton.jit
def _cross_entropy_fwd_kernel(logits_ptr, labels_ptr, loss_ptr, row_stride, n_cols,
                              BLOCK: tl.constexpr):
    row = tl.program_id(0)
    cols = tl.arange(0, BLOCK)
    mask = cols < n_cols
    logits = tl.load(logits_ptr + row * row_stride + cols, mask=mask, other=-float("inf")).to(tl.float32)
    label = tl.load(labels_ptr + row)
    m = tl.max(logits, axis=0)
    lse = m + tl.log(tl.sum(tl.exp(logits - m), axis=0))
    target = tl.load(logits_ptr + row * row_stride + label).to(tl.float32)
    tl.store(loss_ptr + row, lse - target)


def sgd_step(params, grads, bufs, lr, momentum=0.9, weight_decay=0.0):
    for p, g, b in zip(params, grads, bufs):
        n = p.numel()
        _sgd_momentum_kernel[(triton.cdiv(n, 4096),)](p, g, b, n, lr, momentum, weight_decay,
                                                     BLOCK=4096)


def cross_entropy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    n_rows, n_cols = logits.shape
    loss = torch.empty(n_rows, device=logits.device, dtype=torch.float32)
    _cross_entropy_fwd_kernel[(n_rows,)](logits, labels, loss, logits.stride(0), n_cols,
                                         BLOCK=triton.next_power_of_2(n_cols))
    return loss


def grad_norm(grads) -> torch.Tensor:
    total = torch.zeros(1, device=grads[0].device, dtype=torch.float32)
    for g in grads:
        n = g.numel()
        _sq_norm_kernel[(triton.cdiv(n, 2048),)](g, total, n, BLOCK=2048)
    return total.sqrt()


def train_epoch(model, loader, params, grads, bufs, lr, log):
    """Plain loop used by the small-model experiments."""
    for step, (x, y) in enumerate(loader):
        logits = model(x.cuda(non_blocking=True))
        loss = cross_entropy(logits, y.cuda(non_blocking=True)).mean()
        loss.backward()
        sgd_step(params, grads, bufs, lr)
        log.append(loss.item())
        if step % 100 == 0:
            print(f"step {step} loss {log[-1]:.4f} grad-norm {grad_norm(grads).item():.3f}")


def train_epoch_async(model, loader, params, grads, bufs, lr, log_every=100):
    """Same loop, losses kept on the device and read back once per log interval."""
    running = torch.zeros((), device="cuda")
    history = []
    for step, (x, y) in enumerate(loader):
        logits = model(x.cuda(non_blocking=True))
        loss = cross_entropy(logits, y.cuda(non_blocking=True)).mean()
        loss.backward()
        sgd_step(params, grads, bufs, lr)
        running += loss.detach()
        if (step + 1) % log_every == 0:
            history.append(running)
            running = torch.zeros((), device="cuda")
    return [float(v) / log_every for v in torch.stack(history).cpu()] if history else []


@torch.no_grad()
def evaluate(model, loader):
    """Per-batch losses for the eval report."""
    losses = []
    for x, y in loader:
        logits = model(x.cuda())
        loss = cross_entropy(logits, y.cuda())
        losses.append(loss.cpu())
    return torch.cat(losses).mean().item()


@torch.no_grad()
def evaluate_on_device(model, loader):
    total = torch.zeros((), device="cuda", dtype=torch.float64)
    count = 0
    for x, y in loader:
        loss = cross_entropy(model(x.cuda()), y.cuda())
        total += loss.sum(dtype=torch.float64)
        count += loss.numel()
    return (total / count).item()


def clip_grad_norm_(grads, max_norm: float) -> float:
    norm = grad_norm(grads)
    clip = torch.clamp(max_norm / (norm + 1e-6), max=1.0)
    for g in grads:
        g.mul_(clip)
    return norm.item()

