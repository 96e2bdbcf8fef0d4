// File-level line scans kept across edits (core/line-scans.ts): after each random edit of a
// line (or a line added or removed), as an open document's lines change, every kept scan
// gives what the same scan gives when it reads all the lines again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { changedOnlyWhere, forgetLineScans } from '../server/src/core/line-scans';
import { fileSwitches } from '../server/src/core/facts/file-switches';
import { declaredNames, isSyclSource } from '../server/src/core/facts/declared-only';
import { withSourcePragmas, DEFAULT_BUILD } from '../server/src/core/preprocess/build-flags';
import { explicitInstantiations } from '../server/src/core/facts/instantiations';
import { preprocessFile } from '../server/src/core/facts/shadow';
import { fileConstants } from '../server/src/rules/common/file-constants';
import { ruleFixtures, rng } from './fuzz-inputs';

const NO_HEADERS = { roots: [], includeDirs: [], reader: { read: () => null } };

/** What the scans read: directives and comments, prototypes, SYCL names, library macros, constants, pragmas, instantiations. */
const PIECES = [
  'z', ' ', ';', '(', ')', '#', '/', '*', '//', '/*', '*/', 'define', 'optimize', 'sycl::', 'template ',
  '#define USE_FAST 1', '// #define USE_SLOW', '#undef USE_FAST', '#if 0', '#ifdef X', '#endif', '#ifndef GUARD_H', '#define GUARD_H',
  'float net_forward(const float *x);', 'std::mt19937 rng(42);', 'dpct::get_default_queue();', 'sycl::fmax(a, b)',
  '#define N 1024', 'const int K = 3;', 'constexpr size_t T = 64;', 'CUDA_KERNEL_LOOP(i, n)', 'float* RESTRICT x', '__align__(16)', 'UNROLL',
  '#pragma GCC optimize("-ffast-math")', '#pragma float_control(precise, off)', 'template __global__ void k<4>(const float*, int);',
];

const scans = (lines: string[]) => {
  const text = lines.join('\n');
  const s = fileSwitches(lines);
  return JSON.stringify({
    defined: [...s.defined], off: [...s.off],
    declared: declaredNames(lines), sycl: isSyclSource(lines),
    pragmas: withSourcePragmas(DEFAULT_BUILD, text, lines),
    instantiations: explicitInstantiations(text, new Map(), lines).map((c) => [c.name, c.range, c.templateArgs]),
    // (the view's key names the well-known macros the text uses)
    constants: fileConstants(lines).key,
    view: preprocessFile('/line-scans/t.cu', text, NO_HEADERS, [], lines).key,
  });
};

/** The same scans read from scratch (a fresh array: fileSwitches also keeps its answer per array). */
const fresh = (lines: string[]) => {
  forgetLineScans();
  return scans([...lines]);
};

function files(): { name: string; text: string }[] {
  const out: { name: string; text: string }[] = ruleFixtures().filter((f) => !f.name.endsWith('.py'));
  const corpus = join(__dirname, 'corpus');
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(cu|cuh|c|cc|cpp|h|hpp)$/.test(e.name)) out.push({ name: p, text: readFileSync(p, 'utf8') });
    }
  };
  walk(corpus);
  return out;
}

test('after random line edits, the kept file-level scans equal scans of all the lines', () => {
  const R = rng(7);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(R() * xs.length)];
  let compared = 0;
  let kept = 0;
  for (const file of files()) {
    let lines = file.text.split('\n');
    assert.equal(scans(lines), fresh(lines));
    for (let k = 0; k < 12; k++) {
      const at = Math.floor(R() * lines.length);
      const line = lines[at];
      const col = Math.floor(R() * (line.length + 1));
      const r = R();
      // the unchanged lines stay the same strings, as in an open document
      let edited: string[];
      if (r < 0.5) edited = [...lines.slice(0, at), line.slice(0, col) + pick(PIECES) + line.slice(col), ...lines.slice(at + 1)];
      else if (r < 0.7) edited = [...lines.slice(0, at), line.slice(0, col) + line.slice(col + 1), ...lines.slice(at + 1)];
      else if (r < 0.85) edited = [...lines.slice(0, at), pick(PIECES), ...lines.slice(at)];
      else if (r < 0.95) edited = [...lines.slice(0, at), ...lines.slice(at + 1)];
      else edited = [...lines.slice(0, at), line.slice(0, col), line.slice(col), ...lines.slice(at + 1)];
      if (!edited.length) continue;
      const before = lines;
      const incremental = scans(edited);
      assert.equal(incremental, fresh(edited), `${file.name}: line ${at} edited`);
      compared++;
      if (changedOnlyWhere(before, edited, (l) => l.indexOf('/') < 0 && !l.trimStart().startsWith('#'))) kept++;
      lines = edited;
    }
  }
  assert.ok(compared > 1000 && kept > 100, `compared ${compared} edits, ${kept} of them kept the switches`);
});

test('a line changed among unchanged ones is found however the arrays were made', () => {
  const a = ['x', 'y', 'z'];
  assert.equal(changedOnlyWhere(a, ['x', 'Y', 'z'], (l) => l === 'y' || l === 'Y'), true);
  assert.equal(changedOnlyWhere(a, ['x', 'Y', 'z'], (l) => l === 'y'), false);
  assert.equal(changedOnlyWhere(a, ['x', 'z'], (l) => l === 'y'), true, 'a line removed');
  assert.equal(changedOnlyWhere(a, ['x', 'y', 'w', 'z'], (l) => l === 'w'), true, 'a line added');
  assert.equal(changedOnlyWhere(a, ['x', 'y', 'y', 'z'], () => false), false, 'a repeated line is still a change');
});
