// Where a kernel hands out its elements, for vectorization/packed-half's fixer: one element
// per thread (`i = blockIdx.x * blockDim.x + threadIdx.x` under `if (i < n)` or after
// `if (i >= n) return;`), a grid-stride or block-stride loop, or a loop a thread runs over a
// row; with the kernel's parameters and locals by name, so that an index read through a
// local constant (`const int tid = ...`) is still seen for what it is.
import type { FunctionFacts } from '../../../core/facts/model';
import type { SyntaxNode } from '../../../core/mirror';
import { nodeRange } from '../../../core/syntax';
import { bare, intLiteral, isBuiltin, isGlobalIndex, isGridStride, isIndexType, operatorOf, refuse } from './fix-expr';
import { statementsOf, unparen } from '../../common/fix-syntax';

/** Where the elements are handed out. */
export interface Site {
  kind: 'guard' | 'return' | 'grid' | 'block' | 'row';
  /** The element index. */
  e: string;
  /** Its declaration (the loop's initializer for loops) and the parts of it. */
  decl: SyntaxNode;
  typeNode: SyntaxNode;
  init: SyntaxNode;
  bound: SyntaxNode;
  /** The statements run for one element. */
  body: SyntaxNode[];
  /** The text replaced by the packed code: the guard or the loop, or (after a return guard) the statements. */
  from: SyntaxNode;
  to: SyntaxNode;
  loop?: SyntaxNode;
  stride?: SyntaxNode;
}

/** A parameter or local of the kernel, as the rewrite needs to know it. */
export interface Symbol {
  type: string;
  pointer: boolean;
  /** A `__restrict__` parameter: no other pointer reaches its memory. */
  restrict?: boolean;
  /** Declared as an array or more than once: not one value. */
  unclear?: boolean;
  node?: SyntaxNode;
  init?: SyntaxNode | null;
}

export const COMMENT_TYPES = new Set(['comment']);
/** The statements that are code, not comments. */
export const withoutComments = (nodes: SyntaxNode[]) => nodes.filter((s) => !COMMENT_TYPES.has(s.type));
/** Code in a reason, in backticks, on one line and cut at 60 characters. */
export const quote = (s: string) => '`' + (s.length > 60 ? s.slice(0, 57) + '...' : s).replace(/\s+/g, ' ') + '`';
export const firstLine = (n: SyntaxNode) => n.text.split('\n')[0].trim();
export const identifiersIn = (n: SyntaxNode): SyntaxNode[] => (n.type === 'identifier' ? [n] : n.descendantsOfType('identifier'));

/** The name a declarator declares, whether through a pointer, and whether it is an array. */
export function declared(d: SyntaxNode): { name: string; pointer: boolean; array: boolean; init: SyntaxNode | null } | null {
  let init: SyntaxNode | null = null;
  if (d.type === 'init_declarator') {
    init = d.childForFieldName('value');
    d = d.childForFieldName('declarator')!;
  }
  let pointer = false;
  let array = false;
  while (d && d.type !== 'identifier') {
    if (d.type === 'pointer_declarator') pointer = true;
    else if (d.type === 'array_declarator') array = true;
    else if (d.type !== 'reference_declarator' && d.type !== 'parenthesized_declarator') return null;
    d = d.childForFieldName('declarator') ?? d.namedChildren[d.namedChildren.length - 1];
  }
  return d ? { name: d.text, pointer, array, init } : null;
}

/** Parameters and locals of a function by name. */
export function symbolsOf(fn: FunctionFacts, def: SyntaxNode): Map<string, Symbol> {
  const out = new Map<string, Symbol>();
  for (const p of fn.params) out.set(p.name, { type: p.type, pointer: p.pointer, restrict: p.restrict });
  for (const decl of def.descendantsOfType('declaration')) {
    const type = decl.childForFieldName('type')?.text ?? '';
    for (const d of decl.childrenForFieldName('declarator')) {
      const one = declared(d);
      if (!one) continue;
      const seen = out.get(one.name);
      out.set(one.name, seen ? { ...seen, unclear: true } : { type, pointer: one.pointer, unclear: one.array, node: decl, init: one.init });
    }
  }
  return out;
}

/** Names assigned or incremented anywhere in `n`. */
export function assignedNames(n: SyntaxNode): Set<string> {
  const out = new Set<string>();
  for (const a of n.descendantsOfType(['assignment_expression', 'update_expression'])) {
    const target = a.type === 'assignment_expression' ? a.childForFieldName('left') : a.childForFieldName('argument');
    if (target?.type === 'identifier') out.add(target.text);
  }
  return out;
}

/** Following a local constant to its value (`for (int i = tid; ...)` with `const int tid = ...`). */
export function resolve(n: SyntaxNode, symbols: Map<string, Symbol>, assigned: Set<string>): SyntaxNode {
  const b = bare(n);
  if (b.type !== 'identifier') return n;
  const s = symbols.get(b.text);
  return s && !s.unclear && !s.pointer && s.init && !assigned.has(b.text) ? s.init : n;
}

/** A for loop that hands out elements, or null. */
export function matchLoop(loop: SyntaxNode, symbols: Map<string, Symbol>, assigned: Set<string>): Site | null {
  const decl = loop.childForFieldName('initializer');
  const cond = loop.childForFieldName('condition');
  const update = loop.childForFieldName('update');
  const body = loop.childForFieldName('body');
  if (!decl || decl.type !== 'declaration' || !cond || !update || !body) return null;
  const ds = decl.childrenForFieldName('declarator');
  const one = ds.length === 1 ? declared(ds[0]) : null;
  const typeNode = decl.childForFieldName('type');
  if (!one || one.pointer || one.array || !one.init || !typeNode || !isIndexType(typeNode.text)) return null;
  const e = one.name;
  const c = unparen(cond);
  if (c.type !== 'binary_expression' || operatorOf(c) !== '<' || c.childForFieldName('left')?.text !== e) return null;
  const bound = c.childForFieldName('right')!;
  let stride: SyntaxNode | null = null;
  let unit = false;
  if (update.type === 'update_expression' && operatorOf(update) === '++' && update.childForFieldName('argument')?.text === e) unit = true;
  else if (update.type === 'assignment_expression' && operatorOf(update) === '+=' && update.childForFieldName('left')?.text === e) {
    stride = update.childForFieldName('right');
    unit = intLiteral(stride!) === 1;
  } else return null;
  const init = resolve(one.init, symbols, assigned);
  const base = { e, decl, typeNode, init: one.init, bound, body: statementsOf(body), from: loop, to: loop, loop, stride: stride ?? undefined };
  if (unit && intLiteral(bare(init)) === 0) return { kind: 'row', ...base };
  if (!stride) return null;
  const s = resolve(stride, symbols, assigned);
  if (isGlobalIndex(init) && isGridStride(s)) return { kind: 'grid', ...base };
  if (isBuiltin(init, 'threadIdx', 'x') && isBuiltin(s, 'blockDim', 'x')) return { kind: 'block', ...base };
  return null;
}

export const mentions = (n: SyntaxNode, name: string) => identifiersIn(n).some((i) => i.text === name);

/** One element per thread: `T i = blockIdx.x * blockDim.x + threadIdx.x;` then `if (i < n) ...` or `if (i >= n) return;`. */
export function matchGuard(fnBody: SyntaxNode, symbols: Map<string, Symbol>, assigned: Set<string>): Site | null {
  const stmts = fnBody.namedChildren;
  for (let at = 0; at < stmts.length; at++) {
    const decl = stmts[at];
    if (decl.type !== 'declaration') continue;
    const ds = decl.childrenForFieldName('declarator');
    const one = ds.length === 1 ? declared(ds[0]) : null;
    const typeNode = decl.childForFieldName('type');
    if (!one || one.pointer || one.array || !one.init || !typeNode || !isIndexType(typeNode.text)) continue;
    if (!isGlobalIndex(resolve(one.init, symbols, assigned))) continue;
    const e = one.name;
    if (assigned.has(e)) refuse(`\`${e}\` changes after it is computed`);
    const rest = stmts.slice(at + 1);
    const first = rest.findIndex((s) => mentions(s, e));
    if (first < 0) return null;
    const guard = rest[first];
    const after = withoutComments(rest.slice(first + 1));
    if (guard.type !== 'if_statement') refuse(`the kernel uses \`${e}\` before guarding it (${quote(firstLine(guard))})`);
    if (guard.childForFieldName('alternative')) refuse(`the guard ${quote(firstLine(guard))} has an else branch`);
    const cond = unparen(guard.childForFieldName('condition')?.childForFieldName('value') ?? guard);
    const op = operatorOf(cond);
    const l = cond.childForFieldName('left');
    const r = cond.childForFieldName('right');
    if (cond.type !== 'binary_expression' || !l || !r) return refuse(`the guard ${quote(firstLine(guard))} is not \`${e} < n\``);
    const consequence = guard.childForFieldName('consequence')!;
    const base = { e, decl, typeNode, init: one.init };
    if (op === '<' && l.text === e && !mentions(r, e)) {
      if (after.length) refuse(`statements follow the guard \`if (${cond.text})\``);
      return { kind: 'guard', ...base, bound: r, body: statementsOf(consequence), from: guard, to: guard };
    }
    const returns = withoutComments(statementsOf(consequence));
    const isReturn = returns.length === 1 && returns[0].type === 'return_statement' && returns[0].namedChildren.length === 0;
    if (isReturn && ((op === '>=' && l.text === e && !mentions(r, e)) || (op === '<=' && r.text === e && !mentions(l, e)))) {
      if (!after.length) return null;
      return { kind: 'return', ...base, bound: op === '>=' ? r : l, body: rest.slice(first + 1), from: rest[first + 1], to: rest[rest.length - 1] };
    }
    return refuse(`the guard ${quote(firstLine(guard))} is not \`${e} < n\``);
  }
  return null;
}

export const inside = (outer: SyntaxNode, r: { start: { line: number; column: number }; end: { line: number; column: number } }) => {
  const o = nodeRange(outer);
  const le = (a: { line: number; column: number }, b: { line: number; column: number }) => a.line < b.line || (a.line === b.line && a.column <= b.column);
  return le(o.start, r.start) && le(r.end, o.end);
};
