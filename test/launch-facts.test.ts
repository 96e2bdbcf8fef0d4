// What a launch's configuration says once its constants are folded (core/facts/evaluate.ts):
// C's integer arithmetic on constants (`(4 + 16 - 1) / 16` is one block), dim3 extents, and
// the stream a launch runs on.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '../server/src/core/engine';
import type { CallFact } from '../server/src/core/facts/model';

let engine: Engine;
before(async () => {
  engine = await Engine.create(['cuda']);
});

function launches(text: string): CallFact[] {
  const tree = engine.parsers.parse('cuda', text);
  try {
    return engine.facts('cuda', tree, text.split('\n')).functions.flatMap((f) => f.calls.filter((c) => c.kind === 'launch'));
  } finally {
    tree.delete();
  }
}

const K = '__global__ void k(float* x) { x[threadIdx.x] = 0; }\n';

test('a grid of rounded-up constants is a constant number of blocks', () => {
  const [a, b, c, d] = launches(`${K}int main() {
  const int width = 4, height = 40;
  dim3 block(16, 16);
  dim3 g1((width + 15) / 16);
  dim3 g2((width + block.x - 1) / block.x, (height + block.y - 1) / block.y);
  k<<<g1, block>>>(0);
  k<<<g2, block>>>(0);
  k<<<(1000 + 255) / 256, 256>>>(0);
  k<<<(height % 7) << 1, 256>>>(0);
}`);
  assert.equal(a.gridBlocks, 1);
  assert.equal(b.gridBlocks, 3);
  assert.equal(c.gridBlocks, 4);
  assert.equal(d.gridBlocks, 10);
});

test('a grid from a run-time size stays unknown; a division by zero folds to nothing', () => {
  const [a, b] = launches(`${K}void run(int n) {
  k<<<(n + 255) / 256, 256>>>(0);
  k<<<(4 + 1) / 0, 256>>>(0);
}`);
  assert.equal(a.gridBlocks, undefined);
  assert.equal(b.gridBlocks, undefined);
});

test('the stream argument is kept; the default stream is none', () => {
  const [a, b, c] = launches(`${K}void run(cudaStream_t s1) {
  k<<<1, 32, 0, s1>>>(0);
  k<<<1, 32, 0, 0>>>(0);
  k<<<1, 32>>>(0);
}`);
  assert.equal(a.stream, 's1');
  assert.equal(b.stream, undefined);
  assert.equal(c.stream, undefined);
});

function kernels(text: string) {
  const tree = engine.parsers.parse('cuda', text);
  try {
    return engine.facts('cuda', tree, text.split('\n')).functions.filter((f) => f.isKernel);
  } finally {
    tree.delete();
  }
}

test("a tree reduction's `tid < s` is a step of the block's work, not the count its threads are checked against", () => {
  const [tree, checked] = kernels(`
__global__ void tree(float *out, const float *x) {
  __shared__ float s_part[256];
  s_part[threadIdx.x] = x[blockIdx.x * 256 + threadIdx.x];
  for (unsigned s = 128; s > 0; s >>= 1) { __syncthreads(); if (threadIdx.x < s) s_part[threadIdx.x] += s_part[threadIdx.x + s]; }
  if (threadIdx.x == 0) out[blockIdx.x] = s_part[0];
}
__global__ void checked(float *out, const float *x, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) out[i] = x[i];
}`);
  assert.equal(tree.indexBound, null);
  assert.equal(checked.indexBound, 'n');
});

test('each overload of a kernel name takes the launches with its number of arguments', () => {
  const [whole, rest] = kernels(`
__global__ void add(int *o, int len, const int *c) { o[blockIdx.x * len + threadIdx.x] += c[blockIdx.x]; }
__global__ void add(int *o, int len, const int *a, const int *b) { o[blockIdx.x * len + threadIdx.x] += a[0] + b[0]; }
void fix(int *o, int *a, int *b, int blocks, int rest) {
  add<<<blocks, 1024>>>(o, 1024, a);
  add<<<1, rest>>>(o, rest, a, b);
}`);
  assert.ok(!whole.singleBlock);
  assert.equal(rest.singleBlock, true);
});
