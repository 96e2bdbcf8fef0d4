// An open document keeps its text's lines across edits (the analysis reads them from its
// cache): after any sequence of changes they are the lines of the text, and lines an
// edit did not touch are the same strings as before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { TextDocumentContentChangeEvent } from 'vscode-languageserver';
import { OpenDocument } from '../../server/src/lsp/documents';
import { Engine } from '../../server/src/core/engine';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

const open = (text: string) => new OpenDocument(TextDocument.create('file:///t.cu', 'cuda-cpp', 1, text), 'cuda');

/** The open document's tree, incrementally re-parsed, and a fresh parse of its text, as strings to compare. */
const trees = (engine: Engine, od: OpenDocument) => ({
  tree: () => od.reparse(engine.parsers).rootNode.toString(),
  fresh: () => {
    const t = engine.parsers.parse('cuda', od.text);
    const s = t.rootNode.toString();
    t.delete();
    return s;
  },
});
const linesOf = (od: OpenDocument) => {
  const kept = od.cache.lines;
  assert.ok(kept, 'the document keeps lines');
  assert.equal(kept.text, od.text, 'for its current text');
  return kept.lines;
};

test('lines kept across random edits are the lines of the text', () => {
  const rnd = prng(7);
  const pieces = ['', 'x', 'zz', '\n', 'a\nb', '\r\n', 'line\r\nnext\n', '{\n  y;\n}', '\r'];
  const od = open('__global__ void k(float* a) {\n  a[threadIdx.x] = 0.f;\n}\n\nint main() {\n  return 0;\n}\n');
  for (let v = 2; v < 600; v++) {
    const lines = od.text.split('\n');
    const pos = () => {
      const line = Math.floor(rnd() * lines.length);
      return { line, character: Math.floor(rnd() * (lines[line].length + 1)) };
    };
    const [a, b] = [pos(), pos()];
    const change: TextDocumentContentChangeEvent = rnd() < 0.03 ? { text: pieces[v % pieces.length] + 'whole\n' } : { range: { start: a, end: b }, text: pieces[Math.floor(rnd() * pieces.length)] }; // reversed ranges too
    const splits = od.splits;
    od.applyChanges([change], v);
    assert.deepEqual(linesOf(od), od.text.split('\n'), `after version ${v}`);
    if ('range' in change) assert.equal(od.splits, splits, `version ${v}: the edit did not split the whole text`);
  }
});

test('an edit inside one line replaces that line only, without splitting the whole text', () => {
  const text = Array.from({ length: 200 }, (_, i) => `  const int v${i} = ${i} * threadIdx.x + blockIdx.x * blockDim.x;`).join('\n');
  const od = open(text);
  const before = linesOf(od);
  assert.equal(od.splits, 1, 'split once, when opened');
  od.applyChanges([{ range: { start: { line: 100, character: 5 }, end: { line: 100, character: 5 } }, text: 'z' }], 2);
  assert.equal(od.splits, 1, 'not split again for an edit');
  const after = linesOf(od);
  assert.equal(after.length, before.length);
  for (let i = 0; i < after.length; i++) if (i !== 100) assert.equal(after[i], before[i], `line ${i}`);
  assert.equal(after[100], before[100].slice(0, 5) + 'z' + before[100].slice(5));
  // several changes in one notification, the second on lines the first moved
  od.applyChanges([
    { range: { start: { line: 10, character: 0 }, end: { line: 12, character: 0 } }, text: '' },
    { range: { start: { line: 50, character: 2 }, end: { line: 50, character: 2 } }, text: 'p\nq\n' },
  ], 3);
  assert.deepEqual(linesOf(od), od.text.split('\n'));
  assert.equal(od.splits, 1);
  // a range past the end of a line or of the document (a client bug): still the lines of the text
  od.applyChanges([{ range: { start: { line: 5, character: 500 }, end: { line: 900, character: 3 } }, text: 'tail' }], 4);
  assert.deepEqual(linesOf(od), od.text.split('\n'));
});

test("an edit of a template's parameter list re-reads the function: its facts are cached with the template header", async () => {
  const engine = await Engine.create();
  const path = join(__dirname, '../../server/src/rules/memory/shared-bank-conflict/fixtures/template_flag_ternary.cu');
  const text = readFileSync(path, 'utf8');
  const od = new OpenDocument(TextDocument.create('file:///t.cu', 'cuda-cpp', 1, text), 'cuda');
  const analyse = () => engine.analyzeTree('cuda', od.reparse(engine.parsers), od.text, undefined, od.cache, undefined, '/t.cu').map((f) => [f.rule, f.range, f.message, f.assumptions]);
  const fresh = () => engine.analyzeText('/t.cu', od.text).findings.map((f) => [f.rule, f.range, f.message, f.assumptions]);
  assert.deepEqual(analyse(), fresh());
  // `template <bool kBoth, typename OT>` of stage_unpadded loses its flag: the function's own text is the same
  const line = od.text.split('\n').findIndex((l, i, all) => l.startsWith('template <bool kBoth') && all[i + 1].includes('stage_unpadded'));
  od.applyChanges([{ range: { start: { line, character: 10 }, end: { line, character: 21 } }, text: '' }], 2);
  assert.deepEqual(analyse(), fresh());
  od.dropTree();
});

test('an export macro or __align__ typed into an open document is read away as in a fresh parse, and deleted, read as written', async () => {
  const engine = await Engine.create(['cuda']);
  const od = open('struct Plain { int a; };\n\n__global__ void k(float* a) {\n  a[threadIdx.x] = 0.f;\n}\n');
  const { tree, fresh } = trees(engine, od);
  assert.equal(tree(), fresh());
  const edits: [string, number][] = [['class OPENMM_EXPORT Force : public Base {\n};\n', 2], ['  __shared__ __align__(16) float s[32];\n', 4]];
  let version = 2;
  for (const [text, line] of edits) {
    od.applyChanges([{ range: { start: { line, character: 0 }, end: { line, character: 0 } }, text }], version++);
    assert.equal(tree(), fresh(), text);
  }
  for (const [text, line] of edits.reverse()) {
    od.applyChanges([{ range: { start: { line, character: 0 }, end: { line: line + text.split('\n').length - 1, character: 0 } }, text: '' }], version++);
    assert.equal(tree(), fresh(), `without ${text}`);
  }
  od.dropTree();
});

test("the `=` typed after a declarator's GNU attribute, which the grammar then gets as spaces, is read as in a fresh parse", async () => {
  const engine = await Engine.create(['cuda']);
  const od = open('void lud(float* a, int n) {\n  float sum[16] __attribute__((aligned(64))) {0.f};\n  a[0] = sum[0];\n}\n');
  const { tree, fresh } = trees(engine, od);
  assert.equal(tree(), fresh());
  const at = { line: 1, character: '  float sum[16] __attribute__((aligned(64))) '.length };
  od.applyChanges([{ range: { start: at, end: at }, text: '= ' }], 2);
  assert.doesNotMatch(fresh(), /ERROR/);
  assert.equal(tree(), fresh());
  od.dropTree();
});

test('deleting lines that define a launcher macro reads the lines invoking it again, as a fresh parse does', async () => {
  const engine = await Engine.create(['cuda']);
  const text = [
    '// launchers',
    '#define LAUNCH_K(name) void launch_##name(const float* x, float* y, int n) { k<<<n / 256, 256>>>(x, y, n, 7); }',
    '__global__ void k(const float* x, float* y, int n, int stride) {',
    '  int i = blockIdx.x * blockDim.x + threadIdx.x;',
    '  if (i < n) y[i] = x[i * stride];',
    '}',
    'LAUNCH_K(f32)',
    'void other(const float* x, float* y, int n, int stride) { k<<<n / 256, 256>>>(x, y, n, stride); }',
    '',
  ].join('\n');
  const od = open(text);
  const { tree, fresh } = trees(engine, od);
  assert.equal(tree(), fresh());
  // (from the end of the line above: the edit's first line is no `#define`, the text it removes is)
  const lines = text.split('\n');
  od.applyChanges([{ range: { start: { line: 0, character: lines[0].length }, end: { line: 1, character: lines[1].length } }, text: '' }], 2);
  assert.equal(tree(), fresh());
  od.dropTree();
});
