// The fixes of precision/tensor-core-eligible: where they are offered, what they write,
// and why none is offered elsewhere (the before/after fixtures are in test/fixes.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyEdits } from '../../../core/fix';
import { fixTests } from '../../../../../test/support/fixes';

const { freshOutcomes } = fixTests('precision/tensor-core-eligible');

const HEADER = '#include <cublas_v2.h>\n';
const sgemm = (h: string) => `cublasSgemm(${h}, CUBLAS_OP_N, CUBLAS_OP_N, M, N, K, &one, A, M, B, K, &zero, C, M);`;

test('a handle passed in: cublasSetMathMode right before the GEMM, not safe, TF32 in the title', () => {
  const text = `${HEADER}void mm(cublasHandle_t handle, const float *A, const float *B, float *C, int M, int N, int K) {\n  const float one = 1.0f, zero = 0.0f;\n  ${sgemm('handle')}\n}\n`;
  const [o] = freshOutcomes(text, 'a.cu');
  assert.equal(o.fixes.length, 1);
  const f = o.fixes[0];
  assert.equal(f.safe, false);
  assert.match(f.title, /TF32: 10-bit mantissa inputs, ~1e-3 relative error/);
  const after = applyEdits(text, f.edits);
  assert.match(after, /cublasSetMathMode\(handle, CUBLAS_TF32_TENSOR_OP_MATH\);\n {2}cublasSgemm\(handle/);
  assert.deepEqual(freshOutcomes(after, 'a.cu'), []);
});

test('the GEMM in a loop on a handle that stays the same: set once, before the loop', () => {
  const text = `${HEADER}void mm(cublasHandle_t h, const float *A, const float *B, float *C, int M, int N, int K, int reps) {\n  const float one = 1.0f, zero = 0.0f;\n  for (int r = 0; r < reps; ++r) {\n    ${sgemm('h')}\n  }\n}\n`;
  const after = applyEdits(text, freshOutcomes(text, 'a.cu')[0].fixes[0].edits);
  assert.match(after, /cublasSetMathMode\(h, CUBLAS_TF32_TENSOR_OP_MATH\);\n {2}for \(int r/);
});

test('a handle that changes in the loop: set before each GEMM', () => {
  const text = `${HEADER}void mm(cublasHandle_t *hs, const float *A, const float *B, float *C, int M, int N, int K, int n) {\n  const float one = 1.0f, zero = 0.0f;\n  for (int r = 0; r < n; ++r) {\n    cublasHandle_t h = hs[r];\n    ${sgemm('h')}\n  }\n}\n`;
  const after = applyEdits(text, freshOutcomes(text, 'a.cu')[0].fixes[0].edits);
  assert.match(after, /cublasHandle_t h = hs\[r\];\n.*\n {4}cublasSetMathMode\(h, CUBLAS_TF32_TENSOR_OP_MATH\);\n {4}cublasSgemm/);
});

test('one cublasSetMathMode per handle of the function', () => {
  const text = `${HEADER}void mm(cublasHandle_t h1, cublasHandle_t h2, const float *A, const float *B, float *C, int M, int N, int K) {\n  const float one = 1.0f, zero = 0.0f;\n  ${sgemm('h1')}\n  ${sgemm('h2')}\n  ${sgemm('h1')}\n}\n`;
  const after = applyEdits(text, freshOutcomes(text, 'a.cu')[0].fixes[0].edits);
  assert.equal(after.match(/cublasSetMathMode\(h1,/g)?.length, 1);
  assert.equal(after.match(/cublasSetMathMode\(h2,/g)?.length, 1);
});

test('a handle from a call is not evaluated again', () => {
  const text = `${HEADER}cublasHandle_t blas();\nvoid mm(const float *A, const float *B, float *C, int M, int N, int K) {\n  const float one = 1.0f, zero = 0.0f;\n  ${sgemm('blas()')}\n}\n`;
  const [o] = freshOutcomes(text, 'a.cu');
  assert.deepEqual(o.fixes, []);
  assert.match(o.reason ?? '', /the handle is `blas\(\)`/);
});

test('cublasGemmEx: the compute-type fix is offered second and changes every fp32-compute call', () => {
  const path = join(__dirname, 'fixtures', 'cublas_handles.cu');
  const text = readFileSync(path, 'utf8');
  const o = freshOutcomes(text, path).find((x) => x.finding.function === 'two_layers')!;
  assert.equal(o.fixes.length, 2);
  assert.match(o.fixes[0].title, /CUBLAS_TF32_TENSOR_OP_MATH/);
  const second = o.fixes[1];
  assert.match(second.title, /CUBLAS_COMPUTE_32F_FAST_TF32.*TF32: 10-bit mantissa/);
  assert.equal(second.safe, false);
  assert.equal(second.edits.length, 2);
  assert.ok(second.edits.every((e) => e.newText === 'CUBLAS_COMPUTE_32F_FAST_TF32'));
  assert.deepEqual(freshOutcomes(applyEdits(text, second.edits), path).filter((x) => x.finding.function === 'two_layers'), []);
});

test('a global handle created by an init function of the file: the mode is set there', () => {
  const path = join(__dirname, 'fixtures', 'cublas_handles.cu');
  const text = readFileSync(path, 'utf8');
  const o = freshOutcomes(text, path).find((x) => x.finding.function === 'dense')!;
  const after = applyEdits(text, o.fixes[0].edits);
  assert.match(after, /CUBLAS_CHECK\(cublasCreate\(&g_blas\)\);\n.*\n {2}CUBLAS_CHECK\(cublasSetMathMode\(g_blas, CUBLAS_TF32_TENSOR_OP_MATH\)\);/);
});

test('hand-written CUDA-core GEMM loops: no automatic fix, and why', () => {
  const path = join(__dirname, 'fixtures', 'sgemm_cuda_cores.cu');
  const all = freshOutcomes(readFileSync(path, 'utf8'), path);
  assert.ok(all.length >= 3);
  for (const o of all) {
    assert.deepEqual(o.fixes, []);
    assert.match(o.reason ?? '', /WMMA\/`mma\.sync`.*not automatic/);
  }
});

test('Triton: "ieee" becomes "tf32" and allow_tf32=False becomes True, quote style kept', () => {
  const path = join(__dirname, 'fixtures', 'dot_ieee.py');
  const text = readFileSync(path, 'utf8');
  const all = freshOutcomes(text, path);
  const exact = all.filter((o) => o.fixes.length);
  assert.equal(exact.length, 2);
  for (const o of exact) {
    assert.equal(o.fixes[0].safe, false);
    assert.match(o.fixes[0].title, /TF32: 10-bit mantissa inputs/);
  }
  const after = applyEdits(text, exact.flatMap((o) => o.fixes[0].edits));
  assert.match(after, /tl\.dot\(a, b, input_precision="tf32"\)/);
  assert.match(after, /allow_tf32=True\)/);
  assert.doesNotMatch(after, /"ieee"|allow_tf32=False/);
  const src =
    "import triton\nimport triton.language as tl\n@triton.jit\ndef k(a_ptr, b_ptr, BM: tl.constexpr):\n    r = tl.arange(0, BM)\n    a = tl.load(a_ptr + r[:, None] * BM + r[None, :])\n    b = tl.load(b_ptr + r[:, None] * BM + r[None, :])\n    c = tl.dot(a, b, input_precision='ieee')\n    tl.store(a_ptr + r[:, None] * BM + r[None, :], c)\n";
  const single = freshOutcomes(src, 'k.py')[0];
  assert.match(applyEdits(src, single.fixes[0].edits), /\n {4}# TF32 tensor cores.*\n {4}c = tl\.dot\(a, b, input_precision='tf32'\)/);
});

test('Triton GEMM without tl.dot: no automatic fix, and why', () => {
  const path = join(__dirname, 'fixtures', 'dot_ieee.py');
  const o = freshOutcomes(readFileSync(path, 'utf8'), path).find((x) => x.finding.function === 'matmul_per_output_kernel')!;
  assert.deepEqual(o.fixes, []);
  assert.match(o.reason ?? '', /without `tl\.dot`/);
});
