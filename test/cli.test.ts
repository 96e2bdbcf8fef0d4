// The `kernel-advisor` CLI as a user runs it: the real bin (bin/kernel-advisor.js ->
// dist/cli.js) spawned on small CUDA / C++ / Triton sources written to temp dirs.
// Covers the fixed output formats of DESIGN.md ("Outputs"), rule filtering, directory
// walking, exit codes, `explain`, suppression comments and `.kernel-advisor.json`.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { assertBuilt, projects } from './support/projects';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Log, Result } from 'sarif';
import { RULE_IDS } from '../server/src/core/ruleIds';
import { withBatchBudget } from '../server/src/cli';
import { BATCH_BUDGET } from '../server/src/core/budget';
import { DEFAULT_CONFIG } from '../server/src/core/config';

const repoRoot = join(__dirname, '..');
const BIN = join(repoRoot, 'bin', 'kernel-advisor.js');
const PKG_VERSION: string = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version;

// ---------------------------------------------------------------------------------------
// Sources. Line numbers in comments are 1-based, as the CLI reports them.

/** Naive transpose: the store `out[x * rows + y]` (line 5, col 5) is uncoalesced. */
const TRANSPOSE = `__global__ void transpose_naive(const float* in, float* out, int rows, int cols) {
  int x = blockIdx.x * blockDim.x + threadIdx.x;
  int y = blockIdx.y * blockDim.y + threadIdx.y;
  if (x < cols && y < rows) {
    out[x * rows + y] = in[y * cols + x];
  }
}
`;
const TRANSPOSE_STORE = 'out[x * rows + y]';
const TRANSPOSE_LINE = 5;
const TRANSPOSE_COL = TRANSPOSE.split('\n')[TRANSPOSE_LINE - 1].indexOf(TRANSPOSE_STORE) + 1; // 5

/**
 * Naive matmul k-loop: A and B re-read from global memory, no staging (line 7); the fp32
 * k-loop itself (header on line 6, col 5) is a GEMM on CUDA cores: precision/tensor-core-eligible.
 */
const MATMUL = `__global__ void matmul(int M, int N, int K, const float* A, const float* B, float* C) {
  int row = blockIdx.y * blockDim.y + threadIdx.y;
  int col = blockIdx.x * blockDim.x + threadIdx.x;
  if (row < M && col < N) {
    float acc = 0.f;
    for (int k = 0; k < K; ++k) {
      acc += A[row * K + k] * B[k * N + col];
    }
    C[row * N + col] = acc;
  }
}
`;
const MATMUL_LINE = 7;
const MATMUL_COL = MATMUL.split('\n')[MATMUL_LINE - 1].indexOf('A[row * K + k]') + 1; // 14
const MATMUL_LOOP = 'for (int k = 0; k < K; ++k)';
const MATMUL_LOOP_LINE = 6;
const MATMUL_LOOP_COL = MATMUL.split('\n')[MATMUL_LOOP_LINE - 1].indexOf(MATMUL_LOOP) + 1; // 5

/**
 * Matmul with threadIdx.x on rows: line 7 has BOTH memory/uncoalesced-access and
 * tiling/shared-memory on `A[row * K + k]`; line 9 has memory/uncoalesced-access on C;
 * the fp32 k-loop header (line 6, col 3) has precision/tensor-core-eligible.
 */
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

/** A coalesced copy that already moves 128 bits per access: nothing to report. */
const CLEAN = `__global__ void copy4(const float4* in, float4* out, int n4) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n4) out[i] = in[i];
}
`;

/** Triton kernel (no rule reports on it today, but it must be analysed). */
const TRITON = `import triton
import triton.language as tl


@triton.jit
def double_kernel(x_ptr, n, BLOCK: tl.constexpr):
    pid = tl.program_id(0)
    offs = pid * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offs, mask=offs < n)
    tl.store(x_ptr + offs, x * 2, mask=offs < n)
`;
const PLAIN_PY = `import numpy as np


def main():
    print(np.zeros(3))
`;

// ---------------------------------------------------------------------------------------
// Helpers

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}
function ka(args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') return reject(error); // could not run (not: exited non-zero)
      resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
    });
  });
}
async function kaJson(args: string[], cwd: string): Promise<{ run: Run; report: JsonReport }> {
  const run = await ka(['check', '--format', 'json', ...args], cwd);
  let report: JsonReport;
  try {
    report = JSON.parse(run.stdout);
  } catch (e) {
    throw new Error(`stdout is not JSON (${(e as Error).message}); exit ${run.code}; stderr:\n${run.stderr}\nstdout:\n${run.stdout.slice(0, 2000)}`);
  }
  return { run, report };
}

interface JsonPos {
  line: number;
  column: number;
}
interface JsonFinding {
  file: string;
  rule: string;
  severity: string;
  message: string;
  range: { start: JsonPos; end: JsonPos };
  function: string | null;
  citations: string[];
  fixes: number;
  [extra: string]: unknown;
}
interface JsonReport {
  tool: string;
  version: string;
  findings: JsonFinding[];
  errors: { file: string; message: string }[];
  skipped: { file: string; function: string; line: number; reason: string }[];
}
interface KnowledgeJson {
  papers: { id: string; title: string; url: string; authors: string[]; year?: number; venue: string }[];
  techniques: { id: string; name: string; summary: string; papers: string[] }[];
  rules: { id: string; title: string; techniques: string[]; papers: string[] }[];
}

const key = (f: JsonFinding) => `${f.file}:${f.range.start.line}:${f.range.start.column} ${f.rule}`;

let tmpRoot: string;
let project: (files: Record<string, string | Buffer>) => string;

// Each test spawns the bin several times; two at a time keeps a 2-core machine busy.
describe('kernel-advisor CLI', { concurrency: 2 }, () => {
  let knowledge: KnowledgeJson;

  before(async () => {
    assertBuilt();
    ({ root: tmpRoot, project } = projects('ka-cli-'));
    const k = await ka(['knowledge', '--format', 'json'], tmpRoot);
    assert.equal(k.code, 0, k.stderr);
    knowledge = JSON.parse(k.stdout);
  });
  after(() => {
    if (tmpRoot) rmSync(tmpRoot, { recursive: true, force: true });
  });

  // ---------------------------------------------------------------------------------------
  // text format

  const TEXT_LINE = /^(.+):(\d+):(\d+): (error|warning|information|hint): (.+) \[([a-z-]+\/[a-z-]+)\]$/;

  test('text format: file:line:col: severity: message [rule-id], 1-based, each with a see: citation line', async () => {
    const dir = project({ 't.cu': TRANSPOSE, 'mm.cu': MATMUL });
    const r = await ka(['check', '.'], dir);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    // three findings, each followed by exactly one `see:` line
    assert.equal(lines.length, 6, r.stdout);
    const findings = [lines[0], lines[2], lines[4]].map((l) => {
      const m = TEXT_LINE.exec(l);
      assert.ok(m, `not a finding line: ${l}`);
      return { file: m[1], line: Number(m[2]), col: Number(m[3]), severity: m[4], message: m[5], rule: m[6] };
    });
    // files are walked in sorted order: mm.cu before t.cu; within a file, by position
    assert.deepEqual(
      findings.map((f) => `${f.file}:${f.line}:${f.col}: ${f.severity} [${f.rule}]`),
      [
        `mm.cu:${MATMUL_LOOP_LINE}:${MATMUL_LOOP_COL}: information [precision/tensor-core-eligible]`,
        `mm.cu:${MATMUL_LINE}:${MATMUL_COL}: information [tiling/shared-memory]`,
        `t.cu:${TRANSPOSE_LINE}:${TRANSPOSE_COL}: warning [memory/uncoalesced-access]`,
      ],
    );
    assert.match(findings[2].message, /out\[x \* rows \+ y\]/);

    // the see: line names the finding's key citation (first of its citations) and its URL
    const { report } = await kaJson(['.'], dir);
    assert.equal(report.findings.length, 3);
    for (const [i, f] of report.findings.entries()) {
      const see = lines[2 * i + 1];
      assert.match(see, /^ {4}see: /, see);
      const paper = knowledge.papers.find((p) => p.id === f.citations[0]);
      assert.ok(paper, `key citation ${f.citations[0]} of ${f.rule} not in the knowledge base`);
      assert.ok(see.includes(`"${paper.title}"`), `see: line lacks the title "${paper.title}": ${see}`);
      assert.ok(see.trimEnd().endsWith(paper.url), `see: line does not end with ${paper.url}: ${see}`);
    }
    // the summary goes to stderr, not stdout
    assert.match(r.stderr, /3 findings in 2 files/);
    assert.doesNotMatch(r.stdout, /findings in/);
  });

  test('text format: a file with nothing to report prints no finding lines', async () => {
    const dir = project({ 'clean.cu': CLEAN });
    const r = await ka(['check', 'clean.cu'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), '');
    assert.match(r.stderr, /0 findings in 1 file\b/);
  });

  // ---------------------------------------------------------------------------------------
  // json format

  const DESIGN_FINDING_KEYS = ['assumptions', 'citations', 'confidence', 'file', 'fixes', 'function', 'message', 'range', 'rule', 'severity'];

  test('json format: exactly the shape of DESIGN.md, 1-based ranges, package.json version', async () => {
    const dir = project({ 't.cu': TRANSPOSE, 'mm.cu': MATMUL });
    const { run, report } = await kaJson(['t.cu', 'mm.cu'], dir);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(Object.keys(report).sort(), ['errors', 'findings', 'skipped', 'tool', 'version']);
    assert.deepEqual(report.skipped, []);
    assert.equal(report.tool, 'kernel-advisor');
    assert.equal(report.version, PKG_VERSION);
    assert.match(report.version, /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/);
    assert.deepEqual(report.errors, []);
    assert.equal(report.findings.length, 3, JSON.stringify(report.findings, null, 1));

    for (const f of report.findings) {
      assert.deepEqual(Object.keys(f).sort(), DESIGN_FINDING_KEYS, 'exactly the keys of DESIGN.md');
      assert.ok((RULE_IDS as readonly string[]).includes(f.rule), f.rule);
      assert.ok(['error', 'warning', 'information', 'hint'].includes(f.severity), f.severity);
      assert.equal(typeof f.message, 'string');
      assert.ok(f.message.length > 20, 'message is a sentence');
      assert.deepEqual(Object.keys(f.range).sort(), ['end', 'start']);
      for (const p of [f.range.start, f.range.end]) {
        assert.deepEqual(Object.keys(p).sort(), ['column', 'line']);
        assert.ok(Number.isInteger(p.line) && p.line >= 1, `line ${p.line} is not 1-based`);
        assert.ok(Number.isInteger(p.column) && p.column >= 1, `column ${p.column} is not 1-based`);
      }
      assert.ok(Array.isArray(f.citations) && f.citations.length >= 2, 'every rule cites at least two papers');
      for (const c of f.citations) assert.equal(typeof c, 'string');
      assert.ok(Number.isInteger(f.fixes) && f.fixes >= 0, `fixes is a count, got ${JSON.stringify(f.fixes)}`);
    }

    const t = report.findings.find((f) => f.file === 't.cu');
    assert.ok(t, 'transpose finding missing');
    assert.equal(t.rule, 'memory/uncoalesced-access');
    assert.equal(t.severity, 'warning');
    assert.equal(t.function, 'transpose_naive');
    assert.deepEqual(t.range, {
      start: { line: TRANSPOSE_LINE, column: TRANSPOSE_COL },
      end: { line: TRANSPOSE_LINE, column: TRANSPOSE_COL + TRANSPOSE_STORE.length },
    });
    assert.deepEqual(report.findings.filter((f) => f.file === 'mm.cu').map((f) => f.rule), ['precision/tensor-core-eligible', 'tiling/shared-memory']);
    const m = report.findings.find((f) => f.file === 'mm.cu' && f.rule === 'tiling/shared-memory');
    assert.ok(m, 'matmul tiling finding missing');
    assert.equal(m.severity, 'information');
    assert.equal(m.function, 'matmul');
    assert.deepEqual(m.range.start, { line: MATMUL_LINE, column: MATMUL_COL });
    const tc = report.findings.find((f) => f.file === 'mm.cu' && f.rule === 'precision/tensor-core-eligible');
    assert.ok(tc, 'matmul tensor-core finding missing');
    assert.equal(tc.severity, 'information');
    assert.equal(tc.function, 'matmul');
    assert.deepEqual(tc.range, {
      start: { line: MATMUL_LOOP_LINE, column: MATMUL_LOOP_COL },
      end: { line: MATMUL_LOOP_LINE, column: MATMUL_LOOP_COL + MATMUL_LOOP.length },
    });
  });

  test('json format: every citation id resolves in `kernel-advisor knowledge --format json`', async () => {
    assert.ok(knowledge.papers.length > 0);
    const paperIds = new Set(knowledge.papers.map((p) => p.id));
    // (a row dot product: the in-order sum cpu-simd reports; the matmul's own sum walks the column uncoalesced-access reports)
    const dot = 'float dot(int n, const float* a, const float* b) {\n  float s = 0.f;\n  for (int i = 0; i < n; ++i) s += a[i] * b[i];\n  return s;\n}\n';
    const dir = project({ 't.cu': TRANSPOSE, 'mm.cu': MATMUL, 'mm.cpp': cppMatmul(), 'dot.cpp': dot });
    const { report } = await kaJson(['.'], dir);
    assert.deepEqual([...new Set(report.findings.map((f) => f.rule))].sort(), [
      'memory/uncoalesced-access',
      'precision/tensor-core-eligible',
      'tiling/cpu-loop-nest',
      'tiling/shared-memory',
      'vectorization/cpu-simd',
    ]);
    for (const f of report.findings) {
      for (const c of f.citations) assert.ok(paperIds.has(c), `${f.rule} cites unknown paper "${c}"`);
      assert.equal(new Set(f.citations).size, f.citations.length, `${f.rule} cites a paper twice`);
      const entry = knowledge.rules.find((r) => r.id === f.rule);
      assert.ok(entry, `rule ${f.rule} missing from the knowledge base`);
      for (const c of f.citations) assert.ok(entry.papers.includes(c), `${f.rule} cites ${c}, which its knowledge entry does not list`);
    }
  });

  function cppMatmul(): string {
    return `void matmul(int n, const float* A, const float* B, float* C) {
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j) {
        float acc = 0.f;
        for (int k = 0; k < n; ++k)
          acc += A[i * n + k] * B[k * n + j];
        C[i * n + j] = acc;
      }
  }
  `;
  }

  // ---------------------------------------------------------------------------------------
  // sarif format

  test('sarif format: SARIF 2.1.0 with driver rules, results with ruleId, level and a 1-based region', async () => {
    // binary.cu cannot be analysed: it must still show up, as a tool notification
    const dir = project({ 't.cu': TRANSPOSE, 'mm.cu': MATMUL, 'binary.cu': Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 0, 1, 2, 3]) });
    const r = await ka(['check', '--format', 'sarif', '.'], dir);
    assert.equal(r.code, 0, r.stderr);
    const log = JSON.parse(r.stdout) as Log;
    assert.equal(log.version, '2.1.0');
    assert.match(log.$schema ?? '', /sarif.*2\.1\.0/);
    assert.equal(log.runs.length, 1);
    const run = log.runs[0];
    const driver = run.tool.driver;
    assert.equal(driver.name, 'kernel-advisor');
    assert.equal(driver.version, PKG_VERSION);
    const rules = driver.rules ?? [];
    const ruleIds = rules.map((d) => d.id);
    assert.equal(new Set(ruleIds).size, ruleIds.length, 'duplicate rule descriptors');
    for (const id of RULE_IDS) assert.ok(ruleIds.includes(id), `driver.rules lacks ${id}`);
    for (const d of rules) {
      assert.ok(d.shortDescription && d.shortDescription.text.length > 0, `${d.id} has no shortDescription`);
      if (d.helpUri !== undefined) assert.match(d.helpUri, /^https?:\/\//);
    }

    const results: Result[] = run.results ?? [];
    assert.equal(results.length, 3);
    const byRule = new Map(results.map((res) => [res.ruleId, res]));
    for (const res of results) {
      assert.ok(res.ruleId && ruleIds.includes(res.ruleId), `unknown ruleId ${res.ruleId}`);
      if (res.ruleIndex !== undefined) assert.equal(rules[res.ruleIndex].id, res.ruleId, 'ruleIndex points at another rule');
      assert.ok(res.message.text && res.message.text.length > 0);
      assert.equal(res.locations?.length, 1);
    }
    const unc = byRule.get('memory/uncoalesced-access');
    assert.ok(unc);
    assert.equal(unc.level, 'warning');
    const loc = unc.locations![0].physicalLocation!;
    assert.deepEqual(loc.region, {
      startLine: TRANSPOSE_LINE,
      startColumn: TRANSPOSE_COL,
      endLine: TRANSPOSE_LINE,
      endColumn: TRANSPOSE_COL + TRANSPOSE_STORE.length,
    });
    // the artifact resolves (against its uriBaseId, if any) to the file that was analysed
    const al = loc.artifactLocation!;
    const base = al.uriBaseId ? run.originalUriBaseIds?.[al.uriBaseId]?.uri : undefined;
    assert.equal(fileURLToPath(new URL(al.uri!, base)), join(dir, 't.cu'));

    const tiling = byRule.get('tiling/shared-memory');
    assert.ok(tiling);
    assert.equal(tiling.level, 'note', 'information maps to the SARIF level "note"');
    assert.equal(tiling.locations![0].physicalLocation!.region!.startLine, MATMUL_LINE);
    assert.equal(tiling.locations![0].physicalLocation!.region!.startColumn, MATMUL_COL);
    const tc = byRule.get('precision/tensor-core-eligible');
    assert.ok(tc);
    assert.equal(tc.level, 'note');
    assert.deepEqual(tc.locations![0].physicalLocation!.region, {
      startLine: MATMUL_LOOP_LINE,
      startColumn: MATMUL_LOOP_COL,
      endLine: MATMUL_LOOP_LINE,
      endColumn: MATMUL_LOOP_COL + MATMUL_LOOP.length,
    });

    // the file that could not be analysed is reported, not dropped
    const notes = (run.invocations ?? []).flatMap((i) => i.toolExecutionNotifications ?? []);
    assert.ok(
      notes.some((nt) => nt.locations?.some((l) => l.physicalLocation?.artifactLocation?.uri?.endsWith('binary.cu'))),
      `binary.cu not among the tool notifications: ${JSON.stringify(notes)}`,
    );
  });

  test('sarif format: a file outside the cwd gets an absolute file: URI that resolves to it', async () => {
    const dir = project({ 't.cu': TRANSPOSE });
    const elsewhere = project({});
    const r = await ka(['check', '--format', 'sarif', join(dir, 't.cu')], elsewhere);
    assert.equal(r.code, 0, r.stderr);
    const log = JSON.parse(r.stdout) as Log;
    const al = log.runs[0].results![0].locations![0].physicalLocation!.artifactLocation!;
    const base = al.uriBaseId ? log.runs[0].originalUriBaseIds?.[al.uriBaseId]?.uri : undefined;
    assert.equal(fileURLToPath(new URL(al.uri!, base)), join(dir, 't.cu'));
  });

  test(
    'sarif format: an absolute artifact URI carries no uriBaseId (SARIF 2.1.0 §3.4.4)',
    async () => {
      const dir = project({ 't.cu': TRANSPOSE });
      const elsewhere = project({});
      const log = JSON.parse((await ka(['check', '--format', 'sarif', join(dir, 't.cu')], elsewhere)).stdout) as Log;
      const al = log.runs[0].results![0].locations![0].physicalLocation!.artifactLocation!;
      assert.match(al.uri!, /^file:/);
      assert.equal(al.uriBaseId, undefined);
    },
  );

  // ---------------------------------------------------------------------------------------
  // --rule, walking, file selection

  test('--rule keeps only the named rules (repeatable)', async () => {
    const dir = project({ 't.cu': TRANSPOSE, 'mm.cu': MATMUL });
    const all = (await kaJson(['.'], dir)).report.findings.map((f) => f.rule).sort();
    assert.deepEqual(all, ['memory/uncoalesced-access', 'precision/tensor-core-eligible', 'tiling/shared-memory']);
    const tiling = await kaJson(['--rule', 'tiling/shared-memory', '.'], dir);
    assert.equal(tiling.run.code, 0);
    assert.deepEqual(tiling.report.findings.map(key), [`mm.cu:${MATMUL_LINE}:${MATMUL_COL} tiling/shared-memory`]);
    const unc = await kaJson(['--rule', 'memory/uncoalesced-access', '.'], dir);
    assert.deepEqual(unc.report.findings.map(key), [`t.cu:${TRANSPOSE_LINE}:${TRANSPOSE_COL} memory/uncoalesced-access`]);
    const both = await kaJson(['--rule', 'memory/uncoalesced-access', '--rule', 'tiling/shared-memory', '.'], dir);
    assert.equal(both.report.findings.length, 2);
    const none = await kaJson(['--rule', 'vectorization/packed-half', '.'], dir);
    assert.deepEqual(none.report.findings, []);
  });

  test('files of reference or vendored code are not reported, and said so: a skipped entry in json, a count on stderr', async () => {
    const root = project({ 'proj/t.cu': TRANSPOSE, 'proj/t_ref.cu': TRANSPOSE, 'proj/third_party/lib/t.cu': TRANSPOSE });
    const { run, report } = await kaJson(['proj'], root);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual([...new Set(report.findings.map((f) => f.file))], [join('proj', 't.cu')]);
    const files = report.skipped.filter((s) => s.function === '(file)' && /reference implementation or vendored code/.test(s.reason)).map((s) => s.file).sort();
    assert.deepEqual(files, [join('proj', 't_ref.cu'), join('proj', 'third_party', 'lib', 't.cu')].sort());
    const text = await ka(['check', 'proj'], root);
    assert.match(text.stderr, /2 files of reference or vendored code \(by name or folder\) not reported/);
  });

  test('a local header that is not found is said: a skipped entry at its #include in json, a count on stderr', async () => {
    const root = project({ 'src/k.cu': '#include "defs.h"\n#include "gen/config.h"\n' + TRANSPOSE, 'src/defs.h': '#define TILE 32\n' });
    const { run, report } = await kaJson(['src'], root);
    assert.equal(run.code, 0, run.stderr);
    const missing = report.skipped.filter((s) => s.function === '(file)' && s.reason.startsWith('#include "'));
    assert.deepEqual(missing.map((s) => [s.file, s.line, s.reason.slice(0, 32)]), [[join('src', 'k.cu'), 2, '#include "gen/config.h" was not ']]);
    const text = await ka(['check', 'src'], root);
    assert.match(text.stderr, /; 1 included header not found/);
  });

  test('a file checked from its own folder reads `../utils/` headers of the git repository it is in, and none beyond it', async () => {
    const src = '#include "../utils/defs.h"\n' + TRANSPOSE;
    const inRepo = project({ 'repo/.git/HEAD': 'ref: refs/heads/main\n', 'repo/kernels/k.cu': src, 'repo/utils/defs.h': '#define TILE 32\n' });
    const found = await kaJson(['k.cu'], join(inRepo, 'repo', 'kernels'));
    assert.equal(found.run.code, 0, found.run.stderr);
    assert.deepEqual(found.report.skipped.filter((s) => s.reason.startsWith('#include "')), []);
    // (no repository around the file: its folder and the cwd only, as before)
    const bare = project({ 'kernels/k.cu': src, 'utils/defs.h': '#define TILE 32\n' });
    const missing = await kaJson(['k.cu'], join(bare, 'kernels'));
    assert.deepEqual(missing.report.skipped.filter((s) => s.reason.startsWith('#include "')).map((s) => s.line), [1]);
  });

  test('directories are walked recursively; node_modules and .git are skipped; other extensions ignored', async () => {
    const root = project({
      'proj/t.cu': TRANSPOSE,
      'proj/sub/deep/k.cuh': TRANSPOSE,
      'proj/sub/kern.h': TRANSPOSE, // a header with CUDA syntax is analysed as CUDA
      'proj/cpu/mm.cpp': cppMatmul(),
      'proj/node_modules/pkg/t.cu': TRANSPOSE,
      'proj/sub/node_modules/t.cu': TRANSPOSE,
      'proj/.git/t.cu': TRANSPOSE,
      'proj/notes.txt': TRANSPOSE,
      'proj/t.cu.bak': TRANSPOSE,
    });
    const { run, report } = await kaJson(['proj'], root);
    assert.equal(run.code, 0, run.stderr);
    const files = [...new Set(report.findings.map((f) => f.file))].sort();
    assert.deepEqual(files, [join('proj', 'cpu', 'mm.cpp'), join('proj', 'sub', 'deep', 'k.cuh'), join('proj', 'sub', 'kern.h'), join('proj', 't.cu')].sort());
    assert.deepEqual(report.errors, [], 'files of other kinds inside a directory are skipped silently');
    // a file of another kind named explicitly is reported
    const explicit = await kaJson([join('proj', 'notes.txt')], root);
    assert.equal(explicit.run.code, 0);
    assert.equal(explicit.report.errors.length, 1);
    assert.equal(explicit.report.errors[0].file, join('proj', 'notes.txt'));
  });

  test('.py files are analysed only when they import triton', async () => {
    const dir = project({ 'kern.py': TRITON, 'plain.py': PLAIN_PY });
    const text = await ka(['check', '.'], dir);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stderr, / in 1 file\b/, 'only the Triton file is counted as analysed');
    assert.match((await ka(['check', 'plain.py'], dir)).stderr, /in 0 files/);
    assert.match((await ka(['check', 'kern.py'], dir)).stderr, /in 1 file\b/);

    // observable through json too: an oversized Triton file is reported as skipped, an
    // oversized plain Python file is not ours and stays silent
    const pad = '# ' + 'x'.repeat(98) + '\n';
    const big = project({ 'big_triton.py': TRITON + pad.repeat(11_000), 'big_plain.py': PLAIN_PY + pad.repeat(11_000) });
    const { report } = await kaJson(['.'], big);
    assert.deepEqual(report.errors.map((e) => e.file), ['big_triton.py']);
    assert.match(report.errors[0].message, /1024 KiB/);
  });

  // ---------------------------------------------------------------------------------------
  // exit codes

  test('exit codes: 0 with findings, 1 with --fail-on at or below a finding, 0 when none reaches it', async () => {
    const dir = project({ 't.cu': TRANSPOSE, 'mm.cu': MATMUL, 'clean.cu': CLEAN });
    assert.equal((await ka(['check', '.'], dir)).code, 0);
    assert.equal((await ka(['check', '--fail-on', 'information', '.'], dir)).code, 1);
    assert.equal((await ka(['check', '--fail-on', 'hint', '.'], dir)).code, 1);
    assert.equal((await ka(['check', '--fail-on', 'error', '.'], dir)).code, 0, 'no finding is an error');
    // warning: the transpose (warning) trips it, the matmul (information) alone does not
    assert.equal((await ka(['check', '--fail-on', 'warning', 't.cu'], dir)).code, 1);
    assert.equal((await ka(['check', '--fail-on', 'warning', 'mm.cu'], dir)).code, 0);
    // no findings at all: 0 even with the lowest threshold
    assert.equal((await ka(['check', '--fail-on', 'hint', 'clean.cu'], dir)).code, 0);
    // --rule narrows what --fail-on sees
    assert.equal((await ka(['check', '--fail-on', 'warning', '--rule', 'tiling/shared-memory', '.'], dir)).code, 0);
    // the output is still printed when failing
    const failing = await ka(['check', '--format', 'json', '--fail-on', 'information', '.'], dir);
    assert.equal(JSON.parse(failing.stdout).findings.length, 3);
  });

  test('exit code 1 with --fail-on error once config raises a rule to error', async () => {
    const dir = project({ 't.cu': TRANSPOSE, '.kernel-advisor.json': JSON.stringify({ rules: { 'memory/uncoalesced-access': 'error' } }) });
    assert.equal((await ka(['check', '--fail-on', 'error', 't.cu'], dir)).code, 1);
  });

  for (const [name, args, expect] of [
    ['an unknown option', ['check', '--frobnicate', '.'], /unknown option --frobnicate/],
    ['an unknown rule', ['check', '--rule', 'nope/nothing', '.'], /unknown rule "nope\/nothing"/],
    ['no path', ['check'], /PATH/],
    ['no path after options', ['check', '--format', 'json'], /PATH/],
    ['an unknown format', ['check', '--format', 'xml', '.'], /unknown format "xml"/],
    ['an unknown --fail-on severity', ['check', '--fail-on', 'fatal', '.'], /unknown severity "fatal"/],
    ['--rule without a value', ['check', '.', '--rule'], /--rule needs a value/],
    ['--rule followed by another option', ['check', '--rule', '--format', 'json', '.'], /--rule needs a value/],
    ['a value given to a flag', ['check', '--quiet=yes', '.'], /--quiet takes no value/],
    ['an unknown short option', ['check', '-x', '.'], /unknown option -x/],
    ['an unknown command', ['frobnicate'], /unknown command "frobnicate"/],
    ['no command', [], /no command/],
  ] as const) {
    test(`exit code 2 and a message on stderr on a usage error: ${name}`, async () => {
      const dir = project({ 't.cu': TRANSPOSE });
      const r = await ka([...args], dir);
      assert.equal(r.code, 2, `exit ${r.code}; stderr: ${r.stderr}`);
      assert.match(r.stderr, expect);
      assert.match(r.stderr, /Usage:/);
      assert.equal(r.stdout, '', 'nothing on stdout for a usage error');
    });
  }

  // ---------------------------------------------------------------------------------------
  // explain

  test('explain tiling/shared-memory prints the technique and its papers', async () => {
    const r = await ka(['explain', 'tiling/shared-memory'], tmpRoot);
    assert.equal(r.code, 0, r.stderr);
    const entry = knowledge.rules.find((x) => x.id === 'tiling/shared-memory');
    assert.ok(entry);
    assert.ok(r.stdout.includes(entry.title), 'rule title missing');
    assert.ok(entry.techniques.length > 0);
    for (const tid of entry.techniques) {
      const t = knowledge.techniques.find((x) => x.id === tid);
      assert.ok(t, `technique ${tid} missing from the knowledge base`);
      assert.ok(r.stdout.includes(t.name), `technique name "${t.name}" not printed`);
      assert.ok(r.stdout.includes(t.summary), `technique summary of ${tid} not printed`);
    }
    assert.ok(entry.papers.length >= 2);
    for (const pid of entry.papers) {
      const p = knowledge.papers.find((x) => x.id === pid);
      assert.ok(p, `paper ${pid} missing`);
      assert.ok(r.stdout.includes(p.title), `paper title "${p.title}" not printed`);
      assert.ok(r.stdout.includes(p.url), `paper url ${p.url} not printed`);
    }
    // another rule explains something else
    const other = await ka(['explain', 'memory/uncoalesced-access'], tmpRoot);
    assert.equal(other.code, 0);
    assert.notEqual(other.stdout, r.stdout);
  });

  test('explain bogus/rule (or no rule) exits 2 with a message on stderr', async () => {
    const r = await ka(['explain', 'bogus/rule'], tmpRoot);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /bogus\/rule/);
    assert.equal(r.stdout, '');
    const none = await ka(['explain'], tmpRoot);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /RULE-ID/);
  });

  test('knowledge --format json has papers, techniques, rules for every rule id and the measured evidence', async () => {
    assert.deepEqual(Object.keys(knowledge).sort(), ['evidence', 'papers', 'rules', 'techniques']);
    const ids = new Set(knowledge.rules.map((r) => r.id));
    for (const id of RULE_IDS) assert.ok(ids.has(id), `knowledge lacks rule ${id}`);
    assert.equal((await ka(['knowledge'], tmpRoot)).code, 2);
  });

  // ---------------------------------------------------------------------------------------
  // suppression

  /** Inserts `comment` as a new line before 1-based `line`, indented like it. */
  function insertAbove(src: string, line: number, comment: string): string {
    const lines = src.split('\n');
    const indent = /^\s*/.exec(lines[line - 1])![0];
    lines.splice(line - 1, 0, indent + comment);
    return lines.join('\n');
  }
  /** Finding keys with lines after an inserted line shifted back, to compare with the original. */
  const unshift = (fs: JsonFinding[], inserted: number) =>
    fs.map((f) => `${f.range.start.line > inserted ? f.range.start.line - 1 : f.range.start.line}:${f.range.start.column} ${f.rule}`).sort();

  test('kernel-advisor-disable-next-line <rule id> removes exactly that finding', async () => {
    const base = (await kaJson(['k.cu'], project({ 'k.cu': ROWS_ON_X }))).report.findings;
    const baseKeys = unshift(base, Infinity);
    assert.deepEqual(baseKeys, ['6:3 precision/tensor-core-eligible', '7:12 memory/uncoalesced-access', '7:12 tiling/shared-memory', '9:3 memory/uncoalesced-access']);

    const src = insertAbove(ROWS_ON_X, 7, '// kernel-advisor-disable-next-line memory/uncoalesced-access');
    const { run, report } = await kaJson(['k.cu'], project({ 'k.cu': src }));
    assert.equal(run.code, 0);
    // the other rule on the same line, the same rule on another line and the finding above all stay
    assert.deepEqual(unshift(report.findings, 7), ['6:3 precision/tensor-core-eligible', '7:12 tiling/shared-memory', '9:3 memory/uncoalesced-access']);
    assert.equal(report.findings.find((f) => f.rule === 'tiling/shared-memory')?.range.start.line, 8, 'positions follow the inserted line');
  });

  test('a suppression comment naming a different rule removes nothing', async () => {
    const src = insertAbove(ROWS_ON_X, 7, '// kernel-advisor-disable-next-line vectorization/vector-memory-access');
    const { report } = await kaJson(['k.cu'], project({ 'k.cu': src }));
    assert.deepEqual(unshift(report.findings, 7), [
      '6:3 precision/tensor-core-eligible',
      '7:12 memory/uncoalesced-access',
      '7:12 tiling/shared-memory',
      '9:3 memory/uncoalesced-access',
    ]);
  });

  test('a suppression comment only covers the next line', async () => {
    // two lines above the finding: nothing is suppressed
    const lines = TRANSPOSE.split('\n');
    lines.splice(TRANSPOSE_LINE - 2, 0, '  // kernel-advisor-disable-next-line memory/uncoalesced-access');
    const { report } = await kaJson(['t.cu'], project({ 't.cu': lines.join('\n') }));
    assert.deepEqual(report.findings.map((f) => `${f.range.start.line} ${f.rule}`), [`${TRANSPOSE_LINE + 1} memory/uncoalesced-access`]);
    // directly above: suppressed
    const above = insertAbove(TRANSPOSE, TRANSPOSE_LINE, '// kernel-advisor-disable-next-line memory/uncoalesced-access');
    assert.deepEqual((await kaJson(['t.cu'], project({ 't.cu': above }))).report.findings, []);
  });

  // ---------------------------------------------------------------------------------------
  // .kernel-advisor.json

  test('.kernel-advisor.json in the cwd: "off" silences a rule, other rules stay', async () => {
    const dir = project({
      'k.cu': ROWS_ON_X,
      '.kernel-advisor.json': JSON.stringify({ rules: { 'memory/uncoalesced-access': 'off' } }),
    });
    const { run, report } = await kaJson(['k.cu'], dir);
    assert.equal(run.code, 0);
    assert.equal(run.stderr, '', 'a valid config produces no warning');
    assert.deepEqual(report.findings.map((f) => f.rule), ['precision/tensor-core-eligible', 'tiling/shared-memory']);
    // the same file from a cwd without the config still reports the rule
    const elsewhere = await kaJson([join(dir, 'k.cu')], project({}));
    assert.equal(elsewhere.report.findings.filter((f) => f.rule === 'memory/uncoalesced-access').length, 2);
  });

  test('.kernel-advisor.json in the cwd: "hint" changes the severity in json, text and sarif', async () => {
    const dir = project({
      't.cu': TRANSPOSE,
      '.kernel-advisor.json': JSON.stringify({ rules: { 'memory/uncoalesced-access': 'hint' } }),
    });
    const { report } = await kaJson(['t.cu'], dir);
    assert.deepEqual(report.findings.map((f) => `${f.rule} ${f.severity}`), ['memory/uncoalesced-access hint']);
    const text = await ka(['check', 't.cu'], dir);
    assert.match(text.stdout, new RegExp(`^t\\.cu:${TRANSPOSE_LINE}:${TRANSPOSE_COL}: hint: .*\\[memory/uncoalesced-access\\]$`, 'm'));
    const sarif = JSON.parse((await ka(['check', '--format', 'sarif', 't.cu'], dir)).stdout) as Log;
    assert.equal(sarif.runs[0].results![0].level, 'note');
    // --fail-on warning no longer trips on it
    assert.equal((await ka(['check', '--fail-on', 'warning', 't.cu'], dir)).code, 0);
  });

  test('--config FILE is used instead of the cwd file; a missing --config file is a usage error', async () => {
    const dir = project({
      't.cu': TRANSPOSE,
      'quiet.json': JSON.stringify({ rules: { 'memory/uncoalesced-access': 'off' } }),
    });
    assert.deepEqual((await kaJson(['--config', 'quiet.json', 't.cu'], dir)).report.findings, []);
    const missing = await ka(['check', '--config', 'nope.json', 't.cu'], dir);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nope\.json/);
  });

  test('a bad value in .kernel-advisor.json is a warning on stderr naming the problem, never a crash', async () => {
    const dir = project({
      't.cu': TRANSPOSE,
      '.kernel-advisor.json': JSON.stringify({ rules: { 'memory/uncoalesced-access': 'loud' } }),
    });
    for (const format of ['text', 'json', 'sarif']) {
      const r = await ka(['check', '--format', format, 't.cu'], dir);
      assert.equal(r.code, 0, `${format}: exit ${r.code}; stderr: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /internal error|at \S+ \(/, 'no stack trace');
      const warning = r.stderr.split('\n').find((l) => l.includes('"loud"'));
      assert.ok(warning, `${format}: no warning naming the bad value: ${r.stderr}`);
      assert.match(warning, /memory\/uncoalesced-access/);
      assert.match(warning, /\.kernel-advisor\.json/);
      assert.match(warning, /off, error, warning, information, hint/, 'the warning says what is allowed');
    }
    // the bad value is dropped: the rule keeps its default severity
    const { report } = await kaJson(['t.cu'], dir);
    assert.deepEqual(report.findings.map((f) => `${f.rule} ${f.severity}`), ['memory/uncoalesced-access warning']);
  });

  test('other damage to .kernel-advisor.json: unknown rule, wrong types, broken JSON — warnings, exit 0', async () => {
    const cases: [string, RegExp][] = [
      [JSON.stringify({ rules: { 'memory/not-a-rule': 'off' } }), /unknown rule "memory\/not-a-rule"/],
      [JSON.stringify({ rules: ['memory/uncoalesced-access'] }), /"rules" must be an object/],
      [JSON.stringify({ maxFileSizeKb: 'big' }), /maxFileSizeKb/],
      [JSON.stringify([1, 2]), /expected an object/],
      ['{"rules": {', /\.kernel-advisor\.json/],
    ];
    for (const [content, expect] of cases) {
      const dir = project({ 't.cu': TRANSPOSE, '.kernel-advisor.json': content });
      const { run, report } = await kaJson(['t.cu'], dir);
      assert.equal(run.code, 0, `${content}: exit ${run.code}; stderr: ${run.stderr}`);
      assert.match(run.stderr, expect, content);
      assert.doesNotMatch(run.stderr, /internal error/);
      assert.equal(report.findings.length, 1, `${content}: analysis still runs with the defaults`);
    }
  });

  test('.kernel-advisor.json "languages": a switched-off language is not analysed, the others are', async () => {
    const dir = project({ 't.cu': TRANSPOSE, 'mm.cpp': cppMatmul(), '.kernel-advisor.json': JSON.stringify({ languages: ['cpp'] }) });
    const { run, report } = await kaJson(['t.cu', 'mm.cpp'], dir);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(report.findings.map((f) => `${f.file} ${f.rule}`), ['mm.cpp tiling/cpu-loop-nest', 'mm.cpp memory/uncoalesced-access']);
    const cudaOnly = await kaJson(['t.cu', 'mm.cpp'], project({ 't.cu': TRANSPOSE, 'mm.cpp': cppMatmul(), '.kernel-advisor.json': JSON.stringify({ languages: ['cuda'] }) }));
    assert.deepEqual(cudaOnly.report.findings.map((f) => `${f.file} ${f.rule}`), ['t.cu memory/uncoalesced-access']);
  });
  test('a chain through launch wrappers defined in another file is seen when the folder is checked', async () => {
    const blas = [
      '__global__ void axpy_kernel(int n, float a, const float* x, float* y) {',
      '  int i = blockIdx.x * blockDim.x + threadIdx.x;',
      '  if (i < n) y[i] += a * x[i];',
      '}',
      '__global__ void leaky_kernel(float* x, int n) {',
      '  int i = blockIdx.x * blockDim.x + threadIdx.x;',
      '  if (i < n) x[i] = x[i] > 0 ? x[i] : 0.1f * x[i];',
      '}',
      'void axpy_ongpu(int n, float a, const float* x, float* y) { axpy_kernel<<<(n + 255) / 256, 256>>>(n, a, x, y); }',
      'void activate_ongpu(float* x, int n) { leaky_kernel<<<(n + 255) / 256, 256>>>(x, n); }',
      '',
    ].join('\n');
    const layer = [
      'void axpy_ongpu(int n, float a, const float* x, float* y);',
      'void activate_ongpu(float* x, int n);',
      'struct layer { int outputs; float* out_gpu; float* in_gpu; };',
      'void forward_layer_gpu(layer l) {',
      '  axpy_ongpu(l.outputs, 1, l.in_gpu, l.out_gpu);',
      '  activate_ongpu(l.out_gpu, l.outputs);',
      '}',
      '',
    ].join('\n');
    const dir = project({ 'blas_kernels.cu': blas, 'layer.cpp': layer });
    const folder = await kaJson(['--rule', 'fusion/elementwise-chain', '.'], dir);
    assert.equal(folder.run.code, 0, folder.run.stderr);
    assert.deepEqual(folder.report.findings.map((f) => `${f.file.replace(/^\.\//, '')}:${f.range.start.line} ${f.function}`), ['layer.cpp:6 forward_layer_gpu']);
    assert.match(folder.report.findings[0].message, /`activate_ongpu` reads back `l\.out_gpu` that `axpy_ongpu` just wrote/);
    // the caller alone cannot see what the wrappers launch: silence, not a guess
    const alone = await kaJson(['--rule', 'fusion/elementwise-chain', 'layer.cpp'], dir);
    assert.deepEqual(alone.report.findings, []);
  });
  test('kernels defined in a file that launches none are seen where another file declares and launches them', async () => {
    const kernels = [
      '__global__ void matmul(const float* A, const float* B, float* C, int M, int N, int K) {',
      '  int row = blockIdx.y * blockDim.y + threadIdx.y, col = blockIdx.x * blockDim.x + threadIdx.x;',
      '  if (row < M && col < N) { float s = 0; for (int k = 0; k < K; ++k) s += A[row * K + k] * B[k * N + col]; C[row * N + col] = s; }',
      '}',
      '__global__ void add_bias(float* X, const float* b, int rows, int cols) {',
      '  int i = blockIdx.x * blockDim.x + threadIdx.x;',
      '  if (i < rows * cols) X[i] += b[i % cols];',
      '}',
      '',
    ].join('\n');
    const train = [
      '__global__ void matmul(const float* A, const float* B, float* C, int M, int N, int K);',
      '__global__ void add_bias(float* X, const float* b, int rows, int cols);',
      'void forward(const float* x, const float* w, const float* b, float* h, int M, int N, int K) {',
      '  matmul<<<dim3(N / 16, M / 16), dim3(16, 16)>>>(x, w, h, M, N, K);',
      '  add_bias<<<(M * N + 255) / 256, 256>>>(h, b, M, N);',
      '}',
      '',
    ].join('\n');
    const dir = project({ 'kernels.cu': kernels, 'train.cu': train });
    const folder = await kaJson(['--rule', 'fusion/gemm-epilogue', '.'], dir);
    assert.equal(folder.run.code, 0, folder.run.stderr);
    assert.deepEqual(folder.report.findings.map((f) => `${f.file.replace(/^\.\//, '')}:${f.range.start.line} ${f.function}`), ['train.cu:5 forward']);
  });
});

describe('the command line waits for complete results', () => {
  test('its time budgets default to the batch ones; settings a user gives are kept', () => {
    const batch = withBatchBudget(DEFAULT_CONFIG);
    assert.equal(batch.functionBudgetMs, BATCH_BUDGET.functionMs);
    assert.equal(batch.fileBudgetMs, BATCH_BUDGET.fileMs);
    assert.ok(BATCH_BUDGET.functionMs > 200 && BATCH_BUDGET.fileMs > 2000, 'above the editor defaults');
    const mine = withBatchBudget({ ...DEFAULT_CONFIG, functionBudgetMs: 50, fileBudgetMs: 0 });
    assert.equal(mine.functionBudgetMs, 50);
    assert.equal(mine.fileBudgetMs, 0);
  });
});
