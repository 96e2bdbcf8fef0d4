// Syntax helpers shared by the fixers (rules never read syntax; fixers, which write code,
// do): positions and ranges of nodes, text as messages and generated code write it, edits
// (lines inserted above a statement at its indentation), the smallest node over a range,
// parentheses, the bounds an `if` compares an index with, Python keyword arguments, local
// declarations and assignments. The launches of a kernel and their `dim3` shapes are in
// fix-launches.ts.
import type { FixContext } from '../../core/fix';
import type { FunctionFacts } from '../../core/facts/model';
import type { SyntaxNode } from '../../core/mirror';
import type { Position, Range, TextEdit } from '../../core/types';
import { nodeRange } from '../../core/syntax';

// ---------------------------------------------------------------------------------------
// Positions, ranges and text

/** The range of a node (one home: core/syntax). */
export { nodeRange };
/** The empty range at a position: where an insertion goes. */
export const at = (line: number, column: number): Range => ({ start: { line, column }, end: { line, column } });
/** Is position `a` after `b`? */
export const after = (a: Position, b: Position): boolean => a.line > b.line || (a.line === b.line && a.column > b.column);
export const samePos = (a: Position, b: Position): boolean => a.line === b.line && a.column === b.column;
export const sameRange = (a: Range, b: Range): boolean =>
  a.start.line === b.start.line && a.start.column === b.start.column && a.end.line === b.end.line && a.end.column === b.end.column;
/** Is `inner` inside `outer` (or the same node)? */
export const within = (inner: SyntaxNode, outer: SyntaxNode): boolean => inner.startIndex >= outer.startIndex && inner.endIndex <= outer.endIndex;
/** Text without spaces, for comparing expressions as written (`N + 31` and `N+31`). */
export const compact = (s: string): string => s.replace(/\s+/g, '');
/** Text that can stand as a factor or operand without parentheses. */
export const atomic = (t: string): string => (/^[\w.]+$/.test(t.trim()) ? t.trim() : `(${t.trim()})`);
/** A name or an expression in a message, in backticks. */
export const code = (t: string): string => `\`${t}\``;
/** A macro that checks a status (`CUDA_CHECK(...)`, `CUBLAS_CHECK(...)`): calls a fix adds use it too. */
export const CHECK_MACRO = /^[A-Z][A-Z0-9_]*$/;
/** The leading whitespace of a line. */
export const indentOf = (line: string): string => /^\s*/.exec(line)![0];

// ---------------------------------------------------------------------------------------
// Edits

export const replace = (n: SyntaxNode, newText: string): TextEdit => ({ range: nodeRange(n), newText });
/** Drops edits with the same range and text (two launches sharing one `dim3` declaration). */
export function uniqueEdits(edits: TextEdit[]): TextEdit[] {
  const out: TextEdit[] = [];
  for (const e of edits) if (!out.some((o) => sameRange(o.range, e.range) && o.newText === e.newText)) out.push(e);
  return out;
}

/**
 * Lines inserted above a statement, each at the statement's indentation (a comment, a call
 * the fix adds), or null when the statement does not start its line.
 */
export function linesAbove(ctx: FixContext, stmt: SyntaxNode, lines: string[]): TextEdit | null {
  const { row, column } = stmt.startPosition;
  const line = ctx.lines[row] ?? '';
  if (line.slice(0, column).trim() !== '') return null;
  const indent = indentOf(line);
  return { range: at(row, 0), newText: lines.map((l) => `${indent}${l}\n`).join('') };
}

// ---------------------------------------------------------------------------------------
// Nodes

/**
 * The smallest node of one of `types` under `root` that covers `range` (ctx.node copies only
 * the node it finds, without its parents: look things up inside the function's copy).
 */
export function nodeIn(root: SyntaxNode, range: Range, types: readonly string[]): SyntaxNode | null {
  const covers = (n: SyntaxNode) =>
    !after({ line: n.startPosition.row, column: n.startPosition.column }, range.start) && !after(range.end, { line: n.endPosition.row, column: n.endPosition.column });
  let best: SyntaxNode | null = null;
  for (let n: SyntaxNode | undefined = root; n; ) {
    if (types.includes(n.type)) best = n;
    n = n.children.find(covers);
  }
  return best;
}

/** `(x)` -> `x`, as often as it is wrapped. */
export function unparen(n: SyntaxNode): SyntaxNode {
  while (n.type === 'parenthesized_expression' && n.namedChildCount === 1) n = n.namedChildren[0];
  return n;
}

/** The statements of a block, or the one statement. */
export const statementsOf = (s: SyntaxNode): SyntaxNode[] => (s.type === 'compound_statement' ? s.namedChildren : [s]);

/** The bound in `index < bound` (or `bound > index`), parentheses aside: what a guard keeps the index under. */
export const upperBound = (cond: SyntaxNode | null, index: string): SyntaxNode | null => comparedWith(cond, index, '<', '>');
/** The bound in `index >= bound` (or `bound <= index`): what an early exit says the index is past. */
export const pastBound = (cond: SyntaxNode | null, index: string): SyntaxNode | null => comparedWith(cond, index, '>=', '<=');
function comparedWith(cond: SyntaxNode | null, index: string, op: string, flipped: string): SyntaxNode | null {
  const c = cond && unparen(cond);
  if (!c || c.type !== 'binary_expression') return null;
  const l = c.childForFieldName('left');
  const r = c.childForFieldName('right');
  const o = c.childForFieldName('operator')?.text;
  if (!l || !r) return null;
  if (o === op && unparen(l).text === index) return r;
  if (o === flipped && unparen(r).text === index) return l;
  return null;
}

/** A Python call's keyword arguments (`num_stages=3`): name, the whole argument and its value. */
export interface KeywordArg {
  name: string;
  node: SyntaxNode;
  value: SyntaxNode;
}
export function keywordArgs(call: SyntaxNode): KeywordArg[] {
  const out: KeywordArg[] = [];
  for (const a of call.childForFieldName('arguments')?.namedChildren ?? []) {
    if (a.type !== 'keyword_argument') continue;
    const name = a.childForFieldName('name')?.text;
    const value = a.childForFieldName('value');
    if (name && value) out.push({ name, node: a, value });
  }
  return out;
}

/** The definition of a function of the facts. */
export const functionNode = (ctx: FixContext, fn: FunctionFacts): SyntaxNode | null => ctx.node(fn.range, ['function_definition']);

/** The identifiers named `name` under a node (not fields: `block.x` counts `block`, not `x`). */
export const identifiers = (n: SyntaxNode, name: string): SyntaxNode[] => n.descendantsOfType(['identifier', 'type_identifier']).filter((i) => i.text === name);

/** The one `name = value` of a declaration with a single declarator (`int i = ...;`), else null. */
export function singleInit(d: SyntaxNode): { declarator: SyntaxNode; name: SyntaxNode; value: SyntaxNode } | null {
  if (d.type !== 'declaration') return null;
  const decls = d.childrenForFieldName('declarator');
  if (decls.length !== 1 || decls[0].type !== 'init_declarator') return null;
  const name = decls[0].childForFieldName('declarator');
  const value = decls[0].childForFieldName('value');
  if (name?.type !== 'identifier' || !value) return null;
  return { declarator: decls[0], name, value };
}

/** The local declaration of `name` in a function body: the declaration, its declarator and initializer. */
export interface LocalDecl {
  decl: SyntaxNode;
  declarator: SyntaxNode;
  /** The initializer: an expression, or the `(...)` / `{...}` of a constructor. */
  value: SyntaxNode | null;
  type: string;
}
export function localDecls(body: SyntaxNode, name: string): LocalDecl[] {
  const out: LocalDecl[] = [];
  for (const d of body.descendantsOfType('declaration')) {
    for (const c of d.childrenForFieldName('declarator')) {
      const init = c.type === 'init_declarator' ? c : null;
      let target = init ? init.childForFieldName('declarator') : c;
      while (target && (target.type === 'pointer_declarator' || target.type === 'reference_declarator')) target = target.childForFieldName('declarator') ?? target.namedChildren[target.namedChildCount - 1] ?? null;
      // `dim3 block(BLOCK, BLOCK);` parses as a function declaration: its "parameters" are the components
      const vexing = !init && target?.type === 'function_declarator' ? target : null;
      if (vexing) target = vexing.childForFieldName('declarator');
      if (target?.type !== 'identifier' || target.text !== name) continue;
      const value = init?.childForFieldName('value') ?? vexing?.childForFieldName('parameters') ?? null;
      out.push({ decl: d, declarator: c, value, type: d.childForFieldName('type')?.text ?? '' });
    }
  }
  return out;
}

/** Is `name` assigned anywhere but its declaration (`x = ...`, `x += ...`, `++x`)? */
export function reassigned(body: SyntaxNode, name: string): boolean {
  for (const a of body.descendantsOfType(['assignment_expression', 'update_expression'])) {
    const target = a.type === 'assignment_expression' ? a.childForFieldName('left') : a.childForFieldName('argument');
    if (target && unparen(target).type === 'identifier' && unparen(target).text === name) return true;
  }
  return false;
}

/** The factors of a product as written, through parentheses (`2 * (Bc * d) * sizeof(float)` -> 2, Bc, d, sizeof(float)). */
export function factors(n: SyntaxNode): SyntaxNode[] {
  n = unparen(n);
  if (n.type === 'binary_expression' && n.childForFieldName('operator')?.type === '*') {
    return [...factors(n.childForFieldName('left')!), ...factors(n.childForFieldName('right')!)];
  }
  return [n];
}

