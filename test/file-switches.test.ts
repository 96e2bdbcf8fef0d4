// A file's own switches (core/facts/file-switches.ts): a `#define` at the top of a file decides
// the `#if` that tests it, inside a header's include guard too; `true` and `false` are 1 and 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileSwitches } from '../server/src/core/facts/file-switches';

const switches = (text: string) => fileSwitches(text.split('\n'));

test('a switch inside an include guard is the file\'s own, and `true` is 1', () => {
  const s = switches('#ifndef KERNEL_CUH\n#define KERNEL_CUH\n#define MAXIMIZE true\n#define USE_FAST false\n#endif');
  assert.equal(s.defined.get('MAXIMIZE'), 1);
  assert.equal(s.defined.get('USE_FAST'), 0);
  assert.equal(s.defined.has('KERNEL_CUH'), false, 'the guard itself is no switch');
});

test('a default value (`#ifndef BLOCK` / `#define BLOCK 256`) is no include guard: switches under a later `#if` stay undecided', () => {
  const s = switches('#ifndef BLOCK\n#define BLOCK 256\n#endif\n#if BLOCK > 128\n#define WIDE 1\n#endif');
  assert.equal(s.defined.has('WIDE'), false);
  assert.equal(s.defined.has('BLOCK'), false, 'a build may pass -DBLOCK');
});

test('a switch defined under a condition in a guarded header stays undecided', () => {
  const s = switches('#ifndef H\n#define H\n#ifdef USE_HIP\n#define WARP 64\n#else\n#define WARP 32\n#endif\n#endif');
  assert.equal(s.defined.has('WARP'), false);
});
