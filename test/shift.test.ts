// Facts and findings moved by whole lines (core/facts/shift.ts): positions move, everything else is
// shared, a position outside the moved lines refuses the move, and a moved object remembers only
// the one it came from.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keptAcrossMoves, movedBy, movedFacts, movedFindings, movedFrom } from '../server/src/core/facts/shift';
import type { FunctionFacts } from '../server/src/core/facts/model';

const range = (a: number, b: number) => ({ start: { line: a, column: 2 }, end: { line: b, column: 5 } });

test('positions move by the lines given; what holds none is shared, not copied', () => {
  const names = ['x', 'y'];
  const value = { range: range(10, 12), names, nested: [{ at: range(11, 11), text: 'a[i]' }], count: 3 };
  const out = movedBy(value, 4, [{ first: 10, last: 12 }])!;
  assert.deepEqual(out.range, range(14, 16));
  assert.deepEqual(out.nested[0].at, range(15, 15));
  assert.equal(out.names, names, 'an array of names is shared');
  assert.equal(out.nested[0].text, 'a[i]');
  assert.deepEqual(value.range, range(10, 12), 'the original is not changed');
});

test('a position outside the moved lines refuses the move', () => {
  assert.equal(movedBy({ range: range(10, 12), helper: range(30, 31) }, 1, [{ first: 10, last: 12 }]), null);
  // (unless it lies in other lines that moved as well)
  assert.ok(movedBy({ range: range(10, 12), helper: range(30, 31) }, 1, [{ first: 10, last: 12 }, { first: 30, last: 31 }]));
});

test('findings that quote a line number are not moved', () => {
  const f = { range: range(10, 10), message: 'softmax (line 11) and P·V (line 12)' };
  assert.equal(movedFindings([f], 2, { range: range(9, 20) }), null);
  const g = { range: range(10, 10), message: 'a 2-way bank conflict' };
  assert.deepEqual(movedFindings([g], 2, { range: range(9, 20) })![0].range, range(12, 12));
});

test('a moved facts object remembers where it came from, one step back only', () => {
  const f0 = { name: 'k', range: range(10, 20) } as unknown as FunctionFacts;
  const f1 = movedFacts(f0, 1, { first: 10, last: 20 })!;
  const f2 = movedFacts(f1, 1, { first: 11, last: 21 })!;
  assert.equal(movedFrom(f2)?.from, f1);
  assert.equal(movedFrom(f2)?.delta, 1);
  assert.equal(movedFrom(f1), undefined, 'the chain is cut: typing line after line keeps one old version, not all');
});

test('facts moved back to where they were derived are the facts derived there, the same object', () => {
  const f0 = { name: 'k', range: range(10, 20) } as unknown as FunctionFacts;
  const f1 = movedFacts(f0, 1, { first: 10, last: 20 })!;
  assert.equal(movedFacts(f1, -1, { first: 11, last: 21 }), f0, 'a line typed above, then deleted');
  const f2 = movedFacts(f1, 2, { first: 11, last: 21 })!;
  assert.deepEqual(f2.range, range(13, 23));
  assert.equal(movedFacts(f2, -3, { first: 13, last: 23 }), f0, 'however many moves in between');
});

test('an answer that holds no position, kept for a facts object, is its moved copies\' answer too', () => {
  const memo = new WeakMap<FunctionFacts, boolean>();
  const f0 = { name: 'k', range: range(10, 20) } as unknown as FunctionFacts;
  const other = { name: 'j', range: range(30, 40) } as unknown as FunctionFacts;
  memo.set(f0, true);
  // (asked on each version, as the rules ask: a copy moved again remembers only the one before it)
  const f1 = movedFacts(f0, 1, { first: 10, last: 20 })!;
  assert.equal(keptAcrossMoves(memo, f1), true);
  const f2 = movedFacts(f1, 1, { first: 11, last: 21 })!;
  assert.equal(keptAcrossMoves(memo, f2), true, 'kept for f1 on the way');
  assert.equal(keptAcrossMoves(memo, other), undefined);
});
