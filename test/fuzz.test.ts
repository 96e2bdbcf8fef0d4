// Seeded fuzzing in `npm test` (issue #10, items 1, 5 and 8): a few thousand inputs
// (random bytes, mutated rule fixtures, the pathological shapes) must never throw, and
// must give the same findings whatever their line ends. Work is bounded by the analysis
// itself (a function over its budget or too deep is listed in `skipped` with its reason),
// so these tests check that behaviour, never the clock. `npm run fuzz` runs many more.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '../server/src/core/engine';
import { FactsCache } from '../server/src/core/facts-cache';
import { overItsTime } from '../server/src/core/budget';
import { DEFAULT_CONFIG, type Config } from '../server/src/core/config';
import type { FileResult } from '../server/src/core/types';
import { lineEndingVariants, mutate, pathological, randomBytes, randomExtension, rng, ruleFixtures, type FuzzInput } from './fuzz-inputs';

const SEED = 20251130;
let engine: Engine;
before(async () => {
  engine = await Engine.create();
});

/** Findings as comparable text: rule, range and message. */
const key = (r: FileResult) => r.findings.map((f) => `${f.rule}@${f.range.start.line}:${f.range.start.column}-${f.range.end.line}:${f.range.end.column} ${f.message}`);

function analyse(input: FuzzInput, config: Config = DEFAULT_CONFIG): FileResult {
  let res: FileResult;
  try {
    res = engine.analyzeText(input.path, input.text, config);
  } catch (e) {
    assert.fail(`${input.name} threw ${(e as Error).stack}`);
  }
  assert.doesNotMatch(res.error ?? '', /internal error/, input.name);
  return res;
}

const skippedAs = (r: FileResult, fn: string) => r.skipped?.find((s) => s.function === fn)?.reason;

describe('pathological shapes end bounded, the rest of the file still analysed', () => {
  const shapes = Object.fromEntries(pathological(24, 3000).map((p) => [p.path.slice(6), p]));

  test('a 24-arm ?: chain, `~` stacked 24 times and a 24-step hash chain are analysed (each arm evaluated once)', () => {
    for (const name of ['ternary.cu', 'tilde.cu', 'hash.cu']) {
      const r = analyse(shapes[name]);
      assert.deepEqual(r.skipped, [], name);
      assert.ok(r.findings.some((f) => f.function === 'ok' && f.rule === 'memory/uncoalesced-access'), `${name}: the kernel after it keeps its finding`);
    }
    assert.deepEqual(analyse(shapes['ternary.c']).skipped, []);
  });

  test('24 macros that double their argument: no hang, and the next kernel keeps its finding', () => {
    const r = analyse(shapes['macros.cu']);
    assert.ok(r.findings.some((f) => f.function === 'ok'));
    for (const s of r.skipped ?? []) assert.match(s.reason, /budget|steps/);
  });

  test('nesting over the cap (calls, sums, parentheses, blocks, Python) is "not modelled: too deep"', () => {
    for (const [name, fn] of [['calls.c', 'g'], ['sum.c', 'g'], ['parens.cu', 'k'], ['blocks.cu', 'k'], ['elseif.c', 'g'], ['deep.py', 'k']]) {
      const r = analyse(shapes[name]);
      assert.match(skippedAs(r, fn) ?? '', /^not modelled: too deep/, `${name}: ${JSON.stringify(r.skipped)}`);
      if (name.endsWith('.cu')) assert.ok(r.findings.some((f) => f.function === 'ok'), `${name}: the next kernel is still analysed`);
    }
    assert.equal(skippedAs(analyse(shapes['calls.c']), 'h'), undefined);
  });
});

describe('time budgets (settings functionBudgetMs, fileBudgetMs)', () => {
  const big = `__global__ void big(float* o, int s) {\n${Array.from({ length: 150 }, (_, i) => `  o[threadIdx.x * s + ${i}] = o[threadIdx.x + ${i}] * 2.0f;`).join('\n')}\n}\n`;
  const small = '__global__ void small(float* o, int s) { o[threadIdx.x * s] += 1.0f; }\n';
  const input = { name: 'big and small', path: '/fuzz/budget.cu', text: big + small };

  test('a function over its budget is listed in skipped with the reason; the others are analysed', () => {
    const r = analyse(input, { ...DEFAULT_CONFIG, functionBudgetMs: 0 });
    assert.match(skippedAs(r, 'big') ?? '', /functionBudgetMs/);
    assert.equal(skippedAs(r, 'small'), undefined);
    assert.ok(r.findings.some((f) => f.function === 'small'));
    assert.ok(!r.findings.some((f) => f.function === 'big'));
    // with a budget to spare both are analysed
    const full = analyse(input, { ...DEFAULT_CONFIG, functionBudgetMs: 60_000, fileBudgetMs: 60_000 });
    assert.deepEqual(full.skipped, []);
    assert.ok(full.findings.some((f) => f.function === 'big'));
  });

  test('a function over its own time budget is tried again by the analyses of the next two versions, then left skipped until it changes', () => {
    const r = analyse({ ...input, path: '/fuzz/budget3.cu' }, { ...DEFAULT_CONFIG, functionBudgetMs: 0 });
    assert.ok(overItsTime(skippedAs(r, 'big') ?? ''), 'the reason names the function budget');
    const cache = new FactsCache();
    const text = 'void big() {}';
    const version = (n: number) => (cache.lines = { text: `${text}\n// version ${n}`, lines: [] });
    version(1);
    cache.set('1:0', text, null, skippedAs(r, 'big'), true);
    assert.equal(cache.get('1:0', text), null, 'not again in the slices of the same version');
    for (const n of [2, 3]) {
      version(n);
      assert.equal(cache.get('1:0', text), undefined, `the analysis of version ${n} tries again`);
      cache.set('1:0', text, null, skippedAs(r, 'big'), true);
      assert.equal(cache.get('1:0', text), null, `once in version ${n}`);
    }
    version(4);
    assert.equal(cache.get('1:0', text), null, 'after two more tries it stays skipped');
    assert.equal(cache.get('1:0', text + ' '), undefined, 'until its text changes');
    cache.set('2:0', text, null, 'not modelled: too deep');
    assert.equal(cache.get('2:0', text), null, 'a step or depth bound is not retried');
  });

  test('once the file budget is spent, the functions left are listed as skipped', () => {
    const r = analyse({ ...input, path: '/fuzz/budget2.cu' }, { ...DEFAULT_CONFIG, fileBudgetMs: 0 });
    // the preprocessing first (file-wide), then each function
    assert.deepEqual(r.skipped?.map((s) => s.function), ['(file)', 'big', 'small']);
    for (const s of r.skipped ?? []) assert.match(s.reason, /fileBudgetMs/);
    assert.deepEqual(r.findings, []);
  });
});

describe('line ends are lines (LF, CRLF, CR, mixed give the same findings)', () => {
  test('every rule fixture, and mutations of them', () => {
    const r = rng(SEED);
    const fixtures = ruleFixtures();
    assert.ok(fixtures.length > 50);
    const inputs = [...fixtures, ...Array.from({ length: 100 }, (_, i) => {
      const fx = fixtures[Math.floor(r() * fixtures.length)];
      return { ...fx, name: `${fx.name} mutated #${i}`, text: mutate(fx.text, r) };
    })];
    for (const input of inputs) {
      const variants = lineEndingVariants(input.text, r);
      const expected = key(analyse({ ...input, text: variants.LF }));
      for (const [kind, text] of Object.entries(variants)) {
        if (kind !== 'LF') assert.deepEqual(key(analyse({ ...input, name: `${input.name} (${kind})`, text })), expected, `${input.name} with ${kind} line ends`);
      }
    }
  });

  test('a comment inside a multi-line #define does not silence the function after it', () => {
    const kernel = '__global__ void k(float* o, int s) { o[threadIdx.x * s] += SCALE(1.0f); }\n';
    for (const def of [
      '#define SCALE(x) \\\n  ((x) /* scale */ * 2)\n',
      '#define SCALE(x) /* a\n b */ ((x) * 2)\n',
      '#define SCALE(x) /* a \\\n b */ \\\n ((x) * 2)\n',
      '#define SCALE(x) ((x) * 2) // c \\\n  more\n',
    ]) {
      for (const [kind, text] of Object.entries(lineEndingVariants(def + kernel, rng(1)))) {
        const r = analyse({ name: `${JSON.stringify(def)} ${kind}`, path: '/fuzz/define.cu', text });
        const line = def.split('\n').length - 1;
        assert.deepEqual(r.findings.map((f) => `${f.rule}@${f.range.start.line}`), [`memory/uncoalesced-access@${line}`], `${JSON.stringify(def)} with ${kind} line ends`);
      }
    }
  });
});

describe('seeded fuzz: no input throws', () => {
  test('random bytes and mutated rule fixtures', () => {
    const r = rng(SEED + 1);
    const fixtures = ruleFixtures();
    for (let i = 0; i < 2000; i++) {
      const ext = randomExtension(r);
      if (i % 4 === 0) analyse({ name: `random bytes #${i} (seed ${SEED + 1})`, path: `/fuzz/r${i % 32}${ext}`, text: randomBytes(r) });
      else {
        const fx = fixtures[Math.floor(r() * fixtures.length)];
        analyse({ name: `${fx.name} mutated #${i} (seed ${SEED + 1})`, path: `/fuzz/m${i % 32}-${fx.path.slice(6)}`, text: mutate(fx.text, r) });
      }
    }
  });
});
