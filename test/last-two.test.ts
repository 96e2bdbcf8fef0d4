// The last two results of a per-file computation (core/bounded-memo.ts): an edit undone finds the one before the
// last, which then counts as the last.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lastTwo } from '../server/src/core/bounded-memo';

test('the last two results are found by what they were computed from, the one found kept over an older one', () => {
  const kept = lastTwo<string, number>();
  const find = (k: string) => kept.find((from) => from === k);
  assert.equal(find('a'), undefined);
  kept.keep('a', 1);
  kept.keep('b', 2);
  assert.equal(find('a'), 1, 'a line typed, then deleted: the version before');
  kept.keep('c', 3);
  assert.equal(find('a'), 1, 'found last, so kept');
  assert.equal(find('b'), undefined, 'the oldest is dropped');
  assert.equal(find('c'), 3);
});
