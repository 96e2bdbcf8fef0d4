// fusion/attention on a decode step written with a warp per cached timestep: the scores
// kernel multiplies every cached key by one query vector per head (`q[i] * k[t * kv_dim + i]`,
// `t` from the warp's own loop), a row per head rather than a T×T matrix. Prefill, a query
// row per block against every key row, is still unfused attention. (Other rules' findings on
// these kernels are their fixtures' business: this test reads fusion/attention only.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '../server/src/core/engine';

const SCORES = (name: string, query: string, keyRows: string, store: string) => `
__global__ void ${name}(int len, int T, const float *qs, float *att, const float *keys, int dim, int hs) {
  int h = blockIdx.x, qi = blockIdx.y, warp = threadIdx.x / 32, lane = threadIdx.x % 32, warps = blockDim.x / 32;
  for (int t = warp; t < ${keyRows}; t += warps) {
    float s = 0.f;
    for (int i = lane; i < hs; i += 32) s += ${query} * keys[t * dim + h * hs + i];
    for (int o = 16; o > 0; o >>= 1) s += __shfl_xor_sync(0xffffffff, s, o);
    if (lane == 0) att[${store}] = s;
  }
}`;

const TEXT = `${SCORES('decode_scores', 'qs[h * hs + i]', 'len', 'h * T + t')}
${SCORES('prefill_scores', 'qs[qi * dim + h * hs + i]', 'T', '(h * T + qi) * T + t')}
__global__ void row_softmax(float *att, int T, int len) {
  float *row = att + blockIdx.x * T;
  if (threadIdx.x == 0) {
    float m = row[0], s = 0.f;
    for (int t = 1; t < len; ++t) m = fmaxf(m, row[t]);
    for (int t = 0; t < len; ++t) { row[t] = expf(row[t] - m); s += row[t]; }
    for (int t = 0; t < len; ++t) row[t] /= s;
  }
}
__global__ void weighted_values(int len, int T, const float *att, float *out, const float *values, int dim, int hs) {
  const float *row = att + blockIdx.x * T;
  for (int i = threadIdx.x; i < hs; i += blockDim.x) {
    float v = 0.f;
    for (int t = 0; t < len; t++) v += row[t] * values[t * dim + (blockIdx.x % 32) * hs + i];
    out[blockIdx.x * hs + i] = v;
  }
}
void decode_attention(int pos, int heads, int T, const float *q, float *att, float *out, const float *k, const float *v, int dim, int hs) {
  decode_scores<<<heads, 256>>>(pos + 1, T, q, att, k, dim, hs);
  row_softmax<<<heads, 32>>>(att, T, pos + 1);
  weighted_values<<<heads, 128>>>(pos + 1, T, att, out, v, dim, hs);
}
void prefill_attention(int T, int heads, const float *q, float *att, float *out, const float *k, const float *v, int dim, int hs) {
  prefill_scores<<<dim3(heads, T), 256>>>(T, T, q, att, k, dim, hs);
  row_softmax<<<heads * T, 32>>>(att, T, T);
  weighted_values<<<heads * T, 128>>>(T, T, att, out, v, dim, hs);
}
`;

test('a decode step whose scores kernel gives each warp a cached timestep scores one query: no T×T attention; prefill is', async () => {
  const engine = await Engine.create(['cuda']);
  const found = engine.analyzeText('/work/attention.cu', TEXT).findings.filter((f) => f.rule === 'fusion/attention');
  assert.deepEqual(found.map((f) => f.function), ['prefill_attention']);
});
