// The CLI's two passes (Engine.indexText, then analyzeText): the second reuses the first's
// facts and, for the first files, its trees; the findings and fixes are those of a file
// analysed alone, and every kept tree is freed whichever way the second pass goes.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '../server/src/core/engine';
import { DEFAULT_CONFIG } from '../server/src/core/config';
import { generateCuda } from './bench/generate';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let engine: Engine;
before(async () => {
  engine = await Engine.create(['cuda']);
});

const kept = (e: Engine) => (e as unknown as { keptTreeChars: number }).keptTreeChars;
const summary = (r: ReturnType<Engine['analyzeText']>) => r.findings.map((f) => `${f.rule} ${f.range.start.line}:${f.range.start.column} ${f.fixes.length} ${f.fixes.map((x) => x.title).join('|')}`);

test('indexed files keep their trees for the second pass, with the findings and fixes of a file read alone', async () => {
  const alone = await Engine.create(['cuda']);
  const files = [0, 1, 2].map((i) => ({ path: `/tmp/ka-index/k${i}.cu`, text: generateCuda(300, 40 + i).text }));
  for (const f of files) engine.indexText(f.path, f.text);
  assert.equal(kept(engine), files.reduce((n, f) => n + f.text.length, 0), 'every tree kept');
  for (const f of files) {
    const got = engine.analyzeText(f.path, f.text);
    const want = alone.analyzeText(f.path, f.text);
    assert.ok(got.findings.some((x) => x.fixes.length), 'some finding has a fix');
    assert.deepEqual(summary(got), summary(want));
  }
  assert.equal(kept(engine), 0, 'every kept tree was used and freed');
});

test('a kept tree is freed when the second pass finds another text, another language or none', () => {
  const text = generateCuda(200, 7).text;
  engine.indexText('/tmp/ka-index/a.cu', text);
  engine.indexText('/tmp/ka-index/b.cu', text);
  engine.indexText('/tmp/ka-index/c.cu', text);
  assert.equal(kept(engine), 3 * text.length);
  engine.analyzeText('/tmp/ka-index/a.cu', text + '\n// changed\n', DEFAULT_CONFIG);
  engine.analyzeText('/tmp/ka-index/b.cu', text, { ...DEFAULT_CONFIG, maxFileSizeKb: 1 }); // skipped: over the size limit
  engine.indexText('/tmp/ka-index/c.cu', text); // indexed again: the old tree goes
  assert.equal(kept(engine), text.length);
  engine.analyzeText('/tmp/ka-index/c.cu', text, DEFAULT_CONFIG, undefined, undefined, { fixes: false });
  assert.equal(kept(engine), 0);
});

test('a function another file calls with an expected-results argument is a reference: the CPU rules leave it alone', async () => {
  const naive = `void matmul_naive(const float *A, const float *B, float *C, int m, int n, int k) {
  for (int i = 0; i < m; i++)
    for (int j = 0; j < n; j++)
      for (int p = 0; p < k; p++) C[j * m + i] += A[p * m + i] * B[j * k + p];
}
`;
  const driver = `void matmul_naive(const float *A, const float *B, float *C, int m, int n, int k);
int main() {
  float *A = 0, *B = 0, *C = 0, *C_ref = 0;
  matmul_naive(A, B, C_ref, 512, 512, 512);
  return 0;
}
`;
  const cpu = await Engine.create(['cpp']);
  const cpuRules = (r: ReturnType<Engine['analyzeText']>) => r.findings.filter((f) => /cpu-|uncoalesced/.test(f.rule)).map((f) => f.rule);
  assert.ok(cpuRules(cpu.analyzeText('/tmp/ka-ref/naive.c', naive)).length > 0, 'read alone, the naive product is reported');
  const withDriver = await Engine.create(['cpp']);
  withDriver.indexReferences('/tmp/ka-ref/test.c', driver);
  assert.deepEqual(cpuRules(withDriver.analyzeText('/tmp/ka-ref/naive.c', naive)), []);
});

test('a Triton launch wrapper imported from another module of the project is device work: reading back in its loop is a sync', async () => {
  const ops = `import torch
import triton
import triton.language as tl


@triton.jit
def quant_kernel(x_ptr, amax_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offs, mask=offs < n, other=0.0)
    tl.store(amax_ptr + tl.program_id(0), tl.max(tl.abs(x), axis=0))


def quantize(x, block=256):
    n = x.numel()
    amax = torch.empty(triton.cdiv(n, block), device=x.device)
    quant_kernel[(triton.cdiv(n, block),)](x, amax, n, BLOCK=block)
    return amax
`;
  const bench = `import torch
import triton
from ops import quantize


def bench(x, iters=100):
    seen = []
    for _ in range(iters):
        amax = quantize(x)
        seen.append(amax.max().item())
    return seen
`;
  const py = await Engine.create(['python']);
  const syncs = (e: Engine) => e.analyzeText('/tmp/ka-index/py/bench.py', bench).findings.filter((f) => f.rule === 'overlap/sync-transfer');
  assert.equal(syncs(py).length, 0, 'alone, `quantize` is an unknown call');
  py.indexText('/tmp/ka-index/py/ops.py', ops);
  py.indexText('/tmp/ka-index/py/bench.py', bench);
  assert.deepEqual(syncs(py).map((f) => f.range.start.line), [9]);
  // a library's function of the same name as a project launcher (`np.quantize`, `torch.quantize`) launches nothing of ours
  const numpy = bench.replace('from ops import quantize', 'import numpy as np').replace('amax = quantize(x)', 'amax = np.quantize(x)');
  py.indexText('/tmp/ka-index/py/bench.py', numpy);
  assert.equal(py.analyzeText('/tmp/ka-index/py/bench.py', numpy).findings.filter((f) => f.rule === 'overlap/sync-transfer').length, 0);
});

test('launch helpers imported from other modules of the project chain: `mul(silu(gate), up)` re-reads what `silu` wrote', async () => {
  const unary = (name: string, body: string) => `import torch
import triton
import triton.language as tl


@triton.jit
def ${name}_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    tl.store(y_ptr + offs, ${body}, mask=mask)


def ${name}(x):
    y = torch.empty_like(x)
    ${name}_kernel[(triton.cdiv(x.numel(), 1024),)](x, y, x.numel(), BLOCK=1024)
    return y
`;
  const mul = `import torch
import triton
import triton.language as tl


@triton.jit
def mul_kernel(a_ptr, b_ptr, o_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(o_ptr + offs, tl.load(a_ptr + offs, mask=mask) * tl.load(b_ptr + offs, mask=mask), mask=mask)


def mul(a, b):
    o = torch.empty_like(a)
    mul_kernel[(triton.cdiv(a.numel(), 1024),)](a, b, o, a.numel(), BLOCK=1024)
    return o
`;
  const mlp = `import torch
from ops.silu import silu
from ops.mul import mul


def swiglu(gate, up):
    return mul(silu(gate), up)
`;
  const chains = (e: Engine) => e.analyzeText('/tmp/ka-index/xmod/mlp.py', mlp).findings.filter((f) => f.rule === 'fusion/elementwise-chain').map((f) => f.range.start.line);
  const py = await Engine.create(['python']);
  assert.deepEqual(chains(py), [], 'alone, `silu` and `mul` are unknown calls');
  py.indexText('/tmp/ka-index/xmod/ops/silu.py', unary('silu', 'x / (1.0 + tl.exp(-x))'));
  py.indexText('/tmp/ka-index/xmod/ops/mul.py', mul);
  py.indexText('/tmp/ka-index/xmod/mlp.py', mlp);
  assert.deepEqual(chains(py), [6]);
  // two modules defining `silu` differently: which one the import means is not read, so no chain is claimed
  py.indexText('/tmp/ka-index/xmod/ops/silu_fast.py', unary('silu', 'x * tl.sigmoid(x)'));
  assert.deepEqual(chains(py), []);
});

test('a Triton kernel imported from another module and launched here: the elementwise op after it re-reads its output', async () => {
  const kernel = `import triton
import triton.language as tl


@triton.jit
def silu_kernel(X, Y, N, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < N
    x = tl.load(X + offs, mask=m).to(tl.float32)
    tl.store(Y + offs, x / (1.0 + tl.exp(-x)), mask=m)
`;
  const host = `import torch
import triton
from kern import silu_kernel


def swiglu(gate, up):
    act = torch.empty_like(gate)
    n = gate.numel()
    silu_kernel[(triton.cdiv(n, 1024),)](gate, act, n, BLOCK=1024)
    return act * up


def silu_total(gate):
    act = torch.empty_like(gate)
    n = gate.numel()
    silu_kernel[(triton.cdiv(n, 1024),)](gate, act, n, BLOCK=1024)
    return act.sum()
`;
  const chains = (e: Engine) => e.analyzeText('/tmp/ka-index/ximport/host.py', host).findings.filter((f) => f.rule === 'fusion/elementwise-chain').map((f) => f.range.start.line);
  const py = await Engine.create(['python']);
  assert.deepEqual(chains(py), [], 'alone, what `silu_kernel` writes is unknown');
  py.indexText('/tmp/ka-index/ximport/kern.py', kernel);
  py.indexText('/tmp/ka-index/ximport/host.py', host);
  assert.deepEqual(chains(py), [9], '`act * up` is a second pass; a sum of it is a reduction, no elementwise op');
});

test('an imported launch helper launches the kernel of its own module, though every one-op module names its kernel `_kernel`', async () => {
  const module = (helper: string, store: string, ret: string) => `import torch
import triton
import triton.language as tl


@triton.jit
def _kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    tl.store(${store} + offs, x * tl.sigmoid(x), mask=mask)


def ${helper}(x):
    y = torch.empty_like(x)
    _kernel[(triton.cdiv(x.numel(), 1024),)](x, y, x.numel(), BLOCK=1024)
    return ${ret}
`;
  const mlp = `import torch
from ops.b_silu import silu


def swiglu(gate, up):
    h = silu(gate)
    out = h * up
    return out
`;
  const py = await Engine.create(['python']);
  // indexed first: an in-place op whose `_kernel` stores into its input, not the tensor `silu` returns
  py.indexText('/tmp/ka-index/clash/ops/a_inplace.py', module('silu_', 'x_ptr', 'x'));
  py.indexText('/tmp/ka-index/clash/ops/b_silu.py', module('silu', 'y_ptr', 'y'));
  py.indexText('/tmp/ka-index/clash/mlp.py', mlp);
  const chains = py.analyzeText('/tmp/ka-index/clash/mlp.py', mlp).findings.filter((f) => f.rule === 'fusion/elementwise-chain');
  assert.deepEqual(chains.map((f) => f.range.start.line), [6]);
});

test('a GEMM launch helper imported from another module of the project: the bias added to its output is a separate pass', async () => {
  const mm = `import torch
import triton
import triton.language as tl


@triton.jit
def _kernel(a_ptr, b_ptr, c_ptr, M, N, K, sam, sak, sbk, sbn, scm, scn, BM: tl.constexpr, BN: tl.constexpr, BK: tl.constexpr):
    rm = tl.program_id(0) * BM + tl.arange(0, BM)
    rn = tl.program_id(1) * BN + tl.arange(0, BN)
    rk = tl.arange(0, BK)
    acc = tl.zeros([BM, BN], dtype=tl.float32)
    for k0 in range(0, K, BK):
        a = tl.load(a_ptr + rm[:, None] * sam + (k0 + rk)[None, :] * sak)
        b = tl.load(b_ptr + (k0 + rk)[:, None] * sbk + rn[None, :] * sbn)
        acc = tl.dot(a, b, acc)
    tl.store(c_ptr + rm[:, None] * scm + rn[None, :] * scn, acc)


def matmul(a, b):
    M, K = a.shape
    _, N = b.shape
    c = torch.empty((M, N), device=a.device, dtype=a.dtype)
    _kernel[(triton.cdiv(M, 64), triton.cdiv(N, 64))](a, b, c, M, N, K, a.stride(0), a.stride(1), b.stride(0), b.stride(1), c.stride(0), c.stride(1), BM=64, BN=64, BK=32)
    return c
`;
  const layer = `import torch
from kernels.mm import matmul


def linear(x, w, bias):
    out = matmul(x, w.t())
    return out + bias
`;
  const epilogues = (e: Engine) => e.analyzeText('/tmp/ka-index/gemm/layers.py', layer).findings.filter((f) => f.rule === 'fusion/gemm-epilogue').map((f) => f.range.start.line);
  const py = await Engine.create(['python']);
  assert.deepEqual(epilogues(py), [], 'alone, `matmul` is an unknown call');
  py.indexText('/tmp/ka-index/gemm/kernels/mm.py', mm);
  py.indexText('/tmp/ka-index/gemm/layers.py', layer);
  assert.deepEqual(epilogues(py), [6]);
});

test('a call resolves to the definition other files can call, not to another file\'s `static` function of that name', async () => {
  const decode = `__global__ void matvec_q4(float *out, const float *x, const unsigned *w, int k, int n) {
  int row = blockIdx.x * blockDim.y + threadIdx.y;
  if (row >= n) return;
  float s = 0.0f;
  for (int j = threadIdx.x; j < k / 8; j += 32) s += (float)(w[row * (k / 8) + j] & 15u) * x[j * 8];
  if (threadIdx.x == 0) out[row] = s;
}
static void matmul(float *out, const float *x, const unsigned *w, int k, int n) {
  matvec_q4<<<(n + 3) / 4, dim3(32, 4)>>>(out, x, w, k, n);
}
`;
  const gemm = `__global__ void gemm_naive(const float *A, const float *B, float *C, int M, int K, int N) {
  int row = blockIdx.y * blockDim.y + threadIdx.y, col = blockIdx.x * blockDim.x + threadIdx.x;
  if (row >= M || col >= N) return;
  float acc = 0.0f;
  for (int k = 0; k < K; ++k) acc += A[row * K + k] * B[k * N + col];
  C[row * N + col] = acc;
}
void matmul(const float *A, const float *B, float *C, int M, int K, int N) {
  gemm_naive<<<dim3((N + 15) / 16, (M + 15) / 16), dim3(16, 16)>>>(A, B, C, M, K, N);
}
`;
  const mlp = `void matmul(const float *A, const float *B, float *C, int M, int K, int N);
__global__ void add_bias(float *z, const float *b, int rows, int cols) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < rows * cols) z[i] += b[i % cols];
}
void linear_forward(const float *x, const float *W, const float *b, float *z, int B, int in, int out) {
  matmul(x, W, z, B, in, out);
  add_bias<<<(B * out + 255) / 256, 256>>>(z, b, B, out);
}
`;
  const e = await Engine.create(['cuda']);
  // (indexed first, as a directory walk in name order would)
  e.indexText('/tmp/ka-static/decode.cu', decode);
  e.indexText('/tmp/ka-static/gemm.cu', gemm);
  e.indexText('/tmp/ka-static/mlp.cu', mlp);
  const epilogues = e.analyzeText('/tmp/ka-static/mlp.cu', mlp).findings.filter((f) => f.rule === 'fusion/gemm-epilogue');
  assert.deepEqual(epilogues.map((f) => f.range.start.line), [7]);
});

test('a GEMM wrapper in another file is a wrapper however many descriptor, layout and error-check calls surround its cuBLASLt call: an attention chain through it is seen', async () => {
  const check = (call: string) => `  if (${call} != CUBLAS_STATUS_SUCCESS) { printf("cublas error\\n"); exit(1); }\n`;
  const matmul = `#include <cublasLt.h>
extern cublasLtHandle_t lt;
void gemm_lt(float *d, const float *a, const float *b, int m, int n, int k, int batch, long sa, long sb, long sd) {
  cublasLtMatmulDesc_t desc;
  cublasLtMatrixLayout_t A, B, D;
${check('cublasLtMatmulDescCreate(&desc, CUBLAS_COMPUTE_32F, CUDA_R_32F)')}${check('cublasLtMatrixLayoutCreate(&A, CUDA_R_32F, k, m, k)')}${check('cublasLtMatrixLayoutCreate(&B, CUDA_R_32F, k, n, k)')}${check('cublasLtMatrixLayoutCreate(&D, CUDA_R_32F, m, n, m)')}${check('cublasLtMatrixLayoutSetAttribute(A, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &batch, sizeof(batch))')}${check('cublasLtMatrixLayoutSetAttribute(B, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &batch, sizeof(batch))')}  const float one = 1.0f, zero = 0.0f;
${check('cublasLtMatmul(lt, desc, &one, a, A, b, B, &zero, d, D, d, D, NULL, NULL, 0, 0)')}${check('cublasLtMatrixLayoutDestroy(A)')}${check('cublasLtMatrixLayoutDestroy(B)')}${check('cublasLtMatrixLayoutDestroy(D)')}${check('cublasLtMatmulDescDestroy(desc)')}}
`;
  const attention = `void gemm_lt(float *d, const float *a, const float *b, int m, int n, int k, int batch, long sa, long sb, long sd);
__global__ void softmax_rows(float *att, const float *pre, int T) {
  const int row = blockIdx.x;
  float m = -1e30f, s = 0.0f;
  for (int i = threadIdx.x; i < T; i += blockDim.x) m = fmaxf(m, pre[row * T + i]);
  for (int i = threadIdx.x; i < T; i += blockDim.x) s += __expf(pre[row * T + i] - m);
  for (int i = threadIdx.x; i < T; i += blockDim.x) att[row * T + i] = __expf(pre[row * T + i] - m) / s;
}
void attention_forward(float *out, float *preatt, float *att, const float *q, const float *k, const float *v, int BH, int T, int HS) {
  gemm_lt(preatt, k, q, T, T, HS, BH, (long)T * HS, (long)T * HS, (long)T * T);
  softmax_rows<<<BH * T, 256>>>(att, preatt, T);
  gemm_lt(out, v, att, HS, T, T, BH, (long)T * HS, (long)T * T, (long)T * HS);
}
`;
  const e = await Engine.create(['cuda']);
  e.indexText('/tmp/ka-wrap/matmul.cu', matmul);
  e.indexText('/tmp/ka-wrap/attention.cu', attention);
  const rules = e.analyzeText('/tmp/ka-wrap/attention.cu', attention).findings.map((f) => f.rule);
  assert.ok(rules.includes('fusion/attention'), rules.join(', '));
});

test("a wrapper a header defines is the one its includer calls, not another program's of the same name in the folder (llm.c's dev/cuda dispatchers)", async () => {
  const root = mkdtempSync(join(tmpdir(), 'ka-programs-'));
  mkdirSync(join(root, 'dev'));
  mkdirSync(join(root, 'llmc'));
  // another program of the folder: a dispatcher named like the header's launcher, taking a kernel number
  const dev = `__global__ void residual_forward_kernel1(float* out, const float* a, const float* b, int N) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < N) out[i] = a[i] + b[i];
}
void residual_forward(int kernel_num, float* out, const float* a, const float* b, int N, int block_size) {
  switch (kernel_num) {
    case 1: residual_forward_kernel1<<<(N + block_size - 1) / block_size, block_size>>>(out, a, b, N); break;
  }
}
`;
  const header = `#include <cublas_v2.h>
cublasHandle_t handle;
__global__ void residual_forward_kernel(float* out, const float* a, const float* b, int N) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < N) out[i] = a[i] + b[i];
}
void residual_forward(float* out, const float* a, const float* b, int N) {
  residual_forward_kernel<<<(N + 255) / 256, 256>>>(out, a, b, N);
}
void matmul_forward(float* out, const float* inp, const float* w, int BT, int C, int OC) {
  const float one = 1.0f, zero = 0.0f;
  cublasSgemm(handle, CUBLAS_OP_T, CUBLAS_OP_N, OC, BT, C, &one, w, C, inp, C, &zero, out, OC);
}
`;
  const train = `#include "llmc/layers.cuh"
void block_forward(float* scratch, float* residual2, const float* residual, const float* atty, const float* w, int BT, int C) {
  matmul_forward(scratch, atty, w, BT, C, C);
  residual_forward(residual2, residual, scratch, BT * C);
}
`;
  writeFileSync(join(root, 'dev', 'residual_forward.cu'), dev);
  writeFileSync(join(root, 'llmc', 'layers.cuh'), header);
  writeFileSync(join(root, 'train.cu'), train);
  const epilogues = (e: Engine, path: string) => e.analyzeText(path, train).findings.filter((f) => f.rule === 'fusion/gemm-epilogue').map((f) => f.range.start.line);
  const alone = await Engine.create(['cuda']);
  alone.setWorkspace([root]);
  const folder = await Engine.create(['cuda']);
  folder.setWorkspace([root]);
  // (indexed in name order, as a directory walk does: the dispatcher first)
  for (const p of ['dev/residual_forward.cu', 'llmc/layers.cuh', 'train.cu']) folder.indexText(join(root, p), readFileSync(join(root, p), 'utf8'));
  assert.deepEqual(epilogues(alone, join(root, 'train.cu')), [3], 'read alone, the residual add after the GEMM is its epilogue');
  assert.deepEqual(epilogues(folder, join(root, 'train.cu')), [3], 'and in the folder, beside the dispatcher of the same name');
  rmSync(root, { recursive: true, force: true });
});

test('a header of kernels that another file includes and launches is shaped by those launches: one token\'s vectors are launch-bound', async () => {
  const root = mkdtempSync(join(tmpdir(), 'ka-includers-'));
  // kernels alone in a header (a decoder's gpu_kernels.h); the file that includes it launches them through wrappers
  const header = `#include <cuda_fp16.h>
__global__ void accum_kernel(half* a, const half* b, int size) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < size) a[i] = a[i] + b[i];
}
__global__ void scale_kernel(half* a, float s, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) a[i] = (half)((float)a[i] * s);
}
`;
  const main = `#include "gpu_kernels.h"
typedef struct { int dim, hidden_dim, n_layers, vocab_size; } Config;
void accum(half* a, const half* b, int size) { accum_kernel<<<(size + 255) / 256, 256>>>(a, b, size); }
void transformer(Config* p, half* x, half* xb, half* big, int n) {
  int dim = p->dim;
  for (int l = 0; l < p->n_layers; l++) accum(x, xb, dim);
  scale_kernel<<<(n + 255) / 256, 256>>>(big, 0.5f, n);
}
`;
  writeFileSync(join(root, 'gpu_kernels.h'), header);
  writeFileSync(join(root, 'llama2.cu'), main);
  const vectorFindings = (e: Engine) => e.analyzeText(join(root, 'gpu_kernels.h'), header).findings.filter((f) => f.rule === 'vectorization/vector-memory-access').map((f) => f.function);
  const alone = await Engine.create(['cuda']);
  alone.setWorkspace([root]);
  assert.deepEqual(vectorFindings(alone).sort(), ['accum_kernel', 'scale_kernel'], 'read alone, nothing says how large the launches are');
  const folder = await Engine.create(['cuda']);
  folder.setWorkspace([root]);
  // (indexed in name order, the header first: its kernels are shaped when it is analysed)
  for (const p of ['gpu_kernels.h', 'llama2.cu']) folder.indexText(join(root, p), readFileSync(join(root, p), 'utf8'));
  assert.deepEqual(vectorFindings(folder), ['scale_kernel'], 'in the folder, `accum` runs over one token (`p->dim`); the scale runs over a run-time count');
  // (the CLI's pass indexes only files that launch: the header is then read fresh when it is analysed)
  const launchersOnly = await Engine.create(['cuda']);
  launchersOnly.setWorkspace([root]);
  launchersOnly.indexText(join(root, 'llama2.cu'), main);
  assert.deepEqual(vectorFindings(launchersOnly), ['scale_kernel']);
  rmSync(root, { recursive: true, force: true });
});

test('a header whose own launch wrappers a driver that launches nothing calls with one token\'s sizes: its kernels are launch-bound there', async () => {
  const root = mkdtempSync(join(tmpdir(), 'ka-wrapper-includers-'));
  // (the kernels and their wrappers in a .cuh; the .cu calls the wrappers in its token and layer loops)
  const header = `#pragma once
#include <cuda_fp16.h>
__global__ void element_wise_add_kernel(half* dest, half* src, int size) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < size) dest[i] = (half)((float)dest[i] + (float)src[i]);
}
__global__ void scale_kernel(half* a, float s, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) a[i] = (half)((float)a[i] * s);
}
void accum(half* a, half* b, int size) { element_wise_add_kernel<<<(size + 255) / 256, 256>>>(a, b, size); }
void scale(half* a, float s, int n) { scale_kernel<<<(n + 255) / 256, 256>>>(a, s, n); }
`;
  const main = `#include "kernels.cuh"
typedef struct { int dim; int hidden_dim; int n_layers; } Config;
void run(half* big, int n) { scale(big, 0.5f, n); }
int main() {
  Config p = {4096, 11008, 32};
  half *x, *xb;
  for (int pos = 0; pos < 256; pos++)
    for (int l = 0; l < p.n_layers; l++) accum(x, xb, p.dim);
  return 0;
}
`;
  writeFileSync(join(root, 'kernels.cuh'), header);
  writeFileSync(join(root, 'main.cu'), main);
  const vectorFindings = (e: Engine) => e.analyzeText(join(root, 'kernels.cuh'), header).findings.filter((f) => f.rule === 'vectorization/vector-memory-access').map((f) => f.function);
  const alone = await Engine.create(['cuda']);
  alone.setWorkspace([root]);
  assert.deepEqual(vectorFindings(alone).sort(), ['element_wise_add_kernel', 'scale_kernel'], 'read alone, nothing says how large the launches are');
  // (the CLI's pass: the header launches and is indexed; the driver launches nothing and is read for what it calls)
  const folder = await Engine.create(['cuda']);
  folder.setWorkspace([root]);
  folder.indexText(join(root, 'kernels.cuh'), header);
  folder.indexText(join(root, 'main.cu'), main, DEFAULT_CONFIG, true);
  assert.deepEqual(vectorFindings(folder), ['scale_kernel'], 'in the folder, `accum` runs over one token (`p.dim`); the scale over a run-time count');
  rmSync(root, { recursive: true, force: true });
});

test('a GEMM kernel defined alone in an included header (SGEMM_CUDA\'s kernels/N_*.cuh): the bias pass after its launch is its epilogue', async () => {
  const root = mkdtempSync(join(tmpdir(), 'ka-kernel-header-'));
  // a header that defines the kernel and launches nothing
  const header = `#pragma once
template <const int BLOCKSIZE>
__global__ void sgemm_smem(int M, int N, int K, const float *A, const float *B, float *C) {
  __shared__ float As[BLOCKSIZE * BLOCKSIZE];
  __shared__ float Bs[BLOCKSIZE * BLOCKSIZE];
  const int tc = threadIdx.x % BLOCKSIZE, tr = threadIdx.x / BLOCKSIZE;
  A += blockIdx.x * BLOCKSIZE * K;
  B += blockIdx.y * BLOCKSIZE;
  C += blockIdx.x * BLOCKSIZE * N + blockIdx.y * BLOCKSIZE;
  float tmp = 0.0f;
  for (int bk = 0; bk < K; bk += BLOCKSIZE) {
    As[tr * BLOCKSIZE + tc] = A[tr * K + tc];
    Bs[tr * BLOCKSIZE + tc] = B[tr * N + tc];
    __syncthreads();
    A += BLOCKSIZE;
    B += BLOCKSIZE * N;
    for (int d = 0; d < BLOCKSIZE; ++d) tmp += As[tr * BLOCKSIZE + d] * Bs[d * BLOCKSIZE + tc];
    __syncthreads();
  }
  C[tr * N + tc] = tmp;
}
`;
  const main = `#include "3_kernel_shared_mem_blocking.cuh"
__global__ void add_bias_relu(float *out, const float *bias, int M, int N) {
  const int col = blockIdx.x * blockDim.x + threadIdx.x;
  if (blockIdx.y < M && col < N) {
    float v = out[blockIdx.y * N + col] + bias[col];
    out[blockIdx.y * N + col] = v > 0.f ? v : 0.f;
  }
}
void linear_relu(int tokens, int d_in, int d_out, float *x, float *W, float *b, float *h) {
  sgemm_smem<32><<<dim3((tokens + 31) / 32, (d_out + 31) / 32), 1024>>>(tokens, d_out, d_in, x, W, h);
  add_bias_relu<<<dim3((d_out + 255) / 256, tokens), 256>>>(h, b, tokens, d_out);
}
`;
  writeFileSync(join(root, '3_kernel_shared_mem_blocking.cuh'), header);
  writeFileSync(join(root, 'linear_relu.cu'), main);
  const epilogues = (e: Engine) => e.analyzeText(join(root, 'linear_relu.cu'), main).findings.filter((f) => f.rule === 'fusion/gemm-epilogue').map((f) => f.message);
  // read alone (the editor), and after the CLI's first pass, which indexes the launching file and the headers it includes
  const alone = await Engine.create(['cuda']);
  alone.setWorkspace([root]);
  const folder = await Engine.create(['cuda']);
  folder.setWorkspace([root]);
  folder.indexText(join(root, 'linear_relu.cu'), main);
  for (const e of [alone, folder]) {
    const found = epilogues(e);
    assert.equal(found.length, 1, found.join('\n'));
    assert.match(found[0], /`add_bias_relu` is a separate pass over `h` from the GEMM `sgemm_smem`/);
  }
  rmSync(root, { recursive: true, force: true });
});

test('a launch wrapper another file calls with constants (`gpu_softmax(logits, prob, BATCH, 10)`) runs its kernel at those sizes: a softmax over 10 classes of a 64-sample batch is launch-bound', async () => {
  const root = mkdtempSync(join(tmpdir(), 'ka-callconst-'));
  // the kernels in a header, the wrappers in one file, the training loop in another (an MNIST project's layout)
  const header = `__global__ void softmax_kernel(const float *logits, float *prob, int batch, int classes) {
  int b = blockIdx.x * blockDim.x + threadIdx.x;
  if (b >= batch) return;
  const float *in = logits + b * classes;
  float *out = prob + b * classes;
  float m = in[0], s = 0.f;
  for (int c = 1; c < classes; ++c) m = fmaxf(m, in[c]);
  for (int c = 0; c < classes; ++c) s += expf(in[c] - m);
  for (int c = 0; c < classes; ++c) out[c] = expf(in[c] - m) / s;
}
`;
  const ops = `#include "kernels.cuh"
void gpu_softmax(const float *logits, float *prob, int batch, int classes) {
  softmax_kernel<<<(batch + 255) / 256, 256>>>(logits, prob, batch, classes);
}
`;
  const train = (classes: string) => `#define BATCH_SIZE 64
void gpu_softmax(const float *logits, float *prob, int batch, int classes);
void train(float *logits, float *prob, int steps, int vocab) {
  for (int step = 0; step < steps; ++step) gpu_softmax(logits, prob, BATCH_SIZE, ${classes});
}
`;
  const uncoalesced = async (classes: string, wrappers = ops) => {
    writeFileSync(join(root, 'kernels.cuh'), header);
    writeFileSync(join(root, 'ops.cu'), wrappers);
    writeFileSync(join(root, 'train.cu'), train(classes));
    const e = await Engine.create(['cuda']);
    e.setWorkspace([root]);
    for (const p of ['ops.cu', 'train.cu']) e.indexText(join(root, p), readFileSync(join(root, p), 'utf8'));
    return e.analyzeText(join(root, 'kernels.cuh'), header).findings.filter((f) => f.rule === 'memory/uncoalesced-access').length;
  };
  assert.equal(await uncoalesced('10'), 0, '64 samples of 10 classes: a few KB whatever the layout');
  assert.ok((await uncoalesced('vocab')) > 0, 'a run-time number of classes: the row walk is reported');
  assert.ok((await uncoalesced('10', ops.replace('void gpu_softmax', 'extern "C" void gpu_softmax'))) > 0, 'an extern "C" entry: other languages call it with other sizes');
  rmSync(root, { recursive: true, force: true });
});
