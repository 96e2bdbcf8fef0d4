// What nothing in the project reaches (core/reachability.ts), through the CLI's project pass:
// a kernel nobody launches, or launched only by a wrapper nobody calls, is not advised on and
// is listed as unreached; a file nothing uses yet (new code), public Python functions, names
// glued by `##` and launches under `#if 0` or in comments are told apart.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Engine } from '../server/src/core/engine';
import { DEFAULT_CONFIG } from '../server/src/core/config';
import { runCheck } from '../server/src/cli';
import { UNREACHED } from '../server/src/core/reachability';

let engine: Engine;
before(async () => {
  engine = await Engine.create();
});

/** Writes the files under a fresh folder and checks it as `kernel-advisor check DIR` does. */
function check(files: Record<string, string>) {
  const root = mkdtempSync(join(tmpdir(), 'ka-reach-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, name)), { recursive: true });
    writeFileSync(join(root, name), text);
  }
  const fresh = new Engine(engine.parsers, engine.knowledge); // a project index of its own
  fresh.setWorkspace([root]); // as the CLI does for the folder it checks
  const report = runCheck(fresh, [root], DEFAULT_CONFIG);
  const where = (fn: string) => report.findings.filter((f) => f.function === fn).map((f) => f.rule);
  return { report, where, unreached: unreachedIn(report) };
}

const unreachedIn = (report: ReturnType<typeof runCheck>) => report.skipped.filter((s) => s.reason === UNREACHED).map((s) => s.function).sort();

const SCALE = (name: string) => `__global__ void ${name}(float *out, const float *x, float s, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) out[i] = x[i] * s;
}
`;

const KERNELS = `${SCALE('scale_kernel')}
${SCALE('scale_old_kernel')}
${SCALE('scale_unlaunched_kernel')}
// scale_unlaunched_kernel<<<blocks, 256>>>(out, x, s, n);  (a launch in a comment)
void scale_gpu(float *out, const float *x, float s, int n) {
#ifdef DEBUG
  check_sizes(n);
#endif
  scale_kernel<<<(n + 255) / 256, 256>>>(out, x, s, n);
}
void scale_old_gpu(float *out, const float *x, float s, int n) {
  scale_old_kernel<<<(n + 255) / 256, 256>>>(out, x, s, n);
}
#if 0
void scale_unlaunched_gpu(float *out, const float *x, float s, int n) {
  scale_unlaunched_kernel<<<(n + 255) / 256, 256>>>(out, x, s, n);
}
#endif
`;

const HEADER = `void scale_gpu(float *out, const float *x, float s, int n);
void scale_old_gpu(float *out, const float *x, float s, int n);
`;

// a struct field named like a wrapper (`l.scale_old_gpu`) is not a call of it; a method called through a member is
const LAYER = `#include "blas.h"
struct layer { float *scale_old_gpu; };
void forward_layer(struct layer l, float *out, const float *x, int n) {
  scale_gpu(out, x, 0.5f, n);
  l.scale_old_gpu = 0;
}
`;

const MAIN = `void forward_layer(struct layer l, float *out, const float *x, int n);
int main(int argc, char **argv) { struct layer l; forward_layer(l, 0, 0, 0); return 0; }
`;

test('a kernel nobody launches, or only a wrapper nobody calls, is not advised on and is listed as skipped, not reached', () => {
  const { where, unreached } = check({ 'src/blas_kernels.cu': KERNELS, 'src/blas.h': HEADER, 'src/layer.c': LAYER, 'examples/main.c': MAIN });
  assert.ok(where('scale_kernel').includes('vectorization/vector-memory-access'), 'the kernel the project launches is advised on');
  assert.deepEqual(where('scale_old_kernel'), [], 'launched only by scale_old_gpu, which is declared in a header but never called');
  assert.deepEqual(where('scale_unlaunched_kernel'), [], 'its launches are in a comment and under #if 0');
  assert.deepEqual(unreached, ['scale_old_kernel', 'scale_unlaunched_kernel'], 'listed where a finding was left out (scale_old_gpu has none)');
});

test('a library (no main anywhere): the launchers its headers declare are its API, called from outside, and their kernels are advised on', () => {
  const { where, unreached } = check({ 'src/blas_kernels.cu': KERNELS, 'src/blas.h': HEADER, 'src/layer.c': LAYER });
  assert.ok(where('scale_old_kernel').includes('vectorization/vector-memory-access'), 'scale_old_gpu is declared in blas.h: a caller outside the folder may use it');
  assert.deepEqual(unreached, ['scale_unlaunched_kernel'], 'a launch under #if 0 or in a comment still reaches nothing');
});

test('a benchmark\'s or test\'s main exercises the library beside it: the launchers its headers declare stay its API', () => {
  const bench = `${SCALE('bench_scale')}
int main() { bench_scale<<<1024, 256>>>(0, 0, 2.0f, 1 << 18); return 0; }
`;
  for (const at of ['bench/bench_scale.cu', 'benchmarks/scale.cu', 'src/scale_bench.cu', 'tests/test_scale.cu']) {
    const { where, unreached } = check({ 'src/blas_kernels.cu': KERNELS, 'src/blas.h': HEADER, 'src/layer.c': LAYER, [at]: bench });
    assert.ok(where('scale_old_kernel').includes('vectorization/vector-memory-access'), `a main in ${at} makes no program of the library`);
    assert.deepEqual(unreached, ['scale_unlaunched_kernel'], at);
  }
});

test('lessons that each define a kernel of the same name: one lesson\'s launch runs its own, not the other\'s', () => {
  const lesson = (launched: boolean) => `${SCALE('scale_naive')}
int main() {
  float *out = 0, *x = 0;
  const int n = 1 << 24;
  ${launched ? 'scale_naive<<<(n + 255) / 256, 256>>>(out, x, 2.0f, n);' : 'cudaMemset(out, 0, n * sizeof(float));'}
  return 0;
}
`;
  const { report, unreached } = check({ 'lesson1/main.cu': lesson(true), 'lesson2/main.cu': lesson(false) });
  const advised = report.findings.filter((f) => f.function === 'scale_naive').map((f) => f.file.replace(/^.*ka-reach-[^/]+\//, ''));
  assert.deepEqual([...new Set(advised)], ['lesson1/main.cu'], 'only the lesson that launches its kernel is advised on');
  assert.deepEqual(unreached, ['scale_naive'], 'the other lesson\'s kernel is listed as not reached');
});

test('C++: a method the project calls through an object (`m.scale(...)`, `p->scale_rows(...)`) is reached, and so are the kernels it launches', () => {
  const kernels = `${SCALE('scale_kernel')}
${SCALE('scale_rows_kernel')}
struct Scaler {
  void scale(float *out, const float *x, float s, int n) {
    scale_kernel<<<(n + 255) / 256, 256>>>(out, x, s, n);
  }
  void scale_rows(float *out, const float *x, float s, int n) {
    scale_rows_kernel<<<(n + 255) / 256, 256>>>(out, x, s, n);
  }
};
void scale_gpu(float *out, const float *x, float s, int n) {
  Scaler().scale(out, x, s, n);
}
`;
  const user = `struct Scaler;
void forward(Scaler *p, float *out, const float *x, int n) {
  scale_gpu(out, x, 0.5f, n);
  p->scale_rows(out, x, 0.5f, n);
}
`;
  const { where, unreached } = check({ 'src/scaler.cu': kernels, 'src/model.cpp': user });
  assert.ok(where('scale_kernel').includes('vectorization/vector-memory-access'));
  assert.ok(where('scale_rows_kernel').includes('vectorization/vector-memory-access'));
  assert.deepEqual(unreached, []);
});

test('a file nothing in the project uses yet is new code: all of it is checked', () => {
  const { where, unreached } = check({ 'src/blas_kernels.cu': KERNELS, 'src/other.c': 'int other(int a) { return a + 1; }\n' });
  assert.ok(where('scale_old_kernel').includes('vectorization/vector-memory-access'));
  assert.ok(where('scale_unlaunched_kernel').includes('vectorization/vector-memory-access'));
  assert.deepEqual(unreached, []);
});

test('a library\'s qualified name (`at::Tensor`, `wmma::row_major`) is no use of a project function of that name: the file stays new code', () => {
  const { where, unreached } = check({
    'index.cu': `__device__ int at(int r, int c, int ld) { return r * ld + c; }\n__device__ int row_major(int r, int c, int ld) { return r * ld + c; }\n${SCALE('scale_kernel')}`,
    'binding.cpp': 'void run(at::Tensor x) { nvcuda::wmma::fragment<nvcuda::wmma::matrix_a, 16, 16, 16, half, nvcuda::wmma::row_major> f; }\n',
  });
  assert.deepEqual(unreached, []);
  assert.ok(where('scale_kernel').length > 0);
});

test('a variable another file declares (`float accum = 0.0f; accum += y[i];`) is no use of a host function `accum()`: the file stays new code', () => {
  const lib = `${SCALE('scale_kernel')}void accum(float *out, const float *x, int n) {
  scale_kernel<<<(n + 255) / 256, 256>>>(out, out, 2.0f, n);
}
int generate(float *out, const float *x, int n) {
  for (int s = 0; s < 10; s++) {
    scale_kernel<<<(n + 255) / 256, 256>>>(out, x, 0.5f, n);
    accum(out, x, n);
  }
  return 0;
}
`;
  const { where, unreached } = check({
    'lib.cu': lib,
    'other.cpp': 'float row_sum(const float *y, int n) {\n  float accum = 0.0f;\n  for (int i = 0; i < n; i++) accum += y[i];\n  return accum;\n}\n',
  });
  assert.deepEqual(unreached, []);
  assert.deepEqual(where('generate'), ['fusion/elementwise-chain']);
  // (a call of the host function in a file that also has such a variable still counts: the file uses the library)
  const calling = check({
    'lib.cu': lib,
    'other.cpp': 'void accum(float *out, const float *x, int n);\nvoid run(float *out, const float *x, int n) {\n  float total = 0.0f;\n  accum(out, x, n);\n}\nfloat row_sum(const float *y, int n) {\n  float accum = 0.0f;\n  for (int i = 0; i < n; i++) accum += y[i];\n  return accum;\n}\n',
  });
  assert.deepEqual(calling.unreached, ['generate']);
});

test('a variable built with a template type (`std::vector<double> sum(n);`) is no call of another file\'s `sum()`: that file stays new code', () => {
  const lib = 'double sum(const double *a, int n) {\n  double s = 0.0;\n  for (int i = 0; i < n; i++) s += a[i];\n  return s;\n}\ndouble dot(const double *a, const double *b, int n) {\n  double s = 0.0;\n  for (int i = 0; i < n; i++) s += a[i] * b[i];\n  return s;\n}\n';
  const app = '#include <vector>\nint main() {\n  std::vector<double> sum(16);\n  std::vector<std::vector<float>> grid(4, std::vector<float>(4));\n  sum[0] = 1.0;\n  return (int)sum[0];\n}\n';
  const { where, unreached } = check({ 'vec_ops.cpp': lib, 'app.cpp': app });
  assert.deepEqual(unreached, []);
  assert.deepEqual(where('dot'), ['vectorization/cpu-simd']);
});

test('a file checked alone has no project: nothing is judged unreached', () => {
  const root = mkdtempSync(join(tmpdir(), 'ka-reach-'));
  writeFileSync(join(root, 'k.cu'), KERNELS);
  const report = runCheck(new Engine(engine.parsers, engine.knowledge), [join(root, 'k.cu')], DEFAULT_CONFIG);
  assert.ok(report.findings.some((f) => f.function === 'scale_unlaunched_kernel'));
  assert.deepEqual(unreachedIn(report), []);
});

test('a name glued by ## in a macro may be launched there: it counts as reached', () => {
  const pasted = `${SCALE('scale_f32_kernel')}
#define BIND(T) void scale_##T(float *o, const float *x, float s, int n) { scale_##T##_kernel<<<(n + 255) / 256, 256>>>(o, x, s, n); }
BIND(f32)
void scale_gpu(float *out, const float *x, float s, int n) { scale_f32(out, x, s, n); }
`;
  const { where, unreached } = check({ 'src/k.cu': pasted, 'src/layer.c': LAYER });
  assert.ok(where('scale_f32_kernel').includes('vectorization/vector-memory-access'));
  assert.deepEqual(unreached, []);
});

test('Triton: a kernel whose launch is commented out is unreached; a public host function is the module\'s API', () => {
  // three sweeps over each row (max, sum of exponentials, normalize): a finding with or without a launch
  const softmax = (name: string) => `@triton.jit
def ${name}(out_ptr, in_ptr, row_stride, n_cols, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    m = tl.full([BLOCK], -float("inf"), tl.float32)
    for start in range(0, n_cols, BLOCK):
        cols = start + tl.arange(0, BLOCK)
        m = tl.maximum(m, tl.load(in_ptr + row * row_stride + cols, mask=cols < n_cols, other=-float("inf")))
    row_max = tl.max(m, axis=0)
    s = tl.zeros([BLOCK], tl.float32)
    for start in range(0, n_cols, BLOCK):
        cols = start + tl.arange(0, BLOCK)
        s += tl.exp(tl.load(in_ptr + row * row_stride + cols, mask=cols < n_cols, other=-float("inf")) - row_max)
    denom = tl.sum(s, axis=0)
    for start in range(0, n_cols, BLOCK):
        cols = start + tl.arange(0, BLOCK)
        x = tl.load(in_ptr + row * row_stride + cols, mask=cols < n_cols, other=-float("inf"))
        tl.store(out_ptr + row * row_stride + cols, tl.exp(x - row_max) / denom, mask=cols < n_cols)
`;
  const kernels = `import triton
import triton.language as tl

${softmax('_softmax_kernel')}
${softmax('_softmax_old_kernel')}
${softmax('_softmax_api_kernel')}
def softmax(x, out):
    _softmax_kernel[(x.shape[0],)](out, x, x.stride(0), x.shape[1], BLOCK=1024)
    # _softmax_old_kernel[(x.shape[0],)](out, x, x.stride(0), x.shape[1], BLOCK=1024)
    return out

def softmax_api(x, out):
    _softmax_api_kernel[(x.shape[0],)](out, x, x.stride(0), x.shape[1], BLOCK=1024)
    return out
`;
  const user = 'from kernels import softmax\n\ndef run(x, out):\n    return softmax(x, out)\n';
  const { where, unreached } = check({ 'pkg/kernels.py': kernels, 'pkg/model.py': user });
  assert.ok(where('_softmax_kernel').includes('fusion/multi-pass-reduction'));
  assert.ok(where('_softmax_api_kernel').includes('fusion/multi-pass-reduction'), 'softmax_api is public: callers may live outside the project');
  assert.deepEqual(where('_softmax_old_kernel'), []);
  assert.deepEqual(unreached, ['_softmax_old_kernel']);
});

for (const spacing of [' ', '  ', '\t']) test(`a launcher explicitly instantiated for other files is an entry point, its kernel reached (template${JSON.stringify(spacing)}<)`, () => {
  // the header's inline helper calls into the .cu (so the file is in use); the template launcher is only
  // instantiated (`template void run_scale(float*, ...);`), for callers in other translation units;
  // a template's own head (`template  <typename T>`, however spaced) is no instantiation
  const { unreached, where } = check({
    'scale.h': `#pragma once
void zero_flags(int *flags);
inline void reset(int *flags) { zero_flags(flags); }
template <typename T> void run_scale(T *out, const T *x, T s, int n);
`,
    'scale.cu': `#include "scale.h"
void zero_flags(int *flags) { cudaMemset(flags, 0, 4); }
template${spacing}<typename T>
__global__ void scale_t(T *out, const T *x, T s, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) out[i] = x[i] * s;
}
template${spacing}<typename T>
void run_scale(T *out, const T *x, T s, int n) { scale_t<<<(n + 255) / 256, 256>>>(out, x, s, n); }
template void run_scale(float *out, const float *x, float s, int n);
template${spacing}<typename T>
__global__ void never_launched(T *out, const T *x, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) out[i] = x[i];
}
`,
  });
  assert.deepEqual(unreached, ['never_launched']);
  assert.ok(where('scale_t').includes('vectorization/vector-memory-access'), 'the instantiated launcher\'s kernel is checked');
});

test('a file used only for a helper beside its GPU code (a timer another file calls): the launchers nothing calls yet are new code, advised on; a CPU function nothing calls is still not reached', () => {
  const kernels = `double gettime() { return 0.0; }
${SCALE('scale_kernel')}
void scale_gpu(float *out, const float *x, float s, int n) {
  scale_kernel<<<(n + 255) / 256, 256>>>(out, x, s, n);
}
void old_matmul(const float *A, const float *B, float *C, int n) {
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      float s = 0.f;
      for (int k = 0; k < n; k++) s += A[i * n + k] * B[k * n + j];
      C[i * n + j] = s;
    }
}
`;
  const user = `double gettime();
void report(double t0) { printf("%f\\n", gettime() - t0); }
`;
  const { where, unreached } = check({ 'src/train_cuda.cu': kernels, 'src/report.c': user });
  assert.ok(where('scale_kernel').includes('vectorization/vector-memory-access'));
  assert.deepEqual(where('old_matmul'), []);
  assert.deepEqual(unreached, ['old_matmul']);
});

test('C linkage (`extern "C"`) in a file that calls C code nothing checked defines: exported to that code, reached, and what it launches too', () => {
  const driver = `extern "C" int setup(int argc, char **argv);
int main(int argc, char **argv) { return setup(argc, argv); }
${SCALE('scale_kernel')}
extern "C" void scale_step(float *out, const float *x, float s, int n) {
  scale_kernel<<<(n + 255) / 256, 256>>>(out, x, s, n);
}
`;
  const { where, unreached } = check({ 'src/driver.cu': driver, 'src/other.cu': SCALE('other_kernel') });
  assert.ok(where('scale_kernel').includes('vectorization/vector-memory-access'), 'the exported launcher\'s kernel is checked');
  assert.deepEqual(unreached.filter((f) => f.startsWith('scale')), []);
});

test('C linkage in a project whose C callers are all there: an `extern "C"` launcher nothing calls is still not reached', () => {
  const kernels = `${SCALE('scale_kernel')}
${SCALE('scale_old_kernel')}
extern "C" void scale_gpu(float *out, const float *x, float s, int n) {
  scale_kernel<<<(n + 255) / 256, 256>>>(out, x, s, n);
}
extern "C" void scale_old_gpu(float *out, const float *x, float s, int n) {
  scale_old_kernel<<<(n + 255) / 256, 256>>>(out, x, s, n);
}
`;
  const user = `void scale_gpu(float *out, const float *x, float s, int n);
int main(void) { scale_gpu(0, 0, 2.0f, 1 << 20); return 0; }
`;
  const { unreached } = check({ 'src/blas_kernels.cu': kernels, 'src/main.c': user });
  assert.deepEqual(unreached, ['scale_old_kernel']);
});

test('C linkage written as a block (`extern "C" { ... }`) exports what it holds; a library routine the file calls (`sscal_`) is no sign of outside callers', () => {
  const block = `extern "C" {
int setup(int argc, char **argv);
void scale_step(float *out, const float *x, float s, int n) {
  scale_kernel<<<(n + 255) / 256, 256>>>(out, x, s, n);
}
}
int main(int argc, char **argv) { return setup(argc, argv); }
`;
  const reached = check({ 'src/driver.cu': SCALE('scale_kernel') + block, 'src/other.cu': SCALE('other_kernel') });
  assert.ok(reached.where('scale_kernel').includes('vectorization/vector-memory-access'), 'the block\'s launcher is exported: its kernel is checked');
  const library = `${SCALE('scale_kernel')}
${SCALE('scale_old_kernel')}
extern "C" void sscal_(const int *n, const float *a, float *x, const int *incx);
extern "C" void scale_gpu(float *out, const float *x, float s, int n) { scale_kernel<<<(n + 255) / 256, 256>>>(out, x, s, n); }
extern "C" void scale_old_gpu(float *out, const float *x, float s, int n) { scale_old_kernel<<<(n + 255) / 256, 256>>>(out, x, s, n); }
void scale_cpu(float *x, float s, int n) { const int one = 1; sscal_(&n, &s, x, &one); }
int main(void) { scale_gpu(0, 0, 2.0f, 1 << 20); scale_cpu(0, 2.0f, 16); return 0; }
`;
  assert.deepEqual(check({ 'src/blas.cu': library, 'src/other.cu': SCALE('other_kernel') }).unreached, ['scale_old_kernel']);
});

test('a loop in a file that launches nothing, calling another file\'s helper that copies both ways, makes the helper\'s copies a wait per iteration', () => {
  const helper = `#include <cuda_runtime.h>
__global__ void assign_points(const float *pts, const float *centers, int *labels, int n, int k) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  int best = 0;
  float bd = 1e30f;
  for (int c = 0; c < k; ++c) { float d = pts[i] - centers[c]; if (d * d < bd) { bd = d * d; best = c; } }
  labels[i] = best;
}
extern "C" int assign_step(const float *d_pts, float *d_centers, int *d_labels, const float *centers, int *labels, int n, int k) {
  cudaMemcpy(d_centers, centers, k * sizeof(float), cudaMemcpyHostToDevice);
  assign_points<<<(n + 255) / 256, 256>>>(d_pts, d_centers, d_labels, n, k);
  cudaMemcpy(labels, d_labels, n * sizeof(int), cudaMemcpyDeviceToHost);
  return 0;
}
`;
  const driver = `int assign_step(const float *d_pts, float *d_centers, int *d_labels, const float *centers, int *labels, int n, int k);
void cluster(const float *d_pts, float *d_centers, int *d_labels, float *centers, int *labels, int n, int k, int iters) {
  for (int it = 0; it < iters; ++it) {
    assign_step(d_pts, d_centers, d_labels, centers, labels, n, k);
    for (int c = 0; c < k; ++c) centers[c] *= 0.5f;
  }
}
int main() { return 0; }
`;
  const { report } = check({ 'src/assign.cu': helper, 'src/driver.c': driver });
  const waits = report.findings.filter((f) => f.rule === 'overlap/sync-transfer');
  assert.deepEqual(waits.map((f) => `${f.function}:${f.range.start.line}`), ['assign_step:10']);
  assert.match(waits[0].message, /called in a loop of `cluster`/);
});

test('a CPU check compiled out by default (`#define CPU_DEBUG 0`, its call under `#if CPU_DEBUG`) is not reached; switched on, or a build option of another name, it is', () => {
  const program = (value: string) => `#ifndef CPU_DEBUG
#define CPU_DEBUG ${value}
#endif
void matMultiplyOnHost(const float *A, const float *B, float *C, int n) {
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      float s = 0;
      for (int k = 0; k < n; k++) s += A[i * n + k] * B[k * n + j];
      C[i * n + j] = s;
    }
}
int main() {
  float *A = 0, *B = 0, *C = 0;
#if CPU_DEBUG
  matMultiplyOnHost(A, B, C, 4096);
#endif
  return 0;
}
`;
  const other = 'int other(int a) { return a + 1; }\n';
  assert.deepEqual(check({ 'gemm.cu': program('0'), 'other.c': other }).unreached, ['matMultiplyOnHost']);
  assert.deepEqual(check({ 'gemm.cu': program('1'), 'other.c': other }).unreached, []);
  // (a build option of another name, `USE_CPU_BACKEND`, is one the build may turn on: its backend counts)
  assert.deepEqual(check({ 'gemm.cu': program('0').replace(/CPU_DEBUG/g, 'USE_CPU_BACKEND'), 'other.c': other }).unreached, []);
  // (a debug word inside another one, `USE_FASTEST_PATH`, `ACTIVATION_CHECKPOINTING`, names no debug switch)
  assert.deepEqual(check({ 'gemm.cu': program('0').replace(/CPU_DEBUG/g, 'USE_FASTEST_PATH'), 'other.c': other }).unreached, []);
});
