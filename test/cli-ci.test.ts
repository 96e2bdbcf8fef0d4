// The CLI as CI runs it: usage errors (a missing path, an unknown rule, a rule with no
// check for the languages analysed) exit 2 with a message; --help and --version; config
// files that are FIFOs, devices, huge, BOM-prefixed or full of bad ids; .gitignore,
// --exclude, symlink loops and FIFOs in walked trees; --quiet and the TTY progress line.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { assertBuilt, projects, repoRoot } from './support/projects';
import { main } from '../server/src/cli';

const BIN = join(repoRoot, 'bin', 'kernel-advisor.js');
const VERSION: string = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version;

/** A naive transpose: one memory/uncoalesced-access warning on line 5. */
const TRANSPOSE = `__global__ void transpose_naive(const float* in, float* out, int rows, int cols) {
  int x = blockIdx.x * blockDim.x + threadIdx.x;
  int y = blockIdx.y * blockDim.y + threadIdx.y;
  if (x < cols && y < rows) {
    out[x * rows + y] = in[y * cols + x];
  }
}
`;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}
function ka(args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') return reject(error); // killed (a hang), or could not run
      resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
    });
  });
}
/** Files with findings in a JSON run, sorted. */
const filesOf = (r: Run) => [...new Set((JSON.parse(r.stdout).findings as { file: string }[]).map((f) => f.file))].sort();

function mkfifo(path: string): boolean {
  try {
    execFileSync('mkfifo', [path]);
    return true;
  } catch {
    return false;
  }
}

describe('kernel-advisor CLI in CI', { concurrency: 2 }, () => {
  let root: string;
  let project: (files: Record<string, string | Buffer>) => string;
  before(() => {
    assertBuilt();
    ({ root, project } = projects('ka-cli-ci-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  test('a path that does not exist: exit 2, a message naming it, nothing analysed', async () => {
    const dir = project({ 't.cu': TRANSPOSE });
    for (const args of [['nope.cu'], ['t.cu', 'missing/dir']]) {
      const r = await ka(['check', '--format', 'json', ...args], dir);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`no such file or directory: ${args.at(-1)}`));
      assert.doesNotMatch(r.stderr, /Usage:/, 'a typo in a path is not a reason to print the manual');
      assert.equal(r.stdout, '');
    }
  });

  test('a reader that closes the pipe early (`| head`) ends the run quietly: no stack trace, not a failure', async () => {
    // (more output than a pipe holds, 64 KiB: the rest is written after the reader has gone)
    const dir = project(Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`t${i}.cu`, TRANSPOSE.replace('transpose_naive', `transpose_${i}`)])));
    const run = async (flags: string) => {
      const script = `set -o pipefail; "$0" "$1" check --format json ${flags} . 2>stderr.txt | head -c 10 >/dev/null`;
      const code = await new Promise<number | null>((resolve) => spawn('bash', ['-c', script, process.execPath, BIN], { cwd: dir }).on('close', resolve));
      return { code, stderr: readFileSync(join(dir, 'stderr.txt'), 'utf8') };
    };
    const plain = await run('');
    assert.equal(plain.code, 0, plain.stderr);
    assert.doesNotMatch(plain.stderr, /EPIPE|Error|\bat /);
    // (the run's own status stands: `--fail-on` with findings at that severity still fails)
    const failing = await run('--fail-on warning');
    assert.equal(failing.code, 1, failing.stderr);
    assert.doesNotMatch(failing.stderr, /EPIPE|Error|\bat /);
  });

  test('--rule with no check for the languages analysed: exit 2; the same rule with its language on runs', async () => {
    const dir = project({ 't.cu': TRANSPOSE, 'cpp.json': JSON.stringify({ languages: ['cpp', 'c'] }) });
    const r = await ka(['check', '--config', 'cpp.json', '--rule', 'vectorization/packed-half', '.'], dir);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /rule "vectorization\/packed-half" has no check for the languages analysed \(cpp, c\)/);
    assert.equal((await ka(['check', '--rule', 'vectorization/packed-half', '.'], dir)).code, 0);
    const unknown = await ka(['check', '--rule', 'memory/nope', '.'], dir);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown rule "memory\/nope"/);
  });

  test('--help, -h, check --help and explain --help print the usage and exit 0; --version prints the version', async () => {
    const dir = project({});
    for (const args of [['--help'], ['-h'], ['help'], ['check', '--help'], ['check', '-h', 'whatever.cu'], ['explain', '--help']]) {
      const r = await ka(args, dir);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stdout, /^Usage:/, args.join(' '));
      assert.match(r.stdout, /--exclude GLOB/);
      assert.equal(r.stderr, '');
    }
    for (const flag of ['--version', '-v']) {
      const r = await ka([flag], dir);
      assert.equal(r.code, 0);
      assert.equal(r.stdout.trim(), VERSION);
    }
  });

  test('--config that is a device or a FIFO is refused at once (exit 2); a FIFO .kernel-advisor.json is a warning', async (t) => {
    const dir = project({ 't.cu': TRANSPOSE });
    if (existsSync('/dev/zero')) {
      const zero = await ka(['check', '--config', '/dev/zero', 't.cu'], dir);
      assert.equal(zero.code, 2);
      assert.match(zero.stderr, /cannot read config \/dev\/zero: not a regular file \(a device\)/);
    }
    if (!mkfifo(join(dir, 'fifo.json')) || !mkfifo(join(dir, '.kernel-advisor.json'))) return t.skip('no mkfifo here');
    const fifo = await ka(['check', '--config', 'fifo.json', 't.cu'], dir);
    assert.equal(fifo.code, 2);
    assert.match(fifo.stderr, /fifo\.json: not a regular file \(a FIFO\)/);
    const cwd = await ka(['check', '--format', 'json', 't.cu'], dir);
    assert.equal(cwd.code, 0, cwd.stderr);
    assert.match(cwd.stderr, /\.kernel-advisor\.json: not a regular file \(a FIFO\); using the defaults/);
    assert.equal(JSON.parse(cwd.stdout).findings.length, 1, 'analysed with the defaults');
  });

  test('config files: a BOM is accepted; a huge one is refused before reading; 10,000 bad rule ids give one line', async () => {
    const bom = project({ 't.cu': TRANSPOSE, '.kernel-advisor.json': '\uFEFF' + JSON.stringify({ rules: { 'memory/uncoalesced-access': 'off' } }) });
    const b = await ka(['check', '--format', 'json', 't.cu'], bom);
    assert.equal(b.stderr, '');
    assert.deepEqual(JSON.parse(b.stdout).findings, []);

    const huge = project({ 't.cu': TRANSPOSE, 'big.json': `{"pad": "${'x'.repeat(2 * 1024 * 1024)}"}` });
    const h = await ka(['check', '--config', 'big.json', 't.cu'], huge);
    assert.equal(h.code, 2);
    assert.match(h.stderr, /big\.json: the file is 2049 KiB, over the 1024 KiB limit for a config file/);

    const rules: Record<string, string> = { 'memory/uncoalesced-access': 'hint' };
    for (let i = 0; i < 10_000; i++) rules[`typo/rule-${i}`] = 'off';
    const many = project({ 't.cu': TRANSPOSE, '.kernel-advisor.json': JSON.stringify({ rules }) });
    const m = await ka(['check', '--format', 'json', 't.cu'], many);
    assert.equal(m.code, 0);
    const lines = m.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, m.stderr.slice(0, 1000));
    assert.match(lines[0], /unknown rules "typo\/rule-0", "typo\/rule-1", "typo\/rule-2" and 9,997 more/);
    assert.deepEqual(JSON.parse(m.stdout).findings.map((f: { severity: string }) => f.severity), ['hint'], 'the good entry still applies');
  });

  test('maxFileSizeKb is applied before reading: an oversized file is reported, the rest analysed', async () => {
    const dir = project({ 't.cu': TRANSPOSE, 'big.cu': TRANSPOSE + '//'.padEnd(3000, 'x') + '\n', '.kernel-advisor.json': '{"maxFileSizeKb": 1}' });
    const r = await ka(['check', '--format', 'json', '.'], dir);
    const report = JSON.parse(r.stdout);
    assert.deepEqual(report.errors, [{ file: 'big.cu', message: 'skipped: the file is 4 KiB, over the 1 KiB limit (setting maxFileSizeKb)' }]);
    assert.deepEqual(filesOf(r), ['t.cu']);
  });

  test('walks honour .gitignore and --exclude; symlink loops and links out of the tree are not followed; FIFOs are reported', async (t) => {
    const outside = project({ 'o.cu': TRANSPOSE });
    const dir = project({
      '.gitignore': 'generated/\n',
      'a.cu': TRANSPOSE,
      'generated/g.cu': TRANSPOSE,
      'extras/v.cu': TRANSPOSE,
      'src/s.cuh': TRANSPOSE,
    });
    symlinkSync('.', join(dir, 'loop'));
    symlinkSync(outside, join(dir, 'outside'));
    const r = await ka(['check', '--format', 'json', '--exclude', 'extras/', '--exclude', '*.cuh', '.'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(filesOf(r), ['a.cu']);
    assert.deepEqual(JSON.parse(r.stdout).errors, []);
    if (!mkfifo(join(dir, 'pipe.cu'))) return t.skip('no mkfifo here');
    const withFifo = await ka(['check', '--format', 'json', '.'], dir);
    assert.equal(withFifo.code, 0);
    assert.deepEqual(JSON.parse(withFifo.stdout).errors, [{ file: 'pipe.cu', message: 'not analysed: not a regular file (a FIFO)' }]);
    assert.deepEqual(filesOf(withFifo), ['a.cu', 'extras/v.cu', 'src/s.cuh']);
  });

  test('--quiet drops the summary line; stderr that is not a terminal never gets a progress line', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 60; i++) files[`k${i}.cu`] = TRANSPOSE;
    const dir = project(files);
    const loud = await ka(['check', '.'], dir);
    assert.match(loud.stderr, /60 findings in 60 files/);
    assert.doesNotMatch(loud.stderr, /\r|analysing/);
    const quiet = await ka(['check', '-q', '.'], dir);
    assert.equal(quiet.code, 0);
    assert.equal(quiet.stderr, '');
    assert.equal(quiet.stdout, loud.stdout);
  });

  test('on a terminal, a large tree gets one rewritten progress line, wiped at the end; --quiet silences it', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 60; i++) files[`k${i}.cu`] = TRANSPOSE;
    const dir = project(files);
    const run = async (...extra: string[]) => {
      const io = { out: [] as string[], err: [] as string[], tty: [] as string[] };
      const code = await main(['check', '--format', 'json', ...extra, dir], { out: (s) => io.out.push(s), err: (s) => io.err.push(s), tty: (s) => io.tty.push(s) });
      return { code, ...io };
    };
    const shown = await run();
    assert.equal(shown.code, 0);
    assert.ok(shown.tty.length >= 2, shown.tty.join('|'));
    assert.equal(shown.tty[0], '\r\x1b[Kkernel-advisor: indexing 0/60 files');
    assert.equal(shown.tty.at(-1), '\r\x1b[K', 'the line is wiped before the report');
    assert.ok(shown.tty.every((s) => !s.includes('\n')), 'one line, rewritten in place');
    assert.equal(JSON.parse(shown.out.join('\n')).findings.length, 60, 'stdout is untouched');
    assert.deepEqual((await run('--quiet')).tty, []);
    // a small tree finishes before anyone could read a progress line
    const small = project({ 't.cu': TRANSPOSE });
    const io: string[] = [];
    await main(['check', '--format', 'json', small], { out: () => {}, err: () => {}, tty: (s) => io.push(s) });
    assert.deepEqual(io, []);
  });
});
