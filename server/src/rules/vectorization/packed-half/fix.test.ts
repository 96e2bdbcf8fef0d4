// The fix of vectorization/packed-half: where it is not offered (and why), and what the
// rewritten code does where that is cheap to check (fixed/ holds full before/after texts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixTests } from '../../../../../test/support/fixes';

const { outcomes, fixAll, refused } = fixTests('vectorization/packed-half');

const HEAD = '#include <cuda_fp16.h>\n#include <cuda_bf16.h>\n';

/** The one fix of the text's one finding. */
function onlyFix(text: string) {
  const o = outcomes(text);
  assert.equal(o.length, 1, 'one finding');
  assert.equal(o[0].fixes.length, 1, `a fix (${o[0].reason})`);
  return o[0].fixes[0];
}
/** Whitespace-insensitive "contains". */
const has = (text: string, part: string) => assert.ok(text.replace(/\s+/g, ' ').includes(part.replace(/\s+/g, ' ')), `expected \`${part}\` in:\n${text}`);
const lacks = (text: string, part: string) => assert.ok(!text.replace(/\s+/g, ' ').includes(part.replace(/\s+/g, ' ')), `unexpected \`${part}\` in:\n${text}`);

const AXPB = readFileSync(join(__dirname, '../../../../../bench/gpu/packed_half/before.cu'), 'utf8');

test('the benchmark pair: 8 halves per thread, the same operations paired, a scalar tail, 1/8 of the blocks; safe', () => {
  const fix = onlyFix(AXPB);
  assert.equal(fix.safe, true);
  assert.match(fix.title, /8 fp16 elements per thread as 4 `__half2`.*1\/8 of the blocks/);
  const after = fixAll(AXPB);
  // __hmul then __hadd stay two rounded operations: no fused __hfma2
  has(after, 'y2[k] = __hadd2(__hmul2(a2, x2[k]), b2);');
  lacks(after, '__hfma2');
  has(after, 'const __half2 a2 = __half2half2(a);');
  // one 16-byte load and store, only where all 8 are in range and both arrays are 16-byte aligned
  // the chunks of 8 start at x's first 16-byte boundary (arrays offset alike stay packed); the first thread takes the elements before it
  has(after, 'const int head = n >= 8 ? (int)((16 - (size_t)x % 16) % 16 / 2) : 0;');
  has(after, 'long long i = head + 8LL * (blockIdx.x * blockDim.x + threadIdx.x);');
  has(after, 'if (i == head) for (int k = 0; k < head; ++k) y[i - head + k] = __hadd(__hmul(a, x[i - head + k]), b);');
  has(after, 'if (i + 8 <= n && ((size_t)(x + i) | (size_t)(y + i)) % 16 == 0) {');
  has(after, 'const uint4 x8 = *reinterpret_cast<const uint4*>(x + i);');
  has(after, '*reinterpret_cast<uint4*>(y + i) = y8;');
  // the original statement for the tail (and unaligned arrays), element i + k
  has(after, 'for (int k = 0; k < 8 && i + k < n; ++k) y[i + k] = __hadd(__hmul(a, x[i + k]), b);');
  has(after, 'axpb<<<((n + 255) / 256 + 7) / 8, 256>>>(x, y, a, b, n);');
  assert.deepEqual(outcomes(after), [], 'the rewritten kernel draws no finding');
});

test('a fused multiply-add stays fused; a float round trip converts pairs, rounding to nearest as before', () => {
  const fixed = readFileSync(join(__dirname, 'fixed/scalar_half_kernels.cu'), 'utf8');
  has(fixed, 'y2[k] = __hfma2(a2, x2[k], b2);');
  has(fixed, 'const float2 xf = __bfloat1622float2(x2[k]);');
  has(fixed, 'out2[k] = __floats2bfloat162_rn(xf.x + rf.x, xf.y + rf.y);');
  // grid-stride: 8 elements per step, the stride 8 times as long; no launch changes
  has(fixed, 'for (long long i = head + 8LL * (blockIdx.x * blockDim.x + threadIdx.x); i < n; i += 8LL * blockDim.x * gridDim.x) {');
  // block-stride over a row: the row's first 16-byte boundary, from the row's index at column 0; the index once per 8 elements
  has(fixed, 'const int head = cols >= 8 ? (int)((16 - (size_t)(x + ((size_t)blockIdx.x * cols)) % 16) % 16 / 2) : 0;');
  has(fixed, 'for (long long c = head + 8LL * threadIdx.x; c < cols; c += 8LL * blockDim.x) {\n    const size_t i = (size_t)blockIdx.x * cols + c;');
  has(fixed, 'if (c == head) for (int k = 0; k < head; ++k) {');
  has(fixed, 'for (int k = 0; k < 8 && c + k < cols; ++k) {');
});

test('grid-stride and block-stride loops need no launch change: one edit, safe', () => {
  const src = `${HEAD}
__global__ void relu_bf16(const __nv_bfloat16* __restrict__ x, __nv_bfloat16* __restrict__ y, int n) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) y[i] = __hmax(x[i], __float2bfloat16(0.0f));
}
void run(const __nv_bfloat16* x, __nv_bfloat16* y, int n) { relu_bf16<<<132, 256>>>(x, y, n); }
`;
  const fix = onlyFix(src);
  assert.equal(fix.safe, true);
  assert.equal(fix.edits.length, 1);
  const after = fixAll(src);
  has(after, 'const __nv_bfloat162 h2 = __bfloat162bfloat162(__float2bfloat16(0.0f));');
  has(after, 'y2[k] = __hmax2(x2[k], h2);');
  has(after, 'relu_bf16<<<132, 256>>>(x, y, n);');
});

test('a loop a thread runs over a row steps by 8; generated names avoid the kernel\'s own', () => {
  const src = `${HEAD}
__global__ void scale_rows(const __half* __restrict__ x, __half* __restrict__ y, __half s, int K) {
  const size_t row = blockIdx.x;
  const int x2 = 3;
  for (int k = 0; k < K; ++k) y[row * K + k] = __hmul(x[row * K + k], s) ;
}
`;
  const fix = onlyFix(src);
  assert.equal(fix.safe, true);
  const after = fixAll(src);
  has(after, 'const int head = K >= 8 ? (int)((16 - (size_t)(x + (row * K)) % 16) % 16 / 2) : 0;');
  has(after, 'for (long long k = head; k < K; k += 8) {');
  has(after, 'if (k + 8 <= K && ((size_t)(x + (row * K + k)) | (size_t)(y + (row * K + k))) % 16 == 0) {');
  // `k` and `x2` are the kernel's: the pairs loop and the view of x take other names
  has(after, 'const __half2* x2_ = reinterpret_cast<const __half2*>(&x8);');
  has(after, 'for (int k_ = 0; k_ < 4; ++k_) y2[k_] = __hmul2(x2_[k_], s2);');
  has(after, 'for (int k_ = 0; k_ < 8 && k + k_ < K; ++k_) y[row * K + k + k_] = __hmul(x[row * K + k + k_], s) ;');
});

test('an early return keeps its guard; locals become pairs', () => {
  const fixed = readFileSync(join(__dirname, 'fixed/packed_forms.cu'), 'utf8');
  has(fixed, 'if (i >= n) return;\n  if (i == head) for (int k = 0; k < head; ++k) {');
  has(fixed, 'const float2 v = __half22float2(x2[k]);');
  has(fixed, 'const __half2 ax = __hmul2(a2, x2[k]);\n      y2[k] = __hadd2(y2[k], ax);');
  // an in-place update loads y before it stores it
  has(fixed, 'uint4 y8 = *reinterpret_cast<const uint4*>(y + i);');
  has(fixed, 'haxpy_inplace<<<(blocks + 7) / 8, threads, 0, stream>>>(x, y, a, n);');
});

test('a bound declared after the index: the chunks are shifted right before the guard', () => {
  const src = `${HEAD}
__global__ void scale2d(const __half* __restrict__ x, __half* __restrict__ y, __half s, int rows, int cols) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  const int total = rows * cols;
  if (i >= total) return;
  y[i] = __hmul(x[i], s);
}
void run(const __half* x, __half* y, __half s, int rows, int cols) { scale2d<<<(rows * cols + 255) / 256, 256>>>(x, y, s, rows, cols); }
`;
  const fix = onlyFix(src);
  assert.equal(fix.safe, true);
  const after = fixAll(src);
  has(after, 'long long i = 8LL * (blockIdx.x * blockDim.x + threadIdx.x);\n  const int total = rows * cols;');
  has(after, 'const int head = total >= 8 ? (int)((16 - (size_t)x % 16) % 16 / 2) : 0;\n  i += head;\n  if (i >= total) return;\n  if (i == head)');
  has(after, 'scale2d<<<((rows * cols + 255) / 256 + 7) / 8, 256>>>(x, y, s, rows, cols);');
});

test('an index read from memory is not computed ahead: the chunks start at element 0; a loop outside a block gets one', () => {
  const src = `${HEAD}
__global__ void seg_scale(const __half* __restrict__ x, __half* __restrict__ y, const int* __restrict__ offsets, __half s, int len) {
  for (int c = threadIdx.x; c < len; c += blockDim.x) {
    const int off = offsets[blockIdx.x];
    const int i = off + c;
    y[i] = __hmul(x[i], s);
  }
}
__global__ void maybe_scale(const __half* __restrict__ x, __half* __restrict__ y, __half s, int n, bool on) {
  if (on)
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) y[i] = __hmul(x[i], s);
}
`;
  const after = fixAll(src);
  has(after, 'for (long long c = 8LL * threadIdx.x; c < len; c += 8LL * blockDim.x) {\n    const int off = offsets[blockIdx.x];\n    const int i = off + c;\n    if (c + 8 <= len &&');
  has(after, 'if (on)\n    {\n      // Packed fp16');
  has(after, 'const int head = n >= 8 ? (int)((16 - (size_t)x % 16) % 16 / 2) : 0;\n      for (long long i = head + 8LL *');
  assert.equal((after.match(/const int head/g) ?? []).length, 1);
  assert.deepEqual(outcomes(after), []);
});

test('a launch the file does not hold, or a grid it cannot divide or prove, makes the fix one to review', () => {
  const kernel = `${HEAD}
__global__ void hscale(const __half* __restrict__ x, __half* __restrict__ y, __half s, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = __hmul(x[i], s);
}
`;
  let fix = onlyFix(kernel);
  assert.equal(fix.safe, false);
  assert.match(fix.title, /the caller must launch `hscale` with \(\(grid\) \+ 7\) \/ 8 blocks/);
  fix = onlyFix(`${kernel}void run(const __half* x, __half* y, __half s, int n) { dim3 grid((n + 255) / 256); hscale<<<grid, 256>>>(x, y, s, n); }\n`);
  assert.equal(fix.safe, false);
  assert.match(fix.title, /divide the grid of `grid` by 8/);
  fix = onlyFix(`${kernel}void run(const __half* x, __half* y, __half s, int n) { hscale<<<(n + 127) / 128, 256>>>(x, y, s, n); }\n`);
  assert.equal(fix.safe, false, 'a grid of 128-element blocks for 256 threads is not proven');
  assert.match(fix.title, /assumes the grid covered all `n` elements/);
  fix = onlyFix(`${kernel}void run(const __half* x, __half* y, __half s, int n) { const int threads = 512; hscale<<<(n + threads - 1) / threads, threads>>>(x, y, s, n); }\n`);
  assert.equal(fix.safe, true);
});

test('not offered: a template kernel dispatched on Half / BFloat16', () => {
  refused(readFileSync(join(__dirname, 'fixtures/dispatched_template.cu'), 'utf8'), /template on `scalar_t`.*Half \/ BFloat16 kernel/);
});

const guarded = (params: string, body: string) => `${HEAD}
__global__ void k1(${params}, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) {
    ${body}
  }
}
`;

test('not offered: a neighbour element', () => {
  refused(guarded('const __half* __restrict__ x, __half* __restrict__ y', 'y[i] = __hadd(x[i], x[i + 1]);'), /reads `x\[i \+ 1\]`, not only element `i`/);
});

test('not offered: a branch per element', () => {
  refused(guarded('const __half* __restrict__ x, __half* __restrict__ y, __half s', 'if (__hgt(x[i], s)) y[i] = __hmul(x[i], s);'), /element code has `if \(__hgt\(x\[i\], s\)\)/);
});

test('not offered: the index used as a value', () => {
  refused(guarded('const __half* __restrict__ x, __half* __restrict__ y', 'y[i] = __hmul(x[i], __int2half_rn(i));'), /uses the index `i` as a value/);
});

test('not offered: a float array in the element code', () => {
  refused(guarded('const __half* __restrict__ x, __half* __restrict__ y, float* __restrict__ f, __half s', 'y[i] = __hmul(x[i], s);\n    f[i] = __half2float(y[i]);'), /writes `f\[i\]`, a `float` array: only 16-bit arrays are packed/);
});

test('not offered: a conversion that rounds otherwise than to nearest', () => {
  refused(guarded('const __half* __restrict__ x, __half* __restrict__ y', 'y[i] = __float2half_rz(__half2float(x[i]) * 3.0f);'), /`__float2half_rz` has no paired form that rounds the same way/);
});

test('not offered: a read after a write through a pointer that may be the same memory', () => {
  refused(guarded('const __half* x, __half* y, const __half* w, __half* z, __half s', 'y[i] = __hmul(x[i], s);\n    z[i] = __hmul(w[i], s);'), /reads `w\[i\]` after writing `y`, which may be the same memory/);
});

test('not offered: a two-dimensional guard, or a loop that hands out elements otherwise', () => {
  refused(
    `${HEAD}
__global__ void k2(const __half* __restrict__ x, __half* __restrict__ y, __half s, int M, int N) {
  int row = blockIdx.y;
  int col = blockIdx.x * blockDim.x + threadIdx.x;
  if (row < M && col < N) y[row * N + col] = __hmul(x[row * N + col], s);
}
`,
    /the guard `if \(row < M && col < N\)[^`]*` is not `col < n`/,
  );
  refused(
    `${HEAD}
__global__ void k3(const __half* __restrict__ x, __half* __restrict__ y, __half s, int n) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += 2 * blockDim.x * gridDim.x) y[i] = __hmul(x[i], s);
}
`,
    /hands out elements in a form the fix does not rewrite/,
  );
});

test('every finding of a file is fixed in one pass', () => {
  const src = readFileSync(join(__dirname, 'fixtures/packed_forms.cu'), 'utf8');
  const o = outcomes(src);
  assert.equal(o.length, 5);
  assert.ok(o.every((x) => x.fixes.length === 1));
  assert.deepEqual(outcomes(fixAll(src)), []);
});
