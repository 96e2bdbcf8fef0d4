// The corpus ratchet (DESIGN.md "Real code and evaluation"): the labels are well formed,
// and per rule the own corpus' precision and recall stay at or above the committed floor
// (test/corpus/floor.json, written by `npm run eval -- --update-floor`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isRuleId } from '../server/src/core/ruleIds';
import { Engine } from '../server/src/core/engine';
import {
  CORPUS_DIR,
  FLOOR_FILE,
  IMPLEMENTED_RULES,
  evaluateOwnCorpus,
  loadExternalLabels,
  loadOwnLabels,
  ownLabelFiles,
  scoreFiles,
  type CorpusFile,
  type CorpusResult,
  type Floor,
} from '../scripts/eval';

const MIN_FUNCTIONS = 200;
const first10 = (xs: string[]) => (xs.length ? xs.slice(0, 10).join('; ') + (xs.length > 10 ? `; … ${xs.length - 10} more` : '') : 'none');
const fmt = (x: number | null) => (x === null ? '—' : x.toFixed(3));

test(`the own corpus has at least ${MIN_FUNCTIONS} labeled functions (once test/corpus/labels.json exists)`, (t) => {
  const merged = join(CORPUS_DIR, 'labels.json');
  if (!existsSync(merged)) {
    t.skip(`test/corpus/labels.json does not exist yet (per-area files: ${ownLabelFiles().length}); the count is checked once they are merged`);
    return;
  }
  const n = loadOwnLabels().length;
  assert.ok(n >= MIN_FUNCTIONS, `only ${n} labeled functions in the own corpus; at least ${MIN_FUNCTIONS} are needed`);
});

test('every own-corpus label names an existing file and a line range inside it', () => {
  const problems: string[] = [];
  const lineCount = new Map<string, number>();
  for (const l of loadOwnLabels()) {
    const at = `${l.source}: ${l.file} ${l.function}`;
    if (!l.function) problems.push(`${at}: no function name`);
    const p = join(CORPUS_DIR, l.file);
    if (!l.file || !existsSync(p) || !statSync(p).isFile()) {
      problems.push(`${at}: file not found`);
      continue;
    }
    let n = lineCount.get(p);
    if (n === undefined) {
      const text = readFileSync(p, 'utf8');
      n = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
      lineCount.set(p, n);
    }
    const [a, b] = l.lines;
    if (!Number.isInteger(a) || !Number.isInteger(b) || a < 1 || b < a || b > n)
      problems.push(`${at}: lines [${a}, ${b}] do not lie inside the file's ${n} lines`);
  }
  assert.deepEqual(problems, []);
});

test('every label (own and external) names known rule ids only', () => {
  const problems: string[] = [];
  const { labels: external, repositories } = loadExternalLabels();
  for (const l of [...loadOwnLabels(), ...external]) {
    const at = `${l.source}: ${l.repo ? l.repo + ':' : ''}${l.file} ${l.function}`;
    for (const [field, ids] of [['expected', l.expected], ['applied', l.applied], ['unsure', l.unsure]] as const)
      for (const id of ids) if (!isRuleId(id)) problems.push(`${at}: unknown rule id "${id}" in ${field}`);
    // a rule is either decided (expected or not) or unsure, never both
    for (const id of l.unsure) if (l.expected.includes(id)) problems.push(`${at}: "${id}" is both expected and unsure`);
    const [a, b] = l.lines;
    if (!Number.isInteger(a) || !Number.isInteger(b) || a < 1 || b < a) problems.push(`${l.source}: ${l.file} ${l.function}: bad lines [${a}, ${b}]`);
  }
  const listed = new Set(repositories.map((r) => r.repo));
  for (const l of external) if (!listed.has(l.repo ?? '')) problems.push(`${l.source}: ${l.repo} is not listed under "repositories"`);
  for (const r of repositories) if (!/^[0-9a-f]{40}$/.test(r.commit ?? '')) problems.push(`${r.repo}: commit "${r.commit}" is not a full sha`);
  assert.deepEqual(problems, []);
});

let own: Promise<CorpusResult> | undefined;
const evaluate = () => (own ??= Engine.create().then((engine) => evaluateOwnCorpus(engine)));

test('per rule, precision and recall on the own corpus stay at or above test/corpus/floor.json', async (t) => {
  if (!existsSync(FLOOR_FILE)) {
    t.skip('test/corpus/floor.json does not exist (npm run eval -- --update-floor writes it)');
    return;
  }
  const floor = JSON.parse(readFileSync(FLOOR_FILE, 'utf8')) as Floor;
  const result = await evaluate();
  const problems: string[] = [];
  for (const [rule, min] of Object.entries(floor)) {
    if (!IMPLEMENTED_RULES.includes(rule)) {
      problems.push(`floor.json names ${rule}, which has no check`);
      continue;
    }
    const s = result.rules.find((r) => r.rule === rule)!;
    // no predictions (precision) or nothing expected (recall): vacuously met
    const precision = s.precision ?? 1;
    const recall = s.recall ?? 1;
    if (precision < min.precision)
      problems.push(
        `${rule}: precision ${fmt(s.precision)} < floor ${min.precision} (TP ${s.tp}, FP ${s.fp}); false positives: ${first10(s.falsePositives)}` +
          (s.appliedViolations.length ? `; of which already applied: ${first10(s.appliedViolations)}` : ''),
      );
    if (recall < min.recall) problems.push(`${rule}: recall ${fmt(s.recall)} < floor ${min.recall} (TP ${s.tp}, FN ${s.fn}); missed: ${first10(s.missed)}`);
  }
  assert.ok(problems.length === 0, `below the committed floor (fix the regression; re-run npm run eval -- --update-floor only where labels changed on purpose):\n  ${problems.join('\n  ')}`);
});

test('a rule a label lists as unsure is scored neither way for that function, and counted apart', async () => {
  const engine = await Engine.create();
  // a strided read every lane makes: memory/uncoalesced-access reports it
  const text = '__global__ void col(float* out, const float* in, int n) {\n  int i = blockIdx.x * blockDim.x + threadIdx.x;\n  out[i] = in[i * n];\n}\n';
  const file = (label: { expected: string[]; unsure: string[] }): CorpusFile => ({
    display: 'col.cu',
    absPath: join(CORPUS_DIR, 'no-such-dir', 'col.cu'),
    group: '.',
    labels: [{ file: 'col.cu', function: 'col', lines: [1, 4], applied: [], source: 'test', ...label }],
    read: () => text,
    headers: { includeDirs: [], roots: [], reader: { read: () => null } },
    project: { key: 'unsure-test', files: () => [] },
  });
  const rule = 'memory/uncoalesced-access';
  const score = (label: { expected: string[]; unsure: string[] }) => scoreFiles(engine, 'own', [file(label)], { rules: [rule] }).rules[0];
  const decided = score({ expected: [], unsure: [] });
  assert.deepEqual([decided.tp, decided.fp, decided.fn, decided.unsure], [0, 1, 0, 0], 'the finding is a false positive when the label says no');
  const unsure = score({ expected: [], unsure: [rule] });
  assert.deepEqual([unsure.tp, unsure.fp, unsure.fn, unsure.unsure], [0, 0, 0, 1]);
  const other = score({ expected: [], unsure: ['tiling/shared-memory'] });
  assert.equal(other.fp, 1, 'unsure of another rule leaves this one scored');
});
