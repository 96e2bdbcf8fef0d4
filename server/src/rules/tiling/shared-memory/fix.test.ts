// The tiling/shared-memory fix: a naive CUDA GEMM becomes a 32x32 shared-memory tiled kernel
// (same name and signature, launches adjusted), and only where the facts prove the GEMM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixTests } from '../../../../../test/support/fixes';

const fixtures = join(__dirname, 'fixtures');
const bench = join(__dirname, '../../../../../bench/gpu/sgemm/before.cu');
const { fixed, whyNoFix } = fixTests('tiling/shared-memory');
// the tiled kernel it writes is register blocking's to fix next
const registerBlocking = fixTests('tiling/register-blocking');

const fixture = (name: string) => readFileSync(join(fixtures, name), 'utf8');

test('the benchmark SGEMM gets shared-memory tiles with bounds-checked loads; its 32x32 launch stays as it is', () => {
  const text = readFileSync(bench, 'utf8');
  const { fix, after } = fixed(text, 'before.cu');
  assert.equal(fix.safe, true);
  assert.equal(fix.edits.length, 1, 'only the kernel changes');
  for (const s of [
    'constexpr int TILE = 32;',
    '__shared__ float As[TILE][TILE];',
    'As[ty][tx] = (row < M && t + tx < K) ? A[row * K + t + tx] : 0.0f;',
    'Bs[ty][tx] = (t + ty < K && col < N) ? B[(t + ty) * N + col] : 0.0f;',
    'for (int k = 0; k < TILE; ++k) acc += As[ty][k] * Bs[k][tx];',
    'if (row < M && col < N) C[row * N + col] = acc;',
    '__global__ void sgemm(const float* __restrict__ A, const float* __restrict__ B, float* __restrict__ C, int M, int N, int K) {',
    'dim3 block(32, 32);',
  ])
    assert.ok(after.includes(s), s);
  assert.equal(after.match(/__syncthreads\(\);/g)?.length, 2, 'a barrier after the loads and after the inner product');
  // the tiled kernel draws register blocking, and that fix applies to it
  const next = registerBlocking.fixed(after, 'after.cu');
  assert.equal(next.fix.safe, true);
  assert.ok(next.after.includes('dim3 block(256);') && next.after.includes('dim3 grid((N + 127) / 128, (M + 127) / 128);'));
});

test('a launch with another block is rewritten to 32x32 threads; __launch_bounds__ of the old block goes', () => {
  const { fix, after } = fixed(fixture('matmul_unroll_launch_bounds.cu'), 'm.cu');
  assert.equal(fix.safe, true);
  assert.match(fix.title, /launch in `matmul`: 32x32 threads/);
  assert.ok(after.includes('const dim3 block(32, 32);'));
  assert.ok(after.includes('const dim3 grid((N + 31) / 32, (M + 31) / 32);'));
  assert.ok(!after.includes('__launch_bounds__(BX * BY)'));
  assert.ok(after.includes('A[row * lda + t + tx]') && after.includes('B[(t + ty) * ldb + col]') && after.includes('C[row * ldc + col] = acc;'), 'leading dimensions kept');
});

test('transposed operands are staged transposed into padded tiles; alpha/beta and the grid helper are kept', () => {
  const { fix, after } = fixed(fixture('sgemm_alpha_beta_bt.cu'), 'nt.cu');
  assert.equal(fix.safe, true);
  assert.ok(after.includes('__shared__ float Bs[TILE][TILE + 1];'));
  assert.ok(after.includes('Bs[tx][ty] = (t + tx < K && blockIdx.x * TILE + ty < N) ? Bt[(blockIdx.x * TILE + ty) * ldb + t + tx] : 0.0f;'));
  assert.ok(after.includes('C[row * ldc + col] = alpha * sum + beta * C[row * ldc + col];'));
  assert.ok(after.includes('dim3 threads(32, 32);') && after.includes('dim3 blocks(ceil_div(N, 32), ceil_div(M, 32));'));
  const at = fixed(fixture('gemm_at_accumulate.cu'), 'tn.cu').after;
  assert.ok(at.includes('As[tx][ty] = (blockIdx.y * TILE + tx < m && t + ty < k_dim) ? At[(t + ty) * lda + blockIdx.y * TILE + tx] : 0.0f;'));
  assert.ok(at.includes('if (i < m && j < n) C[i * ldc + j] += partial;'), 'the accumulate into C and the user\'s names');
  assert.ok(at.includes('<<<dim3((n + 31) / 32, (m + 31) / 32), dim3(32, 32), 0, s>>>'));
});

test('a kernel launched elsewhere is rewritten, marked for review, and the title says how to launch it', () => {
  const { fix } = fixed(fixture('accessor_macros.cu'), 'macros.cu');
  assert.equal(fix.safe, false);
  assert.match(fix.title, /callers must launch it with 32x32 threads and ceil\(N \/ 32\) x ceil\(M \/ 32\) blocks/);
});

test('no fix where the kernel is not the plain GEMM', () => {
  assert.match(whyNoFix(fixture('linear_naive.cu'), 'l.cu'), /reads `bias\[n\]`/);
  assert.match(whyNoFix(fixture('bmm_template.cu'), 'b.cu'), /template over `typename T`/);
  assert.match(whyNoFix(fixture('conv2d_direct.cu'), 'c.cu'), /2 loops/);
  assert.match(whyNoFix(fixture('attention_thread_per_score.cu'), 'a.cu'), /output index `preatt\[idx\]`/);
  // (the fixture's first Triton kernel alone: the file has two findings)
  assert.match(whyNoFix(fixture('triton_output_per_program.py').split('\n@triton.jit\ndef matmul_tiled_kernel')[0], 't.py'), /CUDA kernels/);
});

const kernel = (body: string, launch = 'dim3 block(32, 32);\n  dim3 grid((N + 31) / 32, (M + 31) / 32);') => `__global__ void mm(const float* A, const float* B, float* C, int M, int N, int K) {
  int row = blockIdx.y * blockDim.y + threadIdx.y;
  int col = blockIdx.x * blockDim.x + threadIdx.x;
${body}
}

void run(const float* A, const float* B, float* C, int M, int N, int K) {
  ${launch}
  mm<<<grid, block>>>(A, B, C, M, N, K);
}
`;

test('no fix where a precondition fails, and the reason names it', () => {
  const ok = '  if (row < M && col < N) {\n    float acc = 0.0f;\n    for (int k = 0; k < K; ++k) acc += A[row * K + k] * B[k * N + col];\n    C[row * N + col] = acc;\n  }';
  assert.equal(fixed(kernel(ok), 'ok.cu').fix.safe, true, 'the base case is fixed');
  assert.match(whyNoFix(kernel(ok.replace('float acc = 0.0f', 'double acc = 0.0')), 'd.cu'), /accumulated in `double`/);
  assert.match(whyNoFix(kernel(ok.replace('float acc = 0.0f', 'float acc = 1.0f')), 'i.cu'), /starts from `1.0f`, not 0/);
  assert.match(whyNoFix(kernel(ok.replace('A[row * K + k]', 'A[row * K + k + 1]')), 'o.cu'), /`A\[row \* K \+ k \+ 1\]` is not A\(row, k\)/);
  assert.match(whyNoFix(kernel(ok.replace('if (row < M && col < N) {', 'if (row < M) {')), 'g.cu'), /not guarded by both/);
  assert.match(whyNoFix(kernel(ok.replace('k < K', 'k <= K')), 'le.cu'), /is not `k < bound`/);
  assert.match(whyNoFix(kernel(ok.replace('C[row * N + col] = acc;', 'C[row * N + col] = acc;\n    printf("%f", acc);')), 'p.cu'), /calls `printf`/);
  assert.match(whyNoFix(kernel(ok.replace('C[row * N + col] = acc;', 'C[row * N + col] = acc * scale;').replace('float acc', 'float scale = 2.0f;\n    float acc')), 's.cu'), /uses `scale`/);
});

test('a launch whose grid does not cover C is rewritten only for review', () => {
  const ok = '  if (row < M && col < N) {\n    float acc = 0.0f;\n    for (int k = 0; k < K; ++k) acc += A[row * K + k] * B[k * N + col];\n    C[row * N + col] = acc;\n  }';
  const { fix, after } = fixed(kernel(ok, 'dim3 block(16, 16);\n  dim3 grid(N / 16, M / 16);'), 'floor.cu');
  assert.equal(fix.safe, false);
  assert.match(fix.title, /review: the launch in `run` was not proven to cover C/);
  assert.ok(after.includes('dim3 grid((N + 31) / 32, (M + 31) / 32);'));
});

test('64-bit indices stay 64-bit; 64-bit sizes are refused', () => {
  const wide = '  if (row < M && col < N) {\n    float acc = 0.0f;\n    for (int k = 0; k < K; ++k) acc += A[(size_t)row * K + k] * B[(size_t)k * N + col];\n    C[(size_t)row * N + col] = acc;\n  }';
  const { fix, after } = fixed(kernel(wide), 'w.cu');
  assert.equal(fix.safe, true);
  assert.ok(after.includes('A[static_cast<size_t>(row) * K + t + tx]') && after.includes('C[static_cast<size_t>(row) * N + col] = acc;'));
  assert.match(whyNoFix(kernel(wide).replace('float* C, int M,', 'float* C, long M,'), 'w64.cu'), /the size `M` is a `long`/);
});

test('rows on threadIdx.x: the new kernel puts columns on x and the grid is swapped', () => {
  const rows = `__global__ void mm(const float* A, const float* B, float* C, int M, int N, int K) {
  int row = blockIdx.x * blockDim.x + threadIdx.x;
  int col = blockIdx.y * blockDim.y + threadIdx.y;
  if (row < M && col < N) {
    float acc = 0.0f;
    for (int k = 0; k < K; ++k) acc += A[row * K + k] * B[k * N + col];
    C[row * N + col] = acc;
  }
}

void run(const float* A, const float* B, float* C, int M, int N, int K) {
  dim3 block(32, 32);
  dim3 grid((M + 31) / 32, (N + 31) / 32);
  mm<<<grid, block>>>(A, B, C, M, N, K);
}
`;
  const { fix, after } = fixed(rows, 'rows.cu');
  assert.equal(fix.safe, true);
  assert.ok(after.includes('dim3 grid((N + 31) / 32, (M + 31) / 32);'));
  assert.ok(after.includes('const int row = blockIdx.y * TILE + ty;'));
});
