// A kernel whose work is a device lambda passed at the launch is listed as not modelled, not
// passed over in silence; a kernel that calls a functor but touches memory itself is analysed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '../server/src/core/engine';

const SOURCE = `
template <typename F>
__global__ void each(long n, F f)
{
    for (long i = threadIdx.x + (long)blockDim.x * blockIdx.x; i < n; i += (long)gridDim.x * blockDim.x) f(i);
}
template <typename Op>
__global__ void apply(const float* x, float* y, long n, Op op)
{
    long i = (long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) y[i] = op(x[i]);
}
template <typename F>
void for_each(long n, F f) { each<<<(n + 255) / 256, 256>>>(n, f); }
void copy(const float* a, float* c, long n) { for_each(n, [=] __device__ (long i) { c[i] = a[i]; }); }
void relu(const float* x, float* y, long n) { apply<<<(n + 255) / 256, 256>>>(x, y, n, [] __device__ (float v) { return v > 0.f ? v : 0.f; }); }
`;

test('a kernel that only calls a function object passed at the launch is listed in skipped, with why', async () => {
  const engine = await Engine.create(['cuda']);
  const r = engine.analyzeText('/tmp/ka-functor/streams.cu', SOURCE);
  const skipped = (r.skipped ?? []).filter((s) => /function object passed at the launch/.test(s.reason));
  assert.deepEqual(skipped.map((s) => [s.function, s.line]), [['each', 2]]);
  assert.match(skipped[0].reason, /`f\(\.\.\.\)`/);
  // `apply` moves its own data: analysed, not listed
  assert.ok(!(r.skipped ?? []).some((s) => s.function === 'apply'));
  assert.ok(r.findings.some((f) => f.function === 'apply'), 'the kernel with its own accesses keeps its findings');
});
