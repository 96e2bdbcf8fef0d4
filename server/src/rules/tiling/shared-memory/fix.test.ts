// The tiling/shared-memory fix: a naive CUDA GEMM becomes a 32x32 shared-memory tiled kernel
// (same name and signature, launches adjusted), and only where the facts prove the GEMM.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Engine } from '../../../core/engine';
import { applyEdits } from '../../../core/fix';
import type { Finding } from '../../../core/types';

const RULE = 'tiling/shared-memory';
const fixtures = join(__dirname, 'fixtures');
const bench = join(__dirname, '../../../../../bench/gpu/sgemm/before.cu');
let engine: Engine;
before(async () => {
  engine = await Engine.create();
});

/** The rule's findings with their fixes, or why there is none. */
function outcomes(path: string, text: string, rule = RULE): { f: Finding; reason?: string }[] {
  const findings = engine.analyzeText(path, text).findings.filter((f) => f.rule === rule);
  const out = engine.fixOutcomes(path, text, findings);
  return findings.map((f) => ({ f, reason: out.get(f)?.reason }));
}

function fixed(path: string, text: string, rule = RULE) {
  const o = outcomes(path, text, rule);
  assert.equal(o.length, 1, 'one finding');
  const fix = o[0].f.fixes[0];
  assert.ok(fix, `a fix is offered (reason: ${o[0].reason})`);
  return { fix, after: applyEdits(text, fix.edits) };
}

function reason(path: string, text: string): string {
  const o = outcomes(path, text);
  assert.equal(o.length, 1, 'one finding');
  assert.equal(o[0].f.fixes.length, 0, `no fix: ${o[0].f.fixes[0]?.title}`);
  assert.ok(o[0].reason);
  return o[0].reason!;
}

const fixture = (name: string) => readFileSync(join(fixtures, name), 'utf8');

test('the benchmark SGEMM gets shared-memory tiles with bounds-checked loads; its 32x32 launch stays as it is', () => {
  const text = readFileSync(bench, 'utf8');
  const { fix, after } = fixed('before.cu', text);
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
  const next = fixed('after.cu', after, 'tiling/register-blocking');
  assert.equal(next.fix.safe, true);
  assert.ok(next.after.includes('dim3 block(256);') && next.after.includes('dim3 grid((N + 127) / 128, (M + 127) / 128);'));
});

test('a launch with another block is rewritten to 32x32 threads; __launch_bounds__ of the old block goes', () => {
  const { fix, after } = fixed('m.cu', fixture('matmul_unroll_launch_bounds.cu'));
  assert.equal(fix.safe, true);
  assert.match(fix.title, /launch in `matmul`: 32x32 threads/);
  assert.ok(after.includes('const dim3 block(32, 32);'));
  assert.ok(after.includes('const dim3 grid((N + 31) / 32, (M + 31) / 32);'));
  assert.ok(!after.includes('__launch_bounds__(BX * BY)'));
  assert.ok(after.includes('A[row * lda + t + tx]') && after.includes('B[(t + ty) * ldb + col]') && after.includes('C[row * ldc + col] = acc;'), 'leading dimensions kept');
});

test('transposed operands are staged transposed into padded tiles; alpha/beta and the grid helper are kept', () => {
  const { fix, after } = fixed('nt.cu', fixture('sgemm_alpha_beta_bt.cu'));
  assert.equal(fix.safe, true);
  assert.ok(after.includes('__shared__ float Bs[TILE][TILE + 1];'));
  assert.ok(after.includes('Bs[tx][ty] = (t + tx < K && blockIdx.x * TILE + ty < N) ? Bt[(blockIdx.x * TILE + ty) * ldb + t + tx] : 0.0f;'));
  assert.ok(after.includes('C[row * ldc + col] = alpha * sum + beta * C[row * ldc + col];'));
  assert.ok(after.includes('dim3 threads(32, 32);') && after.includes('dim3 blocks(ceil_div(N, 32), ceil_div(M, 32));'));
  const at = fixed('tn.cu', fixture('gemm_at_accumulate.cu')).after;
  assert.ok(at.includes('As[tx][ty] = (blockIdx.y * TILE + tx < m && t + ty < k_dim) ? At[(t + ty) * lda + blockIdx.y * TILE + tx] : 0.0f;'));
  assert.ok(at.includes('if (i < m && j < n) C[i * ldc + j] += partial;'), 'the accumulate into C and the user\'s names');
  assert.ok(at.includes('<<<dim3((n + 31) / 32, (m + 31) / 32), dim3(32, 32), 0, s>>>'));
});

test('a kernel launched elsewhere is rewritten, marked for review, and the title says how to launch it', () => {
  const { fix } = fixed('macros.cu', fixture('accessor_macros.cu'));
  assert.equal(fix.safe, false);
  assert.match(fix.title, /callers must launch it with 32x32 threads and ceil\(N \/ 32\) x ceil\(M \/ 32\) blocks/);
});

test('no fix where the kernel is not the plain GEMM', () => {
  assert.match(reason('l.cu', fixture('linear_naive.cu')), /reads `bias\[n\]`/);
  assert.match(reason('b.cu', fixture('bmm_template.cu')), /template over `typename T`/);
  assert.match(reason('c.cu', fixture('conv2d_direct.cu')), /2 loops/);
  assert.match(reason('a.cu', fixture('attention_thread_per_score.cu')), /output index `preatt\[idx\]`/);
  assert.match(reason('t.py', fixture('triton_output_per_program.py')), /CUDA kernels/);
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
  assert.equal(fixed('ok.cu', kernel(ok)).fix.safe, true, 'the base case is fixed');
  assert.match(reason('d.cu', kernel(ok.replace('float acc = 0.0f', 'double acc = 0.0'))), /accumulated in `double`/);
  assert.match(reason('i.cu', kernel(ok.replace('float acc = 0.0f', 'float acc = 1.0f'))), /starts from `1.0f`, not 0/);
  assert.match(reason('o.cu', kernel(ok.replace('A[row * K + k]', 'A[row * K + k + 1]'))), /`A\[row \* K \+ k \+ 1\]` is not A\(row, k\)/);
  assert.match(reason('g.cu', kernel(ok.replace('if (row < M && col < N) {', 'if (row < M) {'))), /not guarded by both/);
  assert.match(reason('le.cu', kernel(ok.replace('k < K', 'k <= K'))), /is not `k < bound`/);
  assert.match(reason('p.cu', kernel(ok.replace('C[row * N + col] = acc;', 'C[row * N + col] = acc;\n    printf("%f", acc);'))), /calls `printf`/);
  assert.match(reason('s.cu', kernel(ok.replace('C[row * N + col] = acc;', 'C[row * N + col] = acc * scale;').replace('float acc', 'float scale = 2.0f;\n    float acc'))), /uses `scale`/);
});

test('a launch whose grid does not cover C is rewritten only for review', () => {
  const ok = '  if (row < M && col < N) {\n    float acc = 0.0f;\n    for (int k = 0; k < K; ++k) acc += A[row * K + k] * B[k * N + col];\n    C[row * N + col] = acc;\n  }';
  const { fix, after } = fixed('floor.cu', kernel(ok, 'dim3 block(16, 16);\n  dim3 grid(N / 16, M / 16);'));
  assert.equal(fix.safe, false);
  assert.match(fix.title, /review: the launch in `run` was not proven to cover C/);
  assert.ok(after.includes('dim3 grid((N + 31) / 32, (M + 31) / 32);'));
});

test('64-bit indices stay 64-bit; 64-bit sizes are refused', () => {
  const wide = '  if (row < M && col < N) {\n    float acc = 0.0f;\n    for (int k = 0; k < K; ++k) acc += A[(size_t)row * K + k] * B[(size_t)k * N + col];\n    C[(size_t)row * N + col] = acc;\n  }';
  const { fix, after } = fixed('w.cu', kernel(wide));
  assert.equal(fix.safe, true);
  assert.ok(after.includes('A[static_cast<size_t>(row) * K + t + tx]') && after.includes('C[static_cast<size_t>(row) * N + col] = acc;'));
  assert.match(reason('w64.cu', kernel(wide).replace('float* C, int M,', 'float* C, long M,')), /the size `M` is a `long`/);
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
  const { fix, after } = fixed('rows.cu', rows);
  assert.equal(fix.safe, true);
  assert.ok(after.includes('dim3 grid((N + 31) / 32, (M + 31) / 32);'));
  assert.ok(after.includes('const int row = blockIdx.y * TILE + ty;'));
});
