// Rewriting fixes. A rule finds; its fixer (a `fix.ts` beside the rule) writes the code
// that applies the optimization. Fixers are code generators, so unlike rules they may
// read the source and its syntax: they get the finding, the facts of the file and the
// syntax of the code they rewrite. They run on demand (a code action, a hover, the CLI's
// `fix` and JSON/SARIF output), never on every keystroke.
import type { Node as TSNode, Tree } from 'web-tree-sitter';
import type { FileFacts, FunctionFacts } from './facts/model';
import { mirror, SourceText, type SyntaxNode } from './mirror';
import type { Finding, Fix, Range, SourceLanguage } from './types';

export interface FixContext {
  language: SourceLanguage;
  /** The file's text (LF line ends) and lines, as analysed. */
  text: string;
  lines: string[];
  file: FileFacts;
  /** The function the finding is in, when it is one the facts know. */
  fn: FunctionFacts | null;
  /** The syntax of the smallest node of one of `types` (any named node when omitted) that covers `range`. */
  node(range: Range, types?: readonly string[]): SyntaxNode | null;
  /** The facts of a function of this file by name (a launched kernel, its host caller). */
  functionNamed(name: string): FunctionFacts | null;
  /** The identifiers of the file spelled `name` (not in comments or strings), in order. */
  named(name: string): SyntaxNode[];
  /** Work shared by the fixes of one file, made once under `key` (an index of its names, its launches). */
  perFile<T>(key: string, make: () => T): T;
}

/** What a fixer returns: its fixes, or why none is offered (the hover says it). */
export type FixResult = Fix[] | { reason: string };
export type Fixer = (finding: Finding, ctx: FixContext) => FixResult;

/** The fixes of one finding: the rule's own (computed with the finding) and its fixer's, or why there is none. */
export interface FixOutcome {
  fixes: Fix[];
  reason?: string;
}

const FUNCTION_TYPES: Record<SourceLanguage, readonly string[]> = {
  cuda: ['function_definition'],
  cpp: ['function_definition'],
  triton: ['function_definition'],
};
export const functionTypes = (language: SourceLanguage): readonly string[] => FUNCTION_TYPES[language];

/** The syntax copies of one file's fixes, shared by its findings (a kernel's many findings copy it once). */
export interface FixSyntax {
  source: SourceText;
  copies: Map<number, SyntaxNode>;
  memo: Map<string, unknown>;
  /** A copy of the whole file, when the fixes of many findings are written at once (CLI, JSON): every node is found in it, none copied twice. */
  whole?: SyntaxNode;
}
export const fixSyntax = (text: string): FixSyntax => ({ source: new SourceText(text), copies: new Map(), memo: new Map() });

/** The fix syntax of a whole file, copied once (cheaper than one copy per function when most functions have fixable findings). */
export function wholeFixSyntax(tree: Tree, text: string): FixSyntax {
  const syntax = fixSyntax(text);
  syntax.whole = mirror(tree.rootNode, syntax.source);
  return syntax;
}

/** A fix context over a parsed tree (alive while the context is used). */
export function fixContext(language: SourceLanguage, tree: Tree, text: string, file: FileFacts, fn: FunctionFacts | null, shared: FixSyntax = fixSyntax(text)): FixContext {
  const { source, copies, memo, whole } = shared;
  const perFile = <T>(key: string, make: () => T): T => {
    if (!memo.has(key)) memo.set(key, make());
    return memo.get(key) as T;
  };
  const node = (range: Range, types?: readonly string[]): SyntaxNode | null => {
    let n: TSNode | null = tree.rootNode.descendantForPosition(
      { row: range.start.line, column: range.start.column },
      { row: range.end.line, column: range.end.column },
    );
    while (n && (types ? !types.includes(n.type) : !n.isNamed)) n = n.parent;
    if (!n) return null;
    const inWhole = whole && descendTo(whole, n.startIndex, n.endIndex, n.type);
    if (inWhole) return inWhole;
    let copy = copies.get(n.id);
    if (!copy) copies.set(n.id, (copy = mirror(n, source)));
    return copy;
  };
  return {
    language,
    text,
    lines: file.lines,
    file,
    fn,
    node,
    functionNamed: (name) => file.functions.find((f) => f.name === name) ?? null,
    perFile,
    named: (name) =>
      perFile(`named ${name}`, () => {
        // the text finds the candidates; the tree says which are identifiers (a whole-file copy would cost more)
        const out: SyntaxNode[] = [];
        if (!/^\w+$/.test(name)) return out;
        // many names at once (whole-file fixes): where each word starts, found in one pass; else a search per name
        const starts = whole ? wordStarts(perFile, text).get(name) ?? [] : [...text.matchAll(new RegExp(`\\b${name}\\b`, 'g'))].map((m) => m.index);
        for (const index of starts) {
          if (whole) {
            const copy = descend(whole, index, 'identifier');
            if (copy && copy.endIndex === index + name.length) out.push(copy);
            continue;
          }
          const at = source.position(index);
          const raw = tree.rootNode.descendantForPosition(at, { row: at.row, column: at.column + name.length });
          if (raw?.type !== 'identifier' || raw.startIndex !== index) continue;
          // copied with its file-scope item, so that its parents can be read
          let top: TSNode = raw;
          while (top.parent?.parent) top = top.parent;
          let item = copies.get(top.id);
          if (!item) copies.set(top.id, (item = mirror(top, source)));
          const copy = descend(item, index, 'identifier');
          if (copy) out.push(copy);
        }
        return out;
      }),
  };
}

const wordStarts = (perFile: FixContext['perFile'], text: string): Map<string, number[]> =>
  perFile('word starts', () => {
    const at = new Map<string, number[]>();
    for (const m of text.matchAll(/\b[A-Za-z_]\w*/g)) {
      const list = at.get(m[0]);
      if (list) list.push(m.index);
      else at.set(m[0], [m.index]);
    }
    return at;
  });

/** The outermost node of `type` spanning [start, end) inside `n`. */
function descendTo(n: SyntaxNode, start: number, end: number, type: string): SyntaxNode | null {
  for (let at: SyntaxNode | undefined = n; at; at = at.children.find((c) => c.startIndex <= start && end <= c.endIndex && c.endIndex > c.startIndex)) {
    if (at.type === type && at.startIndex === start && at.endIndex === end) return at;
  }
  return null;
}

/** The node of `type` starting at `index` inside `n`. */
function descend(n: SyntaxNode, index: number, type: string): SyntaxNode | null {
  for (let at: SyntaxNode | undefined = n; at; at = at.children.find((c) => c.startIndex <= index && index < c.endIndex)) {
    if (at.type === type && at.startIndex === index) return at;
  }
  return null;
}

const contains = (outer: Range, inner: Range): boolean =>
  (outer.start.line < inner.start.line || (outer.start.line === inner.start.line && outer.start.column <= inner.start.column)) &&
  (outer.end.line > inner.end.line || (outer.end.line === inner.end.line && outer.end.column >= inner.end.column));

/** The function of the facts a finding lies in. */
export function functionOf(file: FileFacts, f: Finding): FunctionFacts | null {
  return file.functions.find((fn) => fn.name === f.function && contains(fn.range, f.range)) ?? null;
}

const offsetOf = (lines: readonly string[], line: number, column: number): number => {
  let n = 0;
  for (let i = 0; i < line && i < lines.length; i++) n += lines[i].length + 1;
  return n + column;
};

/** Applies non-overlapping edits to a text (0-based line/column positions of that text). */
export function applyEdits(text: string, edits: readonly Fix['edits'][number][]): string {
  const lines = text.split('\n');
  const at = (p: { line: number; column: number }) => offsetOf(lines, p.line, p.column);
  const sorted = [...edits].sort((a, b) => at(b.range.start) - at(a.range.start) || at(b.range.end) - at(a.range.end));
  let out = text;
  for (const e of sorted) out = out.slice(0, at(e.range.start)) + e.newText + out.slice(at(e.range.end));
  return out;
}

const before = (a: { line: number; column: number }, b: { line: number; column: number }) => a.line < b.line || (a.line === b.line && a.column <= b.column);

/**
 * Which fixes go first when two overlap: the ones that restructure (fusion merges kernels
 * that the others would rewrite one by one, and the fused kernel can be vectorized next),
 * then tiling, then the rest in the order given.
 */
const FIRST = ['fusion/', 'tiling/'];
const rank = (rule: string | undefined) => {
  const i = FIRST.findIndex((p) => rule?.startsWith(p));
  return i < 0 ? FIRST.length : i;
};

/**
 * The fixes that apply together without a user's choice (`source.fixAll`, `kernel-advisor
 * fix`): each finding's preferred fix when it is `safe`, skipping any whose edits overlap
 * one already taken (the next run offers it again on the rewritten code).
 */
export function fixAllEdits(outcomes: readonly (FixOutcome & { rule?: string })[], includeUnsafe = false): { fixes: Fix[]; edits: Fix['edits'] } {
  const taken: Fix[] = [];
  const edits: Fix['edits'] = [];
  const ordered = outcomes.map((o, i) => ({ o, i })).sort((a, b) => rank(a.o.rule) - rank(b.o.rule) || a.i - b.i).map((x) => x.o);
  for (const o of ordered) {
    const fix = o.fixes[0];
    if (!fix || (!fix.safe && !includeUnsafe)) continue;
    const clash = fix.edits.some((e) => edits.some((t) => !(before(e.range.end, t.range.start) || before(t.range.end, e.range.start)) || (sameRange(e.range, t.range))));
    if (clash) continue;
    taken.push(fix);
    edits.push(...fix.edits);
  }
  return { fixes: taken, edits };
}

const sameRange = (a: Range, b: Range) => a.start.line === b.start.line && a.start.column === b.start.column && a.end.line === b.end.line && a.end.column === b.end.column;
