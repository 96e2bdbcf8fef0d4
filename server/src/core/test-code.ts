// Test code by where it lives: a folder of the workspace named for tests (`tests/`,
// `testing/`, `blastest/`, `unittests/`) or a file named `test_*` / `*_test.*` / `*-test.*`, and Python
// benchmark scripts (`*_bench.py`, `benchmarks/`). Its host
// code and CPU loops are the test's own scaffolding (data generators, reference results,
// checkers, timing), so the engine keeps only findings in its kernels there. Judged on the
// path below the workspace folder that holds the file, so a project kept under a folder
// that happens to be called `test` is not all test code.
import * as path from 'node:path';

const TEST_FOLDER = /test/i;
const TEST_FILE = /^test[_-]|[_-]tests?\.[^.]+$/i;
/**
 * A Python benchmark script or folder (`flash_bench.py`, `benchmarks/`): its host code times the
 * Triton kernels against eager PyTorch baselines, which are the yardstick, not the target. (C and
 * CUDA benchmark suites, such as Parboil's `benchmarks/`, are the programs being tuned.)
 */
const PY_BENCH_FILE = /(?:^|_)bench(?:mark)?s?(?:_|\.py$)/i;
const PY_BENCH_FOLDER = /^bench(?:mark)?s?$/i;

export function isTestPath(file: string, roots: readonly string[]): boolean {
  const parts = pathBelowRoot(file, roots);
  if (!parts) return false;
  const name = parts.pop()!;
  if (name.endsWith('.py') && (PY_BENCH_FILE.test(name) || parts.some((p) => PY_BENCH_FOLDER.test(p)))) return true;
  return TEST_FILE.test(name) || parts.some((p) => TEST_FOLDER.test(p));
}

/** A C/C++/CUDA benchmark program by its name or folder (`bench_moe.cu`, `gemm_benchmark.cpp`, `benchmarks/`). */
const BENCH_FILE = /^bench(?:mark)?s?[_-]|[_-]bench(?:mark)?s?\.[^.]+$/i;
const BENCH_FOLDER = /^bench(?:mark)?s?$/i;

/**
 * A test or benchmark harness: its `main` exercises a library, and does not make the project a program whose
 * code runs only as far as that `main` reaches (core/reachability.ts).
 */
export function isHarnessPath(file: string, roots: readonly string[]): boolean {
  if (isTestPath(file, roots)) return true;
  const parts = pathBelowRoot(file, roots);
  if (!parts) return false;
  const name = parts.pop()!;
  return BENCH_FILE.test(name) || parts.some((p) => BENCH_FOLDER.test(p));
}

/**
 * A Python test file (`test_core.py`, anything under `tests/`): its Triton kernels exist to exercise the
 * compiler or the library under test (`def test_...: @triton.jit def kernel`), against eager references;
 * nobody tunes them, so nothing in it is reported. (A benchmark script's kernels may be the ones timed.)
 */
export function isPythonTestPath(file: string, roots: readonly string[]): boolean {
  const parts = pathBelowRoot(file, roots);
  if (!parts) return false;
  const name = parts.pop()!;
  return name.endsWith('.py') && (TEST_FILE.test(name) || parts.some((p) => TEST_FOLDER.test(p)));
}

/**
 * A folder of scalar fallbacks (`torch_free_kernels/fallback/bitpacking/`): the portable C++ twins of
 * the SIMD (NEON, AVX) paths beside it, kept plain on purpose; machines that matter take the other path.
 */
const FALLBACK_FOLDER = /^fallbacks?$/i;
export function isScalarFallbackPath(file: string, roots: readonly string[]): boolean {
  const parts = pathBelowRoot(file, roots);
  return !!parts && parts.slice(0, -1).some((p) => FALLBACK_FOLDER.test(p));
}

/**
 * Code the project does not tune, by where it lives: a reference implementation's folder
 * (OpenMM's Reference platform, a library's `reference/` kernels: slow on purpose, the
 * yardstick the optimized code is checked against) and vendored code (`third_party/`,
 * `3rdparty/`, `vendor/`, `external/`, `deps/`, `dependencies/`: someone else's, updated by copying it again),
 * and a file named for reference implementations. Nothing in it is reported.
 */
/**
 * A file of reference implementations by its name (`cpu_ref.h`, `ref_ops.cu`, `reference.cu`,
 * `reference_kernels.cu`, `gemm_golden.c`, the CUDA samples' `matrixMul_gold.cpp`, `SoftmaxRef.cpp`); other names with the word
 * (`check_against_reference.py`, `reference_counting.cpp`) describe something else.
 */
const REFERENCE_FILE = /(?:^|[_-])(?:ref|gold|golden)(?:[_-]|$)|^[Rr]eferences?(?:[_-](?:impls?|implementations?|kernels?|ops|cpu|gpu|cuda)|[A-Z]|$)|Golden|Ref$/;
const NOT_TUNED_FOLDER = /^(?:references?|third[_-]?party|3rd[_-]?party|vendor(?:ed)?|external|extern|deps|dependencies)$/i;
/** The `skipped` reason of a file so placed or named: read as the project's own reference or someone else's code. */
export const NOT_TUNED = 'not reported: a reference implementation or vendored code, by its name or folder';

export function isNotTunedPath(file: string, roots: readonly string[]): boolean {
  if (typeof file === 'string' && REFERENCE_FILE.test(path.basename(file).replace(/\.[^.]*$/, ''))) return true;
  const parts = pathBelowRoot(file, roots);
  return !!parts && parts.slice(0, -1).some((p) => NOT_TUNED_FOLDER.test(p));
}

/**
 * Kernel source compiled at run time (OpenCL C, or a portable dialect through macros:
 * `KERNEL void f(GLOBAL real* x)`, `GLOBAL_ID`): in a .cc or .h file it is neither the
 * C++ it looks like nor CUDA, so no rule reads it.
 */
export const isRuntimeKernelSource = (text: string): boolean => /\b(?:KERNEL|__kernel)\s+void\b|\bGLOBAL_ID\b|\bget_global_id\s*\(/.test(text);

/** The file's path below the workspace folder that holds it, as segments; null outside every folder. */
function pathBelowRoot(file: string, roots: readonly string[]): string[] | null {
  if (typeof file !== 'string' || file === '' || roots.length === 0) return null;
  const abs = path.resolve(file);
  let best: string | null = null;
  for (const r of roots) {
    const root = path.resolve(r);
    const rel = path.relative(root, abs);
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) continue;
    if (best === null || rel.length < best.length) best = rel;
  }
  return best === null ? null : best.split(path.sep);
}

/** A name that holds expected results: `C_ref`, `ref`, `gold`, `expected`, `out_cpu`, `hostRef`, `h_C_cpu`. */
export const EXPECTED_OUTPUT = /(?:^|_)(?:ref|reference|gold|golden|expected|cpu|truth)(?:_|$)|(?:Ref|Gold|Expected|CPU|Cpu)$|^(?:expected|groundtruth|groudtruth)/i;

/** Calls whose argument list is flat or one level deep (`f(a, b[i], g(c))`), for the scan below. */
const CALL = /\b([A-Za-z_]\w*)\s*\(((?:[^()]|\([^()]*\)){0,600}?)\)/g;
const MAY_NAME_EXPECTED = /ref|Ref|REF|gold|Gold|expected|Expected|cpu|CPU|Cpu|truth/;
const KEYWORDS = new Set(['if', 'for', 'while', 'switch', 'return', 'sizeof', 'memcpy', 'memset', 'free', 'malloc', 'cudaMemcpy', 'cudaMalloc', 'cudaFree', 'printf', 'fprintf']);

/**
 * Functions this text calls with an argument that holds expected results
 * (`matmul_naive(A, B, C_ref, m, n, k)` in a test driver): references wherever they are
 * defined. A scan of the text, so that a project's test drivers, which launch nothing and
 * so are not indexed, still say which functions are their yardsticks.
 */
export function referenceCallees(text: string): string[] {
  if (!MAY_NAME_EXPECTED.test(text)) return [];
  const out = new Set<string>();
  for (const m of text.matchAll(CALL)) {
    if (KEYWORDS.has(m[1])) continue;
    const args = m[2].split(',').map((a) => a.trim().replace(/^[&*(]+|[)\s]+$/g, ''));
    if (args.some((a) => /^[A-Za-z_]\w*$/.test(a) && EXPECTED_OUTPUT.test(a))) out.add(m[1]);
  }
  return [...out];
}

/**
 * Folder names of backends for accelerators other than NVIDIA GPUs (Huawei Ascend NPUs, Cambricon
 * MLUs, Kunlunxin XPUs, Moore Threads MUSA, MetaX, Iluvatar, Hygon DCUs, Enflame GCUs): Triton and
 * CUDA-like libraries keep one such folder per vendor (`backends/triton_ascend/`, `_cambricon/`).
 */
const OTHER_ACCELERATOR = /^_?(?:triton_?)?(ascend|npu|cambricon|mlu|kunlunxin|kunlun|mthreads|musa|metax|maca|iluvatar|hygon|dcu|enflame|gcu)$/i;

/** The vendor whose backend folder holds the file (below the workspace folder, or anywhere when none is set), or null. */
export function otherAcceleratorOf(file: string, roots: readonly string[]): string | null {
  if (typeof file !== 'string' || file === '') return null;
  const parts = pathBelowRoot(file, roots) ?? path.resolve(file).split(path.sep);
  for (const p of parts.slice(0, -1)) {
    const m = OTHER_ACCELERATOR.exec(p);
    if (m) return m[1].toLowerCase();
  }
  return null;
}
