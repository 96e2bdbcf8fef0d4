// The vector-access fix: where it is refused (and why), and what it writes where it is not.
// Kernels the rule itself passes over are given a finding by hand, so the fixer's own checks
// are tested too (it must not rely on the rule to keep it from rewriting a gather).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyEdits } from '../../../core/fix';
import type { Finding, Fix } from '../../../core/types';
import { fixTests } from '../../../../../test/support/fixes';

const RULE = 'vectorization/vector-memory-access';
const { engine, findings } = fixTests(RULE, 'k.cu');

const nvcc = spawnSync('nvcc', ['--version'], { encoding: 'utf8' }).status === 0;
const scratch = mkdtempSync(join(tmpdir(), 'ka-vector-fix-'));

/** The rule's finding on `kernel`, or one made by hand where the rule is quiet. */
function findingOn(path: string, text: string, kernel: string): Finding {
  const found = findings(text, path).find((f) => f.function === kernel);
  if (found) return found;
  const line = text.split('\n').findIndex((l) => new RegExp(`\\b${kernel}\\s*\\(`).test(l));
  assert.ok(line >= 0, `${kernel} is in the text`);
  const column = text.split('\n')[line].search(new RegExp(`\\b${kernel}\\b`));
  return {
    rule: RULE, severity: 'information', message: 'by hand', function: kernel, confidence: 'likely',
    range: { start: { line, column }, end: { line, column: column + kernel.length } },
    assumptions: [], related: [], fixes: [], citations: [],
  };
}

function outcome(text: string, kernel: string, path = 'k.cu'): { fixes: Fix[]; reason?: string } {
  const f = findingOn(path, text, kernel);
  return engine().fixOutcomes(path, text, [f]).get(f)!;
}

function refused(text: string, kernel: string, reason: RegExp, path?: string): void {
  const o = outcome(text, kernel, path);
  assert.equal(o.fixes.length, 0, `no fix for ${kernel}: ${o.fixes[0]?.title}`);
  assert.match(o.reason ?? '', reason);
}

function fixed(text: string, kernel: string): { fix: Fix; after: string } {
  const o = outcome(text, kernel);
  assert.ok(o.fixes.length > 0, `a fix for ${kernel}: ${o.reason}`);
  return { fix: o.fixes[0], after: applyEdits(text, o.fixes[0].edits) };
}

function compiles(name: string, text: string, t: { skip: (m: string) => void }): void {
  if (!nvcc) return t.skip('nvcc is not installed here');
  const file = join(scratch, name);
  writeFileSync(file, text);
  const r = spawnSync('nvcc', ['-c', '-arch=sm_90', '-std=c++17', '-o', `${file}.o`, file], { encoding: 'utf8' });
  assert.equal(r.status, 0, `nvcc rejects ${name}:\n${r.stderr}\n${text}`);
}

const guarded = (body: string, params = 'const float* __restrict__ x, float* __restrict__ y, int n') => `
__global__ void k(${params}) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  ${body}
}
`;

// ---- refused: the precondition does not hold ----

test('refused: a neighbour, a gather, a runtime offset, a stride', () => {
  refused(guarded('if (i < n) y[i] = x[i + 1] - x[i];'), 'k', /reads `x\[i \+ 1\]`, not only the thread's own element/);
  refused(guarded('if (i < n) y[i] = x[idx[i]];', 'const float* x, const int* idx, float* y, int n'), 'k', /reads `x\[idx\[i\]\]`/);
  refused(guarded('if (i < n) y[i] = x[i + off];', 'const float* x, float* y, int off, int n'), 'k', /reads `x\[i \+ off\]`/);
  refused(guarded('if (i < n) y[i] = x[2 * i];'), 'k', /reads `x\[2 \* i\]`/);
  refused(guarded('const float* xs = x + n;\n  if (i < n) y[i] = xs[i];'), 'k', /uses `x` other than as `x\[i\]`/);
});

test('refused: the index is not the thread\'s global element', () => {
  refused(`
__global__ void k(const float* x, float* y, int n) {
  const int i = threadIdx.x;
  if (i < n) y[i] = x[i];
}`, 'k', /not the thread's global index/);
  refused(`
__global__ void k(const float* x, float* y, int n) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x) y[i] = x[i];
}`, 'k', /grid-stride|steps by/);
});

test('refused: vector types, shared memory, atomics, warp operations, thread state', () => {
  refused(`
__global__ void k(const float4* x, float4* y, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = x[i];
}`, 'k', /already uses vector types/);
  refused(`
__global__ void k(const float* x, float* y, int n) {
  __shared__ float s[256];
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  s[threadIdx.x] = i < n ? x[i] : 0.f;
  __syncthreads();
  if (i < n) y[i] = s[threadIdx.x];
}`, 'k', /shared memory|synchronizes/);
  refused(guarded('if (i < n) atomicAdd(&y[i], x[i]);'), 'k', /atomics|address/);
  refused(guarded('if (i < n) y[i] = __shfl_xor_sync(0xffffffffu, x[i], 1);'), 'k', /`__shfl_xor_sync`, which needs one element per thread/);
  refused(guarded('if (i < n) y[i] = x[i] * (threadIdx.x & 1);'), 'k', /reads `threadIdx.x` itself/);
});

test('refused: early exits and state carried from one element to the next', () => {
  refused(guarded('if (i < n) {\n    if (x[i] < 0.f) return;\n    y[i] = x[i];\n  }'), 'k', /leaves early/);
  refused(`
__global__ void k(const float* x, float* y, int n) {
  float run = 0.f;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) {
    run += x[i];
    y[i] = run;
  }
}`, 'k', /writes `run`, which lives across elements/);
  refused(guarded('if (i < n) y[i] = x[i];\n  if (i < n) y[i] += 1.f;'), 'k', /after the guard|neither/);
});

test('refused: a buffer read after another is written, when the two may be one', (t) => {
  const body = 'if (i < n) {\n    y[i] = 2.f * x[i];\n    z[i] = x[i] + y[i];\n    w[i] = z[i] - x[i];\n  }';
  refused(guarded(body, 'const float* x, float* y, float* z, float* w, int n'), 'k', /`z\[i\]` is read after `z\[i\]` is written|`x\[i\]` is read after `y\[i\]` is written, and `x` may be `y` \(declare both `__restrict__`\)/);
  // declared __restrict__, they are distinct: y and z are read back from registers
  const { after } = fixed(guarded(body, 'const float* __restrict__ x, float* __restrict__ y, float* __restrict__ z, float* __restrict__ w, int n'), 'k');
  assert.match(after, /y_v\[j\] = 2\.f \* x_v\[j\];\n {6}z_v\[j\] = x_v\[j\] \+ y_v\[j\];\n {6}w_v\[j\] = z_v\[j\] - x_v\[j\];/);
  // each is written before it is read: none is loaded but x
  assert.doesNotMatch(after, /reinterpret_cast<const float4\*>\([yzw]\)/);
  compiles('restrict.cu', after, t);
});

test('refused: element types it cannot size', () => {
  refused(`
template <typename T>
__global__ void k(const T* x, T* y, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = x[i];
}`, 'k', /template type `T`/);
  refused(guarded('if (i < n) y[i] = x[i];', 'const double* x, double* y, int n'), 'k', /`double` of `x` is not a known 8-, 16- or 32-bit type/);
  refused(`
typedef float real;
__global__ void k(const real* x, real* y, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = x[i];
}`, 'k', /`real` of `x` is not a known/);
});

test('refused: not one element per thread, a loop macro, a 2-D index, Triton', () => {
  refused(`
__global__ void copy_rows(float* __restrict__ out, const float* __restrict__ in, int cols) {
  const int x = blockIdx.x * 32 + threadIdx.x;
  const int y = blockIdx.y * 32 + threadIdx.y;
  for (int j = 0; j < 32; j += 8) out[(y + j) * cols + x] = in[(y + j) * cols + x];
}`, 'copy_rows', /not one element per thread|reads `out\[/);
  refused(`
__global__ void scale_loop(const int n, const float alpha, const float *x, float *y) {
  CUDA_KERNEL_LOOP(index, n) { y[index] = alpha * x[index]; }
}`, 'scale_loop', /the element loop is the macro `CUDA_KERNEL_LOOP`/);
  refused(`
__global__ void add_bias(const float* in, const float* bias, float* out, int rows, int C) {
  const int col = blockIdx.x * blockDim.x + threadIdx.x;
  const int row = blockIdx.y;
  if (col >= C || row >= rows) return;
  out[row * C + col] = in[row * C + col] + bias[col];
}`, 'add_bias', /reads `out\[row \* C \+ col\]`/);
  refused(`import triton
import triton.language as tl

@triton.jit
def scale_one_kernel(x_ptr, y_ptr, n):
    pid = tl.program_id(0)
    x = tl.load(x_ptr + pid)
    tl.store(y_ptr + pid, 2.0 * x)
`, 'scale_one_kernel', /Triton/, 'k.py');
});

test('refused: every access under a condition', () => {
  refused(guarded('if (i < n && flag) y[i] = x[i];', 'const float* x, float* y, int n, bool flag'), 'k', /is not `i < n` alone/);
  refused(guarded('if (i < n) {\n    if (flag) y[i] = x[i];\n  }', 'const float* x, float* y, int n, bool flag'), 'k', /every access is under a condition/);
});

// ---- offered: what the rewrite writes ----

const SCALE = `
__global__ void scale(const float* __restrict__ x, float* __restrict__ y, float a, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = a * x[i];
}

void run(const float* x, float* y, int n, cudaStream_t s) {
  scale<<<(n + 255) / 256, 256, 0, s>>>(x, y, 2.0f, n);
}
`;

test('guarded kernel: float4 groups, an alignment check, a scalar tail, a quarter of the blocks', (t) => {
  const { fix, after } = fixed(SCALE, 'scale');
  assert.equal(fix.safe, true);
  assert.match(fix.title, /4 `float` per thread with one 128-bit float4 access per buffer/);
  assert.match(after, /const int i4 = blockIdx\.x \* blockDim\.x \+ threadIdx\.x;/);
  assert.match(after, /const bool aligned = \(\(reinterpret_cast<size_t>\(x\) \| reinterpret_cast<size_t>\(y\)\) & 15\) == 0;/);
  // whole groups of 4 only: 4 * i4 + 3 < n
  assert.match(after, /if \(i4 < n \/ 4 && aligned\) \{/);
  assert.match(after, /\*reinterpret_cast<float4\*>\(x_v\) = reinterpret_cast<const float4\*>\(x\)\[i4\];/);
  assert.match(after, /for \(int k = 0; k < 4; \+\+k\) y_v\[k\] = a \* x_v\[k\];/);
  assert.match(after, /reinterpret_cast<float4\*>\(y\)\[i4\] = \*reinterpret_cast<const float4\*>\(y_v\);/);
  // y is only written: not read first
  assert.doesNotMatch(after, /reinterpret_cast<const float4\*>\(y\)/);
  // the partial last group, and unaligned pointers, run the original guarded code per element
  assert.match(after, /\} else if \(i4 <= n \/ 4\) \{\n {4}for \(int k = 0; k < 4; \+\+k\) \{\n {6}const int i = 4 \* i4 \+ k;\n {6}if \(i < n\) y\[i\] = a \* x\[i\];/);
  // ceil(grid / 4) blocks of the same size
  assert.match(after, /scale<<<\(\(n \+ 255\) \/ 256 \+ 3\) \/ 4, 256, 0, s>>>/);
  compiles('scale.cu', after, t);
});

test('grid-stride kernel: a float4 loop up to the last whole group, the original loop after it, the launch as it was', (t) => {
  const text = `
__global__ void saxpy(int n, float a, const float* x, float* y) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) {
    y[i] = a * x[i] + y[i];
  }
}
void run(int n, float a, const float* x, float* y) { saxpy<<<1024, 256>>>(n, a, x, y); }
`;
  const { fix, after } = fixed(text, 'saxpy');
  assert.equal(fix.safe, true);
  assert.match(after, /const int vec_end = aligned \? n \/ 4 \* 4 : 0;/);
  assert.match(after, /for \(int i4 = blockIdx\.x \* blockDim\.x \+ threadIdx\.x; i4 < vec_end \/ 4; i4 \+= blockDim\.x \* gridDim\.x\) \{/);
  // y is read and written: loaded first
  assert.match(after, /\*reinterpret_cast<float4\*>\(y_v\) = reinterpret_cast<const float4\*>\(y\)\[i4\];/);
  assert.match(after, /for \(int i = vec_end \+ blockIdx\.x \* blockDim\.x \+ threadIdx\.x; i < n; i \+= blockDim\.x \* gridDim\.x\) \{\n {4}y\[i\] = a \* x\[i\] \+ y\[i\];/);
  assert.match(after, /saxpy<<<1024, 256>>>/);
  compiles('saxpy.cu', after, t);
});

test('16-bit data: 8 elements per uint4; mixed widths: each buffer its own vector', (t) => {
  const text = `#include <cuda_fp16.h>
__global__ void h2f(const __half* __restrict__ in, float* __restrict__ out, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  out[i] = __half2float(in[i]);
}
__global__ void hscale(const __half* __restrict__ in, __half* __restrict__ out, __half s, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) out[i] = __hmul(in[i], s);
}
void run(const __half* a, float* b, __half* c, int n) {
  h2f<<<(n + 127) / 128, 128>>>(a, b, n);
  hscale<<<(n + 127) / 128, 128>>>(a, c, __float2half(2.f), n);
}
`;
  const mixed = fixed(text, 'h2f');
  assert.match(mixed.fix.title, /4 elements per thread with one vector \(uint2 for in, float4 for out\) access per buffer/);
  assert.match(mixed.after, /\(reinterpret_cast<size_t>\(out\) & 15\) == 0 && \(reinterpret_cast<size_t>\(in\) & 7\) == 0/);
  assert.match(mixed.after, /alignas\(8\) __half in_v\[4\];/);
  // the early-return guard stays as it was in the scalar path
  assert.match(mixed.after, /const int i = 4 \* i4 \+ k;\n {6}if \(i >= n\) return;/);
  const half = fixed(text, 'hscale');
  assert.match(half.fix.title, /8 `__half` per thread with one 128-bit uint4 access per buffer/);
  assert.match(half.after, /alignas\(16\) __half in_v\[8\];/);
  assert.match(half.after, /hscale<<<\(\(n \+ 127\) \/ 128 \+ 7\) \/ 8, 128>>>/);
  compiles('halves.cu', applyEdits(text, [...mixed.fix.edits, ...half.fix.edits]), t);
});

test('conditional accesses: a buffer written only under a condition keeps its scalar store; one also read is loaded first', (t) => {
  const text = guarded('if (i < n) {\n    const float v = x[i];\n    if (v > 0.f) y[i] = v;\n    z[i] = v > 0.f ? v : z[i];\n  }', 'const float* __restrict__ x, float* __restrict__ y, float* __restrict__ z, int n') + 'void run(const float* x, float* y, float* z, int n) { k<<<(n + 255) / 256, 256>>>(x, y, z, n); }\n';
  const { fix, after } = fixed(text, 'k');
  assert.match(fix.title, /`y` stays scalar \(accessed under a condition\)/);
  assert.match(after, /if \(v > 0\.f\) y\[i\] = v;/);
  assert.match(after, /const int i = 4 \* i4 \+ j;\n {6}const float v = x_v\[j\];/, 'i is declared for the scalar store (j: the kernel is named k)');
  assert.match(after, /\*reinterpret_cast<float4\*>\(z_v\) = reinterpret_cast<const float4\*>\(z\)\[i4\];/);
  assert.match(after, /z_v\[j\] = v > 0\.f \? v : z_v\[j\];/);
  assert.doesNotMatch(after, /y_v/);
  compiles('conditional.cu', after, t);
});

test('launches it cannot change: a dim3 grid, no launch in the file, a function pointer: offered for review only', (t) => {
  const dim3 = SCALE.replace('scale<<<(n + 255) / 256, 256, 0, s>>>', 'dim3 grid((n + 255) / 256);\n  scale<<<grid, 256, 0, s>>>');
  const a = fixed(dim3, 'scale');
  assert.equal(a.fix.safe, false);
  assert.match(a.fix.title, /change the grid `grid` in `run` to ceil\(grid \/ 4\) blocks by hand/);
  assert.match(a.after, /scale<<<grid, 256, 0, s>>>/);
  compiles('dim3.cu', a.after, t);
  const alone = fixed(SCALE.slice(0, SCALE.indexOf('void run')), 'scale');
  assert.equal(alone.fix.safe, false);
  assert.match(alone.fix.title, /callers must launch `scale` with ceil\(grid \/ 4\) blocks \(no launch in this file\)/);
  const pointer = fixed(SCALE + 'void (*scale_kernel)(const float*, float*, float, int) = scale;\n', 'scale');
  assert.equal(pointer.fix.safe, false);
  assert.match(pointer.fix.title, /`scale` is also used on line 10, not as a launch: launches through it need ceil\(grid \/ 4\) blocks/);
});

test('the index as a value, __ldg, user names kept, fresh names where taken', (t) => {
  const text = `
__global__ void label(const float* __restrict__ x, int* __restrict__ out, int k, int n) {
  int idx = blockIdx.x * blockDim.x + threadIdx.x;
  if (idx < n) {
    const float aligned = __ldg(&x[idx]);
    out[idx] = aligned > 0.f ? idx + k : -1;
  }
}
void run(const float* x, int* out, int n) {
  const int blocks = (n + 255) / 256;
  label<<<blocks, 256>>>(x, out, 3, n);
}
`;
  const { fix, after } = fixed(text, 'label');
  assert.equal(fix.safe, true);
  assert.match(after, /int idx4 = blockIdx\.x/);
  assert.match(after, /const bool vec_ok = /);
  assert.match(after, /for \(int j = 0; j < 4; \+\+j\) \{\n {6}const int idx = 4 \* idx4 \+ j;\n {6}const float aligned = x_v\[j\];\n {6}out_v\[j\] = aligned > 0\.f \? idx \+ k : -1;/);
  assert.match(after, /label<<<\(blocks \+ 3\) \/ 4, 256>>>/);
  compiles('label.cu', after, t);
});

test('statements before the index and the guard stay where they are', (t) => {
  const text = `
__global__ void k(const float* __restrict__ x, float* __restrict__ y, float scale, int n) {
  const float s = scale * 2.f;
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = s * x[i];
}
void run(const float* x, float* y, int n) { k<<<(n + 255) / 256, 256>>>(x, y, 1.f, n); }
`;
  const { after } = fixed(text, 'k');
  assert.match(after, /\{\n {2}const float s = scale \* 2\.f;\n {2}\/\/ 4 consecutive float elements per thread/);
  assert.match(after, /for \(int j = 0; j < 4; \+\+j\) y_v\[j\] = s \* x_v\[j\];/);
  compiles('prefix.cu', after, t);
});

test('a bound that is an expression is divided as a whole', (t) => {
  const text = guarded('if (i < n - 1) y[i] = x[i];') + 'void run(const float* x, float* y, int n) { k<<<(n + 255) / 256, 256>>>(x, y, n); }\n';
  const { after } = fixed(text, 'k');
  assert.match(after, /if \(i4 < \(n - 1\) \/ 4 && aligned\)/);
  assert.match(after, /\} else if \(i4 <= \(n - 1\) \/ 4\) \{/);
  compiles('bound.cu', after, t);
});
