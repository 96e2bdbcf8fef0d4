// The file's integer constants are read again only between the lines an edit changed (the
// lines before and after it are the last version's): each version must still read whole.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileConstants } from '../server/src/rules/common/file-constants';

const read = (text: string) => Object.fromEntries(fileConstants(text.split('\n')).constants);

test('edits at the start, middle and end, inserted and deleted lines: each version reads as a whole', () => {
  const v1 = ['#define N 1024', 'int a;', 'const int K = 3;', 'void f() {', '  constexpr size_t T = 64;', '}', '#define M 8'];
  assert.deepEqual(read(v1.join('\n')), { N: 1024, K: 3, T: 64, M: 8 });
  const v2 = [...v1];
  v2[2] = 'const int K = 5;'; // the middle
  assert.deepEqual(read(v2.join('\n')), { N: 1024, K: 5, T: 64, M: 8 });
  const v3 = ['#define N 2048', ...v2.slice(1)]; // the first line
  assert.deepEqual(read(v3.join('\n')), { N: 2048, K: 5, T: 64, M: 8 });
  const v4 = [...v3, '#define LAST 7']; // a line added at the end
  assert.deepEqual(read(v4.join('\n')), { N: 2048, K: 5, T: 64, M: 8, LAST: 7 });
  const v5 = v4.filter((l) => !l.includes('constexpr')); // a line deleted
  assert.deepEqual(read(v5.join('\n')), { N: 2048, K: 5, M: 8, LAST: 7 });
  const v6 = ['// a comment', ...v5]; // a line inserted at the start
  assert.deepEqual(read(v6.join('\n')), { N: 2048, K: 5, M: 8, LAST: 7 });
  // another file, then the first again
  assert.deepEqual(read('#define Q 4\n'), { Q: 4 });
  assert.deepEqual(read(v6.join('\n')), { N: 2048, K: 5, M: 8, LAST: 7 });
});
