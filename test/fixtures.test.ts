// Runs every rule over every fixture and asserts the exact set of findings: every
// finding has a caret marker and every marker fires (format: test/FIXTURES.md).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname } from 'node:path';
import { Engine } from '../server/src/core/engine';
import { ALL_RULES } from '../server/src/rules';
import type { Finding } from '../server/src/core/types';

const root = join(__dirname, '..');
const rulesDir = join(root, 'server/src/rules');
const MARKER = /^(\s*)(?:\/\/|#)(\s*)(\^+)\s+([a-z-]+\/[a-z-]+)\s*$/;

function fixtureFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) fixtureFiles(p, out);
    else if (dirname(p).endsWith('fixtures')) out.push(p);
  }
  return out.sort();
}

export function parseMarkers(text: string): string[] {
  const lines = text.split('\n');
  const out: string[] = [];
  let target = -1;
  for (let i = 0; i < lines.length; i++) {
    const m = MARKER.exec(lines[i]);
    if (!m) {
      target = i;
      continue;
    }
    const start = lines[i].indexOf('^');
    out.push(`${target + 1}:${start + 1}-${start + m[3].length + 1} ${m[4]}`);
  }
  return out.sort();
}

function findingKey(f: Finding, lines: string[]): string {
  const endCol = f.range.end.line === f.range.start.line ? f.range.end.column : lines[f.range.start.line].replace(/\s+$/, '').length;
  return `${f.range.start.line + 1}:${f.range.start.column + 1}-${endCol + 1} ${f.rule}`;
}

let engine: Engine;
before(async () => {
  engine = await Engine.create();
});

const files = fixtureFiles(rulesDir);
const totals = { tp: 0, fp: 0, fn: 0 };

for (const file of files) {
  test(`fixture ${relative(rulesDir, file)}`, () => {
    const text = readFileSync(file, 'utf8');
    // a fixture that includes a header beside it reads it as a checked folder would (the CLI's workspace)
    const withHeaders = /^#include\s+"/m.test(text);
    if (withHeaders) engine.setWorkspace([dirname(file)]);
    let result;
    try {
      result = engine.analyzeText(file, text);
    } finally {
      if (withHeaders) engine.setWorkspace([]);
    }
    assert.equal(result.error, undefined, `analysis error: ${result.error}`);
    const lines = text.split('\n');
    const got = result.findings.map((f) => findingKey(f, lines)).sort();
    const want = parseMarkers(text);
    totals.tp += got.filter((g) => want.includes(g)).length;
    totals.fp += got.filter((g) => !want.includes(g)).length;
    totals.fn += want.filter((w) => !got.includes(w)).length;
    assert.deepEqual(got, want, `findings (left) vs markers (right) in ${relative(root, file)}`);
  });
}

test('every rule has positive and negative fixtures', () => {
  for (const rule of ALL_RULES) {
    const own = files.filter((f) => f.startsWith(join(rulesDir, rule.id) + '/'));
    const positive = own.filter((f) => parseMarkers(readFileSync(f, 'utf8')).some((m) => m.endsWith(' ' + rule.id)));
    assert.ok(positive.length > 0, `${rule.id} has no positive fixture`);
    assert.ok(positive.length < own.length, `${rule.id} has no negative fixture`);
  }
});

test('fixture precision and recall', (t) => {
  const precision = totals.tp / Math.max(1, totals.tp + totals.fp);
  const recall = totals.tp / Math.max(1, totals.tp + totals.fn);
  t.diagnostic(`fixtures: ${files.length}, findings matched ${totals.tp}, unexpected ${totals.fp}, missed ${totals.fn}; precision ${precision.toFixed(3)}, recall ${recall.toFixed(3)}`);
  assert.ok(files.length > 0);
});
