// Rule fixes as before/after text: for every rule folder with a `fixed/` folder, each
// fixture there is the fixture of the same name with the first fix of every finding of
// that rule applied (once, where several findings share it). The fixed text must no longer draw the finding, must parse with no
// new syntax errors, and must compile: `.cu` files with `nvcc -c -arch=sm_90` (skipped,
// saying so, where nvcc is not installed), `.py` files as Python.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { Engine } from '../server/src/core/engine';
import { applyEdits, fixAllEdits } from '../server/src/core/fix';
import { detectLanguage, grammarFor } from '../server/src/core/parser';
import { ALL_RULES } from '../server/src/rules';

const rulesDir = join(__dirname, '..', 'server/src/rules');
let engine: Engine;
before(async () => {
  engine = await Engine.create();
});

const nvcc = spawnSync('nvcc', ['--version'], { encoding: 'utf8' }).status === 0;
/** Whether nvcc finds the cuBLAS headers (fixes that touch cuBLAS calls compile only there). */
const cublas = nvcc && spawnSync('nvcc', ['-E', '-x', 'cu', '-'], { input: '#include <cublas_v2.h>\n', encoding: 'utf8' }).status === 0;
const python = ['python3', 'python'].find((p) => spawnSync(p, ['--version']).status === 0);
const scratch = mkdtempSync(join(tmpdir(), 'ka-fixes-'));

/** Syntax errors (ERROR or missing nodes) in a text. */
function syntaxErrors(path: string, text: string): number {
  const language = detectLanguage(path, text);
  assert.ok(language, `${path}: a language`);
  const tree = engine.parsers.parse(grammarFor(language), text);
  try {
    let n = 0;
    const cursor = tree.walk();
    const visit = (): void => {
      if (cursor.currentNode.isError || cursor.currentNode.isMissing) n++;
      if (cursor.gotoFirstChild()) {
        do visit();
        while (cursor.gotoNextSibling());
        cursor.gotoParent();
      }
    };
    visit();
    return n;
  } finally {
    tree.delete();
  }
}

function compiles(name: string, text: string, t: { skip: (m: string) => void }): void {
  const file = join(scratch, name);
  writeFileSync(file, text);
  if (extname(name) === '.cu') {
    if (!nvcc) return t.skip('nvcc is not installed here: the fixed kernel was checked at the parse level only');
    if (/#include\s*[<"]cublas/.test(text) && !cublas) return t.skip('the cuBLAS headers are not installed here: checked at the parse level only');
    const r = spawnSync('nvcc', ['-c', '-arch=sm_90', '-std=c++17', '-o', join(scratch, `${name}.o`), file], { encoding: 'utf8' });
    assert.equal(r.status, 0, `nvcc rejects the fixed ${name}:\n${r.stderr}`);
  } else if (extname(name) === '.py') {
    if (!python) return t.skip('no Python here: the fixed file was checked at the parse level only');
    const r = spawnSync(python, ['-m', 'py_compile', file], { encoding: 'utf8' });
    assert.equal(r.status, 0, `Python rejects the fixed ${name}:\n${r.stderr}`);
  }
}

const withFixes = ALL_RULES.filter((r) => existsSync(join(rulesDir, r.id, 'fixed')));

test('at least one rule offers fixes, each tested as before/after text', () => {
  assert.ok(withFixes.length > 0);
});

for (const rule of withFixes) {
  for (const name of readdirSync(join(rulesDir, rule.id, 'fixed')).filter((n) => /\.(cu|cuh|cpp|c|h|hpp|py)$/.test(n))) {
    test(`${rule.id}: fixing ${name}`, (t) => {
      const path = join(rulesDir, rule.id, 'fixtures', name);
      const before = readFileSync(path, 'utf8');
      const findings = engine.analyzeText(path, before).findings.filter((f) => f.rule === rule.id);
      assert.ok(findings.length > 0, 'the fixture draws the finding');
      for (const f of findings) assert.ok(f.fixes.length > 0, `no fix offered for ${f.message}`);
      // a kernel-wide rewrite is the first fix of each of the kernel's findings: applied once
      const firsts = [...new Map(findings.map((f) => [JSON.stringify(f.fixes[0].edits), f.fixes[0]])).values()];
      const after = applyEdits(before, firsts.map((f) => f.edits).flat());
      assert.equal(after, readFileSync(join(rulesDir, rule.id, 'fixed', name), 'utf8'));
      assert.deepEqual(engine.analyzeText(path, after).findings.filter((f) => f.rule === rule.id).map((f) => f.message), [], 'the fixed text is quiet');
      assert.ok(syntaxErrors(path, after) <= syntaxErrors(path, before), 'the fix adds no syntax error');
      compiles(name, after, t);
    });
  }
}

test('fix-all: each finding\'s first safe fix once, overlapping ones left for the next run, fusion before the rewrites it would undo', () => {
  const at = (line: number) => ({ start: { line, column: 0 }, end: { line, column: 4 } });
  const vector = { rule: 'vectorization/vector-memory-access', fixes: [{ title: 'float4', edits: [{ range: at(2), newText: 'v' }], safe: true }] };
  const fusion = { rule: 'fusion/elementwise-chain', fixes: [{ title: 'fuse', edits: [{ range: at(2), newText: 'f' }, { range: at(9), newText: 'g' }], safe: true }] };
  const review = { rule: 'precision/tensor-core-eligible', fixes: [{ title: 'tf32', edits: [{ range: at(5), newText: 't' }] }] };
  assert.deepEqual(fixAllEdits([vector, fusion, review]).fixes.map((f) => f.title), ['fuse']);
  assert.deepEqual(fixAllEdits([vector, fusion, review], true).fixes.map((f) => f.title), ['fuse', 'tf32']);
  assert.deepEqual(fixAllEdits([vector, review]).fixes.map((f) => f.title), ['float4']);
});
