// Build flags read from the project's build files: -Ofast / -ffast-math change what a CPU
// loop vectorizes, so vectorization/cpu-simd stops assuming default flags where the
// Makefile, CMakeLists.txt, setup.py or compile_commands.json says otherwise.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../server/src/core/engine';
import { buildFlagsFor, fsHeaderReader } from '../server/src/core/preprocess';
import { DEFAULT_BUILD, flagsSaid, withSourcePragmas } from '../server/src/core/preprocess/build-flags';

const SOURCE = `float sum(const float* a, int n) {
  float s = 0.0f;
  for (int i = 0; i < n; ++i) s += a[i];
  return s;
}

void mean_rows(const float* x, float* mean, int rows, int cols) {
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) mean[r] += x[r * cols + c];
}

void activate(float* y, const float* x, int n) {
  for (int i = 0; i < n; ++i) y[i] = expf(x[i]);
}
`;

let engine: Engine;
let dir: string;
before(async () => {
  engine = await Engine.create();
  dir = mkdtempSync(join(tmpdir(), 'ka-build-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function simdFindings(project: string, source = SOURCE): string[] {
  const path = join(project, 'src', 'blas.c');
  mkdirSync(join(project, 'src'), { recursive: true });
  writeFileSync(path, source);
  engine.setWorkspace([project]);
  return engine.analyzeText(path, source).findings.filter((f) => f.rule === 'vectorization/cpu-simd').map((f) => f.message);
}

describe('build flags', () => {
  test('without build files: the sum in a local, the sum through memory and the libm call are all reported', () => {
    const found = simdFindings(join(dir, 'plain'));
    assert.equal(found.length, 3, found.join('\n'));
  });

  test('a Makefile with -Ofast: the sum in a local and the libm call vectorize; the sum through memory stays (aliasing)', () => {
    const project = join(dir, 'ofast');
    mkdirSync(project, { recursive: true });
    writeFileSync(join(project, 'Makefile'), 'CC=gcc\nOPTS=-Ofast\nCFLAGS=-Wall $(OPTS)\n');
    const found = simdFindings(project);
    assert.equal(found.length, 1, found.join('\n'));
    assert.match(found[0], /through memory/);
  });

  test("a PyTorch extension's setup.py with -ffast-math for its C++ sources counts as a Makefile's; a comment naming it does not", () => {
    const project = join(dir, 'extension');
    mkdirSync(project, { recursive: true });
    const setup = (args: string) => `from setuptools import setup\nfrom torch.utils.cpp_extension import BuildExtension, CppExtension\n\nsetup(\n    name="blas",\n    ext_modules=[CppExtension("blas_C", ["src/blas.c"], extra_compile_args={"cxx": [${args}]})],\n    cmdclass={"build_ext": BuildExtension},\n)\n`;
    writeFileSync(join(project, 'setup.py'), setup('"-O3", "-ffast-math"'));
    const found = simdFindings(project);
    assert.equal(found.length, 1, found.join('\n'));
    assert.match(found[0], /through memory/);
    const commented = join(dir, 'extension-commented');
    mkdirSync(commented, { recursive: true });
    writeFileSync(join(commented, 'setup.py'), setup('"-O3"') + '# "-ffast-math" broke the tests\n');
    assert.equal(simdFindings(commented).length, 3);
    // (-ffast-math in the "nvcc" list reaches the host code of CUDA files, not the C++ files the "cxx" list builds)
    const nvccOnly = join(dir, 'extension-nvcc');
    mkdirSync(nvccOnly, { recursive: true });
    writeFileSync(join(nvccOnly, 'setup.py'), setup('"-O3"').replace('{"cxx": ["-O3"]}', '{"cxx": ["-O3"], "nvcc": ["-O3", "-Xcompiler", "-ffast-math"]}'));
    assert.equal(simdFindings(nvccOnly).length, 3);
  });

  test('-fno-math-errno in compile_commands.json leaves `expf` scalar: it needs -ffast-math\'s vector math library, errno or not', () => {
    const project = join(dir, 'noerrno');
    mkdirSync(project, { recursive: true });
    writeFileSync(join(project, 'compile_commands.json'), JSON.stringify([{ directory: project, command: 'gcc -O3 -fno-math-errno -c src/blas.c', file: 'src/blas.c' }]));
    const found = simdFindings(project);
    assert.equal(found.length, 3, found.join('\n'));
    assert.ok(found.some((m) => /`expf`, which gcc and clang vectorize only with a vector math library/.test(m)), found.join('\n'));
    assert.ok(!found.some((m) => /errno/.test(m)), found.join('\n'));
  });

  test('-ffinite-math-only with -fno-signed-zeros lets a float max vectorize, not a float sum; either flag alone frees neither', () => {
    const source = `float peak(const float* a, int n) {
  float m = a[0];
  for (int i = 1; i < n; ++i) if (a[i] > m) m = a[i];
  return m;
}
${SOURCE}`;
    const both = join(dir, 'finite');
    mkdirSync(both, { recursive: true });
    writeFileSync(join(both, 'CMakeLists.txt'), 'target_compile_options(blas PRIVATE -O3 -ffinite-math-only -fno-signed-zeros)\n');
    const found = simdFindings(both, source);
    assert.equal(found.length, 3, found.join('\n'));
    assert.ok(!found.some((m) => /running max/.test(m)), found.join('\n'));
    const one = join(dir, 'finite-only');
    mkdirSync(one, { recursive: true });
    writeFileSync(join(one, 'CMakeLists.txt'), 'target_compile_options(blas PRIVATE -O3 -ffinite-math-only)\n');
    const alone = simdFindings(one, source);
    assert.equal(alone.length, 4, alone.join('\n'));
    assert.ok(alone.some((m) => /running max in `m`/.test(m)), alone.join('\n'));
  });

  test('only folders up to the workspace root are read, and a word like -Ofastest is not the flag', () => {
    const outer = join(dir, 'outer');
    const inner = join(outer, 'inner');
    mkdirSync(join(inner, 'src'), { recursive: true });
    writeFileSync(join(outer, 'CMakeLists.txt'), 'add_compile_options(-ffast-math)\n');
    writeFileSync(join(inner, 'CMakeLists.txt'), 'set(CMAKE_C_FLAGS "-O3 -Ofastest")\n');
    const file = join(inner, 'src', 'x.c');
    assert.deepEqual(buildFlagsFor(file, { roots: [inner], includeDirs: [], reader: fsHeaderReader([inner]) }), { fastMath: false, noMathErrno: false, statedByBuild: true });
    assert.deepEqual(buildFlagsFor(file, { roots: [outer], includeDirs: [], reader: fsHeaderReader([outer]) }), { fastMath: true, noMathErrno: true, statedByBuild: true });
  });

  test('comments and the recipes of targets other than the default goal do not count', () => {
    const makefile = [
      'CC = gcc',
      '# -Ofast enables all -O3 optimizations.',
      '.PHONY: run',
      'run: run.c',
      '\t$(CC) -O3 -o run run.c -lm # not -Ofast here',
      'runfast: run.c',
      '\t$(CC) -Ofast -o run run.c -lm',
    ].join('\n');
    assert.doesNotMatch(flagsSaid('Makefile', makefile), /Ofast/);
    // the default goal's own recipe, target-specific variables and global variables count
    assert.match(flagsSaid('Makefile', makefile.replace('-O3 -o run', '-Ofast -o run')), /-Ofast -o run/);
    assert.match(flagsSaid('Makefile', 'all: app\napp: CFLAGS += -ffast-math\n'), /-ffast-math/);
    assert.match(flagsSaid('Makefile', 'CFLAGS = -O2 -ffast-math\nall: app\n\t$(CC) $(CFLAGS)\n'), /-ffast-math/);
    assert.doesNotMatch(flagsSaid('CMakeLists.txt', '# add_compile_options(-ffast-math)\nset(X 1)\n'), /fast-math/);
  });

  test('a setting indented inside a conditional is a setting, not a recipe line', () => {
    const makefile = ['SRC = main.c', 'ifdef STRICT', '\tEXTRA = -O2', 'else', '\tEXTRA = -O3 -ffast-math', 'endif', 'run: main.o', '\tEXTRA=-Ofast $(CC) main.o'].join('\n');
    const said = flagsSaid('Makefile', makefile);
    assert.match(said, /EXTRA = -O3 -ffast-math/);
    assert.match(said, /-Ofast \$\(CC\)/, "the default goal's recipe still counts");
    assert.doesNotMatch(flagsSaid('Makefile', 'all: app\nother: x\n\tCFLAGS=-Ofast make x\n'), /Ofast/, "another target's recipe does not");
  });

  test("the recipes of the targets the default goal needs count: `all: $(TARGETS) train_gpt2`, then `train_gpt2: train_gpt2.c`", () => {
    const makefile = [
      'CFLAGS = -O3 --use_fast_math',
      '%: %.cu',
      '\tnvcc $(CFLAGS) $< -o $@',
      'TARGETS = softmax_forward adamw',
      'all: $(TARGETS) train_gpt2',
      'train_gpt2: train_gpt2.c',
      '\tgcc -O3 -Ofast -march=native -fopenmp $< -lm -o $@',
      'bench: bench.c',
      '\tgcc -ffast-math -o bench bench.c',
    ].join('\n');
    const said = flagsSaid('Makefile', makefile);
    assert.match(said, /-Ofast -march=native/, 'a prerequisite of the goal is built by a plain `make`');
    assert.doesNotMatch(said, /-ffast-math/, 'a target the goal does not need is not');
    assert.doesNotMatch(flagsSaid('Makefile', makefile.replace('train_gpt2\ntrain', 'x\ntrain').replace('all: $(TARGETS) train_gpt2', 'all: $(TARGETS)')), /Ofast/);
  });

  test('a recipe that names its sources applies to those sources only', () => {
    const makefile = ['all: naive fast', 'naive: naive.c', '\tgcc -O3 naive.c -o naive', 'fast: fast.c', '\tgcc -Ofast fast.c -o fast'].join('\n');
    assert.match(flagsSaid('Makefile', makefile, false, 'fast.c'), /-Ofast/);
    assert.doesNotMatch(flagsSaid('Makefile', makefile, false, 'naive.c'), /-Ofast/);
  });

  test('fast math asked for in the source counts; the same pragma quoted in a comment does not', () => {
    const pragma = '#pragma GCC optimize("-ffast-math")\nfloat dot(const float *a, int n);\n';
    assert.deepEqual(withSourcePragmas(DEFAULT_BUILD, pragma), { fastMath: true, noMathErrno: true });
    assert.deepEqual(withSourcePragmas(DEFAULT_BUILD, '// we could add #pragma GCC optimize("-ffast-math") here\nfloat dot(const float *a, int n);\n'), DEFAULT_BUILD);
    assert.deepEqual(withSourcePragmas(DEFAULT_BUILD, '/* float_control(precise, off) is not used:\n   the sums stay exact */\nint x;\n'), DEFAULT_BUILD);
  });

  test("the file's own build line in a comment counts where no build file names a level", () => {
    const file = '/*\nCompile example:\ngcc -Ofast -fopenmp matmul_forward.c -o matmul_forward\n*/\n' + 'float dot(const float *a, int n);\n';
    assert.deepEqual(withSourcePragmas(DEFAULT_BUILD, file), { fastMath: true, noMathErrno: true });
    assert.deepEqual(withSourcePragmas(DEFAULT_BUILD, '// gcc -O3 -fopenmp dot.c -o dot\nfloat dot(const float *a, int n);\n'), DEFAULT_BUILD);
    // (a build file that names its level says how it is built; a flag outside any compile line is no build line)
    const stated = { fastMath: false, noMathErrno: false, statedByBuild: true };
    assert.deepEqual(withSourcePragmas(stated, file), stated);
    assert.deepEqual(withSourcePragmas(DEFAULT_BUILD, '// -Ofast breaks the GELU here\nfloat dot(const float *a, int n);\n'), DEFAULT_BUILD);
    // (a command of this file by its name; not one said not to use, nor prose after the command, nor another file's)
    assert.deepEqual(withSourcePragmas(DEFAULT_BUILD, file, undefined, 'matmul_forward.c'), { fastMath: true, noMathErrno: true });
    assert.deepEqual(withSourcePragmas(DEFAULT_BUILD, file, undefined, 'attention.c'), DEFAULT_BUILD);
    assert.deepEqual(withSourcePragmas(DEFAULT_BUILD, '/*\n * Do not build with: gcc -ffast-math dot.c\n */\n', undefined, 'dot.c'), DEFAULT_BUILD);
    assert.deepEqual(withSourcePragmas(DEFAULT_BUILD, '// Build: gcc -O3 -fopenmp sum.c -o sum   (never -Ofast: the checks need exact order)\n', undefined, 'sum.c'), DEFAULT_BUILD);
    // (doubled spaces, a `$(...)`, a wide gap before the source, a label that is no negation, a header's includer)
    const fast = { fastMath: true, noMathErrno: true };
    assert.deepEqual(withSourcePragmas(DEFAULT_BUILD, '// gcc  -Ofast  dot.c -o dot\n', undefined, 'dot.c'), fast);
    assert.deepEqual(withSourcePragmas(DEFAULT_BUILD, '// gcc -Ofast $(pkg-config --cflags blas) dot.c\n', undefined, 'dot.c'), fast);
    assert.deepEqual(withSourcePragmas(DEFAULT_BUILD, '// gcc -Ofast -fopenmp -o dot   dot.c\n', undefined, 'dot.c'), fast);
    assert.deepEqual(withSourcePragmas(DEFAULT_BUILD, '// Build without BLAS: gcc -Ofast dot.c\n', undefined, 'dot.c'), fast);
    assert.deepEqual(withSourcePragmas(DEFAULT_BUILD, '// gcc -Ofast main.c -o app\n', undefined, 'vecmath.h'), fast);
  });

  test('a region the source takes out of fast math says the rest of the file is built with it', () => {
    const rest = 'float mean(const float *x, int n) { float s = 0; for (int i = 0; i < n; i++) s += x[i]; return s / n; }\n';
    const region = '#pragma float_control(precise, on, push)\nvoid gelu_backward(float *d, int n) { }\n#pragma float_control(pop)\n';
    assert.deepEqual(withSourcePragmas(DEFAULT_BUILD, rest + region), { fastMath: true, noMathErrno: true });
    const attribute = '__attribute__((optimize("no-finite-math-only")))\nvoid gelu_backward(float *d, int n);\n';
    assert.deepEqual(withSourcePragmas(DEFAULT_BUILD, rest + attribute), { fastMath: true, noMathErrno: true });
    // (a region that is the whole file takes nothing out of anything; a build file that names its level says how it builds)
    assert.deepEqual(withSourcePragmas(DEFAULT_BUILD, '#pragma float_control(precise, on, push)\n' + rest + '#pragma float_control(pop)\n'), DEFAULT_BUILD);
    const stated = { fastMath: false, noMathErrno: false, statedByBuild: true };
    assert.deepEqual(withSourcePragmas(stated, rest + region), stated);
    // (precise math asked for with nothing to take it out of: nothing said of the build)
    assert.deepEqual(withSourcePragmas(DEFAULT_BUILD, '#pragma float_control(precise, on)\nint x;\n'), DEFAULT_BUILD);
  });
});
