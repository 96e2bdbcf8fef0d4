// Bank-conflict degrees computed per warp lane (core/lanes.ts): 4-byte words served for the
// whole warp in one pass, 8-byte elements a half-warp at a time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SAMPLES, bankConflictWays } from '../server/src/core/lanes';

const sample = SAMPLES[0];

test('a column of a [32][32] float tile: 32 words in one bank', () => {
  assert.equal(bankConflictWays((lane) => lane * 32, sample), 32);
  assert.equal(bankConflictWays((lane) => lane * 33, sample), 1, 'a row padded by one word');
});

test('8-byte elements: a column of a [32][32] double tile is 16-way per half-warp; a padded row or a row read is conflict-free', () => {
  // element lane * 32 of 8 bytes starts at word lane * 64: both words of every lane in banks 0 and 1
  assert.equal(bankConflictWays((lane) => lane * 64, sample, 32, 2), 16);
  // padded by one element: words lane * 66, lanes of a half-warp two banks apart
  assert.equal(bankConflictWays((lane) => lane * 66, sample, 32, 2), 1);
  // consecutive doubles: each half-warp's 16 lanes fill the 32 banks once
  assert.equal(bankConflictWays((lane) => lane * 2, sample, 32, 2), 1);
  // a broadcast of one double is free
  assert.equal(bankConflictWays(() => 10, sample, 32, 2), 1);
});
