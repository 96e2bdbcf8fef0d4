// Bank-conflict degrees computed per warp lane (core/lanes.ts): 4-byte words served for the
// whole warp in one pass, 8-byte elements a half-warp at a time, 16-byte ones a quarter-warp.
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

test('16-byte accesses are served a quarter-warp at a time: fragments 32 bytes apart are 2-way, consecutive ones free', () => {
  // lane l of a 16-lane row reads the float4 at float 8 * (l % 16): words 8l .. 8l + 3, banks 0-3 again at lane 4
  assert.equal(bankConflictWays((lane) => 8 * (lane % 16), sample, 32, 4), 2);
  // the same columns read 16 bytes apart (float 4 * (l % 16)): each quarter-warp fills the 32 banks once
  assert.equal(bankConflictWays((lane) => 4 * (lane % 16), sample, 32, 4), 1);
  // one column per lane, 128 floats apart: every word of a quarter-warp in banks 0-3
  assert.equal(bankConflictWays((lane) => 128 * lane, sample, 32, 4), 8);
});
