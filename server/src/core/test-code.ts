// Test code by where it lives: a folder of the workspace named for tests (`tests/`,
// `testing/`, `blastest/`, `unittests/`) or a file named `test_*` / `*_test.*`. Its host
// code and CPU loops are the test's own scaffolding (data generators, reference results,
// checkers, timing), so the engine keeps only findings in its kernels there. Judged on the
// path below the workspace folder that holds the file, so a project kept under a folder
// that happens to be called `test` is not all test code.
import * as path from 'node:path';

const TEST_FOLDER = /test/i;
const TEST_FILE = /^test_|_test\.[^.]+$|_tests\.[^.]+$/i;

export function isTestPath(file: string, roots: readonly string[]): boolean {
  if (typeof file !== 'string' || file === '' || roots.length === 0) return false;
  const abs = path.resolve(file);
  let best: string | null = null;
  for (const r of roots) {
    const root = path.resolve(r);
    const rel = path.relative(root, abs);
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) continue;
    if (best === null || rel.length < best.length) best = rel;
  }
  if (best === null) return false;
  const parts = best.split(path.sep);
  const name = parts.pop()!;
  return TEST_FILE.test(name) || parts.some((p) => TEST_FOLDER.test(p));
}
