// `npm run fuzz [-- --count N --seed S]`: many seeded inputs (default 100,000: random
// bytes, mutated rule fixtures, line-ending variants) and the pathological shapes of
// issue #10 at full size, through Engine.analyzeText. Reports crashes (an exception or an
// internal error), findings that change with the line endings, functions skipped for their
// budget, inputs whose analysis took longer than the function budget, and peak memory.
// Exits 1 when anything crashed or differed; `--out DIR` writes those inputs there.
// A benchmark-like tool, not a test.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Engine } from '../server/src/core/engine';
import { DEFAULT_BUDGET } from '../server/src/core/budget';
import type { FileResult } from '../server/src/core/types';
import { lineEndingVariants, mutate, pathological, randomBytes, randomExtension, rng, ruleFixtures, type FuzzInput } from '../test/fuzz-inputs';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const COUNT = arg('--count', 100_000);
const SEED = arg('--seed', 1);
const OUT = process.argv.includes('--out') ? process.argv[process.argv.indexOf('--out') + 1] : null;

const key = (r: FileResult) => r.findings.map((f) => `${f.rule}@${f.range.start.line}:${f.range.start.column}-${f.range.end.line}:${f.range.end.column} ${f.message}`).join('\n');

async function main(): Promise<void> {
  const engine = await Engine.create();
  const fixtures = ruleFixtures();
  const r = rng(SEED);
  let inputs = 0;
  let crashes = 0;
  let eolDiffs = 0;
  let overBudget = 0;
  let slow = 0;
  let peakRss = 0;
  let slowest = { ms: 0, name: '' };
  const examples: string[] = [];
  const note = (what: string, input: FuzzInput, keep = false) => {
    if (examples.length < 20) examples.push(`${what}: ${input.name} (${input.text.length} chars)`);
    if (keep && OUT) {
      mkdirSync(OUT, { recursive: true });
      writeFileSync(join(OUT, `${inputs}${input.path.slice(input.path.lastIndexOf('.'))}`), input.text);
    }
  };

  const run = (input: FuzzInput): FileResult | null => {
    inputs++;
    const t0 = performance.now();
    let res: FileResult | null = null;
    try {
      res = engine.analyzeText(input.path, input.text, undefined, undefined, undefined, { fixes: false });
      if (res.error?.includes('internal error')) throw new Error(res.error);
    } catch (e) {
      crashes++;
      note(`crash (${(e as Error).message.slice(0, 120)})`, input, true);
      res = null;
    }
    const ms = performance.now() - t0;
    if (ms > slowest.ms) slowest = { ms, name: input.name };
    if (ms > DEFAULT_BUDGET.functionMs) {
      slow++;
      note(`took ${ms.toFixed(0)} ms`, input);
    }
    if (res?.skipped?.some((s) => /budget|steps|too deep/.test(s.reason))) overBudget++;
    if ((inputs & 255) === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
    return res;
  };

  const started = performance.now();
  for (const p of [...pathological(24, 40_000), ...pathological(22, 60_000)]) run(p);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  while (inputs < COUNT) {
    const pick = r();
    const ext = randomExtension(r);
    if (pick < 0.3) {
      run({ name: `random bytes #${inputs} (seed ${SEED})`, path: `/fuzz/r${inputs % 64}${ext}`, text: randomBytes(r) });
    } else {
      const fx = fixtures[Math.floor(r() * fixtures.length)];
      const text = pick < 0.4 ? fx.text : mutate(fx.text, r);
      const input = { name: `${fx.name} mutated #${inputs} (seed ${SEED})`, path: `/fuzz/m${inputs % 64}-${fx.path.slice(6)}`, text };
      const lf = run({ ...input, text: text.replace(/\r\n?/g, '\n') });
      if (pick < 0.5 && lf) {
        // the same input with other line ends must give the same findings
        for (const [kind, variant] of Object.entries(lineEndingVariants(text, r))) {
          if (kind === 'LF') continue;
          const other = run({ ...input, name: `${input.name} ${kind}`, text: variant });
          if (other && key(other) !== key(lf)) {
            eolDiffs++;
            note(`findings differ with ${kind} line ends`, input, true);
          }
        }
      }
    }
    if (inputs % 10_000 < 4) process.stderr.write(`${inputs} inputs, ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
  }
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  console.log(`inputs: ${inputs} (seed ${SEED}) in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  console.log(`crashes: ${crashes}`);
  console.log(`line-ending differences: ${eolDiffs}`);
  console.log(`inputs with a function skipped for its budget or depth: ${overBudget}`);
  console.log(`inputs over the ${DEFAULT_BUDGET.functionMs} ms function budget (wall clock, whole file): ${slow}; slowest ${slowest.ms.toFixed(0)} ms (${slowest.name})`);
  console.log(`peak memory (RSS): ${(peakRss / 2 ** 20).toFixed(0)} MiB`);
  for (const e of examples) console.log(`  ${e}`);
  process.exit(crashes || eolDiffs ? 1 : 0);
}

void main();
