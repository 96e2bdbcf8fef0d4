// The fusion fix: what it writes for a chain (read as text: one fused kernel, one launch, the
// intermediate register-only where it is the host's own scratch) and where it says why not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyEdits, fixAllEdits } from '../../../core/fix';
import type { Fix } from '../../../core/types';
import { fixTests } from '../../../../../test/support/fixes';

const { engine, findings, outcomes, fixed } = fixTests('fusion/elementwise-chain', 'chain.cu');

/** The one finding's first fix and the text with it applied, or why there is none. */
function fixOf(src: string, path = 'chain.cu'): { fix: Fix; after: string } | { reason: string } {
  const o = outcomes(src, path);
  assert.equal(o.length, 1, 'one finding');
  if (o[0].fixes.length) return { fix: o[0].fixes[0], after: applyEdits(src, o[0].fixes[0].edits) };
  assert.ok(o[0].reason, 'no fix, and a reason');
  return { reason: o[0].reason };
}

/** Asserts that the text's one finding gets no fix, for a reason matching `why`. */
function refused(src: string, why: RegExp, path?: string): void {
  const r = fixOf(src, path);
  assert.ok('reason' in r, `no fix is offered (got ${'fix' in r ? r.fix.title : ''})`);
  assert.match(r.reason, why);
}

/** Why each finding of a fixture gets no fix ('fixed' where it gets one). */
function reasonsOf(name: string): string[] {
  const path = join(__dirname, 'fixtures', name);
  return outcomes(readFileSync(path, 'utf8'), path).map((o) => (o.fixes.length ? 'fixed' : o.reason!));
}

/** The text of the function `name` (from its line to the closing brace at column 0). */
function fn(text: string, name: string): string {
  const start = text.search(new RegExp(`^(template[^\\n]*\\n)?[^\\n]*\\b${name}\\(`, 'm'));
  assert.ok(start >= 0, `${name} is in the text`);
  return text.slice(start, text.indexOf('\n}', start) + 2);
}

const SCALE = `__global__ void scale(const float* __restrict__ x, float* __restrict__ t, float s, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) t[i] = s * x[i];
}
`;
const BIAS_RELU = `__global__ void bias_relu(const float* __restrict__ t, const float* __restrict__ b, float* __restrict__ y, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = fmaxf(t[i] + b[i], 0.0f);
}
`;
const chain = (host: string, kernels = SCALE + BIAS_RELU) => `${kernels}\n${host}`;

test('the benchmark pair: one fused kernel, one launch, and the scratch buffer tmp is no longer written', () => {
  const src = readFileSync(join(__dirname, '../../../../../bench/gpu/fusion/before.cu'), 'utf8');
  const { fix, after } = fixed(src);
  assert.equal(fix.safe, true);
  assert.match(fix.title, /Fuse `scale` and `bias_relu` into one kernel \(the intermediate `tmp` is no longer written\)/);
  const fused = fn(after, 'scale_bias_relu_fused');
  assert.match(fused, /__global__ void scale_bias_relu_fused\(const float\* x, const float\* __restrict__ b, float\* y,\s+float s, int n\)/);
  assert.match(fused, /if \(i < n\) \{/);
  // the product is rounded as the store rounded it: never contracted with the next stage's add
  assert.match(fused, /const float tmp = __fmul_rn\(s, x\[i\]\);/);
  assert.match(fused, /y\[i\] = fmaxf\(tmp \+ b\[i\], 0\.0f\);/);
  assert.doesNotMatch(fused, /tmp\[/);
  // the kernels stay; the launch is one, with the first launch's shape
  assert.match(after, /__global__ void scale\(/);
  assert.match(after, /__global__ void bias_relu\(/);
  const host = fn(after, 'launch');
  assert.match(host, /scale_bias_relu_fused<<<\(n \+ 255\) \/ 256, 256>>>\(x, b, y, 2\.0f, n\);/);
  assert.doesNotMatch(host, /\bscale<<<|bias_relu<<</);
  assert.match(host, /cudaMallocAsync\(&tmp/);
  assert.deepEqual(findings(after), [], 'the fixed text is quiet');
});

test('an intermediate the caller may read is still written, from the register, and not read back', () => {
  const { fix, after } = fixed(chain(`void launch(const float* x, const float* b, float* y, float* t, int n) {
  scale<<<(n + 255) / 256, 256>>>(x, t, 2.0f, n);
  bias_relu<<<(n + 255) / 256, 256>>>(t, b, y, n);
}
`));
  assert.match(fix.title, /`t` still written, not read back/);
  const fused = fn(after, 'scale_bias_relu_fused');
  assert.match(fused, /float\* __restrict__ t,/);
  assert.match(fused, /t\[i\] = (\w+);\n\s+y\[i\] = fmaxf\(\1 \+ b\[i\], 0\.0f\);/);
});

test('a scratch buffer the host reads again after the chain is still written', () => {
  const { fix } = fixed(chain(`void launch(const float* x, const float* b, float* y, float* h_t, int n) {
  float* tmp;
  cudaMalloc(&tmp, n * sizeof(float));
  scale<<<(n + 255) / 256, 256>>>(x, tmp, 2.0f, n);
  bias_relu<<<(n + 255) / 256, 256>>>(tmp, b, y, n);
  cudaMemcpy(h_t, tmp, n * sizeof(float), cudaMemcpyDeviceToHost);
  cudaFree(tmp);
}
`));
  assert.match(fix.title, /`tmp` still written/);
});

test('an in-place chain loads the buffer once, keeps it in a register and stores it once', () => {
  const { fix, after } = fixed(`__global__ void add_bias(float* y, const float* bias, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] += bias[i];
}
__global__ void square(float* y, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = y[i] * y[i];
}
void launch(float* y, const float* bias, int n) {
  add_bias<<<(n + 255) / 256, 256>>>(y, bias, n);
  square<<<(n + 255) / 256, 256>>>(y, n);
}
`);
  assert.equal(fix.safe, true);
  const fused = fn(after, 'add_bias_square_fused');
  assert.match(fused, /float (y_i) = y\[i\];\n\s+\1 \+= bias\[i\];\n\s+\1 = \1 \* \1;\n\s+y\[i\] = \1;/);
  assert.equal((fused.match(/y\[i\]/g) ?? []).length, 2, 'one load and one store of y');
});

test('a chain of three launches (two findings) is one fused kernel, whichever finding is fixed', () => {
  const src = readFileSync(join(__dirname, 'fixtures/three_kernel_chain.cu'), 'utf8');
  const fs = findings(src, 'three.cu');
  assert.equal(fs.length, 2);
  assert.deepEqual(fs[0].fixes[0].edits, fs[1].fixes[0].edits);
  const { fixes, edits } = fixAllEdits(fs.map((f) => ({ fixes: f.fixes })));
  assert.equal(fixes.length, 1, 'the second is the same edit: applied once');
  const after = applyEdits(src, edits);
  const fused = fn(after, 'add_residual_leaky_relu_scale_clip_fused');
  assert.match(fused, /const float t0 = d_h\[i\] \+ d_res\[i\];\n\s+d_t0\[i\] = t0;/);
  assert.match(fused, /const float t1 = t0 > 0\.f \? t0 : slope \* t0;\n\s+d_t1\[i\] = t1;/);
  assert.match(fused, /d_out\[i\] = fminf\(fmaxf\(s \* t1, -limit\), limit\);/);
  assert.match(after, /add_residual_leaky_relu_scale_clip_fused<<<grid, block, 0, stream>>>\(d_h, d_res, d_t0, d_t1, d_out, 0\.01f, 0\.125f, 6\.0f, n\);/);
  assert.deepEqual(findings(after, 'three.cu'), []);
});

test('when the whole chain cannot be fused, the pair of the finding still is', () => {
  const src = chain(`__global__ void neg(const float* y, float* z, int n) {
  int i = threadIdx.x + blockIdx.x * blockDim.x;
  if (i < n) z[i] = -y[i];
}
void launch(const float* x, const float* b, float* y, float* t, float* z, int n) {
  scale<<<(n + 255) / 256, 256>>>(x, t, 2.0f, n);
  bias_relu<<<(n + 255) / 256, 256>>>(t, b, y, n);
  neg<<<(n + 127) / 128, 128>>>(y, z, n);
}
`);
  const fs = findings(src);
  assert.equal(fs.length, 2);
  const [first, second] = fs;
  assert.match(first.fixes[0].title, /Fuse `scale` and `bias_relu`/);
  assert.equal(second.fixes.length, 0);
  assert.match(engine().fixOutcomes('chain.cu', src, [second]).get(second)!.reason!, /launched with different shapes/);
});

test('grid-stride loops over the same elements merge into one loop', () => {
  const { after } = fixed(`__global__ void sq(const float* x, float* t, int n) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) t[i] = x[i] * x[i];
}
__global__ void add1(const float* t, float* y, int n) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) y[i] = t[i] + 1.0f;
}
void launch(const float* x, float* y, int n) {
  float* t;
  cudaMalloc(&t, n * sizeof(float));
  sq<<<1024, 256>>>(x, t, n);
  add1<<<1024, 256>>>(t, y, n);
  cudaFree(t);
}
`);
  const fused = fn(after, 'sq_add1_fused');
  assert.match(fused, /for \(int i = blockIdx\.x \* blockDim\.x \+ threadIdx\.x; i < n; i \+= blockDim\.x \* gridDim\.x\) \{/);
  assert.match(fused, /const float t = __fmul_rn\(x\[i\], x\[i\]\);\n\s+y\[i\] = t \+ 1\.0f;/);
  assert.match(after, /sq_add1_fused<<<1024, 256>>>\(x, y, n\);/);
});

test('locals of the stages that share a name are renamed apart; the index keeps the first name', () => {
  const { after } = fixed(`__global__ void a(const float* x, float* t, int n) {
  const int idx = blockIdx.x * blockDim.x + threadIdx.x;
  if (idx >= n) return;
  float v = x[idx];
  v = v > 0.f ? v : 0.f;
  t[idx] = v;
}
__global__ void b(const float* t, float* y, int n) {
  const int j = blockIdx.x * blockDim.x + threadIdx.x;
  if (j < n) {
    float v = t[j];
    y[j] = v * v;
  }
}
void launch(const float* x, float* y, float* t, int n) {
  a<<<(n + 127) / 128, 128>>>(x, t, n);
  b<<<(n + 127) / 128, 128>>>(t, y, n);
}
`);
  const fused = fn(after, 'a_b_fused');
  assert.match(fused, /const int idx = blockIdx\.x \* blockDim\.x \+ threadIdx\.x;\n\s+if \(idx < n\) \{/);
  assert.match(fused, /\/\/ a\n\s+float v = x\[idx\];/);
  assert.match(fused, /\/\/ b\n\s+float v2 = (\w+);\n\s+y\[idx\] = v2 \* v2;/);
});

test('__ldg(&t[i]) of the intermediate reads the register; other __ldg loads stay', () => {
  const { fix, after } = fixed(chain(
    `void launch(const float* x, const float* b, float* y, int n) {
  float* t;
  cudaMalloc(&t, n * sizeof(float));
  scale<<<(n + 255) / 256, 256>>>(x, t, 2.5f, n);
  add<<<(n + 255) / 256, 256>>>(t, b, y, n);
  cudaFree(t);
}`,
    SCALE.replace('s * x[i]', 's * __ldg(&x[i])') +
      `__global__ void add(const float* __restrict__ t, const float* __restrict__ b, float* __restrict__ y, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = __ldg(&t[i]) + __ldg(&b[i]);
}
`,
  ));
  assert.equal(fix.safe, true);
  const fused = fn(after, 'scale_add_fused');
  assert.match(fused, /const float t = __fmul_rn\(s, __ldg\(&x\[i\]\)\);\n\s+y\[i\] = t \+ __ldg\(&b\[i\]\);/);
});

test('templated kernels fuse into a template launched with the same arguments', () => {
  const src = readFileSync(join(__dirname, 'fixtures/templated_launcher.cu'), 'utf8');
  const fs = findings(src, 't.cu');
  const after = applyEdits(src, fs[0].fixes[0].edits);
  assert.match(after, /template <typename T>\n__global__ void mul_add_scalar_fused\(/);
  assert.match(after, /mul_add_scalar_fused<T><<<blocks, kThreads, 0, stream>>>\(a, b, tmp, out, s, n\);/);
  // a product of T kept in a register may be contracted into an FMA with the add: for review
  assert.equal(fs[0].fixes[0].safe, false);
});

test('rounding: integer chains and sums are safe; a product of locals feeding an add is for review; doubles use __dmul_rn', () => {
  const two = (t: string, first: string, second: string) => `__global__ void p(const ${t}* x, ${t}* t, ${t} s, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) { ${first} }
}
__global__ void q(const ${t}* t, ${t}* y, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) { ${second} }
}
void launch(const ${t}* x, ${t}* y, ${t} s, int n) {
  ${t}* t;
  cudaMalloc(&t, n * sizeof(${t}));
  p<<<(n + 255) / 256, 256>>>(x, t, s, n);
  q<<<(n + 255) / 256, 256>>>(t, y, n);
  cudaFree(t);
}
`;
  assert.equal(fixed(two('int', 't[i] = s * x[i];', 'y[i] = t[i] + 1;')).fix.safe, true);
  assert.equal(fixed(two('float', 't[i] = s + x[i];', 'y[i] = t[i] + 1.0f;')).fix.safe, true);
  assert.equal(fixed(two('float', 't[i] = s * x[i];', 'y[i] = t[i] * 3.0f;')).fix.safe, true, 'a product of a product: nothing to contract');
  const local = fixed(two('float', 'float v = x[i] + 1.0f; t[i] = v * v;', 'y[i] = t[i] + 1.0f;'));
  assert.equal(local.fix.safe, true, 'a local declared float is typed');
  assert.match(local.after, /const float t = __fmul_rn\(v, v\);/);
  assert.equal(fixed(two('float', 'float4 v = make_float4(x[i], 0.f, 0.f, 0.f); t[i] = v.x * v.x;', 'y[i] = t[i] + 1.0f;')).fix.safe, false, 'v.x is not typed here');
  const d = fixed(two('double', 't[i] = s * x[i];', 'y[i] = t[i] + 1.0;'));
  assert.equal(d.fix.safe, true);
  assert.match(d.after, /const double t = __dmul_rn\(s, x\[i\]\);/);
  // 0.5 is a double: `0.5 * x[i]` in float code is a double product, not __fmul_rn's
  assert.equal(fixed(two('float', 't[i] = 0.5 * x[i];', 'y[i] = t[i] + 1.0f;')).fix.safe, false);
  assert.equal(fixed(two('float', 't[i] = expf(x[i]);', 'y[i] = t[i] - s;')).fix.safe, false);
});

const KERNELS_THEN = (host: string) => chain(host);
const refusals: [string, string, RegExp][] = [
  [
    'different launch shapes',
    KERNELS_THEN(`void launch(const float* x, const float* b, float* y, float* tmp, int n) {
  scale<<<(n + 255) / 256, 256>>>(x, tmp, 2.0f, n);
  bias_relu<<<(n + 127) / 128, 128>>>(tmp, b, y, n);
}`),
    /`scale` and `bias_relu` are launched with different shapes \(`<<<\(n \+ 255\) \/ 256, 256>>>`, `<<<\(n \+ 127\) \/ 128, 128>>>`\)/,
  ],
  [
    'an offset buffer',
    KERNELS_THEN(`void launch(const float* x, const float* b, float* y, float* tmp, int n) {
  scale<<<(n + 255) / 256, 256>>>(x, tmp + 0, 2.0f, n);
  bias_relu<<<(n + 255) / 256, 256>>>(tmp + 0, b, y, n);
}`),
    /`scale` gets `tmp \+ 0` for `t`/,
  ],
  [
    'buffers derived from one another',
    KERNELS_THEN(`void launch(const float* x, float* tmp, int n) {
  float* y = tmp + 1;
  scale<<<(n + 255) / 256, 256>>>(x, tmp, 2.0f, n);
  bias_relu<<<(n + 255) / 256, 256>>>(tmp, x, y, n);
}`),
    /`y` is set from another buffer of the chain: they may overlap/,
  ],
  [
    'an argument that changes between the launches',
    KERNELS_THEN(`void launch(const float* x, const float* b, float* y, float* tmp, int n, float s) {
  scale<<<(n + 255) / 256, 256>>>(x, tmp, s, n);
  s = 2 * s;
  bias_relu<<<(n + 255) / 256, 256>>>(tmp, b, y, n);
}`),
    /`s` changes between the launches/,
  ],
  [
    'an argument with side effects',
    `float next_scale();\n` +
      KERNELS_THEN(`void launch(const float* x, const float* b, float* y, float* tmp, int n) {
  scale<<<(n + 255) / 256, 256>>>(x, tmp, next_scale(), n);
  bias_relu<<<(n + 255) / 256, 256>>>(tmp, b, y, n);
}`),
    /the argument `next_scale\(\)` of `scale` may have side effects/,
  ],
  [
    'statements outside the bounds check',
    chain(
      `void launch(const float* x, const float* b, float* y, float* tmp, int n) {
  scale<<<(n + 255) / 256, 256>>>(x, tmp, 2.0f, n);
  bias_relu<<<(n + 255) / 256, 256>>>(tmp, b, y, n);
}`,
      SCALE.replace('  if (i < n)', '  float s2 = s * s;\n  if (i < n)').replace('s * x[i]', 's2 * x[i]') + BIAS_RELU,
    ),
    /`scale` has statements outside its bounds check/,
  ],
  [
    'a kernel that uses threadIdx in its body',
    chain(
      `void launch(const float* x, const float* b, float* y, float* tmp, int n) {
  scale<<<(n + 255) / 256, 256>>>(x, tmp, 2.0f, n);
  bias_relu<<<(n + 255) / 256, 256>>>(tmp, b, y, n);
}`,
      SCALE.replace('s * x[i]', 's * x[i] + threadIdx.x') + BIAS_RELU,
    ),
    /`scale` uses `threadIdx` beyond its index/,
  ],
  [
    'a kernel that assigns a parameter',
    chain(
      `void launch(const float* x, const float* b, float* y, float* tmp, int n) {
  scale<<<(n + 255) / 256, 256>>>(x, tmp, 2.0f, n);
  bias_relu<<<(n + 255) / 256, 256>>>(tmp, b, y, n);
}`,
      SCALE.replace('t[i] = s * x[i];', '{ s *= 2.0f; t[i] = s * x[i]; }') + BIAS_RELU,
    ),
    /`scale` assigns its parameter `s`/,
  ],
  [
    'a grid-stride loop and a one-element kernel, on a grid that may not cover the count',
    chain(
      `void launch(const float* x, const float* b, float* y, float* tmp, int n) {
  scale<<<1024, 256>>>(x, tmp, 2.0f, n);
  bias_relu<<<1024, 256>>>(tmp, b, y, n);
}`,
      `__global__ void scale(const float* __restrict__ x, float* __restrict__ t, float s, int n) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) t[i] = s * x[i];
}
` + BIAS_RELU,
    ),
    /`scale` is a grid-stride loop, `bias_relu` one element per thread/,
  ],
  [
    'kernels defined after the host function',
    `__global__ void scale(const float* __restrict__ x, float* __restrict__ t, float s, int n);
__global__ void bias_relu(const float* __restrict__ t, const float* __restrict__ b, float* __restrict__ y, int n);
void launch(const float* x, const float* b, float* y, float* tmp, int n) {
  scale<<<(n + 255) / 256, 256>>>(x, tmp, 2.0f, n);
  bias_relu<<<(n + 255) / 256, 256>>>(tmp, b, y, n);
}
${SCALE}${BIAS_RELU}`,
    /the kernels are defined after `launch`/,
  ],
  [
    'a launch inside a wrapper',
    KERNELS_THEN(`void run_bias_relu(const float* t, const float* b, float* y, int n) { bias_relu<<<(n + 255) / 256, 256>>>(t, b, y, n); }
void launch(const float* x, const float* b, float* y, float* tmp, int n) {
  scale<<<(n + 255) / 256, 256>>>(x, tmp, 2.0f, n);
  run_bias_relu(tmp, b, y, n);
}`),
    /`run_bias_relu` wraps the launch/,
  ],
  [
    'templates launched with deduced arguments',
    `template <typename T>
__global__ void scale(const T* __restrict__ x, T* __restrict__ t, T s, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) t[i] = s * x[i];
}
template <typename T>
__global__ void add(const T* __restrict__ t, const T* __restrict__ b, T* __restrict__ y, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = t[i] + b[i];
}
void launch(const float* x, const float* b, float* y, float* tmp, int n) {
  scale<<<(n + 255) / 256, 256>>>(x, tmp, 2.0f, n);
  add<<<(n + 255) / 256, 256>>>(tmp, b, y, n);
}`,
    /a templated kernel is launched with deduced template arguments/,
  ],
  [
    'a buffer seen as float and as float4',
    `__global__ void scale(const float* __restrict__ x, float* __restrict__ t, float s, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) t[i] = s * x[i];
}
__global__ void relu4(const float4* __restrict__ t, float4* __restrict__ y, int n4) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n4) { float4 v = t[i]; y[i] = make_float4(fmaxf(v.x, 0.f), fmaxf(v.y, 0.f), fmaxf(v.z, 0.f), fmaxf(v.w, 0.f)); }
}
void launch(const float* x, float4* y, float* tmp, int n) {
  scale<<<(n + 255) / 256, 256>>>(x, tmp, 2.0f, n);
  relu4<<<(n + 255) / 256, 256>>>(reinterpret_cast<const float4*>(tmp), y, n / 4);
}`,
    /`relu4` gets `reinterpret_cast<const float4\*>\(tmp\)` for `t`/,
  ],
];

for (const [what, src, reason] of refusals) test(`no fix: ${what}`, () => refused(src, reason));

test('no fix for the fixtures the fix cannot rewrite, each with its reason', () => {
  assert.deepEqual(reasonsOf('blas_level1_steps.cu'), ['`cublasSscal` is not a kernel defined in this file']);
  assert.deepEqual(reasonsOf('conditional_steps.cu'), ['the launches run under different conditions: the fused kernel would need them as flags']);
  assert.deepEqual(reasonsOf('control_flow_and_consumers.cu'), ['the launches run under different conditions: the fused kernel would need them as flags']);
});

// --- Triton: torch elementwise ops after a launch, folded into a copy of the kernel before its store

const TRITON_KERNEL = `import torch
import triton
import triton.language as tl


@triton.jit
def add_kernel(x_ptr, y_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    x = tl.load(x_ptr + offs, mask=m)
    y = tl.load(y_ptr + offs, mask=m)
    tl.store(out_ptr + offs, x + y, mask=m)

`;
const tritonHost = (body: string, params = 'x: torch.Tensor, y: torch.Tensor') => `${TRITON_KERNEL}
def f(${params}) -> torch.Tensor:
${body}
`;

test('Triton: the ops fold into a copy of the kernel before its store; the host launches the copy and returns the buffer', () => {
  const { fix, after } = fixOf(
    tritonHost(
      `    out = torch.empty_like(x)
    add_kernel[(triton.cdiv(x.numel(), 1024),)](x, y, out, x.numel(), BLOCK=1024)
    return torch.relu(out * alpha) + x`,
      'x: torch.Tensor, y: torch.Tensor, alpha: float',
    ),
    'add.py',
  ) as { fix: Fix; after: string };
  assert.equal(fix.safe, false, 'Triton math and the store cast: for review');
  assert.match(fix.title, /Fold `torch\.relu\(out \* alpha\) \+ x` into a copy of `add_kernel` before its store \(`f_kernel`/);
  // the original kernel stays, the copy takes the scalar as a parameter and reuses the loaded x
  assert.match(after, /def add_kernel\(x_ptr, y_ptr, out_ptr, n, BLOCK: tl\.constexpr\):/);
  assert.match(after, /def f_kernel\(x_ptr, y_ptr, out_ptr, n, BLOCK: tl\.constexpr, alpha\):/);
  assert.match(after, /    out_val = x \+ y\n    out_val = tl\.maximum\(out_val \* alpha, 0\.0\) \+ x\n    tl\.store\(out_ptr \+ offs, out_val, mask=m\)/);
  assert.match(after, /f_kernel\[\(triton\.cdiv\(x\.numel\(\), 1024\),\)\]\(x, y, out, x\.numel\(\), BLOCK=1024, alpha=alpha\)\n    return out\n/);
  assert.deepEqual(findings(after, 'add.py'), [], 'the fixed text is quiet');
});

test('Triton: an in-place op goes from the host; a tensor of the output shape is loaded at the stored offsets', () => {
  const { after } = fixOf(
    tritonHost(`    out = torch.empty_like(x)
    r = torch.randn_like(x)
    add_kernel[(triton.cdiv(x.numel(), 1024),)](x, y, out, x.numel(), BLOCK=1024)
    out.sub_(r)
    return out`),
    'add.py',
  ) as { fix: Fix; after: string };
  assert.match(after, /def f_kernel\(x_ptr, y_ptr, out_ptr, n, BLOCK: tl\.constexpr, r_ptr\):/);
  assert.match(after, /out_val = out_val - tl\.load\(r_ptr \+ offs, mask=m\)/);
  assert.match(after, /BLOCK=1024, r_ptr=r\)\n    return out\n/);
  assert.doesNotMatch(after, /^    out\.sub_\(r\)$/m, 'the in-place op is gone from the host');
  assert.match(after, /# out\.sub_\(r\), from f, folded in before the store/);
});

const tritonRefusals: [string, string, RegExp][] = [
  [
    'the buffer is read again',
    tritonHost(`    out = torch.empty_like(x)
    add_kernel[(triton.cdiv(x.numel(), 1024),)](x, y, out, x.numel(), BLOCK=1024)
    r = torch.relu(out)
    return r + out`),
    /`out` is read again on line \d+: it must keep the kernel's own values/,
  ],
  [
    "the caller's buffer",
    tritonHost(
      `    add_kernel[(triton.cdiv(x.numel(), 1024),)](x, y, out, x.numel(), BLOCK=1024)
    return torch.relu(out)`,
      'x: torch.Tensor, y: torch.Tensor, out: torch.Tensor',
    ),
    /`out` is not created in `f`: its caller may expect the kernel's own values in it/,
  ],
  [
    'an op with no tl equivalent',
    tritonHost(`    out = torch.empty_like(x)
    add_kernel[(triton.cdiv(x.numel(), 1024),)](x, y, out, x.numel(), BLOCK=1024)
    return torch.tanh(out)`),
    /`torch\.tanh` has no direct `tl` equivalent/,
  ],
  [
    'a power',
    tritonHost(`    out = torch.empty_like(x)
    add_kernel[(triton.cdiv(x.numel(), 1024),)](x, y, out, x.numel(), BLOCK=1024)
    return out ** 2`),
    /`\*\*` has no direct `tl` equivalent/,
  ],
  [
    'a tensor operand of unknown shape',
    tritonHost(
      `    out = torch.empty_like(x)
    add_kernel[(triton.cdiv(x.numel(), 1024),)](x, y, out, x.numel(), BLOCK=1024)
    return out + bias`,
      'x: torch.Tensor, y: torch.Tensor, bias: torch.Tensor',
    ),
    /`bias` is not known to have the shape of `out`/,
  ],
];
for (const [what, src, reason] of tritonRefusals) test(`Triton, no fix: ${what}`, () => refused(src, reason, 'add.py'));

test('Triton, no fix for the fixtures that need more than a fold before the store', () => {
  assert.deepEqual(reasonsOf('scale_then_bias_relu.py'), ['fusing two Triton kernels into one is not automated: merge their bodies between the loads and the store by hand']);
  assert.match(reasonsOf('autotuned_activation.py')[0], /F\.gelu\(h, approximate="tanh"\)` has no direct `tl` equivalent \(its options differ\)/);
  assert.match(reasonsOf('host_helpers.py')[0], /launches the kernel inside its own body/);
});
