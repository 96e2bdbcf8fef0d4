// What an analysis keeps between the versions of one document (the language server's
// open files): each function's facts by position and text, facts moved by whole lines,
// and the file context and complete facts of the version being analysed in slices.
import type { Tree } from 'web-tree-sitter';
import type { GrammarName } from './parser';
import type { FunctionFacts, FileFacts } from './facts/model';
import type { ProjectIndex } from './project';
import type { SyntaxNode } from './mirror';
import type { HostHelpers } from './facts/host-inline';
import type { FileArray, MacroDef } from './facts/file-scope';
import type { FileRecords } from './facts/records';
import type { FilePreprocessing } from './facts/shadow';
import { movedFacts } from './facts/shift';

/** A function's cached facts (or why it has none) and the text they were derived from. */
interface Entry {
  text: string;
  facts: FunctionFacts | null;
  reason?: string;
  timedOut?: { tries: number; version: number };
}

/** A stretch of the text, by index. */
export interface Span {
  startIndex: number;
  endIndex: number;
}

export const spansOf = (nodes: readonly Tree['rootNode'][]): Span[] => nodes.map((d) => ({ startIndex: d.startIndex, endIndex: d.endIndex }));

/** What the facts of a C-family file's functions read outside them (Engine.fileContext). */
export interface FileContext {
  top: { functions: Tree['rootNode'][]; declarations: Tree['rootNode'][]; unread: Tree['rootNode'][]; classes: Map<Tree['rootNode'], string>; classFields: [string, Tree['rootNode']][]; templates: Map<Tree['rootNode'], Tree['rootNode']> };
  /** Where each of `top.functions` lies, read once: each end asked of the tree is a call into WASM. */
  spans: Span[];
  pre: FilePreprocessing;
  grammar: GrammarName;
  globals: FileArray[];
  constants: Map<string, number>;
  macros: Map<string, MacroDef>;
  records: FileRecords;
  helpers: Map<string, SyntaxNode>;
  /** Host functions with loops, inlined where another function's loop calls them. */
  hostHelpers: HostHelpers;
  globalsKey: string;
  /** The file's budget ran out while its headers were read: the view or the helpers are incomplete. */
  partial: boolean;
}

/** A text's facts, complete, and what they were derived under. */
export interface CompleteFacts {
  text: string;
  generation: number;
  project: ProjectIndex | null;
  facts: FileFacts;
}

/** Analyses of later versions of a text that try a function again after it ran over its time budget. */
const TIME_RETRIES = 2;

/**
 * Facts of unchanged functions are reused across edits. An entry is found by the
 * function's position and holds a private copy of its text (a slice would keep the
 * whole old document alive); it is reused only when the text is still the same.
 */
export class FactsCache {
  /**
   * What one document's analysis keeps between its slices (the engine's, per document, so
   * that documents analysed in turn do not undo each other's progress): the file context
   * of its tree, and its complete facts for a text.
   */
  context: { tree: Tree; text: string; path: string; generation: number; made: FileContext } | null = null;
  get complete(): CompleteFacts | null {
    return this.latest;
  }
  /** Setting it keeps the one it replaces, of another text, as `earlier`; null forgets both. */
  set complete(value: CompleteFacts | null) {
    if (!value) this.earlier = null;
    else if (this.latest && this.latest.text !== value.text) this.earlier = this.latest;
    this.latest = value;
  }
  /**
   * The complete facts of the text before (a character typed and then deleted, an undo: the file rules'
   * results of the text it returns to are those kept for its facts).
   */
  get earlierComplete(): CompleteFacts | null {
    return this.earlier;
  }
  private latest: CompleteFacts | null = null;
  private earlier: CompleteFacts | null = null;
  /**
   * The lines of a text, when whoever holds the document keeps them across edits (an edit
   * replaces a few; the others stay the same strings, which later comparisons see at once).
   */
  get lines(): { text: string; lines: string[] } | null {
    return this.kept;
  }
  set lines(value: { text: string; lines: string[] } | null) {
    if (value?.text !== this.kept?.text) this.version++;
    this.kept = value;
  }
  private kept: { text: string; lines: string[] } | null = null;
  /** Counts the versions of the text the holder kept: one analysis per version, however many slices it takes. */
  private version = 0;
  private entries = new Map<string, Entry>();
  /**
   * The entry an edit replaced, by position, while the function stays where it was: a character typed and
   * deleted again (a typo, an undo) finds the facts the function had, the same object, whose rules' results are kept.
   */
  private replaced = new Map<string, Entry>();
  private used = new Set<string>();
  get(where: string, text: string): FunctionFacts | null | undefined {
    let e = this.entries.get(where);
    if (e && e.text !== text) {
      const r = this.replaced.get(where);
      if (r?.text !== text) return undefined;
      if (e.facts && !e.timedOut) this.replaced.set(where, e);
      else this.replaced.delete(where);
      this.entries.set(where, (e = r));
    }
    if (!e) return undefined;
    // over its time budget: tried again by the analyses of the next versions of the text (the first analyses of a
    // fresh server also pay for compiling the analyser), then left skipped until the function itself changes
    if (e.timedOut && e.timedOut.tries <= TIME_RETRIES && e.timedOut.version !== this.version) return undefined;
    this.used.add(where);
    return e.facts;
  }
  /** The facts last cached at `where`, whatever their text (an edited function's, to keep when its new facts are the same). */
  previous(where: string): FunctionFacts | null | undefined {
    return this.entries.get(where)?.facts;
  }
  /** `timedOut`: the function ran over its time budget (not its step or depth bound), so it is worth another try. */
  set(where: string, text: string, facts: FunctionFacts | null, reason?: string, timedOut = false): void {
    const before = this.entries.get(where);
    const tries = timedOut ? (before?.text === text ? (before.timedOut?.tries ?? 0) + 1 : 1) : undefined;
    // (facts derived in full only: one over its time budget is tried again as usual)
    if (before && before.text !== text && before.facts && !before.timedOut) this.replaced.set(where, before);
    // a flat copy of the text, not a view of the document
    this.entries.set(where, { text: before?.text === text ? before.text : (' ' + text).slice(1), facts, reason, ...(tries !== undefined ? { timedOut: { tries, version: this.version } } : {}) });
    this.used.add(where);
  }
  /**
   * The facts of a function that moved by whole lines since they were cached (a line typed or
   * deleted above it): those cached for the same text and context at another row, moved to `row`
   * and kept there. `where` is the function's key at its row, `rows` the lines its text spans now.
   */
  moved(where: string, text: string, rows: { first: number; last: number }): FunctionFacts | undefined {
    const tail = where.slice(where.indexOf(':'));
    if (!this.byText) {
      this.byText = new Map();
      for (const [w, e] of this.entries) if (e.facts && !e.timedOut) this.byText.set(e.text, [...(this.byText.get(e.text) ?? []), w]);
    }
    for (const w of this.byText.get(text) ?? []) {
      const e = this.entries.get(w);
      if (this.used.has(w) || this.taken.has(w) || !e?.facts || w.slice(w.indexOf(':')) !== tail) continue;
      const delta = Number(where.slice(0, where.indexOf(':'))) - Number(w.slice(0, w.indexOf(':')));
      const facts = movedFacts(e.facts, delta, { first: rows.first - delta, last: rows.last - delta });
      if (!facts) continue;
      this.taken.add(w); // (two functions of the same text take one each)
      this.entries.set(where, { text: e.text, facts, reason: undefined }); // (with the entry's own copy of the text)
      this.used.add(where);
      return facts;
    }
    return undefined;
  }
  /** Cached entries by text, for `moved` (made when first needed, until the next sweep), and those it has moved. */
  private byText: Map<string, string[]> | null = null;
  private readonly taken = new Set<string>();
  /** Why the function cached at `where` has no facts (after `get` returned null). */
  reason(where: string): string | undefined {
    return this.entries.get(where)?.reason;
  }
  /**
   * Lines of the text of the last complete analysis (its sweep): only an edit that changed their number moved
   * functions by whole lines (a paste that adds as many lines as it removes is read again, not moved).
   */
  sweptLines = -1;
  /** Drops entries not used since the last sweep (functions that were edited away or moved). */
  sweep(lines = -1): void {
    this.sweptLines = lines;
    for (const k of this.entries.keys()) if (!this.used.has(k)) this.entries.delete(k);
    for (const k of this.replaced.keys()) if (!this.used.has(k)) this.replaced.delete(k);
    this.used.clear();
    this.byText = null;
    this.taken.clear();
  }
  get size(): number {
    return this.entries.size;
  }
  /** Forgets everything but the lines: the next analysis derives every function's facts again. */
  clear(): void {
    this.entries.clear();
    this.replaced.clear();
    this.used.clear();
    this.byText = null;
    this.taken.clear();
    this.context = null;
    this.complete = null;
  }
  /** Called before each uncached piece of work (a function's facts or rule checks): the language server ends its time slices here. */
  checkpoint(): void {}
}

