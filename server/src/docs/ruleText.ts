// The words of each rule's documentation page (docs/rules/<id>.md) that the knowledge base
// does not hold: what the check looks for, where it stays quiet, and a before/after
// example. test/rule-docs.test.ts runs every example: "before" must fire the rule,
// "after" must not, so the pages cannot drift from what the analysis does.
import type { RuleId } from '../core/ruleIds';

export interface RuleExample {
  /** Picks the file extension the example is analysed as (.cu, .cpp, .py). */
  language: 'cuda' | 'cpp' | 'triton';
  before: string;
  after: string;
  /** One sentence on what changed. */
  change: string;
}

export interface RuleText {
  /** Markdown: what the check looks for. */
  finds: string;
  /** Markdown bullets: code it leaves alone. */
  quiet: string[];
  example: RuleExample;
}

const ELEMENTWISE_KERNELS = `__global__ void scale(const float* x, float* t, float a, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) t[i] = a * x[i];
}
__global__ void bias_relu(const float* t, float* y, float b, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = fmaxf(t[i] + b, 0.f);
}
`;

const TILED_GEMM = `#define TILE 32
__global__ void sgemm(const float* A, const float* B, float* C, int N) {
  __shared__ float As[TILE][TILE], Bs[TILE][TILE];
  int row = blockIdx.y * TILE + threadIdx.y, col = blockIdx.x * TILE + threadIdx.x;
  float acc = 0.f;
  for (int t = 0; t < N; t += TILE) {
    As[threadIdx.y][threadIdx.x] = A[row * N + t + threadIdx.x];
    Bs[threadIdx.y][threadIdx.x] = B[(t + threadIdx.y) * N + col];
    __syncthreads();
    for (int k = 0; k < TILE; ++k) acc += As[threadIdx.y][k] * Bs[k][threadIdx.x];
    __syncthreads();
  }
  C[row * N + col] = acc;
}
`;

const TRITON_MATMUL = (stages: string) => `import triton
import triton.language as tl


@triton.jit
def matmul_kernel(a_ptr, b_ptr, c_ptr, M, N, K, BM: tl.constexpr, BN: tl.constexpr, BK: tl.constexpr):
    pid_m = tl.program_id(0)
    pid_n = tl.program_id(1)
    rm = pid_m * BM + tl.arange(0, BM)
    rn = pid_n * BN + tl.arange(0, BN)
    rk = tl.arange(0, BK)
    acc = tl.zeros((BM, BN), dtype=tl.float32)
    for k in range(0, K, BK):
        a = tl.load(a_ptr + rm[:, None] * K + (k + rk)[None, :])
        b = tl.load(b_ptr + (k + rk)[:, None] * N + rn[None, :])
        acc += tl.dot(a, b)
    tl.store(c_ptr + rm[:, None] * N + rn[None, :], acc)


def matmul(a, b, c, M, N, K):
    grid = (triton.cdiv(M, 128), triton.cdiv(N, 128))
    matmul_kernel[grid](a, b, c, M, N, K, BM=128, BN=128, BK=32${stages})
`;

export const RULE_TEXT: Record<RuleId, RuleText> = {
  'fusion/elementwise-chain': {
    finds:
      'Host code that launches elementwise kernels back to back, where the later kernel reads the buffer the earlier one wrote, over the same index space, with nothing in between that needs the intermediate. A flat thread id over a 2-D grid (`(blockIdx.x + blockIdx.y * gridDim.x) * blockDim.x + threadIdx.x`) numbers the same elements as a 1-D one. Two kernels cover the same elements when their bounds checks do, or, for kernels with no bounds check (whose launchers assert the size is a multiple of the block), when their launches start as many threads (`<<<N / 256, 256>>>` and `<<<(N + 255) / 256, 256>>>` are N). The earlier kernel may also fold a loop of its own per thread into the one element it stores (a split-K finish summing the partials of `out[i]`), as long as no thread reads another\'s values. In Triton host code: a Triton launch whose output next goes through PyTorch elementwise operations (also under a branch, `if reduction == "batchmean": return out / n`, or on the path past an early `return out`), two launch helpers in a row whose elementwise kernels pass a tensor from one to the other (`mul(silu(gate), up)`, or `a = silu(gate); mul(a, up)`), and a PyTorch elementwise operation whose result only feeds a launch helper that loads it (`add(x * a, y)`, `softmax(scores / temperature)`, `h = x + residual` then `rms_norm(h, w)` with `h` read nowhere else), which the helper\'s kernel could apply as it loads (not a cast to the kernel\'s input type, and not a sum kept for later). In Python files with or without kernels of their own: runs of four or more eager PyTorch elementwise operations, each taking the one before (a tanh GELU written out, `0.5 * x * (1.0 + torch.tanh(...))`), one kernel and one pass over the tensor each; in a file with no kernel, not in a function that also runs a matrix product (its epilogue or its attention is the advice there).',
    quiet: [
      'a launch that runs only every so many steps of the loop around it (`if (t % 100 == 0) monitor<<<...>>>`) and one every step: they run together rarely;',
      'a benchmark\'s set-up or check, once outside the region its clocks time (`cudaEventRecord`): a launch before it that writes what the timed launches read, or one after it that reads what they wrote into a buffer of its own whose result the host copies back; another demo after the timing is reported;',
      'a host function named as the unfused baseline of a fused twin (`LSTM_elementwise_unfused`), kept to measure the fused path against;',
      'a copy, a library call or a host read of the intermediate between the launches;',
      'kernels over different index spaces (different sizes or shapes);',
      'a second kernel that is not elementwise (a reduction, a GEMM);',
      'launches in exclusive branches;',
      'a second kernel that also reads another of the first\'s outputs at a neighbour\'s index (`c[iS[row] + Nr * col]`): fusing them needs a grid-wide barrier;',
      'a second kernel that writes what the first reads at other threads\' places (an integrator writing `px[i]` after a force kernel read every `px[j]`): fused, other threads would read the new values;',
      'a set-up kernel before an iteration loop whose first kernel reads its output (`extract` once, then `prepare` every step), unless that kernel folds its steps into the buffer (`mul(y, x[i], y)`);',
      'Python functions under `@torch.compile`: Inductor fuses their pointwise operations itself, and Python functions that return or assert a comparison of results (`torch.allclose`) or are a puzzle\'s spec (`*_spec`).',
    ],
    example: {
      language: 'cuda',
      before: `${ELEMENTWISE_KERNELS}void forward(const float* x, float* t, float* y, int n) {
  scale<<<(n + 255) / 256, 256>>>(x, t, 2.f, n);
  bias_relu<<<(n + 255) / 256, 256>>>(t, y, 0.5f, n);
}
`,
      after: `__global__ void scale_bias_relu(const float* x, float* y, float a, float b, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = fmaxf(a * x[i] + b, 0.f);
}
void forward(const float* x, float* y, int n) {
  scale_bias_relu<<<(n + 255) / 256, 256>>>(x, y, 2.f, 0.5f, n);
}
`,
      change: 'One kernel does both steps: the intermediate `t` never goes to global memory and one launch is saved.',
    },
  },
  'fusion/gemm-epilogue': {
    finds:
      'A GEMM (a cuBLAS / cublasLt call, a GEMM-shaped kernel, a wrapper such as `caffe_gpu_gemm`, a `tl.dot` kernel, `torch.matmul`) whose output next goes through a separate bias, activation, scale or residual pass. That pass reads and writes the whole output again; applied to the accumulators before the GEMM stores them, it costs nothing extra. Several such passes in a row (bias, then GELU) are one finding that names them all.',
    quiet: [
      'Python functions that return or assert a comparison of results (`torch.allclose`), a puzzle\'s spec (`*_spec`), and a function whose result another binds to an expected-results name and compares (`ref = eager_attention(q, k, v)`, then `assert_close(ref, out)`);',
      'the scale (or mask) of the scores of an eager attention chain in PyTorch (`(q @ k.transpose(-2, -1)) * scale`, then softmax and P·V): fusion/attention reports the chain, whose fused kernel takes the scale, or leaves it alone as the fallback of a fused path. Scores whose probabilities the function returns, and a decode step\'s scores (which fusion/attention leaves alone), are still reported;',
      'a GEMM and its pass under a condition after a call that already ran a cublasLt GEMM with an epilogue into the same output (`if (use_lt) status = gemm_bias_lt(...); if (status != 0) { cublasGemmEx(...); bias<<<>>>(...); }`, apex\'s fused_dense): the fallback of the fused path;',
      'the unfused arm of a switch whose other arm calls the same GEMM with nothing after it (`if (gelu_fusion < 1) { gemm(pre); gelu(out, pre); } else gemm(out, ..., pre_gelu)`): the fallback of an epilogue the code already fuses;',
      'epilogues already applied inside the GEMM kernel or through a cublasLt epilogue;',
      'outputs that go first to another GEMM, a reduction, a softmax (a kernel combining values across threads) or the host;',
      'passes that write elsewhere than they read (a head split, a permute): an epilogue cannot move elements;',
      'plain copies and reference oracles;',
      'a PyTorch GEMM fed the last position of each sequence (`self.lm_head(h[:, -1, :]) / temperature` in a decode step): a matrix-vector product whose output is a few rows beside the weight it reads, so the pass after it costs a launch, not traffic;',
      'Python functions under `@torch.compile`: Inductor decides the epilogue fusion there;',
      'a layer object\'s own GEMM method (`layer_weight.gate_up_proj.mm(x)`, whose backend may be cuBLAS or a quantized kernel) followed by the project\'s one fused activation kernel (`silu_and_mul_fwd`);',
      'code under `#if CUDART_VERSION < 11000` (a toolkit nobody builds with; the live branch often fuses the bias with a cublasLt epilogue).',
    ],
    example: {
      language: 'cuda',
      before: `#include <cublas_v2.h>
__global__ void bias_relu(float* y, const float* bias, int M, int N) {
  int col = blockIdx.x * blockDim.x + threadIdx.x, row = blockIdx.y;
  if (col < N && row < M) y[row * N + col] = fmaxf(y[row * N + col] + bias[col], 0.f);
}
void linear_relu(cublasHandle_t h, const float* x, const float* w, const float* bias, float* y, int M, int N, int K) {
  const float one = 1.f, zero = 0.f;
  cublasSgemm(h, CUBLAS_OP_T, CUBLAS_OP_N, N, M, K, &one, w, K, x, K, &zero, y, N);
  bias_relu<<<dim3((N + 255) / 256, M), 256>>>(y, bias, M, N);
}
`,
      after: `#define TILE 32
// The GEMM kernel adds the bias and applies the ReLU before its one store.
__global__ void linear_relu(const float* X, const float* W, const float* bias, float* Y, int M, int N, int K) {
  __shared__ float Xs[TILE][TILE], Ws[TILE][TILE];
  int row = blockIdx.y * TILE + threadIdx.y, col = blockIdx.x * TILE + threadIdx.x;
  float acc = 0.f;
  for (int t = 0; t < K; t += TILE) {
    Xs[threadIdx.y][threadIdx.x] = X[row * K + t + threadIdx.x];
    Ws[threadIdx.y][threadIdx.x] = W[(t + threadIdx.y) * N + col];
    __syncthreads();
    for (int k = 0; k < TILE; ++k) acc += Xs[threadIdx.y][k] * Ws[k][threadIdx.x];
    __syncthreads();
  }
  Y[row * N + col] = fmaxf(acc + bias[col], 0.f);
}
`,
      change: 'The bias and the ReLU are applied to the accumulator in the GEMM (with cuBLAS: a cublasLt matmul with the `CUBLASLT_EPILOGUE_RELU_BIAS` epilogue), so `y` is written once and never re-read.',
    },
  },
  'fusion/attention': {
    finds:
      'Attention computed in three steps through global memory: the scores `S = QKᵀ` are written out (a cuBLAS GEMM or a GEMM kernel; `q @ k.transpose(...)` in PyTorch), a softmax pass turns them into probabilities, and a second GEMM computes `P·V`. The T×T scores and probabilities make a round trip through HBM that a flash-style kernel (online softmax over key tiles, scores kept on chip) avoids.',
    quiet: [
      'a GEMM that reads a buffer a step after the softmax overwrote without reading it (a benchmark driver reusing its buffers for the next demo);',
      'a classifier\'s loss between two GEMMs (a softmax cross-entropy named so, or reading integer labels, or a softmax whose output only a kernel reading integer labels takes on, `P - onehot(y)`, then the weight gradient `dW = Hᵀ·dlogits`): no T×T scores;',
      'a scores kernel that multiplies the keys by one query vector per head (`q[i] * k[t * kv_dim + i]`), and a PyTorch function named for the decode phase (`decode_step`; not speculative verification): one query token, a row of scores per head;',
      'Python functions that return or assert a comparison of results (`torch.allclose`), and a puzzle\'s spec (`*_spec`): the eager reference a kernel is checked against;',
      'flash-style kernels (one launch: nothing to chain) and `F.scaled_dot_product_attention`;',
      'code that returns or stores the probabilities (they are needed);',
      'GEMM → activation → GEMM (an MLP) and GEMM → layernorm → GEMM;',
      'decoding (a scores GEMM with one query, or a beam\'s few) and MoE gates (a GEMM over experts whose softmax picks them);',
      'the callers of a function that holds the whole chain (it is reported there, once);',
      'projections such as `x @ W.T`.',
    ],
    example: {
      language: 'triton',
      before: `import torch
import triton


def attention(q, k, v):
    scores = q @ k.transpose(-2, -1) / q.shape[-1] ** 0.5
    p = torch.softmax(scores, dim=-1)
    return p @ v
`,
      after: `import torch
import torch.nn.functional as F
import triton


def attention(q, k, v):
    return F.scaled_dot_product_attention(q, k, v)
`,
      change: 'A fused (flash) attention kernel computes the softmax online over key tiles: the scores never reach global memory.',
    },
  },
  'fusion/multi-pass-reduction': {
    finds:
      'A softmax / normalization / reduction that reads the same rows from global memory more often than it needs to: a statistics kernel (row max, mean, sum, or a dot of two rows such as softmax backward\'s `sum(dy * y)`) followed by a kernel that re-reads the same rows; a tree reduction with one launch per level; or three or more loops over a row in a thread-per-row CUDA kernel or a Triton kernel, where an online algorithm (online softmax, Welford) needs two; or two Triton loops over a row that only reduce (a max, then the sum of exp: a naive cross-entropy or logsumexp), where the online form needs one.',
    quiet: [
      'statistics written only at data-dependent places (`atomicAdd(&h[buf[i]], 1)`, `bins[b * MAXB + slot]`): a histogram or spatial index the whole grid builds, no row\'s statistic;',
      'a later kernel that stores into the first one\'s output as scratch of its own (a van Herk row dilation reusing a buffer): no statistic is consumed;',
      'helper calls in exclusive arms of one if/else (`if (blockIdx.y == 0) row_dot(q, ...); else ...`): one pass per thread;',
      'a host function named as the unfused baseline of a fused twin (`rms_norm_unfused`), kept to measure the fused path against;',
      'a later kernel that reads statistics a launch in between wrote anew (`iota(lab)` as a second algorithm starts on the same graph): two variants compared, not two passes;',
      'a first kernel that reads the buffer only at each thread\'s own element and at gathered indices (a neighbour list built from a cell list, `pos[j]` with `j = cells[...]`): no row swept;',
      'two kernels with a host round trip between them (the first\'s output copied back and finished on the CPU before the second runs);',
      'online softmax and Welford forms, rows read once (kept in registers or shared memory);',
      'block-, warp- or grid-stride sweeps over rows that stay in cache (merging them measured only 1.07×), also in `__device__` helpers the block shares out (`for (idx = tid; idx < n; idx += BLOCK)`); a block\'s or warp\'s sweeps over rows every launch makes 32K elements or longer (a 50,257-word vocabulary) are reported, as those rows do not stay in L1 between sweeps;',
      'Triton row loops that every launch, outside any branch, gives a block as long as the row (`BLOCK_SIZE = min(MAX_FUSED_SIZE, triton.next_power_of_2(N))`, the tutorial\'s layer norm): each runs once and re-reads the block just loaded, from cache; a block capped at a literal (`min(BLOCK_SIZE, 4096)`) or a launch on the path for wide rows still loops and is reported;',
      'two-level reductions (the second launch reads the partials, not the input), grid-wide statistics, and two kernels whose first merges a row split over several blocks with atomics;',
      'helpers called inside a loop that hands the row out to the threads (`for (i = tid * 4; i < m; i += BLOCK * 4) accumulate4(a, i, ...)`), passes a warp reads as one row segment (`x[r * D + d]` with `d = idx % D`), and passes in different arms of one if/else (a full chunk and its remainder), which never both run;',
      'sweeps repeated by an outer loop the index ignores (a bisection\'s iterations);',
      'the same reduction launched again (a warm-up, then its timed runs), and launches a benchmark harness makes between its clock reads (`cudaEventRecord` around a loop of them): repeats of one measurement;',
      'reference oracles;',
      'a per-row statistic that only matrix-multiply kernels (`tl.dot` over tiles) read with the buffer, as flash attention\'s backward reads `do` with `delta`: they load the buffer tile by tile for their own products;',
      'a causal diagonal peeled off a sweep (`for it in range(n, n + 1)` after `range(0, n)`), which is one step of that sweep.',
    ],
    example: {
      language: 'cuda',
      before: `#include <cfloat>
__global__ void softmax_rows(const float* logits, float* probs, int rows, int cols) {
  int r = blockIdx.x * blockDim.x + threadIdx.x;
  if (r >= rows) return;
  const float* x = logits + (size_t)r * cols;
  float* y = probs + (size_t)r * cols;
  float m = -FLT_MAX;
  for (int c = 0; c < cols; ++c) m = fmaxf(m, x[c]);
  float s = 0.f;
  for (int c = 0; c < cols; ++c) s += expf(x[c] - m);
  for (int c = 0; c < cols; ++c) y[c] = expf(x[c] - m) / s;
}
`,
      after: `#include <cfloat>
__global__ void softmax_rows(const float* logits, float* probs, int rows, int cols) {
  int r = blockIdx.x * blockDim.x + threadIdx.x;
  if (r >= rows) return;
  const float* x = logits + (size_t)r * cols;
  float* y = probs + (size_t)r * cols;
  float m = -FLT_MAX, s = 0.f;
  for (int c = 0; c < cols; ++c) {  // online max and rescaled sum in one sweep
    float v = x[c], mn = fmaxf(m, v);
    s = s * expf(m - mn) + expf(v - mn);
    m = mn;
  }
  for (int c = 0; c < cols; ++c) y[c] = expf(x[c] - m) / s;
}
`,
      change: 'The online softmax keeps a running maximum and rescales the running sum, so each row is read twice instead of three times.',
    },
  },
  'tiling/shared-memory': {
    finds:
      'A loop over `k` whose global reads are also made by neighbouring threads (an index that omits a thread axis the kernel uses, as in a naive matrix multiply, or a window that slides with the thread index, as in a direct convolution), with no `__shared__` staging. Also a tensor-core kernel whose warps load their WMMA fragments straight from global memory every `k` step (one warp per 16x16 tile of C), the same fragments the warps along a row or column of tiles load; and blocks of one warp that stage an MMA\'s A and B tiles through `__shared__` memory for `ldmatrix` (a naive `mma.sync` HGEMM, one 16x8 tile a block), tiles no other warp reads. Also a matrix every thread of the block walks alike (a thread per query reading all of its head\'s K and V, `k[j * HEAD_DIM + x]` for `j < N`): each warp streams the same rows from L2 where a tile would load them once a block. Also a block\'s tree reduction done in place in global memory (`input[i] += input[i + stride]` with `__syncthreads()` between levels), where a `__shared__` array would hold the partial sums on chip. In Triton: a kernel without `tl.dot` whose loop loads operand blocks that the programs of another output row or column load again.',
    quiet: [
      'a loop in no other whose bound every launch passes 16 or less for (`n < N` with the 10 classes of an output layer), as a literal short loop;',
      'a loop that starts where a value read from memory says (`base = offs[v]` of a warp per vertex): each warp walks its own CSR row;',
      'a window each thread derives from its own index, of a length that varies with the thread (a pooling backward\'s clamped `phstart..phend`): a few steps whose overlap L1 holds;',
      'kernels that stage their operands through `__shared__` memory;',
      'per-thread loops without reuse across threads;',
      'a row the lanes of one warp walk under a guard that leaves only that warp running (`if (warp == 0)`, `if (warp_id != 0) return;`, `if (threadIdx.x < 32)`), or in blocks of one warp: a decode step\'s softmax that no other warp reads again;',
      'a head\'s query vector every warp of the block walks alike (`q[i]` for `i < head_size`, decode attention\'s scores): a few hundred bytes L1 serves (staging it measured 1.01×);',
      'loops of a few constant steps (16 or fewer) with nothing else to amortise a tile over: a 1-D stencil of radius 3 (7 taps) is served by L1; one whose every step reads neighbours on each side along each thread axis (a radius-4 2-D or 3-D stencil, 16 taps or more) is reported;',
      'small vectors every thread walks in step (`weight[k]`, `bias[c]`): an L1 broadcast, nothing to tile; so are a normalization\'s per-channel parameters reached through a remainder of the thread index (`gamma[c]` with `c = (ng % G) * cpg + i / HW` in a thread-per-group GroupNorm, or walked over the group\'s channels, `gamma[g * cpg + i]` over `i < cpg` with `cpg = C / G`, channels-last): a few KB the whole grid reads from L1;',
      'flat indices taken apart with `/` and `%` whose quotient tells threads a period apart (`(blk * ratio + r) * D + d` with `blk = idx / D`, `d = idx % D`): they read different rows;',
      'warm-up kernels (`warmup`, `warm_up_kernel`) and reference kernels;',
      'per-row scalars (`mean[i1]`, `invvar[i1]`) that the whole block reads as one element, or that sit beside an inner loop streaming the row; per-chunk scalars of a loop that hands chunks to blocks (`chunk = blockIdx.x; chunk += gridDim.x`); flat thread indices taken apart with `/` and `%` and put back together (`n * HW * K + (t % HW) * K`), which each thread reads alone; `#pragma unroll` item loops over a template count.',
    ],
    example: {
      language: 'cuda',
      before: `__global__ void sgemm(const float* A, const float* B, float* C, int N) {
  int row = blockIdx.y * blockDim.y + threadIdx.y, col = blockIdx.x * blockDim.x + threadIdx.x;
  float acc = 0.f;
  for (int k = 0; k < N; ++k) acc += A[row * N + k] * B[k * N + col];
  C[row * N + col] = acc;
}
`,
      after: TILED_GEMM,
      change: 'Each block loads a 32×32 tile of A and of B into shared memory once and every thread of the block reads it there: global loads drop by the tile width.',
    },
  },
  'tiling/register-blocking': {
    finds:
      'A shared-memory tiled GEMM in which each thread computes one output element (a single global store, no register tile), so every multiply-add costs two shared-memory reads. In Triton: a kernel without `tl.dot` whose programs each store one scalar.',
    quiet: [
      'micro-tiles: register arrays updated in the tile loop (`float acc[TM][TN]`), several stores per thread, stores in a loop;',
      'wide (`float4`) stores;',
      'anything with `tl.dot` or block outputs in Triton.',
    ],
    example: {
      language: 'cuda',
      before: TILED_GEMM,
      after: `#define TILE 32
#define TM 4
// blockDim = (32, 8): each thread computes TM = 4 outputs of one column of the tile.
__global__ void sgemm(const float* A, const float* B, float* C, int N) {
  __shared__ float As[TILE][TILE], Bs[TILE][TILE];
  int tx = threadIdx.x, ty = threadIdx.y;
  int row0 = blockIdx.y * TILE, col = blockIdx.x * TILE + tx;
  float acc[TM] = {0.f, 0.f, 0.f, 0.f};
  for (int t = 0; t < N; t += TILE) {
    for (int m = 0; m < TM; ++m) {
      As[ty + 8 * m][tx] = A[(row0 + ty + 8 * m) * N + t + tx];
      Bs[ty + 8 * m][tx] = B[(t + ty + 8 * m) * N + col];
    }
    __syncthreads();
    for (int k = 0; k < TILE; ++k) {
      float b = Bs[k][tx];
      for (int m = 0; m < TM; ++m) acc[m] += As[ty + 8 * m][k] * b;
    }
    __syncthreads();
  }
  for (int m = 0; m < TM; ++m) C[(row0 + ty + 8 * m) * N + col] = acc[m];
}
`,
      change: 'Each thread keeps four accumulators in registers and uses every `Bs` value it reads four times (production kernels go to 8×8 micro-tiles and `float4` shared reads).',
    },
  },
  'tiling/cpu-loop-nest': {
    finds:
      'A C/C++ loop nest of depth ≥ 3 whose accesses are re-read across an outer loop (matrix multiply, convolution, stencil) while the loops inside sweep a whole matrix between two re-reads, and no blocking in the nest. Pointers the loops step (`wrow += cols`, `*a++ * *b++`) and rows of image or blob objects (`m.ptr<float>(i)`, `m.at<float>(k, j)`, `blob.channel(q)`) and the elements a matrix class hands out (`B.at(k, j)` or `B(k, j)` where the class, in the file or a header of it, returns `data_[i * cols_ + j]`) are followed as the indices they stand for. A nest split over functions counts as one: a helper of the same file called inside a loop (`for j, for i: AddDot(k, &A(i, 0), ...)`, the `p` loop in `AddDot`) is read at the call with its arguments put in. The finding sits on the header of the outermost loop.',
    quiet: [
      'host functions named as test drivers (`test_gpu_accuracy`): they build data, run the code under test and check it;',
      'a solver\'s convergence loop (`do { ... delta += ... } while (delta > threshold)`, or `for (k < max_iter) { ...; if (sum <= tol) break; }`): another pass depends on a sum over the whole pass before it, so nothing is reused across passes;',
      'nests a directive offloads to an accelerator (an OpenACC `parallel`/`kernels`/`loop` construct, an OpenMP `target` region, an HMPP codelet): their iterations are GPU threads;',
      'nests already blocked (tile loops, `#pragma omp tile`, a caller passing the tile bounds, point loops that walk a tile by a relative offset such as `C[(i + ir) * N + j]` or `tile_a = A + tile_row * K`, a tile loop handing each tile to a helper, and helpers every call of which sits in such a tile loop);',
      'windows that slide with an outer loop (`y = oy * S; y < oy * S + S`, adaptive pooling\'s `top`..`bottom` of each output row, chunks of rows ending at `std::min(...)`): each step reads the next window, not the same elements;',
      'scratch arrays each pass of the loop fills before using them (a line or plane solver\'s work array): a pass reads what it wrote itself;',
      'nests without reuse, and small constant trip counts (channels, 3×3 windows, or a parameter every call in a program file passes as a small constant, such as a batch of 8), and loops to a template parameter (`ix < AROW`: a micro-kernel\'s compile-time register block);',
      'a benchmark\'s repeat loop around a call of a whole nest (the nest is reported in its own function);',
      'a time loop whose step solves along whole lines both ways, as ADI\'s Thomas algorithm does (a forward recurrence `p[i][j]` from `p[i][j - 1]`, then a back substitution `v[j][i]` from `v[j + 1][i]` with `j` running down that reads what the forward pass wrote): each step needs whole lines, so time tiling is not legal; a step with forward recurrences only (Gauss-Seidel) skews, and is reported;',
      're-read data small enough to stay in L2;',
      'CPU reference code: a kernel\'s CPU twin (`sgemm_naive_cpu` in a file with kernels), a product filled into an expected output (`matmul(A, B, C_ref)`, in this file or, when the CLI checks a folder, in any file of it), result checks (`check*`, `verify*`, `assert_*`, `CheckResult`, `*allclose*`), loops that print every iteration, and functions called only before a driver\'s first clock read or after its last. A CPU version timed between two clock reads is measured work and is reported.',
    ],
    example: {
      language: 'cpp',
      before: `void matmul(const float* A, const float* B, float* C, int n) {
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      float acc = 0.f;
      for (int k = 0; k < n; ++k) acc += A[i * n + k] * B[k * n + j];
      C[i * n + j] = acc;
    }
}
`,
      after: `void matmul(const float* A, const float* B, float* C, int n) {
  const int BS = 64;
  for (int ii = 0; ii < n; ii += BS)
    for (int kk = 0; kk < n; kk += BS)
      for (int jj = 0; jj < n; jj += BS)
        for (int i = ii; i < ii + BS && i < n; ++i)
          for (int k = kk; k < kk + BS && k < n; ++k)
            for (int j = jj; j < jj + BS && j < n; ++j) C[i * n + j] += A[i * n + k] * B[k * n + j];
}
`,
      change: 'The nest is blocked into 64×64 tiles that stay in cache while they are reused (C is zeroed by the caller).',
    },
  },
  'vectorization/vector-memory-access': {
    finds:
      'A memory-bound elementwise kernel moving aligned, unit-stride scalar elements of 32 bits or less, one per thread, where 128-bit accesses (`float4`, `int4`, a packed struct) move the same bytes in a quarter of the instructions; also row and grid-stride reductions that stream their input one scalar per thread per step. Under blocks one thread wide at every launch (`dim3 block(1, 32)`) the lanes run along `threadIdx.y` (ggml\'s `diag_mask_inf_f32`). A lookup into a table indexed by a byte (`out[i] = lut[in[i]]` over an 8-bit image) is no stream of its own: at most 256 entries, held in L1; the pixels in and out are. In Triton: a kernel moving one scalar per program, a scalar element loop, or even/odd halves loaded as two blocks.',
    quiet: [
      'a template kernel every launch instantiates on a packed type (`add_bias<half2>`): written for vectors;',
      'block-per-row loops over a count of experts, heads or classes at every launch (`ii < num_cols` with `num_experts`): a load or two per thread;',
      'a thread per column walking the rows with every launch giving at most 65,536 columns (an image\'s column scan): too few threads to coarsen;',
      'a kernel launched only every so many steps of its loop (`if (t % 100 == 0)`, also through a wrapper called so), or only as a benchmark\'s set-up or check outside the region its clocks time (filling the input the timed kernel reads, checking what it wrote and copying the result back): a sliver of the run;',
      'a grid-stride loop that is not the stream: a pooling backward or col2im deriving each output\'s window from `index` and gathering inside it, and a channel loop over NCHW planes whose lanes sit at `index % plane` of a run-time plane (16-byte accesses there need the plane size to be a multiple of 4: a per-thread coarsening that size decides);',
      'kernels that already use 8- or 16-byte vectors (`float2`, `float4`, `int4`, `uint4`) for their memory (a `float4` of four random numbers from `curand_uniform4` is not one); a kernel moving one 4-byte `half2` / `__nv_bfloat162` a lane is as narrow as a `float` kernel and is reported;',
      'block-per-row reductions into a block-sized shared tree (`red[tid] = mx` after a row loop) whose rows every launch makes shorter than 512 elements: one or two loads per thread before the tree (float4 measured 1.02x at 256 floats a row on an H100; from 512 to 2,048 floats it gave 1.28-1.35x, and such rows are reported); a grid-stride sum over the whole input is reported;',
      'strided or misaligned accesses (`x[i + 1]`, `x[i + offset]`; a template parameter that sizes the blocks, scaling the block index or a `__shared__` array, counts as aligned where it is added to the index, `x[i + blockSize]`; a halo `x[i + HALO]` does not) and 64-bit elements;',
      'compute-bound kernels (arithmetic in constant-trip loops counts once per iteration), and kernels running a run-time number of math rounds per element (`for (it < iterations) v = sinf(v)`);',
      'kernels every launch in the file runs as one block (`<<<1, 256>>>`, `dim3 grid(1)`): a demo or a last reduction stage, where launching more blocks comes first;',
      'kernels every launch of which in the file passes a launch-bound size (at most 2^19 = 524,288 elements, `N = 50000`: on an H200 a scalar and a float4 `y = 2*x` both take about 4 µs per launch up to there, bench/gpu/sizes) for the count the thread index is checked against, or, with no bounds check, starts at most that many threads (`dim3 grid(nElem / block.x)`), a kernel that relaunches itself from device code counting its host launches only; kernels indexed by `threadIdx` alone (a lane demo, a per-block table); and kernels issuing an atomic per element they read (`atomicAdd`, a library wrapper such as `cuda::atomic::Add`);',
      'warm-up, reference and scalar-fallback kernels (`warmup`, `*_ref`, `*_fallback`), and the kernels only an unfused baseline launches (`LSTM_elementwise_unfused`, which its caller picks against a fused kernel in the other arm of one `if`): plain on purpose;',
      'kernels whose threads already have 16 bytes or more of loads in flight per step: four or more 4-byte streams (`y = a + b + c + d`, AdamW\'s `x`, `g`, `m`, `v`), or a thread\'s own chunk of four floats read as scalars, or four loads a grid apart in a short constant-trip loop with no store between them (the compiler unrolls it). On an H200 float4 gained 1.60× at 4 bytes per thread, 1.27–1.29× at 8, 1.06–1.07× at 16 and 1.00× for a 4-float chunk (bench/gpu/chunks). Loads behind a store that may alias them (neither pointer `__restrict__`) wait for it and are not counted together (`C[i] = A[i] + B[i]; C[i + 1] = A[i + 1] + B[i + 1]`: float2 still 1.25×);',
      'Triton even/odd pairs touched once before or after a loop when the loop itself walks such pairs (a scan\'s state, loaded once per program), and scalar loops over a literal handful of words (`for i in range(5)`, resetting sync flags);',
      'template kernels that a launch of the file also instantiates on 16-byte vectors (`k<<<...>>>(reinterpret_cast<const uint4*>(a), ...)`): the scalar launch is the fallback for odd sizes;',
      'a scalar kernel launched only where the other arm of its condition launches a `half2` / `float4` twin (`if (n & 1) k_fp16<<<...>>>(...); else k_packed<<<...>>>((const half2*)x, ...)`), or only where a size is not a multiple of the vector width (the `else` of `if (n % 4 == 0)` or of `if ((n & 3) == 0)`).',
    ],
    example: {
      language: 'cuda',
      before: `__global__ void saxpy(int n, float a, const float* __restrict__ x, float* __restrict__ y) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = a * x[i] + y[i];
}
`,
      after: `// n4 = n / 4; the tail (n % 4 elements) is handled separately.
__global__ void saxpy4(int n4, float a, const float4* __restrict__ x, float4* __restrict__ y) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n4) {
    float4 xv = x[i], yv = y[i];
    yv.x = a * xv.x + yv.x;
    yv.y = a * xv.y + yv.y;
    yv.z = a * xv.z + yv.z;
    yv.w = a * xv.w + yv.w;
    y[i] = yv;
  }
}
`,
      change: 'Each thread moves one 16-byte `float4` instead of one 4-byte `float`.',
    },
  },
  'vectorization/packed-half': {
    finds:
      'Scalar fp16 / bf16 arithmetic on consecutive elements (`__hadd`, `__hmul`, `__float2half` round trips) where `half2` / `__nv_bfloat162` instructions do two lanes at once.',
    quiet: [
      '`half2` / `__nv_bfloat162` code and 8-half packs through `uint4`;',
      'a kernel launched only every so many steps of its loop, or only as a benchmark\'s set-up or check outside the region its clocks time;',
      'gathered or strided data, and one value per row;',
      'type conversions with no arithmetic between (`__float2bfloat16_rn(__half2float(x[i]))`, a constant fill): their wide loads and stores are vectorization/vector-memory-access\'s;',
      'a main loop that converts to float and accumulates in fp32 (a small GEMM\'s k-loop), with 16-bit arithmetic only after it (`Y[i] = __hadd(Y[i], __float2half(acc))`): one instruction per output;',
      'one 16-bit operation per element on values that leave as fp32 (`master[i] = __half2float(__hmul(g[i], inv_scale))`): a conversion pass bound by its memory; and dispatched templates that widen every load with a C-style cast (`(float)x[i]`) as with `static_cast<float>`;',
      'a scalar kernel launched only where the other arm of its condition launches a packed `half2` twin: the fallback for odd sizes.',
    ],
    example: {
      language: 'cuda',
      before: `#include <cuda_fp16.h>
__global__ void axpy_half(int n, __half a, const __half* x, __half* y) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = __hadd(__hmul(a, x[i]), y[i]);
}
`,
      after: `#include <cuda_fp16.h>
// n2 = n / 2; each thread handles two halves.
__global__ void axpy_half2(int n2, __half2 a, const __half2* x, __half2* y) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n2) y[i] = __hfma2(a, x[i], y[i]);
}
`,
      change: 'One `__hfma2` computes two elements, and each load moves two halves.',
    },
  },
  'vectorization/cpu-simd': {
    finds:
      'A C/C++ innermost loop that gcc / clang at -O3 will keep scalar: a floating-point reduction without `#pragma omp simd reduction` (the additions stay in source order), a running float max or min (`if (x[i] > m) m = x[i];`, `m = fmaxf(m, x[i])`: it needs -ffinite-math-only -fno-signed-zeros), a non-unit stride or column walk, a libm call under default flags, a load through a computed index feeding a reduction, a neighbour picked by a border test on the loop\'s variable (`w = x == 0 ? c : c - 1`), or read only under one (`if (n > 0) m = MIN(m, src[n - 1]);`: peel the borders), or many non-`restrict` pointers with stores among them.',
    quiet: [
      'sums over an array a deeper nest of the same function also walks (the triangular solves after an LU factorization, O(n²) beside its O(n³); a column norm beside the update that sweeps the matrix for every column): a sliver of the function\'s work; and a libm call in a loop of 16 or fewer constant steps (a softmax over 10 classes);',
      'functions written through a SIMD mapping layer\'s macros (ggml\'s `GGML_F32_VEC_FMA`, `GGML_F32x8_LOAD`) that an undecided `#if` chain leaves unexpanded: vectorized by hand whichever arm the build takes;',
      'a loop that fills a table of coefficients from its indices (Gaussian taps before the blur that reads them, a DCT basis in `buildDCT`, taps copied to `__constant__` memory, a structuring element\'s disk made by a function the file calls in no loop): set-up; so is any loop filling a table the function copies to `__constant__` memory only (`cudaMemcpyToSymbol` into a symbol the kernels read as constant memory, at most 64 KB), made from input records too (per-option constants before a pricing lattice);',
      'host functions named as test drivers (`test_gpu_accuracy`): they build data, run the code under test and check it;',
      'sums over results a function just copied back from the GPU (`cudaMemcpy(cpu_losses, d_losses, ..., cudaMemcpyDeviceToHost)`, then their mean; or each step, into a vector\'s `.data()`, beside the one swapped with it): bookkeeping beside the device work it launched;',
      'loops a directive offloads to an accelerator (OpenACC, OpenMP `target`, HMPP codelets);',
      'loops under `#pragma omp simd`, `ivdep` or `clang loop vectorize`, and functions using intrinsics;',
      'a filter\'s taps: a sum over constant loops of a few steps each, 64 taps at most (a 5x5 window): unrolled whole, the lanes would go across the outputs;',
      'register tiles (four or more accumulators, also kept in a local array of a constant few, `result[ibt]`), integer reductions (sums and maxima), an argmax (the index rides along: scalar even under -ffast-math), short fixed-length sums and a triangle\'s side inside a small block (`k < i` under `i < 16`), plain copies, records of 8 or more fields read whole; `pow(x, 2)`, which compilers turn into a multiply;',
      'a stencil\'s compile-time taps (`-RADIUS..RADIUS`: the loop around them is judged);',
      'kernels, device code, `main`, CPU reference code (a kernel\'s CPU twin, expected outputs, functions whose output a caller checks), scalar fallbacks of SIMD paths (`*_fallback`, `*_nonavx2`), result checks (`check*`, `verify*`), functions that read or write files (`fopen`, `fprintf`, `fread`: input and output, not the computation), files named for reference implementations (`cpu_ref.h`, `reference.cu`), and loops before a driver\'s first clock read or after its last;',
      'files that ask for fast math in the source (`#pragma GCC optimize("-ffast-math")`, also through a macro, `float_control(precise, off)`, `#pragma clang fp reassociate(on)`); loops over a handful of classes, threads or ranking cut-offs (`num_class_`, `eval_at_.size()`); sums in loops that gather or scatter through loaded indices, and sums whose terms call libm (`h -= p[i] * logf(p[i])`) without -ffast-math, where the order of the sum is not the blocker; a sum loop no loop repeats, in a function the file calls only outside loops (normalizing a few weights before the pass that uses them; what `main` calls and what the file does not call at all are still checked); CPU loops in a folder of scalar fallbacks (`fallback/`); the plain `#else` twin of a function the file also writes with intrinsics; SYCL work-item bodies, and every loop of a SYCL source (`sycl::`, `dpct::` calls: its helpers run in work-items);',
      'loops whose steps call what the compiler cannot see into: a random-number draw (`rand()`, a distribution object\'s `dist(gen)`), a method of another object, a function the file only declares (defined in another translation unit); whatever else such a loop does, the call keeps it scalar;',
      'column walks memory/uncoalesced-access reports, also where the loop sums as it walks (an i-j-k matrix product\'s `C[i][j] += A[i][k] * B[k][j]`): one cause, one finding. Its interchange is the advice, and the interchanged loop is a unit-stride update with no sum inside, which vectorizes; SIMD over the column would only gather it.',
    ],
    example: {
      language: 'cpp',
      before: `float dot(const float* a, const float* b, int n) {
  float s = 0.f;
  for (int i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}
`,
      after: `float dot(const float* a, const float* b, int n) {
  float s = 0.f;
#pragma omp simd reduction(+ : s)
  for (int i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}
`,
      change: '`omp simd reduction` lets the compiler reassociate the sum into vector lanes (compile with `-fopenmp-simd`).',
    },
  },
  'memory/uncoalesced-access': {
    finds:
      'A global access whose addresses, evaluated for the 32 lanes of a warp, touch at least twice the 32-byte sectors the same bytes need: an index whose `threadIdx.x` coefficient is greater than one or symbolic (`out[x * rows + y]`). Where every launch makes blocks one thread wide (`dim3 block(1, 32)`), a warp is 32 consecutive `threadIdx.y`, and the lanes are evaluated along y. In Triton: a block whose contiguous axis walks a constant stride of 4 or more, a stride the launch binds to `t.stride(0)`, or the row length the launch passes for a row-major tensor (`M, N = x.shape` then `in_ptr + rows * N + col`). In C/C++: an inner loop walking the slow dimension of a row-major array. Accesses of one array with the same stride are one finding; the others are its related locations. A template kernel launched with different arguments (`k<3, 2>`, `k<3, 4>`) is checked under each set, and an access is reported when every set leaves it uncoalesced, with the fewest sectors. Lambdas a kernel names and calls (`auto put = [&](int k, float v) { ... }; put(2, z);`) are read at the call. Under a guard that leaves only the block\'s first threads active (`if (tid < 16)`), those lanes make the request.',
    quiet: [
      'a kernel whose every launch gives its threads 128 items or fewer in all (the product of the bounds its thread indices are checked against: `if (b >= batch) return;` with a batch of 64 samples), each of whose loops runs 16 steps or fewer: the whole grid reads a few KB;',
      'a kernel launched every so many steps of its loop, or only as a benchmark\'s set-up or check outside the region its clocks time (a CSR-to-COO expansion before the events): it runs once;',
      'a lane\'s short runs that the warp writes whole over a helper\'s constant-trip loop or its sibling stores (a dequantizer\'s `for (l = l0; l < l0 + 4; ++l) y[l]`, `y[0], y[1], y[32], y[33]`); a per-axis stride numbered by axis, ggml\'s `s00` of `s00..s03` (axis 0 contiguous, 1 for a contiguous tensor); a weight repack (`repack_*`), like other packing routines; C/C++ loops a directive offloads to an accelerator (OpenACC, OpenMP `target`, HMPP);',
      'on the CPU, a triangle inside a small block (`k < i` under `i < 16`), and host functions named as test drivers (`test_gpu_accuracy`);',
      'unit-stride and warp-uniform (broadcast) indices, and a multiplier named as a switch (`amax[row * scale_is_vector]`, `use_bias`, `has_mask`: 0 or 1, a broadcast or unit stride);',
      'transposes staged through shared memory;',
      'a stride for the lanes\' axis in a kernel that takes one for every axis (`d_id * stride_d` beside `stride_s, stride_b, stride_h`, a PyTorch tensor\'s `.stride(i)`): the innermost axis, 1 for a contiguous tensor; and one value per thread at `i * s` where every launch passes a tensor\'s stride for `s` (`t.stride(0)`, directly or through a local): a column or broadcast view (1, or 0 when expanded), where a thread walking its row through such a stride is still reported;',
      'decoding bookkeeping a thread per sequence of the batch runs (`if (index < batch_size)`, `i < batch_size * beam_width`), and lanes a batch apart (ids kept `[step, batch]`: coalesced at batch 1): a few KB whatever the layout;',
      'the short remainder of a chunked loop (`if (remaining >= 4) { vector step } else { for (j < remaining) ... }` inside `for (i = tid * 4; ...; i += BLOCK * 4)`), which only the last chunk of a row runs; accesses under a loop that starts at the lane and runs to a small constant (`for (r = lane; r < 4; r += 32)`) count only those lanes;',
      'BLAS increments (`x[i * incx]`, 1 in practice), convolution and pooling strides (`stride` beside `ksize` / `pad`, or beside `kernel_h` / `kernel_w` alone; ggml\'s `s0` beside `p0` and `KW`) and resampling steps on the lanes\' innermost coordinate (`out[x * sample + w * (...)]`); a thread\'s own filter slice walked whole by two loops (`w[i * ksize * ksize + y * ksize + x]` over `x, y < ksize`: 9 weights at the usual 3x3);',
      'kernels that read nothing from global memory (set-up fills), and launches whose blocks are one thread wide in x (a warp then spans threadIdx.y);',
      'a loss over dense targets with a thread per sample (`target[b * classes + c]` beside `predict[b * classes + c]`): once a training step over the network\'s output, a small buffer beside what every layer streams;',
      'a kernel that checks no count, whose every launch fixes its blocks and its loops\' extents to at most 2^19 elements in all (a merge of a fixed number of per-block partial histograms, a block per bin): a few hundred KB whatever the layout; a normalization\'s per-channel parameters reached through a remainder of the thread index, as for tiling/shared-memory;',
      'Triton tiles with another axis that may be the contiguous one (Triton orders the threads along it);',
      'indices it cannot model (gathers, data-dependent `%`), and hashed sampling (`(i * 56924617 + j * 19349663) % N`: a gather by design);',
      'a thread per diagonal element (`mat[i * ld + i]`, the packed `mat[(i + 1) * (i + 2) / 2 - 1]`) with no loop moving it: one element per row is the access itself, and no remapping coalesces it;',
      'a halo or ghost-cell exchange (`update_halo_left_right`), or a boundary-condition kernel (`set_bnd`): a row-major field\'s left and right edges are columns, which no mapping coalesces;',
      'lanes a few elements apart inside a sliding window wider than their spacing (a decimating FIR, `x[m * D - k]` over the taps): the neighbours\' windows overlap and L1 serves the skipped sectors;',
      'accesses a kernel makes once per thread outside its main loop (a loop over a run-time size) while that loop moves memory, global or a tile staged in shared memory: a register tile\'s epilogue store, the one mask word a non-maximum-suppression thread stores after testing its box against a shared tile, a per-block readout, a thread\'s state or filter row loaded before a scan\'s token loop by a loop of the kernel\'s template size (`j < d_conv`);',
      'C/C++: CPU reference code, as for tiling/cpu-loop-nest (a kernel\'s CPU twin, expected outputs, result checks, set-up outside a driver\'s timed region); rows shorter than a cache line (`int ng[L][3]`); a column walk over rows that all fit in L1 (`double B[40][40]` under `k < 40`); a transposed copy a deeper nest of the same function then reads (`BT` before the product over it: O(n²) set-up beside O(n³)); or one made after the deeper nest that wrote it (a covariance mirroring its upper triangle); a walk in the same step of the loops around it as a deeper nest over the same array (a right-looking LU\'s pivot column `a[i][k] /= a[k][k]` beside its trailing update): O(n) beside O(n²) per step, with no loop inside to interchange with; a function\'s own stack array (not `static`) of at most 32 KB (`float acc[64][64]`) or of SIMD registers: in cache; a tile\'s point loop, also one that carries the tile\'s offset in the index (`x[jj + j][i]` with `j < BLK` under `jj += BLK`);',
      'the results a grid-stride loop\'s element writes after its inner loop over a run-time count (a rasterizer\'s per-pixel top-K after the loop over faces); a handful of the block\'s first threads (`if (tid < 16)`) writing once per block beside whole-block traffic; a thread\'s own record written by a countdown loop; on the CPU, inner loops over a handful of classes or threads (`k < num_class_`); in Triton, per-row scale vectors beside the 2-D tiles of a `tl.dot` loop;',
      'most fields of records of up to 16 elements read together (`x[4*i]`, `x[4*i + 1]`, `x[4*i + 3]`; 8 of 9 saved slots; a thread\'s 8 consecutive floats read by a short loop), also two records loaded side by side as operands (`A[b * 9 + i]`, `B[b * 9 + i]` of a batched 3x3 product), or stored whole (an output layout: `rays[idx * 6 + 0..5]`, `covars[i * 2 + j]` over `i, j < 2`), or mostly up to 16 bytes a record: on an H200 a 9-float record read whole cost the same as 9 separate arrays and 8 consecutive floats read per thread 1.04× the striped layout, where 2 fields of a 16-float record read cost 3.9× (bench/gpu/chunks). A record stored whole also costs L2 transactions (5.9× in a pure copy of 9-float records), which the per-record work of real kernels mostly hides: not reported; a record\'s fields read at literal offsets under a symbolic pitch (`inputs += b * D; inputs[0], inputs[1], inputs[2]`), and a layout struct\'s stride on the lanes\' axis (`idx_d * s.d_stride`), taken as 1 like a BLAS increment.',
    ],
    example: {
      language: 'cuda',
      before: `__global__ void transpose(const float* in, float* out, int rows, int cols) {
  int x = blockIdx.x * blockDim.x + threadIdx.x;
  int y = blockIdx.y * blockDim.y + threadIdx.y;
  if (x < cols && y < rows) out[x * rows + y] = in[y * cols + x];
}
`,
      after: `#define TILE 32
// blockDim = (32, 32)
__global__ void transpose(const float* in, float* out, int rows, int cols) {
  __shared__ float tile[TILE][TILE + 1];
  int x = blockIdx.x * TILE + threadIdx.x, y = blockIdx.y * TILE + threadIdx.y;
  if (x < cols && y < rows) tile[threadIdx.y][threadIdx.x] = in[y * cols + x];
  __syncthreads();
  x = blockIdx.y * TILE + threadIdx.x;
  y = blockIdx.x * TILE + threadIdx.y;
  if (x < rows && y < cols) out[y * rows + x] = tile[threadIdx.x][threadIdx.y];
}
`,
      change: 'The block transposes a tile in shared memory, so both the global read and the global write walk consecutive addresses across the warp.',
    },
  },
  'memory/shared-bank-conflict': {
    finds:
      'A `__shared__` array (2-D, 1-D, `extern`, through a pointer into it, or handed out by a struct of the file whose conversion operator returns its `extern __shared__` array, the CUDA samples\' `T* sdata = SharedMemory<T>()`) whose accesses, evaluated for one warp, put several distinct 4-byte words in one bank: typically a `[32][32]` tile of 32-bit words read column-wise across `threadIdx.x`, a 32-way conflict (16-way for `double`, whose 8-byte accesses are served a half-warp at a time). Wide accesses are evaluated as the hardware serves them: 8-byte ones (`float2`) a half-warp at a time, 16-byte ones (`FETCH_FLOAT4(Bs[k][tx * 8])`, in 1-, 2- or 3-D tiles) a quarter-warp at a time, so a register-blocked SGEMM whose 8 lanes read 16-byte fragments 32 bytes apart is 2-way (reading them conflict-free measured 1.09× on an H200). The same holds for 4-byte loads or stores of consecutive words in an unrolled innermost loop (`for (n = 0; n < 8; ++n) b[n] = Bs[k * BN + tx + n]`) at an address the compiler can prove aligned (the loop bounded by a constant or by the kernel\'s template arguments, not by a run-time argument, whatever value the launches pass): it merges them into 16-byte (or 8-byte) accesses, as the SASS of such kernels shows, so they are evaluated as such and are not padded. The block\'s extents and template arguments that every launch in the file sets (`dim3 block(32, 16)`, `k<BM, BN><<<...>>>` with the launcher\'s constants) are put in before the lanes are evaluated, and the finding names them (for a kernel in a header, the launches of the files that include it). A template kernel launched with several element types (`k<__half>`, `k<float>`) is evaluated for each and reported with the fewest ways. Dimensions written as sums or products of launch-set constants (`[BLOCK + SKEW]`) are sized, and `ldmatrix` or `ld.shared` / `st.shared` in inline PTX is an access at its address operand (a 16-byte row a lane for `ldmatrix`, through `cvta.to.shared` or `__cvta_generic_to_shared`). Under a guard that leaves only the block\'s first threads active (`if (tid < 20)`), those lanes make the request. Sub-buffers carved from one array with rows of different lengths (`float *Qi = sram; float *S = &sram[Bc * d];` of an `extern __shared__` block, rows of `d` and of `Bc` words) get a finding each: each pitch takes its own pad. The quick fix pads the inner dimension by one word; when the lanes meet within one row (`Bs[k][tx * TN + j]`, lanes TN words apart), padding changes nothing, so the finding says to re-map the lanes to consecutive columns or 16-byte chunks instead, and offers no fix.',
    quiet: [
      'an access in an arm of an `if constexpr` on a helper\'s template parameter its call leaves unknown (a copy helper\'s byte arm called as `copy<sizeof(tmp)>`): only one of the arms is built;',
      'padded tiles (`[32][33]`);',
      'accesses under a loop that starts at the lane and runs to a small constant (`for (r = lane; r < 4; r += 32)`): only those lanes, as under `if (lane < 4)`;',
      'row-wise and broadcast reads;',
      'conflicts of 2 or 4 ways in accesses made once per thread outside the kernel\'s main loop (a staging copy before it, a GEMM epilogue or a per-block readout after it); a loop that only copies the block\'s slice in or out (`for (p = tid; p < n; p += blockDim.x) s[p] = src[p]`) is no main loop where another loop works on the tile in place (a transform\'s stages, which are reported);',
      'conflicts of fewer than 8 ways in a tile\'s store once per step of the main loop, beside the loop that then reads the tile over and over (a tiled GEMM\'s transposing staging store: 2-way there measured 1.02× on an H200, 8-way 1.11×, which is reported), also when the copy is a short loop from the thread index (`i = threadIdx.x; i < BM * BK; i += 256`);',
      'conflicts of fewer than 8 ways in a kernel with no main loop, at an access in no loop (a staging transpose: each thread\'s word passes through the tile once, and the global loads and stores decide its time; the 2.15× measured for padding a transpose tile was a 32-way conflict);',
      '16-bit tiles, and accesses that at most one lane makes.',
    ],
    example: {
      language: 'cuda',
      before: `#define TILE 32
__global__ void transpose(const float* in, float* out, int n) {
  __shared__ float tile[TILE][TILE];
  int x = blockIdx.x * TILE + threadIdx.x, y = blockIdx.y * TILE + threadIdx.y;
  tile[threadIdx.y][threadIdx.x] = in[y * n + x];
  __syncthreads();
  x = blockIdx.y * TILE + threadIdx.x;
  y = blockIdx.x * TILE + threadIdx.y;
  out[y * n + x] = tile[threadIdx.x][threadIdx.y];
}
`,
      after: `#define TILE 32
__global__ void transpose(const float* in, float* out, int n) {
  __shared__ float tile[TILE][TILE + 1];
  int x = blockIdx.x * TILE + threadIdx.x, y = blockIdx.y * TILE + threadIdx.y;
  tile[threadIdx.y][threadIdx.x] = in[y * n + x];
  __syncthreads();
  x = blockIdx.y * TILE + threadIdx.x;
  y = blockIdx.x * TILE + threadIdx.y;
  out[y * n + x] = tile[threadIdx.x][threadIdx.y];
}
`,
      change: 'One word of padding per row shifts each row by one bank, so a column read hits 32 different banks (the quick fix makes this edit).',
    },
  },
  'overlap/sync-transfer': {
    finds:
      'A host loop that launches device work (kernels, launch wrappers, cuBLAS-style calls, in PyTorch also tensors made on the device such as `torch.arange(n, device=x.device)` and stores into them, `ids[a:b] = e`) and, in the same iteration, blocks on the device: a synchronous `cudaMemcpy` (also inside a helper or method of the file it calls, `l_in.setOutput(x)`), ATen\'s C++ read-backs (`mask.cpu()`, `t.to(at::kCPU)`, `.item<int64_t>()`), `cudaDeviceSynchronize`, a cuBLAS reduction into a host scalar (`cublasSnrm2(h, n, x, 1, &err)`), or in PyTorch `.item()`, `.cpu()`, `torch.cuda.synchronize()`. Each iteration waits for the GPU to drain before the next launch is queued, and transfers cannot overlap kernels. Each such loop nest of a function gets its own finding. A helper that ends by copying results back (`cudaMemcpy(h_logits, d_logits, ...)`), called in a loop that computes on them on the host and leaves on the result (a decode loop sampling the next token, `next = sample(logits); if (next == EOS) break`), is reported with other advice: the copy cannot leave the loop, so make the decision on the device and copy back only its result. So is scratch freed after the step\'s launches, in the loop or in a helper that allocates and frees it on every call: `cudaFree` waits for the device before it frees (keep the buffer, or use `cudaMallocAsync` / `cudaFreeAsync`).',
    quiet: [
      'a device-wide wait right before the read-back a loop decides on (`cudaDeviceSynchronize(); cudaMemcpy(&changed, ...)`): that copy waits for the same work;',
      'copies and syncs outside loops (set-up, the final read-back, validation);',
      'copies of one scalar the loop decides on (`cudaMemcpy(&count, d_count, sizeof(int), ...)` then `if (count == 0) break;`, or the next launch\'s grid: a frontier size, a convergence flag), and uploads of `__constant__` tables (`cudaMemcpyToSymbol` before the launch that reads them); a stream or device sync in a loop that can leave early, beside no synchronous copy (a decode loop\'s next token copied asynchronously, then `if (next == EOS) break`, or a residual a CUDA graph\'s memcpy node writes into the host\'s `&sum` that `if (sum <= tol) break` reads); in Python, a `.item()` that only decides whether the loop goes on (`if (y - x).abs().max().item() < tol: return y`, or kept in a name only such a test or the `while` condition reads); a scalar that is only logged (a loss per step) is still reported; a `.item()` of a tensor the host made itself (`torch.randint(0, n, (1,)).item()`, no `device=`; a `*_like` factory takes its argument\'s device and is not one), and Python functions that return or assert a comparison of results (`torch.allclose`) or are a puzzle\'s spec (`*_spec`);',
      '`cudaMemcpyAsync` on streams, and per-stream syncs before a buffer is reused;',
      'event syncs, and loops that read a clock or record events around the launch (a benchmark timing each launch);',
      'warm-up loops of a few constant iterations, and loops that allocate device memory each iteration (set-up, and test harnesses that also copy each case in and out); a helper that allocates on its first call only (`if (model->acts_memory == NULL) cudaMalloc(...)`) is no set-up, its copies run every step;',
      'a blocking loop between clock reads whose kernels the same function also runs on streams with asynchronous copies in another loop: the serialized reference it times the streamed version against (cuda-samples\' simpleStreams);',
      'a scalar the loop\'s condition tests (`while (frontier_length > 0)`); waits under a guard that picks a few iterations (`if (i == n - 1)`, `if (step % 100 == 0)`, also inside a helper called so, or in a loop under such a guard: a generation loop every `sample_every` steps; in Python host code `if step % log_every == 0:`); waits beside a timer class\'s `Start` / `Stop`.',
    ],
    example: {
      language: 'cuda',
      before: `__global__ void process(float* d, int n);
void run(float* h, float* d, int chunks, int n) {
  for (int c = 0; c < chunks; ++c) {
    cudaMemcpy(d, h + (size_t)c * n, n * sizeof(float), cudaMemcpyHostToDevice);
    process<<<(n + 255) / 256, 256>>>(d, n);
    cudaMemcpy(h + (size_t)c * n, d, n * sizeof(float), cudaMemcpyDeviceToHost);
  }
}
`,
      after: `__global__ void process(float* d, int n);
// h is pinned (cudaMallocHost); d holds one chunk per stream.
void run(float* h, float* d, cudaStream_t* streams, int chunks, int n) {
  for (int c = 0; c < chunks; ++c) {
    cudaStream_t s = streams[c % 4];
    float* dc = d + (size_t)(c % 4) * n;
    cudaMemcpyAsync(dc, h + (size_t)c * n, n * sizeof(float), cudaMemcpyHostToDevice, s);
    process<<<(n + 255) / 256, 256, 0, s>>>(dc, n);
    cudaMemcpyAsync(h + (size_t)c * n, dc, n * sizeof(float), cudaMemcpyDeviceToHost, s);
  }
  cudaDeviceSynchronize();
}
`,
      change: 'Pinned buffers and `cudaMemcpyAsync` on four streams let the copies of one chunk overlap the kernel of another; the host waits once, after the loop.',
    },
  },
  'pipelining/multi-stage': {
    finds:
      'A tiled k-loop that stages its operands through one `__shared__` buffer (global → shared copy, `__syncthreads()`, compute, `__syncthreads()`), so every iteration waits for its own loads; a loop whose `cp.async` copies are waited for as soon as they are committed (`commit_group` then `wait_group 0` with no compute between, or with `cuda::pipeline` `producer_commit` then `pipeline_consumer_wait_prior<0>` or `consumer_wait()` with no stage committed ahead: asynchronous in name only; also through `__device__` helpers that wrap the PTX, `cp_async_commit(); cp_async_wait<0>();`); in Triton, a `tl.dot` loop compiled only with `num_stages=1`. The gain is modest on CUDA cores (1.11× measured on a register-blocked SGEMM with 16-byte copies), so this rule defaults to `hint`.',
    quiet: [
      'an all-pairs tile loop (each thread copies one element, then walks the whole tile as broadcasts, n-body\'s step): compute-bound, nothing for a second stage to hide;',
      'kernels that already copy asynchronously (`cp.async`, `cuda::memcpy_async`, TMA, pipeline primitives) with compute between a commit and its wait, or a wait that leaves groups in flight (`wait_group 1`);',
      'double buffers (a stage dimension, `buf[k & 1]`) and register prefetch;',
      'kernels launched in blocks of one warp with tiles of at most 4 KB (`mma<<<grid, 32>>>`, one MMA tile a block): dozens of blocks share an SM and overlap one another\'s loads; blocks of several warps sharing bigger tiles come first;',
      'tiles copied 4 bytes at a time into a kernel with one output per thread, or whose products read both operands from shared memory (1.02× measured with 4-byte copies): register blocking comes first; so are copies not all 16 bytes wide into a product that reads one tile straight from shared memory in every FMA (1-D block tiling, `acc[i] += As[..] * b`): wider copies and a 2-D register tile come first. A tile copied by way of a register (`float4 t = ...; As[..] = t.x; ...`) is a copy like any other;',
      'Triton kernels with no `num_stages` (the default is 3 stages), or any launch or config with 2 or more (a local passed as `num_stages=num_stages` reads as the values it is assigned, and a `**config` spread as the dict literal it is set to, `dict(..., num_stages=1)` or a helper\'s returned `{..., "num_stages": 1}`);',
      'Triton `tl.dot` loops with a compile-time trip count over a dimension the code shows is small (`range(tl.cdiv(K, BK))` with `K` a head dimension: so named, a per-head size in the addresses, a head-sized literal at the launch or the block sized from it, `BK = min(64, triton.next_power_of_2(K))`; `range(0, i_i)` with `i_i = i_c % NC`): a few trips, no steady state to overlap. A GEMM\'s `K` declared `tl.constexpr` to specialize on the weight\'s shape is a long K-loop and is checked;',
      'Triton `tl.dot` loops whose every launch sizes the block to cover the dimension walked (`range(tl.cdiv(RANK, BLOCK_K))` launched with `BLOCK_K = max(16, triton.next_power_of_2(rank))`, a LoRA rank): one trip. A block capped below it (`min(64, ...)`) over a runtime `K` is checked;',
      'files in another vendor\'s backend folder (`triton_ascend/`, `_cambricon/`, `musa/`), which pipeline copies their own way.',
    ],
    example: {
      language: 'triton',
      before: TRITON_MATMUL(', num_stages=1'),
      after: TRITON_MATMUL(', num_stages=3'),
      change: 'With three stages, Triton loads the next K-blocks while `tl.dot` works on the current one.',
    },
  },
  'precision/tensor-core-eligible': {
    finds:
      'fp32 GEMM work that runs on CUDA cores where tensor cores (TF32, BF16 or FP16 inputs with fp32 accumulation) apply: a scalar-FMA GEMM k-loop in a kernel (also one in a `__device__` helper the kernel\'s tile loop calls, reported at that loop), `cublasSgemm` / `cublasSgemmEx` / `cublasGemmEx` in fp32 without a TF32 math mode, `tl.dot(..., input_precision="ieee")` or `allow_tf32=False`. TF32 rounds the inputs to a 10-bit mantissa: every finding says so in its assumptions (the hover, and `--format json`; the one-line text output leaves them out). Also a scalar-FMA GEMM k-loop over fp16 or bf16 operands (a naive HGEMM converting with `__half2float`, or accumulating with `__hfma`): tensor cores take those inputs as they are, so nothing is rounded. In Triton, a matrix multiply without `tl.dot`: blocks multiplied and reduced, or a scalar of A\'s row times a strip of B\'s per step of `k` (one program axis each; a weight the same for every program makes a weighted sum, not a product).',
    quiet: [
      'a cuBLAS fp32 GEMM in one arm of a runner\'s dispatch on an implementation number (`kernel_num`) whose other arms launch two or more of the file\'s kernels, themselves or through its wrappers (`case 0: runCublasFP32(...); case 1: sgemm_naive<<<>>>(...); ...`): the library baseline the hand-written kernels are checked and timed against;',
      'a k loop in no other whose bound every launch passes 16 or less for (`n < N` over the 10 classes of an output layer): a product that short does a few FMAs per output it writes, bound by the writes, which tensor cores do not speed;',
      'two places of one register array (`tmp[j][i]` and `tmp[j][threadIdx.x]` as a GEMV merges its warps\' partial sums): no operands of a product;',
      '`wmma` / `mma` / `wgmma` kernels, and operands of two types (an fp16 matrix times fp32 weights) or of double;',
      'handles set to `CUBLAS_TF32_TENSOR_OP_MATH` (also a mode picked at run time and kept in a variable, `enable_tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH`), handles a function creates and sets to `CUBLAS_DEFAULT_MATH` by hand (an fp32 baseline\'s), and files asking for `CUBLAS_PEDANTIC_MATH`;',
      'GEMVs, dot products, convolution windows and reference kernels;',
      'cuBLAS references and baselines (`gemm_cuBLAS_reference`, a program\'s `main`, `test_*` / `bench*` drivers);',
      'Triton kernels that turn TF32 off while casting to their inputs\' type (written for 16-bit inputs too), and recurrences that store every step;',
      'files in another vendor\'s backend folder (`triton_ascend/`, `_cambricon/`, `musa/`): TF32 is NVIDIA\'s;',
      'kernels that issue tensor-core instructions in inline PTX (`asm("mma.sync...")`, `ldmatrix`); fp32 kernels with a TF32 twin in the file (`..._f32f32f32` beside `..._tf32tf32f32`, or a TF32 tensor-core kernel of the same op, `sgemm_naive_f32_kernel` beside `sgemm_wmma_m16n16k8_tf32_kernel`), which a flag or the caller selects; loops whose two operands are only subtracted (`diff = x[..] - c[..]; d += diff * diff`, a distance: no product of the two); and an fp32 cuBLAS call the file also makes with a `CUBLAS_COMPUTE_32F_FAST_TF32` / `_FAST_16BF` compute type (a runner\'s reference beside its tensor-core variants); the legacy handle-less `cublasSgemm(\'n\', \'n\', ...)`, which has no math mode to set.',
    ],
    example: {
      language: 'cuda',
      before: `#include <cublas_v2.h>
void gemm(cublasHandle_t h, const float* A, const float* B, float* C, int M, int N, int K) {
  const float one = 1.f, zero = 0.f;
  cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, N, M, K, &one, B, N, A, K, &zero, C, N);
}
`,
      after: `#include <cublas_v2.h>
void gemm(cublasHandle_t h, const float* A, const float* B, float* C, int M, int N, int K) {
  const float one = 1.f, zero = 0.f;
  cublasSetMathMode(h, CUBLAS_TF32_TENSOR_OP_MATH);  // inputs rounded to TF32, fp32 accumulation
  cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, N, M, K, &one, B, N, A, K, &zero, C, N);
}
`,
      change: 'The TF32 math mode runs the same call on tensor cores (8.03× on an H200 for 4096³), if TF32 inputs are accurate enough for the model.',
    },
  },
};
