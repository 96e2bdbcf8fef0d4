// The preprocessor view (server/src/core/preprocess): macro expansion with a segment map
// back to the original text, local headers, #if alternatives, typedefs, constants, and
// the safety of header reading (roots, symlinks, FIFOs, size).
import { describe, test, before, after } from 'node:test';
import { Engine } from '../server/src/core/engine';
import { withAlignas, withoutDeclaratorAttributes, withoutDefiningInvocations, withoutTrailingDefineSpace } from '../server/src/core/parser';
import { withBudget } from '../server/src/core/budget';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, symlinkSync, rmSync, realpathSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  expandMacros, toOriginal, buildView, includeLine, cmakeIncludeDirs, compileCommandsIncludeDirs, fsHeaderReader, builtinMacro,
  type MacroDef, type HeaderReader, type PreprocessorView,
} from '../server/src/core/preprocess';
import { preprocessFile } from '../server/src/core/facts/shadow';

const NO_FILES: HeaderReader = { read: () => null };
const view = (src: string): PreprocessorView => buildView('', src, { includeDirs: [], roots: [], reader: NO_FILES });
/** Expands everything after the #define lines of `src` with the macros they define. */
function expand(src: string, limits?: { maxOutput?: number; maxExpansions?: number }) {
  const v = view(src);
  const lines = src.split('\n');
  let start = 0;
  for (const l of lines) { if (!l.startsWith('#')) break; start += l.length + 1; }
  return { v, start, ...expandMacros(src, start, src.length, v.macros, limits) };
}
const squash = (s: string) => s.replace(/\s+/g, ' ').trim();

describe('expandMacros', () => {
  test('FLOAT4: expansion and segment map back to the invocation, unexpanded text 1:1', () => {
    const src = '#define FLOAT4(v) (reinterpret_cast<float4*>(&(v))[0])\n' +
      '__global__ void k(float* a, float* b, int i) {\n  FLOAT4(b[4 * i]) = FLOAT4(a[4 * i]);\n}\n';
    const r = expand(src);
    assert.equal(r.expandedAny, true);
    assert.equal(r.truncated, false);
    assert.match(r.text, /\(reinterpret_cast<float4\*>\(&\(b\[4 \* i\]\)\)\[0\]\) = \(reinterpret_cast<float4\*>\(&\(a\[4 \* i\]\)\)\[0\]\);/);
    const inv1 = src.indexOf('FLOAT4(b'), inv1End = src.indexOf(' =', inv1);
    const inv2 = src.indexOf('FLOAT4(a'), inv2End = src.indexOf(';', inv2);
    const exp = r.segments.filter(s => s.expanded);
    assert.deepEqual(exp.map(s => [s.origStart, s.origEnd]), [[inv1, inv1End], [inv2, inv2End]]);
    // inside an expansion: start -> invocation start, end -> invocation end
    const sh = r.text.indexOf('reinterpret_cast');
    assert.equal(toOriginal(r.segments, sh), inv1);
    assert.equal(toOriginal(r.segments, sh + 5, true), inv1End);
    // unexpanded text maps 1:1
    for (const word of ['__global__', 'float* b', 'int i', ' = ', '}']) {
      const at = r.text.indexOf(word);
      assert.equal(toOriginal(r.segments, at), src.indexOf(word, r.start), word);
      assert.equal(toOriginal(r.segments, at + word.length, true), src.indexOf(word, r.start) + word.length, word);
    }
    // the shadow text of every unexpanded segment is the original text
    for (const s of r.segments.filter(x => !x.expanded)) assert.equal(r.text.slice(s.shadowStart, s.shadowEnd), src.slice(s.origStart, s.origEnd));
    // segments tile both texts
    assert.equal(r.segments[0].shadowStart, 0);
    assert.equal(r.segments[0].origStart, r.start);
    assert.equal(r.segments[r.segments.length - 1].origEnd, src.length);
    assert.equal(r.segments[r.segments.length - 1].shadowEnd, r.text.length);
  });

  test('nested function-like macros with argument pre-expansion', () => {
    const r = expand('#define SQR(x) ((x) * (x))\n#define IDX(r, c, ld) ((r) * (ld) + (c))\n#define AT(p, r, c) p[IDX(r, c, LD)]\n#define LD 64\n' +
      'v = AT(A, SQR(i), j + 1);\n');
    assert.equal(squash(r.text), 'v = A[((((i) * (i))) * (64) + (j + 1))];');
    assert.equal(r.segments.filter(s => s.expanded).length, 1);
  });

  test('# stringify, ## paste, __VA_ARGS__ and GNU comma swallowing', () => {
    const r = expand('#define STR(x) #x\n#define CAT(a, b) a##b\n#define CALL(f, ...) f(0, ##__VA_ARGS__)\n#define XSTR(x) STR(x)\n#define N 32\n' +
      's = STR(a "q" + 1); int CAT(tile_, N) = CAT(1, 0); t = XSTR(N); CALL(g); CALL(h, 1, 2);\n');
    assert.equal(squash(r.text), 's = "a \\"q\\" + 1"; int tile_N = 10; t = "32"; g(0); h(0, 1, 2);');
  });

  test('a self-referential macro expands once and stops', () => {
    const r = expand('#define SELF (SELF + 1)\n#define A B\n#define B A\nx = SELF; y = A;\n');
    assert.equal(squash(r.text), 'x = (SELF + 1); y = A;');
    assert.equal(r.truncated, false);
  });

  test('exponential A(x) B(x) B(x) chains are truncated quickly, output under the limit', () => {
    let defs = '';
    for (let i = 0; i < 30; i++) defs += `#define M${i + 1}(x) M${i}(x) M${i}(x)\n`;
    const src = defs + 'int y = 0; M30(z);\nint after = 1;\n';
    const t0 = Date.now();
    const r = expand(src);
    const ms = Date.now() - t0;
    assert.equal(r.truncated, true);
    assert.ok(r.text.length <= Math.max(4 * (src.length - r.start), 65536), `output ${r.text.length}`);
    assert.ok(ms < 2000, `took ${ms} ms`);
    assert.match(r.text, /M30\(z\);\nint after = 1;/); // the rest is copied unexpanded
    const small = expand(src, { maxExpansions: 100 });
    assert.equal(small.truncated, true);
  });

  test('DISPATCH: a lambda argument with commas, over several lines, with #pragma inside', () => {
    const src = '#define DISPATCH(TYPE, NAME, ...) switch (TYPE) { case 0: { using scalar_t = float; __VA_ARGS__(); } }\n' +
      '#define RUN(KERNEL, BODY) do { KERNEL; BODY } while (0)\n' +
      'void f(int t) {\n  DISPATCH(t, "name", [&] {\n    int a = 1, b = 2; // a comment, with commas\n#pragma unroll\n    for (int i = 0; i < 4; ++i) k<<<1, 2>>>(a, b);\n  });\n' +
      '  RUN(go(), { x = y, z; })\n}\n';
    const r = expand(src);
    const body = squash(r.text);
    assert.match(body, /switch \(t\) \{ case 0: \{ using scalar_t = float; \[&\] \{ int a = 1, b = 2; #pragma unroll for \(int i = 0; i < 4; \+\+i\) k<<<1, 2>>>\(a, b\); \}\(\); \} \}/);
    assert.ok(!r.text.includes('// a comment'), 'comments inside arguments become whitespace');
    assert.match(r.text, /\n#pragma unroll\n/); // still on a line of its own
    assert.match(body, /do \{ go\(\); \{ x = y, z; \} \} while \(0\)/); // non-variadic: brace-aware fallback
    const seg = r.segments.filter(s => s.expanded);
    assert.equal(seg.length, 2);
    assert.equal(seg[0].origStart, src.indexOf('DISPATCH(t'));
    assert.equal(seg[0].origEnd, src.indexOf(';\n  RUN'));
  });

  test('not expanded: strings, comments, directive lines, a function-like name without "("', () => {
    const src = '#define N 32\n#define F(x) x\nconst char* s = "N F(1)"; // N\n#pragma unroll N\nint F = N; auto g = F;\n';
    const r = expand(src);
    assert.equal(r.text, 'const char* s = "N F(1)"; // N\n#pragma unroll N\nint F = 32; auto g = F;\n');
  });

  test('object-like macro whose expansion calls a function-like macro with arguments from the source', () => {
    const r = expand('#define G(x) (x + 1)\n#define F G\ny = F(2) * F;\n');
    assert.equal(squash(r.text), 'y = (2 + 1) * G;');
    const e = r.segments.filter(s => s.expanded)[0];
    assert.equal(e.origEnd - e.origStart, 'F(2)'.length);
  });

  test('builtins: CUDA_KERNEL_LOOP, POLYBENCH_2D, _PB_NI through a falling-back table', () => {
    const table = { get: (n: string) => builtinMacro(n) ?? undefined } as unknown as ReadonlyMap<string, MacroDef>;
    const src = 'void k(int n, DATA_TYPE POLYBENCH_2D(A, NI, NJ, ni, nj)) {\n  CUDA_KERNEL_LOOP(idx, n) { A[idx][0] = _PB_NI; }\n}\n';
    const r = expandMacros(src, 0, src.length, table);
    assert.equal(squash(r.text), 'void k(int n, DATA_TYPE A[NI][NJ]) { for (int idx = blockIdx.x * blockDim.x + threadIdx.x; idx < (n); idx += blockDim.x * gridDim.x) { A[idx][0] = ni; } }');
    assert.equal(builtinMacro('POLYBENCH_1D_ARRAY_DECL'), null);
    // a project's `#pragma unroll` macro whose header is not found expands to nothing; a bare UNROLL (sometimes with arguments) is left alone
    assert.equal(builtinMacro('NGP_PRAGMA_UNROLL')?.body, '');
    assert.equal(builtinMacro('CUTLASS_PRAGMA_NO_UNROLL')?.body, '');
    assert.equal(builtinMacro('UNROLL'), null);
    assert.equal(builtinMacro('SCALAR_VAL')?.body, 'x');
    assert.equal(builtinMacro('_PB_lower'), null);
  });

  test('bad input never throws', () => {
    const m = new Map<string, MacroDef>([['F', { name: 'F', params: ['x'], variadic: false, body: '#x ## ## x #' }], ['G', { name: 'G', params: null, variadic: false, body: 'F(' }]]);
    for (const s of ['F(', 'F(((', 'G', 'G 1)', '"unterminated', "'", '/* open', 'R"x(raw', '#', '\\', 'F(G)(G)', '\u0000\uffff']) {
      const r = expandMacros(s, 0, s.length, m);
      assert.equal(typeof r.text, 'string');
    }
    assert.equal(expandMacros('abc', 5, -3, m).text, '');
    assert.equal(toOriginal([], 5), 5);
    const deep = '#define F(x) x\n' + 'F('.repeat(5000) + '1' + ')'.repeat(5000);
    const r = expand(deep);
    assert.equal(typeof r.text, 'string');
  });
});

describe('the type a build without -D flags gives an alias', () => {
  const POLYBENCH = (fallback: string) => `# if !defined(DATA_TYPE_IS_INT) && !defined(DATA_TYPE_IS_FLOAT) && !defined(DATA_TYPE_IS_DOUBLE)
#  define DATA_TYPE_IS_${fallback}
# endif
#ifdef DATA_TYPE_IS_INT
#  define DATA_TYPE int
#endif
#ifdef DATA_TYPE_IS_FLOAT
#  define DATA_TYPE float
#endif
#ifdef DATA_TYPE_IS_DOUBLE
#  define DATA_TYPE double
#endif
typedef DATA_TYPE real;
`;
  test("PolyBench's DATA_TYPE keeps its three alternatives, and the header's fallback is the default, through a typedef too", () => {
    for (const [fallback, type] of [['DOUBLE', 'double'], ['INT', 'int'], ['FLOAT', 'float']]) {
      const v = view(POLYBENCH(fallback));
      assert.deepEqual(v.typeAliases.get('DATA_TYPE'), ['int', 'float', 'double']);
      assert.equal(v.defaultTypes.get('DATA_TYPE'), type);
      assert.equal(v.defaultTypes.get('real'), type);
    }
  });

  test('an #if on a value nothing defines, or on a name the compiler predefines, decides nothing; an #ifdef of a flag nothing sets takes its #else', () => {
    const v = view('#if CUDA_VERSION >= 11000\ntypedef __nv_bfloat16 floatX;\n#else\ntypedef float floatX;\n#endif\n');
    assert.deepEqual(v.typeAliases.get('floatX'), ['__nv_bfloat16', 'float']);
    assert.equal(v.defaultTypes.get('floatX'), undefined);
    // (an #ifdef of a name no header defines: the build without -D flags takes its #else)
    const w = view('#ifdef ENABLE_BF16\ntypedef __nv_bfloat16 floatX;\n#else\ntypedef float floatX;\n#endif\n');
    assert.equal(w.defaultTypes.get('floatX'), 'float');
    // (a name the compiler predefines, `__GNUC__`, is no flag left unset: undecided)
    const g = view('#if defined(__GNUC__) || defined(__clang__)\n#define DATA_TYPE double\n#else\n#define DATA_TYPE int\n#endif\n');
    assert.deepEqual(g.typeAliases.get('DATA_TYPE'), ['double', 'int']);
    assert.equal(g.defaultTypes.get('DATA_TYPE'), undefined);
  });
});

describe('buildView', () => {
  let dir = '';
  let outside = '';
  before(() => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'ka-pp-')));
    outside = realpathSync(mkdtempSync(join(tmpdir(), 'ka-out-')));
    mkdirSync(join(dir, 'src'));
    mkdirSync(join(dir, 'inc'));
    mkdirSync(join(dir, 'include'));
    writeFileSync(join(dir, 'src', 'common.h'), '#pragma once\n#include "cycle_a.h"\n#define TILE 32\n#define ROWS (TILE * 2)\ntypedef float real_t;\n');
    writeFileSync(join(dir, 'src', 'cycle_a.h'), '#include "cycle_b.h"\n#define FROM_A 1\n');
    writeFileSync(join(dir, 'src', 'cycle_b.h'), '#include "cycle_a.h"\n#include "common.h"\n#define FROM_B 2\n');
    writeFileSync(join(dir, 'inc', 'lib.h'), '#ifndef LIB_H\n#define LIB_H\nconstexpr int LIB_N = 7;\n#endif\n');
    writeFileSync(join(dir, 'include', 'angled.h'), '#define ANGLED 3\n');
    writeFileSync(join(outside, 'secret.h'), '#define SECRET 1\n');
    symlinkSync(join(outside, 'secret.h'), join(dir, 'src', 'link.h'));
  });
  after(() => { rmSync(dir, { recursive: true, force: true }); rmSync(outside, { recursive: true, force: true }); });

  const opts = () => ({ includeDirs: [join(dir, 'inc')], roots: [dir, join(dir, 'inc')], reader: fsHeaderReader([dir, join(dir, 'inc')]) });

  test('includes: relative, via includeDirs, <> fallback to <ancestor>/include, cycles read once', () => {
    const main = join(dir, 'src', 'main.cu');
    const v = buildView(main, '#include "common.h"\n#include <lib.h>\n#include <angled.h>\n#include <cuda_runtime.h>\n#include <vector>\n#include "main.cu"\n', opts());
    assert.deepEqual(v.headers, [join(dir, 'src', 'common.h'), join(dir, 'src', 'cycle_a.h'), join(dir, 'src', 'cycle_b.h'), join(dir, 'inc', 'lib.h'), join(dir, 'include', 'angled.h')]);
    assert.equal(v.macros.get('TILE')?.body, '32');
    assert.equal(v.constants.get('TILE'), 32);
    assert.equal(v.constants.get('ROWS'), 64);
    assert.equal(v.constants.get('LIB_N'), 7);
    assert.equal(v.constants.get('ANGLED'), 3);
    assert.ok(v.macros.has('FROM_A') && v.macros.has('FROM_B'));
    assert.deepEqual(v.typeAliases.get('real_t'), ['float']);
  });

  test('without build configuration, a header in a sibling includes/ or inc/ folder of an ancestor is found', () => {
    mkdirSync(join(dir, 'kernels', 'cuda'), { recursive: true });
    mkdirSync(join(dir, 'kernels', 'includes'), { recursive: true });
    writeFileSync(join(dir, 'kernels', 'includes', 'kernels.h'), '#define WARP_SIZE 32\n');
    const main = join(dir, 'kernels', 'cuda', 'softmax.cu');
    const none = { includeDirs: [], roots: [dir], reader: fsHeaderReader([dir]) };
    const v = buildView(main, '#include "kernels.h"\n#include "lib.h"\n', none);
    assert.deepEqual(v.headers, [join(dir, 'kernels', 'includes', 'kernels.h'), join(dir, 'inc', 'lib.h')]);
    assert.equal(v.constants.get('WARP_SIZE'), 32);
    assert.equal(v.constants.get('LIB_N'), 7);
  });

  test('without build configuration, a header in a common/ folder of an ancestor is found (cuda_hgemm, cuda-samples)', () => {
    mkdirSync(join(dir, 'gemm', 'src', 'mma'), { recursive: true });
    mkdirSync(join(dir, 'gemm', 'common'), { recursive: true });
    writeFileSync(join(dir, 'gemm', 'common', 'ptx.h'), '#define CP_ASYNC_COMMIT_GROUP() asm volatile("cp.async.commit_group;\\n" ::)\n#define PTX_LANES 32\n');
    const none = { includeDirs: [], roots: [dir], reader: fsHeaderReader([dir]) };
    const v = buildView(join(dir, 'gemm', 'src', 'mma', 'hgemm.cu'), '#include "ptx.h"\n', none);
    assert.deepEqual(v.headers, [join(dir, 'gemm', 'common', 'ptx.h')]);
    assert.equal(v.constants.get('PTX_LANES'), 32);
  });

  test("a project's header named like the toolkit's (`cuda_util.h`, `device_utils.h`) is looked for in the ancestors' common/ folders too", () => {
    mkdirSync(join(dir, 'hg', 'src', 'common'), { recursive: true });
    writeFileSync(join(dir, 'hg', 'src', 'common', 'cuda_util.h'), '#define THREAD_X 128\n');
    writeFileSync(join(dir, 'hg', 'src', 'common', 'device_utils.h'), '#define WARPS 4\n');
    const none = { includeDirs: [], roots: [dir], reader: fsHeaderReader([dir]) };
    const v = buildView(join(dir, 'hg', 'src', 'hgemm.cu'), '#include "cuda_util.h"\n#include "device_utils.h"\n#include "cuda_runtime.h"\n', none);
    assert.deepEqual(v.headers, [join(dir, 'hg', 'src', 'common', 'cuda_util.h'), join(dir, 'hg', 'src', 'common', 'device_utils.h')]);
    assert.equal(v.constants.get('THREAD_X'), 128);
    assert.deepEqual(v.missing, [], 'the toolkit header is not said missing');
  });

  test("a folder opened by itself finds the headers its files include by the folder's own name; nothing above it is read", () => {
    const lib = join(dir, 'netlib');
    mkdirSync(join(lib, 'util'), { recursive: true });
    mkdirSync(join(lib, 'layers'), { recursive: true });
    writeFileSync(join(lib, 'util', 'types.h'), 'typedef float float_t;\n#define LANES 8\n');
    writeFileSync(join(dir, 'above.h'), '#define ABOVE 1\n');
    const only = { includeDirs: [], roots: [lib], reader: fsHeaderReader([lib]) };
    const v = buildView(join(lib, 'layers', 'fc.h'), '#include "netlib/util/types.h"\n#include "above.h"\n', only);
    assert.deepEqual(v.headers, [join(lib, 'util', 'types.h')]);
    assert.equal(v.constants.get('LANES'), 8);
    assert.ok(!v.macros.has('ABOVE'));
  });

  test('local headers not found are listed (not the SDK\'s, not angled ones, not those in code a build leaves out), once each', () => {
    const none = { includeDirs: [], roots: [dir], reader: fsHeaderReader([dir]) };
    const src = '#include "common.h"\n#include "gen/config.h"\n#include "cuda_fp16.h"\n#include "cuda.h"\n#include "cuComplex.h"\n#include "nvtx3/nvToolsExt.h"\n#include "device_launch_parameters.h"\n#include "math_utils.cuh"\n#include <lost.h>\n#if 0\n#include "off.h"\n#endif\n#include "gen/config.h"\n#include "common.h"\n';
    const v = buildView(join(dir, 'src', 'main.cu'), src, none);
    // (`common.h` twice: the second is read already, not missing)
    assert.deepEqual(v.missing, ['gen/config.h', 'math_utils.cuh']);
    assert.equal(includeLine(src.split('\n'), 'gen/config.h'), 1);
  });

  test('headers outside the roots, and symlinks pointing outside, are refused', () => {
    const main = join(dir, 'src', 'main.cu');
    const v = buildView(main, `#include "link.h"\n#include "${join(outside, 'secret.h')}"\n#include "../../${outside.split('/').pop()}/secret.h"\n`, opts());
    assert.deepEqual(v.headers, []);
    assert.equal(v.macros.has('SECRET'), false);
    const r = fsHeaderReader([dir]);
    assert.equal(r.read(join(dir, 'src', 'link.h')), null);
    assert.equal(r.read(join(outside, 'secret.h')), null);
    assert.equal(r.read('relative.h'), null);
    assert.match(r.read(join(dir, 'src', 'common.h')) ?? '', /TILE/);
  });

  test('a FIFO header is refused without blocking', (t) => {
    const fifo = join(dir, 'src', 'fifo.h');
    const mk = spawnSync('mkfifo', [fifo]);
    if (mk.error || mk.status !== 0 || !existsSync(fifo)) { t.skip('mkfifo not available'); return; }
    const r = fsHeaderReader([dir]);
    assert.equal(r.read(fifo), null);
    const v = buildView(join(dir, 'src', 'm.cu'), '#include "fifo.h"\n#define OK 1\n', { ...opts(), reader: r });
    assert.deepEqual(v.headers, []);
    assert.equal(v.constants.get('OK'), 1);
  });

  test('file size limit and caching by mtime+size', () => {
    const big = join(dir, 'src', 'big.h');
    writeFileSync(big, '#define X 1\n' + '// pad\n'.repeat(1000));
    assert.equal(fsHeaderReader([dir], { maxBytes: 100 }).read(big), null);
    const r = fsHeaderReader([dir], { statIntervalMs: 0 });
    assert.match(r.read(big) ?? '', /X 1/);
    writeFileSync(big, '#define X 22\n');
    assert.match(r.read(big) ?? '', /X 22/);
  });

  test('undecided #if keeps both branches: typedef and macro alternatives', () => {
    const v = view('#ifdef ENABLE_BF16\ntypedef __nv_bfloat16 floatX;\n#define VEC 8\n#define ftype half\n#else\ntypedef float floatX;\n#define VEC 4\n#define ftype float\n#endif\n' +
      '#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800\nusing acc_t = float;\n#else\nusing acc_t = double;\n#endif\n');
    assert.deepEqual(v.typeAliases.get('floatX'), ['__nv_bfloat16', 'float']);
    assert.deepEqual(v.typeAliases.get('acc_t'), ['float', 'double']);
    assert.deepEqual(v.typeAliases.get('ftype'), ['half', 'float']);
    assert.equal(v.macros.get('VEC')?.body, '8');
    assert.deepEqual(v.alternatives.get('VEC')?.map(d => d.body), ['8', '4']);
    assert.equal(v.constants.has('VEC'), false, 'a constant with two possible values is not a constant');
  });

  test('a build switch chain (#ifdef X / #define T X / #else / #define T 16) with X defined nowhere: the file\'s own 16', () => {
    const v = view('#ifdef TILE_SMALL\n#define TS TILE_SMALL\n#elif defined(TILE_LARGE)\n#define TS TILE_LARGE\n#else\n#define TS 16\n#endif\n' +
      '#ifdef WIDE\n#define VEC 8\n#else\n#define VEC 4\n#endif\n');
    assert.equal(v.constants.get('TS'), 16);
    assert.equal(v.macros.get('TS')?.body, '16');
    assert.deepEqual(v.alternatives.get('TS')?.map(d => d.body), ['TILE_SMALL', 'TILE_LARGE', '16'], 'the alternatives are all kept');
    assert.equal(v.constants.has('VEC'), false, 'two values the file gives itself are still two');
  });

  test('a dataset switch the header sets for a build that names none (PolyBench): its sizes are that build\'s defaults', () => {
    const v = view('#if !defined(MINI_DATASET) && !defined(LARGE_DATASET)\n# define LARGE_DATASET\n#endif\n' +
      '#if !defined(NP)\n# ifdef MINI_DATASET\n#  define NP 12\n# endif\n# ifdef LARGE_DATASET\n#  define NP 160\n# endif\n#endif\n' +
      '#ifdef WIDE\n#define VEC 8\n#else\n#define VEC 4\n#endif\n');
    assert.equal(v.defaultConstants.get('NP'), 160, 'LARGE_DATASET is what a build without -D flags compiles');
    assert.equal(v.constants.has('NP'), false, 'a build may name another dataset: NP is no constant');
    assert.deepEqual(v.alternatives.get('NP')?.map(d => d.body), ['12', '160'], 'the alternatives are all kept');
    assert.equal(v.constants.has('VEC') || v.defaultConstants.has('VEC'), false, 'an #else arm of a flag nothing defines is still one of two values');
    const chain = view('#if !defined(MINI_DATASET) && !defined(LARGE_DATASET)\n# define LARGE_DATASET 1\n#endif\n' +
      '#if defined(MINI_DATASET)\n# define NP 12\n#elif defined(LARGE_DATASET)\n# define NP 160\n#endif\n');
    assert.equal(chain.defaultConstants.get('NP'), 160, 'an #elif chain, and a switch defined as 1');
  });

  test('a selector of one of its arguments an undecided #ifdef defines (POLYBENCH_C99_SELECT): the build without -D flags picks', () => {
    const v = view('#ifdef POLYBENCH_USE_C99_PROTO\n# define POLYBENCH_C99_SELECT(x,y) y\n#else\n# define POLYBENCH_C99_SELECT(x,y) x\n#endif\n' +
      '#ifdef FAST\n# define PICK(a,b) (a)\n#else\n# define PICK(a,b) (a + b)\n#endif\n');
    assert.equal(v.defaultSelectors.get('POLYBENCH_C99_SELECT')?.body, 'x', 'the #else arm, the fixed extent');
    assert.deepEqual(v.alternatives.get('POLYBENCH_C99_SELECT')?.map(d => d.body), ['y', 'x'], 'the alternatives are all kept');
    assert.equal(v.defaultSelectors.has('PICK'), false, 'an arm that computes is no selector');
  });

  test('decided conditionals: #if 0/1, known macros, #elif, include guards, #undef', () => {
    const v = view('#ifndef GUARD_H\n#define GUARD_H\n#define TILE 32\n#if 0\n#define DEAD 1\n#elif 1\n#define LIVE 1\n#else\n#define DEAD2 1\n#endif\n' +
      '#if TILE == 32\ntypedef float T32;\n#else\ntypedef double T32;\n#endif\n#ifdef TILE\n#define HAS_TILE 1\n#endif\n' +
      '#undef LIVE\n#ifdef LIVE\n#define DEAD3 1\n#else\n#define NOT_LIVE 1\n#endif\n#if TILE > 16 && UNKNOWN_FLAG\n#define MAYBE 1\n#endif\n#endif\n');
    assert.ok(v.macros.has('GUARD_H') && v.macros.has('TILE'));
    assert.equal(v.macros.has('DEAD') || v.macros.has('DEAD2') || v.macros.has('DEAD3'), false);
    assert.ok(v.macros.has('HAS_TILE') && v.macros.has('NOT_LIVE') && v.macros.has('MAYBE'));
    assert.equal(v.macros.has('LIVE'), false);
    assert.deepEqual(v.typeAliases.get('T32'), ['float']);
  });

  test('constants: constexpr, const, static constexpr, #define, expressions; typedef forms', () => {
    const v = view('#define BLOCK (256)\n#define SHIFT 1u << 4\n#define PI 3.14f\nconstexpr int TILE = 32;\nconst int N = 1024;\nstatic constexpr unsigned X = 4u;\n' +
      'constexpr int TILE2 = TILE * 2, HALF = N / 2;\nconstexpr std::size_t BYTES{BLOCK * 4};\nconst float F = 1.0f;\n' +
      'namespace cfg { constexpr int INNER = 8; }\nvoid f() { constexpr int LOCAL = 3; }\nstruct S { static constexpr int MEMBER = 5; };\n' +
      'typedef unsigned   int uint_t;\ntypedef const float* cfptr;\ntypedef void (*fn_t)(int);\ntypedef struct { int a; } Pod;\ntemplate <typename T> using Vec = T*;\nusing namespace std;\n');
    assert.equal(v.constants.get('TILE'), 32);
    assert.equal(v.constants.get('N'), 1024);
    assert.equal(v.constants.get('X'), 4);
    assert.equal(v.constants.get('TILE2'), 64);
    assert.equal(v.constants.get('HALF'), 512);
    assert.equal(v.constants.get('BYTES'), 1024);
    assert.equal(v.constants.get('BLOCK'), 256);
    assert.equal(v.constants.get('SHIFT'), 16);
    assert.equal(v.constants.get('INNER'), 8);
    for (const n of ['PI', 'F', 'LOCAL', 'MEMBER']) assert.equal(v.constants.has(n), false, n);
    assert.deepEqual(v.typeAliases.get('uint_t'), ['unsigned int']);
    assert.deepEqual(v.typeAliases.get('cfptr'), ['float*']);
    for (const n of ['fn_t', 'Pod', 'Vec']) assert.equal(v.typeAliases.has(n), false, n);
  });

  test('the key changes when a definition changes, and only then', () => {
    const a = view('#define TILE 32\ntypedef float T;\n');
    const b = view('#define TILE 32\ntypedef float T;\nint unrelated_edit;\n');
    const c = view('#define TILE 64\ntypedef float T;\n');
    assert.equal(a.key, b.key);
    assert.notEqual(a.key, c.key);
  });

  test('compile_commands.json: -I, -isystem, --include-directory, relative to "directory"', () => {
    writeFileSync(join(dir, 'compile_commands.json'), JSON.stringify([
      { directory: join(dir, 'build'), command: `nvcc -Iinc -I ${join(dir, 'third')} -isystem "/opt/x y/include" -DN=1 -c ../src/main.cu`, file: 'main.cu' },
      { directory: dir, arguments: ['clang++', '--include-directory=gen', '-I', 'inc', '-isystem/usr/local/cuda/include', '-o', 'x.o'], file: 'y.cpp' },
    ]));
    const dirs = compileCommandsIncludeDirs(dir, fsHeaderReader([dir]));
    assert.deepEqual(dirs, [join(dir, 'build', 'inc'), join(dir, 'third'), '/opt/x y/include', join(dir, 'gen'), join(dir, 'inc'), '/usr/local/cuda/include']);
    writeFileSync(join(dir, 'compile_commands.json'), '{ not json');
    assert.deepEqual(compileCommandsIncludeDirs(dir, fsHeaderReader([dir])), []);
    assert.deepEqual(compileCommandsIncludeDirs(join(dir, 'none'), fsHeaderReader([dir])), []);
  });

  test('CMakeLists.txt: include_directories and target_include_directories, relative to the root; other variables skipped', () => {
    const root = mkdtempSync(join(tmpdir(), 'ka-cmake-'));
    writeFileSync(join(root, 'CMakeLists.txt'), [
      'cmake_minimum_required(VERSION 3.18)',
      '# include_directories(commented/out)',
      'include_directories(include)',
      'include_directories(include/utils "third_party/json")',
      'if (USE_CUDA)',
      '  include_directories(${CMAKE_CURRENT_SOURCE_DIR}/include/devices/cuda)',
      'endif()',
      'target_include_directories(fastllm PUBLIC ${PROJECT_SOURCE_DIR}/src PRIVATE gen)',
      'include_directories(${CUDA_TOOLKIT_ROOT_DIR}/include $<BUILD_INTERFACE:x>)',
    ].join('\n'));
    assert.deepEqual(cmakeIncludeDirs(root, fsHeaderReader([root])), ['include', 'include/utils', 'third_party/json', 'include/devices/cuda', 'src', 'gen'].map((d) => join(root, d)));
    assert.deepEqual(cmakeIncludeDirs(join(root, 'none'), fsHeaderReader([root])), []);
    rmSync(root, { recursive: true, force: true });
  });

  /** A kernel moving float4s through `FETCH_FLOAT4` from `header`, beside a strided one that the header cannot change. */
  const float4Kernels = (header: string) => `#include "${header}"
__global__ void scale4(float* a, float* b, int n) {
  int i = (blockIdx.x * blockDim.x + threadIdx.x) * 4;
  if (i + 3 < n) { float4 v = FETCH_FLOAT4(a[i]); v.x *= 2.f; v.y *= 2.f; v.z *= 2.f; v.w *= 2.f; FETCH_FLOAT4(b[i]) = v; }
}
__global__ void strided(const float* x, float* y, int n, int ld) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = x[i * ld];
}
`;

  test('a project of its own inside the workspace: its CMakeLists.txt names where its headers are, whatever folder is the workspace', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ka-cmake-'));
    const project = join(root, 'kernels', 'hgemm');
    mkdirSync(join(project, 'src', 'common'), { recursive: true });
    mkdirSync(join(project, 'src', 'mma'), { recursive: true });
    writeFileSync(join(project, 'CMakeLists.txt'), 'project(hgemm LANGUAGES CXX CUDA)\ninclude_directories(${PROJECT_SOURCE_DIR}/src/common)\n');
    writeFileSync(join(project, 'src', 'common', 'vec.h'), '#define FETCH_FLOAT4(p) (reinterpret_cast<float4*>(&(p))[0])\n');
    const kernel = float4Kernels('vec.h');
    const path = join(project, 'src', 'mma', 'scale.cu');
    writeFileSync(path, kernel);
    // the workspace is the folder above the project (no CMakeLists.txt at its root), or the project itself
    for (const workspace of [root, join(root, 'kernels'), project]) {
      const engine = await Engine.create(['cuda']);
      engine.setWorkspace([workspace]);
      const found = engine.analyzeText(path, kernel).findings.filter((f) => f.rule === 'memory/uncoalesced-access').map((f) => f.function);
      assert.deepEqual(found, ['strided'], `workspace ${workspace}: FETCH_FLOAT4 from src/common/vec.h is one 16-byte load per lane`);
    }
    rmSync(root, { recursive: true, force: true });
  });

  test('a header found through CMake\'s include directories expands its vector-cast macro; a vendored include directory stays vendored', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ka-cmake-'));
    mkdirSync(join(root, 'include', 'cuda'), { recursive: true });
    mkdirSync(join(root, 'src', 'linear'), { recursive: true });
    mkdirSync(join(root, 'third_party', 'lib'), { recursive: true });
    writeFileSync(join(root, 'CMakeLists.txt'), 'include_directories(include/cuda third_party/lib)\n');
    writeFileSync(join(root, 'include', 'cuda', 'common.cuh'), '#define FETCH_FLOAT4(p) (reinterpret_cast<float4*>(&(p))[0])\n');
    const kernel = float4Kernels('common.cuh');
    const path = join(root, 'src', 'linear', 'scale.cu');
    writeFileSync(path, kernel);
    const vendored = join(root, 'third_party', 'lib', 'strided.cu');
    writeFileSync(vendored, kernel);
    const engine = await Engine.create(['cuda']);
    engine.setWorkspace([root]);
    const found = engine.analyzeText(path, kernel).findings.filter((f) => f.rule === 'memory/uncoalesced-access').map((f) => f.function);
    assert.deepEqual(found, ['strided'], 'FETCH_FLOAT4(a[i]) with i = 4 * thread: one 16-byte load per lane, coalesced');
    assert.deepEqual(engine.analyzeText(vendored, kernel).findings, [], 'third_party/ is vendored, also when it is an include directory');
    rmSync(root, { recursive: true, force: true });
  });

  test('limits: depth and header count; a throwing reader; garbage input', () => {
    const files = new Map<string, string>();
    for (let i = 0; i < 20; i++) files.set(`/r/h${i}.h`, `#include "h${i + 1}.h"\n#define D${i} ${i}\n`);
    const reader: HeaderReader = { read: p => files.get(p) ?? null };
    const v = buildView('/r/main.cu', '#include "h0.h"\n', { includeDirs: [], roots: ['/r'], reader, maxDepth: 3 });
    assert.equal(v.headers.length, 3);
    const w = buildView('/r/main.cu', '#include "h0.h"\n', { includeDirs: [], roots: ['/r'], reader, maxHeaders: 5 });
    assert.equal(w.headers.length, 5);
    const boom: HeaderReader = { read: () => { throw new Error('boom'); } };
    assert.deepEqual(buildView('/r/main.cu', '#include "x.h"\n#define A 1\n', { includeDirs: [], roots: ['/r'], reader: boom }).constants.get('A'), 1);
    for (const s of ['#if\n', '#elif 1\n#endif\n#endif\n', '#define\n#define (x)\n#define F(a,\n', '#if ((((((((((1\n', '{{{{', '}}}}typedef int x;', '#define A A\n#if A\n#endif\n']) {
      assert.equal(typeof view(s).key, 'string');
    }
    let chain = '';
    for (let i = 0; i < 40; i++) chain += `#define C${i + 1} (C${i} + C${i})\n`;
    const t0 = Date.now();
    view('#define C0 1\n' + chain + '#if C40 > 0\n#endif\n');
    assert.ok(Date.now() - t0 < 2000);
  });
});

describe('the view under the time budget in force (the file budget, see Engine.facts)', () => {
  test('scanning, reading headers and #if evaluation stop when it runs out; what was read is kept', () => {
    const files = new Map<string, string>();
    for (let i = 0; i < 50; i++) files.set(`/r/h${i}.h`, Array.from({ length: 200 }, (_, j) => `#define H${i}_${j} ${j}\n#if H${i}_${j} > 3\n#endif\n`).join(''));
    const main = Array.from({ length: 50 }, (_, i) => `#include "h${i}.h"\n`).join('') + '#define LAST 1\n';
    const opts = { includeDirs: [], roots: ['/r'], reader: { read: (p: string) => files.get(p) ?? null }, maxHeaders: 100 };
    const full = buildView('/r/main.cu', main, opts);
    assert.equal(full.headers.length, 50);
    assert.equal(full.constants.get('LAST'), 1);
    // a budget already spent: the view stops at its first clock check and returns (never throws)
    const cut = withBudget(0, Infinity, () => buildView('/r/main.cu', main, opts));
    assert.ok(cut.headers.length < 5, `${cut.headers.length} headers read`);
    assert.equal(cut.constants.get('LAST'), undefined);
    assert.notEqual(cut.key, full.key);
    assert.equal(cut.cut, true, 'marked as cut short (preprocessFile does not cache it)');
    assert.equal(full.cut, undefined);
    // without a budget in force the same view as before
    assert.equal(buildView('/r/main.cu', main, opts).key, full.key);
  });
});

describe('macros that write kernels and launch wrappers', () => {
  test('`DEFINE_UNARY(sign, ...)` at file scope defines a kernel and its wrapper; a chain through it is found', async () => {
    const engine = await Engine.create(['cuda']);
    const dir = mkdtempSync(join(tmpdir(), 'ka-macro-made-'));
    mkdirSync(join(dir, 'include', 'lib'), { recursive: true });
    mkdirSync(join(dir, 'src', 'layers'), { recursive: true });
    // the header sits in include/, found from src/layers/ without any include path set
    writeFileSync(join(dir, 'include', 'lib', 'math.hpp'), `#pragma once
#define KERNEL_LOOP(i, n) for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += blockDim.x * gridDim.x)
#define DEFINE_UNARY(name, operation) \\
__global__ void name##_kernel(const int n, const float* x, float* y) { \\
  KERNEL_LOOP(index, n) { operation; } \\
} \\
void gpu_##name(const int n, const float* x, float* y) { \\
  name##_kernel<<<(n + 255) / 256, 256>>>(n, x, y); \\
}
`);
    const text = `#include "lib/math.hpp"
DEFINE_UNARY(sign, y[index] = (0.0f < x[index]) - (x[index] < 0.0f));
DEFINE_UNARY(absval, y[index] = fabsf(x[index]));

void backward(int n, const float* x, float* t, float* y) {
  gpu_sign(n, x, t);
  gpu_absval(n, t, y);
}
`;
    const path = join(dir, 'src', 'layers', 'layer.cu');
    writeFileSync(path, text);
    engine.setWorkspace([dir]);
    const result = engine.analyzeText(path, text);
    const chain = result.findings.filter((f) => f.rule === 'fusion/elementwise-chain');
    assert.equal(chain.length, 1, JSON.stringify(result.findings.map((f) => f.message)));
    assert.equal(chain[0].range.start.line, 6, 'on the second launch, in the user\'s text');
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('the view is read again only when a line it depends on changes', () => {
  test("a const line in a function body reuses the view; a file-scope constant's edit reads it again", () => {
    const opts = { includeDirs: [], roots: ['/r'], reader: { read: () => null } };
    const text = (local: string, tile: number) =>
      `#define N 64\nconstexpr int TILE = ${tile};\n__global__ void k(float* x) {\n  const int i = ${local};\n  x[i] = 0;\n}\n`;
    const functions = (t: string) => {
      const start = t.indexOf('__global__');
      return [{ startIndex: start, endIndex: t.indexOf('}\n', start) + 1 }];
    };
    const a = text('threadIdx.x', 32);
    const first = preprocessFile('/r/view-key.cu', a, opts, functions(a));
    const b = text('blockIdx.x * blockDim.x + threadIdx.x', 32);
    assert.equal(preprocessFile('/r/view-key.cu', b, opts, functions(b)), first, 'the same view: only a kernel-local const changed');
    const c = text('threadIdx.x', 16);
    const third = preprocessFile('/r/view-key.cu', c, opts, functions(c));
    assert.notEqual(third, first);
    assert.equal(third.view.constants.get('TILE'), 16);
    // without the function ranges, every const line counts (as before)
    assert.notEqual(preprocessFile('/r/view-key2.cu', a, opts), preprocessFile('/r/view-key2.cu', b, opts));
  });
});

describe('branches the compiler never sees', () => {
  const strided = (name: string) => `__global__ void ${name}(float *x, int n) { int i = blockIdx.x*blockDim.x+threadIdx.x; x[i*n] += 1; }\n`;
  test('`#if 0`, the `#else` of `#if 1` and an `#elif 0` are left out; a condition naming a macro keeps both branches', async () => {
    const text = `#if 0\n${strided('dead_if0')}#endif\n#if 1\n${strided('live_if1')}#else\n${strided('dead_else')}#endif\n` +
      `#if USE_X\n${strided('maybe_a')}#elif 0\n${strided('dead_elif')}#else\n${strided('maybe_b')}#endif\n` +
      `__global__ void body(float *x, int n) { int i = blockIdx.x*blockDim.x+threadIdx.x;\n#if 0\n x[i*n] += 1;\n#endif\n}\n`;
    const result = (await Engine.create(['cuda'])).analyzeText('/r/dead.cu', text);
    const where = result.findings.filter((f) => f.rule === 'memory/uncoalesced-access').map((f) => f.function).sort();
    assert.deepEqual(where, ['live_if1', 'maybe_a', 'maybe_b']);
  });

  test('a debug build\'s code (`#ifdef PRK_DEBUG`, `#ifndef NDEBUG`) is left out; its `#else` is the release build', async () => {
    const text = `#ifdef PRK_DEBUG\n${strided('debug_only')}#else\n${strided('release_a')}#endif\n` +
      `#ifndef NDEBUG\n${strided('asserts_on')}#else\n${strided('release_b')}#endif\n#ifdef USE_FP16\n${strided('maybe_fp16')}#endif\n`;
    const result = (await Engine.create(['cuda'])).analyzeText('/r/debug.cu', text);
    const where = result.findings.filter((f) => f.rule === 'memory/uncoalesced-access').map((f) => f.function).sort();
    assert.deepEqual(where, ['maybe_fp16', 'release_a', 'release_b']);
  });
});

describe("a header's helpers", () => {
  test("a project's own overload of a builtin (`atomicAdd(half*, half)`) is not inlined where CUDA's is called", async () => {
    const engine = await Engine.create(['cuda']);
    const dir = mkdtempSync(join(tmpdir(), 'ka-builtin-overload-'));
    writeFileSync(join(dir, 'compat.cuh'), `#pragma once
__device__ __forceinline__ void atomicAdd_half(half* address, half val) {
  unsigned int* word = (unsigned int*)((char*)address - ((size_t)address & 2));
  unsigned int old = *word, assumed;
  do { assumed = old; old = atomicCAS(word, assumed, old + ((size_t)address & 2 ? 1u << 16 : 1u)); } while (assumed != old);
}
__device__ __forceinline__ void atomicAdd(half* address, half val) { atomicAdd_half(address, val); }
`);
    const text = `#include "compat.cuh"
__global__ void accumulate_errors(const float* in, float* err, int grid) {
  int col = blockIdx.x * blockDim.x + threadIdx.x;
  float4 v = *((float4*)(in + col * 4));
  for (int i = 0; i <= grid; i++) atomicAdd(&err[i * 128 + col % 128], v.x);
}
`;
    const path = join(dir, 'errors.cu');
    writeFileSync(path, text);
    engine.setWorkspace([dir]);
    const found = engine.analyzeText(path, text).findings.filter((f) => f.rule === 'memory/uncoalesced-access');
    assert.deepEqual(found.map((f) => f.message), [], 'consecutive lanes add into consecutive floats');
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('export macros in class heads', () => {
  test('`class OPENMM_EXPORT Thermostat : public Force {`: the member functions are read, and the text shown is the file\'s', async () => {
    const text = `namespace lib {
class LIB_EXPORT Thermostat : public Force {
public:
    void scale(float* x, int n) {
        float s = 0.0f;
        for (int i = 0; i < n; ++i) s += x[i];
        x[0] = s;
    }
};
}
`;
    const result = (await Engine.create(['cpp'])).analyzeText('/r/thermostat.h', text);
    assert.deepEqual(result.skipped ?? [], []);
    const sum = result.findings.find((f) => f.rule === 'vectorization/cpu-simd');
    assert.equal(sum?.function, 'scale');
    assert.equal(sum?.range.start.line, 5);
  });
});

describe('__align__ in declarations', () => {
  test('`__shared__ __align__(16) half As[...]` beside template fragments: the kernels are read, every offset where it was', async () => {
    const text = `#include <mma.h>
using namespace nvcuda;
struct __align__(16) Pair { float a, b; };
__global__ void tiles(const half* A, float* C, int K) {
  __shared__ __align__(16) half As[64][32];
  __shared__ __align__(16) half Bs[32][64];
  wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc;
  wmma::fill_fragment(acc, 0.0f);
  for (int k = 0; k < K; k += 32) {
    As[threadIdx.x / 4][threadIdx.x % 4] = A[threadIdx.x * K + k];
    __syncthreads();
    wmma::fragment<wmma::matrix_a, 16, 16, 16, half, wmma::row_major> a;
    wmma::load_matrix_sync(a, &As[0][0], 32);
  }
  wmma::store_matrix_sync(C, acc, 64, wmma::mem_row_major);
}
__global__ void strided(const float* x, float* y) {
  y[threadIdx.x * 32] = x[threadIdx.x];
}
`;
    const result = (await Engine.create(['cuda'])).analyzeText('/r/align.cu', text);
    assert.deepEqual(result.skipped ?? [], []);
    const strided = result.findings.find((f) => f.rule === 'memory/uncoalesced-access' && f.function === 'strided');
    assert.equal(strided?.range.start.line, 17);
    const shown = withAlignas(text);
    assert.equal(shown.length, text.length);
    assert.match(shown, /struct alignas\(16\) {3}Pair/);
  });

  test('a launcher-writing macro invoked alone on a line, with no `;`, loses neither its functions nor the one after it', async () => {
    const text = `__global__ void scale_kernel(float* x, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) x[i] *= 2.f;
}
#define BINDING_SCALE(tag, T)                         \\
  void scale_##tag(T* x, int n) {                     \\
    scale_##tag##_kernel<<<(n + 255) / 256, 256>>>(x, n); \\
  }
BINDING_SCALE(f32, float)
__global__ void transpose_kernel(const float* in, float* out, int n) {
  int x = blockIdx.x * blockDim.x + threadIdx.x, y = blockIdx.y;
  out[x * n + y] = in[y * n + x];
}
`.replace('scale_##tag##_kernel', 'scale_kernel');
    const result = (await Engine.create(['cuda'])).analyzeText('/r/binding.cu', text);
    assert.ok(result.findings.some((f) => f.function === 'transpose_kernel' && f.rule === 'memory/uncoalesced-access'), JSON.stringify(result.findings.map((f) => f.function)));
    const shown = withoutDefiningInvocations(text);
    assert.equal(shown.length, text.length);
    assert.match(shown, /\n {25}\n__global__ void transpose_kernel/);
    // (nor one of a macro that writes only a head, whose body follows in braces on the next line)
    const head = '#define KERNEL_HEAD(name) __global__ void name(float* x, int n)\nKERNEL_HEAD(scale)\n{\n  x[threadIdx.x] *= 2.f;\n}\n';
    assert.equal(withoutDefiningInvocations(head), head);
    // (an invocation of a macro the file does not define is left as written)
    assert.equal(withoutDefiningInvocations(text.replace('#define BINDING_SCALE', '#define OTHER_SCALE')), text.replace('#define BINDING_SCALE', '#define OTHER_SCALE'));
  });

  test('a launcher-writing macro invoked wrapped over lines (or with a `;`) loses neither its functions nor the one after it', async () => {
    const text = `#define BIND_T(tag, T, rows,                      \\
               cols)                               \\
  void transpose_##tag(T* out, const T* in) {       \\
    transpose_kernel<<<rows, cols>>>(out, in, rows);  \\
  }
BIND_T(f32, float, 1024,
       1024)
BIND_T(f64, double, 512, 512);
__global__ void transpose_kernel(float* out, const float* in, int n) {
  int x = blockIdx.x * blockDim.x + threadIdx.x, y = blockIdx.y;
  out[x * n + y] = in[y * n + x];
}
`;
    const shown = withoutDefiningInvocations(text);
    assert.equal(shown.length, text.length);
    assert.match(shown, /\}\n +\n +\n +\n__global__ void transpose_kernel/);
    const result = (await Engine.create(['cuda'])).analyzeText('/r/wrapped.cu', text);
    const names = new Set(result.findings.map((f) => f.function));
    assert.ok(names.has('transpose_kernel'), JSON.stringify([...names]));
    // (nor a statement macro's, `CHECK(x);` at a line's start in a function body, `do { ... } while (0)`)
    const statement = '#define CHECK(x) do { if ((x) != 0) return; } while (0)\nvoid f() {\nCHECK(g());\n}\n';
    assert.equal(withoutDefiningInvocations(statement), statement);
    // (the arguments of an invocation hold no braces: a call that runs into a body is left as written)
    const body = 'BIND_T(f32, float,\n  1024, 1024) {\n}\n';
    assert.equal(withoutDefiningInvocations(text.slice(0, text.indexOf('BIND_T(f32')) + body), text.slice(0, text.indexOf('BIND_T(f32')) + body);
  });

  test("a GNU attribute after a variable's declarator loses none of the functions after it", async () => {
    const text = `void interior(float* a, int n) {
  for (int c = 0; c < n; c++) {
    float sum[16] __attribute__((aligned(64))) = {0.f};
    int unused __attribute__((unused));
    for (int j = 0; j < 16; j++) a[c * 16 + j] -= sum[j];
  }
}
void walk_columns(float* a, int n) {
  for (int j = 0; j < n; j++)
    for (int i = 0; i < n; i++) a[i * n + j] *= 2.f;
}
`;
    const result = (await Engine.create(['cpp'])).analyzeText('/r/attr.c', text);
    const column = result.findings.find((f) => f.rule === 'memory/uncoalesced-access' && f.function === 'walk_columns');
    assert.equal(column?.range.start.line, 9);
    const shown = withoutDeclaratorAttributes(text);
    assert.equal(shown.length, text.length);
    assert.match(shown, /float sum\[16\] +=/);
  });
});

describe("a matrix class's element accessors", () => {
  test('read from the class text: row- and column-major, a call operator by its class, two shapes under one name left out', () => {
    const v = view(`class Matrix {
  double& at(std::size_t i, std::size_t j) { return data_[i * cols_ + j]; }
  const double& at(std::size_t i, std::size_t j) const { return data_[(i) * cols_ + (j)]; }
  double operator()(int r, int c) const { return this->data_.data()[r * cols_ + c]; }
  float get(int r, int c) const { return v[c * ld + r]; }
  float odd(int r, int c) const { return v[r * c + c]; }
  float sum(int r, int c) const { return v[r + c]; }
};
struct Other { float get(int r, int c) { return w[r * n + c]; } };
`);
    assert.deepEqual([...v.accessors].sort(), [
      ['Matrix::operator()', { type: 'double', columnMajor: false }],
      ['at', { type: 'double', columnMajor: false }],
    ]);
  });

  test("from a header: `B.at(k, j)` in a loop over k is a column walk, as `B[k * n + j]` is", async () => {
    const engine = await Engine.create(['cpp']);
    const dir = mkdtempSync(join(tmpdir(), 'ka-accessors-'));
    mkdirSync(join(dir, 'include'));
    writeFileSync(join(dir, 'include', 'matrix.hpp'), `#pragma once
#include <vector>
class Matrix {
public:
  double& at(std::size_t i, std::size_t j) { return data_[i * cols_ + j]; }
private:
  std::size_t cols_;
  std::vector<double> data_;
};
`);
    const text = `#include "matrix.hpp"
void column_sums(Matrix& A, Matrix& out, std::size_t n) {
  for (std::size_t j = 0; j < n; ++j)
    for (std::size_t i = 0; i < n; ++i)
      out.at(0, j) += A.at(i, j);
}
`;
    mkdirSync(join(dir, 'src'));
    const path = join(dir, 'src', 'sums.cpp');
    writeFileSync(path, text);
    engine.setWorkspace([dir]);
    const found = engine.analyzeText(path, text).findings.filter((f) => f.rule === 'memory/uncoalesced-access');
    assert.deepEqual(found.map((f) => f.message), ['`A.at(i, j)`: the innermost `i` loop strides a row of `A` per step, a new cache line per step']);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('an empty #define with blanks after its name', () => {
  test('`#define USE_TILED ` does not swallow the next line: the `#ifdef` and the kernel after it are read, every offset where it was', async () => {
    const text = `#define USE_TILED 
#define HOST_DEVICE\t
#define NOOP(x) \r
__global__ void strided(const float* x, float* y) {
  y[threadIdx.x * 32] = x[threadIdx.x];
}
#ifdef USE_TILED
__global__ void copy(const float* x, float* y) { y[threadIdx.x] = x[threadIdx.x]; }
#else
__global__ void transposed(const float* x, float* y, int n) { y[threadIdx.x * n] = x[threadIdx.x]; }
#endif
`;
    const result = (await Engine.create(['cuda'])).analyzeText('/r/defines.cu', text);
    assert.deepEqual(result.skipped ?? [], []);
    assert.deepEqual(result.findings.filter((f) => f.rule === 'memory/uncoalesced-access').map((f) => `${f.function}@${f.range.start.line}`), ['strided@4']);
    const shown = withoutTrailingDefineSpace(text);
    assert.equal(shown.length, text.length);
    assert.deepEqual(shown.split('\n').slice(0, 3), [' #define USE_TILED', '\t#define HOST_DEVICE', ' #define NOOP(x)\r']);
  });
});
