// Chains that span the files of a project, checked as `kernel-advisor check DIR` does: an eager
// attention chain whose softmax is another file's Triton launch wrapper is one chain, one finding.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../server/src/core/engine';
import { DEFAULT_CONFIG } from '../server/src/core/config';
import { runCheck } from '../server/src/cli';

let engine: Engine;
before(async () => {
  engine = await Engine.create();
});

const SOFTMAX = `import torch
import triton
import triton.language as tl


@triton.jit
def softmax_kernel_inner(output_ptr, input_ptr, M, N, TILE_N: tl.constexpr):
    pid_m = tl.program_id(0)
    n_offsets = tl.arange(0, TILE_N)
    offset = pid_m * N + n_offsets
    mask = n_offsets < N
    inp = tl.load(input_ptr + offset, mask=mask, other=-float("inf")).to(tl.float32)
    m = tl.max(inp, 0)
    e = tl.exp(inp - m)
    z = tl.sum(e, 0)
    tl.store(output_ptr + offset, e / z, mask=mask)


def softmax(x, dim=-1):
    N = x.shape[-1]
    M = x.numel() // N
    out = torch.empty_like(x)
    softmax_kernel_inner[(M,)](out, x, M, N, TILE_N=triton.next_power_of_2(N))
    return out
`;

const SDPA = `import math

import torch

from .softmax import softmax


def sdpa_math(query, key, value, scale=None):
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = torch.bmm(query, key.transpose(1, 2))
    scores.mul_(scale)
    probs = softmax(scores, dim=-1)
    return torch.bmm(probs, value)
`;

test('an eager attention chain through another file\'s softmax launcher is reported once', () => {
  const root = mkdtempSync(join(tmpdir(), 'ka-chains-'));
  writeFileSync(join(root, 'softmax.py'), SOFTMAX);
  writeFileSync(join(root, 'sdpa_math.py'), SDPA);
  const fresh = new Engine(engine.parsers, engine.knowledge);
  fresh.setWorkspace([root]);
  const report = runCheck(fresh, [root], DEFAULT_CONFIG);
  const attention = report.findings.filter((f) => f.rule === 'fusion/attention');
  assert.equal(attention.length, 1, attention.map((f) => f.message).join('\n'));
  assert.equal(attention[0].function, 'sdpa_math');
});

const POINTWISE_OPS = `import torch
import triton
import triton.language as tl

from .codegen import pointwise_dynamic


@pointwise_dynamic(promotion_methods=[(0, 1, "DEFAULT")])
@triton.jit
def mul_func(x, y):
    return x * y


@pointwise_dynamic(promotion_methods=[(0, "DEFAULT")])
@triton.jit
def gelu_tanh(x):
    return 0.5 * x * (1 + tl.math.tanh(x * 0.79788456 * (1 + 0.044715 * x * x)))


def mul(A, B):
    return mul_func(A, B)


def gelu(A):
    return gelu_tanh(A)
`;

const COMPOSITE = `import torch

from .pointwise import gelu, mul


def gelu_and_mul(a, b):
    return mul(gelu(a), b)


def gelu_then_sum(a):
    return torch.sum(gelu(a))
`;

test('an op module\'s functions over generated pointwise kernels chain where another module composes them', () => {
  const root = mkdtempSync(join(tmpdir(), 'ka-pointwise-'));
  writeFileSync(join(root, 'pointwise.py'), POINTWISE_OPS);
  writeFileSync(join(root, 'composite.py'), COMPOSITE);
  const fresh = new Engine(engine.parsers, engine.knowledge);
  fresh.setWorkspace([root]);
  const report = runCheck(fresh, [root], DEFAULT_CONFIG);
  const chains = report.findings.filter((f) => f.rule === 'fusion/elementwise-chain' && f.file.endsWith('composite.py'));
  assert.deepEqual(chains.map((f) => f.function), ['gelu_and_mul'], chains.map((f) => f.message).join('\n'));
});
