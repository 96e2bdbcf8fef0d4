// The `kernel-advisor` command: check (text/json/sarif), fix, explain, knowledge, lsp.
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { Engine, languageSettingOf, SCAFFOLDING } from './core/engine';
import { eolOf, lineEndsAsNewline } from './core/lineEnds';
import { DEFAULT_CONFIG, readConfigFile, type Config } from './core/config';
import { detectLanguage, grammarsForPaths } from './core/parser';
import { RULE_IDS, isRuleId } from './core/ruleIds';
import { SEVERITIES, type Finding, type Severity, type SourceLanguage } from './core/types';
import { KnowledgeError, defaultKnowledge, explainRuleText, formatCitation } from './core/knowledge';
import { readHead, readRegularFile } from './core/files';
import { collectFiles, type WalkResult } from './walk';
import { applyEdits, fixAllEdits } from './core/fix';
import { toSarif } from './sarif';
import { indexProject } from './core/project-pass';
import { BATCH_BUDGET } from './core/budget';
import { UNREACHED } from './core/reachability';
import { NOT_TUNED } from './core/test-code';
import { missingHeaderTarget } from './core/preprocess';
import { ALL_RULES } from './rules';
import { version } from '../../package.json';

const USAGE = `Usage:
  kernel-advisor check [options] PATH...
      --format text|json|sarif   output format (default text)
      --rule ID                  report only this rule (repeatable)
      --fail-on SEVERITY         exit 1 when a finding is at or above SEVERITY
      --config FILE              settings file (default: .kernel-advisor.json in the current folder)
      --exclude GLOB             skip matching paths, .gitignore syntax (repeatable)
  -q, --quiet                    no progress line and no summary on stderr
  -h, --help                     this text
  kernel-advisor fix [options] FILE...
      --rule ID                  apply only this rule's fixes (repeatable)
      --unsafe                   also apply fixes marked for review (TF32, caller changes)
      --stdout                   print the fixed text instead of writing the file (one FILE)
      --config FILE              settings file, as for check
  kernel-advisor explain RULE-ID
  kernel-advisor knowledge --format json
  kernel-advisor lsp --stdio
  kernel-advisor --version

Rule ids: ${RULE_IDS.join(', ')}
Severities: ${SEVERITIES.join(', ')}`;

class UsageError extends Error {
  /** Argument mistakes get the usage text; a missing path or a bad config file is said alone. */
  constructor(message: string, readonly showUsage = true) {
    super(message);
  }
}

export interface CheckReport {
  findings: (Finding & { file: string })[];
  errors: { file: string; message: string }[];
  /** Functions that could not be modelled: silence there is not a clean bill. */
  skipped: { file: string; function: string; reason: string; line: number }[];
  files: number;
  lines: number;
}

export interface CheckOptions {
  /** gitignore-style patterns of paths to skip (`--exclude`). */
  exclude?: readonly string[];
  /** Write each finding's fixes (JSON counts them, SARIF carries them; text shows none). */
  fixes?: boolean;
  /** Called as files are read, for a progress line. */
  progress?: (phase: 'indexing' | 'analysing', done: number, total: number) => void;
  /** The files of `paths`, when the caller walked them already (to load only the grammars they need). */
  walked?: WalkResult;
}

/** Enough to tell whether an oversized `.py` file imports triton (and so is ours to report). */
const HEAD_BYTES = 64 * 1024;

/** The settings with the batch time budgets where the user set none (core/budget.ts, BATCH_BUDGET). */
export const withBatchBudget = (config: Config): Config => ({
  ...config,
  functionBudgetMs: config.functionBudgetMs ?? BATCH_BUDGET.functionMs,
  fileBudgetMs: config.fileBudgetMs ?? BATCH_BUDGET.fileMs,
});

export function runCheck(engine: Engine, paths: string[], config: Config, only?: ReadonlySet<string>, opts: CheckOptions = {}): CheckReport {
  config = withBatchBudget(config);
  const report: CheckReport = { findings: [], errors: [], skipped: [], files: 0, lines: 0 };
  const walked = opts.walked ?? collectFiles(paths, { exclude: opts.exclude });
  report.errors.push(...walked.errors);
  const files = walked.files;
  const maxBytes = config.maxFileSizeKb * 1024;
  // Files that launch kernels: the first pass indexes their kernels and launch wrappers for the whole project
  // (chains through wrappers, and template arguments of kernels launched from another file: every rule may read it).
  if (files.length > 1) {
    indexProject(engine, files, (file) => {
      const r = readRegularFile(file, maxBytes);
      return r.ok ? r.text : null; // failures are reported by the second pass
    }, config, (i, n) => opts.progress?.('indexing', i, n));
  }
  for (const [i, file] of files.entries()) {
    opts.progress?.('analysing', i, files.length);
    const r = readRegularFile(file, maxBytes);
    if (!r.ok) {
      if (engine.isNotTuned(file)) continue; // vendored or reference code: never reported, so never too large either
      if (r.reason !== 'too-large') {
        report.errors.push({ file, message: r.message });
        continue;
      }
      // measured before reading: only the head is read, to tell a plain Python file (not ours) from a Triton one
      const language = detectLanguage(file, readHead(file, HEAD_BYTES) ?? '');
      if (language === null) continue;
      report.files++;
      if (config.languages.includes(languageSettingOf(file, language))) {
        report.errors.push({ file, message: `skipped: the file is ${Math.ceil((r.size ?? 0) / 1024)} KiB, over the ${config.maxFileSizeKb} KiB limit (setting maxFileSizeKb)` });
      }
      continue;
    }
    const text = r.text;
    const result = engine.analyzeText(file, text, config, only, undefined, { fixes: opts.fixes ?? false });
    if (result.language === null) continue; // a Python file that does not use Triton
    report.files++;
    report.lines += text.split('\n').length;
    if (result.error) report.errors.push({ file, message: result.error });
    for (const f of result.findings) report.findings.push({ ...f, file });
    for (const s of result.skipped ?? []) report.skipped.push({ ...s, file });
  }
  opts.progress?.('analysing', files.length, files.length);
  return report;
}

/** What was read and left unreported on purpose, said so that silence is not read as a clean bill. */
function skippedNote(report: CheckReport): string {
  return notTunedNote(report) + unreachedNote(report) + scaffoldingNote(report) + missingHeadersNote(report);
}

/** Local headers that were included and not found: what they define is unknown, so the silence is partial. */
function missingHeadersNote(report: CheckReport): string {
  const n = new Set(report.skipped.map((s) => (s.function === '(file)' ? missingHeaderTarget(s.reason) : null)).filter((t) => t !== null)).size;
  return n ? `; ${n} included header${n === 1 ? '' : 's'} not found (--format json lists them under "skipped"; setting includePaths)` : '';
}

/** Files read as reference implementations or vendored code (`ref_ops.cu`, `third_party/`). */
function notTunedNote(report: CheckReport): string {
  const n = report.skipped.filter((s) => s.reason === NOT_TUNED).length;
  return n ? `; ${n} file${n === 1 ? '' : 's'} of reference or vendored code (by name or folder) not reported` : '';
}

/** Functions nothing in the project runs. */
function unreachedNote(report: CheckReport): string {
  const n = report.skipped.filter((s) => s.reason === UNREACHED).length;
  return n ? `; ${n} function${n === 1 ? '' : 's'} nothing in the project launches or calls left unreported (--format json lists them under "skipped")` : '';
}

/** Host functions of test, benchmark and fallback folders, whose findings are left out. */
function scaffoldingNote(report: CheckReport): string {
  const n = report.skipped.filter((s) => s.reason === SCAFFOLDING).length;
  return n ? `; ${n} host function${n === 1 ? '' : 's'} of test or benchmark folders not reported` : '';
}

function formatText(report: CheckReport, engine: Engine): string {
  const out: string[] = [];
  for (const f of report.findings) {
    out.push(`${f.file}:${f.range.start.line + 1}:${f.range.start.column + 1}: ${f.severity}: ${f.message} [${f.rule}]`);
    const key = f.citations[0] ? engine.knowledge.paper(f.citations[0]) : undefined;
    if (key) out.push(`    see: ${formatCitation(key)} ${key.url}`);
  }
  return out.join('\n');
}

function toJson(report: CheckReport) {
  return {
    tool: 'kernel-advisor',
    version,
    findings: report.findings.map((f) => ({
      file: f.file,
      rule: f.rule,
      severity: f.severity,
      message: f.message,
      range: {
        start: { line: f.range.start.line + 1, column: f.range.start.column + 1 },
        end: { line: f.range.end.line + 1, column: f.range.end.column + 1 },
      },
      function: f.function,
      citations: f.citations,
      fixes: f.fixes.length,
      confidence: f.confidence,
      assumptions: f.assumptions,
    })),
    skipped: report.skipped.map((s) => ({ file: s.file, function: s.function, line: s.line + 1, reason: s.reason })),
    errors: report.errors,
  };
}

/** `.kernel-advisor.json` of the current folder (a problem there is a warning) or `--config FILE` (a problem there is a usage error). */
function loadConfig(path: string | undefined, warn: (s: string) => void): Config {
  const file = path ?? '.kernel-advisor.json';
  if (path === undefined && !exists(file)) return DEFAULT_CONFIG;
  const r = readConfigFile(file);
  if ('error' in r) {
    if (path !== undefined) throw new UsageError(r.error, false);
    warn(`kernel-advisor: ${r.error}; using the defaults`);
    return DEFAULT_CONFIG;
  }
  for (const p of r.problems) warn(`kernel-advisor: ${p}`);
  return r.config;
}

/** Does the path name anything (a dangling link counts: it is reported when read)? */
function exists(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ENOENT' && (e as NodeJS.ErrnoException).code !== 'ENOTDIR';
  }
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false; // reported by the walk
  }
}

/** node:util parseArgs, with its errors turned into our usage messages. */
function parse<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (e) {
    const { code, message } = e as NodeJS.ErrnoException;
    const opt = /'(?:-\w, )?(--?[\w-]+)/.exec(message)?.[1] ?? '';
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`unknown option ${opt}`);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw new UsageError(/does not take/.test(message) ? `${opt} takes no value` : `${opt} needs a value`);
    throw new UsageError(message);
  }
}

const CHECK_OPTIONS = {
  format: { type: 'string' },
  rule: { type: 'string', multiple: true },
  'fail-on': { type: 'string' },
  config: { type: 'string' },
  exclude: { type: 'string', multiple: true },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
} as const;

interface CheckArgs {
  format: 'text' | 'json' | 'sarif';
  rules: string[];
  failOn?: Severity;
  config?: string;
  exclude: string[];
  quiet: boolean;
  paths: string[];
}

function parseCheckArgs(args: string[]): CheckArgs | 'help' {
  const { values: v, positionals } = parse({ args, options: CHECK_OPTIONS, allowPositionals: true, strict: true });
  if (v.help) return 'help';
  const format = v.format ?? 'text';
  if (format !== 'text' && format !== 'json' && format !== 'sarif') throw new UsageError(`unknown format "${format}" (text, json or sarif)`);
  for (const id of v.rule ?? []) if (!isRuleId(id)) throw new UsageError(`unknown rule "${id}"`);
  const failOn = v['fail-on'];
  if (failOn !== undefined && !SEVERITIES.includes(failOn as Severity)) throw new UsageError(`unknown severity "${failOn}" (${SEVERITIES.join(', ')})`);
  if (positionals.length === 0) throw new UsageError('check needs at least one PATH');
  // a path that is not there is a typo in the command, not a file to report
  for (const p of positionals) if (!exists(p)) throw new UsageError(`no such file or directory: ${p}`, false);
  return { format, rules: v.rule ?? [], failOn: failOn as Severity | undefined, config: v.config, exclude: v.exclude ?? [], quiet: v.quiet ?? false, paths: positionals };
}

/** A rule id asked for with `--rule` must have a check for one of the languages analysed, or the run would be silently empty. */
function checkRulesApply(ids: readonly string[], config: Config): void {
  const analysed = new Set<SourceLanguage>(config.languages.map((l) => (l === 'c' ? 'cpp' : l)));
  for (const id of ids) {
    if (!ALL_RULES.some((r) => r.id === id && r.languages.some((l) => analysed.has(l)))) {
      throw new UsageError(`rule "${id}" has no check for the languages analysed (${config.languages.join(', ') || 'none'})`, false);
    }
  }
}

/** Progress on a terminal only for trees this large: a small run finishes before a reader could look. */
const PROGRESS_MIN_FILES = 50;

/** A one-line progress display (`\r`-rewritten, throttled) that is wiped when the run ends. */
function progressLine(write: (s: string) => void): NonNullable<CheckOptions['progress']> {
  let last = 0;
  let shown = false;
  return (phase, done, total) => {
    if (total < PROGRESS_MIN_FILES) return;
    if (done >= total && phase === 'analysing') {
      if (shown) write('\r\x1b[K');
      return;
    }
    const now = Date.now();
    if (shown && now - last < 100) return;
    last = now;
    shown = true;
    write(`\r\x1b[Kkernel-advisor: ${phase} ${done}/${total} files`);
  };
}

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  /** Writes to a terminal's stderr (no newline added); absent when stderr is not a terminal. */
  tty?: (s: string) => void;
}

const processIo: Io = {
  out: (s) => process.stdout.write(s + '\n'),
  err: (s) => process.stderr.write(s + '\n'),
  tty: process.stderr.isTTY ? (s) => process.stderr.write(s) : undefined,
};

async function check(rest: string[], io: Io): Promise<number> {
  const args = parseCheckArgs(rest);
  if (args === 'help') {
    io.out(USAGE);
    return 0;
  }
  const config = loadConfig(args.config, io.err);
  checkRulesApply(args.rules, config);
  const walked = collectFiles(args.paths, { exclude: args.exclude });
  const engine = await Engine.create(grammarsForPaths(walked.files));
  // headers are read from the current folder and the folders checked (and the repositories they are in), and the configured include paths
  engine.setWorkspace(workspaceOf(args.paths.map((p) => (isDirectory(p) ? p : dirname(p)))), config.includePaths, { unchanging: true });
  const progress = io.tty && !args.quiet ? progressLine(io.tty) : undefined;
  const report = runCheck(engine, args.paths, config, args.rules.length ? new Set(args.rules) : undefined, { exclude: args.exclude, progress, fixes: args.format !== 'text', walked });
  if (args.format === 'json') io.out(JSON.stringify(toJson(report), null, 2));
  else if (args.format === 'sarif') io.out(JSON.stringify(toSarif(report, engine.knowledge, version, process.cwd()), null, 2));
  else {
    const text = formatText(report, engine);
    if (text) io.out(text);
    for (const e of report.errors) io.err(`${e.file}: error: ${e.message}`);
    if (!args.quiet) {
      io.err(`${report.findings.length} finding${report.findings.length === 1 ? '' : 's'} in ${report.files} file${report.files === 1 ? '' : 's'}${report.errors.length ? `, ${report.errors.length} not analysed` : ''}${skippedNote(report)}`);
    }
  }
  if (args.failOn) {
    const limit = SEVERITIES.indexOf(args.failOn);
    if (report.findings.some((f) => SEVERITIES.indexOf(f.severity) <= limit)) return 1;
  }
  return 0;
}

const FIX_OPTIONS = {
  rule: { type: 'string', multiple: true },
  unsafe: { type: 'boolean' },
  stdout: { type: 'boolean' },
  config: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** `kernel-advisor fix`: applies each finding's preferred fix, as the editor's "fix all" does. */
async function fix(rest: string[], io: Io): Promise<number> {
  const { values: v, positionals: files } = parse({ args: rest, options: FIX_OPTIONS, allowPositionals: true, strict: true });
  if (v.help) {
    io.out(USAGE);
    return 0;
  }
  for (const id of v.rule ?? []) if (!isRuleId(id)) throw new UsageError(`unknown rule "${id}"`);
  if (!files.length) throw new UsageError('fix needs at least one FILE');
  if (v.stdout && files.length > 1) throw new UsageError('--stdout takes one FILE');
  const config = withBatchBudget(loadConfig(v.config, io.err));
  const engine = await Engine.create(grammarsForPaths(files));
  engine.setWorkspace(workspaceOf(files.map((f) => dirname(f))), config.includePaths);
  const only = v.rule?.length ? new Set(v.rule) : undefined;
  let failed = false;
  for (const file of files) {
    const r = readRegularFile(file, config.maxFileSizeKb * 1024);
    if (!r.ok) {
      io.err(`${file}: error: ${r.message}`);
      failed = true;
      continue;
    }
    const result = engine.analyzeText(file, r.text, config, only);
    const { fixes, edits } = fixAllEdits(result.findings.map((f) => ({ rule: f.rule, fixes: f.fixes })), v.unsafe ?? false);
    // edits are positions in the text with `\n` line ends; the file keeps its own
    const eol = eolOf(r.text);
    const lf = applyEdits(lineEndsAsNewline(r.text), edits);
    const fixed = eol === '\n' ? lf : lf.replace(/\n/g, eol);
    if (v.stdout) io.out(fixed.replace(/\n$/, ''));
    else if (fixes.length) writeFileSync(file, fixed);
    for (const f of fixes) io.err(`${file}: applied: ${f.title}`);
    const left = result.findings.filter((f) => f.fixes.length && !fixes.includes(f.fixes[0])).length;
    if (left) io.err(`${file}: ${left} fix${left === 1 ? '' : 'es'} not applied (${v.unsafe ? 'overlapping another' : 'marked for review: --unsafe applies them, or overlapping another'})`);
  }
  return failed ? 2 : 0;
}

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'check':
        return await check(rest, io);
      case 'fix':
        return await fix(rest, io);
      case 'explain': {
        const { values, positionals } = parse({ args: rest, options: { help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
        if (values.help) {
          io.out(USAGE);
          return 0;
        }
        const id = positionals[0];
        if (!id || !isRuleId(id)) throw new UsageError(id ? `unknown rule "${id}"` : 'explain needs a RULE-ID');
        if (positionals.length > 1) throw new UsageError('explain takes one RULE-ID');
        io.out(explainRuleText(defaultKnowledge(), id, ALL_RULES.find((r) => r.id === id)?.languages ?? []));
        return 0;
      }
      case 'knowledge': {
        const { values, positionals } = parse({ args: rest, options: { format: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
        if (values.help) {
          io.out(USAGE);
          return 0;
        }
        if (values.format !== 'json' || positionals.length) throw new UsageError('knowledge supports --format json');
        io.out(JSON.stringify(defaultKnowledge().toJSON(), null, 2));
        return 0;
      }
      case 'lsp': {
        // not strict: language clients add their own flags (`--clientProcessId=N`)
        if (!parse({ args: rest, options: { stdio: { type: 'boolean' } }, allowPositionals: true, strict: false }).values.stdio) throw new UsageError('lsp needs --stdio');
        // loaded here: a batch run never needs the language server's protocol libraries
        const { startServer } = await import('./lsp/server.js');
        await startServer();
        return -1; // the server owns the process from here
      }
      case '--version':
      case '-v':
      case '-V':
        io.out(version);
        return 0;
      case '--help':
      case '-h':
      case 'help':
        io.out(USAGE);
        return 0;
      default:
        throw new UsageError(command ? `unknown command "${command}"` : 'no command given');
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(e.showUsage ? `kernel-advisor: ${e.message}\n\n${USAGE}` : `kernel-advisor: ${e.message}`);
      return 2;
    }
    if (e instanceof KnowledgeError) {
      io.err(`kernel-advisor: the bundled knowledge base is damaged: ${e.message}`);
      return 2;
    }
    throw e;
  }
}

/**
 * A batch run (`check`, `fix`) is short and runs a great deal of code a little. At V8's
 * default warm-up its optimizing compiler compiles some 1,500 functions on background
 * threads, which took as much CPU time as the analysis itself (the benchmark's 40-file
 * run: 12 s of CPU, 5.5 s of it on the main thread). Eight times the warm-up leaves
 * lukewarm code to the baseline compiler: about a third less CPU time, the main
 * thread's the same. The server, which runs for hours, keeps the default.
 *
 * The same holds for WASM: after little parsing V8 recompiles the grammar's lexer (one
 * function of 100 KB) with its optimizing compiler, 260 ms on a background thread, and the
 * process cannot exit before that compilation ends (a one-file check took 0.65 s, of which
 * 0.3 s waiting for it). Ten times V8's tiering budget leaves a short run in the baseline
 * code; a long one still tiers up after its first few thousand lines.
 */
const BATCH_V8_FLAGS = '--interrupt-budget=540672 --wasm-tiering-budget=18000000'; // 8 × V8's default of 66 KiB of bytecode; 10 × 1,800,000

/** Entry point of the `kernel-advisor` bin and of `node dist/cli.js` (the extension starts the server so). */
export function run(): void {
  // a reader that stops early (`kernel-advisor check ... | head`): the rest of the output is no longer wanted, which is
  // no error; the run ends with its own exit status (`--fail-on` still fails)
  for (const stream of [process.stdout, process.stderr]) stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
  });
  const command = process.argv[2];
  if (command === 'check' || command === 'fix') setFlagsFromString(BATCH_V8_FLAGS);
  main(process.argv.slice(2)).then(
    (code) => {
      if (code >= 0) process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`kernel-advisor: internal error: ${(e as Error).stack ?? e}\n`);
      process.exitCode = 3;
    },
  );
}

/**
 * The folders headers may be read from: the current one, those checked, and the git repository each lies in (a file
 * checked alone includes `../utils/utils.h` of its project, as its build does), nothing outside them.
 */
function workspaceOf(dirs: readonly string[]): string[] {
  const out = new Set([process.cwd(), ...dirs]);
  for (const d of dirs) {
    let at = resolve(d);
    for (let up = 0; up < 32; up++) {
      if (existsSync(resolve(at, '.git'))) { out.add(at); break; }
      const parent = dirname(at);
      if (parent === at) break;
      at = parent;
    }
  }
  return [...out];
}

if (require.main === module) run();
