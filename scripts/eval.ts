// Scores the analysis on labeled real code (DESIGN.md "Real code and evaluation").
//
//   npm run eval [-- --external FOLDER] [--corpus own|external|all] [--rule ID]
//                [--json] [--update-floor]
//
// Own corpus: test/corpus/labels.json and test/corpus/*/labels.json, files under
// test/corpus/. External corpus: test/corpus/external.json and external-*.json, files read
// from repository snapshots under FOLDER (<owner>+<name>/repo, <owner>+<name> or
// <owner>/<name>; a bare git directory is read at the pinned commit).
//
// Per labeled function and per rule R that has a check: R is predicted when a finding of R
// starts inside the function's lines (a finding inside nested labeled functions counts for
// the innermost). TP: expected and predicted; FN: expected, not predicted; FP: predicted,
// not expected ("applied violations": predicted where the label says the technique is
// already applied; these are FPs too). Rule ids a label lists under "unsure" (the labeler
// could not decide whether an expert would act there) are not scored for that function, either
// way; each rule counts them apart ("unsure"), so they are never hidden.
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { execFileSync } from 'node:child_process';
import { Engine } from '../server/src/core/engine';
import { DEFAULT_CONFIG } from '../server/src/core/config';
import { ALL_RULES } from '../server/src/rules';
import { isRuleId } from '../server/src/core/ruleIds';
import type { Finding } from '../server/src/core/types';
import { fsHeaderReader, type ViewOptions } from '../server/src/core/preprocess';
import type { ProjectIndex } from '../server/src/core/project';
import { indexProject } from '../server/src/core/project-pass';
import { UNREACHED } from '../server/src/core/reachability';
import { SCAFFOLDING } from '../server/src/core/engine';

export const REPO_ROOT = resolve(__dirname, '..');
export const CORPUS_DIR = join(REPO_ROOT, 'test', 'corpus');
export const FLOOR_FILE = join(CORPUS_DIR, 'floor.json');

/** Rule ids that have a check (scored); labels for other ids are counted, not scored. */
export const IMPLEMENTED_RULES: readonly string[] = ALL_RULES.map((r) => r.id);

// ---------------------------------------------------------------------------- labels

export interface Label {
  /** Own corpus: relative to test/corpus. External: the path inside the repository. */
  file: string;
  function: string;
  /** 1-based, inclusive. */
  lines: [number, number];
  expected: string[];
  applied: string[];
  /** Rule ids the labeler could not decide for this function: not scored (neither TP, FP nor FN). */
  unsure: string[];
  note?: string;
  /** External corpus only. */
  repo?: string;
  /** The labels file it came from (relative to the repository root). */
  source: string;
}

export interface ExternalRepository {
  repo: string;
  commit: string;
  license?: string;
  kind?: string;
  languages?: string[];
}

function readJson(path: string): any {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`${relative(REPO_ROOT, path)}: ${(e as Error).message}`);
  }
}

function toLabel(raw: any, source: string, external: boolean): Label {
  const lines = Array.isArray(raw?.lines) ? raw.lines : [];
  return {
    file: String(external ? raw?.path ?? '' : raw?.file ?? ''),
    function: String(raw?.function ?? ''),
    lines: [Number(lines[0]), Number(lines[1])],
    expected: Array.isArray(raw?.expected) ? raw.expected.map(String) : [],
    applied: Array.isArray(raw?.applied) ? raw.applied.map(String) : [],
    unsure: Array.isArray(raw?.unsure) ? raw.unsure.map(String) : [],
    note: raw?.note,
    repo: external ? String(raw?.repo ?? '') : undefined,
    source,
  };
}

/** The own corpus' label files: labels.json and every <folder>/labels.json. */
export function ownLabelFiles(root = CORPUS_DIR): string[] {
  if (!existsSync(root)) return [];
  const files: string[] = [];
  if (existsSync(join(root, 'labels.json'))) files.push(join(root, 'labels.json'));
  for (const name of readdirSync(root).sort()) {
    const p = join(root, name, 'labels.json');
    if (statSync(join(root, name)).isDirectory() && existsSync(p)) files.push(p);
  }
  return files;
}

export function loadOwnLabels(root = CORPUS_DIR): Label[] {
  const out: Label[] = [];
  for (const f of ownLabelFiles(root)) {
    const data = readJson(f);
    for (const raw of data?.functions ?? []) out.push(toLabel(raw, relative(REPO_ROOT, f), false));
  }
  return out;
}

export function externalLabelFiles(root = CORPUS_DIR): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((n) => n === 'external.json' || /^external-.*\.json$/.test(n))
    .sort()
    .map((n) => join(root, n));
}

export function loadExternalLabels(root = CORPUS_DIR): { repositories: ExternalRepository[]; labels: Label[] } {
  const repositories = new Map<string, ExternalRepository>();
  const labels: Label[] = [];
  for (const f of externalLabelFiles(root)) {
    const data = readJson(f);
    for (const r of data?.repositories ?? []) if (r?.repo && !repositories.has(r.repo)) repositories.set(r.repo, r);
    for (const raw of data?.functions ?? []) labels.push(toLabel(raw, relative(REPO_ROOT, f), true));
  }
  return { repositories: [...repositories.values()], labels };
}

// ---------------------------------------------------------------------------- analysis

export interface Skipped {
  function: string;
  reason: string;
}
export interface AnalysisResult {
  findings: Finding[];
  error?: string;
  skipped?: Skipped[];
}

/** The one place the engine is called (include paths and the like will be passed here). */
/** The source files of one project, read lazily; indexed once per evaluation. */
export interface ProjectSource {
  key: string;
  files: () => { path: string; text: string }[];
}

const indexes = new Map<string, ProjectIndex | null>();

/** Sets the engine's headers and project index for a file, as the CLI would for its folder. */
function prepare(engine: Engine, headers?: ViewOptions, project?: ProjectSource): void {
  if (headers) engine.setHeaderSource(headers);
  if (!project) return;
  let index = indexes.get(project.key);
  if (index === undefined) {
    engine.project = null;
    // (the CLI's project pass, under the evaluation's budgets, as the files themselves are analysed: a project's headers
    // read through git on a loaded machine must not drop a file's launch wrappers from the index)
    const texts = new Map(project.files().map((f) => [f.path, f.text]));
    indexProject(engine, [...texts.keys()], (path) => texts.get(path) ?? null, EVAL_CONFIG);
    index = engine.project;
    indexes.set(project.key, index);
  }
  engine.project = index;
}

/**
 * The analysis budgets (functionBudgetMs, fileBudgetMs) guard the editor against pathological input; the
 * evaluation measures what the rules find, so a loaded machine must not turn findings into skips.
 */
const EVAL_CONFIG = { ...DEFAULT_CONFIG, functionBudgetMs: 60_000, fileBudgetMs: 600_000 };

export function analyze(engine: Engine, absPath: string, text: string, headers?: ViewOptions, project?: ProjectSource): AnalysisResult {
  prepare(engine, headers, project);
  const r = engine.analyzeText(absPath, text, EVAL_CONFIG, undefined, undefined, { fixes: false }) as AnalysisResult & { skipped?: unknown };
  const skipped = Array.isArray(r.skipped)
    ? (r.skipped as any[]).map((s) => ({ function: String(s?.function ?? ''), reason: String(s?.reason ?? '') }))
    : undefined;
  return { findings: r.findings, error: r.error, skipped };
}

// ---------------------------------------------------------------------------- scoring

export interface RuleScore {
  rule: string;
  tp: number;
  fp: number;
  fn: number;
  /** Predicted where the label says the technique is already applied (also in fp). */
  applied: number;
  /** Labeled functions not scored for this rule because their label lists it as unsure. */
  unsure: number;
  /** null: no predictions (precision) / nothing expected (recall). */
  precision: number | null;
  recall: number | null;
  /** "file:first-last function" of false negatives, false positives, applied violations. */
  missed: string[];
  falsePositives: string[];
  appliedViolations: string[];
}

export interface GroupStats {
  name: string;
  functions: number;
  files: number;
  lines: number;
  findings: number;
  perKLines: number | null;
}

export interface NotScored {
  what: string;
  reason: string;
  functions: number;
}

export interface CorpusResult {
  corpus: 'own' | 'external';
  labelFiles: string[];
  functions: number;
  rules: RuleScore[];
  total: RuleScore;
  groups: GroupStats[];
  modelled: number;
  skipped: { where: string; reason: string }[];
  unlabeled: { count: number; examples: string[] };
  /** Expected labels for rule ids that have no check yet, by rule id. */
  unchecked: Record<string, number>;
  notScored: NotScored[];
  /** Files that were read but could not be analysed. */
  errors: string[];
}

/** One source file of a corpus with the labels that point into it. */
export interface CorpusFile {
  /** What reports call it: "cuda/x.cu", "owner/name:path". */
  display: string;
  /** The path given to the engine (its extension picks the language). */
  absPath: string;
  group: string;
  labels: Label[];
  /** The text, or null when it cannot be read. */
  read(): string | null;
  /** Where its headers come from (the corpus folder, or the snapshot at the pinned commit). */
  headers: ViewOptions;
  /** The project the file belongs to: its files that launch kernels, indexed once (as `kernel-advisor check DIR` does). */
  project: ProjectSource;
}

export interface ScoreOptions {
  /** Score only these rule ids (default: every rule with a check). */
  rules?: readonly string[];
}

const where = (f: CorpusFile, l: Label) => `${f.display}:${l.lines[0]}-${l.lines[1]} ${l.function}`;
const ratio = (a: number, b: number) => (b === 0 ? null : a / b);

function emptyScore(rule: string): RuleScore {
  return { rule, tp: 0, fp: 0, fn: 0, applied: 0, unsure: 0, precision: null, recall: null, missed: [], falsePositives: [], appliedViolations: [] };
}

function finish(s: RuleScore): RuleScore {
  s.precision = ratio(s.tp, s.tp + s.fp);
  s.recall = ratio(s.tp, s.tp + s.fn);
  return s;
}

/** The innermost labeled function holding a 1-based line, or null. */
function innermost(labels: readonly Label[], line: number): Label | null {
  let best: Label | null = null;
  for (const l of labels) {
    if (line < l.lines[0] || line > l.lines[1]) continue;
    if (!best) best = l;
    else {
      const span = l.lines[1] - l.lines[0];
      const bestSpan = best.lines[1] - best.lines[0];
      if (span < bestSpan || (span === bestSpan && l.lines[0] > best.lines[0])) best = l;
    }
  }
  return best;
}

/** Analyses each file once and scores its labeled functions. */
export function scoreFiles(engine: Engine, corpus: 'own' | 'external', files: readonly CorpusFile[], opts: ScoreOptions = {}): CorpusResult {
  const scored = opts.rules ?? IMPLEMENTED_RULES;
  const scoredSet = new Set(scored);
  const perRule = new Map(scored.map((r) => [r, emptyScore(r)] as const));
  const groups = new Map<string, GroupStats>();
  const result: CorpusResult = {
    corpus,
    labelFiles: [],
    functions: 0,
    rules: [],
    total: emptyScore('total'),
    groups: [],
    modelled: 0,
    skipped: [],
    unlabeled: { count: 0, examples: [] },
    unchecked: {},
    notScored: [],
    errors: [],
  };
  const implemented = new Set(IMPLEMENTED_RULES);
  for (const file of files) {
    for (const l of file.labels)
      for (const r of l.expected) if (!implemented.has(r)) result.unchecked[r] = (result.unchecked[r] ?? 0) + 1;
    const text = file.read();
    if (text === null) {
      result.notScored.push({ what: file.display, reason: 'file not found', functions: file.labels.length });
      continue;
    }
    result.functions += file.labels.length;
    const g = groups.get(file.group) ?? { name: file.group, functions: 0, files: 0, lines: 0, findings: 0, perKLines: null };
    groups.set(file.group, g);
    g.functions += file.labels.length;
    g.files++;
    g.lines += text.split('\n').length - (text.endsWith('\n') ? 1 : 0);

    const analysis = analyze(engine, file.absPath, text, file.headers, file.project);
    if (analysis.error) result.errors.push(`${file.display}: ${analysis.error}`);
    const findings = analysis.findings.filter((f) => scoredSet.has(f.rule));
    g.findings += findings.length;

    // which rules each labeled function got
    const predicted = new Map<Label, Set<string>>(file.labels.map((l) => [l, new Set<string>()]));
    for (const f of findings) {
      const line = f.range.start.line + 1;
      const owner = innermost(file.labels, line);
      if (owner) predicted.get(owner)!.add(f.rule);
      else {
        result.unlabeled.count++;
        if (result.unlabeled.examples.length < 10) result.unlabeled.examples.push(`${file.display}:${line} ${f.rule}`);
      }
    }

    // modelled: not in the engine's skipped list (code nothing runs is modelled, left unreported on purpose), and the file was analysed
    for (const l of file.labels) {
      const skip = analysis.error ? { reason: analysis.error } : analysis.skipped?.find((s) => s.function === l.function && s.reason !== UNREACHED && s.reason !== SCAFFOLDING);
      if (skip) result.skipped.push({ where: where(file, l), reason: skip.reason });
      else result.modelled++;
    }

    for (const l of file.labels) {
      const got = predicted.get(l)!;
      for (const r of scored) {
        const s = perRule.get(r)!;
        if (l.unsure.includes(r)) {
          s.unsure++;
          continue;
        }
        const exp = l.expected.includes(r);
        const pred = got.has(r);
        if (exp && pred) s.tp++;
        else if (exp) {
          s.fn++;
          s.missed.push(where(file, l));
        } else if (pred) {
          s.fp++;
          s.falsePositives.push(where(file, l));
          if (l.applied.includes(r)) {
            s.applied++;
            s.appliedViolations.push(where(file, l));
          }
        }
      }
    }
  }
  result.rules = [...perRule.values()].map(finish);
  const t = result.total;
  for (const s of result.rules) {
    t.tp += s.tp;
    t.fp += s.fp;
    t.fn += s.fn;
    t.applied += s.applied;
    t.unsure += s.unsure;
  }
  finish(t);
  result.groups = [...groups.values()]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((g) => ({ ...g, perKLines: g.lines ? (g.findings * 1000) / g.lines : null }));
  return result;
}

function groupByFile(labels: readonly Label[], key: (l: Label) => string): Map<string, Label[]> {
  const m = new Map<string, Label[]>();
  for (const l of labels) {
    const k = key(l);
    const list = m.get(k) ?? [];
    list.push(l);
    m.set(k, list);
  }
  return m;
}

const readText = (p: string): string | null => {
  try {
    return statSync(p).isFile() ? readFileSync(p, 'utf8') : null;
  } catch {
    return null;
  }
};

/** Scores the own corpus (test/corpus). */
export function evaluateOwnCorpus(engine: Engine, opts: ScoreOptions & { root?: string } = {}): CorpusResult {
  const root = opts.root ?? CORPUS_DIR;
  const labels = loadOwnLabels(root);
  const files: CorpusFile[] = [];
  const headers = workspaceHeaders([root]);
  const project: ProjectSource = { key: `own:${root}`, files: () => sourceFilesUnder(root) };
  for (const [file, ls] of groupByFile(labels, (l) => l.file)) {
    const absPath = join(root, file);
    const top = file.split(/[\\/]/)[0];
    files.push({ display: file, absPath, group: file.includes('/') ? top : '.', labels: ls, read: () => readText(absPath), headers, project });
  }
  const result = scoreFiles(engine, 'own', files, opts);
  result.labelFiles = ownLabelFiles(root).map((f) => relative(REPO_ROOT, f));
  return result;
}

// --------------------------------------------------------------------- snapshots

export interface Snapshot {
  dir: string;
  /** A bare git directory (read at the commit) or a checkout (files read from disk). */
  kind: 'bare' | 'checkout';
  gitDir?: string;
}

const isBareGit = (d: string) => existsSync(join(d, 'HEAD')) && existsSync(join(d, 'objects')) && existsSync(join(d, 'refs'));

export function findSnapshot(folder: string, repo: string): Snapshot | null {
  const [owner, name] = repo.split('/');
  const candidates = [join(folder, `${owner}+${name}`, 'repo'), join(folder, `${owner}+${name}`), join(folder, owner, name)];
  for (const d of candidates) {
    if (!existsSync(d) || !statSync(d).isDirectory()) continue;
    if (isBareGit(d)) return { dir: d, kind: 'bare', gitDir: d };
    if (existsSync(join(d, '.git'))) return { dir: d, kind: 'checkout', gitDir: join(d, '.git') };
    // a folder holding only the snapshot's parts (e.g. <owner>+<name> with repo/ inside) is not a checkout
    if (d === candidates[1] && existsSync(candidates[0])) continue;
    if (readdirSync(d).length > 0) return { dir: d, kind: 'checkout' };
  }
  return null;
}

function git(gitDir: string, args: string[]): string {
  return execFileSync('git', ['--git-dir', gitDir, ...args], { encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] });
}

function hasCommit(gitDir: string, commit: string): boolean {
  try {
    git(gitDir, ['cat-file', '-e', `${commit}^{commit}`]);
    return true;
  } catch {
    return false;
  }
}

/** Sources the project index reads (as `kernel-advisor check DIR` does: every analysable file that launches or defines kernels). */
const PROJECT_SOURCES = /\.(cu|cuh|c|cc|cpp|cxx|h|hh|hpp|py)$/i;

/** Project sources under a folder (bounded), for the project index. */
function sourceFilesUnder(root: string, out: { path: string; text: string }[] = [], depth = 0): { path: string; text: string }[] {
  if (depth > 12 || out.length > 2000) return out;
  for (const name of readdirSync(root)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(root, name);
    const st = statSync(p);
    if (st.isDirectory()) sourceFilesUnder(p, out, depth + 1);
    else if (PROJECT_SOURCES.test(name) && st.size < 2 * 1024 * 1024) {
      const text = readText(p);
      if (text !== null) out.push({ path: p, text });
    }
  }
  return out;
}

/** Sources of a snapshot at its pinned commit, for the project index (as the CLI walks a checkout: every source file). */
function snapshotSources(dir: string, gitDir: string, commit: string): { path: string; text: string }[] {
  const out: { path: string; text: string }[] = [];
  try {
    const names = git(gitDir, ['ls-tree', '-r', '--name-only', commit]).split('\n').filter((n) => PROJECT_SOURCES.test(n)).slice(0, 20000);
    // one `git cat-file --batch` for all of them instead of a process per file
    const raw = execFileSync('git', ['--git-dir', gitDir, 'cat-file', '--batch'], {
      input: names.map((n) => `${commit}:${n}\n`).join(''), maxBuffer: 2 ** 30, stdio: ['pipe', 'pipe', 'ignore'],
    });
    let p = 0;
    for (const n of names) {
      const eol = raw.indexOf(10, p);
      if (eol < 0) break;
      const head = raw.toString('utf8', p, eol).split(' ');
      p = eol + 1;
      if (head[1] !== 'blob') continue; // "missing"
      const size = Number(head[2]);
      if (size < 2 * 1024 * 1024) out.push({ path: join(dir, ...n.split('/')), text: raw.toString('utf8', p, p + size) });
      p += size + 1;
    }
  } catch {
    // unreadable: an empty index
  }
  return out;
}

/** Headers from disk under the given folders, as the CLI reads them. */
function workspaceHeaders(roots: string[]): ViewOptions {
  const reader = fsHeaderReader(roots);
  return { roots, includeDirs: [], reader };
}

/** Headers of a bare snapshot, read at the pinned commit (paths under `dir` map to paths in the repository). */
function snapshotHeaders(dir: string, gitDir: string, commit: string): ViewOptions {
  const cache = new Map<string, string | null>();
  const read = (abs: string): string | null => {
    const rel = relative(dir, abs);
    if (rel.startsWith('..') || rel === '' || isAbsolute(rel)) return null;
    if (!cache.has(rel)) {
      let text: string | null = null;
      try {
        text = git(gitDir, ['show', `${commit}:${rel.split(sep).join('/')}`]);
      } catch {
        text = null;
      }
      cache.set(rel, text !== null && text.length <= 2 * 1024 * 1024 ? text : null);
    }
    return cache.get(rel)!;
  };
  return { roots: [dir], includeDirs: [], reader: { read } };
}

/** Scores the external corpus against snapshots under `folder`. */
export function evaluateExternalCorpus(engine: Engine, folder: string, opts: ScoreOptions & { root?: string } = {}): CorpusResult {
  const root = opts.root ?? CORPUS_DIR;
  const { repositories, labels } = loadExternalLabels(root);
  const byRepo = groupByFile(labels, (l) => l.repo ?? '');
  const files: CorpusFile[] = [];
  const notScored: NotScored[] = [];
  const known = new Map(repositories.map((r) => [r.repo, r]));
  for (const [repo, ls] of byRepo) {
    const meta = known.get(repo);
    if (!meta?.commit) {
      notScored.push({ what: repo, reason: 'repository not listed (with a commit) under "repositories"', functions: ls.length });
      continue;
    }
    const snap = findSnapshot(folder, repo);
    if (!snap) {
      notScored.push({ what: repo, reason: `snapshot not found under ${folder}`, functions: ls.length });
      continue;
    }
    // a checkout whose .git lacks the commit is read from disk as it is
    const atCommit = snap.gitDir !== undefined && hasCommit(snap.gitDir, meta.commit);
    if (snap.kind === 'bare' && !atCommit) {
      notScored.push({ what: repo, reason: `commit ${meta.commit} not in the snapshot at ${snap.dir}`, functions: ls.length });
      continue;
    }
    const headers: ViewOptions = atCommit ? snapshotHeaders(snap.dir, snap.gitDir!, meta.commit) : workspaceHeaders([snap.dir]);
    const project: ProjectSource = { key: `${repo}@${meta.commit}`, files: () => (atCommit ? snapshotSources(snap.dir, snap.gitDir!, meta.commit) : sourceFilesUnder(snap.dir)) };
    for (const [path, fl] of groupByFile(ls, (l) => l.file)) {
      const read = atCommit
        ? () => {
            try {
              return git(snap.gitDir!, ['show', `${meta.commit}:${path}`]);
            } catch {
              return null;
            }
          }
        : () => readText(join(snap.dir, path));
      files.push({ display: `${repo}:${path}`, absPath: join(snap.dir, ...path.split('/')), group: repo, labels: fl, read, headers, project });
    }
  }
  const result = scoreFiles(engine, 'external', files, opts);
  result.notScored.unshift(...notScored);
  for (const n of notScored) for (const l of byRepo.get(n.what) ?? []) for (const r of l.expected)
    if (!IMPLEMENTED_RULES.includes(r)) result.unchecked[r] = (result.unchecked[r] ?? 0) + 1;
  result.labelFiles = externalLabelFiles(root).map((f) => relative(REPO_ROOT, f));
  return result;
}

// ---------------------------------------------------------------------------- floor

export type Floor = Record<string, { precision: number; recall: number }>;

const down2 = (x: number | null) => (x === null ? 0 : Math.floor(x * 100 + 1e-9) / 100);

/** The floor for a result: rules with at least one expected label or prediction. */
export function floorOf(result: CorpusResult): Floor {
  const floor: Floor = {};
  for (const s of result.rules) if (s.tp + s.fp + s.fn > 0) floor[s.rule] = { precision: down2(s.precision), recall: down2(s.recall) };
  return floor;
}

// ---------------------------------------------------------------------------- text output

const pct = (x: number | null) => (x === null ? '—' : x.toFixed(2));

function table(head: string[], rows: (string | number)[][]): string {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const width = head.map((_, i) => Math.max(...cells.map((r) => [...r[i]].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(width[i]) : c.padStart(width[i]))).join('  ').trimEnd();
  return [line(head), width.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export function formatResult(r: CorpusResult): string {
  const out: string[] = [];
  const title = r.corpus === 'own' ? 'own corpus' : 'external corpus';
  out.push(`== ${title}: ${r.functions} labeled functions scored` + (r.labelFiles.length ? ` (labels: ${r.labelFiles.join(', ')})` : ''));
  for (const n of r.notScored) out.push(`not scored: ${n.what} — ${n.reason} (${n.functions} labeled function${n.functions === 1 ? '' : 's'})`);
  const row = (s: RuleScore) => [s.rule, s.tp, s.fp, s.fn, pct(s.precision), pct(s.recall), s.applied, s.unsure];
  out.push(table(['rule', 'TP', 'FP', 'FN', 'precision', 'recall', 'applied violations', 'unsure (not scored)'], [...r.rules.map(row), row(r.total)]));
  out.push('');
  out.push(
    table(
      [r.corpus === 'own' ? 'folder' : 'repository', 'labeled functions', 'files', 'lines analysed', 'findings', 'findings / 1,000 lines'],
      r.groups.map((g) => [g.name, g.functions, g.files, g.lines, g.findings, g.perKLines === null ? '—' : g.perKLines.toFixed(1)]),
    ),
  );
  out.push('');
  const total = r.modelled + r.skipped.length;
  out.push(`functions modelled: ${r.modelled} of ${total}` + (total ? ` (${Math.round((100 * r.modelled) / total)}%)` : ''));
  for (const s of r.skipped) out.push(`  not modelled: ${s.where}: ${s.reason}`);
  out.push(`unlabeled findings (inside no labeled function): ${r.unlabeled.count}`);
  for (const e of r.unlabeled.examples) out.push(`  ${e}`);
  const unchecked = Object.entries(r.unchecked).sort((a, b) => b[1] - a[1]);
  out.push(`labels for rules with no check yet: ${unchecked.length ? unchecked.map(([k, v]) => `${k} ${v}`).join(', ') : 'none'}`);
  for (const e of r.errors) out.push(`not analysed: ${e}`);
  return out.join('\n');
}

// ---------------------------------------------------------------------------- CLI

interface Args {
  external: string | null;
  corpus: 'own' | 'external' | 'all';
  rules: string[];
  json: boolean;
  updateFloor: boolean;
  root: string;
}

function usage(msg: string): never {
  console.error(`eval: ${msg}`);
  console.error('usage: npm run eval -- [--external FOLDER] [--corpus own|external|all] [--rule ID]... [--json] [--update-floor]');
  process.exit(2);
}

function parseArgs(argv: string[]): Args {
  const a: Args = { external: null, corpus: 'all', rules: [], json: false, updateFloor: false, root: CORPUS_DIR };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => argv[++i] ?? usage(`${arg} needs a value`);
    if (arg === '--external') a.external = resolve(value());
    else if (arg === '--corpus') {
      const v = value();
      if (v !== 'own' && v !== 'external' && v !== 'all') usage(`--corpus takes own, external or all, not ${v}`);
      a.corpus = v;
    } else if (arg === '--rule') {
      const v = value();
      if (!isRuleId(v)) usage(`unknown rule id ${v}`);
      if (!IMPLEMENTED_RULES.includes(v)) usage(`${v} has no check yet; nothing to score`);
      a.rules.push(v);
    } else if (arg === '--json') a.json = true;
    else if (arg === '--update-floor') a.updateFloor = true;
    else if (arg === '--root') a.root = resolve(value()); // another corpus folder (development)
    else if (arg === '-h' || arg === '--help') usage('help');
    else usage(`unknown argument ${arg}`);
  }
  if (a.updateFloor && a.rules.length) usage('--update-floor scores every rule; leave out --rule');
  return a;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const engine = await Engine.create();
  const opts = { root: args.root, rules: args.rules.length ? args.rules : undefined };
  const json: Record<string, unknown> = {};
  const text: string[] = [];

  let own: CorpusResult | null = null;
  if (args.corpus !== 'external' || args.updateFloor) {
    own = evaluateOwnCorpus(engine, opts);
    if (args.corpus !== 'external') {
      json.own = own;
      text.push(formatResult(own));
    }
  }
  if (args.corpus !== 'own') {
    const n = loadExternalLabels(args.root).labels.length;
    if (args.external) {
      const ext = evaluateExternalCorpus(engine, args.external, opts);
      json.external = ext;
      text.push(formatResult(ext));
    } else {
      const msg = `external corpus not scored (${n} labeled functions): run npm run eval -- --external FOLDER, FOLDER holding <owner>+<name>/repo snapshots (e.g. /work/.mirror)`;
      json.external = { scored: false, functions: n, message: msg };
      text.push(`== external corpus\n${msg}`);
    }
  }
  if (args.updateFloor && own) {
    const floor = floorOf(own);
    const file = join(args.root, 'floor.json');
    writeFileSync(file, JSON.stringify(floor, null, 2) + '\n');
    const msg = `wrote ${relative(process.cwd(), file).split(sep).join('/')} (${Object.keys(floor).length} rules)`;
    json.floor = floor;
    text.push(msg);
  }
  if (args.json) console.log(JSON.stringify(json, null, 2));
  else console.log(text.join('\n\n'));
}

if (require.main === module) {
  main().catch((e) => {
    console.error(`eval: ${(e as Error).stack ?? e}`);
    process.exit(1);
  });
}
