// The fixes of memory/uncoalesced-access: where they are not offered (and why), and what the
// rewritten code does where it is cheap to check (fixed/ holds the full before/after texts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixTests } from '../../../../../test/support/fixes';

const { outcomes, fixAll, refused } = fixTests('memory/uncoalesced-access');

const SGEMM = `
__global__ void sgemm_rows(const float* A, const float* B, float* C, int M, int N, int K) {
  int row = blockIdx.x * blockDim.x + threadIdx.x;
  int col = blockIdx.y * blockDim.y + threadIdx.y;
  if (row < M && col < N) {
    float acc = 0.0f;
    for (int k = 0; k < K; ++k) acc += A[row * K + k] * B[k * N + col];
    C[row * N + col] = acc;
  }
}
void launch(const float* A, const float* B, float* C, int M, int N, int K) {
  dim3 block(32, 32);
  dim3 grid((M + 31) / 32, (N + 31) / 32);
  sgemm_rows<<<grid, block>>>(A, B, C, M, N, K);
}
`;

test('swap: the finding offers the swap, and fix-all applies it once', () => {
  const o = outcomes(SGEMM);
  assert.equal(o.length, 1, "A in the k-loop; C is written once per thread after it");
  for (const x of o) {
    assert.equal(x.fixes.length, 1);
    // the old grid.x, (M + 31) / 32, becomes grid.y, capped at 65,535 blocks: for review
    assert.equal(x.fixes[0].safe, false);
    assert.match(x.fixes[0].title, /`\(M \+ 31\) \/ 32` becomes its y dimension, which must stay within 65,535 blocks/);
    assert.deepEqual(x.fixes[0].edits, o[0].fixes[0].edits);
  }
  // a constant grid within the limit is proven: safe
  const fixed = outcomes(SGEMM.replace('dim3 grid((M + 31) / 32, (N + 31) / 32);', 'dim3 grid(64, 64);'));
  assert.equal(fixed[0].fixes[0].safe, true);
  assert.doesNotMatch(fixed[0].fixes[0].title, /65,535/);
  const after = fixAll(SGEMM);
  assert.match(after, /int row = blockIdx\.y \* blockDim\.y \+ threadIdx\.y;/);
  assert.match(after, /int col = blockIdx\.x \* blockDim\.x \+ threadIdx\.x;/);
  // the grid still covers the matrix: N along x (columns), M along y (rows); a square block stays
  assert.match(after, /dim3 grid\(\(N \+ 31\) \/ 32, \(M \+ 31\) \/ 32\);/);
  assert.match(after, /dim3 block\(32, 32\);/);
  assert.deepEqual(outcomes(after), [], 'the swapped kernel is quiet');
});

test('swap: a non-square block is swapped with the grid; a grid that reads the block is swapped at the launch', () => {
  const text = readFileSync(join(__dirname, 'fixtures/swap_thread_roles.cu'), 'utf8');
  const after = fixAll(text);
  assert.match(after, /dim3 grid\(\(cols \+ block\.y - 1\) \/ block\.y, \(rows \+ block\.x - 1\) \/ block\.x\);/);
  assert.match(after, /scale_rows<<<grid, dim3\(block\.y, block\.x, block\.z\)>>>/);
  assert.match(after, /dim3 block\(8, 32\);/, 'the declaration the grid reads is kept');
});

test('swap: inline and one-dimensional grids, grids shared with another kernel', () => {
  const kernel = (name: string) => `
__global__ void ${name}(float* m, int rows, int cols) {
  int r = blockIdx.x * blockDim.x + threadIdx.x;
  int c = blockIdx.y * blockDim.y + threadIdx.y;
  if (r < rows && c < cols) m[r * cols + c] *= 0.5f;
}`;
  const inline = `${kernel('zero')}
void run(float* m, int rows, int cols) { zero<<<dim3((rows + 15) / 16, (cols + 15) / 16), dim3(16, 16)>>>(m, rows, cols); }
`;
  assert.match(fixAll(inline), /zero<<<dim3\(\(cols \+ 15\) \/ 16, \(rows \+ 15\) \/ 16\), dim3\(16, 16\)>>>/);
  const shared = `${kernel('zero')}${kernel('other')}
void run(float* m, int rows, int cols) {
  dim3 grid((rows + 15) / 16, (cols + 15) / 16), block(16, 16);
  zero<<<grid, block>>>(m, rows, cols);
  other<<<grid, block>>>(m, rows, cols);
}
`;
  const after = fixAll(shared);
  assert.match(after, /zero<<<dim3\(grid\.y, grid\.x, grid\.z\), block>>>/, 'the grid another launch reads is swapped at this launch only');
  assert.match(after, /other<<<dim3\(grid\.y, grid\.x, grid\.z\), block>>>/);
  assert.match(after, /dim3 grid\(\(rows \+ 15\) \/ 16, \(cols \+ 15\) \/ 16\)/);
});

test('no swap for a one-dimensional kernel: a thread per row needs another split of the work', () => {
  refused(
    `__global__ void row_sums(const float* x, float* y, int rows, int cols) {
  int r = blockIdx.x * blockDim.x + threadIdx.x;
  if (r >= rows) return;
  float s = 0.0f;
  for (int c = 0; c < cols; ++c) s += x[r * cols + c];
  y[r] = s;
}
void run(const float* x, float* y, int rows, int cols) { row_sums<<<(rows + 255) / 256, 256>>>(x, y, rows, cols); }
`,
    /threadIdx\.x is the only thread index of `row_sums`/,
  );
});

test('no swap for a gather: a data-dependent index is never remapped', () => {
  refused(
    `__global__ void gather_rows(const float* in, const int* idx, float* out, int rows, int cols) {
  int r = blockIdx.x * blockDim.x + threadIdx.x;
  int c = blockIdx.y * blockDim.y + threadIdx.y;
  if (r < rows && c < cols) out[r * cols + c] = in[idx[r] * cols + c];
}
void run(const float* in, const int* idx, float* out, int rows, int cols) {
  gather_rows<<<dim3((rows + 15) / 16, (cols + 15) / 16), dim3(16, 16)>>>(in, idx, out, rows, cols);
}
`,
    /data-dependent|gather/,
  );
});

test('no swap with atomics, shared memory or warp-level code', () => {
  const body = (extra: string) => `__global__ void k(float* m, float* acc, int rows, int cols) {
  int r = blockIdx.x * blockDim.x + threadIdx.x;
  int c = blockIdx.y * blockDim.y + threadIdx.y;
  if (r < rows && c < cols) { float v = m[r * cols + c]; ${extra} }
}
void run(float* m, float* acc, int rows, int cols) { k<<<dim3(rows / 16, cols / 16), dim3(16, 16)>>>(m, acc, rows, cols); }
`;
  refused(body('atomicAdd(&acc[c], v);'), /atomicAdd.*reduction/);
  refused(body('v = __shfl_down_sync(0xffffffff, v, 1); acc[r] = v;'), /__shfl_down_sync.*warp/);
  refused(body('__shared__ float t[16][17]; t[threadIdx.y][threadIdx.x] = v; __syncthreads(); acc[r] = t[threadIdx.x][threadIdx.y];'), /shared memory/);
});

test('no swap where the launch cannot follow: outside the file, 1-D blocks, blocks one column wide', () => {
  const kernel = `__global__ void k(float* m, int rows, int cols) {
  int r = blockIdx.x * blockDim.x + threadIdx.x;
  int c = blockIdx.y * blockDim.y + threadIdx.y;
  if (r < rows && c < cols) m[r * cols + c] *= 2.0f;
}
`;
  refused(kernel, /launched outside this file/);
  refused(`${kernel}void run(float* m, int rows, int cols) { k<<<dim3(rows / 256, cols), 256>>>(m, rows, cols); }\n`, /one-dimensional blocks/);
  refused(`${kernel}void run(float* m, int rows, int cols) { k<<<dim3(rows / 256, cols), dim3(256, 1)>>>(m, rows, cols); }\n`, /256 x 1: with x and y swapped a warp would still span 1 element/);
  // (Rodinia's 4x4 blocks: a warp is one block, whose rows stay 4 long however x and y are assigned)
  refused(`${kernel}void run(float* m, int rows, int cols) { k<<<dim3(rows / 4, cols / 4), dim3(4, 4)>>>(m, rows, cols); }\n`, /4×4 blocks, a warp of 16 threads: swapped, a warp still reads rows of 4/);
});

test('no swap where it trades one strided access for another: the other operand of a GEMM', () => {
  refused(
    `__global__ void linear(const float* x, const float* W, float* y, int B, int N, int K) {
  const int n = blockIdx.x * blockDim.x + threadIdx.x;
  const int b = blockIdx.y * blockDim.y + threadIdx.y;
  if (n >= N || b >= B) return;
  float acc = 0.0f;
  for (int k = 0; k < K; ++k) acc += x[b * K + k] * W[n * K + k];
  y[b * N + n] = acc;
}
void run(const float* x, const float* W, float* y, int B, int N, int K) {
  dim3 block(32, 4);
  linear<<<dim3((N + 31) / 32, (B + 3) / 4), block>>>(x, W, y, B, N, K);
}
`,
    /would make `x\[b \* K \+ k\]` strided instead/,
  );
});

const TRANSPOSE = `__global__ void transpose(const float* __restrict__ in, float* __restrict__ out, int rows, int cols) {
  int x = blockIdx.x * blockDim.x + threadIdx.x;
  int y = blockIdx.y * blockDim.y + threadIdx.y;
  if (x < cols && y < rows) out[x * rows + y] = in[y * cols + x];
}
`;

test('transpose: staged through a padded tile, bounds-checked on both sides, one 32x8 block per 32x32 tile', () => {
  const text = `${TRANSPOSE}void launch(const float* in, float* out, int rows, int cols) {
  dim3 block(32, 8);
  dim3 grid((cols + 31) / 32, (rows + 7) / 8);
  transpose<<<grid, block>>>(in, out, rows, cols);
}
`;
  const [o] = outcomes(text);
  assert.ok(o.fixes[0].safe);
  const after = fixAll(text);
  assert.match(after, /__shared__ float tile\[32\]\[33\];/);
  assert.match(after, /if \(x < cols && y \+ j < rows\) tile\[threadIdx\.y \+ j\]\[threadIdx\.x\] = in\[\(y \+ j\) \* cols \+ x\];/);
  assert.match(after, /__syncthreads\(\);/);
  assert.match(after, /if \(x < rows && y \+ j < cols\) out\[\(y \+ j\) \* rows \+ x\] = tile\[threadIdx\.x\]\[threadIdx\.y \+ j\];/);
  assert.match(after, /dim3 grid\(\(cols \+ 31\) \/ 32, \(rows \+ 31\) \/ 32\);/);
  assert.match(after, /dim3 block\(32, 8\);/);
  assert.deepEqual(outcomes(after), []);
});

test('transpose: the kernel relabelled by hand (x on the rows of in) and a scaled value', () => {
  const after = fixAll(readFileSync(join(__dirname, 'fixtures/transpose_scaled.cu'), 'utf8'));
  assert.match(after, /__shared__ double tile\[32\]\[33\];/);
  assert.match(after, /out\[\(size_t\)\(y \+ j\) \* rows \+ x\] = alpha \* tile\[threadIdx\.x\]\[threadIdx\.y \+ j\];/);
  assert.match(after, /<<<dim3\(\(cols \+ 31\) \/ 32, \(rows \+ 31\) \/ 32\), dim3\(32, 8\), 0, stream>>>/);
});

test('no transpose rewrite without the launch, a bounds check, a covering grid, or when the kernel does more', () => {
  refused(TRANSPOSE, /launched outside this file/);
  refused(
    `__global__ void transpose(const float* in, float* out, int rows, int cols) {
  int x = blockIdx.x * blockDim.x + threadIdx.x;
  int y = blockIdx.y * blockDim.y + threadIdx.y;
  out[x * rows + y] = in[y * cols + x];
}
void launch(const float* in, float* out, int rows, int cols) { transpose<<<dim3(cols / 32, rows / 8), dim3(32, 8)>>>(in, out, rows, cols); }
`,
    /no bounds check/,
  );
  refused(`${TRANSPOSE}void launch(const float* in, float* out, int rows, int cols) { transpose<<<dim3(cols / 32, rows / 8), dim3(32, 8)>>>(in, out, rows, cols); }\n`, /not seen to cover/);
  refused(
    `__global__ void transpose_plus(const float* in, float* out, float* sum, int rows, int cols) {
  int x = blockIdx.x * blockDim.x + threadIdx.x;
  int y = blockIdx.y * blockDim.y + threadIdx.y;
  if (x < cols && y < rows) out[x * rows + y] = in[y * cols + x];
  if (x == 0 && y < rows) sum[y] = 0.0f;
}
void launch(const float* in, float* out, float* sum, int rows, int cols) { transpose_plus<<<dim3((cols + 31) / 32, (rows + 7) / 8), dim3(32, 8)>>>(in, out, sum, rows, cols); }
`,
    /swapping x and y would make `in\[y \* cols \+ x\]` strided/,
  );
  refused(
    `#include <cuda_fp16.h>
__global__ void transpose_h(const __half* in, __half* out, int rows, int cols) {
  int x = blockIdx.x * blockDim.x + threadIdx.x;
  int y = blockIdx.y * blockDim.y + threadIdx.y;
  if (x < cols && y < rows) out[x * rows + y] = in[y * cols + x];
}
void launch(const __half* in, __half* out, int rows, int cols) { transpose_h<<<dim3((cols + 31) / 32, (rows + 7) / 8), dim3(32, 8)>>>(in, out, rows, cols); }
`,
    /16-bit: the padded 32x33 tile is written for 4- and 8-byte elements/,
  );
});

test('CPU loop nests and Triton kernels get a reason, not a rewrite', () => {
  const cpu = `void column_sums(const float* a, float* s, int n) {
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < n; ++i) s[j] += a[i * n + j];
}
`;
  for (const o of outcomes(cpu, 'cpu.cpp')) assert.match(o.reason ?? '', /CPU loop nest/);
});
