// Which files `kernel-advisor check DIR` reads, and how it reads them (server/src/walk.ts,
// server/src/core/files.ts, readConfigFile of core/config.ts): .gitignore and --exclude,
// symlinks that leave the tree or loop, FIFOs and devices, size limits before reading,
// and config files that are huge, not regular, or start with a byte-order mark.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, symlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import { collectFiles } from '../server/src/walk';
import { readRegularFile } from '../server/src/core/files';
import { MAX_CONFIG_BYTES, readConfigFile } from '../server/src/core/config';
import { projects } from './support/projects';

const { root, project } = projects('ka-walk-');
after(() => rmSync(root, { recursive: true, force: true }));

const K = '__global__ void k(float* x) { x[threadIdx.x] = 0; }\n';

/** The walked files of `dir`, relative to it, sorted. */
function walked(dir: string, opts: { exclude?: string[]; paths?: string[] } = {}): { files: string[]; errors: { file: string; message: string }[] } {
  const r = collectFiles((opts.paths ?? ['.']).map((p) => join(dir, p)), { exclude: opts.exclude, cwd: dir });
  return { files: r.files.map((f) => relative(dir, f)).sort(), errors: r.errors.map((e) => ({ ...e, file: relative(dir, e.file) })) };
}

/** mkfifo, or null where there is none (then the FIFO cases are skipped). */
function mkfifo(path: string): string | null {
  try {
    execFileSync('mkfifo', [path]);
    return path;
  } catch {
    return null;
  }
}

test('.gitignore files are honoured: nested ones, negations, ignored folders not entered', () => {
  const dir = project({
    '.gitignore': 'build/\n*.gen.cu\n',
    'a.cu': K,
    'x.gen.cu': K,
    'build/b.cu': K,
    'src/.gitignore': 'old_*.cu\n!old_keep.cu\n',
    'src/old_one.cu': K,
    'src/old_keep.cu': K,
    'src/new.cu': K,
    'src/y.gen.cu': K,
    'other/old_one.cu': K, // src/.gitignore does not reach here
  });
  assert.deepEqual(walked(dir).files, ['a.cu', 'other/old_one.cu', 'src/new.cu', 'src/old_keep.cu']);
});

test('the .gitignore files above a walked folder apply up to the repository root, and only inside a repository', () => {
  const files = { '.gitignore': 'skip.cu\n', 'sub/skip.cu': K, 'sub/keep.cu': K };
  const repo = project({ ...files, '.git/HEAD': 'ref: refs/heads/main\n' });
  assert.deepEqual(collectFiles([join(repo, 'sub')]).files.map((f) => relative(repo, f)), ['sub/keep.cu']);
  // a folder named explicitly is walked even when the repository ignores it
  const ignoredDir = project({ '.git/HEAD': 'ref: refs/heads/main\n', '.gitignore': 'generated/\n', 'generated/g.cu': K });
  assert.deepEqual(collectFiles([join(ignoredDir, 'generated')]).files.map((f) => relative(ignoredDir, f)), ['generated/g.cu']);
  assert.deepEqual(collectFiles([ignoredDir]).files, []);
  // no .git above: the parent's .gitignore is not this tree's
  const plain = project(files);
  assert.deepEqual(collectFiles([join(plain, 'sub')]).files.map((f) => relative(plain, f)), ['sub/keep.cu', 'sub/skip.cu']);
});

test('--exclude patterns (gitignore syntax) skip files and folders, explicit files too', () => {
  const dir = project({ 'a.cu': K, 'b.cuh': K, 'vendor/v.cu': K, 'src/deep/d.cu': K, 'src/s.cu': K });
  assert.deepEqual(walked(dir, { exclude: ['*.cuh', 'vendor/'] }).files, ['a.cu', 'src/deep/d.cu', 'src/s.cu']);
  assert.deepEqual(walked(dir, { exclude: ['src/deep/**'] }).files, ['a.cu', 'b.cuh', 'src/s.cu', 'vendor/v.cu']);
  assert.deepEqual(walked(dir, { exclude: ['src'] }).files, ['a.cu', 'b.cuh', 'vendor/v.cu']);
  assert.deepEqual(walked(dir, { exclude: ['b.cuh'], paths: ['a.cu', 'b.cuh'] }).files, ['a.cu']);
});

test('symlinks: never followed out of the tree, no loop through `x -> .`, each real file once under its own name', () => {
  const outside = project({ 'out.cu': K });
  const dir = project({ 'a.cu': K, 'sub/b.cu': K });
  symlinkSync('.', join(dir, 'loop'));
  symlinkSync('..', join(dir, 'sub', 'up'));
  symlinkSync(join(outside, 'out.cu'), join(dir, 'escape.cu'));
  symlinkSync(outside, join(dir, 'escape_dir'));
  symlinkSync('a.cu', join(dir, '0_link_to_a.cu')); // sorts before a.cu
  symlinkSync('sub', join(dir, 'sub_link'));
  symlinkSync('missing.cu', join(dir, 'dangling.cu'));
  const r = walked(dir);
  assert.deepEqual(r.files, ['a.cu', 'sub/b.cu']);
  assert.deepEqual(r.errors, []);
  // the same file named twice on the command line is read once
  assert.equal(collectFiles([join(dir, 'a.cu'), join(dir, 'sub', '..', 'a.cu'), dir]).files.length, 2);
});

test('only regular files are read: a FIFO with a source name is reported, never opened', (t) => {
  const dir = project({ 'a.cu': K });
  if (!mkfifo(join(dir, 'pipe.cu')) || !mkfifo(join(dir, 'pipe_no_ext'))) return t.skip('no mkfifo here');
  const r = walked(dir);
  assert.deepEqual(r.files, ['a.cu']);
  assert.deepEqual(r.errors, [{ file: 'pipe.cu', message: 'not analysed: not a regular file (a FIFO)' }]);
  const explicit = collectFiles([join(dir, 'pipe.cu')]);
  assert.deepEqual(explicit.files, []);
  assert.match(explicit.errors[0].message, /FIFO/);
  const read = readRegularFile(join(dir, 'pipe.cu'), 1024);
  assert.equal(read.ok, false);
  assert.equal(!read.ok && read.reason, 'not-regular');
});

test('readRegularFile: the size limit is applied before reading; devices and missing files are refused', () => {
  const dir = project({ 'small.cu': 'x'.repeat(1024), 'big.cu': 'x'.repeat(1025) });
  assert.deepEqual(readRegularFile(join(dir, 'small.cu'), 1024), { ok: true, text: 'x'.repeat(1024) });
  const big = readRegularFile(join(dir, 'big.cu'), 1024);
  assert.equal(big.ok, false);
  assert.equal(!big.ok && big.reason, 'too-large');
  assert.equal(!big.ok && big.size, 1025);
  if (existsSync('/dev/zero')) {
    const zero = readRegularFile('/dev/zero', 1024);
    assert.deepEqual(zero.ok ? null : [zero.reason, zero.message], ['not-regular', 'not a regular file (a device)']);
  }
  const missing = readRegularFile(join(dir, 'nope.cu'), 1024);
  assert.equal(!missing.ok && missing.reason, 'missing');
});

test('readConfigFile: a BOM is accepted, an empty file is {}, huge or non-regular files are refused with a clear message', (t) => {
  const dir = project({
    'bom.json': '\uFEFF' + JSON.stringify({ rules: { 'tiling/shared-memory': 'off' } }),
    'empty.json': '',
    'huge.json': '{"rules": {}, "pad": "' + 'x'.repeat(MAX_CONFIG_BYTES) + '"}',
    'broken.json': '{"rules": {',
  });
  const bom = readConfigFile(join(dir, 'bom.json'));
  assert.ok(!('error' in bom), JSON.stringify(bom));
  assert.deepEqual(bom.config.rules, { 'tiling/shared-memory': 'off' });
  assert.deepEqual(bom.problems, []);
  const empty = readConfigFile(join(dir, 'empty.json'));
  assert.ok(!('error' in empty) && empty.problems.length === 0);
  const huge = readConfigFile(join(dir, 'huge.json'));
  assert.ok('error' in huge);
  assert.match(huge.error, /huge\.json: the file is 1025 KiB, over the 1024 KiB limit for a config file/);
  const broken = readConfigFile(join(dir, 'broken.json'));
  assert.ok('error' in broken && /broken\.json is not valid JSON/.test(broken.error));
  if (existsSync('/dev/zero')) {
    const zero = readConfigFile('/dev/zero');
    assert.ok('error' in zero && /not a regular file \(a device\)/.test(zero.error));
  }
  const fifo = mkfifo(join(dir, 'fifo.json'));
  if (!fifo) return t.skip('no mkfifo here');
  const r = readConfigFile(fifo);
  assert.ok('error' in r && /not a regular file \(a FIFO\)/.test(r.error));
});

test('readConfigFile: 10,000 bad rule ids give one message, which names a few and counts the rest', () => {
  const rules: Record<string, string> = {};
  for (let i = 0; i < 10_000; i++) rules[`bad/rule-${i}`] = 'off';
  rules['memory/uncoalesced-access'] = 'hint';
  const dir = project({ 'c.json': JSON.stringify({ rules, languages: ['cuda', 'fortran', 'cobol'] }) });
  const r = readConfigFile(join(dir, 'c.json'));
  assert.ok(!('error' in r));
  assert.equal(r.problems.length, 2, r.problems.join('\n').slice(0, 2000));
  const [rulesProblem, languagesProblem] = r.problems;
  assert.match(rulesProblem, /unknown rules "bad\/rule-0", "bad\/rule-1", "bad\/rule-2" and 9,997 more/);
  assert.ok(rulesProblem.length < 1000, 'one readable line');
  assert.match(languagesProblem, /unknown languages "fortran", "cobol"/);
  // the good entries still apply
  assert.deepEqual(r.config.rules, { 'memory/uncoalesced-access': 'hint' });
  assert.deepEqual(r.config.languages, ['cuda']);
});

test('a walk over a folder it cannot list reports it and goes on', (t) => {
  if (process.getuid?.() === 0) return t.skip('root reads every folder');
  const dir = project({ 'a.cu': K, 'locked/b.cu': K });
  execFileSync('chmod', ['000', join(dir, 'locked')]);
  try {
    const r = walked(dir);
    assert.deepEqual(r.files, ['a.cu']);
    assert.match(r.errors[0].message, /cannot list directory/);
  } finally {
    execFileSync('chmod', ['755', join(dir, 'locked')]);
  }
});
