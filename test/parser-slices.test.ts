// Parsing in slices (Parsers.startParse): tree-sitter halts when the progress callback
// says so and resumes on the next call; the result is the tree a one-shot parse gives,
// other files parse between two slices, and the time limit counts the slices' time.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { Edit, type Tree } from 'web-tree-sitter';
import { Parsers, ParseTimeout, type SlicedParse } from '../server/src/core/parser';
import { generateCuda } from './bench/generate';

let parsers: Parsers;
before(async () => {
  parsers = await Parsers.load(['cuda']);
});

const SMALL = '__global__ void k(float* a) { a[threadIdx.x] = 0.f; }\n';

/** Steps `p` to the end, parsing another file with the shared parser between slices; each step's duration. */
function run(p: SlicedParse, sliceMs: number): { tree: Tree; steps: number[] } {
  const steps: number[] = [];
  for (;;) {
    const t0 = performance.now();
    const tree = p.step(sliceMs);
    steps.push(performance.now() - t0);
    if (tree) return { tree, steps };
    parsers.parse('cuda', SMALL).delete();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

test('a sliced parse gives the tree of a one-shot parse', () => {
  const text = generateCuda(5000, 1).text;
  const whole = parsers.parse('cuda', text);
  const { tree, steps } = run(parsers.startParse('cuda', text), 1);
  assert.ok(steps.length > 5, `${steps.length} steps`);
  assert.equal(tree.rootNode.descendantCount, whole.rootNode.descendantCount);
  assert.equal(tree.rootNode.toString(), whole.rootNode.toString());
  tree.delete();
  whole.delete();
});

test('a 1 MB file parses in steps of about the slice', () => {
  const text = generateCuda(25_000, 1).text; // about 1 MB, near the default size limit (maxFileSizeKb)
  parsers.parse('cuda', generateCuda(2000, 2).text).delete(); // the grammar's code warmed up
  const t0 = performance.now();
  const whole = parsers.parse('cuda', text);
  const oneShotMs = performance.now() - t0;
  const { tree, steps } = run(parsers.startParse('cuda', text, null, 60_000), 2);
  try {
    assert.equal(tree.rootNode.descendantCount, whole.rootNode.descendantCount);
    assert.equal(tree.rootNode.endIndex, text.length);
    assert.equal(tree.rootNode.hasError, false);
    // bounds relative to the slice and to this run's own one-shot parse, not to a machine's speed
    const longest = Math.max(...steps);
    assert.ok(median(steps) < 3 * 2, `median step ${median(steps).toFixed(1)} ms for 2 ms slices`);
    assert.ok(longest < oneShotMs / 2, `longest step ${longest.toFixed(1)} ms; the one-shot parse took ${oneShotMs.toFixed(1)} ms`);
  } finally {
    tree.delete();
    whole.delete();
  }
});

test('an incremental parse in slices: the same tree as parsing the edited text', () => {
  const text = generateCuda(5000, 3).text;
  const old = parsers.parse('cuda', text);
  // the whole file moved into a namespace: every item is read again
  const head = 'namespace ns {\n';
  const edited = head + text + '}\n';
  const lines = text.split('\n').length;
  old.edit(new Edit({
    startIndex: 0, oldEndIndex: 0, newEndIndex: head.length,
    startPosition: { row: 0, column: 0 }, oldEndPosition: { row: 0, column: 0 }, newEndPosition: { row: 1, column: 0 },
  }));
  old.edit(new Edit({
    startIndex: edited.length - 2, oldEndIndex: edited.length - 2, newEndIndex: edited.length,
    startPosition: { row: lines, column: 0 }, oldEndPosition: { row: lines, column: 0 }, newEndPosition: { row: lines + 1, column: 0 },
  }));
  const { tree, steps } = run(parsers.startParse('cuda', edited, old), 1);
  assert.ok(steps.length > 1, 'the re-parse took several slices');
  const fresh = parsers.parse('cuda', edited);
  assert.equal(tree.rootNode.toString(), fresh.rootNode.toString());
  for (const t of [old, tree, fresh]) t.delete();
});

test('the time limit counts the slices; a timed-out or cancelled parse leaves the shared parser working', () => {
  const text = generateCuda(5000, 4).text;
  const p = parsers.startParse('cuda', text, null, 5);
  assert.throws(() => run(p, 1), ParseTimeout);
  assert.throws(() => p.step(1), /over/);
  assert.throws(() => parsers.parse('cuda', text, null, 1), ParseTimeout);
  const q = parsers.startParse('cuda', text);
  assert.equal(q.step(0.5), null);
  q.cancel();
  q.cancel(); // twice is harmless
  const ok = parsers.parse('cuda', SMALL);
  assert.equal(ok.rootNode.hasError, false);
  assert.equal(ok.rootNode.text, SMALL);
  ok.delete();
  // a short parse finishes in its first slice
  const short = parsers.startParse('cuda', SMALL).step(10);
  assert.ok(short);
  short.delete();
});
