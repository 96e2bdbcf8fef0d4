// What an autotune decorator's configs say once read from the syntax (core/facts/triton/configs.ts):
// a module-level list is read when it is bound once and never changed; a comprehension gives its
// variables the literal values they walk; anything else leaves the list unread (null).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '../server/src/core/engine';
import type { AutotuneConfigs } from '../server/src/core/facts/model';

let engine: Engine;
before(async () => {
  engine = await Engine.create(['python']);
});

const KERNEL = (configs: string) => `
@triton.autotune(configs=${configs}, key=["n"])
@triton.jit
def k(x, n, BLOCK: tl.constexpr):
    tl.store(x + tl.arange(0, BLOCK), 0.0)
`;

/** The configs of kernel `k`'s autotune decorator in `text`. */
function configs(text: string): AutotuneConfigs | null {
  const src = `import triton\nimport triton.language as tl\n${text}`;
  const tree = engine.parsers.parse('python', src);
  try {
    const k = engine.facts('triton', tree, src.split('\n')).functions.find((f) => f.name === 'k')!;
    return k.autotuneConfigs?.find((c) => c !== null) ?? null;
  } finally {
    tree.delete();
  }
}
const stages = (text: string) => configs(text)?.configs.map((c) => c.num_stages ?? null) ?? null;

test('a module-level list, positional options, a spread and a joined list', () => {
  assert.deepEqual(stages(`CONFIGS = [triton.Config({"BLOCK": 64}, num_stages=1), triton.Config({"BLOCK": 128}, 8, 4)]\n${KERNEL('CONFIGS')}`), [['1'], ['4']]);
  assert.deepEqual(stages(`BASE = [triton.Config({"BLOCK": 64}, num_stages=2)]\nALL = [*BASE, triton.Config({"BLOCK": 32})]\n${KERNEL('ALL + BASE')}`), [['2'], null, ['2']]);
  assert.deepEqual(stages(`S = 1\nCONFIGS = [triton.Config({"BLOCK": 64}, num_stages=S)]\n${KERNEL('CONFIGS')}`), [['1']]);
});

test('a comprehension: its variables take the literal values they walk, others stay unknown', () => {
  assert.deepEqual(stages(KERNEL('[triton.Config({"BLOCK": b}, num_stages=s) for b in [64, 128] for s in (2, 3)]')), [['2', '3']]);
  assert.deepEqual(stages(`GRID = [(4, 1), (8, 2)]\n${KERNEL('[triton.Config({}, num_warps=w, num_stages=s) for w, s in GRID]')}`), [['1', '2']]);
  assert.deepEqual(stages(KERNEL('[triton.Config({}, num_stages=s) for s in choices()]')), [['?s']]);
});

test('a list that is changed, bound twice, built by a call or spread with **options is not read', () => {
  const one = 'triton.Config({"BLOCK": 64}, num_stages=1)';
  assert.equal(configs(`CONFIGS = [${one}]\nCONFIGS.append(${one})\n${KERNEL('CONFIGS')}`), null);
  assert.equal(configs(`CONFIGS = [${one}]\nCONFIGS += [${one}]\n${KERNEL('CONFIGS')}`), null);
  assert.equal(configs(`CONFIGS = [${one}]\nif flag:\n    CONFIGS = []\n${KERNEL('CONFIGS')}`), null);
  assert.equal(configs(`CONFIGS = [${one}]\ndef setup():\n    global CONFIGS\n    CONFIGS = []\n${KERNEL('CONFIGS')}`), null);
  assert.equal(configs(KERNEL('make_configs()')), null);
  assert.equal(configs(`OPTS = {"num_stages": 3}\nCONFIGS = [triton.Config({"BLOCK": 64}, **OPTS)]\n${KERNEL('CONFIGS')}`), null);
  // read elsewhere, or as another object's attribute of the same name: still read
  assert.deepEqual(stages(`CONFIGS = [${one}]\nprint(len(CONFIGS), other.CONFIGS)\n${KERNEL('CONFIGS')}`), [['1']]);
});
