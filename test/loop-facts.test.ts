// What a kernel's loops say about how threads share the work (core/facts/cfamily.ts): a loop
// that starts at a thread's (or warp's) index and steps by the grid's count of them hands
// the elements to the whole grid, however the count is spelled.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '../server/src/core/engine';
import type { FunctionFacts } from '../server/src/core/facts/model';

let engine: Engine;
before(async () => {
  engine = await Engine.create(['cuda']);
});

function kernels(text: string): FunctionFacts[] {
  const tree = engine.parsers.parse('cuda', text);
  try {
    return engine.facts('cuda', tree, text.split('\n')).functions;
  } finally {
    tree.delete();
  }
}

test('a warp-stride loop over the grid is a grid-stride loop, with or without parentheses around its step', () => {
  const body = (warps: string) => `{
  int gid = blockIdx.x * blockDim.x + threadIdx.x;
  int warp = gid / 32, lane = gid % 32;
  int warps = ${warps};
  for (int seg = warp; seg < nseg; seg += warps) {
    int off = offsets[seg];
    int len = lengths[seg];
    for (int e = lane; e < len; e += 32) v[off + e] = 0.f;
  }
}`;
  const fns = kernels(`__global__ void plain(const int* offsets, const int* lengths, int nseg, float* v) ${body('blockDim.x * gridDim.x / 32')}
__global__ void grouped(const int* offsets, const int* lengths, int nseg, float* v) ${body('(blockDim.x * gridDim.x) / 32')}
`);
  for (const f of fns) {
    const seg = f.loops.find((l) => l.variable === 'seg')!;
    assert.equal(seg.gridStride, true, `${f.name}: the segment loop steps over the grid's warps`);
    assert.equal(seg.blockStride, false, f.name);
    // (two arrays read at the segment's index are no GEMM: the loop hands segments to warps, it walks no k)
    assert.notEqual(f.kernelClass, 'gemm', f.name);
  }
});

test("a conversion operator (`operator T *()` of a SharedMemory<T> helper) is read as a function, not skipped", () => {
  const text = `template <class T>
struct SharedMemory {
  __device__ inline operator T *() {
    extern __shared__ int __smem[];
    return (T *)__smem;
  }
  __device__ inline operator const T *() const {
    extern __shared__ int __smem[];
    return (T *)__smem;
  }
};
template <> struct SharedMemory<double> {
  __device__ inline operator double *() { extern __shared__ double __smem_d[]; return (double *)__smem_d; }
};
`;
  const tree = engine.parsers.parse('cuda', text);
  try {
    const facts = engine.facts('cuda', tree, text.split('\n'));
    assert.deepEqual(facts.skipped, []);
    assert.deepEqual(facts.functions.map((f) => [f.name, f.params.length, f.isDevice]), [
      ['operator T *', 0, true], ['operator const T *', 0, true], ['operator double *', 0, true]]);
  } finally {
    tree.delete();
  }
});

test('classifier: the rows of one buffer each copied to an output of its own are an elementwise copy; neighbours combined, also into several outputs, a stencil', () => {
  const text = `__global__ void split_qkv(float *q, float *k, float *v, const float *inp, int NH, int d, int n) {
  int idx = blockIdx.x * blockDim.x + threadIdx.x;
  if (idx < n) { int j = (idx / d) * 3 * NH * d + idx % d; q[idx] = inp[j]; k[idx] = inp[j + NH * d]; v[idx] = inp[j + 2 * NH * d]; }
}
__global__ void vertical_ops(float *blur, float *dy, float *dyy, const float *in, int W, int H) {
  int idx = blockIdx.x * blockDim.x + threadIdx.x;
  if (idx >= W && idx < (H - 1) * W) {
    blur[idx] = (in[idx - W] + in[idx] + in[idx + W]) / 3.0f;
    dy[idx] = 0.5f * (in[idx + W] - in[idx - W]);
    dyy[idx] = in[idx + W] - 2.0f * in[idx] + in[idx - W];
  }
}
__global__ void derivatives(const float *u, float *du, float *d2u, float *us, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i > 0 && i < n - 1) { du[i] = u[i + 1] - u[i - 1]; d2u[i] = u[i + 1] - 2.0f * u[i] + u[i - 1]; us[i] = 0.25f * u[i - 1] + 0.5f * u[i] + 0.25f * u[i + 1]; }
}
`;
  assert.deepEqual(kernels(text).map((f) => [f.name, f.kernelClass]), [['split_qkv', 'elementwise'], ['vertical_ops', 'stencil'], ['derivatives', 'stencil']]);
});

test('a loop over a local list counted with sizeof (`sizeof(block_sizes) / sizeof(int)`) runs as many times as the list has items', () => {
  const [f] = kernels(`void sweep(float* d) {
  int block_sizes[] = {32, 64, 128, 256, 512, 1024};
  for (int j = 0; j < sizeof(block_sizes) / sizeof(int); j++) run(d, block_sizes[j]);
  float eps[3];
  for (int k = 0; k < sizeof(eps) / sizeof(eps[0]); k++) run(d, k);
  int* sizes = pick();
  for (int m = 0; m < sizeof(sizes) / sizeof(int); m++) run(d, m);
}`);
  assert.equal(f.loops.find((l) => l.variable === 'j')?.trips, 6);
  assert.equal(f.loops.find((l) => l.variable === 'k')?.trips, 3);
  // (a pointer's sizeof is no count of anything)
  assert.equal(f.loops.find((l) => l.variable === 'm')?.trips, undefined);
});

test('a pragma between unbraced nested loops (`for i / for j / #pragma unroll / for k`) leaves the innermost loop inside the one above it', () => {
  const [f] = kernels(`__global__ void tile(const float* a, float* out, int n) {
  float acc = 0.f;
  for (int t = 0; t < n; t++) {
    for (int i = 0; i < 4; i++)
      for (int j = 0; j < 4; j++)
#pragma unroll
        for (int k = 0; k < 4; k++)
          acc += a[((t * 4 + i) * 4 + j) * 4 + k];
  }
  out[threadIdx.x] = acc;
}
`);
  const byVar = new Map(f.loops.map((l) => [l.variable, l]));
  assert.equal(byVar.get('k')!.parent, byVar.get('j')!.id, 'k is inside j');
  assert.equal(byVar.get('j')!.parent, byVar.get('i')!.id, 'j is inside i');
  assert.deepEqual(byVar.get('k')!.pragmas, ['unroll']);
  assert.equal(f.accesses.find((a) => a.array === 'a')!.loops.length, 4, 'the read is under all four loops');
});
