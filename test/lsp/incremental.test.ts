// What the editor shows after an edit is what a fresh analysis of the new text shows: random
// one-character and short-token edits of every rule fixture, each analysed incrementally (the
// open document's re-parsed tree and facts cache) and from scratch, findings compared whole.
// Where tree-sitter's error recovery builds a different tree for the edited text than a fresh
// parse does, the trees are the difference, not the cache: such versions are skipped, and counted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { OpenDocument } from '../../server/src/lsp/documents';
import { Engine } from '../../server/src/core/engine';
import { DEFAULT_CONFIG } from '../../server/src/core/config';
import { detectLanguage, grammarFor } from '../../server/src/core/parser';
import { forgetLineScans } from '../../server/src/core/line-scans';
import type { Finding } from '../../server/src/core/types';
import { ruleFixtures, rng } from '../fuzz-inputs';
import { generateCuda } from '../bench/generate';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const PIECES = ['z', ' ', '\n', ';', '(', ')', '{', '}', '//', '*/', 'i', '1', '*', '+', 'threadIdx.x', '__syncthreads();', 'const ', '<', '>', 'float'];
const EDITS_PER_FILE = 3;

const shown = (fs: Finding[]) => JSON.stringify(fs.map((f) => [f.rule, f.range, f.message, f.severity, f.related, f.assumptions, f.detail, f.function]));

/** A file open in the editor, analysed incrementally; `edit` applies a change and compares the result with a fresh analysis. */
function openFile(engine: Engine, fresh: Engine, name: string, text: string) {
  const path = `/open/${name}`;
  const language = detectLanguage(path, text);
  if (!language) return null;
  const od = new OpenDocument(TextDocument.create(`file://${path}`, 'x', 1, text), language);
  const incremental = () => engine.analyzeTree(language, od.reparse(engine.parsers), od.text, DEFAULT_CONFIG, od.cache, undefined, path);
  const first = incremental();
  return {
    od,
    first,
    /** The findings after `edit`, or null when a fresh parse of the edited text builds another tree (the trees differ, not the cache). */
    edit(edit: Parameters<OpenDocument['applyChanges']>[0][number], version: number): Finding[] | null {
      od.applyChanges([edit], version);
      const seen = incremental();
      // (the file-level line scans kept across edits are module-wide: the fresh analysis reads every line again)
      forgetLineScans();
      const tree = fresh.parsers.parse(grammarFor(language), od.text);
      const sameTree = tree.rootNode.toString() === od.tree!.rootNode.toString();
      const expected = fresh.analyzeTree(language, tree, od.text, DEFAULT_CONFIG, undefined, undefined, path);
      tree.delete();
      if (!sameTree) return null;
      assert.equal(shown(seen), shown(expected), `${name} after ${JSON.stringify(edit)}`);
      return seen;
    },
  };
}

test('after random edits of every rule fixture, the incremental analysis equals a fresh one', async () => {
  const engine = await Engine.create();
  const fresh = await Engine.create();
  const R = rng(11);
  let compared = 0;
  let otherTree = 0;
  for (const file of ruleFixtures()) {
    const open = openFile(engine, fresh, file.name, file.text);
    if (!open) continue;
    const { od } = open;
    // (and one in a template's parameter list, which lies outside the function's own text)
    const header = file.text.split('\n').findIndex((l) => /^template\s*<.+>/.test(l));
    for (let k = 0; k < EDITS_PER_FILE + (header >= 0 ? 1 : 0); k++) {
      const lines = od.text.split('\n');
      const line = k === EDITS_PER_FILE ? header : Math.floor(R() * lines.length);
      const character = k === EDITS_PER_FILE ? lines[line].indexOf('<') + 1 + Math.floor(R() * (lines[line].lastIndexOf('>') - lines[line].indexOf('<') - 1)) : Math.floor(R() * (lines[line].length + 1));
      const deletes = R() < 0.4 && character < lines[line].length;
      const edit = deletes
        ? { range: { start: { line, character }, end: { line, character: character + 1 } }, text: '' }
        : { range: { start: { line, character }, end: { line, character } }, text: PIECES[Math.floor(R() * PIECES.length)] };
      if (open.edit(edit, k + 2)) compared++;
      else otherTree++;
    }
    od.dropTree();
  }
  assert.ok(compared > 500, `compared ${compared} versions (${otherTree} re-parsed into another tree)`);
});

/** The labeled corpus's files of every language: realistic files with many functions, which a line typed near the top moves. */
function corpusFiles(): { name: string; text: string }[] {
  const root = join(__dirname, '..', 'corpus');
  const out: { name: string; text: string }[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(cu|cuh|c|cc|cpp|h|hpp|py)$/.test(e.name)) out.push({ name: p.slice(root.length + 1), text: readFileSync(p, 'utf8') });
    }
  };
  walk(root);
  return out;
}

test('lines typed, deleted or pasted above functions move their findings with them, as a fresh analysis places them', async () => {
  // (whole lines: the functions below move without changing, and the analysis reuses their facts and findings, moved)
  const engine = await Engine.create();
  const fresh = await Engine.create();
  const R = rng(29);
  let compared = 0;
  let moved = 0;
  for (const file of [...ruleFixtures(), ...corpusFiles()]) {
    const open = openFile(engine, fresh, file.name, file.text);
    if (!open) continue;
    for (let k = 0; k < 3; k++) {
      const lines = open.od.text.split('\n');
      const line = Math.floor(R() * Math.min(lines.length, 40));
      const start = { line, character: 0 };
      const edit = k === 0
        ? { range: { start, end: start }, text: '\n' } // Enter at a line's start
        : k === 1
          ? { range: { start, end: { line: line + 1, character: 0 } }, text: '' } // a line deleted
          : { range: { start, end: start }, text: '// pasted\n\n// block\n' }; // a block pasted
      const seen = open.edit(edit, k + 2);
      if (!seen) continue;
      compared++;
      if (seen.some((f) => !open.first.some((b) => b.range.start.line === f.range.start.line))) moved++;
    }
    open.od.dropTree();
  }
  assert.ok(compared > 300, `compared ${compared} versions`);
  assert.ok(moved > 100, `${moved} versions moved findings`);
});

test('edits inside one function of a file of many kernels, launches and hosts: the per-file indexes kept across edits equal a fresh analysis', async () => {
  // (the benchmark's file: an edit changes one function's facts, and the file-level memos keep every other function's share)
  const engine = await Engine.create();
  const fresh = await Engine.create();
  const R = rng(41);
  const { text } = generateCuda(800, 3);
  const open = openFile(engine, fresh, 'generated.cu', text)!;
  let compared = 0;
  for (let k = 0; k < 30; k++) {
    const lines = open.od.text.split('\n');
    // a line inside a body (indented), in a kernel, a launch or a host's code
    const bodies = lines.map((l, i) => (/^\s+\S/.test(l) ? i : -1)).filter((i) => i >= 0);
    const line = bodies[Math.floor(R() * bodies.length)];
    const character = lines[line].search(/\S/) + Math.floor(R() * (lines[line].trim().length + 1));
    const deletes = R() < 0.4 && character < lines[line].length;
    let edit = deletes
      ? { range: { start: { line, character }, end: { line, character: character + 1 } }, text: '' }
      : { range: { start: { line, character }, end: { line, character } }, text: PIECES[Math.floor(R() * PIECES.length)] };
    // every third edit changes a launch: its block size, or a constant count (what the launched kernel's facts are shaped by)
    const launches = lines.map((l, i) => (l.includes('>>>(') ? i : -1)).filter((i) => i >= 0);
    if (k % 3 === 2 && launches.length) {
      const at = launches[Math.floor(R() * launches.length)];
      const [word, by] = k % 2 ? [', threads>>>', ', 16>>>'] : [', n);', ', 1024);'];
      const character = lines[at].indexOf(word);
      if (character >= 0) edit = { range: { start: { line: at, character }, end: { line: at, character: character + word.length } }, text: by };
    }
    if (open.edit(edit, k + 2)) compared++;
  }
  open.od.dropTree();
  assert.ok(compared > 20, `compared ${compared} versions`);
});

/**
 * Rounds of an Enter at a line's start followed by edits elsewhere, published as the server does (findings moved by
 * a layout edit, those of an edit after one, or derived), each compared with a fresh analysis; how many were compared,
 * and how many of those were read as if the Enter were not there.
 */
function editsAfterEnters(engine: Engine, fresh: Engine, name: string, text: string, R: () => number, rounds: number): { compared: number; read: number } {
  const path = `/open/${name}`;
  const language = detectLanguage(path, text);
  if (!language) return { compared: 0, read: 0 };
  const od = new OpenDocument(TextDocument.create(`file://${path}`, 'x', 1, text), language);
  const analyse = (tree: Parameters<Engine['analyzeTree']>[1], t: string) => engine.analyzeTree(language, tree, t, DEFAULT_CONFIG, od.cache, undefined, path);
  const publish = () => {
    const tree = od.reparse(engine.parsers);
    const moved = od.findingsMovedByLayout(tree) ?? od.findingsBeforeLayoutEdits(tree, engine.parsers, analyse);
    const findings = moved?.findings ?? analyse(tree, od.text);
    od.published = { version: od.version, text: od.text, findings, lines: od.cache.lines!.lines, ...(moved ? { movedFrom: moved.from } : {}) };
    od.needsFull = false;
    return { findings, moved: !!moved };
  };
  publish();
  let version = 1;
  let compared = 0;
  let read = 0;
  for (let k = 0; k < rounds; k++) {
    const lines = od.text.split('\n');
    const bodies = lines.map((l, i) => (/^\s+\S/.test(l) ? i : -1)).filter((i) => i >= 0);
    if (!bodies.length) break;
    const pick = () => bodies[Math.floor(R() * bodies.length)];
    const enter = pick();
    od.applyChanges([{ range: { start: { line: enter, character: 0 }, end: { line: enter, character: 0 } }, text: '\n' }], ++version);
    publish(); // (moved, unless the line lies in a comment, or the text does not parse there)
    for (let e = 0; e < 2; e++) {
      let line = pick();
      if (line >= enter) line++;
      const now = od.text.split('\n');
      if (line >= now.length) continue;
      const character = now[line].search(/\S/) + Math.floor(R() * (now[line].trim().length + 1));
      const deletes = R() < 0.4 && character < now[line].length;
      od.applyChanges([deletes
        ? { range: { start: { line, character }, end: { line, character: character + 1 } }, text: '' }
        : { range: { start: { line, character }, end: { line, character } }, text: PIECES[Math.floor(R() * PIECES.length)] }], ++version);
      const seen = publish();
      // (the file-level line scans kept across edits are module-wide: the fresh analysis reads every line again)
      forgetLineScans();
      const tree = fresh.parsers.parse(grammarFor(language), od.text);
      const sameTree = tree.rootNode.toString() === od.tree!.rootNode.toString();
      const expected = fresh.analyzeTree(language, tree, od.text, DEFAULT_CONFIG, undefined, undefined, path);
      tree.delete();
      if (!sameTree) continue;
      assert.equal(shown(seen.findings), shown(expected), `${name} after an Enter at line ${enter} and an edit at ${line}:${character}`);
      compared++;
      if (seen.moved) read++;
    }
    // every third round the Enter deleted (a layout edit again, unless an edit above moved it)
    if (k % 3 === 2) {
      od.applyChanges([{ range: { start: { line: enter, character: 0 }, end: { line: enter + 1, character: 0 } }, text: '' }], ++version);
      publish();
    }
  }
  od.dropTree();
  return { compared, read };
}

test('an edit right after an Enter, away from it: read as if the Enter were not there, its findings moved, as a fresh analysis places them', async () => {
  const engine = await Engine.create();
  const fresh = await Engine.create();
  const R = rng(53);
  const generated = editsAfterEnters(engine, fresh, 'after-enter.cu', generateCuda(800, 5).text, R, 40);
  assert.ok(generated.compared > 50, `compared ${generated.compared} versions`);
  assert.ok(generated.read > 30, `${generated.read} edits were read without the Enter`);
  // and realistic files of every language
  let compared = 0;
  let read = 0;
  for (const file of corpusFiles()) {
    const r = editsAfterEnters(engine, fresh, file.name, file.text, R, 2);
    compared += r.compared;
    read += r.read;
  }
  assert.ok(compared > 100, `compared ${compared} versions of the corpus`);
  assert.ok(read > 50, `${read} edits of the corpus were read without the Enter`);
});

test('an edit of a struct that hands out shared memory (SharedMemory<T>) reads the kernels using it again, as a fresh analysis does', async () => {
  // (a kernel's facts depend on the struct, lines away from the kernel: an edit there must reach them)
  const engine = await Engine.create();
  const fresh = await Engine.create();
  const text = readFileSync(join('server/src/rules/memory/shared-bank-conflict/fixtures', 'shared_memory_struct.cu'), 'utf8');
  const open = openFile(engine, fresh, 'shared_memory_struct.cu', text)!;
  assert.ok(open.first.some((f) => f.rule === 'memory/shared-bank-conflict'), 'the fixture reports the interleaved tree');
  const lines = text.split('\n');
  const at = (needle: string) => {
    const line = lines.findIndex((l) => l.includes(needle));
    const character = lines[line].indexOf(needle);
    return { line, character, end: character + needle.length };
  };
  // the struct renamed, then named back; its array made an ordinary pointer
  const head = at('struct SharedMemory');
  const renamed = open.edit({ range: { start: { line: head.line, character: head.character }, end: { line: head.line, character: head.end } }, text: 'struct SharedMem' }, 2);
  assert.ok(renamed && !renamed.some((f) => f.rule === 'memory/shared-bank-conflict'));
  const back = open.edit({ range: { start: { line: head.line, character: head.character }, end: { line: head.line, character: head.character + 'struct SharedMem'.length } }, text: 'struct SharedMemory' }, 3);
  assert.ok(back && back.some((f) => f.rule === 'memory/shared-bank-conflict'));
  const array = at('extern __shared__ int __smem[];');
  const plain = open.edit({ range: { start: { line: array.line, character: array.character }, end: { line: array.line, character: array.end } }, text: 'int* __smem = nullptr;' }, 4);
  assert.ok(plain && !plain.some((f) => f.rule === 'memory/shared-bank-conflict'));
});

test('a blank typed after an empty `#define NAME` and deleted again: the re-parsed tree is a fresh parse`s (the grammar gets such a line rewritten from its start)', async () => {
  const engine = await Engine.create();
  const fresh = await Engine.create();
  const text = [
    '#define USE_TILED',
    '__global__ void strided(const float* x, float* y) {',
    '  y[threadIdx.x * 32] = x[threadIdx.x];',
    '}',
    '#ifdef USE_TILED',
    '__global__ void copy(const float* x, float* y) { y[threadIdx.x] = x[threadIdx.x]; }',
    '#endif',
    '',
  ].join('\n');
  const open = openFile(engine, fresh, 'define.cu', text)!;
  const end = { line: 0, character: '#define USE_TILED'.length };
  assert.notEqual(open.edit({ range: { start: end, end }, text: ' ' }, 2), null, 'after the blank, the trees differ');
  assert.notEqual(open.edit({ range: { start: end, end: { line: 0, character: end.character + 1 } }, text: '' }, 3), null, 'after deleting it, the trees differ');
  assert.notEqual(open.edit({ range: { start: end, end }, text: '\t' }, 4), null, 'after a tab, the trees differ');
});

test('a caller is read again when a host function it hands constants to stops parsing', async () => {
  const engine = await Engine.create();
  const fresh = await Engine.create();
  const text = readFileSync(join(__dirname, '../../server/src/rules/vectorization/vector-memory-access/fixtures/row_pitch_at_launch.cu'), 'utf8');
  const open = openFile(engine, fresh, 'row_pitch_at_launch.cu', text)!;
  const line = text.split('\n').findIndex((l) => l.startsWith('void launch_vocab('));
  const character = text.split('\n')[line].indexOf(')') + 1;
  // (`void launch_vocab(...)*/ { ... }`: main's call no longer reaches a wrapper, so its 50257 no longer sizes rows_vocab)
  const seen = open.edit({ range: { start: { line, character }, end: { line, character } }, text: '*/' }, 2);
  assert.ok(seen, 'the edited text parses to the same tree incrementally and fresh');
  assert.ok(seen.some((f) => f.function === 'rows_vocab'), 'rows_vocab is judged without the wrapper\'s constants, as a fresh analysis does');
  open.od.dropTree();
});

test('edits inside a launcher macro invocation wrapped over lines: the re-parsed tree is a fresh parse`s', async () => {
  const engine = await Engine.create();
  const fresh = await Engine.create();
  const text = [
    '#define BIND(tag, T, n,                    \\',
    '             m)                            \\',
    '  void run_##tag(T* y, const T* x) {        \\',
    '    strided<<<n, m>>>(x, y);                \\',
    '  }',
    'BIND(f32, float, 4,',
    '     256)',
    '__global__ void strided(const float* x, float* y) {',
    '  y[threadIdx.x * 32] = x[threadIdx.x];',
    '}',
    '',
  ].join('\n');
  const open = openFile(engine, fresh, 'wrapped.cu', text)!;
  // (the closing parenthesis deleted and typed again; the first line's opening one likewise)
  const close = { line: 6, character: '     256'.length };
  assert.notEqual(open.edit({ range: { start: close, end: { line: 6, character: close.character + 1 } }, text: '' }, 2), null, 'after deleting `)`, the trees differ');
  assert.notEqual(open.edit({ range: { start: close, end: close }, text: ')' }, 3), null, 'after typing it again, the trees differ');
  const open1 = { line: 5, character: 'BIND'.length };
  assert.notEqual(open.edit({ range: { start: open1, end: { line: 5, character: open1.character + 1 } }, text: '' }, 4), null, 'after deleting `(`, the trees differ');
  assert.notEqual(open.edit({ range: { start: open1, end: open1 }, text: '(' }, 5), null, 'after typing it again, the trees differ');
});

test('a word typed in a comment leaves the facts as they were: the function keeps its facts object, and a suppression typed in a comment still applies', async () => {
  const engine = await Engine.create();
  const fresh = await Engine.create();
  const { text } = generateCuda(400, 2);
  const open = openFile(engine, fresh, 'generated.cu', text)!;
  const lines = text.split('\n');
  const row = lines.findIndex((l, i) => i > 0 && /^\s+\/\/ /.test(l) && /^__global__/.test(lines[i - 1]));
  assert.ok(row > 0, 'the generated file has a kernel that opens with a comment');
  const before = engine.lastAnalysisFacts!.functions.find((f) => f.range.start.line === row - 1)!;
  const at = { line: row, character: lines[row].indexOf('// ') + 3 };
  const seen = open.edit({ range: { start: at, end: at }, text: 'z' }, 2)!;
  assert.equal(engine.lastAnalysisFacts!.functions.find((f) => f.range.start.line === row - 1), before, 'the same facts object');
  // code changed next to it is read again
  const code = lines.findIndex((l, i) => i > row && l.includes('const int i ='));
  const name = { line: code, character: lines[code].indexOf('const int i') + 'const int i'.length };
  open.edit({ range: { start: name, end: name }, text: 'z' }, 3);
  assert.notEqual(engine.lastAnalysisFacts!.functions.find((f) => f.range.start.line === row - 1), before, 'a code edit gives new facts');
  // a finding of the file, then the same finding suppressed by a comment typed above it
  const target = seen.find((f) => f.range.start.line > 0 && !lines[f.range.start.line - 1].includes('{'));
  assert.ok(target, 'the generated file has a finding');
  const above = { line: target.range.start.line, character: 0 };
  const after = open.edit({ range: { start: above, end: above }, text: `// kernel-advisor-disable-next-line ${target.rule}\n` }, 4);
  assert.ok(after, 'the trees agree');
  assert.ok(!after.some((f) => f.rule === target.rule && f.range.start.line === target.range.start.line + 1 && f.message === target.message), 'the suppressed finding is gone');
  // and a suppression typed into an existing comment, which leaves every facts object as it was
  const seen2 = open.edit({ range: { start: above, end: { line: above.line + 1, character: 0 } }, text: '' }, 5)!;
  assert.ok(seen2.some((f) => f.rule === target.rule && f.message === target.message), 'reported again once the line is gone');
  open.od.dropTree();
  // a suppression typed into the comment above a finding: the facts stay, the finding goes
  const small = [
    '__global__ void column_sum(const float* a, float* out, int n) {',
    '  int col = blockIdx.x * blockDim.x + threadIdx.x;',
    '  float s = 0.f;',
    '  // walk down the column',
    '  for (int r = 0; r < n; ++r) s += a[col * n + r];',
    '  out[col] = s;',
    '}',
    'void run(const float* a, float* out, int n) { column_sum<<<n / 256, 256>>>(a, out, n); }',
  ].join('\n');
  const one = openFile(engine, fresh, 'column_sum.cu', small)!;
  const flagged = one.first.find((f) => f.range.start.line === 4);
  assert.ok(flagged, 'the column walk is reported');
  const kept = engine.lastAnalysisFacts!.functions[0];
  const words = { start: { line: 3, character: '  // '.length }, end: { line: 3, character: '  // walk down the column'.length } };
  const silenced = one.edit({ range: words, text: `kernel-advisor-disable-next-line ${flagged.rule}` }, 2)!;
  assert.equal(engine.lastAnalysisFacts!.functions[0], kept, 'the same facts object');
  assert.ok(!silenced.some((f) => f.rule === flagged.rule && f.range.start.line === 4), 'the finding is suppressed');
  open.od.dropTree();
});

test('a constant edited where the facts do not show it (a struct member a launch passes as a template argument): the file rules run again', async () => {
  const engine = await Engine.create();
  const fresh = await Engine.create();
  const text = [
    'template <int W>',
    '__global__ void flip(const float* in, float* out, int n) {',
    '  __shared__ float tile[W][W];',
    '  int x = blockIdx.x * W + threadIdx.x, y = blockIdx.y * W + threadIdx.y;',
    '  tile[threadIdx.y][threadIdx.x] = in[y * n + x];',
    '  __syncthreads();',
    '  x = blockIdx.y * W + threadIdx.x;',
    '  y = blockIdx.x * W + threadIdx.y;',
    '  out[y * n + x] = tile[threadIdx.x][threadIdx.y];',
    '}',
    'struct Plan {',
    '  static constexpr int Side = 32;',
    '  void go(const float* in, float* out, int n) { flip<Side><<<dim3(n / Side, n / Side), dim3(Side, Side)>>>(in, out, n); }',
    '};',
  ].join('\n');
  const open = openFile(engine, fresh, 'plan.cu', text)!;
  assert.ok(open.first.some((f) => f.rule === 'memory/shared-bank-conflict'), 'the 32-wide tile conflicts');
  const at = { line: 11, character: '  static constexpr int Side = '.length };
  const narrow = open.edit({ range: { start: at, end: { line: 11, character: at.character + 2 } }, text: '4 ' }, 2);
  assert.ok(narrow && !narrow.some((f) => f.rule === 'memory/shared-bank-conflict'), 'a 4-wide tile does not (and the edit was compared with a fresh analysis)');
  open.od.dropTree();
});

test('an edit of a launch wrapper\'s call (the block it hands on) resolves the launches through it again', async () => {
  const engine = await Engine.create();
  const fresh = await Engine.create();
  const name = 'launch_wrapper_params.cu';
  const text = readFileSync(join(__dirname, '../../server/src/rules/memory/uncoalesced-access/fixtures', name), 'utf8');
  const open = openFile(engine, fresh, name, text)!;
  const line = text.split('\n').findIndex((l) => l.includes('time_kernel(halve_cols,'));
  const character = text.split('\n')[line].indexOf('block,') + 2;
  // `block` -> `bock`: the wrapper's block is no longer the (1, 32) of main, and halve_cols' lanes run along x again
  const after = open.edit({ range: { start: { line, character }, end: { line, character: character + 1 } }, text: '' }, 2);
  assert.ok(after, 'the edited text parses to the same tree fresh');
  assert.ok(after.some((f) => f.function === 'halve_cols' && f.rule === 'memory/uncoalesced-access'));
  open.od.dropTree();
});

test('a character typed in code and deleted again: the function gets back the facts object it had, and the findings are a fresh analysis`s', async () => {
  const engine = await Engine.create();
  const fresh = await Engine.create();
  const { text } = generateCuda(400, 3);
  const open = openFile(engine, fresh, 'undo.cu', text)!;
  const lines = text.split('\n');
  const code = lines.findIndex((l) => l.includes('const int i ='));
  assert.ok(code > 0, 'the generated file has an elementwise kernel');
  const fnOf = () => engine.lastAnalysisFacts!.functions.find((f) => f.range.start.line <= code && f.range.end.line >= code)!;
  const before = fnOf();
  const at = { line: code, character: lines[code].indexOf('const int i') + 'const int i'.length };
  for (let v = 2; v < 8; v += 2) {
    assert.ok(open.edit({ range: { start: at, end: at }, text: 'z' }, v), 'the trees agree');
    const typed = fnOf();
    assert.notEqual(typed, before, 'a code edit gives new facts');
    assert.ok(open.edit({ range: { start: at, end: { line: at.line, character: at.character + 1 } }, text: '' }, v + 1), 'the trees agree');
    assert.equal(fnOf(), before, 'deleted again: the facts it had');
  }
  open.od.dropTree();
});
