// Layout edits (core/layout-edit.ts): after a blank line typed or removed, or a line
// re-indented, the findings moved from the last analysis must be exactly the findings a fresh
// analysis of the new text gives. Checked over every rule fixture and corpus file that has
// findings, with edits at several places in each.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { Engine } from '../server/src/core/engine';
import { detectLanguage, grammarFor } from '../server/src/core/parser';
import { changedBetweenTokens, findingsAfterLayoutEdit, layoutMap, movedByLayout, movedFindingsByLayout, movedPosition } from '../server/src/core/layout-edit';
import type { Finding } from '../server/src/core/types';

const root = join(__dirname, '..');

function files(dir: string, keep: (p: string) => boolean, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) files(p, keep, out);
    else if (keep(p)) out.push(p);
  }
  return out.sort();
}

let engine: Engine;
before(async () => {
  engine = await Engine.create();
});

/** The edits tried on a file: a blank line above a line, that line re-indented, a blank line removed. */
function edits(lines: string[], python: boolean, seed: number): string[][] {
  const out: string[][] = [];
  const at = (k: number) => (seed * 7919 + k * 104729) % Math.max(1, lines.length);
  const a = at(1);
  out.push([...lines.slice(0, a), '', ...lines.slice(a)]);
  const b = at(2);
  if (!python && lines[b].trim()) out.push(lines.map((l, i) => (i === b ? '  ' + l + ' ' : l)));
  const blank = lines.findIndex((l, i) => i >= at(3) && l.trim() === '');
  if (blank >= 0) out.push(lines.filter((_, i) => i !== blank));
  return out;
}

const comparable = (fs: Finding[]) => fs.map(({ fixes: _fixes, ...f }) => f);

test('findings moved after a layout edit are the findings of a fresh analysis', () => {
  const sources = [
    ...files(join(root, 'server/src/rules'), (p) => dirname(p).endsWith('fixtures') && !p.endsWith('.h')),
    ...files(join(root, 'test/corpus'), (p) => /\.(cu|cuh|c|cc|cpp|py)$/.test(p)),
  ];
  let moved = 0;
  let tried = 0;
  sources.forEach((path, seed) => {
    const text = readFileSync(path, 'utf8');
    const language = detectLanguage(path, text);
    if (!language) return;
    const base = engine.analyzeText(path, text, undefined, undefined, undefined, { fixes: false }).findings;
    if (!base.length) return;
    const lines = text.split('\n');
    for (const after of edits(lines, language === 'triton', seed)) {
      tried++;
      const newText = after.join('\n');
      const tree = engine.parsers.parse(grammarFor(language), newText);
      try {
        const got: Finding[] | null = findingsAfterLayoutEdit({ lines, findings: base }, after, newText, tree, language === 'triton');
        if (!got) continue;
        moved++;
        const fresh = engine.analyzeText(path, newText, undefined, undefined, undefined, { fixes: false }).findings;
        assert.deepEqual(comparable(got), comparable(fresh), `${path}: a layout edit moved the findings to other places than a fresh analysis finds`);
      } finally {
        tree.delete();
      }
    }
  });
  // most such edits are layout edits: the check above is not vacuous
  assert.ok(moved > tried / 2, `only ${moved} of ${tried} edits were read as layout edits`);
});

test('what is not a layout edit: a changed token, a line joined or split, a blank line after a continued macro, Python indentation', () => {
  const c = ['__global__ void k(float* a) {', '  a[0] = 1;', '}'];
  assert.equal(layoutMap(c, ['__global__ void k(float* a) {', '  a[1] = 1;', '}'], false), null);
  assert.equal(layoutMap(c, ['__global__ void k(float* a) {', '  a[0] =', '1;', '}'], false), null);
  assert.equal(layoutMap(['#define A(x) \\', '  (x)', 'int y;'], ['#define A(x) \\', '', '  (x)', 'int y;'], false), null);
  assert.equal(layoutMap(['def f():', '    x = 1', '    return x'], ['def f():', '    x = 1', '  return x'], true), null);
  const m = layoutMap(c, ['', '__global__ void k(float* a) {', '', '      a[0] = 1;', '}'], false)!;
  assert.deepEqual(movedPosition(m, { line: 1, column: 2 }), { line: 3, column: 6 });
  assert.deepEqual(movedPosition(m, { line: 2, column: 0 }), { line: 4, column: 0 });
});

test("a blank line in a function's head (between a qualifier macro and the name) is no layout edit", () => {
  // (the head's lines decide how a macro before the name is read: the kernel may be read differently)
  const before = ['#define LAUNCH_BOUNDS(t)', '__global__ void LAUNCH_BOUNDS(128)', 'k(float* x) {', '  x[0] = 1;', '}'];
  const after = ['#define LAUNCH_BOUNDS(t)', '__global__ void LAUNCH_BOUNDS(128)', '', '', 'k(float* x) {', '  x[0] = 1;', '}'];
  const inBody = ['#define LAUNCH_BOUNDS(t)', '__global__ void LAUNCH_BOUNDS(128)', 'k(float* x) {', '', '  x[0] = 1;', '}'];
  for (const [lines, expected] of [[after, false], [inBody, true]] as const) {
    const tree = engine.parsers.parse(grammarFor('cuda'), lines.join('\n'));
    try {
      assert.equal(changedBetweenTokens(tree, layoutMap(before, lines, false)!), expected);
    } finally {
      tree.delete();
    }
  }
});

test('a blank line inside a comment or a string is no layout edit', async () => {
  const before = ['/* a', 'b */', '__global__ void k() {}'];
  const after = ['/* a', '', 'b */', '__global__ void k() {}'];
  const tree = engine.parsers.parse(grammarFor('cuda'), after.join('\n'));
  try {
    assert.equal(changedBetweenTokens(tree, layoutMap(before, after, false)!), false);
  } finally {
    tree.delete();
  }
  const py = ['import triton', 'x = """a', 'b"""'];
  const pyAfter = ['import triton', 'x = """a', '', 'b"""'];
  const t2 = engine.parsers.parse(grammarFor('triton'), pyAfter.join('\n'));
  try {
    assert.equal(changedBetweenTokens(t2, layoutMap(py, pyAfter, true)!), false);
  } finally {
    t2.delete();
  }
});

test('findings moved whole by an Enter and back are the same objects each time, and read as movedByLayout moves them', () => {
  const lines = ['void a() {', '  x[0] = 1;', '}', '', 'void b() {', '  y[0] = 2;', '}'];
  const at = (line: number) => ({ start: { line, column: 2 }, end: { line, column: 6 } });
  const above = { range: at(1), message: 'above', related: [] };
  const below = { range: at(5), message: 'below', related: [{ range: at(4), message: 'its head' }] };
  const across = { range: at(5), message: 'across', related: [{ range: at(1), message: 'a caller' }] };
  const findings = [above, below, across];
  const enter = layoutMap(lines, [...lines.slice(0, 3), '', ...lines.slice(3)], false)!;
  const back = layoutMap([...lines.slice(0, 3), '', ...lines.slice(3)], lines, false)!;
  const once = movedFindingsByLayout(findings, enter)!;
  assert.deepEqual(once, movedByLayout(findings, enter));
  assert.equal(once[0], above);
  assert.notEqual(once[1], below);
  // moved again to the same lines (the edit after the Enter), and back (Backspace): the same objects
  assert.equal(movedFindingsByLayout(findings, enter)![1], once[1]);
  const undone = movedFindingsByLayout(once, back)!;
  assert.deepEqual(undone, findings);
  assert.equal(undone[1], below);
  assert.equal(movedFindingsByLayout(undone, enter)![1], once[1]);
  // a line quoted in a message: not moved
  assert.equal(movedFindingsByLayout([{ ...below, message: 'see line 5' }], enter), null);
});
