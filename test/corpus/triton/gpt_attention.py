"""Causal self-attention for the small GPT used in the evaluation harness."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
import triton


class CausalSelfAttention(nn.Module):
    def __init__(self, n_embd: int, n_head: int, block_size: int, use_flash: bool = True):
        super().__init__()
        self.c_attn = nn.Linear(n_embd, 3 * n_embd)
        self.c_proj = nn.Linear(n_embd, n_embd)
        self.n_head = n_head
        self.use_flash = use_flash
        mask = torch.tril(torch.ones(block_size, block_size)).view(1, 1, block_size, block_size)
        self.register_buffer("bias", mask)

    def _heads(self, x: torch.Tensor):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(C, dim=2)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        return q, k, v

    def forward_eager(self, x: torch.Tensor) -> torch.Tensor:
        B, T, C = x.size()
        q, k, v = self._heads(x)
        att = torch.matmul(q, k.transpose(-2, -1))
        att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float("-inf"))
        att = F.softmax(att / math.sqrt(k.size(-1)), dim=-1)
        y = torch.matmul(att, v)
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.c_proj(y)

    def forward_flash(self, x: torch.Tensor) -> torch.Tensor:
        B, T, C = x.size()
        q, k, v = self._heads(x)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.c_proj(y)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_flash(x) if self.use_flash else self.forward_eager(x)


def attention_maps(q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """Attention probabilities for the visualization notebook (they are the output)."""
    att = torch.matmul(q, k.transpose(-2, -1))
    T = q.size(-2)
    causal = torch.ones(T, T, device=q.device, dtype=torch.bool).tril()
    att = att.masked_fill(~causal, float("-inf"))
    return F.softmax(att, dim=-1)


def grouped_query_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, groups: int) -> torch.Tensor:
    """GQA for the 1B config: K/V heads are shared by `groups` query heads."""
    k = k.repeat_interleave(groups, dim=1)
    v = v.repeat_interleave(groups, dim=1)
    scores = torch.einsum("bhqd,bhkd->bhqk", q, k)
    probs = torch.softmax(scores.float() * q.shape[-1] ** -0.5, dim=-1).to(q.dtype)
    return torch.einsum("bhqk,bhkd->bhqd", probs, v)
