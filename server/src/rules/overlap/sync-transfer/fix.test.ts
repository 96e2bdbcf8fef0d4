// The fixes of overlap/sync-transfer: where they are offered, what they write, and why
// none is offered elsewhere (the before/after fixtures are in test/fixes.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyEdits } from '../../../core/fix';
import { fixTests } from '../../../../../test/support/fixes';

const { freshOutcomes } = fixTests('overlap/sync-transfer');

const SCALE = `__global__ void scale(const float *in, float *out, float s, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) out[i] = s * in[i];
}
`;

/** A chunk loop around `body`, with `kernels` defined above it. */
const chunks = (body: string, kernels = SCALE, params = 'const float *h_in, float *h_out, float *d_in, float *d_out, size_t total, int chunk') =>
  `#include <cuda_runtime.h>\n${kernels}\nvoid run(${params}) {\n  for (size_t off = 0; off < total; off += chunk) {\n${body}  }\n}\n`;

const IN = '    cudaMemcpy(d_in, h_in + off, chunk * sizeof(float), cudaMemcpyHostToDevice);\n';
const LAUNCH = '    scale<<<(chunk + 255) / 256, 256>>>(d_in, d_out, 2.0f, chunk);\n';
const OUT = '    cudaMemcpy(h_out + off, d_out, chunk * sizeof(float), cudaMemcpyDeviceToHost);\n';

function only(text: string, path = 'a.cu') {
  const all = freshOutcomes(text, path);
  assert.equal(all.length, 1, 'one finding');
  return all[0];
}

test('copy in, launch, copy out per chunk: page-locked host memory and cudaMemcpyAsync on 4 streams, not safe', () => {
  const text = chunks(IN + LAUNCH + OUT);
  const o = only(text);
  assert.equal(o.fixes.length, 1);
  const f = o.fixes[0];
  assert.equal(f.safe, false);
  assert.match(f.title, /4 streams.*cudaHostRegister/);
  const after = applyEdits(text, f.edits);
  // the host memory the loop copies, locked for the loop: one chunk per iteration, ceil(total / chunk) iterations
  assert.match(after, /const size_t chunk_count = total > 0 \? \(total \+ chunk - 1\) \/ chunk : 0;/);
  assert.match(after, /const bool h_in_locked = page_lock\(h_in, chunk_count \* chunk_bytes\);/);
  assert.match(after, /if \(h_out_locked\) cudaHostUnregister\(\(void \*\)h_out\);/);
  // async copies and the launch on the chunk's stream, round-robin, a stream's device buffers reused only once it is done
  assert.match(after, /cudaStreamSynchronize\(streams\[slot\]\);.*\n {4}cudaMemcpyAsync\(d_in_buf\[slot\], h_in \+ off, chunk_bytes, cudaMemcpyHostToDevice, streams\[slot\]\);/);
  assert.match(after, /scale<<<\(chunk \+ 255\) \/ 256, 256, 0, streams\[slot\]>>>\(d_in_buf\[slot\], d_out_buf\[slot\], 2\.0f, chunk\);/);
  assert.match(after, /cudaMemcpyAsync\(h_out \+ off, d_out_buf\[slot\], chunk_bytes, cudaMemcpyDeviceToHost, streams\[slot\]\);\n {4}slot = \(slot \+ 1\) % kStreams;/);
  // every stream waited on after the loop, before the host memory is unlocked
  assert.ok(after.indexOf('cudaStreamSynchronize(streams[s]);') < after.indexOf('cudaHostUnregister'));
  // the caller's device buffers end up as before, everything allocated is freed
  assert.match(after, /cudaMemcpy\(d_out, d_out_buf\[last\], chunk_bytes, cudaMemcpyDeviceToDevice\);/);
  for (const free of ['cudaFree(d_in_buf[s])', 'cudaStreamDestroy(streams[s])', 'cudaEventDestroy(ready)']) assert.ok(after.includes(free), free);
  assert.deepEqual(freshOutcomes(after, 'a.cu'), []);
});

test('a chunk-index loop with a start other than 0: the locked span starts at the first chunk', () => {
  const text = chunks(
    '    cudaMemcpy(d_in, h_in + (size_t)c * chunk, chunk * sizeof(float), cudaMemcpyHostToDevice);\n' + LAUNCH + '    cudaMemcpy(h_out + (size_t)c * chunk, d_out, chunk * sizeof(float), cudaMemcpyDeviceToHost);\n',
  ).replace('for (size_t off = 0; off < total; off += chunk)', 'for (int c = first; c < last; ++c)').replace('size_t total', 'int first, int last');
  const after = applyEdits(text, only(text).fixes[0].edits);
  assert.match(after, /const size_t chunk_count = last > first \? last - first : 0;/);
  assert.match(after, /page_lock\(h_in \+ \(size_t\)first \* chunk, chunk_count \* chunk_bytes\)/);
  assert.match(after, /cudaHostUnregister\(\(void \*\)\(h_out \+ \(size_t\)first \* chunk\)\)/);
});

test('generated names never clash with the function\'s own', () => {
  const text = chunks(IN + LAUNCH + OUT, SCALE, 'const float *h_in, float *h_out, float *d_in, float *d_out, size_t total, int chunk, int slot, float *streams');
  const after = applyEdits(text, only(text).fixes[0].edits);
  assert.match(after, /int slot2 = 0/);
  assert.match(after, /cudaStream_t streams2\[kStreams\];/);
});

const refused = (text: string, why: RegExp, path = 'a.cu') => {
  const o = only(text, path);
  assert.deepEqual(o.fixes, []);
  assert.match(o.reason ?? '', why);
};

test('not offered: a kernel defined elsewhere', () => {
  const path = join(__dirname, 'fixtures', 'chunked_blocking_copies.cu');
  const o = freshOutcomes(readFileSync(path, 'utf8'), path).find((x) => x.finding.function === 'scale_chunks')!;
  assert.deepEqual(o.fixes, []);
  assert.match(o.reason ?? '', /`scale_kernel` is not defined in this file/);
});

test('not offered: a kernel that reads past its own element (a halo)', () => {
  const halo = SCALE.replace('out[i] = s * in[i]', 'out[i] = s * (in[i] + in[i + 1])');
  refused(chunks(IN + LAUNCH + OUT, halo), /reaches `in` at other elements than its thread's own/);
});

test('not offered: a kernel that may skip elements of a reused output buffer', () => {
  const cond = SCALE.replace('if (i < n) out[i] = s * in[i];', 'if (i < n && in[i] > 0.0f) out[i] = s * in[i];');
  refused(chunks(IN + LAUNCH + OUT, cond), /may skip elements of `out`/);
});

test('not offered: a kernel that reads its reused output buffer', () => {
  const rmw = SCALE.replace('out[i] = s * in[i]', 'out[i] += s * in[i]');
  refused(chunks(IN + LAUNCH + OUT, rmw), /reads `out`/);
});

test('not offered: a kernel that writes memory every chunk shares', () => {
  const sum = `__global__ void scale(const float *in, float *out, float *sum, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) { out[i] = 2.0f * in[i]; atomicAdd(sum, in[i]); }
}
`;
  refused(chunks(IN + '    scale<<<(chunk + 255) / 256, 256>>>(d_in, d_out, d_sum, chunk);\n' + OUT, sum, 'const float *h_in, float *h_out, float *d_in, float *d_out, float *d_sum, size_t total, int chunk'), /writes `sum` \(`d_sum`\), which every chunk shares/);
});

test('not offered: host code that reads the results inside the loop', () => {
  refused(chunks(IN + LAUNCH + OUT + '    if (h_out[off] < 0.0f) break;\n'), /does more than copy in, launch and copy out/);
});

test('not offered: a copy size that changes with the iteration', () => {
  const tail = '    cudaMemcpy(d_in, h_in + off, (total - off < chunk ? total - off : chunk) * sizeof(float), cudaMemcpyHostToDevice);\n';
  refused(chunks(tail + LAUNCH + OUT), /size of .* changes with the iteration/);
});

test('not offered: copies of a size other than the elements the kernel touches', () => {
  refused(chunks(IN + LAUNCH.replace('2.0f, chunk)', '2.0f, chunk / 2)') + OUT), /moves `chunk \* sizeof\(float\)` bytes, not the `chunk \/ 2` elements/);
  refused(chunks(IN.replace('sizeof(float)', 'sizeof(double)') + LAUNCH + OUT), /copies `sizeof\(double\)` elements of a `float` buffer/);
});

test('not offered: a launch on a stream of its own', () => {
  refused(chunks(IN + LAUNCH.replace('256>>>', '256, 0, stream>>>') + OUT, SCALE, 'const float *h_in, float *h_out, float *d_in, float *d_out, size_t total, int chunk, cudaStream_t stream'), /already runs on a stream of its own/);
});

test('in-place host slices: offered when each chunk has its own, not when they could overlap', () => {
  const inplace = (bytes: string) =>
    chunks(`    cudaMemcpy(d_in, h + off, ${bytes}, cudaMemcpyHostToDevice);\n    scale<<<(chunk + 255) / 256, 256>>>(d_in, d_out, 2.0f, chunk);\n    cudaMemcpy(h + off, d_out, ${bytes}, cudaMemcpyDeviceToHost);\n`, SCALE, 'float *h, float *d_in, float *d_out, size_t total, int chunk');
  refused(inplace('2 * chunk * sizeof(float)'), /`h \+ off` is not a slice of its own for each chunk/);
  assert.equal(only(inplace('chunk * sizeof(float)')).fixes.length, 1);
});

test('device slices: used in place when each chunk has its own, refused when they could overlap', () => {
  const slices = (dev: string) =>
    chunks(`    cudaMemcpy(${dev}, h_in + off, chunk * sizeof(float), cudaMemcpyHostToDevice);\n    scale<<<(chunk + 255) / 256, 256>>>(${dev}, d_out + off, 2.0f, chunk);\n    cudaMemcpy(h_out + off, d_out + off, chunk * sizeof(float), cudaMemcpyDeviceToHost);\n`);
  const ok = only(slices('d_in + off'));
  assert.equal(ok.fixes.length, 1);
  assert.doesNotMatch(applyEdits(slices('d_in + off'), ok.fixes[0].edits), /cudaMalloc\(/);
  refused(slices('d_in + off / 2'), /device slices \(`d_in \+ off \/ 2`\) of different chunks could overlap/);
});

test('not offered: a wait in a function called in a loop elsewhere', () => {
  const path = join(__dirname, 'fixtures', 'chunked_blocking_copies.cu');
  const o = freshOutcomes(readFileSync(path, 'utf8'), path).find((x) => x.finding.function === 'process_one')!;
  assert.deepEqual(o.fixes, []);
  assert.match(o.reason ?? '', /called in a loop elsewhere/);
});

test('a device sync every step of pure host code: one wait after the loop, safe', () => {
  const path = join(__dirname, 'fixtures', 'chunked_blocking_copies.cu');
  const text = readFileSync(path, 'utf8');
  const o = freshOutcomes(text, path).find((x) => x.finding.function === 'heat_run')!;
  assert.equal(o.fixes[0].safe, true);
  const after = applyEdits(text, o.fixes[0].edits);
  assert.match(after, /d_v = tmp;\n {2}\}\n {2}\/\/ one wait after the loop.*\n {2}cudaDeviceSynchronize\(\);\n\}/);
  assert.doesNotMatch(after, /heat_step<<<[^\n]*\n {4}cudaDeviceSynchronize/);
});

test('not offered: a device sync next to host calls, or with launches on two streams', () => {
  const kernel = '__global__ void step(float *u, int n) {\n  int i = blockIdx.x * blockDim.x + threadIdx.x;\n  if (i < n) u[i] *= 0.5f;\n}\n';
  const loop = (body: string) => `#include <cstdio>\n#include <cuda_runtime.h>\n${kernel}void run(float *d_u, int n, int steps, cudaStream_t a, cudaStream_t b) {\n  for (int t = 0; t < steps; ++t) {\n${body}  }\n}\n`;
  refused(loop('    step<<<1, 256>>>(d_u, n);\n    cudaDeviceSynchronize();\n    printf("step %d\\n", t);\n'), /also runs `printf/);
  refused(loop('    step<<<1, 256, 0, a>>>(d_u, n);\n    step<<<1, 256, 0, b>>>(d_u, n);\n    cudaDeviceSynchronize();\n'), /different streams/);
  refused(loop('    step<<<1, 256, 0, a>>>(d_u, n);\n    cudaStreamSynchronize(b);\n'), /another stream/);
  // a launch argument read through a pointer (managed memory the last kernel may have written)
  refused(loop('    step<<<1, 256>>>(d_u, d_u[0] > 0.0f ? n : 0);\n    cudaDeviceSynchronize();\n'), /also runs `step<<<1, 256>>>\(d_u, d_u\[0\]/);
});

test('Python: .item() is left to the user, torch.cuda.synchronize() moves after the loop (not safe)', () => {
  const path = join(__dirname, 'fixtures', 'train_loop_item.py');
  const text = readFileSync(path, 'utf8');
  const all = freshOutcomes(text, path);
  const item = all.find((x) => x.finding.function === 'train')!;
  assert.deepEqual(item.fixes, []);
  assert.match(item.reason ?? '', /`loss\.item\(\)` brings a value to the host every iteration/);
  const sync = all.find((x) => x.finding.function === 'bench')!;
  assert.equal(sync.fixes[0].safe, false);
  const after = applyEdits(text, sync.fixes[0].edits);
  assert.match(after, /BLOCK=1024\)\n {4}# one wait after the loop.*\n {4}torch\.cuda\.synchronize\(\)\n/);
});
