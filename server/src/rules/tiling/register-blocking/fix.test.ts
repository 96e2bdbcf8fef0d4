// The tiling/register-blocking fix: a shared-tiled CUDA GEMM with one output per thread becomes a
// 128x128x8 register-blocked kernel (8x8 outputs per thread, float4 shared reads, any M, N, K),
// and only where the facts prove the tiled GEMM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixTests } from '../../../../../test/support/fixes';

const fixtures = join(__dirname, 'fixtures');
const { outcomes, fixed, whyNoFix } = fixTests('tiling/register-blocking');

const fixture = (name: string) => readFileSync(join(fixtures, name), 'utf8');

test('a 16x16 tiled kernel becomes 128x128x8 tiles with 8x8 register micro-tiles, bounds-checked, and its launch 256 threads', () => {
  const { fix, after } = fixed(fixture('tiled16_alpha_beta.cu'), 't16.cu');
  assert.equal(fix.safe, true);
  assert.match(fix.title, /launch in `sgemm16`: 256 threads, ceil\(N \/ 128\) x ceil\(M \/ 128\) blocks/);
  for (const s of [
    '__global__ void __launch_bounds__(256) sgemm_tiled16(int M, int N, int K, float alpha, const float* A, const float* B,',
    'constexpr int BM = 128, BN = 128, BK = 8, TM = 8, TN = 8;',
    '__shared__ alignas(16) float As[BK][BM + 4];',
    'float acc[TM][TN] = {};',
    // loads: zero outside the matrices, one float4 only when aligned and inside
    'auto a_at = [&](int r, int kk) { return r < M && kk < K ? A[r * K + kk] : 0.0f; };',
    'auto b_at = [&](int kk, int c) { return kk < K && c < N ? B[kk * N + c] : 0.0f; };',
    'const float4 va = a_vec && row0 + a_i < M && k0 + a_k + 3 < K ? *reinterpret_cast<const float4*>(&A[(row0 + a_i) * K + k0 + a_k])',
    'const bool a_vec = K % 4 == 0 && reinterpret_cast<size_t>(A) % 16 == 0;',
    // float4 reads of both tiles, outer products
    'const float4 a0 = *reinterpret_cast<const float4*>(&As[k][tr]), a1 = *reinterpret_cast<const float4*>(&As[k][tr + BM / 2]);',
    'for (int j = 0; j < TN; ++j) acc[i][j] += ra[i] * rb[j];',
    // guarded stores with the user's epilogue
    'if (row < M && col < N) C[row * N + col] = alpha * acc[i][j] + beta * C[row * N + col];',
    'dim3 block(256);',
    'dim3 grid((N + 127) / 128, (M + 127) / 128);',
  ])
    assert.ok(after.includes(s), s);
});

test('a template kernel keeps its template parameters; its launch keeps the template arguments and the stream', () => {
  const { fix, after } = fixed(fixture('tiled_template_tile.cu'), 'tt.cu');
  assert.equal(fix.safe, true);
  assert.ok(after.includes('template <int TILE>\n__global__ void __launch_bounds__(256) sgemm_tiled('));
  assert.ok(after.includes('sgemm_tiled<TILE><<<grid, block, 0, stream>>>(M, N, K, dA, dB, dC);'));
  assert.ok(after.includes('dim3 block(256);') && after.includes('dim3 grid((N + 127) / 128, (M + 127) / 128);'));
});

test('a B tile staged transposed is read along its rows and stored k-major into a padded tile', () => {
  const { after } = fixed(fixture('tiled_from_fix_nt.cu'), 'nt.cu');
  assert.ok(after.includes('__shared__ alignas(16) float Bs[BK][BN + 4];'));
  assert.ok(after.includes('*reinterpret_cast<const float4*>(&Bt[(col0 + b_j) * ldb + k0 + b_k])'));
  assert.ok(after.includes('Bs[b_k][b_j] = vb.x; Bs[b_k + 1][b_j] = vb.y;'));
  assert.ok(after.includes('dim3 threads(256);') && after.includes('dim3 blocks(ceil_div(N, 128), ceil_div(M, 128));'));
});

test('no fix for 1-D tiles or a batched kernel, and the reason names it', () => {
  const o = outcomes(fixture('one_output_per_thread.cu'), 'o.cu');
  assert.equal(o.length, 2);
  assert.ok(o.every((x) => x.fixes.length === 0));
  assert.match(o[0].reason!, /not 2-D arrays indexed by `threadIdx.y` and `threadIdx.x`/);
  assert.match(o[1].reason!, /depends on more than the x and y block and thread indices \(a batch/);
  const t = outcomes(fixture('dot_per_program.py'), 'd.py');
  assert.ok(t.length > 0 && t.every((x) => x.fixes.length === 0 && /Triton/.test(x.reason!)));
});

const tiled = (loop: string, aLoad: string, launch = 'dim3 block(TS, TS);') => `#define TS 16
__global__ void mm(const float* A, const float* B, float* C, int M, int N, int K) {
  __shared__ float sA[TS][TS];
  __shared__ float sB[TS][TS];
  const int row = blockIdx.y * TS + threadIdx.y;
  const int col = blockIdx.x * TS + threadIdx.x;
  float acc = 0.0f;
  ${loop} {
    sA[threadIdx.y][threadIdx.x] = ${aLoad};
    sB[threadIdx.y][threadIdx.x] = (t + threadIdx.y < K && col < N) ? B[(t + threadIdx.y) * N + col] : 0.0f;
    __syncthreads();
    for (int k = 0; k < TS; ++k) acc += sA[threadIdx.y][k] * sB[k][threadIdx.x];
    __syncthreads();
  }
  if (row < M && col < N) C[row * N + col] = acc;
}

void run(const float* A, const float* B, float* C, int M, int N, int K) {
  ${launch}
  dim3 grid((N + TS - 1) / TS, (M + TS - 1) / TS);
  mm<<<grid, block>>>(A, B, C, M, N, K);
}
`;
const LOOP = 'for (int t = 0; t < K; t += TS)';
const LOAD = '(row < M && t + threadIdx.x < K) ? A[row * K + t + threadIdx.x] : 0.0f';

test('preconditions: whole tiles of K, loads checked against the same bounds, a block of tile x tile threads', () => {
  assert.equal(fixed(tiled(LOOP, LOAD), 'ok.cu').fix.safe, true, 'the base case is fixed');
  // the tile loop stops before the last partial tile: the original leaves out part of the sum
  assert.match(whyNoFix(tiled('for (int t = 0; t < K / TS; ++t)', LOAD.replace(/t \+/g, 't * TS +')).replace(/\(t \+ threadIdx.y/g, '(t * TS + threadIdx.y').replace('t + threadIdx.y < K', 't * TS + threadIdx.y < K'), 'x.cu'), /rounded up to whole tiles/);
  // a load checked against N where the store checks M
  assert.match(whyNoFix(tiled(LOOP, LOAD.replace('row < M', 'row < N')), 'x.cu'), /other bounds than the store/);
  // a fill that is not zero
  assert.match(whyNoFix(tiled(LOOP, LOAD.replace(': 0.0f', ': 1.0f')), 'x.cu'), /fills with `1.0f`, not 0/);
  // an A load that does not check k: offered, but only for review (the original is right only for K a multiple of 16)
  const unchecked = fixed(tiled(LOOP, 'A[row * K + t + threadIdx.x]'), 'u.cu').fix;
  assert.equal(unchecked.safe, false);
  assert.match(unchecked.title, /review: the tile loads of `A` do not check k < K/);
  // a block that is not 16 x 16 threads
  const block = fixed(tiled(LOOP, LOAD, 'dim3 block(TS, 8);'), 'b.cu').fix;
  assert.equal(block.safe, false);
  assert.match(block.title, /review: the launch in `run` was not proven to cover C/);
});
