// The headers a file includes (core/header-index.ts): their kernels and launch wrappers are seen by a file checked
// alone, by the fixes an editor asks for on it, and by a check of several files that do not list the headers.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../server/src/core/engine';
import { DEFAULT_CONFIG } from '../server/src/core/config';
import { runCheck } from '../server/src/cli';

let engine: Engine;
before(async () => {
  engine = await Engine.create();
});

/** Writes the files under a fresh folder; an engine of its own reads headers from it. */
function project(files: Record<string, string>): { root: string; fresh: Engine } {
  const root = mkdtempSync(join(tmpdir(), 'ka-headers-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(root, name), text);
  const fresh = new Engine(engine.parsers, engine.knowledge);
  fresh.setWorkspace([root]);
  return { root, fresh };
}

const LAUNCHER = `#pragma once
__global__ void rows_box(const float *src, float *dst, int width);
inline void rows_box_launch(const float *src, float *dst, int width, int height) {
  rows_box<<<dim3(width / 64, height / 4), dim3(16, 4)>>>(src, dst, width);
}
`;
const KERNEL = `#include "rows_launch.cuh"
__global__ void rows_box(const float *src, float *dst, int width) {
  __shared__ float tile[4][128];
  const int x0 = (blockIdx.x * 4 - 2) * 16 + threadIdx.x;
  const int y = blockIdx.y * 4 + threadIdx.y;
  for (int s = 0; s < 8; ++s) {
    const int x = x0 + s * 16;
    tile[threadIdx.y][threadIdx.x + s * 16] = (x >= 0 && x < width) ? src[y * width + x] : 0.0f;
  }
  __syncthreads();
  for (int s = 2; s < 6; ++s) {
    float acc = 0.0f;
    for (int t = -2; t <= 2; ++t) acc += tile[threadIdx.y][threadIdx.x + s * 16 + t];
    dst[y * width + x0 + s * 16] = acc / 5.0f;
  }
}
`;

test('a kernel launched from an included header takes that launch\'s block, and the editor\'s fix for it is the CLI\'s', () => {
  const { root, fresh } = project({ 'rows_launch.cuh': LAUNCHER, 'rows_box.cu': KERNEL });
  const path = join(root, 'rows_box.cu');
  const found = fresh.analyzeText(path, KERNEL, DEFAULT_CONFIG, undefined, undefined, { fixes: false }).findings.filter((f) => f.rule === 'memory/shared-bank-conflict');
  assert.equal(found.length, 1, 'the 16 x 4 block of the header\'s launch makes two rows of 16 a warp: 2-way');
  const outcomes = fresh.fixOutcomes(path, KERNEL, found);
  assert.match(outcomes.get(found[0])?.fixes[0]?.title ?? '', /Pad the inner dimension of `tile` to `144`/);
});

const WRAPPER = `#pragma once
__global__ void scale4(float4 *out, const float4 *in, float s, int n4) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n4) { float4 v = in[i]; out[i] = make_float4(s * v.x, s * v.y, s * v.z, s * v.w); }
}
inline void scale_forward(float *out, const float *in, float s, int n) {
  scale4<<<(n / 4 + 255) / 256, 256>>>(reinterpret_cast<float4 *>(out), reinterpret_cast<const float4 *>(in), s, n / 4);
}
`;
const DRIVER = `#include "scale_ops.cuh"
void train(float *act, float *out, int n, int steps) {
  for (int step = 0; step < steps; ++step) {
    scale_forward(out, act, 0.5f, n);
    cudaDeviceSynchronize();
  }
}
`;

test('a check of several files that do not list the header still sees the wrappers it defines', () => {
  const { root, fresh } = project({ 'scale_ops.cuh': WRAPPER, 'driver.cu': DRIVER, 'loader.cu': 'int load_batch(int *dst, int n) { return n; }\n' });
  const report = runCheck(fresh, [join(root, 'driver.cu'), join(root, 'loader.cu')], DEFAULT_CONFIG);
  assert.deepEqual(report.findings.map((f) => `${f.rule} ${f.range.start.line}`), ['overlap/sync-transfer 4']);
});
