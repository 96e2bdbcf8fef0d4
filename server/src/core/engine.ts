// The analysis engine: text -> tree -> facts (per function, cached by function text) ->
// rules -> findings with severity, citations and suppressions applied. Shared by the
// CLI, the language server and the tests; no LSP or VS Code imports.
import { declaredNames, headerDeclarations, isSyclSource } from './facts/declared-only';
import { functorKernelReason } from './facts/functor-kernels';
import type { Tree } from 'web-tree-sitter';
import { Parsers, ParseTimeout, detectLanguage, grammarFor, isAnalysableExtension, isHeaderPath, type GrammarName } from './parser';
import { DEFAULT_CONFIG, type Config, type LanguageSetting } from './config';
import { defaultKnowledge, type KnowledgeBase } from './knowledge';
import { ALL_RULES } from '../rules';
import type { FileRule, FunctionRule, Rule } from './rule';
import { fileConstants as constantsOfLines } from '../rules/common/file-constants';
import { isSuppressed, mayBeSuppressed, suppressedLines } from './suppress';
import { functionFacts } from './facts/cfamily';
import { hostHelpers, inlinedStale } from './facts/host-inline';
import { movedFindings, movedFrom } from './facts/shift';
import { FactsCache, spansOf, type FileContext } from './facts-cache';
import { deviceHelpers, deviceWords, indexFunctions, splitHead } from './facts/device-helpers';
import { sharedAccessorsKey } from './facts/shared-accessors';
import { externHandles } from './facts/extern-handles';
import { flagAssignments } from './facts/loop-forms';
import { constructedMembers } from './facts/member-values';
import { fileArrays, fileConstants, classConstants, fileMacros, topLevelItems, type FileArray, type MacroDef } from './facts/file-scope';
import { headerMemberElements, memberElements, recordLayouts, recordsKey, withHeaderMembers, type FileRecords } from './facts/records';
import { fileSwitches } from './facts/file-switches';
import { SourceText, mirror, type SyntaxNode } from './mirror';
import { fullFp32Matmuls, tritonFunctions } from './facts/triton';
import type { CallFact, FileFacts, FunctionFacts } from './facts/model';
import type { FileResult, Finding, Fix, RuleFinding, SourceLanguage } from './types';
import { basename, extname, isAbsolute, resolve } from 'node:path';
import { ProjectIndex, baseName, exportedDeclarations } from './project';
import { HeaderIndex } from './header-index';
import { withIncluderLaunches, withLaunchShapes } from './launch-shapes';
import { withCallSiteTrips } from './call-sites';
import { explicitInstantiations } from './facts/instantiations';
import { addNameUses, unreachedFunctions, UNREACHED } from './reachability';
import { definingMacroCalls, expandedFunction, macroDefinedFunctions, preprocessFile, type FilePreprocessing } from './facts/shadow';
import { buildFlagsFor, cmakeIncludeDirs, compileCommandsIncludeDirs, DEFAULT_BUILD, fsHeaderReader, includeLine, missingHeader, withSourcePragmas, type ViewOptions } from './preprocess';
import { NOT_TUNED, isNotTunedPath, isPythonTestPath, isRuntimeKernelSource, isHarnessPath, isScalarFallbackPath, isTestPath, referenceCallees, otherAcceleratorOf } from './test-code';
import { lineEndsAsNewline } from './lineEnds';
import { sameData } from './same-data';
import { knrDefinitions, knrFunction } from './facts/knr';
import { fixContext, fixSyntax, functionOf, wholeFixSyntax, type FixOutcome, type FixResult, type FixSyntax } from './fix';
import { BudgetExceeded, DEFAULT_BUDGET, FILE_BUDGET_SPENT, HEADERS_CUT, MAX_NESTING, TOO_DEEP, nestingDepth, now as budgetClock, overItsTime, unreadRegion, withBudget, type BudgetLimits } from './budget';

/** Text on one line: the line breaks and indentation of quoted code become single spaces (none inside brackets). */
function oneLine(s: string): string {
  if (!s.includes('\n')) return s;
  let out = '';
  for (const part of s.split('\n')) {
    const line = part.trim();
    if (!line) continue;
    out += out && !/[[(]$/.test(out) && !/^[\])[,;]/.test(line) ? ` ${line}` : line;
  }
  return out;
}

const UNREADABLE = 'the function could not be read (a macro or syntax the grammar cannot parse)';

/** Loops, subscripts, launches and library calls: what every rule reads. A function with none of them cannot hide a finding. */
const mayHoldFindings = (text: string): boolean => /\b(?:for|while|do)\b|\[|<<<|\b(?:cu\w+|\w*(?:gemm|Gemm|GEMM|launch|Launch|kernel|Kernel|memcpy|Memcpy)\w*)\s*[(<]/.test(text);

/** The name a function definition's text declares (`void k(...)` -> `k`), for reports. */
function functionName(text: string): string {
  const head = text.slice(0, text.indexOf('{') >= 0 ? text.indexOf('{') : 200);
  return /([A-Za-z_]\w*)\s*\(/.exec(head.replace(/__launch_bounds__\s*\([^)]*\)/, ''))?.[1] ?? '(unnamed)';
}

/** A name called (`kmeansCuda(` ...). */
const CALLED_NAME = /\b([A-Za-z_]\w*)\s*\(/g;

/** Characters of indexed files whose trees the engine keeps for their second pass: about 200,000 lines. */
const KEPT_TREE_CHARS = 8 * 1024 * 1024;
const NONE: ReadonlySet<FunctionFacts> = new Set();

const LONE_CR = /\r(?!\n)/;
/** Whether the text has a lone `\r`; the regex runs only where there is a `\r` at all (an edit checks the whole file). */
const hasLoneCr = (text: string): boolean => text.indexOf('\r') !== -1 && LONE_CR.test(text);
/**
 * A lone `\r` (old Mac line ends, or a mix) as `\n`: LSP counts `\r`, `\r\n` and `\n` as line
 * ends, the grammar and our line splitting only `\n`. Same length, so every offset stays.
 */
export function crAsNewline(text: string): string {
  return hasLoneCr(text) ? text.replace(/\r(?!\n)/g, '\n') : text;
}

/** Fixes without repeats (the same title and edits). */
function uniqueFixes(fixes: Fix[]): Fix[] {
  // (a repeat has an earlier fix's title: where no two titles are the same, no edits need comparing)
  if (new Set(fixes.map((x) => x.title)).size === fixes.length) return fixes;
  const seen = new Set<string>();
  return fixes.filter((x) => {
    const key = JSON.stringify([x.title, x.edits]);
    return !seen.has(key) && !!seen.add(key);
  });
}

/** Does the text look like a binary file (NUL bytes, or mostly undecodable bytes)? */
export function looksBinary(text: string): boolean {
  const head = text.slice(0, 8192);
  if (head.includes('\u0000')) return true;
  let bad = 0; // (counted by search: a server asks on every edit)
  for (let at = head.indexOf('\uFFFD'); at !== -1; at = head.indexOf('\uFFFD', at + 1)) bad++;
  return head.length > 0 && bad / head.length > 0.1;
}

export function languageSettingOf(path: string, lang: SourceLanguage): LanguageSetting {
  if (lang === 'cpp' && extname(path).toLowerCase() === '.c') return 'c';
  return lang;
}

/** Where headers may be read from: nothing until a workspace is set (an unsaved buffer still sees its own macros). */
const NO_HEADERS: ViewOptions = { roots: [], includeDirs: [], reader: { read: () => null } };

/** The `skipped` reason of host code in a test, benchmark or scalar-fallback folder whose findings are left out. */
export const SCAFFOLDING = 'not reported: host code or CPU loops of a test, benchmark or fallback folder (its kernels are checked)';

/** A C++ source or header by its name (`.cpp`, `.cc`, `.hpp`, `.cuh`): no K&R definitions in it. */
const CPLUSPLUS_SOURCE = /\.(?:cpp|cc|cxx|c\+\+|hpp|hh|hxx|cuh)$/i;

export class Engine {
  private preprocess: ViewOptions = NO_HEADERS;
  /** The workspace folders alone: where a file lies (a test, vendored or fallback folder) is judged below them, not below an include directory. */
  private workspaceRoots: readonly string[] = [];

  /**
   * The workspace folders (headers are read only under them and the include
   * directories), `includePaths` from the settings, and `-I` of each folder's
   * compile_commands.json. `unchanging`: no file changes while the engine runs (a batch
   * check, which writes nothing): a header is read once, not looked up again every 2 s.
   */
  setWorkspace(roots: readonly string[], includePaths: readonly string[] = [], opts: { unchanging?: boolean } = {}): void {
    const absRoots = roots.map((r) => resolve(r));
    const configured = includePaths.map((p) => (isAbsolute(p) ? resolve(p) : resolve(absRoots[0] ?? '.', p)));
    const probe = fsHeaderReader(absRoots);
    // a build's compile_commands.json, else what the CMakeLists.txt at the folder's root says
    const fromBuild = absRoots.flatMap((r) => {
      const compiled = compileCommandsIncludeDirs(r, probe);
      return compiled.length ? compiled : cmakeIncludeDirs(r, probe);
    });
    const includeDirs = [...new Set([...configured, ...fromBuild])];
    const allowed = [...new Set([...absRoots, ...includeDirs])];
    this.preprocess = { roots: allowed, includeDirs, reader: fsHeaderReader(allowed, opts.unchanging ? { statIntervalMs: Infinity } : undefined) };
    this.workspaceRoots = absRoots;
    this.generation++;
  }

  /** Counts changes of what analyses read besides the text (headers, budgets): kept contexts and facts of an older one are made again. */
  private generation = 0;

  /** Kernels and launch wrappers of the project's other files (null: this file alone). */
  project: ProjectIndex | null = null;
  /** Facts computed while indexing, by path, until the file is analysed; the first files keep their trees too. */
  /** Files indexed only for their loops (they launch nothing) already noted as includers of their headers. */
  private readonly driverPaths = new Set<string>();
  private readonly indexed = new Map<string, { text: string; facts: FileFacts; read?: FunctionFacts[]; tree?: Tree; loopsOnly?: boolean }>();
  /** Characters of the indexed files whose trees are kept (the second pass writes fixes from them, parsing none again). */
  private keptTreeChars = 0;

  /** Takes the indexed entry of `path` out, the caller owning its tree (if any). */
  private takeIndexed(path: string): { text: string; facts: FileFacts; read?: FunctionFacts[]; tree?: Tree } | undefined {
    const done = this.indexed.get(path);
    if (!done) return undefined;
    this.indexed.delete(path);
    if (done.tree) this.keptTreeChars -= done.text.length;
    return done;
  }

  /** Adds the included headers no check lists to the project index: the launch wrappers they define count too. */
  private indexHeaders(project: ProjectIndex, headers: readonly string[]): void {
    for (const h of headers) {
      if (this.indexedPaths.has(h)) continue;
      this.indexedPaths.add(h);
      const text = this.preprocess.reader.read(h);
      const header = this.headerIndex.under(this.generation).factsOf(h, text);
      if (header) project.add(header, h);
      // (a C interface declared for another language, `extern "C" { void gpu_softmax(...); }`, in a header of declarations)
      else if (text?.includes('extern "C"')) project.addExports(exportedDeclarations(text.split('\n')));
    }
  }

  /**
   * Adds a file's kernels and launch wrappers to the project index (the CLI's first pass); with `loopsOnly`, only the
   * calls its loops make (a driver that launches nothing: its functions stay unknown to the other files' rules).
   */
  indexText(path: string, text: string, config: Config = DEFAULT_CONFIG, loopsOnly = false): void {
    text = lineEndsAsNewline(text);
    const language = detectLanguage(path, text);
    if (!language || this.skipReason(path, text, language, config)) return;
    this.useBudget(config);
    let tree: Tree | undefined;
    try {
      tree = this.parsers.parse(grammarFor(language), text);
      this.lastRead = null;
      const facts = this.facts(language, tree, text.split('\n'), undefined, text, path);
      const read = this.lastRead as FunctionFacts[] | null;
      const project = (this.project ??= new ProjectIndex());
      // (each file once, whether listed or included by one that is)
      if (!loopsOnly) {
        if (!this.indexedPaths.has(resolve(path))) {
          project.add(facts, resolve(path));
          project.addIncluder(facts);
        }
        this.indexedPaths.add(resolve(path));
        this.indexHeaders(project, facts.includedHeaders ?? []);
      } else if (!this.indexedPaths.has(resolve(path)) && !this.driverPaths.has(resolve(path))) {
        // (a driver calling a header's launch wrappers, `accum(x, xb, p.dim)`: the sizes the header's kernels run at)
        this.driverPaths.add(resolve(path));
        project.addIncluder(facts);
      }
      // (a test's, a benchmark's or a reference's loops are its own: they say nothing of how the program runs)
      if (!isHarnessPath(path, this.workspaceRoots) && !this.isNotTuned(path)) project.addLoopCalls(facts);
      this.takeIndexed(path)?.tree?.delete();
      // the second pass reuses them, and the tree while the kept ones stay small (WASM memory never shrinks)
      const keep = this.keptTreeChars + text.length <= KEPT_TREE_CHARS && this.indexed.size < 5000;
      this.indexed.set(path, { text, facts, ...(read ? { read } : {}), ...(keep ? { tree } : {}), ...(loopsOnly ? { loopsOnly } : {}) });
      if (!loopsOnly) this.indexedHostNames = null;
      if (keep) {
        this.keptTreeChars += text.length;
        tree = undefined;
      }
      if (this.indexed.size > 5000) for (const p of [...this.indexed.keys()]) this.takeIndexed(p)?.tree?.delete();
    } catch {
      // a file that cannot be read adds nothing
    } finally {
      tree?.delete();
    }
  }

  /**
   * Whether a C/C++/CUDA file that launches nothing calls a host function of the files indexed so far (a driver's loop
   * calling another file's `kmeansCuda`): the CLI indexes it too, so the project sees the loop.
   */
  callsIndexedHosts(path: string, text: string): boolean {
    const language = detectLanguage(path, text);
    if (language !== 'cuda' && language !== 'cpp') return false;
    // (the host functions of the files the project pass indexed in full: a driver indexed for its loops adds none)
    const names = (this.indexedHostNames ??= new Set([...this.indexed.values()].filter((e) => !e.loopsOnly).flatMap((e) => e.facts.functions.filter((f) => !f.isKernel && !f.isDevice && f.name !== 'main').map((f) => f.name.replace(/^.*::/, '')))));
    for (const m of text.matchAll(CALLED_NAME)) if (names.has(m[1])) return true;
    return false;
  }
  private indexedHostNames: Set<string> | null = null;

  /** Notes the functions a C/C++/CUDA file calls with expected-results arguments (the CLI's first pass, every file). */
  indexReferences(path: string, text: string): void {
    if (!isAnalysableExtension(path) || looksBinary(text)) return;
    const project = (this.project ??= new ProjectIndex());
    // every source counts its uses of names, plain Python too (it calls the Triton wrappers)
    addNameUses(project.names, lineEndsAsNewline(text), extname(path).toLowerCase() === '.py', isHeaderPath(path), isHarnessPath(path, this.workspaceRoots));
    project.namedFiles++;
    const language = detectLanguage(path, text);
    if (language !== 'cuda' && language !== 'cpp') return;
    for (const n of referenceCallees(text)) project.references.add(n);
  }

  /**
   * A C/C++ file's functions as its calls and launches (and the project's calls of its functions) shape them; the
   * functions as read are kept for the file's indexed entry, shaped again once the whole project is indexed.
   */
  private shaped(functions: FunctionFacts[], lines: readonly string[], path: string, instantiations: readonly CallFact[]): FunctionFacts[] {
    this.lastRead = functions;
    return this.includerShaped(withLaunchShapes(withCallSiteTrips(functions, lines, this.projectCallConstants), instantiations), path, instantiations);
  }
  private lastRead: FunctionFacts[] | null = null;
  /** The constants the project's repeated calls give a host function (ProjectIndex.repeatedCallConstants). */
  private get projectCallConstants(): ((name: string) => readonly (number | null)[] | null | undefined) | undefined {
    return this.project?.repeatedCallConstants;
  }

  /** A file's functions with the kernels it does not launch shaped by the project's files that include it (the CLI's project pass). */
  private includerShaped(functions: FunctionFacts[], path: string, instantiations?: readonly CallFact[]): FunctionFacts[] {
    const hosts = path ? this.project?.includers.get(resolve(path)) : undefined;
    // (the includers' launch wrappers with the constants the project's calls give them: `gpu_softmax(..., 64, 10)`)
    return hosts?.length && functions.some((f) => f.isKernel) ? withIncluderLaunches(functions, withCallSiteTrips(hosts, [], this.projectCallConstants), instantiations) : functions;
  }

  /** Reads headers through a reader of the caller's (the evaluation reads snapshots at a pinned commit). */
  setHeaderSource(options: ViewOptions): void {
    this.preprocess = options;
    this.workspaceRoots = options.roots;
    this.generation++;
  }

  constructor(
    readonly parsers: Parsers,
    readonly knowledge: KnowledgeBase,
    readonly rules: readonly Rule[] = ALL_RULES,
  ) {}

  /** An engine with the given grammars loaded (all by default; the server loads them on demand). */
  static async create(grammars?: readonly GrammarName[]): Promise<Engine> {
    return new Engine(await Parsers.load(grammars), defaultKnowledge());
  }

  /**
   * Analyses a whole file from its text (CLI, tests). Never throws on bad input.
   * `fixes: false` leaves out the fixers' rewrites (a report that shows no fixes need not
   * write them: they cost more than the analysis on a file with hundreds of findings).
   */
  analyzeText(path: string, text: string, config: Config = DEFAULT_CONFIG, only?: ReadonlySet<string>, languageId?: string, opts: { fixes?: boolean } = {}): FileResult {
    const indexed = this.takeIndexed(path);
    try {
      return this.analyzeWhole(path, lineEndsAsNewline(text), config, only, languageId, opts.fixes ?? true, indexed);
    } finally {
      indexed?.tree?.delete(); // a tree kept from indexing, used or not
    }
  }

  private analyzeWhole(
    path: string, text: string, config: Config, only: ReadonlySet<string> | undefined, languageId: string | undefined, fixes: boolean,
    indexed: { text: string; facts: FileFacts; read?: FunctionFacts[]; tree?: Tree } | undefined,
  ): FileResult {
    const language = detectLanguage(path, text, languageId);
    if (!language) return { language: null, findings: [] };
    // a reference implementation's or vendored code's folder: nothing in it is reported, so nothing is read
    if (this.isNotTuned(path)) return { language, findings: [], skipped: [{ function: '(file)', reason: NOT_TUNED, line: 0 }] };
    const skip = this.skipReason(path, text, language, config);
    if (skip) return { language, findings: [], error: skip };
    let tree: Tree | undefined; // parsed here, and so freed here
    try {
      if (indexed && indexed.text === text && config.languages.includes(languageSettingOf(path, language))) {
        this.useBudget(config);
        const skipped: NonNullable<FileResult['skipped']> = [];
        // (a header of kernels indexed before the file that includes and launches them: shaped by those launches now)
        // (and its functions the project's calls fix constants of, read before every file that calls them was indexed)
        const called = indexed.read && indexed.read.some((f) => !f.isKernel && this.projectCallConstants?.(baseName(f.name))?.some((v) => v !== null));
        const functions = called ? this.shaped(indexed.read!, indexed.facts.lines, path, indexed.facts.instantiations ?? []) : this.includerShaped(indexed.facts.functions, path, indexed.facts.instantiations);
        const facts = { ...indexed.facts, functions, project: this.project ?? undefined };
        const findings = this.findings(language, facts, config, only, skipped, undefined, text);
        if (!fixes || !findings.some((f) => this.fixerOf(f))) return { language, findings, skipped };
        const syntax = indexed.tree ?? (tree = this.parsers.parse(grammarFor(language), text));
        return { language, findings: this.withFixes(language, syntax, text, findings, facts), skipped };
      }
      tree = this.parsers.parse(grammarFor(language), text);
      const skipped: NonNullable<FileResult['skipped']> = [];
      const findings = this.analyzeTree(language, tree, text, config, undefined, only, path, skipped);
      return { language, findings: fixes ? this.withFixes(language, tree, text, findings, this.lastFacts) : findings, skipped };
    } catch (e) {
      if (e instanceof ParseTimeout) return { language, findings: [], error: `not analysed: ${e.message}` };
      return { language, findings: [], error: `not analysed: internal error (${(e as Error).message})` };
    } finally {
      tree?.delete();
    }
  }

  /** A file in a reference implementation's or vendored code's folder of the workspace (core/test-code.ts): never reported. */
  isNotTuned(path: string): boolean {
    return isNotTunedPath(path, this.workspaceRoots);
  }

  /** Why a file is not analysed (too large, binary, language switched off), or null. */
  skipReason(path: string, text: string, language: SourceLanguage, config: Config): string | null {
    if (!config.languages.includes(languageSettingOf(path, language))) return null;
    const kb = Buffer.byteLength(text, 'utf8') / 1024;
    if (kb > config.maxFileSizeKb) return `skipped: the file is ${Math.round(kb)} KiB, over the ${config.maxFileSizeKb} KiB limit (setting maxFileSizeKb)`;
    if (looksBinary(text)) return 'skipped: the file looks binary (NUL bytes or invalid UTF-8)';
    return null;
  }

  /**
   * `__device__` helpers of each header, by the header's text and then the words (headers change rarely; an edit
   * re-reads none). The text itself is the key: the reader hands back the same string while a header is unchanged,
   * and V8 keeps a string's hash (a key made by joining text and words would be hashed anew every time).
   */
  private readonly helpersByHeader = new Map<string, Map<string, Map<string, SyntaxNode>>>();
  private helpersByHeaderCount = 0;

  private headerHelpers(pre: FilePreprocessing, grammar: GrammarName, fileDeadline: number, words: readonly string[]): { helpers: Map<string, SyntaxNode>; partial: boolean } {
    const headers = pre.view.headers;
    const out = new Map<string, SyntaxNode>();
    let partial = false;
    const wordsKey = words.join(',');
    for (const h of headers) {
      const text = this.preprocess.reader.read(h);
      if (!text || !text.includes('__device__')) continue;
      let found = this.helpersByHeader.get(text)?.get(wordsKey);
      if (!found) {
        // a header parsed for the first time counts against the file's budget (later ones are cached)
        const left = fileDeadline - budgetClock();
        if (left <= 0) {
          partial = true;
          continue;
        }
        found = new Map();
        let cut = false;
        try {
          const tree = this.parsers.parse(grammar, text, null, Math.min(500, left));
          try {
            const source = new SourceText(text);
            found = deviceHelpers(topLevelItems(tree.rootNode).functions, source, undefined, words, words.length > 1 ? (d) => this.expanded(d, source, pre, grammar) : undefined);
          } finally {
            tree.delete();
          }
        } catch (e) {
          // a header that does not parse lends no helpers; one the file's budget cut short is read again next time
          cut = e instanceof ParseTimeout && left < 500;
        }
        partial ||= cut;
        if (this.helpersByHeaderCount > 64) {
          this.helpersByHeader.clear();
          this.helpersByHeaderCount = 0;
        }
        if (!cut) {
          let byWords = this.helpersByHeader.get(text);
          if (!byWords) this.helpersByHeader.set(text, (byWords = new Map()));
          byWords.set(wordsKey, found);
          this.helpersByHeaderCount++;
        }
      }
      for (const [name, def] of found) if (!out.has(name)) out.set(name, def);
    }
    return { helpers: out, partial };
  }

  /** File-scope facts by the text of the file's declarations (and its preprocessor view). */
  private readonly fileScopes = new Map<string, { globals: FileArray[]; constants: Map<string, number>; macros: Map<string, MacroDef>; records: FileRecords }>();
  /** Long cache keys (everything a function's facts depend on outside it) as short ids. */
  private readonly keyIds = new Map<string, string>();
  private nextKeyId = 0;
  private internKey(key: string): string {
    let id = this.keyIds.get(key);
    if (id === undefined) {
      if (this.keyIds.size > 1000) this.keyIds.clear(); // ids keep counting: a dropped key never comes back as an old id
      this.keyIds.set(key, (id = `#${this.nextKeyId++}`));
    }
    return id;
  }

  /** Parsed macro bodies by text (the same few macros come back on every edit). */
  private readonly macroBodies = new Map<string, SyntaxNode | null>();

  /** A macro body parsed as an expression, or null when it is not one. */
  private parseMacroBody(grammar: GrammarName, body: string): SyntaxNode | null {
    const key = `${grammar}:${body}`;
    let node = this.macroBodies.get(key);
    if (node === undefined) {
      node = null;
      const text = `int __ka = (${body});`;
      try {
        const tree = this.parsers.parse(grammar, text, null, 50);
        try {
          const copy = mirror(tree.rootNode, new SourceText(text));
          const value = copy.namedChildren[0]?.childForFieldName('declarator')?.childForFieldName('value');
          const expr = value?.type === 'parenthesized_expression' ? value.namedChildren[0] : null;
          node = expr && !copy.hasError ? expr : null;
        } finally {
          tree.delete();
        }
      } catch {
        node = null;
      }
      if (this.macroBodies.size > 1000) this.macroBodies.clear();
      this.macroBodies.set(key, node);
    }
    return node;
  }

  /** Functions written by macro invocations, by invocation (position, scope and text). */
  private readonly macroMade = new Map<string, FunctionFacts[]>();
  /** Files whose kernels and wrappers the project index holds (absolute paths). */
  private readonly indexedPaths = new Set<string>();
  /** Kernels and launch wrappers of the headers a file includes, for a file checked without a project index. */
  private readonly headerIndex = new HeaderIndex((path, text) => {
    const language = detectLanguage(path, text);
    if (language !== 'cuda' && language !== 'cpp') return null;
    const tree = this.parsers.parse(grammarFor(language), text);
    try {
      return this.facts(language, tree, text.split('\n'), undefined, text, path);
    } finally {
      tree.delete();
    }
  });

  /**
   * What every function's facts read outside the function: the file's top-level items, its
   * preprocessing view, file-scope arrays, constants and macros, device helpers, and a key
   * naming all of it. Kept on the document's cache for the tree and text it was made from:
   * the slices of one version's analysis (a large file takes several) read it once.
   */
  private fileContext(language: SourceLanguage, tree: Tree, source: SourceText, path: string, fileDeadline: number, cache?: FactsCache): FileContext {
    const text = source.text;
    const c = cache?.context;
    if (c && c.tree === tree && c.text === text && c.path === path && c.generation === this.generation) return c.made;
    const switches = fileSwitches(source.lines);
    const top = topLevelItems(tree.rootNode, switches);
    const spans = spansOf(top.functions);
    // under the file's budget: a view whose time runs out keeps what it has read (see buildView)
    const pre = withBudget(this.limits.fileMs, fileDeadline, () => preprocessFile(path ? resolve(path) : '', text, this.preprocess, spans, source.lines), 'fileBudgetMs');
    const grammar = grammarFor(language);
    // file-scope arrays, constants and macros change rarely: read again only when their text did
    const scopeText = top.declarations.map((d) => text.slice(d.startIndex, d.endIndex)).join('\u0000') + '\u0001' + pre.key +
      '\u0001' + top.classFields.map(([owner, d]) => `${owner}:${text.slice(d.startIndex, d.endIndex)}`).join('\u0000');
    let scope = this.fileScopes.get(scopeText);
    if (!scope) {
      const whole = new SourceText(text);
      const fileScope = top.declarations.map((d) => mirror(d, whole));
      scope = {
        globals: fileArrays(fileScope),
        constants: new Map([...pre.view.constants, ...fileConstants(fileScope), ...classConstants(top.classFields.map(([owner, d]) => [owner, mirror(d, whole)]))]),
        macros: fileMacros(fileScope, (body) => this.parseMacroBody(grammar, body)),
        records: { layouts: recordLayouts(fileScope, pre.view.typeAliases), members: withHeaderMembers(memberElements(fileScope, top.classFields.map(([owner, d]) => [owner, mirror(d, whole)])), headerMemberElements(pre.view.classMembers, pre.view.typeAliases)), sharedStructs: pre.view.sharedStructs },
      };
      if (this.fileScopes.size > 32) this.fileScopes.clear();
      this.fileScopes.set(scopeText, scope);
    }
    const { globals, macros, records } = scope;
    // (and the sizes the objects the file builds give their classes' members: facts/member-values.ts)
    const members = constructedMembers(text, top.functions, top.classes, top.classFields, scope.constants);
    const constants = members.size ? new Map([...scope.constants, ...members]) : scope.constants;
    // the file's own helpers win over same-named ones from its headers (`load128cs` in cuda_utils.cuh)
    const words = deviceWords(pre.view);
    const fromHeaders = this.headerHelpers(pre, grammarFor(language), fileDeadline, words);
    // (and the file's host index functions, `idx(r, c, ld)`, which host subscripts read through)
    const helpers = new Map([...indexFunctions(top.functions, source, spans), ...fromHeaders.helpers, ...deviceHelpers(top.functions, source, spans, words, words.length > 1 ? (d) => this.expanded(d, source, pre, grammar) : undefined)]);
    const globalsKey = this.internKey(pre.key + ';' +
      [...helpers.keys()].join(',') + ':' + [...helpers.values()].reduce((h, d) => (h * 31 + d.endIndex - d.startIndex) | 0, 0) + ';' +
      globals.map((g) => `${g.name}:${g.elemType}:${g.space}`).join(',') +
      ';' + [...constants].map(([k, v]) => `${k}=${v}`).join(',') +
      ';' + [...macros].map(([k, m]) => `${k}(${m.params})=${m.body?.text ?? ''}`).join(',') +
      ';' + recordsKey(records) +
      // (a switch commented out or back in decides the #if of functions whose own text did not change)
      ';' + [...switches.defined].join(',') + '|' + [...switches.off].join(',') +
      // (and a struct handing out shared memory, `SharedMemory<T>`, what its users' pointers point at)
      ';' + sharedAccessorsKey(source.lines ?? text.split('\n')) +
      // (and the statements that set flags, which say whether a guard runs once: `stale = true;` in a caller)
      ';' + [...flagAssignments(source.lines ?? text.split('\n'))].join(','));
    const partial = !!pre.view.cut || fromHeaders.partial;
    const hostHelpersOf = hostHelpers(text, spans, (i) => this.readFunction(top.functions[i], source, pre, grammar, top.templates.get(top.functions[i])), (i) => top.functions[i].startPosition.row);
    const made: FileContext = { top, spans, pre, grammar, globals, constants, macros, records, helpers, hostHelpers: hostHelpersOf, globalsKey, partial };
    if (cache && !partial) cache.context = { tree, text, path, generation: this.generation, made };
    return made;
  }

  /** A top-level function's tree, through its macros when it uses any (FLOAT4(...), CUDA_KERNEL_LOOP, qualifier macros). */
  /** A definition read through the file's macros (null when none of them is in it). */
  private expanded(def: Tree['rootNode'], source: SourceText, pre: FilePreprocessing, grammar: GrammarName): SyntaxNode | null {
    return expandedFunction(def, source, pre, (t) => this.parsers.parse(grammar, t, null, 200));
  }

  private readFunction(def: Tree['rootNode'], source: SourceText, pre: FilePreprocessing, grammar: GrammarName, template: Tree['rootNode'] | undefined): SyntaxNode | null {
    // a template's parameters sit on its template_declaration: copy from there (found by topLevelItems: a
    // web-tree-sitter Node's `parent` searches down from the root, a cost per function that grows with the file)
    const outer = template ?? def;
    const copy = expandedFunction(outer, source, pre, (t) => this.parsers.parse(grammar, t, null, 200)) ?? mirror(outer, source);
    return copy.type === 'function_definition' ? copy : copy.namedChildren.find((c) => c.type === 'function_definition') ?? null;
  }

  /** Facts of every function in a parsed file, reusing `cache` for unchanged functions. */
  facts(language: SourceLanguage, tree: Tree, lines: string[], cache?: FactsCache, text = lines.join('\n'), path = ''): FileFacts {
    const functions: FunctionFacts[] = [];
    const skipped: FileFacts['skipped'] = [];
    const source = new SourceText(text, lines);
    const fileDeadline = budgetClock() + this.limits.fileMs;
    let fileConstantsSeen: ReadonlyMap<string, number> = new Map();
    let defaultTypes: ReadonlyMap<string, string> = new Map();
    let defaultConstants: ReadonlyMap<string, number> = new Map();
    let tensorMathMode = false;
    let project = this.project;
    let includedHeaders: readonly string[] = [];
    if (language === 'triton') {
      // each kernel, host function and the module's code under its own budget, too deep ones skipped
      const guard = (def: SyntaxNode, name: string, work: () => FunctionFacts | null): FunctionFacts | null => {
        const reason = this.bounded(fileDeadline, work);
        if (typeof reason !== 'string') return reason;
        skipped.push({ function: name, reason, line: def.startPosition.row });
        return null;
      };
      functions.push(...tritonFunctions(mirror(tree.rootNode, source), lines, guard));
    } else {
      const { top, spans, pre, grammar, globals, constants, macros, records, helpers, hostHelpers: hosts, globalsKey, partial } = this.fileContext(language, tree, source, path, fileDeadline, cache);
      fileConstantsSeen = constants;
      defaultTypes = pre.view.defaultTypes;
      defaultConstants = pre.view.defaultConstants;
      tensorMathMode = pre.view.tensorMathMode;
      includedHeaders = pre.view.headers;
      if (this.project) this.indexHeaders(this.project, includedHeaders);
      project ??= this.headerIndex.under(this.generation).projectOf(includedHeaders, (h) => this.preprocess.reader.read(h));
      if (partial) skipped.push({ function: '(file)', reason: HEADERS_CUT, line: 0 });
      for (const target of pre.view.missing) skipped.push({ function: '(file)', reason: missingHeader(target), line: includeLine(lines, target) });
      // (functions a syntax error before them left inside braces at file scope: `if (...) {` stray after a bad edit)
      for (const n of top.unread) skipped.push({ function: '(file)', reason: unreadRegion(n.startPosition.row, n.endPosition.row), line: n.startPosition.row });
      for (let i = 0; i < top.functions.length; i++) {
        const def = top.functions[i];
        const start = def.startPosition;
        const where = `${start.row}:${start.column}:${globalsKey}:${this.generation}`;
        const fnText = text.slice(spans[i].startIndex, spans[i].endIndex);
        // cached with the text since the function before it: what the facts read before the definition (a template's
        // parameters on its template_declaration, a split head's qualifiers) is in it, without asking the tree (a call into WASM)
        const readText = text.slice(i > 0 ? Math.min(spans[i - 1].endIndex, spans[i].startIndex) : 0, spans[i].endIndex);
        let f = cache?.get(where, readText);
        // (moved by whole lines since: the same facts, lines further)
        if (f === undefined && cache && cache.sweptLines >= 0 && cache.sweptLines !== lines.length) f = cache.moved(where, readText, { first: i > 0 ? top.functions[i - 1].endPosition.row : 0, last: def.endPosition.row });
        if (f && inlinedStale(f, hosts)) f = undefined;
        let reason = UNREADABLE;
        if (f === undefined && budgetClock() >= fileDeadline) {
          // not cached: the next analysis (the next keystroke) goes on where this one stopped
          skipped.push({ function: functionName(fnText), reason: FILE_BUDGET_SPENT, line: def.startPosition.row });
          continue;
        }
        if (f === undefined) {
          const before = cache?.previous(where);
          const result = this.bounded(fileDeadline, () => {
            const fn = this.readFunction(def, source, pre, grammar, top.templates.get(def));
            if (fn && nestingDepth(fn) > MAX_NESTING) throw new BudgetExceeded(TOO_DEEP);
            // statements the grammar could not read are left out; the rest of the function counts
            // (a method defined in its class: the copy read has no parents, the file's tree does)
            return fn ? functionFacts(fn, lines, globals, constants, macros, helpers, pre.view.typeAliases, hosts, splitHead(def), records, pre.view.accessors, pre.view.defaultTypes, top.classes.get(def)) : null;
          });
          f = typeof result === 'string' ? null : result;
          if (typeof result === 'string') reason = result;
          // (an edit that left its facts as they were, a word typed in a comment: the old object, and all kept by it)
          if (f && before && sameData(f, before)) f = before;
          if (reason !== FILE_BUDGET_SPENT) cache?.set(where, readText, f, f ? undefined : reason, f === null && overItsTime(reason));
        } else if (f === null) reason = cache?.reason(where) ?? reason;
        if (f) functions.push(f);
        // (a getter or constructor the grammar could not read has nothing a rule looks at: not worth a `skipped` line)
        else if (reason !== UNREADABLE || mayHoldFindings(fnText)) skipped.push({ function: functionName(fnText), reason, line: def.startPosition.row });
      }
      // functions read from a stretch of text the grammar did not give as one (their facts kept by row, offset and
      // text: the facts hold rows, and an edit above may bring the text back to this offset on another row)
      const outside = (start: number, end: number, make: () => FunctionFacts[], stale?: (f: FunctionFacts) => boolean): FunctionFacts[] | string => {
        const key = `${source.position(start).row}:${start}\u0000${globalsKey}\u0000${text.slice(start, end)}`;
        let made = this.macroMade.get(key);
        if (made?.some((f) => stale?.(f))) made = undefined;
        if (made) return made;
        const result = this.bounded(fileDeadline, () => {
          made = make();
          return null;
        });
        if (typeof result === 'string') return result;
        if (this.macroMade.size > 500) this.macroMade.clear();
        this.macroMade.set(key, (made ??= []));
        return made;
      };
      // kernels and launch wrappers a macro writes (`DEFINE_AND_INSTANTIATE_GPU_UNARY_FUNC(sign, ...)`)
      for (const span of definingMacroCalls(text, pre, spans)) {
        const made = outside(span.start, span.end, () =>
          macroDefinedFunctions(span, source, pre, (t) => this.parsers.parse(grammar, t, null, 200))
            .map((d) => functionFacts(d, lines, globals, constants, macros, helpers, pre.view.typeAliases, undefined, '', records, pre.view.accessors, pre.view.defaultTypes))
            .filter((f): f is FunctionFacts => f !== null));
        if (typeof made !== 'string') functions.push(...made);
      }
      // K&R definitions (`void f(a, n) float *a; int n; { ... }`), read as the ANSI ones they stand for
      // (and again when a host helper they inline changed, as a function the grammar read is)
      // (C only: C++ has no K&R definitions, and nvcc compiles .cu as C++)
      for (const def of language === 'cuda' || CPLUSPLUS_SOURCE.test(path) ? [] : knrDefinitions(text, tree.rootNode, spans)) {
        const made = outside(def.start, def.end, () => {
          const d = knrFunction(def, source, (t) => this.parsers.parse(grammar, t, null, 200));
          const f = d && functionFacts(d, lines, globals, constants, macros, helpers, pre.view.typeAliases, hosts, '', records, pre.view.accessors, pre.view.defaultTypes);
          return f ? [f] : [];
        }, (f) => inlinedStale(f, hosts));
        if (typeof made === 'string') skipped.push({ function: functionName(text.slice(def.start, def.end)), reason: made, line: source.position(def.start).row });
        else functions.push(...made);
      }
    }
    cache?.sweep(lines.length);
    const build = language === 'triton' ? DEFAULT_BUILD : withSourcePragmas(buildFlagsFor(path, this.preprocess), text, lines, path ? basename(path) : undefined);
    const kernelsOnly = isTestPath(path, this.workspaceRoots) || isScalarFallbackPath(path, this.workspaceRoots);
    const notTuned = isNotTunedPath(path, this.workspaceRoots) || (language === 'cpp' && isRuntimeKernelSource(text)) ||
      (language === 'triton' && isPythonTestPath(path, this.workspaceRoots));
    const otherAccelerator = otherAcceleratorOf(path, this.workspaceRoots);
    // (and what the local headers it includes declare: a prototype in kmeans.h of a function kmeans_clustering.c defines)
    const declaredOnly = language === 'triton' ? [] : [...new Set([...declaredNames(lines), ...includedHeaders.flatMap((h) => headerDeclarations(this.preprocess.reader.read(h) ?? ''))])];
    const sycl = language !== 'triton' && isSyclSource(lines);
    const handles = language === 'triton' ? [] : externHandles(lines);
    const fullFp32 = language === 'triton' && fullFp32Matmuls(text);
    const instantiations = language === 'triton' ? [] : explicitInstantiations(text, fileConstantsSeen, lines);
    for (const f of functions) {
      const why = functorKernelReason(f);
      if (why) skipped.push({ function: f.name, reason: why, line: f.range.start.line });
    }
    return {
      language, functions: language === 'triton' ? functions : this.shaped(functions, lines, path, instantiations), lines, skipped,
      ...(project ? { project } : {}), ...(build !== DEFAULT_BUILD ? { build } : {}), ...(kernelsOnly ? { kernelsOnly } : {}),
      ...(notTuned ? { notTuned } : {}), ...(otherAccelerator ? { otherAccelerator } : {}), ...(declaredOnly.length ? { declaredOnly } : {}), ...(handles.length ? { externHandles: handles } : {}), ...(sycl ? { sycl } : {}), ...(fullFp32 ? { fullFp32Matmuls: true } : {}), ...(instantiations.length ? { instantiations } : {}),
      ...(defaultTypes.size ? { defaultTypes } : {}), ...(defaultConstants.size ? { defaultConstants } : {}), ...(tensorMathMode ? { tensorMathMode } : {}), ...(includedHeaders.length ? { includedHeaders } : {}),
    };
  }

  /**
   * Runs one function's analysis under the budget (settings functionBudgetMs, fileBudgetMs):
   * its facts, or why there are none. Too deep, too slow or too strange to model: unknown
   * means silence, and it is reported.
   */
  private bounded(fileDeadline: number, work: () => FunctionFacts | null): FunctionFacts | null | string {
    try {
      return withBudget(this.limits.functionMs, fileDeadline, work);
    } catch (e) {
      if (e instanceof BudgetExceeded) return e.message;
      if (e instanceof ParseTimeout) return 'its macro expansion took too long to parse';
      if (e instanceof RangeError) return TOO_DEEP; // a stack or an allocation the nesting cap did not foresee
      return `it could not be modelled (${(e as Error).message})`;
    }
  }

  /** The budget of the analysis under way, from the settings. */
  private limits: BudgetLimits = DEFAULT_BUDGET;
  private useBudget(config: Config): void {
    const functionMs = config.functionBudgetMs ?? DEFAULT_BUDGET.functionMs;
    const fileMs = config.fileBudgetMs ?? DEFAULT_BUDGET.fileMs;
    if (functionMs !== this.limits.functionMs || fileMs !== this.limits.fileMs) this.generation++; // what a smaller budget skipped may fit now
    this.limits = { functionMs, fileMs };
  }

  /**
   * Findings of function rules, kept per function-facts object: a function whose facts
   * came from the cache keeps its findings too (while the rule's severity is unchanged).
   */
  private readonly completed = new WeakMap<RuleFinding, Finding>();
  private readonly functionFindings = new WeakMap<FunctionFacts, Map<string, { severity: string; findings: Finding[]; skipped?: string }>>();
  /** All function rules' findings of a function, for one set of rules and severities (`key`). */
  private readonly functionResults = new WeakMap<FunctionFacts, { key: string; findings: Finding[]; skipped: NonNullable<FileResult['skipped']> }>();
  /** A moved function's findings of all function rules (core/facts/shift.ts): its original's, moved; undefined when they cannot be. */
  private movedResults(fn: FunctionFacts, key: string): { key: string; findings: Finding[]; skipped: NonNullable<FileResult['skipped']> } | undefined {
    const m = movedFrom(fn);
    const before = m && this.functionResults.get(m.from);
    // (a rule that ran out of time is tried again; its `skipped` line is no position to move)
    if (!m || !before || before.key !== key || before.skipped.length) return undefined;
    const findings = movedFindings(before.findings, m.delta, m.from);
    if (!findings) return undefined;
    const done = { key, findings, skipped: [] };
    this.functionResults.set(fn, done);
    return done;
  }
  /** Findings of file rules, per facts object (one analysis, over its slices). */
  private readonly fileRuleResults = new WeakMap<FileFacts, Map<string, { findings: RuleFinding[]; skipped?: string }>>();

  /** A rule's check under the function budget: its findings, or none and why. */
  private checked(check: () => RuleFinding[], ms = this.limits.functionMs, setting?: string): { findings: RuleFinding[]; skipped?: string } {
    try {
      return { findings: withBudget(ms, Infinity, check, setting) };
    } catch (e) {
      if (e instanceof BudgetExceeded) return { findings: [], skipped: e.message };
      throw e;
    }
  }

  /** Findings of a parsed file; functions that could not be modelled are added to `skipped` when given. */
  analyzeTree(
    language: SourceLanguage, tree: Tree, text: string, config: Config = DEFAULT_CONFIG, cache?: FactsCache,
    only?: ReadonlySet<string>, path = '', skipped?: NonNullable<FileResult['skipped']>,
  ): Finding[] {
    if (path && !config.languages.includes(languageSettingOf(path, language))) return [];
    if (hasLoneCr(text)) {
      // the grammar reads a lone `\r` as a space, the editor as a line end: read it as the editor does
      const same = crAsNewline(text);
      const fresh = this.parsers.parse(grammarFor(language), same);
      try {
        return this.analyzeTree(language, fresh, same, config, cache, only, path, skipped);
      } finally {
        fresh.delete();
      }
    }
    this.useBudget(config);
    const facts = (this.lastFacts = this.slicedFacts(language, tree, text, cache, path));
    return this.findings(language, facts, config, only, skipped, cache, text);
  }

  /**
   * The facts of a version analysed in slices (the server's `cache`), kept once complete: a
   * slice that ends in the rules goes on from the same facts, and the rules' results kept
   * for that facts object, rather than reading the whole file again.
   */
  private slicedFacts(language: SourceLanguage, tree: Tree, text: string, cache: FactsCache | undefined, path: string): FileFacts {
    const c = cache?.complete;
    if (c && c.text === text && c.generation === this.generation && c.project === this.project) return c.facts;
    const lines = cache?.lines?.text === text ? cache.lines.lines : text.split('\n');
    const facts = this.facts(language, tree, lines, cache, text, path);
    // the previous version's facts, when this one's are the same but for the text (the file rules' results hold)
    // (or the version's before it, when the edit undid the last one)
    for (const o of [c, cache?.earlierComplete]) {
      if (o && o.generation === this.generation && o.project === this.project && sameRuleInput(facts, o.facts)) {
        this.sameInput.set(facts, this.sameInput.get(o.facts) ?? o.facts);
        break;
      }
    }
    // not when the file's budget cut it short: the next analysis goes on with what is left
    if (cache && !facts.skipped?.some((x) => x.reason === FILE_BUDGET_SPENT || x.reason === HEADERS_CUT)) cache.complete = { text, generation: this.generation, project: this.project, facts };
    return facts;
  }

  /** Facts whose file rules' results are those of an earlier version's (sameRuleInput). */
  private readonly sameInput = new WeakMap<FileFacts, FileFacts>();

  /** The facts of the last analyseTree, for the fixes of its findings (CLI, tests). */
  private lastFacts: FileFacts | null = null;
  /** The facts the last analyzeTree computed (the server keeps them with what it published, for fixes). */
  get lastAnalysisFacts(): FileFacts | null {
    return this.lastFacts;
  }

  /** The syntax copies of the last fixes, reused while the tree, text and facts are the same (hovers over one version). */
  private fixSyntaxMemo: { tree: Tree; text: string; functions: readonly FunctionFacts[]; project: unknown; syntax: FixSyntax } | null = null;
  private fixSyntaxOf(tree: Tree, text: string, facts: FileFacts, whole: boolean): FixSyntax {
    // the fixers' per-file work (launch indexes, a rule's findings) reads the facts too
    const m = this.fixSyntaxMemo;
    if (m && m.tree === tree && m.text === text && m.functions === facts.functions && m.project === facts.project && (m.syntax.whole || !whole)) return m.syntax;
    const syntax = whole ? wholeFixSyntax(tree, text) : fixSyntax(text);
    this.fixSyntaxMemo = { tree, text, functions: facts.functions, project: facts.project, syntax };
    return syntax;
  }

  private fixerOf(f: Finding) {
    return this.rules.find((r) => r.id === f.rule)?.fix;
  }

  /** The findings with their fixers' fixes added (new objects: findings may be cached). */
  private withFixes(language: SourceLanguage, tree: Tree, text: string, findings: Finding[], facts: FileFacts | null): Finding[] {
    if (!facts || !findings.some((f) => this.fixerOf(f))) return findings;
    // every finding's fixes at once: one copy of the file serves them all
    const outcomes = this.outcomes(language, tree, text, findings, facts, true);
    return findings.map((f) => {
      const o = outcomes.get(f);
      return o && o.fixes.length !== f.fixes.length ? { ...f, fixes: o.fixes } : f;
    });
  }

  /**
   * Each finding's fixes, its rule's own and its fixer's, or why none is offered: on
   * demand (a code action, a hover) for findings of this text's analysis.
   */
  fixOutcomes(
    path: string, text: string, findings: readonly Finding[],
    opts: {
      config?: Config; cache?: FactsCache; languageId?: string;
      /** the text's tree and facts, when the caller keeps them (the server, for the version it published) */
      tree?: Tree; facts?: FileFacts;
    } = {},
  ): Map<Finding, FixOutcome> {
    text = lineEndsAsNewline(text);
    const language = detectLanguage(path, text, opts.languageId);
    const none = new Map(findings.map((f) => [f, { fixes: f.fixes }] as const));
    if (!language || !findings.some((f) => this.fixerOf(f))) return none;
    let own: Tree | undefined;
    try {
      this.useBudget(opts.config ?? DEFAULT_CONFIG);
      const tree = opts.tree ?? (own = this.parsers.parse(grammarFor(language), text));
      const facts = opts.tree && opts.facts ? opts.facts : this.facts(language, tree, text.split('\n'), opts.cache, text, path);
      // (the facts' own project: the CLI's index, or the headers' a file checked alone sees)
      return this.outcomes(language, tree, text, findings, { ...facts, project: this.project ?? facts.project });
    } catch {
      return none;
    } finally {
      own?.delete();
    }
  }


  private outcomes(language: SourceLanguage, tree: Tree, text: string, findings: readonly Finding[], facts: FileFacts, whole = false): Map<Finding, FixOutcome> {
    const out = new Map<Finding, FixOutcome>();
    const shared = this.fixSyntaxOf(tree, text, facts, whole);
    for (const f of findings) {
      const fixer = this.fixerOf(f);
      if (!fixer) {
        out.set(f, { fixes: f.fixes });
        continue;
      }
      let result: FixResult;
      try {
        result = withBudget(this.limits.functionMs, Infinity, () => fixer(f, fixContext(language, tree, text, facts, functionOf(facts, f), shared)));
      } catch (e) {
        result = { reason: e instanceof BudgetExceeded ? `writing the fix ran over its budget (${e.message})` : `the fix could not be written (${(e as Error).message})` };
      }
      // findings of analyzeText already carry their fixer's fixes: each fix once
      if (Array.isArray(result)) out.set(f, { fixes: uniqueFixes([...result, ...f.fixes]) }); else out.set(f, { fixes: f.fixes, reason: f.fixes.length ? undefined : result.reason });
    }
    return out;
  }

  /** The file's functions nothing in the project reaches, once per facts and project (none without a project of several files). */
  private unreached(facts: FileFacts, text?: string): ReadonlySet<FunctionFacts> {
    const project = facts.project;
    if (!project || project.namedFiles < 2 || facts.notTuned) return NONE;
    const hit = this.unreachedMemo.get(facts);
    if (hit && hit.project === project) return hit.dead;
    const dead = unreachedFunctions(facts, text ?? facts.lines.join('\n'), project.names);
    this.unreachedMemo.set(facts, { project, dead });
    return dead;
  }
  private readonly unreachedMemo = new WeakMap<FileFacts, { project: ProjectIndex; dead: ReadonlySet<FunctionFacts> }>();

  /** The rules over a file's facts, with severities, citations and suppressions applied. */

  private findings(language: SourceLanguage, facts: FileFacts, config: Config, only?: ReadonlySet<string>, skipped?: NonNullable<FileResult['skipped']>, cache?: FactsCache, text?: string): Finding[] {
    skipped?.push(...(facts.skipped ?? []));
    // one search of the text, when the caller has it, instead of one per line
    const suppressed = text !== undefined && !mayBeSuppressed(text) ? new Map<number, never>() : suppressedLines(facts.lines);
    const findings: Finding[] = [];
    // a test file's host code and CPU loops are its scaffolding (references, data, checks), a fallback folder's the
    // portable twins of SIMD paths; their kernels are still checked
    const kernels = facts.kernelsOnly ? new Set(facts.functions.filter((f) => f.isKernel || f.isDevice).map((f) => f.name)) : null;
    // code nothing in the project launches or calls: nobody runs it; those it silences are listed
    // (findings name their function: a name any reached function also has, an overload, stays reported)
    const unreached = this.unreached(facts, text);
    const dead = new Map<string, FunctionFacts>();
    if (unreached.size) {
      const reachedNames = new Set(facts.functions.filter((g) => !unreached.has(g)).map((g) => g.name));
      for (const f of unreached) if (!reachedNames.has(f.name)) dead.set(f.name, f);
    }
    const silenced = new Set<string>();
    const keep = (f: Finding) => {
      if (facts.notTuned) return; // a reference implementation, or kernel source for a run-time compiler
      if (kernels && (f.function === null || !kernels.has(f.function))) {
        // (said once per function, so the silence is not taken for a clean bill)
        const name = f.function ?? '(file)';
        if (!silenced.has(name)) skipped?.push({ function: name, reason: SCAFFOLDING, line: f.range.start.line });
        silenced.add(name);
        return;
      }
      if (f.function !== null && dead.has(f.function)) {
        if (!silenced.has(f.function)) skipped?.push({ function: f.function, reason: UNREACHED, line: dead.get(f.function)!.range.start.line });
        silenced.add(f.function);
        return;
      }
      if (!suppressed.size || !isSuppressed(suppressed, f.range.start.line, f.rule)) findings.push(f);
    };
    const active = this.rules.flatMap((rule) => {
      if (!rule.languages.includes(language) || (only && !only.has(rule.id))) return [];
      const severity = config.rules[rule.id] ?? rule.defaultSeverity;
      return severity === 'off' ? [] : [{ rule, severity }];
    });
    const complete = (rule: Rule, severity: Finding['severity']) => {
      const citations = this.knowledge.rule(rule.id)?.papers ?? [];
      return (f: RuleFinding): Finding => ({
        ...f,
        // a message is one line: code quoted from several lines (`A[row +\n    k]`) is shown on one
        message: oneLine(f.message),
        rule: rule.id,
        severity,
        assumptions: f.assumptions ?? [],
        related: (f.related ?? []).map((r) => (r.message.includes('\n') ? { ...r, message: oneLine(r.message) } : r)),
        fixes: f.fixes ?? [],
        citations,
      });
    };
    // function rules: each function's findings of all of them, kept together per facts object
    // while the rules and severities are the same (an edit re-checks the functions it changed)
    const perFunction = active.filter((a) => 'checkFunction' in a.rule);
    const key = perFunction.map((a) => `${a.rule.id}=${a.severity}`).join(',');
    for (const fn of facts.functions) {
      let done = this.functionResults.get(fn);
      if (!done || done.key !== key) done = this.movedResults(fn, key);
      if (!done || done.key !== key) {
        done = { key, findings: [], skipped: [] };
        let perRule = this.functionFindings.get(fn);
        if (!perRule) this.functionFindings.set(fn, (perRule = new Map()));
        for (const { rule, severity } of perFunction) {
          let hit = perRule.get(rule.id);
          if (!hit || hit.severity !== severity) {
            cache?.checkpoint();
            const checked = this.checked(() => (rule as FunctionRule).checkFunction(fn));
            perRule.set(rule.id, (hit = { severity, findings: checked.findings.map(complete(rule, severity)), skipped: checked.skipped }));
          }
          if (hit.skipped) done.skipped.push({ function: fn.name, reason: `${rule.id}: ${hit.skipped}`, line: fn.range.start.line });
          done.findings.push(...hit.findings);
        }
        this.functionResults.set(fn, done);
      }
      if (done.skipped.length) skipped?.push(...done.skipped);
      for (const f of done.findings) keep(f);
    }
    for (const { rule, severity } of active) {
      if ('checkFunction' in rule) continue;
      // file rules may hand back the same finding objects (fusion caches per host function): complete them once.
      // Each is one piece of work of the slices (kept for these facts, so the next slice goes on after it)
      const input = (rule as FileRule).readsLines ? facts : this.sameInput.get(facts) ?? facts;
      let perRule = this.fileRuleResults.get(input);
      if (!perRule) this.fileRuleResults.set(input, (perRule = new Map()));
      let checked = perRule.get(rule.id);
      if (!checked) {
        cache?.checkpoint();
        perRule.set(rule.id, (checked = this.checked(() => (rule as FileRule).check(facts), this.limits.fileMs, 'fileBudgetMs')));
      }
      if (checked.skipped) skipped?.push({ function: '(file)', reason: `${rule.id}: ${checked.skipped}`, line: 0 });
      const completeOne = complete(rule, severity);
      for (const f of checked.findings) {
        let done = this.completed.get(f);
        if (!done || done.severity !== severity) this.completed.set(f, (done = completeOne(f)));
        keep(done);
      }
    }
    findings.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.column - b.range.start.column || (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0));
    return findings;
  }
}

/**
 * Whether the file rules would read the same from `a` as from `b`: the same function facts
 * objects, the same file facts but for the lines, and the same constants the lines declare
 * (which the rules binding template arguments read). Rules that read more of the lines say so
 * (FileRule.readsLines) and are run again.
 */
function sameRuleInput(a: FileFacts, b: FileFacts): boolean {
  if (a.functions.length !== b.functions.length || a.functions.some((f, i) => f !== b.functions[i]) || a.project !== b.project) return false;
  if (constantsOfLines(a.lines).key !== constantsOfLines(b.lines).key) return false;
  const keys = Object.keys(a) as (keyof FileFacts)[];
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((k) => k === 'lines' || k === 'functions' || k === 'project' || sameData(a[k], b[k]));
}
