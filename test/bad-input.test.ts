// DESIGN.md "Bad input": any bytes must be safe. Each case goes through the real CLI
// (`check --format json`, spawned) and through Engine.analyzeText directly: binary files,
// invalid UTF-8, a 10 MB file, 10,000-deep nesting, a grammar error on every line,
// unreadable paths, empty and comment-only files, CRLF line endings.
// Hangs are caught by node:test's per-test timeout, not by timing assertions.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, readFileSync, rmSync } from 'node:fs';
import { assertBuilt, projects } from './support/projects';
import { join } from 'node:path';
import { Engine } from '../server/src/core/engine';
import { DEFAULT_CONFIG } from '../server/src/core/config';
import type { Finding } from '../server/src/core/types';

const repoRoot = join(__dirname, '..');
const BIN = join(repoRoot, 'bin', 'kernel-advisor.js');
const SLOW = { timeout: 120_000 };

/** Naive transpose: memory/uncoalesced-access on `out[x * rows + y]`, line 5 col 5 (1-based). */
const TRANSPOSE = `__global__ void transpose_naive(const float* in, float* out, int rows, int cols) {
  int x = blockIdx.x * blockDim.x + threadIdx.x;
  int y = blockIdx.y * blockDim.y + threadIdx.y;
  if (x < cols && y < rows) {
    out[x * rows + y] = in[y * cols + x];
  }
}
`;
const STORE = 'out[x * rows + y]';
const T_LINE = 5;
const T_COL = 5;
const TRANSPOSE_KEY = `${T_LINE}:${T_COL} memory/uncoalesced-access`;

/** Matmul with threadIdx.x on rows: precision/tensor-core-eligible on the fp32 k-loop (line 6),
 *  uncoalesced + shared-memory on line 7, uncoalesced on line 9. */
const ROWS_ON_X = `__global__ void mm_rows_on_x(int M, int N, int K, const float* A, const float* B, float* C) {
  int row = blockIdx.x * blockDim.x + threadIdx.x;
  int col = blockIdx.y * blockDim.y + threadIdx.y;
  if (row >= M || col >= N) return;
  float acc = 0.0f;
  for (int k = 0; k < K; ++k) {
    acc += A[row * K + k] * B[k * N + col];
    if (k % 64 != 63) continue;
  C[row * N + col] += acc;
  }
}
`;

// ---------------------------------------------------------------------------------------
// Helpers

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}
interface JsonFinding {
  file: string;
  rule: string;
  severity: string;
  range: { start: { line: number; column: number }; end: { line: number; column: number } };
}
interface JsonReport {
  findings: JsonFinding[];
  errors: { file: string; message: string }[];
}

function ka(args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', timeout: 110_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') return reject(error); // killed or not started
      resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
    });
  });
}
async function check(args: string[], cwd: string): Promise<{ run: Run; report: JsonReport }> {
  const run = await ka(['check', '--format', 'json', ...args], cwd);
  assert.doesNotMatch(run.stderr, /internal error/, `the CLI crashed:\n${run.stderr}`);
  assert.equal(run.code, 0, `exit ${run.code}; stderr:\n${run.stderr}`);
  let report: JsonReport;
  try {
    report = JSON.parse(run.stdout);
  } catch (e) {
    throw new Error(`stdout is not JSON (${(e as Error).message}); stderr:\n${run.stderr}`);
  }
  for (const e of report.errors) assert.doesNotMatch(e.message, /internal error/, `${e.file}: ${e.message}`);
  return { run, report };
}

const jsonKey = (f: JsonFinding) => `${f.range.start.line}:${f.range.start.column} ${f.rule}`;
const findingsOf = (r: JsonReport, file: string) => r.findings.filter((f) => f.file === file).map(jsonKey).sort();
const errorsOf = (r: JsonReport, file: string) => r.errors.filter((e) => e.file === file);
/** Engine findings as 1-based `line:col rule` keys. */
const engineKeys = (fs: Finding[]) => fs.map((f) => `${f.range.start.line + 1}:${f.range.start.column + 1} ${f.rule}`).sort();

/** Deterministic pseudo-random bytes (a fixed LCG), so a failure can be reproduced. */
function pseudoRandomBytes(n: number, seed = 12345): Buffer {
  const b = Buffer.alloc(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    b[i] = s >>> 24;
  }
  return b;
}

let tmpRoot: string;
let project: (files: Record<string, string | Buffer>) => string;

let engine: Engine;

before(async () => {
  assertBuilt();
  ({ root: tmpRoot, project } = projects('ka-bad-'));
  engine = await Engine.create();
});
after(() => {
  if (tmpRoot) rmSync(tmpRoot, { recursive: true, force: true });
});

// the baseline every "other files still analysed" assertion leans on
test('baseline: the transpose alone gives one finding at 5:5', async () => {
  assert.deepEqual(engineKeys(engine.analyzeText('t.cu', TRANSPOSE).findings), [TRANSPOSE_KEY]);
  const { report } = await check(['t.cu'], project({ 't.cu': TRANSPOSE }));
  assert.deepEqual(findingsOf(report, 't.cu'), [TRANSPOSE_KEY]);
});

test('a function a syntax error left inside braces at file scope is said in skipped, with its lines', () => {
  const text = '__global__ void k(float* x) { x[threadIdx.x] = 0.f; }\n--\n  if (n > 0) {\n\nvoid launch(float* x, int n) {\n  k<<<1, 32>>>(x);\n}\n';
  const r = engine.analyzeText('stray.cu', text);
  const unread = (r.skipped ?? []).filter((s) => s.function === '(file)' && /inside braces at file scope/.test(s.reason));
  assert.deepEqual(unread.map((s) => [s.line, s.reason.slice(0, 10)]), [[2, 'lines 3-7 ']]);
  // (a clean file says nothing of the kind)
  assert.deepEqual((engine.analyzeText('t.cu', TRANSPOSE).skipped ?? []).filter((s) => /inside braces/.test(s.reason)), []);
});

describe('bad input', { concurrency: 2 }, () => {
  // -------------------------------------------------------------------------------------
  // binary

  const binary = (() => {
    const b = pseudoRandomBytes(64 * 1024);
    for (let i = 0; i < b.length; i += 97) b[i] = 0; // make sure there are NULs early on
    return b;
  })();

  test('binary file x.cu: reported in errors with a clear message, exit 0, other files still analysed', SLOW, async () => {
    const dir = project({ 'x.cu': binary, 'good.cu': TRANSPOSE });
    const { report } = await check(['.'], dir);
    const errs = errorsOf(report, 'x.cu');
    assert.equal(errs.length, 1, JSON.stringify(report.errors));
    assert.match(errs[0].message, /binary/i);
    assert.deepEqual(findingsOf(report, 'x.cu'), []);
    assert.deepEqual(findingsOf(report, 'good.cu'), [TRANSPOSE_KEY]);
    assert.equal(report.errors.length, 1, 'only the binary file is reported');
  });

  test('binary file through Engine.analyzeText: an error, no findings, no throw', () => {
    const r = engine.analyzeText('x.cu', binary.toString('utf8'));
    assert.equal(r.language, 'cuda');
    assert.match(r.error ?? '', /binary/i);
    assert.deepEqual(r.findings, []);
    // the same bytes under C++ and Triton file names
    assert.match(engine.analyzeText('x.cpp', binary.toString('utf8')).error ?? '', /binary/i);
    assert.match(engine.analyzeText('x.py', 'import triton\n' + binary.toString('latin1')).error ?? '', /binary/i);
  });

  test('NUL bytes after the first 8 KiB of real code: no crash, the real kernel is still judged', SLOW, async () => {
    const text = TRANSPOSE + `// ${'padding '.repeat(1200)}\n` + binary.toString('latin1');
    const r = engine.analyzeText('late.cu', text);
    // either detected as binary, or analysed: then the transpose must be found and nothing
    // may be reported inside the binary tail
    if (r.error) assert.match(r.error, /binary|not analysed/);
    else {
      assert.ok(engineKeys(r.findings).includes(TRANSPOSE_KEY), JSON.stringify(engineKeys(r.findings)));
      for (const f of r.findings) assert.ok(f.range.start.line < 8, `finding invented in the binary tail at line ${f.range.start.line + 1}`);
    }
    await check(['late.cu'], project({ 'late.cu': Buffer.from(text, 'latin1') }));
  });

  // -------------------------------------------------------------------------------------
  // invalid UTF-8

  const invalidUtf8 = (() => {
    // overlong encodings, lone continuation bytes, truncated sequences, 0xFE/0xFF: no NULs
    const bad = [0xc0, 0xaf, 0x80, 0xbf, 0xe2, 0x28, 0xa1, 0xf0, 0x28, 0x8c, 0xbc, 0xfe, 0xff, 0xc3, 0x28];
    const parts: number[] = [];
    for (let i = 0; i < 400; i++) parts.push(...bad, 0x20 + (i % 64));
    return Buffer.from(parts);
  })();

  test('invalid UTF-8 (mostly undecodable bytes): reported in errors, exit 0, other files still analysed', SLOW, async () => {
    assert.ok(!invalidUtf8.includes(0), 'this case has no NULs');
    const dir = project({ 'bad.cu': invalidUtf8, 'good.cu': TRANSPOSE });
    const { report } = await check(['.'], dir);
    const errs = errorsOf(report, 'bad.cu');
    assert.equal(errs.length, 1, JSON.stringify(report.errors));
    assert.match(errs[0].message, /UTF-8|binary/i);
    assert.deepEqual(findingsOf(report, 'bad.cu'), []);
    assert.deepEqual(findingsOf(report, 'good.cu'), [TRANSPOSE_KEY]);
    const r = engine.analyzeText('bad.cu', invalidUtf8.toString('utf8'));
    assert.match(r.error ?? '', /UTF-8|binary/i);
    assert.deepEqual(r.findings, []);
  });

  test('a few invalid UTF-8 bytes in a comment (Latin-1 text): the file is analysed, positions unchanged', SLOW, async () => {
    const header = Buffer.concat([Buffer.from('// (c) 2024 M'), Buffer.from([0xfc]), Buffer.from('ller, '), Buffer.from([0xa9]), Buffer.from(' Stra'), Buffer.from([0xdf]), Buffer.from('e\n')]);
    const bytes = Buffer.concat([header, Buffer.from(TRANSPOSE)]);
    const want = [`${T_LINE + 1}:${T_COL} memory/uncoalesced-access`];
    const { report } = await check(['latin1.cu'], project({ 'latin1.cu': bytes }));
    assert.deepEqual(report.errors, []);
    assert.deepEqual(findingsOf(report, 'latin1.cu'), want);
    const r = engine.analyzeText('latin1.cu', bytes.toString('utf8'));
    assert.equal(r.error, undefined);
    assert.deepEqual(engineKeys(r.findings), want);
  });

  // -------------------------------------------------------------------------------------
  // size limit

  test('a 10 MB .cu file is skipped with a message naming the size limit; other files still analysed', SLOW, async () => {
    const filler = '// filler ' + 'x'.repeat(69) + '\n'; // 80 bytes
    const big = TRANSPOSE + filler.repeat(Math.ceil((10 * 1024 * 1024) / filler.length));
    assert.ok(Buffer.byteLength(big) >= 10 * 1024 * 1024);
    const dir = project({ 'big.cu': big, 'good.cu': TRANSPOSE });
    const { report } = await check(['.'], dir);
    const errs = errorsOf(report, 'big.cu');
    assert.equal(errs.length, 1, JSON.stringify(report.errors));
    assert.match(errs[0].message, /skipped/i);
    assert.match(errs[0].message, /1024 KiB/, 'names the default limit');
    assert.deepEqual(findingsOf(report, 'big.cu'), [], 'a skipped file is not half-analysed');
    assert.deepEqual(findingsOf(report, 'good.cu'), [TRANSPOSE_KEY]);

    const r = engine.analyzeText('big.cu', big);
    assert.match(r.error ?? '', /1024 KiB/);
    assert.deepEqual(r.findings, []);
  });

  test('the size limit follows maxFileSizeKb (config file and Engine config)', SLOW, async () => {
    const twoKiB = TRANSPOSE + '// pad\n'.repeat(300); // a little over 2 KiB
    assert.ok(Buffer.byteLength(twoKiB) > 2048);
    const dir = project({ 't.cu': twoKiB, '.kernel-advisor.json': JSON.stringify({ maxFileSizeKb: 1 }) });
    const { report } = await check(['t.cu'], dir);
    assert.equal(report.errors.length, 1);
    assert.match(report.errors[0].message, /over the 1 KiB limit/);
    assert.deepEqual(report.findings, []);
    // the same file under the default limit is analysed
    assert.deepEqual(engineKeys(engine.analyzeText('t.cu', twoKiB).findings), [TRANSPOSE_KEY]);
    assert.match(engine.analyzeText('t.cu', twoKiB, { ...DEFAULT_CONFIG, maxFileSizeKb: 1 }).error ?? '', /1 KiB/);
  });

  // -------------------------------------------------------------------------------------
  // deep nesting: no crash, no hang, no finding invented by the depth

  const DEPTH = 10_000;
  const parensKernel = (depth: number) => `__global__ void deep_index(float* out, const float* in, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  out[${'('.repeat(depth)}i${')'.repeat(depth)}] = in[i];
}
`;
  const blocksKernel = (depth: number) => `__global__ void deep_blocks(float* out, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  ${'{'.repeat(depth)} out[i] = 2.0f * out[i]; ${'}'.repeat(depth)}
}
`;

  for (const [name, make] of [
    ['10,000-deep nested parentheses in an index expression', parensKernel],
    ['10,000 nested blocks', blocksKernel],
  ] as const) {
    test(`${name}: no crash, no hang, nothing beyond the shallow variant's findings`, SLOW, async () => {
      const deep = make(DEPTH);
      const shallow = make(3);
      const shallowKeys = engineKeys(engine.analyzeText('s.cu', shallow).findings);

      const r = engine.analyzeText('deep.cu', deep);
      if (r.error) assert.match(r.error, /not analysed|parsing took longer/);
      for (const k of engineKeys(r.findings)) assert.ok(shallowKeys.includes(k), `finding ${k} invented by the nesting depth`);

      // a sane kernel in the same file is still found when the file is analysed
      const mixed = engine.analyzeText('mixed.cu', deep + TRANSPOSE);
      const offset = deep.split('\n').length - 1;
      if (mixed.error) assert.match(mixed.error, /not analysed|parsing took longer/);
      else assert.ok(engineKeys(mixed.findings).includes(`${T_LINE + offset}:${T_COL} memory/uncoalesced-access`), JSON.stringify(engineKeys(mixed.findings)));

      // C++ and Triton grammars get the same depth
      const cpp = engine.analyzeText('deep.cpp', `void f(float* a, int n) { for (int i = 0; i < n; ++i) a[${'('.repeat(DEPTH)}i${')'.repeat(DEPTH)}] = 0; }\n`);
      if (cpp.error) assert.match(cpp.error, /not analysed|parsing took longer/);
      assert.deepEqual(cpp.findings, []);
      const py = engine.analyzeText('deep.py', `import triton\nx = ${'('.repeat(DEPTH)}1${')'.repeat(DEPTH)}\n`);
      if (py.error) assert.match(py.error, /not analysed|parsing took longer/);
      assert.deepEqual(py.findings, []);

      // through the CLI, next to a normal file
      const dir = project({ 'deep.cu': deep, 'good.cu': TRANSPOSE });
      const { report } = await check(['.'], dir);
      assert.deepEqual(findingsOf(report, 'good.cu'), [TRANSPOSE_KEY]);
      for (const k of findingsOf(report, 'deep.cu')) assert.ok(shallowKeys.includes(k), `CLI: finding ${k} invented by the nesting depth`);
      for (const e of errorsOf(report, 'deep.cu')) assert.match(e.message, /not analysed|parsing took longer/);
    });
  }

  // -------------------------------------------------------------------------------------
  // a grammar error on every line

  test('a grammar error on every line: no crash, no findings invented', SLOW, async () => {
    const lines: string[] = [];
    for (let i = 0; i < 1000; i++) {
      // CUDA-looking tokens (a regex "analysis" would fire on them), in broken syntax
      lines.push(
        i % 2
          ? `@@ ]] __global__ void k${i}(float* out int rows) { out[threadIdx.x * rows + ${i}] = in[ ;; ((`
          : `%% for (int k = 0; k < K; ++k) acc += A[row * K + k] * B[k * N + col] ]] )) {{ @ ${i}`,
      );
    }
    const garbage = lines.join('\n') + '\n';
    const tree = engine.parsers.parse('cuda', garbage);
    try {
      assert.ok(tree.rootNode.hasError, 'the input really is full of syntax errors');
    } finally {
      tree.delete();
    }
    const r = engine.analyzeText('garbage.cu', garbage);
    if (r.error) assert.match(r.error, /not analysed|parsing took longer/);
    assert.deepEqual(r.findings, []);
    const c = engine.analyzeText('garbage.cpp', garbage.replace(/__global__|threadIdx/g, 'xx'));
    assert.deepEqual(c.findings, []);

    const { report } = await check(['.'], project({ 'garbage.cu': garbage, 'good.cu': TRANSPOSE }));
    assert.deepEqual(findingsOf(report, 'garbage.cu'), []);
    assert.deepEqual(findingsOf(report, 'good.cu'), [TRANSPOSE_KEY]);
  });

  // -------------------------------------------------------------------------------------
  // unreadable paths

  test('a non-existent path given explicitly is a usage error (exit 2) naming it, nothing is analysed', SLOW, async () => {
    // issue #10: a typo in a CI command line must fail the job, not pass it with one error entry
    const dir = project({ 'good.cu': TRANSPOSE });
    for (const args of [['good.cu', 'missing.cu'], ['good.cu', 'no-such-dir']]) {
      const r = await ka(['check', '--format', 'json', ...args], dir);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`no such file or directory: ${args[1]}`));
      assert.equal(r.stdout, '');
    }
  });

  test('a directory holding an unreadable file: the file is reported, the rest analysed', SLOW, async (t) => {
    const dir = project({ 'proj/good.cu': TRANSPOSE, 'proj/secret.cu': TRANSPOSE, 'proj/locked/inner.cu': TRANSPOSE });
    const secret = join(dir, 'proj', 'secret.cu');
    const locked = join(dir, 'proj', 'locked');
    chmodSync(secret, 0o000);
    chmodSync(locked, 0o000);
    try {
      const { report } = await check(['proj'], dir);
      assert.deepEqual(findingsOf(report, join('proj', 'good.cu')), [TRANSPOSE_KEY]);

      let readsDenied = false;
      try {
        readFileSync(secret);
      } catch {
        readsDenied = true;
      }
      await t.test('the unreadable file and directory appear in errors', (st) => {
        if (!readsDenied) {
          st.skip(`running as ${process.getuid?.() === 0 ? 'root' : 'a user'} for whom chmod 000 does not deny reads`);
          return;
        }
        const files = report.errors.map((e) => e.file).sort();
        assert.deepEqual(files, [join('proj', 'locked'), join('proj', 'secret.cu')]);
        for (const e of report.errors) assert.match(e.message, /EACCES|cannot (read|list)/);
        assert.deepEqual(findingsOf(report, join('proj', 'secret.cu')), []);
      });
    } finally {
      chmodSync(secret, 0o644);
      chmodSync(locked, 0o755);
    }
  });

  // -------------------------------------------------------------------------------------
  // empty, comments only

  test('an empty file: no findings, no errors, counted as analysed', SLOW, async () => {
    for (const name of ['e.cu', 'e.cpp', 'e.c', 'e.cuh']) {
      const r = engine.analyzeText(name, '');
      assert.notEqual(r.language, null, name);
      assert.equal(r.error, undefined, name);
      assert.deepEqual(r.findings, []);
    }
    assert.equal(engine.analyzeText('e.py', '').language, null, 'an empty .py does not import triton');
    const dir = project({ 'empty.cu': '', 'empty.cpp': '' });
    const { report } = await check(['.'], dir);
    assert.deepEqual(report.findings, []);
    assert.deepEqual(report.errors, []);
    const text = await ka(['check', '.'], dir);
    assert.match(text.stderr, /0 findings in 2 files/);
  });

  test('a file of only comments: nothing reported, even when the comments hold a naive kernel', SLOW, async () => {
    const lineComments = TRANSPOSE.split('\n').map((l) => `// ${l}`).join('\n');
    const blockComment = `/*\n${TRANSPOSE}*/\n`;
    const triton = `# import triton\n${'# tl.store(x_ptr + offs, x)\n'.repeat(5)}`;
    for (const [name, text] of [['lc.cu', lineComments], ['bc.cu', blockComment], ['bc.cpp', blockComment]] as const) {
      const r = engine.analyzeText(name, text);
      assert.equal(r.error, undefined, name);
      assert.deepEqual(r.findings, [], name);
    }
    assert.equal(engine.analyzeText('c.py', triton).language, null, 'a commented-out import is not an import');
    assert.equal(engine.analyzeText('m.py', 'import torch, triton, triton.language as tl\n').language, 'triton', 'one import of several modules');
    assert.equal(engine.analyzeText('n.py', 'import tritonclient.http as httpclient\n').language, null, 'another package whose name starts with triton');
    assert.equal(engine.analyzeText('t.py', 'import torch.nn as nn\n').language, 'triton', 'a PyTorch model file is read too');
    assert.equal(engine.analyzeText('f.py', 'from torch import nn\n').language, 'triton', 'so is one importing from torch');
    assert.equal(engine.analyzeText('v.py', 'import torchvision\nimport numpy as np\n').language, null, 'another package whose name starts with torch');
    const { report } = await check(['.'], project({ 'lc.cu': lineComments, 'bc.cu': blockComment, 'c.py': triton }));
    assert.deepEqual(report.findings, []);
    assert.deepEqual(report.errors, []);
  });

  // -------------------------------------------------------------------------------------
  // CRLF

  test('CRLF line endings: findings land on the same 1-based line and column', SLOW, async () => {
    const crlf = TRANSPOSE.replace(/\n/g, '\r\n');
    const r = engine.analyzeText('crlf.cu', crlf);
    assert.equal(r.error, undefined);
    assert.equal(r.findings.length, 1);
    assert.deepEqual(r.findings[0].range, { start: { line: T_LINE - 1, column: T_COL - 1 }, end: { line: T_LINE - 1, column: T_COL - 1 + STORE.length } });

    const dir = project({ 'crlf.cu': crlf, 'rows.cu': ROWS_ON_X.replace(/\n/g, '\r\n') });
    const { report } = await check(['crlf.cu', 'rows.cu'], dir);
    const f = report.findings.find((x) => x.file === 'crlf.cu');
    assert.ok(f);
    assert.deepEqual(f.range, { start: { line: T_LINE, column: T_COL }, end: { line: T_LINE, column: T_COL + STORE.length } });
    // same findings as the LF version of the same file
    const lf = await check(['rows.cu'], project({ 'rows.cu': ROWS_ON_X }));
    assert.deepEqual(findingsOf(report, 'rows.cu'), findingsOf(lf.report, 'rows.cu'));
    assert.deepEqual(findingsOf(report, 'rows.cu'), ['6:3 precision/tensor-core-eligible', '7:12 memory/uncoalesced-access', '7:12 tiling/shared-memory', '9:3 memory/uncoalesced-access']);
    // text format: no stray \r in the output line
    const text = await ka(['check', 'crlf.cu'], dir);
    assert.match(text.stdout, /^crlf\.cu:5:5: warning: [^\r]*\[memory\/uncoalesced-access\]$/m);
  });

  test('CRLF line endings: a suppression comment still silences the next line', SLOW, async () => {
    const lines = ROWS_ON_X.split('\n');
    lines.splice(6, 0, '    // kernel-advisor-disable-next-line memory/uncoalesced-access');
    const crlf = lines.join('\r\n');
    const r = engine.analyzeText('rows.cu', crlf);
    assert.deepEqual(engineKeys(r.findings), ['10:3 memory/uncoalesced-access', '6:3 precision/tensor-core-eligible', '8:12 tiling/shared-memory']);
    const { report } = await check(['rows.cu'], project({ 'rows.cu': crlf }));
    assert.deepEqual(findingsOf(report, 'rows.cu'), ['10:3 memory/uncoalesced-access', '6:3 precision/tensor-core-eligible', '8:12 tiling/shared-memory']);
  });
});
