// Test code by where it lives (core/test-code.ts): in a test folder of the workspace only
// the kernels' findings count (the host code and CPU loops are the test's scaffolding), a
// Python test file reports nothing, and a workspace that itself sits in a folder called
// `test` is not all test code.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine, SCAFFOLDING } from '../server/src/core/engine';
import { DEFAULT_CONFIG } from '../server/src/core/config';
import { NOT_TUNED, isNotTunedPath, isPythonTestPath, isRuntimeKernelSource, isScalarFallbackPath, isTestPath, otherAcceleratorOf } from '../server/src/core/test-code';

const CPU_AND_KERNEL = `void make_matrix(double* a, const double* b, int n) {
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) a[i * n + j] = b[j * n + i] + 1.0;
}

__global__ void strided(const float* x, float* y, int n, int ld) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = x[i * ld];
}
`;

let engine: Engine;
let dir: string;
before(async () => {
  engine = await Engine.create();
  dir = mkdtempSync(join(tmpdir(), 'ka-tests-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('folders and file names that say test, below the workspace folder', () => {
  const root = '/work/repo';
  assert.equal(isTestPath('/work/repo/tests/gemm.cpp', [root]), true);
  assert.equal(isTestPath('/work/repo/blastest/src/dblat3.c', [root]), true);
  assert.equal(isTestPath('/work/repo/src/test_gemm.cpp', [root]), true);
  assert.equal(isTestPath('/work/repo/src/gemm_test.cc', [root]), true);
  assert.equal(isTestPath('/work/repo/src/rnnlm/sampler-test.cc', [root]), true, 'the hyphenated form (`*-test.cc`)');
  assert.equal(isTestPath('/work/repo/src/contest.cc', [root]), false);
  assert.equal(isTestPath('/work/repo/src/gemm.cpp', [root]), false);
  assert.equal(isTestPath('/work/repo/src/latest.cpp', [root]), false, 'a file name containing "test" is not a test');
  assert.equal(isTestPath('/home/me/test/repo/src/gemm.cpp', ['/home/me/test/repo']), false, 'only the path below the workspace folder counts');
  assert.equal(isTestPath('/elsewhere/tests/x.c', [root]), false, 'outside every workspace folder');
  assert.equal(isTestPath('/work/repo/tests/x.c', []), false);
  assert.equal(isTestPath('/work/repo/kernels/benchmarks/flash_bench.py', [root]), true, 'a Python benchmark script');
  assert.equal(isTestPath('/work/repo/bench/softmax.py', [root]), true);
  assert.equal(isTestPath('/work/repo/benchmarks/sgemm/src/base/sgemm.cc', [root]), false, 'a C benchmark suite is the program tuned');
  assert.equal(isTestPath('/work/repo/ops/benchmark_utils.cu', [root]), false);
});

test('in a tests folder the CPU loops are quiet and the kernel is still checked', () => {
  const src = join(dir, 'src');
  const tests = join(dir, 'tests');
  mkdirSync(src, { recursive: true });
  mkdirSync(tests, { recursive: true });
  engine.setWorkspace([dir]);
  const rules = (path: string) => {
    writeFileSync(path, CPU_AND_KERNEL);
    return engine.analyzeText(path, CPU_AND_KERNEL).findings.map((f) => `${f.function} ${f.rule}`).sort();
  };
  const inSource = rules(join(src, 'ops.cu'));
  const inTests = rules(join(tests, 'ops.cu'));
  assert.ok(inSource.some((f) => f.startsWith('make_matrix ')), inSource.join('\n'));
  assert.deepEqual(inTests.filter((f) => f.startsWith('make_matrix ')), []);
  assert.deepEqual(inTests.filter((f) => f.startsWith('strided ')), inSource.filter((f) => f.startsWith('strided ')));
  assert.ok(inTests.includes('strided memory/uncoalesced-access'), inTests.join('\n'));
  // the silence is said: the host function whose findings were left out is listed as skipped, once
  const skipped = engine.analyzeText(join(tests, 'ops.cu'), CPU_AND_KERNEL).skipped ?? [];
  assert.deepEqual(skipped.filter((s) => s.reason === SCAFFOLDING).map((s) => s.function), ['make_matrix']);
});

const TRITON_PAIRS = `import torch
import triton
import triton.language as tl


@triton.jit
def pair_sum(X, Z, n, BLOCK: tl.constexpr):
    off = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = off < n
    x = tl.load(X + 2 * off, mask=m)
    y = tl.load(X + 2 * off + 1, mask=m)
    tl.store(Z + off, x + y, mask=m)


def test_pair_sum():
    x = torch.randn(1 << 20, device="cuda")
    z = torch.empty(1 << 19, device="cuda")
    pair_sum[(512,)](x, z, 1 << 19, BLOCK=1024)
    torch.testing.assert_close(z, x[::2] + x[1::2])
`;

test('a Python test file (pytest) reports nothing: its Triton kernels exercise the code under test', () => {
  const root = '/work/repo';
  assert.equal(isPythonTestPath('/work/repo/python/test/unit/language/test_core.py', [root]), true);
  assert.equal(isPythonTestPath('/work/repo/ops/test_pairs.py', [root]), true);
  assert.equal(isPythonTestPath('/work/repo/ops/pairs_test.py', [root]), true);
  assert.equal(isPythonTestPath('/work/repo/ops/pairs.py', [root]), false);
  assert.equal(isPythonTestPath('/work/repo/tests/ops.cu', [root]), false, 'CUDA test folders keep their kernels checked');
  assert.equal(isPythonTestPath('/work/repo/benchmarks/bench_pairs.py', [root]), false, 'a benchmark script times its kernels');
  mkdirSync(join(dir, 'python', 'test'), { recursive: true });
  mkdirSync(join(dir, 'ops'), { recursive: true });
  engine.setWorkspace([dir]);
  const rules = (path: string) => {
    writeFileSync(path, TRITON_PAIRS);
    return engine.analyzeText(path, TRITON_PAIRS).findings.map((f) => `${f.function} ${f.rule}`);
  };
  assert.ok(rules(join(dir, 'ops', 'pairs.py')).includes('pair_sum vectorization/vector-memory-access'));
  assert.deepEqual(rules(join(dir, 'python', 'test', 'test_pairs.py')), []);
});

test('in a folder of scalar fallbacks the CPU loops are quiet and the kernel is still checked', () => {
  const root = '/work/repo';
  assert.equal(isScalarFallbackPath('/work/repo/kernels/cpu/fallback/bitpacking/uint7.h', [root]), true);
  assert.equal(isScalarFallbackPath('/work/repo/kernels/cpu/fallbacks/matmul.h', [root]), true);
  assert.equal(isScalarFallbackPath('/work/repo/kernels/cpu/fallback.cpp', [root]), false, 'a file named so is judged by its functions');
  assert.equal(isScalarFallbackPath('/home/fallback/repo/src/gemm.cpp', ['/home/fallback/repo']), false, 'only the path below the workspace folder counts');
  const fallback = join(dir, 'cpu', 'fallback');
  mkdirSync(fallback, { recursive: true });
  engine.setWorkspace([dir]);
  const path = join(fallback, 'ops.cu');
  writeFileSync(path, CPU_AND_KERNEL);
  const found = engine.analyzeText(path, CPU_AND_KERNEL).findings.map((f) => `${f.function} ${f.rule}`);
  assert.deepEqual(found.filter((f) => f.startsWith('make_matrix ')), []);
  assert.ok(found.includes('strided memory/uncoalesced-access'), found.join('\n'));
});

test('reference and vendored folders, and kernel source for a run-time compiler: nothing reported', () => {
  const root = '/work/repo';
  assert.equal(isNotTunedPath('/work/repo/platforms/reference/src/forces.cpp', [root]), true);
  assert.equal(isNotTunedPath('/work/repo/src/reference.cpp', [root]), true, 'a file named for reference implementations');
  assert.equal(isNotTunedPath('/work/repo/code/common/cpu_ref.h', []), true, 'by its name, whatever the workspace');
  assert.equal(isNotTunedPath('/work/repo/src/SoftmaxRef.cpp', [root]), true);
  assert.equal(isNotTunedPath('/work/repo/src/refine.cu', [root]), false);
  assert.equal(isNotTunedPath('/work/repo/src/preference.cpp', [root]), false);
  assert.equal(isNotTunedPath('/work/repo/src/reference_kernels.cu', [root]), true);
  assert.equal(isNotTunedPath('/work/repo/src/reference_counting.cpp', [root]), false);
  assert.equal(isNotTunedPath('/home/reference/repo/src/x.cpp', ['/home/reference/repo']), false);
  assert.equal(isNotTunedPath('/work/repo/3rdparty/cub/block/reduce.cuh', [root]), true, 'vendored');
  assert.equal(isNotTunedPath('/work/repo/third_party/eigen/x.h', [root]), true, 'vendored');
  assert.equal(isNotTunedPath('/work/repo/dependencies/json/json.hpp', [root]), true, 'vendored (tiny-cuda-nn keeps its submodules there)');
  const ref = join(dir, 'platforms', 'reference');
  mkdirSync(ref, { recursive: true });
  engine.setWorkspace([dir]);
  const path = join(ref, 'ops.cu');
  writeFileSync(path, CPU_AND_KERNEL);
  assert.deepEqual(engine.analyzeText(path, CPU_AND_KERNEL).findings, []);
  // nor are its functions listed as skipped, or a file too large for the limit reported: it is never read; the file
  // itself is listed once, so that its silence is not read as a clean bill
  const unparsable = `${CPU_AND_KERNEL}\nMACRO_MADE(void) broken( {\n`;
  assert.deepEqual(engine.analyzeText(path, unparsable).skipped, [{ function: '(file)', reason: NOT_TUNED, line: 0 }]);
  assert.equal(engine.analyzeText(path, 'x'.repeat(2 * 1024 * 1024), { ...DEFAULT_CONFIG, maxFileSizeKb: 1 }).error, undefined);
  const portable = `KERNEL void scale(GLOBAL float* x, int n, int ld) {
  for (int i = GLOBAL_ID; i < n; i += GLOBAL_SIZE) {
    float s = 0.0f;
    for (int j = 0; j < n; ++j) s += x[j * ld + i];
    x[i] = s;
  }
}
`;
  assert.equal(isRuntimeKernelSource(portable), true);
  assert.equal(isRuntimeKernelSource(CPU_AND_KERNEL), false);
  const kernels = join(dir, 'src', 'kernels.cc');
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(kernels, portable);
  assert.deepEqual(engine.analyzeText(kernels, portable).findings, []);
});


test("another vendor's backend folder is named; NVIDIA's and ordinary folders are not", () => {
  const root = '/work/lib';
  assert.equal(otherAcceleratorOf('/work/lib/fla/ops/kda/backends/triton_ascend/chunk_intra.py', [root]), 'ascend');
  assert.equal(otherAcceleratorOf('/work/lib/src/runtime/backend/_cambricon/ops/add.py', [root]), 'cambricon');
  assert.equal(otherAcceleratorOf('/work/lib/kernels/musa/gemm.mu', []), 'musa');
  assert.equal(otherAcceleratorOf('/work/lib/src/runtime/backend/_nvidia/ops/add.py', [root]), null);
  assert.equal(otherAcceleratorOf('/work/lib/ascend_notes/x.py', [root]), null, 'a folder only named like one');
  assert.equal(otherAcceleratorOf('/home/npu/lib/x.cu', ['/home/npu/lib']), null, 'above the workspace folder');
});

test("in another vendor's backend folder, NVIDIA-only advice (tensor cores, copy pipelines) is left out", () => {
  const text = readFileSync(join(__dirname, '../server/src/rules/precision/tensor-core-eligible/fixtures/dot_ieee.py'), 'utf8');
  const nvidia = join(dir, 'ops', 'backends', 'triton');
  const ascend = join(dir, 'ops', 'backends', 'triton_ascend');
  mkdirSync(nvidia, { recursive: true });
  mkdirSync(ascend, { recursive: true });
  engine.setWorkspace([dir]);
  const rules = (folder: string) => engine.analyzeText(join(folder, 'chunk.py'), text).findings.map((f) => f.rule);
  assert.ok(rules(nvidia).includes('precision/tensor-core-eligible'));
  const there = rules(ascend);
  assert.ok(!there.includes('precision/tensor-core-eligible'), there.join('\n'));
  assert.ok(there.includes('tiling/shared-memory'), 'the other rules still apply');
});
