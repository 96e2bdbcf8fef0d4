// Diagnostics read like a compiler's: one line (the access, the problem, the cost), with
// what was seen and what to do in the finding's `detail`, which the hover shows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Engine } from '../server/src/core/engine';
import type { Finding } from '../server/src/core/types';

const ROOT = join(__dirname, '..');
const SOURCE = /\.(cu|cuh|cpp|cc|c|h|hpp|py)$/;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : SOURCE.test(n) ? [p] : [];
  });
}

test('every finding over the examples and the corpus has a one-line message and a detail', async () => {
  const engine = await Engine.create();
  const findings: Finding[] = [];
  for (const f of [...files(join(ROOT, 'examples')), ...files(join(ROOT, 'test', 'corpus'))]) {
    findings.push(...engine.analyzeText(f, readFileSync(f, 'utf8')).findings);
  }
  const rules = new Set(findings.map((f) => f.rule));
  assert.ok(rules.size >= 15, `every rule fires somewhere: ${[...rules].join(', ')}`);
  for (const f of findings) {
    const where = `${f.rule}: ${f.message}`;
    assert.doesNotMatch(f.message, /\n/, where);
    // the long tail is an access or a name quoted from the code; the advice itself is never in it
    assert.ok(f.message.length <= 150, `${f.message.length} characters: ${where}`);
    assert.ok(f.detail, `no detail: ${where}`);
    const [seen, todo] = f.detail!.split('\n\n');
    assert.ok(seen && todo, `detail is "what was seen" then "what to do": ${f.detail}`);
    assert.notEqual(seen, f.message, where);
  }
  const lengths = findings.map((f) => f.message.length).sort((a, b) => a - b);
  assert.ok(lengths[Math.floor(lengths.length / 2)] <= 120, `median message length ${lengths[Math.floor(lengths.length / 2)]}`);
});

test('a guard that leaves the first threads active sizes the warp request (if (tid < 8): 8 lanes, 8-way)', async () => {
  const engine = await Engine.create();
  const path = join(ROOT, 'server/src/rules/memory/shared-bank-conflict/fixtures/first_threads_guard.cu');
  const [f] = engine.analyzeText(path, readFileSync(path, 'utf8')).findings.filter((x) => x.rule === 'memory/shared-bank-conflict');
  assert.match(f.message, /8-way bank conflict/);
  assert.ok(f.assumptions.some((a) => /first 8 threads/.test(a)), f.assumptions.join('\n'));
  const full = readFileSync(path, 'utf8').replace('if (threadIdx.x < 8) ', '');
  const [g] = engine.analyzeText(path, full).findings.filter((x) => x.rule === 'memory/shared-bank-conflict');
  assert.match(g.message, /32-way bank conflict/);
});

test('a block handed to a launch wrapper (`transpose(..., dim3(16, 16))` making `k<<<grid, block>>>`) shapes the warp as the call says', async () => {
  const engine = await Engine.create();
  const path = join(ROOT, 'server/src/rules/memory/uncoalesced-access/fixtures/launch_wrapper_params.cu');
  const findings = engine.analyzeText(path, readFileSync(path, 'utf8')).findings.filter((x) => x.rule === 'memory/uncoalesced-access');
  const transpose = findings.find((f) => f.message.startsWith('`out[x * rows + y]`'));
  assert.match(transpose?.message ?? '', /16 sectors per warp instead of 4/);
  assert.ok(transpose!.assumptions.includes('a warp is 2 rows of 16 threads'), transpose!.assumptions.join('\n'));
  // (the kernel handed to the timing wrapper, over blocks one thread wide: its lanes run along threadIdx.y)
  const rows = findings.filter((f) => f.function === 'halve_rows');
  assert.equal(rows.length, 2);
  assert.ok(rows.every((f) => /32 sectors per warp/.test(f.message)), rows.map((f) => f.message).join('\n'));
  // (the kernel whose lanes run along threadIdx.y there: its vector advice speaks of blockDim.y, not x)
  const cols = engine.analyzeText(path, readFileSync(path, 'utf8')).findings.find((f) => f.rule === 'vectorization/vector-memory-access' && f.function === 'halve_cols');
  assert.ok(cols?.assumptions.some((a) => /blockDim\.y is a multiple of 4/.test(a)), cols?.assumptions.join('\n'));
  assert.ok(!cols!.assumptions.some((a) => /blockDim\.x is a multiple/.test(a)), cols!.assumptions.join('\n'));
});

test('a launch that fixes a 16-wide block says the warp is two rows of 16 threads, not 32 consecutive threadIdx.x', async () => {
  const engine = await Engine.create();
  const path = join(ROOT, 'server/src/rules/memory/uncoalesced-access/fixtures/checked_against_oracle.cu');
  const [f] = engine.analyzeText(path, readFileSync(path, 'utf8')).findings.filter((x) => x.rule === 'memory/uncoalesced-access');
  assert.match(f.message, /16 sectors per warp/);
  assert.ok(f.assumptions.includes('a warp is 2 rows of 16 threads'), f.assumptions.join('\n'));
  // (the block size is said once: by the launch's bound values here)
  assert.equal(f.assumptions.filter((a) => /blockDim\.x/.test(a)).length, 1, f.assumptions.join('\n'));
  assert.ok(!f.assumptions.some((a) => /32 consecutive threadIdx.x/.test(a)), f.assumptions.join('\n'));
});

test('lanes a symbolic row apart are said to be that far apart, also when warp-uniform / and % pick the chunk', async () => {
  const engine = await Engine.create();
  const path = join(ROOT, 'server/src/rules/memory/uncoalesced-access/fixtures/chunked_blocks.cu');
  const [f] = engine.analyzeText(path, readFileSync(path, 'utf8')).findings.filter((x) => x.rule === 'memory/uncoalesced-access');
  assert.match(f.message, /reads with threads `dims` elements apart/);
});

test('a thread per float4 scattering its four elements down columns says the lanes are four columns apart (`(idx * 4) % col`)', async () => {
  const engine = await Engine.create();
  const code = `__global__ void transpose_f32x4_col2row(float *x, float *y, const int row, const int col) {
  int idx = blockIdx.x * blockDim.x + threadIdx.x;
  int global_col = (idx * 4) % col;
  int global_row = (idx * 4) / col;
  if (global_row < row && global_col + 3 < col) {
    float4 v = reinterpret_cast<float4 *>(x)[idx];
    y[global_col * row + global_row] = v.x;
    y[(global_col + 1) * row + global_row] = v.y;
  }
}
`;
  const [f] = engine.analyzeText('transpose_col2row.cu', code).findings.filter((x) => x.rule === 'memory/uncoalesced-access');
  assert.match(f.message, /writes with threads `4\*row` elements apart/);
});

test('a conflict on a tile of doubles counts its passes a half-warp at a time: 32 passes instead of 2', async () => {
  const engine = await Engine.create();
  const code = `__global__ void transpose_double(const double *in, double *out, int n) {
  __shared__ double tile[32][32];
  int x = blockIdx.x * 32 + threadIdx.x, y = blockIdx.y * 32 + threadIdx.y;
  for (int j = 0; j < 32; j += 8) tile[threadIdx.y + j][threadIdx.x] = in[(y + j) * n + x];
  __syncthreads();
  x = blockIdx.y * 32 + threadIdx.x; y = blockIdx.x * 32 + threadIdx.y;
  for (int j = 0; j < 32; j += 8) out[(y + j) * n + x] = tile[threadIdx.x][threadIdx.y + j];
}
void run(const double *in, double *out, int n) { transpose_double<<<dim3(n / 32, n / 32), dim3(32, 8)>>>(in, out, n); }
`;
  const [f] = engine.analyzeText('transpose_double.cu', code).findings.filter((x) => x.rule === 'memory/shared-bank-conflict');
  assert.match(f.message, /16-way bank conflict in its 8-byte accesses, 32 passes per warp instead of 2$/);
});

test('lane groups are said to be a row apart by the quotient that splits the warp (lane / 4), not by a warp-uniform one (warp / 4)', async () => {
  const engine = await Engine.create();
  const code = `__global__ void fragment_store(const float* __restrict__ acc, float* out, int ld) {
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int warp_row = warp / 4;
  out[(blockIdx.x * 32 + warp_row * 16 + lane / 4) * ld + blockIdx.y * 8 + (lane % 4) * 2] = acc[blockIdx.x];
}
`;
  const [f] = engine.analyzeText('fragment_store.cu', code).findings.filter((x) => x.rule === 'memory/uncoalesced-access');
  assert.match(f.message, /in groups of 4 lanes, the groups `ld` elements apart/);
});

test('an explicit instantiation sets a template kernel\'s element type: __half moves 8 elements per 16-byte access', async () => {
  const engine = await Engine.create();
  const path = join(ROOT, 'server/src/rules/vectorization/vector-memory-access/fixtures/instantiated_half.cu');
  const [f] = engine.analyzeText(path, readFileSync(path, 'utf8')).findings.filter((x) => x.rule === 'vectorization/vector-memory-access');
  assert.match(f.message, /8× the memory instructions of 16-byte ones/);
});

test('a template element type no launch sets is counted as 32-bit, and the message gives the 16-bit factor too', async () => {
  const engine = await Engine.create();
  const code = `template <typename T>
__global__ void scale(T* out, const T* in, float s, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) out[i] = (T)((float)in[i] * s);
}
`;
  const [f] = engine.analyzeText('scale.cu', code).findings.filter((x) => x.rule === 'vectorization/vector-memory-access');
  assert.match(f.message, /4× the memory instructions of 16-byte ones \(8× for a 16-bit `T`\)/);
});

test('a type an undecided #if makes float or bf16 is phrased for both builds, the default build (no -D flags) first: 8x as bf16, 4x as float', async () => {
  const engine = await Engine.create();
  const code = `#include <cuda_bf16.h>
#if defined(ENABLE_FP32)
typedef float floatX;
#else
typedef __nv_bfloat16 floatX;
#endif
__global__ void residual(floatX* out, const floatX* a, const floatX* b, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) out[i] = (floatX)((float)a[i] + (float)b[i]);
}
`;
  const [f] = engine.analyzeText('residual.cu', code).findings.filter((x) => x.rule === 'vectorization/vector-memory-access');
  assert.match(f.message, /8× the memory instructions of 16-byte ones in the default `__nv_bfloat16` build \(4× as `float`\)$/);
  // built as float by default: the float count leads
  const [g] = engine.analyzeText('residual32.cu', code.replace('#if defined(ENABLE_FP32)', '#if !defined(ENABLE_BF16)')).findings.filter((x) => x.rule === 'vectorization/vector-memory-access');
  assert.match(g.message, /4× the memory instructions of 16-byte ones \(8× as `__nv_bfloat16`\)$/);
});

test('a field of an array of structures is quoted as written and advised as a layout: a structure of arrays, or whole records', async () => {
  const engine = await Engine.create();
  const path = join(ROOT, 'server/src/rules/memory/uncoalesced-access/fixtures/aos_fields.cu');
  const found = engine.analyzeText(path, readFileSync(path, 'utf8')).findings.filter((x) => x.rule === 'memory/uncoalesced-access');
  const store = found.find((f) => f.message.startsWith('`data[i].result`'));
  assert.ok(store, found.map((f) => f.message).join('\n'));
  assert.match(store.message, /writes with threads 8 elements \(32 bytes\) apart/);
  assert.match(store.detail ?? '', /array of `PixelRecord` records \(32 bytes each\).*structure of arrays/s);
  // the field's index is the analysis' own (`8*threadIdx.x + 7`): never quoted as if the code wrote it
  assert.doesNotMatch(store.detail ?? '', /8\*threadIdx\.x/);
});

test('a GEMM followed by several elementwise passes over its output is one epilogue finding naming them all', async () => {
  const engine = await Engine.create();
  const path = join(ROOT, 'server/src/rules/fusion/gemm-epilogue/fixtures/gemm_kernel_epilogue.cu');
  const found = engine.analyzeText(path, readFileSync(path, 'utf8')).findings.filter((x) => x.rule === 'fusion/gemm-epilogue' && x.function === 'mlp_up_bias');
  assert.equal(found.length, 1);
  assert.match(found[0].message, /`bias_add` and `gelu_kernel` are 2 separate passes over `h`/);
  assert.ok(found[0].related.some((r) => /`gelu_kernel` makes another pass/.test(r.message)));
});

test('an access written over several lines is quoted on one line, without spaces inside its brackets', async () => {
  const engine = await Engine.create();
  const text = `__global__ void tile_cols(const float* __restrict__ A, float* __restrict__ B, int N) {
  __shared__ float tile[32][32];
  int x = blockIdx.x * 32 + threadIdx.x, y = blockIdx.y * 32 + threadIdx.y;
  tile[threadIdx.y][threadIdx.x] = A[y * N + x];
  __syncthreads();
  B[(blockIdx.x * 32 + threadIdx.y) * N + blockIdx.y * 32 + threadIdx.x] = tile[threadIdx.x]
                                                                             [threadIdx.y];
}
`;
  const f = engine.analyzeText('/tmp/tile_cols.cu', text).findings.find((x) => x.rule === 'memory/shared-bank-conflict');
  assert.ok(f, 'the column read conflicts');
  assert.match(f.message, /^`tile\[threadIdx\.x\]\[threadIdx\.y\]` reads /);
});

test('a strided pick (nothing else touches the elements between the lanes) is advised as a layout, a row walk as a thread remapping', async () => {
  const engine = await Engine.create();
  const path = join(ROOT, 'server/src/rules/memory/uncoalesced-access/fixtures/strided_pick.cu');
  const found = engine.analyzeText(path, readFileSync(path, 'utf8')).findings.filter((x) => x.rule === 'memory/uncoalesced-access');
  const pick = found.find((f) => f.function === 'take_every');
  const walk = found.find((f) => f.function === 'row_sums');
  assert.ok(pick && walk, found.map((f) => f.message).join('\n'));
  assert.match(pick.detail ?? '', /no mapping of threads fetches fewer sectors: keep `in` so that these elements are contiguous/);
  assert.doesNotMatch(pick.detail ?? '', /Map threadIdx\.x/);
  assert.match(walk.detail ?? '', /Map threadIdx\.x to the contiguous/);
});

test('an FP8 element is one byte: lanes a row apart touch 32 sectors where 1 would do', async () => {
  const engine = await Engine.create();
  const path = join(ROOT, 'server/src/rules/memory/uncoalesced-access/fixtures/fp8_elements.cu');
  const [f] = engine.analyzeText(path, readFileSync(path, 'utf8')).findings.filter((x) => x.rule === 'memory/uncoalesced-access');
  assert.match(f.message, /32 sectors per warp instead of 1$/);
  assert.ok(!f.assumptions.some((a) => /32 bits wide/.test(a)), f.assumptions.join('\n'));
});

test('shared-memory atomics in an unrolled loop are one word each: lanes 16 words apart are 16-way, not merged 16-byte accesses', async () => {
  const engine = await Engine.create();
  const path = join(ROOT, 'server/src/rules/memory/shared-bank-conflict/fixtures/shared_atomic_rows.cu');
  const [f] = engine.analyzeText(path, readFileSync(path, 'utf8')).findings.filter((x) => x.rule === 'memory/shared-bank-conflict');
  assert.match(f.message, /16-way bank conflict, 16 passes per warp instead of 1$/);
});

test('a recurrence inside one pass of the reuse loop is no dependence that loop carries: plain blocking is advised, not a blocked-LU restructure', async () => {
  const engine = await Engine.create();
  const text = [
    'static double w[400][400], out[400][400][400];',
    'void sweep(int n) {',
    '  for (int k = 0; k < n; k++)',
    '    for (int j = 0; j < n; j++)',
    '      for (int i = 1; i < n; i++) out[k][j][i] = out[k][j][i - 1] * w[j][i] + 1.0;',
    '}',
  ].join('\n');
  const [f] = engine.analyzeText('/tmp/sweep.cpp', text).findings.filter((x) => x.rule === 'tiling/cpu-loop-nest');
  assert.match(f.message, /`w` re-read on every `k`/);
  assert.doesNotMatch(f.detail ?? '', /carries a dependence/);
  assert.match(f.detail ?? '', /block the/i);
});

test('a pitch made of several sizes is assumed long as a whole (`deg*deg` at least 32), not each size', async () => {
  const engine = await Engine.create();
  const text = [
    '__global__ void basis(const float* v, float* out, int n, int deg) {',
    '  int i = blockIdx.x * blockDim.x + threadIdx.x;',
    '  if (i < n) out[i * deg * deg] = v[i];',
    '}',
    'void run(const float* v, float* o, int n, int d) { basis<<<(n + 255) / 256, 256>>>(v, o, n, d); }',
  ].join('\n');
  const [f] = engine.analyzeText('/tmp/basis.cu', text).findings.filter((x) => x.rule === 'memory/uncoalesced-access');
  assert.match(f.message, /`deg\*deg` elements apart/);
  assert.ok(f.assumptions.includes('assumes `deg*deg` is at least 32 at run time'), f.assumptions.join('\n'));
});

test('the sizes assumed long are those that set the lanes apart (`D`), not those that only place the warp (the cloud a block works on)', async () => {
  const engine = await Engine.create();
  const text = [
    '__global__ void nearest(const float* pts, float* best, int P, int D, int chunks) {',
    '  for (int chunk = blockIdx.x; chunk < 64 * chunks; chunk += gridDim.x) {',
    '    int n = chunk / chunks;',
    '    int p = blockDim.x * (chunk % chunks) + threadIdx.x;',
    '    if (p >= P) continue;',
    '    float s = 0.f;',
    '    for (int d = 0; d < D; ++d) s += pts[n * P * D + p * D + d];',
    '    best[n * P + p] = s;',
    '  }',
    '}',
    'void run(const float* v, float* o, int P, int D) { nearest<<<240, 256>>>(v, o, P, D, (P + 255) / 256); }',
  ].join('\n');
  const [f] = engine.analyzeText('/tmp/nearest.cu', text).findings.filter((x) => x.rule === 'memory/uncoalesced-access');
  assert.match(f.message, /`D` elements apart/);
  assert.ok(f.assumptions.includes('assumes `D` is at least 32 at run time'), f.assumptions.join('\n'));
});

test('an interleaved tree reduction is given the range of its conflict over the doubling loop, and sequential addressing as the fix', async () => {
  const engine = await Engine.create();
  const path = join(ROOT, 'server/src/rules/memory/shared-bank-conflict/fixtures/interleaved_tree.cu');
  const found = engine.analyzeText(path, readFileSync(path, 'utf8')).findings.filter((x) => x.rule === 'memory/shared-bank-conflict');
  assert.equal(found.length, 1);
  assert.match(found[0].message, /2- to 32-way bank conflict as `s` changes \(32-way at `s` = 16\)$/);
  assert.match(found[0].detail ?? '', /sequential addressing/);
  assert.doesNotMatch(found[0].detail ?? '', /Pad /);
});

test('a tree behind `if (index < blockDim.x)` counts only the lanes that pass at each pass (256 threads: 8-way at most)', async () => {
  const engine = await Engine.create();
  const path = join(ROOT, 'server/src/rules/memory/shared-bank-conflict/fixtures/interleaved_tree_guarded.cu');
  const found = engine.analyzeText(path, readFileSync(path, 'utf8')).findings.filter((x) => x.rule === 'memory/shared-bank-conflict');
  assert.deepEqual(found.map((f) => f.message), ['`sdata[index]` writes `__shared__ sdata[]`: 2- to 8-way bank conflict as `s` changes (8-way at `s` = 4)']);
});

test('a loop that moves only the last index of a 3-D array by 2 is said to read 2 elements apart, not a whole row', async () => {
  const engine = await Engine.create();
  const path = join(ROOT, 'server/src/rules/vectorization/cpu-simd/fixtures/grid_coarsening.c');
  const [f] = engine.analyzeText(path, readFileSync(path, 'utf8')).findings.filter((x) => x.rule === 'vectorization/cpu-simd');
  assert.match(f.message, /2 elements apart per step/);
});

test('loops that walk one grid two apart the same way are one cpu-simd finding that counts the others', async () => {
  const engine = await Engine.create();
  const path = join(ROOT, 'server/src/rules/vectorization/cpu-simd/fixtures/grid_coarsening.c');
  const found = engine.analyzeText(path, readFileSync(path, 'utf8')).findings.filter((x) => x.rule === 'vectorization/cpu-simd' && x.function === 'interpolate');
  assert.equal(found.length, 1);
  assert.match(found[0].message, /\(and 2 more loops like it\)$/);
  assert.equal(found[0].related.filter((r) => r.message === 'the same in this loop').length, 2);
});

test('a halo column picked from a padded grid (`nx + 2` per row) is advised on its layout, not on the thread mapping', async () => {
  const engine = await Engine.create();
  const path = join(ROOT, 'server/src/rules/memory/uncoalesced-access/fixtures/halo_column_pack.cu');
  const [f] = engine.analyzeText(path, readFileSync(path, 'utf8')).findings.filter((x) => x.rule === 'memory/uncoalesced-access');
  assert.match(f.message, /threads `nx \+ 2` elements apart/);
  assert.match(f.detail ?? '', /Nothing else in the kernel reads the elements between the lanes/);
  assert.doesNotMatch(f.detail ?? '', /Map threadIdx\.x to the contiguous/);
});

test('a nest whose sizes are known states the block its loops sweep; with run-time sizes it gives the declared size or says they are assumed', async () => {
  const engine = await Engine.create();
  const gemm = (bound: string) => [
    '#define N 1024',
    `void gemm(double C[N][N], double A[N][N], double B[N][N], int n) {`,
    `  for (int i = 0; i < ${bound}; i++)`,
    `    for (int k = 0; k < ${bound}; k++)`,
    `      for (int j = 0; j < ${bound}; j++) C[i][j] += A[i][k] * B[k][j];`,
    '}',
  ].join('\n');
  const nest = (text: string) => engine.analyzeText('/tmp/gemm.c', text).findings.find((x) => x.rule === 'tiling/cpu-loop-nest')!;
  assert.match(nest(gemm('N')).assumptions?.[0] ?? '', /sweep a 1024×1024 block of `B` \(8 MiB\), more than L2 holds/);
  // (run-time bounds over arrays the parameters declare: their declared size; over plain pointers: unknown)
  assert.match(nest(gemm('n')).assumptions?.[0] ?? '', /sweep a 2-D block of `B`, an array declared 8 MiB; assumes the block does not fit in a 256 KiB L2/);
  const pointers = gemm('n').replace('double C[N][N], double A[N][N], double B[N][N]', 'double* C, double* A, double* B').replace('C[i][j] += A[i][k] * B[k][j]', 'C[i * n + j] += A[i * n + k] * B[k * n + j]');
  assert.match(nest(pointers).assumptions?.[0] ?? '', /sizes are not known here/);
});

test("a shared-memory accessor struct names its primary template's array, not a later specialization's", async () => {
  const engine = await Engine.create();
  const text = `template <class T> struct SharedMemory {
  __device__ inline operator T *() { extern __shared__ int __smem[]; return (T *)__smem; }
};
template <> struct SharedMemory<double> {
  __device__ inline operator double *() { extern __shared__ double __smem_d[]; return (double *)__smem_d; }
};
template <class T> __global__ void reduce1(T *in, T *out, unsigned n) {
  T *sdata = SharedMemory<T>();
  unsigned tid = threadIdx.x;
  sdata[tid] = in[blockIdx.x * blockDim.x + tid];
  __syncthreads();
  for (unsigned s = 1; s < blockDim.x; s *= 2) {
    int index = 2 * s * tid;
    if (index < blockDim.x) sdata[index] += sdata[index + s];
    __syncthreads();
  }
  if (tid == 0) out[blockIdx.x] = sdata[0];
}
`;
  const bank = engine.analyzeText('reduce1.cu', text).findings.filter((f) => f.rule === 'memory/shared-bank-conflict');
  assert.ok(bank.length > 0, 'the interleaved addressing is reported');
  for (const f of bank) assert.match(f.message, /__smem\[\]/, f.message);
});

test('a stride a macro wrote is printed as a reader would write it, without the expansion\'s parentheses', async () => {
  const engine = await Engine.create();
  const text = `#define DIV_UP(a, b) (((a) + (b) - 1) / (b))
__global__ void per_row_flags(const int *ids, int *flags, int numel) {
  const int per_thread = DIV_UP(numel, blockDim.x);
  for (int k = 0; k < per_thread; ++k) flags[threadIdx.x * per_thread + k] = ids[threadIdx.x * per_thread + k] > 0;
}
void run(const int *ids, int *flags, int numel) { per_row_flags<<<1024, 256>>>(ids, flags, numel); }
`;
  const [f] = engine.analyzeText('/work/flags.cu', text).findings.filter((x) => x.rule === 'memory/uncoalesced-access');
  assert.ok(f, 'the strided walk is reported');
  assert.match(f.message, /threads `\(numel \+ blockDim\.x - 1\) \/ blockDim\.x` elements apart/);
});

test('a launcher template\'s explicit instantiations set the element type of the kernel it launches: 32-bit, 8-way', async () => {
  const engine = await Engine.create();
  const path = join(ROOT, 'server/src/rules/memory/shared-bank-conflict/fixtures/instantiated_launcher.cu');
  const [f] = engine.analyzeText(path, readFileSync(path, 'utf8')).findings.filter((x) => x.rule === 'memory/shared-bank-conflict');
  assert.match(f.message, /\(8-way at `s` = 4\)/);
});

test('a launch through a function pointer declared with its signature gives the kernel its block: 16 lanes a row, not 32', async () => {
  const engine = await Engine.create();
  const path = join(ROOT, 'server/src/rules/memory/uncoalesced-access/fixtures/function_pointer_launch.cu');
  const [f] = engine.analyzeText(path, readFileSync(path, 'utf8')).findings.filter((x) => x.rule === 'memory/uncoalesced-access');
  // (16 lanes a row, each its own sector; two rows a warp, a float apart: 16, or 18 where an odd `height` splits a pair)
  assert.match(f.message, /: 16 to 18 sectors per warp instead of 4$/);
  assert.match(f.detail ?? '', /touches 16 to 18 32-byte sectors \(by the sizes\)/);
});

test('with no launch to give blockDim.x, a 16-row tile that threadIdx.x indexes bounds it: 8-way, not 16-way', async () => {
  const engine = await Engine.create();
  const path = join(ROOT, 'server/src/rules/memory/shared-bank-conflict/fixtures/tile_bounds_block_width.cu');
  const [f] = engine.analyzeText(path, readFileSync(path, 'utf8')).findings.filter((x) => x.rule === 'memory/shared-bank-conflict');
  assert.match(f.message, /: 8-way bank conflict/);
  assert.ok(f.assumptions.some((a) => /a warp of 2 rows of 16 threads \(no launch here gives blockDim\.x/.test(a)), f.assumptions.join('; '));
});

test('two half-warp rows on the same banks: 2-way, with a pad of 16 words in the advice', async () => {
  const engine = await Engine.create();
  const path = join(ROOT, 'server/src/rules/memory/shared-bank-conflict/fixtures/row_tiles_half_warps.cu');
  const [f] = engine.analyzeText(path, readFileSync(path, 'utf8')).findings.filter((x) => x.rule === 'memory/shared-bank-conflict');
  assert.match(f.message, /: 2-way bank conflict/);
  assert.match(f.detail ?? '', /Pad the inner dimension by 16 words \(`tile\[4\]\[144\]`\)/);
});

test('a template type deduced from a project alias\'s pointer is that type (8× for bf16); an alias an #if makes 16-bit in some builds says so', async () => {
  const engine = await Engine.create();
  const path = join(ROOT, 'server/src/rules/vectorization/vector-memory-access/fixtures/alias_deduced_types.cu');
  const found = engine.analyzeText(path, readFileSync(path, 'utf8')).findings.filter((x) => x.rule === 'vectorization/vector-memory-access');
  assert.match(found.find((f) => f.function === 'sum_squares')!.message, /, 8× the memory instructions of 16-byte ones$/);
  // (its `float` gain moves 4 per 16 bytes in every build: the count is not the default build's alone)
  assert.match(found.find((f) => f.function === 'scale_rows')!.message, /4× the memory instructions of 16-byte ones \(8× as `__half` or `__nv_bfloat16`\)$/);
});

test('ldmatrix.x2 takes its row addresses from 16 lanes: a 2-way conflict is 4 passes instead of 2, .x4 8 instead of 4', async () => {
  const engine = await Engine.create();
  const kernel = (x: string) => `#include <cuda_fp16.h>
#include <stdint.h>
__global__ void frag_rows(const half* __restrict__ src, uint32_t* __restrict__ out, int tiles) {
  __shared__ half tile[16][16];
  const int lane = threadIdx.x % 32;
  uint32_t acc = 0;
  for (int t = 0; t < tiles; ++t) {
    for (int i = lane; i < 16 * 16; i += 32) tile[i / 16][i % 16] = src[(blockIdx.x * tiles + t) * 256 + i];
    __syncthreads();
    uint32_t r0, r1, r2, r3;
    uint32_t addr = __cvta_generic_to_shared(&tile[lane % 8][((lane / 8) % 2) * 8]);
    asm volatile("ldmatrix.sync.aligned.${x}.m8n8.shared.b16 {%0, %1, %2, %3}, [%4];\\n" : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3) : "r"(addr));
    acc ^= r0 ^ r1 ^ r2 ^ r3;
    __syncthreads();
  }
  out[blockIdx.x * 32 + lane] = acc;
}
void run(const half* src, uint32_t* out, int n, int tiles) { frag_rows<<<n, 32>>>(src, out, tiles); }
`;
  const conflict = (x: string) => engine.analyzeText(`frag_${x}.cu`, kernel(x)).findings.find((f) => f.rule === 'memory/shared-bank-conflict')!;
  assert.match(conflict('x2').message, /2-way bank conflict in its 16-byte accesses, 4 passes per warp instead of 2$/);
  assert.match(conflict('x4').message, /2-way bank conflict in its 16-byte accesses, 8 passes per warp instead of 4$/);
});

test('the other arm of `if (tid < 16)` runs on the later 16 lanes: their row walk of a 16x16 tile is 8-way, not 16-way', async () => {
  const engine = await Engine.create();
  const path = join(ROOT, 'server/src/rules/memory/shared-bank-conflict/fixtures/split_warp_arms.cu');
  const [f] = engine.analyzeText(path, readFileSync(path, 'utf8')).findings.filter((x) => x.rule === 'memory/shared-bank-conflict');
  assert.match(f.message, /: 8-way bank conflict, 8 passes per warp instead of 1$/);
});

test('a kernel launched through a function pointer a switch assigns takes that launch`s 16x16 blocks: 16 sectors per warp, not 32', async () => {
  const engine = await Engine.create();
  const path = join(ROOT, 'server/src/rules/memory/uncoalesced-access/fixtures/kernel_table_pointer.cu');
  const [f] = engine.analyzeText(path, readFileSync(path, 'utf8')).findings.filter((x) => x.rule === 'memory/uncoalesced-access');
  assert.match(f.message, /: 16 sectors per warp instead of 4$/);
});

test('a CPU column walk names the loop under which every access of the body is contiguous (trmm, LU: `j`), not the loop that moves the strided access alone', async () => {
  const engine = await Engine.create();
  const path = join(ROOT, 'server/src/rules/memory/uncoalesced-access/fixtures/triangular_interchanges.c');
  const found = engine.analyzeText(path, readFileSync(path, 'utf8')).findings.filter((x) => x.rule === 'memory/uncoalesced-access');
  assert.equal(found.length, 2);
  for (const f of found) {
    assert.match(f.detail ?? '', /Interchange the loops so that `j` is innermost/, f.detail);
    assert.doesNotMatch(f.detail ?? '', /would only move the column walk/, f.detail);
  }
});

test('row-wise Cholesky and LU read rows earlier passes of `i` finished: a blocked factorization is advised; a covariance mirroring its upper triangle carries nothing: plain blocking', async () => {
  const engine = await Engine.create();
  const path = join(ROOT, 'server/src/rules/tiling/cpu-loop-nest/fixtures/factorization_rows.c');
  const found = engine.analyzeText(path, readFileSync(path, 'utf8')).findings.filter((x) => x.rule === 'tiling/cpu-loop-nest');
  const of = (fn: string) => found.find((f) => f.function === fn)?.detail ?? '';
  for (const fn of ['cholesky_rows', 'lu_rows']) assert.match(of(fn), /The `i` loop carries a dependence .*blocked algorithm/s, `${fn}: ${of(fn)}`);
  assert.doesNotMatch(of('covariance_upper'), /carries a dependence/, of('covariance_upper'));
  assert.match(of('covariance_upper'), /^Block the /m, of('covariance_upper'));
});

test('a time loop that also reads a source term once a step (fdtd\'s `fict[t]`) is still a time loop: time skewing is advised, not tiles of one step', async () => {
  const engine = await Engine.create();
  const path = join(ROOT, 'server/src/rules/tiling/cpu-loop-nest/fixtures/stencil_time_loops.cpp');
  const f = engine.analyzeText(path, readFileSync(path, 'utf8')).findings.find((x) => x.rule === 'tiling/cpu-loop-nest' && x.function === 'fdtd_2d');
  assert.match(f?.detail ?? '', /advance several `t` steps on one tile/, f?.detail);
  assert.doesNotMatch(f?.detail ?? '', /tuned library/, f?.detail);
});

test('a pack whose element type is one (`typedef Packed128<float> f128`) has a known count: no assumption that the build makes it 4 or 8', async () => {
  const engine = await Engine.create();
  const path = join(ROOT, 'server/src/rules/memory/shared-bank-conflict/fixtures/packed128_size.cu');
  const found = engine.analyzeText(path, readFileSync(path, 'utf8')).findings.filter((x) => x.rule === 'memory/shared-bank-conflict');
  assert.equal(found.length, 1);
  assert.ok(found[0].assumptions.every((a) => !/as the build makes/.test(a)), found[0].assumptions.join('\n'));
  const open = join(ROOT, 'server/src/rules/memory/shared-bank-conflict/fixtures/packed128_open_size.cu');
  const staged = engine.analyzeText(open, readFileSync(open, 'utf8')).findings.find((x) => x.rule === 'memory/shared-bank-conflict');
  assert.ok(staged?.assumptions.some((a) => /`x128::size` is 4 or 8 as the build makes/.test(a)), staged?.assumptions.join('\n'));
});

test('a CPU transpose is advised to be blocked, and assumes no interchange (it would move the column walk to the other array)', async () => {
  const engine = await Engine.create();
  const path = join(ROOT, 'server/src/rules/memory/uncoalesced-access/fixtures/cpu_column_walks.cpp');
  const all = engine.analyzeText(path, readFileSync(path, 'utf8')).findings.filter((x) => x.rule === 'memory/uncoalesced-access');
  const copy = all.find((x) => x.function === 'blur_columns');
  assert.ok(copy, all.map((x) => x.message).join('\n'));
  assert.match(copy.detail ?? '', /Block both loops/);
  assert.deepEqual(copy.assumptions, ['assumes row-major arrays larger than the cache']);
  // a plain column walk keeps the interchange and its assumption
  const walk = all.find((x) => /interchange/i.test(x.detail ?? '') && !/Block both loops/.test(x.detail ?? ''));
  assert.ok(walk && walk.assumptions.some((a) => /can be interchanged/.test(a)), all.map((x) => x.assumptions.join('; ')).join('\n'));
});

test('a Triton chain whose intermediate the function returns saves a read and a launch, not the write (it stays written)', async () => {
  const engine = await Engine.create();
  const path = join(ROOT, 'server/src/rules/fusion/elementwise-chain/fixtures/returned_intermediate.py');
  const all = engine.analyzeText(path, readFileSync(path, 'utf8')).findings.filter((x) => x.rule === 'fusion/elementwise-chain');
  const kept = all.find((x) => x.function === 'scale_relu_keep');
  const dropped = all.find((x) => x.function === 'scale_relu');
  assert.match(kept?.message ?? '', /an extra read and launch \(`scaled` is returned: still written\)/, kept?.message);
  assert.doesNotMatch(kept?.benefit ?? '', /saves a full write/, kept?.benefit);
  assert.match(dropped?.message ?? '', /an extra write, read and launch$/, dropped?.message);
});

test('an eager epilogue after a GEMM counts the elementwise passes of its run (a soft-cap is four, GELU\'s tanh form nine), one finding', async () => {
  const engine = await Engine.create();
  const path = join(ROOT, 'server/src/rules/fusion/gemm-epilogue/fixtures/softcap_after_matmul.py');
  const found = engine.analyzeText(path, readFileSync(path, 'utf8')).findings.filter((x) => x.rule.startsWith('fusion/'));
  assert.deepEqual(found.map((f) => f.rule), ['fusion/gemm-epilogue', 'fusion/gemm-epilogue'], 'no second finding for the same run');
  assert.match(found[1].message, /^`0\.5 \* h` and 8 more elementwise ops: separate passes over the output of the cuBLAS GEMM `self\.fc1`/, found[1].message);
  assert.match(found[0].message, /^`logits\.float\(\)` and 3 more elementwise ops: separate passes over the output of the cuBLAS GEMM `torch\.matmul`, a write and a read each$/, found[0].message);
});

test('an eager op on a GEMM\'s result itself (`h = torch.matmul(x, w) + b`) starts the same run as one on its name', async () => {
  const engine = await Engine.create();
  const src = (first: string) => `import torch
from torch.nn import functional as F


def mlp_forward(x, w_fc, b_fc, w_proj):
${first}
    h = F.gelu(h, approximate="tanh")
    return torch.matmul(h, w_proj)
`;
  const named = engine.analyzeText('/tmp/named.py', src('    h = torch.matmul(x, w_fc)\n    h = h + b_fc')).findings.filter((f) => f.rule === 'fusion/gemm-epilogue');
  const inline = engine.analyzeText('/tmp/inline.py', src('    h = torch.matmul(x, w_fc) + b_fc')).findings.filter((f) => f.rule === 'fusion/gemm-epilogue');
  assert.equal(named.length, 1);
  assert.equal(inline.length, 1);
  assert.match(named[0].message, /^`h \+ b_fc` and 1 more elementwise op: separate passes/, named[0].message);
  assert.match(inline[0].message, /^`torch\.matmul\(x, w_fc\) \+ b_fc` and 1 more elementwise op: separate passes/, inline[0].message);
});

test('a loop that syncs the device right before its blocking copy back names the copy, which waits for the same work', async () => {
  const engine = await Engine.create();
  const src = `__global__ void step(float* J, int n) { int i = blockIdx.x * blockDim.x + threadIdx.x; if (i < n) J[i] = J[i] * 0.5f + 1.0f; }
void run(float* J, float* J_cuda, int n, int niter, float* q) {
  for (int iter = 0; iter < niter; iter++) {
    float sum = 0.f;
    for (int k = 0; k < n; k++) sum += J[k];
    q[iter] = sum;
    step<<<(n + 255) / 256, 256>>>(J_cuda, n);
    cudaDeviceSynchronize();
    cudaMemcpy(J, J_cuda, sizeof(float) * n, cudaMemcpyDeviceToHost);
  }
}
`;
  const found = engine.analyzeText('/tmp/srad.cu', src).findings.filter((f) => f.rule === 'overlap/sync-transfer');
  assert.equal(found.length, 1);
  assert.match(found[0].message, /^The synchronous `cudaMemcpy` blocks the host each iteration/, found[0].message);
  assert.equal(found[0].range.start.line, 8);
});

test('a border select whose arms step alike with the lane gives the step as written (`grid_cols`), not a sampled size', async () => {
  const engine = await Engine.create();
  const src = `__global__ void step(const float* src, float* dst, int grid_cols, int grid_rows, float k) {
  int r = blockIdx.x * blockDim.x + threadIdx.x;
  int c = blockIdx.y * blockDim.y + threadIdx.y;
  if (r >= grid_rows || c >= grid_cols) return;
  int idx = r * grid_cols + c;
  int s = (r == grid_rows - 1) ? idx : idx + grid_cols;
  dst[idx] = src[s] * k;
}
void run(const float* a, float* b, int rows, int cols) { step<<<dim3((rows + 15) / 16, (cols + 15) / 16), dim3(16, 16)>>>(a, b, cols, rows, 0.5f); }
`;
  const found = engine.analyzeText('/tmp/border.cu', src).findings.filter((f) => f.rule === 'memory/uncoalesced-access');
  assert.equal(found.length, 2);
  for (const f of found) assert.match(f.message, /threads `grid_cols` elements apart/, f.message);
});

test('fp16 data streamed beside fp32 tables is counted at its own width: 4x for the floats, 8x for the halves', async () => {
  const engine = await Engine.create();
  const src = `#include <cuda_fp16.h>
__global__ void rope_f16(const long* __restrict__ positions, half* __restrict__ q, const float* __restrict__ cache, int heads, int hs) {
  const long pos = positions[blockIdx.x];
  const float* cos_ptr = cache + pos * hs;
  const float* sin_ptr = cos_ptr + hs / 2;
  for (int i = threadIdx.x; i < heads * (hs / 2); i += blockDim.x) {
    const int rot = i % (hs / 2);
    half* qh = q + (size_t)blockIdx.x * heads * hs + (i / (hs / 2)) * hs;
    const float c = cos_ptr[rot], s = sin_ptr[rot];
    const float x1 = __half2float(qh[rot]), x2 = __half2float(qh[rot + hs / 2]);
    qh[rot] = __float2half(x1 * c - x2 * s);
    qh[rot + hs / 2] = __float2half(x2 * c + x1 * s);
  }
}
void rope(const long* p, half* q, const float* cache, int tokens, int heads, int hs) { rope_f16<<<tokens, 512>>>(p, q, cache, heads, hs); }
`;
  const found = engine.analyzeText('/tmp/rope.cu', src).findings.filter((f) => f.rule === 'vectorization/vector-memory-access');
  assert.equal(found.length, 1);
  assert.match(found[0].message, /4× the memory instructions of 16-byte ones \(8× for the `half` data\)/, found[0].message);
});

test('a GEMM is named as the code spells it: `F.linear` through the alias, the full `torch.nn.functional.linear` when written out', async () => {
  const engine = await Engine.create();
  const src = (call: string) => `import torch
import torch.nn.functional as F


def proj_gelu(x, w, b):
    h = ${call}(x, w, b)
    return F.gelu(h)
`;
  const named = (call: string) => engine.analyzeText('/tmp/linear.py', src(call)).findings.filter((f) => f.rule === 'fusion/gemm-epilogue');
  const [alias, full] = [named('F.linear'), named('torch.nn.functional.linear')];
  assert.equal(alias.length, 1);
  assert.equal(full.length, 1);
  assert.match(alias[0].message, /the cuBLAS GEMM `F\.linear`/, alias[0].message);
  assert.match(full[0].message, /the cuBLAS GEMM `torch\.nn\.functional\.linear`/, full[0].message);
});

test('a `__device__` body run through a template function-pointer parameter takes the launch\'s block width: 16-wide blocks, a 16-way conflict', async () => {
  const engine = await Engine.create();
  const path = join(ROOT, 'server/src/rules/memory/shared-bank-conflict/fixtures/template_body_block_width.cu');
  const found = engine.analyzeText(path, readFileSync(path, 'utf8')).findings.filter((x) => x.rule === 'memory/shared-bank-conflict');
  assert.equal(found.length, 1);
  assert.match(found[0].message, /16-way bank conflict, 16 passes per warp instead of 1/, found[0].message);
});

test('a swept block of an element type an `#if` leaves open (PolyBench\'s `DATA_TYPE`, int or double) is sized by the narrower type, and said to be at least that', async () => {
  const engine = await Engine.create();
  const src = [
    '#if !defined(DATA_TYPE_IS_INT) && !defined(DATA_TYPE_IS_DOUBLE)',
    '#  define DATA_TYPE_IS_INT',
    '#endif',
    '#ifdef DATA_TYPE_IS_INT',
    '#  define DATA_TYPE int',
    '#endif',
    '#ifdef DATA_TYPE_IS_DOUBLE',
    '#  define DATA_TYPE double',
    '#endif',
    '#define N 2800',
    'static DATA_TYPE path[N][N];',
    'void kernel_floyd_warshall(int n) {',
    '  for (int k = 0; k < n; k++)',
    '    for (int i = 0; i < n; i++)',
    '      for (int j = 0; j < n; j++)',
    '        path[i][j] = path[i][j] < path[i][k] + path[k][j] ? path[i][j] : path[i][k] + path[k][j];',
    '}',
    'int main(void) { kernel_floyd_warshall(N); return path[1][2]; }',
    '',
  ].join('\n');
  const found = engine.analyzeText('/tmp/floyd.c', src).findings.filter((f) => f.rule === 'tiling/cpu-loop-nest');
  assert.equal(found.length, 1);
  assert.match(found[0].assumptions.join(' '), /2800×2800 block of `path` \(at least 29\.9 MiB\)/, found[0].assumptions.join(' '));
});

test('blocks of 16 threads and no threadIdx.y make a warp of those 16 threads, not two rows of them', async () => {
  const engine = await Engine.create();
  const src = [
    '__global__ void k(const float* in, float* out, int d) {',
    '  extern __shared__ float tile[];',
    '  int tx = threadIdx.x;',
    '  for (int x = 0; x < d; x++) tile[tx * d + x] = in[blockIdx.x * 16 * d + tx * d + x];',
    '  __syncthreads();',
    '  float s = 0.f;',
    '  for (int x = 0; x < d; x++) s += tile[tx * d + x];',
    '  out[blockIdx.x * 16 + tx] = s;',
    '}',
    'void launch(const float* in, float* out, int n, int d) { k<<<n / 16, 16, 16 * d * 4>>>(in, out, d); }',
    '',
  ].join('\n');
  const found = engine.analyzeText('/tmp/halfwarp.cu', src).findings;
  const bank = found.find((f) => f.rule === 'memory/shared-bank-conflict');
  const walk = found.find((f) => f.rule === 'memory/uncoalesced-access');
  assert.match(bank?.assumptions[0] ?? '', /a warp of 16 threads \(blocks of 16 threads at every launch\)$/, bank?.assumptions[0]);
  assert.match(bank?.message ?? '', /16-way bank conflict/);
  assert.equal(walk?.assumptions[0], 'a warp is 16 threads (blocks of 16 threads at every launch)');
});

test('a kernel made by rebinding its function (`f = triton.jit(f)`) is one kernel: its findings come once, under the name it is launched by', async () => {
  const engine = await Engine.create();
  const body = (fn: string, bind: string) => `import triton
import triton.language as tl


def ${fn}(X, N, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    X += row * N
    acc = tl.zeros([BLOCK], dtype=tl.float32)
    for off in range(0, N, BLOCK):
        cols = off + tl.arange(0, BLOCK)
        acc += tl.load(X + cols, mask=cols < N, other=0.).to(tl.float32)
    mean = tl.sum(acc, axis=0) / N
    acc = tl.zeros([BLOCK], dtype=tl.float32)
    for off in range(0, N, BLOCK):
        cols = off + tl.arange(0, BLOCK)
        x = tl.where(cols < N, tl.load(X + cols, mask=cols < N, other=0.).to(tl.float32) - mean, 0.)
        acc += x * x
    rstd = 1 / tl.sqrt(tl.sum(acc, axis=0) / N + 1e-5)
    for off in range(0, N, BLOCK):
        cols = off + tl.arange(0, BLOCK)
        x = tl.load(X + cols, mask=cols < N, other=0.).to(tl.float32)
        tl.store(X + cols, (x - mean) * rstd, mask=cols < N)


${bind}
`;
  for (const [fn, bind, name] of [['ln_stats', 'ln_stats = triton.jit(ln_stats)', 'ln_stats'], ['_ln_body', 'ln_kernel = triton.jit(_ln_body)', 'ln_kernel']]) {
    const found = engine.analyzeText(`/w/${fn}.py`, body(fn, bind)).findings.filter((f) => f.rule === 'fusion/multi-pass-reduction');
    assert.deepEqual(found.map((f) => f.function), [name], bind);
  }
});

test('a column walk inside a tile whose point loops can be interchanged is advised to swap the point loops and keep the blocking', async () => {
  const engine = await Engine.create();
  const path = join(ROOT, 'server/src/rules/memory/uncoalesced-access/fixtures/blocked_point_loops.c');
  const f = engine.analyzeText(path, readFileSync(path, 'utf8')).findings.find((x) => x.rule === 'memory/uncoalesced-access');
  assert.match(f?.detail ?? '', /Interchange the tile's point loops so that `j` is innermost \(keep the blocking\)/, f?.detail);
});

test('a CUDA chain whose intermediate the host reads afterwards saves a read and a launch, not the write', async () => {
  const engine = await Engine.create();
  const path = join(ROOT, 'server/src/rules/fusion/elementwise-chain/fixtures/intermediate_copied_back.cu');
  const all = engine.analyzeText(path, readFileSync(path, 'utf8')).findings.filter((x) => x.rule === 'fusion/elementwise-chain');
  const kept = all.find((x) => x.function === 'square_negate_keep');
  const dropped = all.find((x) => x.function === 'square_negate');
  assert.match(kept?.message ?? '', /an extra read and launch \(`d_sq` is read later: still written\)/, kept?.message);
  assert.match(dropped?.message ?? '', /an extra write, read and launch$/, dropped?.message);
});

test('an eager run counts as passes over the tensor only the steps on whole tensors, not those on a row statistic', async () => {
  const engine = await Engine.create();
  const source = [
    'import torch',
    'import triton',
    'import triton.language as tl',
    '',
    '@triton.jit',
    'def copy_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):',
    '    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)',
    '    tl.store(y_ptr + offs, tl.load(x_ptr + offs, mask=offs < n), mask=offs < n)',
    '',
    'def rms_norm_forward(hidden_states, weight, eps: float):',
    '    input_dtype = hidden_states.dtype',
    '    hidden_states = hidden_states.to(torch.float32)',
    '    variance = hidden_states.pow(2).mean(-1, keepdim=True)',
    '    hidden_states = hidden_states * torch.rsqrt(variance + eps)',
    '    return weight * hidden_states.to(input_dtype)',
    '',
    'def scale_shift_forward(x, w, b):',
    '    return (torch.sigmoid(x * w + b) * 2.0).to(torch.float16)',
    '',
  ].join('\n');
  const found = engine.analyzeText('/w/norms.py', source).findings.filter((f) => f.rule === 'fusion/elementwise-chain');
  const norm = found.find((f) => f.function === 'rms_norm_forward');
  assert.ok(norm, found.map((f) => f.message).join('\n'));
  assert.match(norm.message, /^5 eager PyTorch elementwise operations in a row .*: a kernel each, 3 over the whole tensor$/);
  const scale = found.find((f) => f.function === 'scale_shift_forward');
  assert.ok(scale, found.map((f) => f.message).join('\n'));
  assert.match(scale.message, /: a kernel and a pass over the tensor each$/);
});

test('an unfused attention backward is named as one: dO·Vᵀ, the softmax backward and dQ / dK, not the forward\'s QKᵀ and P·V', async () => {
  const engine = await Engine.create();
  const path = join(ROOT, 'server/src/rules/fusion/attention/fixtures/backward_alias.cu');
  const [f] = engine.analyzeText(path, readFileSync(path, 'utf8')).findings.filter((x) => x.rule === 'fusion/attention');
  assert.match(f.message, /^unfused attention backward: dO·Vᵀ in `datt`, the softmax backward and dQ \/ dK/);
  assert.doesNotMatch(f.message + f.detail + (f.related ?? []).map((r) => r.message).join(' '), /QKᵀ|P·V/);
  // (a backward that recomputes the forward's scores and softmax under checkpointing materializes the forward's chain)
  const recomputed = [
    '#include <cublas_v2.h>',
    '__global__ void softmax_rows(float* p, const float* s, int T) { int r = blockIdx.x; for (int i = threadIdx.x; i < T; i += blockDim.x) p[r * T + i] = expf(s[r * T + i]); }',
    'void attention_backward(cublasHandle_t h, float* S, float* P, float* dv, const float* q, const float* k, const float* dout, int BNH, int T, int HS) {',
    '  const float one = 1.f, zero = 0.f;',
    '  cublasSgemmStridedBatched(h, CUBLAS_OP_T, CUBLAS_OP_N, T, T, HS, &one, k, HS, T * HS, q, HS, T * HS, &zero, S, T, T * T, BNH);',
    '  softmax_rows<<<T * BNH, 256>>>(P, S, T);',
    '  cublasSgemmStridedBatched(h, CUBLAS_OP_N, CUBLAS_OP_T, HS, T, T, &one, dout, HS, T * HS, P, T, T * T, &zero, dv, HS, T * HS, BNH);',
    '}',
  ].join('\n');
  const [r] = engine.analyzeText('/w/recompute.cu', recomputed).findings.filter((x) => x.rule === 'fusion/attention');
  assert.match(r.message, /^unfused attention: scores QKᵀ in `S`/);
  const forward = readFileSync(path, 'utf8').replace('void attention_backward(', 'void attention_step(');
  const [g] = engine.analyzeText(path, forward).findings.filter((x) => x.rule === 'fusion/attention');
  assert.match(g.message, /^unfused attention: scores QKᵀ in `datt`/);
});

test('a conflict under every launch of a template kernel names the fewest ways and the most another launch gives', async () => {
  const engine = await Engine.create();
  // (BN = 128 for the sizes every benchmark runs, BN = 64 for the small fallback: 16 lanes 8 words apart, 4-way; 8 lanes, 2-way)
  const code = `template <const int BM, const int BN, const int BK, const int TM, const int TN>
__global__ void extraCol(int M, int N, int K, const float *A, const float *B, float *C) {
  const int extraCols = 5;
  __shared__ float As[BM * BK];
  __shared__ float Bs[BK * (BN + extraCols)];
  const int threadCol = threadIdx.x % (BN / TN), threadRow = threadIdx.x / (BN / TN);
  float acc[TM * TN] = {0.0f};
  for (int bk = 0; bk < K; bk += BK) {
    for (int i = threadIdx.x; i < BM * BK; i += blockDim.x)
      As[(i % BK) * BM + i / BK] = A[(blockIdx.y * BM + i / BK) * K + bk + i % BK];
    for (int i = threadIdx.x; i < BK * BN; i += blockDim.x)
      Bs[(i / BN) * (BN + extraCols) + i % BN] = B[(bk + i / BN) * N + blockIdx.x * BN + i % BN];
    __syncthreads();
    for (int d = 0; d < BK; ++d) {
      float regM[TM], regN[TN];
      for (int i = 0; i < TM; ++i) regM[i] = As[d * BM + threadRow * TM + i];
      for (int i = 0; i < TN; ++i) regN[i] = Bs[d * (BN + extraCols) + threadCol * TN + i];
      for (int m = 0; m < TM; ++m)
        for (int n = 0; n < TN; ++n) acc[m * TN + n] += regM[m] * regN[n];
    }
    __syncthreads();
  }
  for (int m = 0; m < TM; ++m)
    for (int n = 0; n < TN; ++n)
      C[(blockIdx.y * BM + threadRow * TM + m) * N + blockIdx.x * BN + threadCol * TN + n] = acc[m * TN + n];
}
void run(int M, int N, int K, const float *A, const float *B, float *C) {
  if (M >= 128 && N >= 128) {
    extraCol<128, 128, 8, 8, 8><<<dim3(N / 128, M / 128), 256>>>(M, N, K, A, B, C);
  } else {
    extraCol<64, 64, 8, 8, 8><<<dim3(N / 64, M / 64), 64>>>(M, N, K, A, B, C);
  }
}
`;
  const [f] = engine.analyzeText('extra_col.cu', code).findings.filter((x) => x.rule === 'memory/shared-bank-conflict' && x.message.includes('Bs['));
  assert.match(f.message, /: 2-way bank conflict, 2 passes per warp instead of 1 \(4-way under another launch's template values\)$/);
});

test('a Triton pass that only writes a scratch row is named as the write the other passes read back, not as one of them', async () => {
  const engine = await Engine.create();
  const code = `import triton
import triton.language as tl


@triton.jit
def flashatt_kernel_naive(q_ptr, k_ptr, v_ptr, s_ptr, z_ptr, N0, T, B0: tl.constexpr, B1: tl.constexpr):
    pid = tl.program_id(0)
    off_i = pid * B0 + tl.arange(0, B0)
    mask_i = off_i < N0
    q = tl.load(q_ptr + off_i, mask=mask_i)
    # scores to global scratch s[N0, T]
    for id_j in tl.range(0, T, B1):
        off_j = id_j + tl.arange(0, B1)
        mask_j = off_j < T
        k = tl.load(k_ptr + off_j, mask=mask_j)
        s = q[:, None] * k[None, :]
        tl.store(s_ptr + off_i[:, None] * T + off_j[None, :], s, mask=mask_i[:, None] & mask_j[None, :])
    s_max = tl.full((B0,), -float("inf"), dtype=tl.float32)
    for id_j in tl.range(0, T, B1):
        off_j = id_j + tl.arange(0, B1)
        mask_ij = mask_i[:, None] & (off_j < T)[None, :]
        s = tl.load(s_ptr + off_i[:, None] * T + off_j[None, :], mask=mask_ij, other=-float("inf"))
        s_max = tl.maximum(s_max, tl.max(s, axis=1))
    denom = tl.zeros((B0,), dtype=tl.float32)
    for id_j in tl.range(0, T, B1):
        off_j = id_j + tl.arange(0, B1)
        mask_ij = mask_i[:, None] & (off_j < T)[None, :]
        s = tl.load(s_ptr + off_i[:, None] * T + off_j[None, :], mask=mask_ij, other=-float("inf"))
        denom += tl.sum(tl.exp(s - s_max[:, None]), axis=1)
    z = tl.zeros((B0,), dtype=tl.float32)
    for id_j in tl.range(0, T, B1):
        off_j = id_j + tl.arange(0, B1)
        mask_j = off_j < T
        mask_ij = mask_i[:, None] & mask_j[None, :]
        s = tl.load(s_ptr + off_i[:, None] * T + off_j[None, :], mask=mask_ij, other=-float("inf"))
        v = tl.load(v_ptr + off_j, mask=mask_j, other=0.0)
        z += tl.sum(tl.exp(s - s_max[:, None]) / denom[:, None] * v[None, :], axis=1)
    tl.store(z_ptr + off_i, z, mask=mask_i)
    return

`;
  const [f] = engine.analyzeText('flash_naive.py', code).findings.filter((x) => x.rule === 'fusion/multi-pass-reduction');
  assert.match(f.message, /^this loop reads back the row of `s_ptr` that line 12 wrote: 3 passes over it from global memory \(lines 19, 25 and 31\)$/);
  assert.match(f.detail ?? '', /writes the row of `s_ptr` to global memory \(line 12\) and reads it back 3 times/);
  assert.equal(f.related?.[0]?.message, 'writes the row of `s_ptr`');
});

test('an eager run counts a softmax and a broadcast of whole tensors as whole-tensor passes', async () => {
  const engine = await Engine.create();
  const code = `import torch
import triton
import triton.language as tl


@triton.jit
def jsd_kernel(x_ptr, n, BLOCK: tl.constexpr):
    pass


def jsd_grad_chunk(prob, logits, temperature, dtype):
    g = (prob - torch.softmax(logits, dim=-1) * prob.sum(dim=-1, keepdim=True).broadcast_to(prob.shape)) / temperature
    g = g.to(dtype)
    return g


def float_first(h, w, s):
    logits = h @ w.t()
    logits = logits.float()
    logits = logits / s
    logits = torch.tanh(logits)
    logits = logits * s
    return logits
`;
  const found = engine.analyzeText('jsd.py', code).findings.filter((x) => x.rule === 'fusion/elementwise-chain');
  assert.equal(found.length, 2);
  assert.match(found.find((f) => f.function === 'jsd_grad_chunk')?.message ?? '', /: a kernel and a pass over the tensor each$/);
  // (a product's result is not counted whole by its operands: `pooled @ w` of a reduced vector is small)
  assert.match(found.find((f) => f.function === 'float_first')?.message ?? '', /: a kernel each, 3 over the whole tensor$/);
});

test("a column walk through a matrix class's accessor names the row it strides, not the analysis' own symbol", async () => {
  const engine = await Engine.create();
  const path = join(ROOT, 'server/src/rules/tiling/cpu-loop-nest/fixtures/matrix_class_accessors.cpp');
  const f = engine.analyzeText(path, readFileSync(path, 'utf8')).findings.find((x) => x.rule === 'memory/uncoalesced-access');
  assert.match(f?.message ?? '', /strides a row of `B` per step/);
  assert.doesNotMatch(f?.message ?? '', /_pitch\(/);
});

test('a nest over arrays whose parameters declare their extents says their size, not that it is unknown', async () => {
  const engine = await Engine.create();
  const path = join(ROOT, 'server/src/rules/tiling/cpu-loop-nest/fixtures/declared_extent_fits.c');
  const f = engine.analyzeText(path, readFileSync(path, 'utf8')).findings.find((x) => x.rule === 'tiling/cpu-loop-nest');
  assert.match(f?.assumptions[0] ?? '', /sweep a 2-D block of `W`, an array declared 30\.5 MiB; assumes the block does not fit in a 256 KiB L2/);
});

test("a template kernel's conflict names the most ways another launch gives the same access, not another access of the array", async () => {
  const engine = await Engine.create();
  const code = `// WRONG repro (message): LeetCUDA split-KV epilogue. Two shared accesses:
//  write O_red[warp][r0][c0], r0 = i*16 + lane/4, c0 = j*8 + 2*(lane%4):
//        8-way for EVERY kHeadDim (4 banks x 8 rows; never more)
//  read  O_red[w][row][col + c], row = tid/4, col = (tid%4)*(kHeadDim/4):
//        8-way at 32, 16-way at 64, 32-way at 128 (the tool reports this read
//        correctly when only the 64 or the 128 launch is kept)
// With 32/64/128 all launched the tool prints one finding, on the WRITE:
// "8-way ... (32-way under another launch's template values)" - the 32-way
// belongs to the read, which then gets no finding of its own.
#include <cuda_fp16.h>
#define LDST128BITS(v) (reinterpret_cast<float4*>(&(v))[0])
template<const int kHeadDim>
__global__ void epilogue_kernel(const float* R, half* O) {
  constexpr int kNumThreads = 128, Br = 32;
  __shared__ float red_sum[4][Br];
  __shared__ float O_red[4][Br][kHeadDim];
  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32;
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < kHeadDim / 8; ++j) {
      int r0 = i * 16 + lane / 4, c0 = j * 8 + (lane % 4) * 2;
      O_red[warp][r0][c0]         = R[j * 128 + tid];
      O_red[warp][r0][c0 + 1]     = R[j * 128 + tid + 1];
      O_red[warp][r0 + 8][c0]     = R[j * 128 + tid + 2];
      O_red[warp][r0 + 8][c0 + 1] = R[j * 128 + tid + 3];
    }
  if (lane < Br) red_sum[warp][lane] = R[tid];
  __syncthreads();
  {
    const int row = tid / (kNumThreads / Br);
    const int col = (tid % (kNumThreads / Br)) * (kHeadDim / (kNumThreads / Br));
    const float inv_l = __frcp_rn(red_sum[0][row] + red_sum[1][row] + red_sum[2][row] + red_sum[3][row]);
    half out[kHeadDim / (kNumThreads / Br)];
    #pragma unroll
    for (int c = 0; c < kHeadDim / (kNumThreads / Br); ++c) {
      float acc = 0.0f;
      #pragma unroll
      for (int w = 0; w < 4; ++w) acc += O_red[w][row][col + c];
      out[c] = __float2half_rn(acc * inv_l);
    }
    #pragma unroll
    for (int c = 0; c < kHeadDim / (kNumThreads / Br); c += 8)
      LDST128BITS(O[(blockIdx.x * Br + row) * kHeadDim + col + c]) = LDST128BITS(out[c]);
  }
}
void launch(const float* r, half* o) {
  epilogue_kernel<32><<<64, 128>>>(r, o);
  epilogue_kernel<64><<<64, 128>>>(r, o);
  epilogue_kernel<128><<<64, 128>>>(r, o);
}
`;
  const found = engine.analyzeText('split_kv.cu', code).findings.filter((x) => x.rule === 'memory/shared-bank-conflict');
  assert.ok(found.length > 0);
  for (const f of found) assert.doesNotMatch(f.message, /32-way under another launch/);
});

test('an intermediate the next replay or loop step reads is still written: the fused steps save its read back, not its write', async () => {
  const engine = await Engine.create();
  const path = join(ROOT, 'server/src/rules/fusion/elementwise-chain/fixtures/steps_read_next_time.cu');
  const chains = engine.analyzeText(path, readFileSync(path, 'utf8')).findings.filter((x) => x.rule === 'fusion/elementwise-chain');
  const said = (fn: string) => chains.filter((f) => f.function === fn).map((f) => f.message);
  assert.equal(said('replayed').length, 2);
  for (const m of [...said('replayed'), ...said('looped')]) assert.match(m, /is read later: still written/, m);
  // (run once, `y` is still the caller's buffer: written too, as the fix keeps it)
  assert.deepEqual(said('once').map((m) => /extra read and launch \(`y` is the caller's: still written\)/.test(m)), [true]);
});

test('an #if-chosen element type is counted at the build without -D flags (floatX: bf16, 2 bytes), and said so', async () => {
  const engine = await Engine.create();
  const path = join(ROOT, 'server/src/rules/memory/uncoalesced-access/fixtures/default_build_type.cu');
  const [f] = engine.analyzeText(path, readFileSync(path, 'utf8')).findings.filter((x) => x.rule === 'memory/uncoalesced-access');
  assert.match(f.message, /768 elements \(1536 bytes\) apart: 32 sectors per warp instead of 2$/);
  assert.ok(f.assumptions.some((a) => /counts `floatX` as `__nv_bfloat16`, the build without -D flags/.test(a)), f.assumptions.join('\n'));
});

test('a declared array of an #if-open element type (PolyBench DATA_TYPE: int, float or double) is sized as at least the narrowest', async () => {
  const engine = await Engine.create();
  const code = `# if !defined(MINI_DATASET) && !defined(SMALL_DATASET) && !defined(MEDIUM_DATASET) && !defined(LARGE_DATASET) && !defined(EXTRALARGE_DATASET)
#  define LARGE_DATASET
# endif
# ifdef LARGE_DATASET
#  define N 2800
# endif
# ifdef EXTRALARGE_DATASET
#  define N 5600
# endif
# define _PB_N POLYBENCH_LOOP_BOUND(N,n)
# define POLYBENCH_LOOP_BOUND(x,y) y

/* Default data type */
# if !defined(DATA_TYPE_IS_INT) && !defined(DATA_TYPE_IS_FLOAT) && !defined(DATA_TYPE_IS_DOUBLE)
#  define DATA_TYPE_IS_INT
# endif

#ifdef DATA_TYPE_IS_INT
#  define DATA_TYPE int
#  define DATA_PRINTF_MODIFIER "%d "
#endif

#ifdef DATA_TYPE_IS_FLOAT
#  define DATA_TYPE float
#  define DATA_PRINTF_MODIFIER "%0.2f "
#endif

#ifdef DATA_TYPE_IS_DOUBLE
#  define DATA_TYPE double
#  define DATA_PRINTF_MODIFIER "%0.2lf "
#endif

#define POLYBENCH_2D(var, dim1, dim2, ddim1, ddim2) var[dim1][dim2]

static
void kernel_floyd_warshall(int n,
			   DATA_TYPE POLYBENCH_2D(path,N,N,n,n))
{
  int i, j, k;

#pragma scop
  for (k = 0; k < _PB_N; k++)
    {
      for(i = 0; i < _PB_N; i++)
	for (j = 0; j < _PB_N; j++)
	  path[i][j] = path[i][j] < path[i][k] + path[k][j] ?
	    path[i][j] : path[i][k] + path[k][j];
    }
#pragma endscop
}
`;
  const [f] = engine.analyzeText('floyd.c', code).findings.filter((x) => x.rule === 'tiling/cpu-loop-nest');
  assert.ok(f.assumptions.some((a) => /an array declared at least 29\.9 MiB;/.test(a)), f.assumptions.join('\n'));
});

test('a template type set several hosts up (runTest<float> -> benchmarkReduce<T> -> reduce<T> -> reduce1<T>) sizes the shared words', async () => {
  const engine = await Engine.create();
  const path = join(ROOT, 'server/src/rules/memory/shared-bank-conflict/fixtures/template_host_chain.cu');
  const [f] = engine.analyzeText(path, readFileSync(path, 'utf8')).findings.filter((x) => x.rule === 'memory/shared-bank-conflict');
  assert.match(f.message, /2- to 8-way bank conflict as `s` changes \(8-way at `s` = 4\)/);
});

test('a GEMM epilogue message quotes the pass as written (F.gelu(h)) and counts an always-run op after a conditional bias', async () => {
  const engine = await Engine.create();
  const code = `import torch
import torch.nn.functional as F


def mlp_up_linear(x, w, b):
    h = F.linear(x, w, b)
    return F.gelu(h)


def linear_maybe_bias(x, w, bias):
    y = torch.matmul(x, w)
    if bias is not None:
        y = y + bias
    y = F.gelu(y)
    return y
`;
  const found = engine.analyzeText('mlp.py', code).findings.filter((x) => x.rule === 'fusion/gemm-epilogue');
  const said = (fn: string) => found.find((f) => f.function === fn)?.message ?? '';
  assert.match(said('mlp_up_linear'), /^`F\.gelu\(h\)`: a separate pass over the output of the cuBLAS GEMM `F\.linear`/);
  assert.match(said('linear_maybe_bias'), /^`y \+ bias` and 1 more elementwise op: separate passes/);
});

test('a GEMM epilogue pass into a new buffer, of an output the caller hands in, saves its read: the message says it is still written', async () => {
  const engine = await Engine.create();
  const code = `#include <cublas_v2.h>
#include <cuda_runtime.h>
__global__ void bias_relu_out(float* act, const float* pre, const float* bias, int M, int N) {
  int idx = blockIdx.x * blockDim.x + threadIdx.x;
  if (idx < M * N) act[idx] = fmaxf(pre[idx] + bias[idx % N], 0.f);
}
__global__ void bias_relu_inplace(float* y, const float* bias, int M, int N) {
  int idx = blockIdx.x * blockDim.x + threadIdx.x;
  if (idx < M * N) y[idx] = fmaxf(y[idx] + bias[idx % N], 0.f);
}
void linear_relu_keep(cublasHandle_t h, float* act, float* pre, const float* inp, const float* w,
                      const float* bias, int M, int N, int K) {
  const float one = 1.f, zero = 0.f;
  cublasSgemm(h, CUBLAS_OP_T, CUBLAS_OP_N, N, M, K, &one, w, K, inp, K, &zero, pre, N);
  bias_relu_out<<<(M * N + 255) / 256, 256>>>(act, pre, bias, M, N);
}
void linear_relu_inplace(cublasHandle_t h, float* y, const float* inp, const float* w,
                         const float* bias, int M, int N, int K) {
  const float one = 1.f, zero = 0.f;
  cublasSgemm(h, CUBLAS_OP_T, CUBLAS_OP_N, N, M, K, &one, w, K, inp, K, &zero, y, N);
  bias_relu_inplace<<<(M * N + 255) / 256, 256>>>(y, bias, M, N);
}
`;
  const said = engine.analyzeText('linear.cu', code).findings.filter((x) => x.rule === 'fusion/gemm-epilogue').map((f) => f.message);
  assert.deepEqual(said.map((m) => /an extra read \(`pre` is the caller's: still written\)$/.test(m)), [true, false]);
  assert.match(said[1], /over `y` from the GEMM `cublasSgemm`: an extra write and read$/);
});

test('a loop that leaves on a flag named for its last step decides nothing from the copy: the plain per-step wording', async () => {
  const engine = await Engine.create();
  const code = `#include <cstdio>
#include <cuda_runtime.h>

__global__ void logits_kernel(float* logits, const int* inp, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) logits[i] = (float)inp[i % 7];
}
__global__ void loss_kernel(float* losses, const float* logits, const int* targets, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) losses[i] = -logf(logits[i] + (float)targets[i]);
}
struct Model { float* losses; float* logits; int* inputs; int* targets; float* cpu_losses; float mean_loss; int n; };

void forward(Model* m, const int* targets) {
    logits_kernel<<<(m->n + 255) / 256, 256>>>(m->logits, m->inputs, m->n);
    if (targets != NULL) {
        loss_kernel<<<(m->n + 255) / 256, 256>>>(m->losses, m->logits, m->targets, m->n);
        cudaMemcpy(m->cpu_losses, m->losses, m->n * sizeof(float), cudaMemcpyDeviceToHost);
        float mean_loss = 0.0f;
        for (int i = 0; i < m->n; i++) { mean_loss += m->cpu_losses[i]; }
        m->mean_loss = mean_loss / m->n;
    }
}

void train(Model* m, const int* targets, float* cpu_logits, int train_steps, int sample_every, int genT) {
    for (int step = 0; step <= train_steps; step++) {
        int last_step = step == train_steps;
        if (step > 0 && step % sample_every == 0) {
            for (int t = 1; t < genT; t++) {
                forward(m, NULL);
                cudaMemcpy(cpu_logits, m->logits, m->n * sizeof(float), cudaMemcpyDeviceToHost);
                int next = 0;
                for (int v = 1; v < m->n; v++) if (cpu_logits[v] > cpu_logits[next]) next = v;
                printf("%d ", next);
            }
        }
        if (last_step) { break; }
        forward(m, targets);
        printf("step %d: train loss %f\\n", step, m->mean_loss);
    }
}
`;
  const [f] = engine.analyzeText('train.cu', code).findings.filter((x) => x.rule === 'overlap/sync-transfer');
  assert.match(f.message, /blocks the host each iteration \(`forward` is called in a loop of `train`\)/);
  assert.doesNotMatch(f.message, /decides its next step on the host/);
});

test('a row walk in two loops spreading the threads names the lanes\' own loop (`offset` from threadIdx.x), not the one over threadIdx.y', async () => {
  const engine = await Engine.create();
  const path = join(ROOT, 'server/src/rules/fusion/multi-pass-reduction/fixtures/channel_stats_two_extents.cu');
  const findings = engine.analyzeText(path, readFileSync(path, 'utf8')).findings.filter((x) => x.rule === 'vectorization/vector-memory-access' && x.function === 'channel_welford');
  assert.equal(findings.length, 1);
  assert.match(findings[0].message, /per step of the `offset` loop/);
});

test('an fp16 GEMM loop of packed `__hfma2` is said to do two FMAs an instruction, not one at a time', async () => {
  const engine = await Engine.create();
  const code = `#include <cuda_fp16.h>
#define HALF2(value) (reinterpret_cast<half2*>(&(value))[0])
__global__ void hgemm_pack(half* a, half* b, half* c, int M, int N, int K) {
  __shared__ half s_a[128][8];
  __shared__ half s_b[8][128];
  int tx = threadIdx.x, ty = threadIdx.y;
  half r_c[8][8];
  for (int bk = 0; bk < K / 8; ++bk) {
    s_a[ty * 8 + tx / 2][tx % 2 * 4] = a[(blockIdx.y * 128 + ty * 8 + tx / 2) * K + bk * 8 + tx % 2 * 4];
    s_b[ty][tx * 8] = b[(bk * 8 + ty) * N + blockIdx.x * 128 + tx * 8];
    __syncthreads();
    for (int k = 0; k < 8; k++)
      for (int m = 0; m < 8; m++)
        for (int n = 0; n < 8; n += 2)
          HALF2(r_c[m][n]) = __hfma2(__half2half2(s_a[ty * 8 + m][k]), HALF2(s_b[k][tx * 8 + n]), HALF2(r_c[m][n]));
    __syncthreads();
  }
  for (int m = 0; m < 8; ++m)
    for (int n = 0; n < 8; ++n) c[(blockIdx.y * 128 + ty * 8 + m) * N + blockIdx.x * 128 + tx * 8 + n] = r_c[m][n];
}
`;
  const [f] = engine.analyzeText('hgemm.cu', code).findings.filter((x) => x.rule === 'precision/tensor-core-eligible');
  assert.ok(f, 'the fp16 CUDA-core GEMM is reported');
  assert.match(f.message, /two FMAs an instruction/);
  assert.doesNotMatch(f.message, /one FMA at a time/);
});

test('kmeans with constant-memory centres and a cast delta is said to decide its next step on the host', async () => {
  const engine = await Engine.create();
  const path = join(ROOT, 'server/src/rules/overlap/sync-transfer/fixtures/kmeans_constant_centres.cu');
  const [f] = engine.analyzeText(path, readFileSync(path, 'utf8')).findings.filter((x) => x.rule === 'overlap/sync-transfer');
  assert.ok(f);
  assert.match(f.message, /decides its next step on the host/);
});

test('a decode loop of fixed steps that hands the sampled token on (`token = next;`, or `tokens[pos + 1] = sample(...)`) is said to decide its next step on the host', async () => {
  const engine = await Engine.create();
  for (const name of ['decode_fixed_steps.cu', 'decode_token_array.cu']) {
    const path = join(ROOT, 'server/src/rules/overlap/sync-transfer/fixtures', name);
    const [f] = engine.analyzeText(path, readFileSync(path, 'utf8')).findings.filter((x) => x.rule === 'overlap/sync-transfer');
    assert.ok(f, name);
    assert.match(f.message, /decides its next step on the host/, name);
  }
});

test('a decode loop copying the logits back in its own body is said to decide its next step on the host', async () => {
  const engine = await Engine.create();
  const path = join(ROOT, 'server/src/rules/overlap/sync-transfer/fixtures/decode_inline_copy.cu');
  const [f] = engine.analyzeText(path, readFileSync(path, 'utf8')).findings.filter((x) => x.rule === 'overlap/sync-transfer');
  assert.ok(f);
  assert.match(f.message, /brings `logits_cpu` back every step of `generate`'s loop, which decides its next step on the host/);
  assert.match(f.detail ?? '', /`generate` copies `logits_cpu` back in a loop/);
});

test('a loop that swaps its grids and copies back only to print a residual gets the plain per-step wording', async () => {
  const engine = await Engine.create();
  const path = join(ROOT, 'server/src/rules/overlap/sync-transfer/fixtures/logged_residual_swap.cu');
  const [f] = engine.analyzeText(path, readFileSync(path, 'utf8')).findings.filter((x) => x.rule === 'overlap/sync-transfer');
  assert.ok(f);
  assert.match(f.message, /blocks the host each iteration/);
  assert.doesNotMatch(f.message, /decides its next step on the host/);
});
