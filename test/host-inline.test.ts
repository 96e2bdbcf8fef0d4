// Host helpers inlined where a loop calls them (core/facts/host-inline.ts): the loop nest two
// functions make together, and a cached caller read again when the helper changes.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '../server/src/core/engine';
import { FactsCache } from '../server/src/core/facts-cache';
import { DEFAULT_CONFIG } from '../server/src/core/config';
import { withInlined } from '../server/src/core/facts/host-inline';

let engine: Engine;
before(async () => {
  engine = await Engine.create(['cpp']);
});

const CALLER = `void mm(int m, int n, int k, double *a, double *b, double *c) {
  for (int j = 0; j < n; j++)
    for (int i = 0; i < m; i++)
      dot(k, &a[i * k], &b[j], n, &c[i * n + j]);
}
`;
const LOOPING = `void dot(int k, double *x, double *y, int ldy, double *out) {
  for (int p = 0; p < k; p++) *out += x[p] * y[p * ldy];
}
`;
const ONE_TERM = `void dot(int k, double *x, double *y, int ldy, double *out) {
  *out += x[0] * y[0];
}
`;

const nests = (text: string, cache?: FactsCache) => {
  const tree = engine.parsers.parse('cpp', text);
  try {
    return engine.analyzeTree('cpp', tree, text, DEFAULT_CONFIG, cache, undefined, 'mm.c').filter((f) => f.rule === 'tiling/cpu-loop-nest');
  } finally {
    tree.delete();
  }
};

test('a helper called in a loop nest adds its loops and accesses to the nest, kept apart from the caller\'s own', () => {
  const tree = engine.parsers.parse('cpp', CALLER + LOOPING);
  try {
    const mm = engine.facts('cpp', tree, (CALLER + LOOPING).split('\n')).functions.find((f) => f.name === 'mm')!;
    assert.equal(mm.loops.length, 2, 'the caller\'s own loops only');
    assert.equal(mm.inlined?.length, 1);
    const whole = withInlined(mm);
    const p = whole.loops.find((l) => l.variable === 'p')!;
    assert.equal(p.helper, 'dot');
    assert.equal(p.parent, mm.loops.find((l) => l.variable === 'i')!.id, 'the helper\'s loop sits under the call\'s loop');
    const x = whole.accesses.find((a) => a.array === 'a')!;
    assert.deepEqual(x.loops, [mm.loops[0].id, mm.loops[1].id, p.id]);
    assert.ok(x.indices[0].dependsOn((s) => s === p.symbol) && x.indices[0].dependsOn((s) => s === mm.loops[1].symbol), 'x[p] is a[i * k + p] at this call');
  } finally {
    tree.delete();
  }
});

test('the nest is found through the helper, and is gone when the helper loses its loop (cached caller read again)', () => {
  const cache = new FactsCache();
  const before = nests(CALLER + LOOPING, cache);
  assert.equal(before.length, 1);
  assert.equal(before[0].function, 'mm');
  assert.match(before[0].message, /3-deep nest \(j-i-p order\)/);
  assert.deepEqual(nests(CALLER + ONE_TERM, cache), [], 'the caller\'s text did not change, its helper did');
  assert.equal(nests(CALLER + LOOPING, cache).length, 1);
});

test('a helper\'s loop named like the loop around its call is named with its helper, and is a loop of its own to block', () => {
  const text = `void axpy(int n, double s, const double *x, double *y) {
  for (int i = 0; i < n; i++) y[i] += s * x[i];
}
void mm(int m, int n, int k, const double *a, const double *b, double *c) {
  for (int p = 0; p < k; p++)
    for (int i = 0; i < m; i++) axpy(n, a[p * m + i], &b[p * n], &c[i * n]);
}
`;
  const found = nests(text);
  assert.equal(found.length, 1);
  assert.match(found[0].message, /`c` re-read on every `p` of this unblocked 3-deep nest \(p-i-axpy\.i order\)/);
  assert.match(found[0].assumptions?.[0] ?? '', /the `i` and `i` \(in `axpy`\) loops sweep a 2-D block/);
});

test('a loop stepping by a cache tile hands tiles to the helper: neither the driver nor the helper is an unblocked nest', () => {
  const text = `void tile(int m, int n, int k, double *a, double *b, double *c) {
  for (int j = 0; j < n; j++)
    for (int i = 0; i < m; i++)
      dot(k, &a[i * k], &b[j], n, &c[i * n + j]);
}
void blocked(int m, int n, int k, double *a, double *b, double *c) {
  for (int pc = 0; pc < k; pc += 256)
    for (int ic = 0; ic < m; ic += 128)
      tile(128, n, 256, &a[ic * k + pc], &b[pc * n], &c[ic * n]);
}
` + LOOPING;
  assert.deepEqual(nests(text).map((f) => f.function), []);
});

test('a caller written before its helper finds the nest once the helper is written', () => {
  const cache = new FactsCache();
  assert.deepEqual(nests(CALLER, cache), []);
  assert.equal(nests(CALLER + LOOPING, cache).length, 1);
});
