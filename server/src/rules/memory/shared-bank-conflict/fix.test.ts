// The fixes of memory/shared-bank-conflict: where padding the rows is not offered (and why),
// and what the padded code does where it is cheap to check (fixed/ holds full before/after texts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixTests } from '../../../../../test/support/fixes';

const { outcomes, fixAll, refused } = fixTests('memory/shared-bank-conflict');

test('2-D tiles keep the padding of the inner dimension', () => {
  const text = `__global__ void t(const float* in, float* out) {
  __shared__ float tile[32][32];
  tile[threadIdx.y][threadIdx.x] = in[threadIdx.y * 32 + threadIdx.x];
  __syncthreads();
  out[threadIdx.y * 32 + threadIdx.x] = tile[threadIdx.x][threadIdx.y];
}
`;
  const [o] = outcomes(text);
  assert.equal(o.fixes[0].title, 'Pad the inner dimension of `tile` to `33`');
  assert.ok(o.fixes[0].safe);
  assert.match(fixAll(text), /__shared__ float tile\[32\]\[33\];/);
});

test('1-D rows: every index, the declared size and a comment; quiet afterwards', () => {
  const text = `#define W 32
__global__ void t(const float* in, float* out) {
  __shared__ float s[W * W];
  s[threadIdx.y * W + threadIdx.x] = in[threadIdx.y * W + threadIdx.x];
  __syncthreads();
  out[threadIdx.y * W + threadIdx.x] = s[threadIdx.x * W + threadIdx.y];
}
void run(const float* in, float* out) { t<<<1, dim3(32, 32)>>>(in, out); }
`;
  const after = fixAll(text);
  assert.match(after, /__shared__ float s\[W \* \(W \+ 1\)\];/);
  assert.match(after, /s\[threadIdx\.y \* \(W \+ 1\) \+ threadIdx\.x\] = in\[threadIdx\.y \* W \+ threadIdx\.x\]/, 'global indices are left alone');
  assert.match(after, /= s\[threadIdx\.x \* \(W \+ 1\) \+ threadIdx\.y\];/);
  assert.match(after, /\/\/ s: rows padded from W to W \+ 1 elements/);
  assert.deepEqual(outcomes(after), []);
});

test('extern rows: pointers into the buffer move by whole padded rows and the launch allocates more (for review)', () => {
  const text = readFileSync(join(__dirname, 'fixtures/flash_rows_launched.cu'), 'utf8');
  const [o] = outcomes(text);
  assert.equal(o.fixes[0].safe, false, 'a larger dynamic allocation may not fit: the user reviews it');
  const after = fixAll(text);
  assert.match(after, /float\* Kj = &sram\[Bc \* \(d \+ 1\)\];/);
  assert.match(after, /const size_t sram_size = 2 \* Bc \* \(d \+ 1\) \* sizeof\(float\);/);
  assert.match(after, /sum \+= Qi\[tx \* \(d \+ 1\) \+ x\] \* Kj\[y \* \(d \+ 1\) \+ x\]/);
  assert.match(after, /Q\[blockIdx\.x \* tile \+ tx \* d \+ x\]/, 'the global layout is unchanged');
});

/** A kernel whose threads each own a row of `d` floats in an extern tile (its launch is the test's). */
const EXTERN_ROWS = `__global__ void k(const float* q, float* o, int d) {
  extern __shared__ float buf[];
  for (int x = 0; x < d; ++x) buf[threadIdx.x * d + x] = q[x];
  __syncthreads();
  float s = 0.0f;
  for (int x = 0; x < d; ++x) s += buf[threadIdx.x * d + x];
  o[threadIdx.x] = s;
}
`;

test('extern rows launched with a host name for the row length and a size variable the opt-in limit reads', () => {
  const text = `${EXTERN_ROWS}void run(const float* q, float* o, int head_dim) {
  const int bytes = 128 * head_dim * sizeof(float);
  cudaFuncSetAttribute(k, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes);
  k<<<1, 128, bytes>>>(q, o, head_dim);
}
`;
  const after = fixAll(text);
  assert.match(after, /const int bytes = 128 \* \(head_dim \+ 1\) \* sizeof\(float\);/);
  assert.match(after, /k<<<1, 128, bytes>>>/);
});

test('no row padding where the launch or the size is out of reach', () => {
  refused(readFileSync(join(__dirname, 'fixtures/extern_rows.cu'), 'utf8'), /set where it is launched, outside this file/);
  refused(`${EXTERN_ROWS}void run(const float* q, float* o, int d) { k<<<1, 128, 128 * d * sizeof(float) + 256>>>(q, o, d); }\n`, /not written as a product with `d`/);
  refused(
    `${EXTERN_ROWS}void run(const float* q, float* o, int d) {
  cudaFuncSetAttribute(k, cudaFuncAttributeMaxDynamicSharedMemorySize, 100000);
  k<<<1, 128, 128 * d * sizeof(float)>>>(q, o, d);
}
`,
    /MaxDynamicSharedMemorySize/,
  );
});

test('no row padding unless every use of the array is row * W + col with the column below W', () => {
  const launch = 'void run(const float* in, float* out) { t<<<1, dim3(32, 32)>>>(in, out); }\n';
  // a plain index as well
  refused(
    `__global__ void t(const float* in, float* out) {
  __shared__ float s[32 * 32];
  s[threadIdx.y * 32 + threadIdx.x] = in[threadIdx.y * 32 + threadIdx.x];
  __syncthreads();
  out[threadIdx.y * 32 + threadIdx.x] = s[threadIdx.x * 32 + threadIdx.y] + s[threadIdx.x];
}
${launch}`,
    /`s\[threadIdx\.x\]` is not indexed `row \* 32 \+ col`/,
  );
  // a column that may run past the row
  refused(
    `__global__ void t(const float* in, float* out, int c) {
  __shared__ float s[32 * 32];
  s[threadIdx.y * 32 + threadIdx.x] = in[threadIdx.y * 32 + threadIdx.x];
  __syncthreads();
  out[threadIdx.y * 32 + threadIdx.x] = s[threadIdx.x * 32 + c];
}
void run(const float* in, float* out, int c) { t<<<1, dim3(32, 32)>>>(in, out, c); }
`,
    /`c` in `s\[threadIdx\.x \* 32 \+ c\]` is not seen to stay below `32`/,
  );
  // blocks wider than a row: threadIdx.x may index past it
  refused(
    `__global__ void t(const float* in, float* out) {
  __shared__ float s[64 * 32];
  s[threadIdx.y * 32 + threadIdx.x] = in[threadIdx.y * 32 + threadIdx.x];
  __syncthreads();
  out[threadIdx.x] = s[threadIdx.x * 32 + threadIdx.y];
}
void run(const float* in, float* out) { t<<<1, dim3(64, 16)>>>(in, out); }
`,
    /`threadIdx\.x` in `s\[threadIdx\.y \* 32 \+ threadIdx\.x\]` is not seen to stay below `32`/,
  );
  // the array escapes to a helper
  refused(
    `__device__ float first(const float* p) { return p[0]; }
__global__ void t(const float* in, float* out) {
  __shared__ float s[32 * 32];
  s[threadIdx.y * 32 + threadIdx.x] = in[threadIdx.y * 32 + threadIdx.x];
  __syncthreads();
  out[threadIdx.y * 32 + threadIdx.x] = s[threadIdx.x * 32 + threadIdx.y] + first(s);
}
${launch}`,
    /`s` is also used in `first\(s\)`/,
  );
});

test('no one-word pad for an array also read 16 bytes at a time: it would misalign those reads', () => {
  refused(
    `__global__ void t(const float* in, float* out) {
  __shared__ float s[32 * 32];
  s[threadIdx.x * 32 + threadIdx.y] = in[threadIdx.y * 32 + threadIdx.x];
  __syncthreads();
  float4 v = *reinterpret_cast<const float4*>(&s[threadIdx.y * 32 + 4 * (threadIdx.x % 8)]);
  out[threadIdx.y * 32 + threadIdx.x] = v.x + v.y + v.z + v.w;
}
void run(const float* in, float* out) { t<<<1, dim3(32, 32)>>>(in, out); }
`,
    /accessed 8 or 16 bytes at a time/,
  );
});

test('lanes that meet within one row: the finding says padding does not help, and no padding is offered', () => {
  // 3 columns per thread, 8 apart: the loads stay 4-byte (an odd count is not merged), 4 words apart across 16 lanes
  const text = `#define BK 8
#define BN 128
#define TN 3
__global__ void mm(const float* A, const float* B, float* C, int K) {
  __shared__ float Bs[BK][BN];
  float acc[TN] = {0.f};
  for (int t = 0; t < K; t += BK) {
    Bs[threadIdx.y][threadIdx.x] = B[(t + threadIdx.y) * BN + threadIdx.x];
    __syncthreads();
    for (int k = 0; k < BK; ++k)
      for (int j = 0; j < TN; ++j) acc[j] += Bs[k][threadIdx.x * 8 + j];
    __syncthreads();
  }
  for (int j = 0; j < TN; ++j) C[threadIdx.x * TN + j] = acc[j];
}
void run(const float* A, const float* B, float* C, int K) { mm<<<1, dim3(16, 8)>>>(A, B, C, K); }
`;
  const [o] = outcomes(text);
  assert.ok(o, 'the conflict is reported');
  assert.deepEqual(o.fixes, []);
  assert.match(o.reason ?? '', /meet within one row of `Bs`/);
  // 8 consecutive columns: the compiler reads them 16 bytes at a time, which a one-word pad would misalign
  const [merged] = outcomes(text.replace('#define TN 3', '#define TN 8'));
  assert.ok(merged, 'the merged loads still conflict (2-way)');
  assert.deepEqual(merged.fixes, []);
  assert.match(merged.reason ?? '', /16 bytes at a time once the compiler merges the unrolled loop/);
});

test('two half-warp rows on the same banks: the pad is 16 words, not one, and the padded tile is quiet', () => {
  const text = readFileSync(join(__dirname, 'fixtures/row_tiles_half_warps.cu'), 'utf8');
  const [o] = outcomes(text);
  assert.equal(o.fixes[0].title, 'Pad the inner dimension of `tile` to `(STEPS + 2 * APRON) * TILE_W + 16`');
  const after = fixAll(text);
  assert.match(after, /__shared__ float tile\[TILE_H\]\[\(STEPS \+ 2 \* APRON\) \* TILE_W \+ 16\];/);
  assert.deepEqual(outcomes(after), []);
});
