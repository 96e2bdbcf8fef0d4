// The fixes of pipelining/multi-stage: where they are offered, what they write, and why
// none is offered elsewhere (the before/after fixtures are in test/fixes.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyEdits } from '../../../core/fix';
import { fixTests } from '../../../../../test/support/fixes';

const { freshOutcomes } = fixTests('pipelining/multi-stage');

const fixture = (name: string) => {
  const path = join(__dirname, 'fixtures', name);
  return { path, text: readFileSync(path, 'utf8') };
};

test('keyword block sizes at the launch: num_stages=3 first (safe, the measured one), autotune over 3 and 4 stages at those sizes second (not safe)', () => {
  const { path, text } = fixture('dot_loops_one_stage.py');
  const o = freshOutcomes(text, path).find((x) => x.finding.function === 'linear_kernel')!;
  assert.equal(o.fixes.length, 2);
  const [simple, tune] = o.fixes;
  assert.equal(tune.safe, false);
  assert.equal(simple.safe, true);
  const after = applyEdits(text, tune.edits);
  const config = '{"BLOCK_M": 128, "BLOCK_N": 128, "BLOCK_K": 64}';
  assert.ok(after.includes(`triton.Config(${config}, num_stages=3, num_warps=8)`));
  assert.ok(after.includes(`triton.Config(${config}, num_stages=4, num_warps=8)`));
  assert.match(after, /key=\["M", "N", "K"\],\n\)\n@triton\.jit\ndef linear_kernel/);
  // autotune passes them: the launch must not
  assert.match(after, /linear_kernel\[grid\]\(x, w, y, M, N, K\)\n/);
  const simpleAfter = applyEdits(text, simple.edits);
  assert.match(simpleAfter, /BLOCK_K=64, num_warps=8, num_stages=3\)/);
});

test('every autotune config with num_stages=1: 3 in each, safe', () => {
  const { path, text } = fixture('dot_loops_one_stage.py');
  const o = freshOutcomes(text, path).find((x) => x.finding.function === 'scores_kernel')!;
  assert.equal(o.fixes.length, 1);
  assert.equal(o.fixes[0].safe, true);
  const after = applyEdits(text, o.fixes[0].edits);
  assert.match(after, /# 3 stages.*\n@triton\.autotune\(\n {4}configs=\[\n.*num_stages=3, num_warps=8\),\n.*num_stages=3, num_warps=4\),/);
  assert.doesNotMatch(after, /Config\(.*num_stages=1/);
});

test('block sizes by position, a kernel that reads what it writes, launches that differ: only num_stages=3 at the launches', () => {
  const { path, text } = fixture('dot_loops_one_stage_more.py');
  const all = freshOutcomes(text, path);
  for (const name of ['matmul_kernel', 'matmul_accumulate_kernel']) {
    const o = all.find((x) => x.finding.function === name)!;
    assert.equal(o.fixes.length, 1, name);
    assert.equal(o.fixes[0].safe, true);
    assert.ok(o.fixes[0].edits.every((e) => e.newText === '3' || e.newText.trim().startsWith('# 3 stages')));
  }
  const acc = all.find((x) => x.finding.function === 'matmul_accumulate_kernel')!;
  assert.equal(acc.fixes[0].edits.filter((e) => e.newText === '3').length, 2, 'both launches');
  const tuned = all.find((x) => x.finding.function === 'matmul_tuned_kernel')!;
  const after = applyEdits(text, tuned.fixes[0].edits);
  assert.match(after, /def _configs\(\):\n {4}# 3 stages.*\n {4}return \[\n.*num_stages=3, num_warps=4\),\n.*num_stages=3, num_warps=4\),/);
});

test('autotune is not offered for a kernel that updates memory it reads (autotune runs it several times)', () => {
  const text = `import triton
import triton.language as tl


@triton.jit
def mm_add(a_ptr, b_ptr, c_ptr, K, BM: tl.constexpr, BK: tl.constexpr):
    r = tl.program_id(0) * BM + tl.arange(0, BM)
    rk = tl.arange(0, BK)
    acc = tl.zeros((BM, BM), dtype=tl.float32)
    for k in range(0, K, BK):
        a = tl.load(a_ptr + r[:, None] * K + (k + rk)[None, :])
        b = tl.load(b_ptr + (k + rk)[:, None] * BM + r[None, :])
        acc += tl.dot(a, b)
    c = tl.load(c_ptr + r[:, None] * BM + r[None, :])
    tl.store(c_ptr + r[:, None] * BM + r[None, :], c + acc)


def run(a, b, c, K):
    mm_add[(4,)](a, b, c, K, BM=64, BK=32, num_stages=1)
`;
  const [o] = freshOutcomes(text, 'k.py');
  assert.equal(o.fixes.length, 1);
  assert.match(o.fixes[0].title, /num_stages=3/);
  assert.match(applyEdits(text, o.fixes[0].edits), /BM=64, BK=32, num_stages=3\)/);
});

test('CUDA single-buffered tiles: no automatic fix, and why', () => {
  const { path, text } = fixture('single_buffer_tiles.cu');
  const all = freshOutcomes(text, path);
  assert.ok(all.length > 0);
  for (const o of all) {
    assert.deepEqual(o.fixes, []);
    assert.match(o.reason ?? '', /cp\.async.*not automatic/);
  }
});
