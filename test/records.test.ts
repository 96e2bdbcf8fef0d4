// Element widths and fields of arrays of structures (core/facts/records.ts): each field is an access of its own
// type at its offset, the index counted in fields, under C's natural alignment.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '../server/src/core/engine';

let engine: Engine;
before(async () => {
  engine = await Engine.create(['cuda']);
});

/** The kernel's accesses as `text -> index (element type)`. */
function accesses(source: string): string[] {
  engine.analyzeText('/virtual/records.cu', source, undefined, undefined, undefined, { fixes: false });
  const fn = engine.lastAnalysisFacts?.functions.find((f) => f.name === 'k');
  return (fn?.accesses ?? []).map((a) => `${a.text} -> ${a.indices.map(String).join(',')} (${a.elemType}, ${a.elemBits})`);
}

test('mixed widths: a double field aligns the record to 8 bytes, an int after it is counted in ints', () => {
  const got = accesses(`struct R { char tag; double w; int n; };
__global__ void k(R* r, double* out) { int i = threadIdx.x; out[i] = r[i].w + r[i].n; }`);
  // R: tag at 0, w at 8, n at 16, size 24 (rounded to 8): w is double 1 of 3, n is int 4 of 6
  assert.ok(got.includes('r[i].w -> 3*threadIdx.x + 1 (double, 64)'), got.join('\n'));
  assert.ok(got.includes('r[i].n -> 6*threadIdx.x + 4 (int, 32)'), got.join('\n'));
});

test('a typedef struct with float3 members and alignas: components are 4-byte floats at their offsets', () => {
  const got = accesses(`typedef struct { float3 pos; float mass; } Body;
struct alignas(16) Padded { float v; };
__global__ void k(const Body* b, const Padded* p, float* out) { int i = threadIdx.x; out[i] = b[i].pos.z * b[i].mass + p[i].v; }`);
  assert.ok(got.includes('b[i].pos.z -> 4*threadIdx.x + 2 (float, 32)'), got.join('\n'));
  assert.ok(got.includes('b[i].mass -> 4*threadIdx.x + 3 (float, 32)'), got.join('\n'));
  assert.ok(got.includes('p[i].v -> 4*threadIdx.x (float, 32)'), got.join('\n'));
});

test('no layout: a struct with a pointer or a method, or a field that does not divide the record, stays a whole-element access', () => {
  const got = accesses(`struct Node { float* data; int n; };
struct Odd { char a; char b; char c; };
__global__ void k(Node* nodes, Odd* o, float* out) { int i = threadIdx.x; out[i] = nodes[i].n + o[i].b; }`);
  assert.ok(got.includes('nodes[i] -> threadIdx.x (Node, null)'), got.join('\n'));
  // Odd is 3 bytes of chars: `b` is char 1 of 3
  assert.ok(got.includes('o[i].b -> 3*threadIdx.x + 1 (char, 8)'), got.join('\n'));
});

test('64-bit integers of every spelling are 8 bytes: `unsigned long long int` masks (NMS) are not taken for 32-bit words', () => {
  const got = accesses(`__global__ void k(unsigned long long int* mask, long int* pos, int n) { int i = threadIdx.x; mask[i] = 1ULL << i; pos[i] = i; }`);
  assert.ok(got.includes('mask[i] -> threadIdx.x (unsigned long long int, 64)'), got.join('\n'));
  assert.ok(got.includes('pos[i] -> threadIdx.x (long int, 64)'), got.join('\n'));
});
