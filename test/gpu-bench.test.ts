// The GPU benchmark measures the kernels the fixes write: each pair's `after` file must be
// exactly what `kernel-advisor fix` writes from the file before it today (bench/gpu/generate.mjs),
// so a change to a fixer that is not re-measured fails here, and each must compile.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..');

test('bench/gpu: every after file is what the fix writes now (regenerate with node bench/gpu/generate.mjs, then measure)', () => {
  const r = spawnSync(process.execPath, [join(root, 'bench/gpu/generate.mjs'), '--check'], { encoding: 'utf8', cwd: root });
  assert.equal(r.status, 0, r.stderr);
});
