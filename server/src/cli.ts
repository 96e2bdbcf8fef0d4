// The `kernel-advisor` command: check (text/json/sarif), explain, knowledge, lsp.
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Engine } from './core/engine';
import { DEFAULT_CONFIG, validateConfig, type Config } from './core/config';
import { isAnalysableExtension } from './core/parser';
import { RULE_IDS, isRuleId } from './core/ruleIds';
import { SEVERITIES, type Finding, type Severity } from './core/types';
import { KnowledgeError, defaultKnowledge, explainRuleText, formatCitation } from './core/knowledge';
import { toSarif } from './sarif';
import { LAUNCHES } from './core/project';
import { ALL_RULES } from './rules';
import { startServer } from './lsp/server';
import { version } from '../../package.json';

const USAGE = `Usage:
  kernel-advisor check [--format text|json|sarif] [--rule ID]... [--fail-on SEVERITY] [--config FILE] PATH...
  kernel-advisor explain RULE-ID
  kernel-advisor knowledge --format json
  kernel-advisor lsp --stdio
  kernel-advisor --version

Rule ids: ${RULE_IDS.join(', ')}
Severities: ${SEVERITIES.join(', ')}`;

class UsageError extends Error {}

export interface CheckReport {
  findings: (Finding & { file: string })[];
  errors: { file: string; message: string }[];
  /** Functions that could not be modelled: silence there is not a clean bill. */
  skipped: { file: string; function: string; reason: string; line: number }[];
  files: number;
  lines: number;
}

const SKIP_DIRS = new Set(['node_modules', '.git']);

/** Expands directories into the files we analyse; explicit files are kept as given. */
function collectFiles(paths: string[], errors: CheckReport['errors']): string[] {
  const out: string[] = [];
  const visit = (p: string, explicit: boolean) => {
    let st;
    try {
      st = statSync(p);
    } catch (e) {
      errors.push({ file: p, message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
      return;
    }
    if (st.isDirectory()) {
      let names: string[];
      try {
        names = readdirSync(p).sort();
      } catch (e) {
        errors.push({ file: p, message: `cannot list directory: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
        return;
      }
      for (const name of names) if (!SKIP_DIRS.has(name)) visit(join(p, name), false);
    } else if (isAnalysableExtension(p)) out.push(p);
    else if (explicit) errors.push({ file: p, message: 'not a CUDA, C/C++ or Python file (expected .cu .cuh .cpp .cc .cxx .c .h .hpp .hh .py)' });
  };
  for (const p of paths) visit(p, true);
  return out;
}

/** Files that launch kernels: the first pass indexes their kernels and launch wrappers for the whole project. */


export function runCheck(engine: Engine, paths: string[], config: Config, only?: ReadonlySet<string>): CheckReport {
  const report: CheckReport = { findings: [], errors: [], skipped: [], files: 0, lines: 0 };
  const files = collectFiles(paths, report.errors);
  if (files.length > 1 && (!only || only.has('fusion/elementwise-chain'))) {
    for (const file of files) {
      try {
        const text = readFileSync(file, 'utf8');
        if (LAUNCHES.test(text)) engine.indexText(file, text, config);
      } catch {
        // reported by the second pass
      }
    }
  }
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      report.errors.push({ file, message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
      continue;
    }
    const result = engine.analyzeText(file, text, config, only);
    if (result.language === null) continue; // a Python file that does not use Triton
    report.files++;
    report.lines += text.split('\n').length;
    if (result.error) report.errors.push({ file, message: result.error });
    for (const f of result.findings) report.findings.push({ ...f, file });
    for (const s of result.skipped ?? []) report.skipped.push({ ...s, file });
  }
  return report;
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

function loadConfig(path: string | undefined, warn: (s: string) => void): Config {
  const file = path ?? (existsSync('.kernel-advisor.json') ? '.kernel-advisor.json' : undefined);
  if (!file) return DEFAULT_CONFIG;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    if (path) throw new UsageError(`cannot read config ${file}: ${(e as Error).message}`);
    warn(`kernel-advisor: ignoring ${file}: ${(e as Error).message}`);
    return DEFAULT_CONFIG;
  }
  const { config, problems } = validateConfig(raw, file);
  for (const p of problems) warn(`kernel-advisor: ${p}`);
  return config;
}

interface CheckArgs {
  format: 'text' | 'json' | 'sarif';
  rules: string[];
  failOn?: Severity;
  config?: string;
  paths: string[];
}

function parseCheckArgs(args: string[]): CheckArgs {
  const out: CheckArgs = { format: 'text', rules: [], paths: [] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = () => {
      const v = args[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      return v;
    };
    if (a === '--format') {
      const v = value();
      if (v !== 'text' && v !== 'json' && v !== 'sarif') throw new UsageError(`unknown format "${v}" (text, json or sarif)`);
      out.format = v;
    } else if (a === '--rule') {
      const v = value();
      if (!isRuleId(v)) throw new UsageError(`unknown rule "${v}"`);
      out.rules.push(v);
    } else if (a === '--fail-on') {
      const v = value();
      if (!SEVERITIES.includes(v as Severity)) throw new UsageError(`unknown severity "${v}" (${SEVERITIES.join(', ')})`);
      out.failOn = v as Severity;
    } else if (a === '--config') out.config = value();
    else if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
    else out.paths.push(a);
  }
  if (out.paths.length === 0) throw new UsageError('check needs at least one PATH');
  return out;
}

export async function main(argv: string[], io = { out: (s: string) => process.stdout.write(s + '\n'), err: (s: string) => process.stderr.write(s + '\n') }): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'check': {
        const args = parseCheckArgs(rest);
        const config = loadConfig(args.config, io.err);
        const engine = await Engine.create();
        // headers are read from the current folder and the folders checked, and the configured include paths
        engine.setWorkspace([process.cwd(), ...args.paths.map((p) => (existsSync(p) && statSync(p).isDirectory() ? p : dirname(p)))], config.includePaths);
        const report = runCheck(engine, args.paths, config, args.rules.length ? new Set(args.rules) : undefined);
        if (args.format === 'json') io.out(JSON.stringify(toJson(report), null, 2));
        else if (args.format === 'sarif') io.out(JSON.stringify(toSarif(report, engine.knowledge, version, process.cwd()), null, 2));
        else {
          const text = formatText(report, engine);
          if (text) io.out(text);
          for (const e of report.errors) io.err(`${e.file}: error: ${e.message}`);
          io.err(`${report.findings.length} finding${report.findings.length === 1 ? '' : 's'} in ${report.files} file${report.files === 1 ? '' : 's'}${report.errors.length ? `, ${report.errors.length} not analysed` : ''}`);
        }
        if (args.failOn) {
          const limit = SEVERITIES.indexOf(args.failOn);
          if (report.findings.some((f) => SEVERITIES.indexOf(f.severity) <= limit)) return 1;
        }
        return 0;
      }
      case 'explain': {
        const id = rest[0];
        if (!id || !isRuleId(id)) throw new UsageError(id ? `unknown rule "${id}"` : 'explain needs a RULE-ID');
        io.out(explainRuleText(defaultKnowledge(), id, ALL_RULES.find((r) => r.id === id)?.languages ?? []));
        return 0;
      }
      case 'knowledge': {
        if (rest[0] !== '--format' || rest[1] !== 'json') throw new UsageError('knowledge supports --format json');
        io.out(JSON.stringify(defaultKnowledge().toJSON(), null, 2));
        return 0;
      }
      case 'lsp': {
        if (!rest.includes('--stdio')) throw new UsageError('lsp needs --stdio');
        await startServer();
        return -1; // the server owns the process from here
      }
      case '--version':
      case '-v':
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
      io.err(`kernel-advisor: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    if (e instanceof KnowledgeError) {
      io.err(`kernel-advisor: the bundled knowledge base is damaged: ${e.message}`);
      return 2;
    }
    throw e;
  }
}

/** Entry point of the `kernel-advisor` bin and of `node dist/cli.js` (the extension starts the server so). */
export function run(): void {
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

if (require.main === module) run();

