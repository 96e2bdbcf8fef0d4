// Open documents: text, incrementally re-parsed tree, the per-function facts cache, and
// what was last published (the version code actions are computed for).
// Trees live on the WASM heap: every replaced or closed tree is delete()d here.
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { Diagnostic, Position, TextDocumentContentChangeEvent } from 'vscode-languageserver';
import { Edit, type Tree } from 'web-tree-sitter';
import { FactsCache } from '../core/facts-cache';
import { eolOf, lineEndsAsNewline } from '../core/lineEnds';
import { grammarFor, rewrittenFromLineStart, type Parsers, type SlicedParse } from '../core/parser';
import type { FileFacts, FunctionFacts } from '../core/facts/model';
import type { FixOutcome } from '../core/fix';
import type { Finding, SourceLanguage } from '../core/types';
import { layoutEdit, movedFindingsByLayout, withoutLayoutEdits, type LayoutMap } from '../core/layout-edit';

/** A line defining a function-like macro (`#define NAME(`). */
const FUNCTION_MACRO = /^[ \t]*#[ \t]*define[ \t]+\w+\(/m;

/** Thrown from inside an analysis whose time slice ran out; the functions done so far stay cached. */
export class SliceExpired extends Error {
  constructor() {
    super('analysis slice expired');
  }
}

/**
 * A facts cache that ends a time slice at a checkpoint (before a function's facts or a
 * rule's check are computed, see Engine): once this slice has done `ms` of such work it
 * throws SliceExpired. The work done stays cached, so the next slice starts where this
 * one stopped; the budget counts from the first checkpoint, so every slice makes progress
 * however long the cached part of a pass takes on a busy machine.
 */
export class SlicedFactsCache extends FactsCache {
  private budgetMs = Infinity;
  private firstAt = -1;

  startSlice(ms: number): void {
    this.budgetMs = ms;
    this.firstAt = -1;
  }

  endSlice(): void {
    this.budgetMs = Infinity;
  }

  override checkpoint(): void {
    const now = performance.now();
    if (this.firstAt < 0) this.firstAt = now;
    else if (now - this.firstAt > this.budgetMs) throw new SliceExpired();
  }

  override get(where: string, text: string): FunctionFacts | null | undefined {
    const hit = super.get(where, text);
    if (hit === undefined) this.checkpoint();
    return hit;
  }
}

/** The diagnostics last sent for a document: the version and text they were computed for. */
export interface Published {
  version: number;
  text: string;
  findings: Finding[];
  /** Each finding's fixes or why there is none, computed on the first hover or code action. */
  fixes?: Map<Finding, FixOutcome>;
  /** The facts the findings came from (fixes are written from them). */
  facts?: FileFacts;
  /** The text's lines (a layout edit is found by comparing them with the current ones). */
  lines?: readonly string[];
  /** The text the findings were derived for, when they were moved from there by layout edits since. */
  movedFrom?: AnalysedText;
}

/** A text and its lines. */
export interface AnalysedText {
  text: string;
  lines: readonly string[];
}

/** Findings moved by layout edits, and the text they were derived for (Published.movedFrom). */
export interface MovedFindings {
  findings: Finding[];
  from: AnalysedText;
}

/** Characters from the start of row `from` to the start of row `to`. */
function charsOf(lines: readonly string[], from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) n += lines[i].length + 1;
  return n;
}

/** Where a change's range lies, as TextDocument.update reads it: ordered, clamped to the document and to each line's end. */
function editedSpan(doc: TextDocument, range: { start: Position; end: Position }): { start: Position; end: Position } {
  let [startOffset, endOffset] = [doc.offsetAt(range.start), doc.offsetAt(range.end)];
  if (startOffset > endOffset) [startOffset, endOffset] = [endOffset, startOffset];
  return { start: doc.positionAt(startOffset), end: doc.positionAt(endOffset) };
}

/**
 * `lines` with the span replaced by `text`, when they add up to the lines of `after` (the
 * document once changed); else null, and the caller splits the whole text.
 */
function editedLines(lines: readonly string[], { start, end }: { start: Position; end: Position }, text: string, after: TextDocument): string[] | null {
  if (start.line >= lines.length || end.line >= lines.length) return null;
  const middle = (lines[start.line].slice(0, start.character) + text + lines[end.line].slice(end.character)).split('\n');
  const out = lines.slice(0, start.line).concat(middle, lines.slice(end.line + 1));
  // checked against the text itself (TextDocument's own line index can be off after a range past the end)
  let offset = 0;
  for (let i = 0; i < start.line; i++) offset += out[i].length + 1;
  let length = offset - 1;
  for (let i = start.line; i < out.length; i++) length += out[i].length + 1;
  const now = after.getText();
  return length === now.length && now.startsWith(middle.join('\n'), offset) ? out : null;
}

/** Characters parsed in one go rather than in slices: about 1,500 lines, 20 ms from scratch here. */
export const ONE_GO_CHARS = 64 * 1024;

export class OpenDocument {
  tree: Tree | null = null;
  /** The document version `tree` was parsed from (-1: none yet). */
  private parsedVersion = -1;
  /** A parse of the current version that has not finished yet (see parseSlice). */
  private parsing: { version: number; parse: SlicedParse; started: number; slices: number } | null = null;
  readonly cache = new SlicedFactsCache();
  /** Diagnostics by finding: an edit re-checks few functions, and the findings of the rest are the same objects. */
  diagnostics = new WeakMap<Finding, Diagnostic>();
  published: Published | null = null;
  /** Time spent on the version being analysed, across its slices (trace log). */
  work = { version: -1, ms: 0, slices: 0 };

  /** The line end the client's text mostly uses: code actions write it (the text kept here has `\n` only). */
  readonly eol: '\n' | '\r\n';

  /**
   * Keeps the text with every line end as `\n` (LSP counts `\r\n`, `\r` and `\n` alike, so
   * lines and columns are the client's), so CRLF and CR files parse as LF ones do.
   */
  constructor(doc: TextDocument, public language: SourceLanguage | null) {
    const text = doc.getText();
    this.eol = eolOf(text);
    this.doc = text.includes('\r') ? TextDocument.create(doc.uri, doc.languageId, doc.version, lineEndsAsNewline(text)) : doc;
    this.keepLines(this.doc.getText().split('\n'));
    this.splits = 1;
  }
  doc: TextDocument;

  /** Times the whole text was split into lines (opening, a full-text change): an edit within the text splits none. */
  splits = 0;

  /** The analysis reads the text's lines from the cache: an edit replaces the lines it touched, the others stay the same strings. */
  private keepLines(lines: string[]): void {
    this.cache.lines = { text: this.text, lines };
  }

  get text(): string {
    return this.doc.getText();
  }

  get version(): number {
    return this.doc.version;
  }

  /** Applies LSP changes, editing the old tree so the next parse is incremental. */
  applyChanges(changes: TextDocumentContentChangeEvent[], version: number): void {
    this.cancelParse(); // of the old text, and it may hold `tree`, which is edited here
    this.dropUnmoved();
    for (const raw of changes) {
      const change = { ...raw, text: lineEndsAsNewline(raw.text) };
      if ('range' in change && this.tree) {
        // (on an empty `#define X ` line, before or after the edit, the grammar's text differs from the line's start on)
        const row = change.range.start.line;
        const before = this.doc.getText({ start: { line: row, character: 0 }, end: { line: row + 1, character: 0 } }).replace(/\n$/, '');
        const after = before.slice(0, change.range.start.character) + change.text.split('\n')[0] +
          (change.text.includes('\n') ? '' : this.doc.getText({ start: change.range.end, end: { line: change.range.end.line + 1, character: 0 } }).replace(/\n$/, ''));
        const replaced = this.doc.getText(change.range);
        const fromLineStart = rewrittenFromLineStart(before) || rewrittenFromLineStart(after);
        const start = fromLineStart ? { line: row, character: 0 } : change.range.start;
        const startIndex = this.doc.offsetAt(start);
        const oldEndIndex = this.doc.offsetAt(change.range.end);
        const lines = change.text.split('\n');
        const newEndPosition = {
          row: change.range.start.line + lines.length - 1,
          column: lines.length === 1 ? change.range.start.character + change.text.length : lines[lines.length - 1].length,
        };
        this.tree.edit(new Edit({
          startIndex,
          oldEndIndex,
          newEndIndex: this.doc.offsetAt(change.range.start) + change.text.length,
          startPosition: { row: start.line, column: start.character },
          oldEndPosition: { row: change.range.end.line, column: change.range.end.character },
          newEndPosition,
        }));
        // (a function-like macro defined or undefined decides how the grammar gets the lines that invoke it, wherever they
        // are: withoutDefiningInvocations. Such an edit is read anew)
        if (FUNCTION_MACRO.test(before) || FUNCTION_MACRO.test(after) || FUNCTION_MACRO.test(change.text) || FUNCTION_MACRO.test(replaced)) this.dropTree();
      } else {
        this.dropTree(); // a full-text change: parse from scratch
      }
      // TextDocument.update changes the document in place: read the edit's lines before it
      const kept = this.cache.lines;
      const at = 'range' in change && kept?.text === this.doc.getText() ? editedSpan(this.doc, change.range) : null;
      this.doc = TextDocument.update(this.doc, [change], version);
      const lines = at && kept ? editedLines(kept.lines, at, change.text, this.doc) : null;
      if (!lines) this.splits++;
      this.keepLines(lines ?? this.text.split('\n'));
    }
  }

  /**
   * The tree of the current version when it has been parsed (a finished analysis of the
   * version has one unless it was dropped), else null.
   */
  get currentTree(): Tree | null {
    return this.parsedVersion === this.doc.version ? this.tree : null;
  }

  /**
   * One slice of parsing the current text: its tree (parsed incrementally when a tree
   * exists), or null when the parse goes on in a next call. A first parse of a large file
   * takes hundreds of ms, so it runs in slices between which the server answers others;
   * an incremental re-parse after an edit usually finishes in its first slice. Throws
   * ParseTimeout. `sliced` is told about a parse that needed several slices (the trace log).
   */
  parseSlice(parsers: Parsers, sliceMs: number, sliced?: (s: { parseMs: number; elapsedMs: number; slices: number }) => void): Tree | null {
    if (!this.language) throw new Error('not an analysed language');
    if (this.currentTree) return this.currentTree;
    if (this.parsing?.version !== this.doc.version) {
      this.cancelParse();
      const kept = this.cache.lines;
      const lines = kept?.text === this.text ? kept.lines : undefined;
      this.parsing = { version: this.doc.version, parse: parsers.startParse(grammarFor(this.language), this.text, this.tree, undefined, lines), started: performance.now(), slices: 0 };
    }
    const p = this.parsing;
    let next: Tree | null;
    try {
      // a file of up to ONE_GO_CHARS parses in about two slices at most: in one go, on the shared
      // Parser (an unfinished parse needs a Parser of its own, and the WASM heap never shrinks)
      next = p.parse.step(this.text.length <= ONE_GO_CHARS ? Infinity : sliceMs);
    } catch (e) {
      this.parsing = null; // a ParseTimeout: the parse freed its Parser
      throw e;
    }
    p.slices++;
    if (!next) return null;
    this.parsing = null;
    if (p.slices > 1) sliced?.({ parseMs: p.parse.spentMs, elapsedMs: performance.now() - p.started, slices: p.slices });
    this.tree?.delete();
    this.tree = next;
    this.parsedVersion = this.doc.version;
    return next;
  }

  /** The tree of the current text, parsed in one go (the benchmark; the server parses in slices). Throws ParseTimeout. */
  reparse(parsers: Parsers): Tree {
    return this.parseSlice(parsers, Infinity)!;
  }

  private cancelParse(): void {
    this.parsing?.parse.cancel();
    this.parsing = null;
  }

  /**
   * Gives up the facts kept for the next edit (most of a document's memory): for a document
   * whose tree was given up too, whose next edit is read from scratch anyway. Hovers and
   * code actions on it derive what they need again.
   */
  releaseFacts(): void {
    this.cache.clear();
    // (the lines a layout edit is compared with go too: the next edit is analysed the usual way)
    if (this.published) {
      delete this.published.facts;
      delete this.published.lines;
      delete this.published.movedFrom;
    }
    // its next findings are new objects (made from new facts): the diagnostics kept for these, and their encoded bytes, go too
    this.diagnostics = new WeakMap();
  }

  /**
   * Set when the next analysis must derive the findings (settings, the workspace or headers
   * changed; the idle catch-up after layout edits) rather than move the published ones.
   */
  needsFull = true;

  /**
   * The published findings moved to the current text, when every edit since they were
   * published changed only the layout (core/layout-edit.ts) and `tree` is the current one;
   * else null, and the document is analysed the usual way.
   */
  findingsMovedByLayout(tree: Tree): MovedFindings | null {
    const p = this.published;
    const lines = this.cache.lines?.text === this.text ? this.cache.lines.lines : null;
    if (this.needsFull || !p?.lines || !lines || p.text === this.text) return null;
    const map = layoutEdit(p.lines, lines, this.text, tree, this.language === 'triton');
    const findings = map && movedFindingsByLayout(p.findings, map);
    return findings && { findings, from: p.movedFrom ?? { text: p.text, lines: p.lines } };
  }

  /**
   * The findings of an edit made after layout edits (a character typed right after an Enter, away
   * from it) when the published findings were moved by them: the current text as it would read
   * without those layout edits, analysed (`analyse`, on its tree) and moved by them. Its functions
   * lie where the facts cache holds them, so only the edited one is read again, where analysing the
   * current text would first move every function below the Enter in the cache (the idle catch-up
   * after a layout edit does that). Null when the edit touched the layout edits' lines, or the text
   * without them would not move as the current one reads: the document is analysed the usual way.
   */
  findingsBeforeLayoutEdits(tree: Tree, parsers: Parsers, analyse: (tree: Tree, text: string) => Finding[]): MovedFindings | null {
    const u = this.unmoved?.version === this.version ? this.unmoved : this.textBeforeLayoutEdits(tree, parsers);
    if (!u) return null;
    // (the analysis reads the lines kept with the cache: those of the text it analyses, for the while)
    const kept = this.cache.lines;
    this.cache.lines = { text: u.text, lines: u.lines };
    let findings: Finding[] | null;
    try {
      findings = movedFindingsByLayout(analyse(u.tree, u.text), u.map);
    } finally {
      this.cache.lines = kept;
    }
    // (kept while its analysis goes on over slices: the next one goes on from its file context)
    this.dropUnmoved();
    return findings && { findings, from: { text: u.text, lines: u.lines } };
  }

  /** The current text without the layout edits the published findings were moved by, and its tree (findingsBeforeLayoutEdits). */
  private unmoved: { version: number; text: string; lines: string[]; tree: Tree; map: LayoutMap } | null = null;

  private textBeforeLayoutEdits(tree: Tree, parsers: Parsers): OpenDocument['unmoved'] {
    this.dropUnmoved();
    const p = this.published;
    const lines = this.cache.lines?.text === this.text ? this.cache.lines.lines : null;
    if (this.needsFull || !p?.movedFrom || !p.lines || !lines || !this.language) return null;
    const python = this.language === 'triton';
    const before = withoutLayoutEdits(p.movedFrom.lines, p.lines, lines, python);
    // (rows up to the end of the text: the last one has no line end, which the tree edit below counts)
    if (!before || before.rows.to >= lines.length) return null;
    // (a function-like macro's definition decides how the grammar reads the lines that use it: see applyChanges)
    if (lines.slice(before.rows.from, before.rows.to).concat(before.restored).some((l) => FUNCTION_MACRO.test(l))) return null;
    const map = layoutEdit(before.lines, lines, this.text, tree, python);
    if (!map) return null;
    const text = before.lines.join('\n');
    // its tree: the current one with the rows as they were, re-parsed
    const { from, to } = before.rows;
    const startIndex = charsOf(lines, 0, from);
    const edited = tree.copy();
    try {
      edited.edit(new Edit({
        startIndex,
        oldEndIndex: startIndex + charsOf(lines, from, to),
        newEndIndex: startIndex + charsOf(before.restored, 0, before.restored.length),
        startPosition: { row: from, column: 0 },
        oldEndPosition: { row: to, column: 0 },
        newEndPosition: { row: from + before.restored.length, column: 0 },
      }));
      this.unmoved = { version: this.version, text, lines: before.lines, tree: parsers.parse(grammarFor(this.language), text, edited, undefined, before.lines), map };
    } catch {
      return null; // a ParseTimeout
    } finally {
      edited.delete();
    }
    return this.unmoved;
  }

  private dropUnmoved(): void {
    if (!this.unmoved) return;
    if (this.cache.context?.tree === this.unmoved.tree) this.cache.context = null;
    this.unmoved.tree.delete();
    this.unmoved = null;
  }

  /** Frees the tree and any parse under way (which may be re-parsing from the tree). */
  dropTree(): void {
    this.cancelParse();
    this.dropUnmoved();
    this.tree?.delete();
    this.tree = null;
    this.parsedVersion = -1;
  }
}
