// Rule fixes as before/after text: for every rule folder with a `fixed/` folder, each
// fixture there is the fixture of the same name with the first fix of every finding of
// that rule applied; the fixed text must no longer draw the finding.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Engine } from '../server/src/core/engine';
import { ALL_RULES } from '../server/src/rules';
import type { TextEdit } from '../server/src/core/types';

const rulesDir = join(__dirname, '..', 'server/src/rules');
let engine: Engine;
before(async () => {
  engine = await Engine.create();
});

/** Applies non-overlapping edits (0-based line/column) to a text. */
function applyEdits(text: string, edits: TextEdit[]): string {
  const lines = text.split('\n');
  const offset = (p: { line: number; column: number }) => lines.slice(0, p.line).reduce((n, l) => n + l.length + 1, 0) + p.column;
  const sorted = [...edits].sort((a, b) => offset(b.range.start) - offset(a.range.start));
  let out = text;
  for (const e of sorted) out = out.slice(0, offset(e.range.start)) + e.newText + out.slice(offset(e.range.end));
  return out;
}

const withFixes = ALL_RULES.filter((r) => existsSync(join(rulesDir, r.id, 'fixed')));

test('at least one rule offers fixes, each tested as before/after text', () => {
  assert.ok(withFixes.length > 0);
});

for (const rule of withFixes) {
  for (const name of readdirSync(join(rulesDir, rule.id, 'fixed'))) {
    test(`${rule.id}: fixing ${name}`, () => {
      const path = join(rulesDir, rule.id, 'fixtures', name);
      const before = readFileSync(path, 'utf8');
      const findings = engine.analyzeText(path, before).findings.filter((f) => f.rule === rule.id);
      assert.ok(findings.length > 0, 'the fixture draws the finding');
      for (const f of findings) assert.ok(f.fixes.length > 0, `no fix offered for ${f.message}`);
      const after = applyEdits(before, findings.map((f) => f.fixes[0].edits).flat());
      assert.equal(after, readFileSync(join(rulesDir, rule.id, 'fixed', name), 'utf8'));
      assert.deepEqual(engine.analyzeText(path, after).findings.filter((f) => f.rule === rule.id), [], 'the fixed text is quiet');
    });
  }
}
