// The accumulator and the store of a GEMM kernel: `acc += A(..) * B(..)` (or `acc = fmaf(..)`)
// in the k loop, the accumulator a float local from zero, and the store after the loop
// (`C[..] = alpha * acc + beta * C[..]`, `+=`, simple epilogues) as a Store the new kernel
// writes over its own accumulator.
import type { FixContext } from '../../../core/fix';
import type { AccessFact } from '../../../core/facts/model';
import type { SyntaxNode } from '../../../core/mirror';
import type { Range } from '../../../core/types';
import { bare, parseExpr, type Expr } from './fix-expr';
import { compact, nodeRange, samePos } from '../../common/fix-syntax';
import { code, inside, offsetOf, positionAt, refuse, type Store } from './fix-gemm-spec';
import type { KernelScope } from './fix-gemm-scope';
import { positionBefore } from '../../../core/positions';

export const FMA = new Set(['fmaf', '__fmaf_rn', 'fma']);
export const EPILOGUE_CALLS = new Set(['fmaxf', 'fminf', 'fabsf', 'max', 'min']);

/** `acc += x * y`, `acc = acc + x * y`, `acc = fmaf(x, y, acc)`: the accumulator and the two factors (statement-relative expressions). */
export function accumulate(stmt: SyntaxNode): { acc: string; x: Expr; y: Expr; text: string } | null {
  if (stmt.type !== 'expression_statement') return null;
  const text = stmt.text.replace(/;\s*$/, '');
  // the reader has no assignment: split it by hand
  const m = /^\s*([A-Za-z_]\w*)\s*(\+=|=)([\s\S]*)$/.exec(text);
  if (!m) return null;
  const acc = m[1];
  const rhsOffset = text.length - m[3].length;
  const rhs = parseExpr(m[3]);
  if (!rhs) return null;
  const shift = (x: Expr): Expr => shiftExpr(x, rhsOffset);
  const r = bare(rhs);
  const product = (p: Expr): { x: Expr; y: Expr } | null => {
    const b = bare(p);
    return b.k === 'binary' && b.op === '*' ? { x: shift(b.l), y: shift(b.r) } : null;
  };
  if (m[2] === '+=') {
    const p = product(r);
    return p ? { acc, ...p, text } : null;
  }
  if (r.k === 'binary' && r.op === '+') {
    const l = bare(r.l);
    const rr = bare(r.r);
    if (l.k === 'id' && l.name === acc) {
      const p = product(rr);
      return p ? { acc, ...p, text } : null;
    }
    if (rr.k === 'id' && rr.name === acc) {
      const p = product(l);
      return p ? { acc, ...p, text } : null;
    }
    return null;
  }
  if (r.k === 'call') {
    const f = bare(r.fn);
    const last = r.args[2] ? bare(r.args[2]) : null;
    if (f.k === 'id' && FMA.has(f.name) && r.args.length === 3 && last?.k === 'id' && last.name === acc) return { acc, x: shift(r.args[0]), y: shift(r.args[1]), text };
  }
  return null;
}

function shiftExpr<T extends Expr>(x: T, by: number): T {
  const out: any = { ...x, s: x.s + by, e: x.e + by };
  for (const key of ['obj', 'fn', 'index', 'x', 'l', 'r', 'c', 't', 'f'] as const) if ((x as any)[key]) out[key] = shiftExpr((x as any)[key], by);
  if ((x as any).args) out.args = (x as any).args.map((a: Expr) => shiftExpr(a, by));
  return out;
}

/** Does this factor (text relative to `stmt`) read exactly `access`? */
export function readsAccess(ctx: FixContext, stmt: SyntaxNode, x: Expr, access: AccessFact): boolean {
  const b = bare(x);
  const start = positionAt(ctx, stmt.startIndex + b.s);
  const end = positionAt(ctx, stmt.startIndex + b.e);
  return samePos(start, access.range.start) && samePos(end, access.range.end);
}

/** The accumulator's declaration: a float local, declared once, starting from zero, assigned only in `update`. */
export function checkAccumulator(scope: KernelScope, acc: string, update: SyntaxNode, before: Range): void {
  const decl = scope.localDecl(acc);
  if (!decl) refuse(`the accumulator ${code(acc)} is not a local declared once`);
  const type = scope.localType(acc)!.replace(/\b(const|register)\b/g, '').trim();
  if (type !== 'float') refuse(`the sum is accumulated in ${code(type)}, not \`float\``);
  if (!decl!.value || bare(decl!.value).k !== 'num' || (bare(decl!.value) as { value: number }).value !== 0)
    refuse(decl!.value ? `the sum starts from ${code(textOfDecl(scope, acc))}, not 0` : `the accumulator ${code(acc)} starts undefined`);
  if (!positionBefore(decl!.at.start, before.start)) refuse(`the accumulator ${code(acc)} is declared inside the loop`);
  const body = scope.def.childForFieldName('body')!;
  for (const a of body.descendantsOfType(['assignment_expression', 'update_expression'])) {
    const target = a.childForFieldName(a.type === 'assignment_expression' ? 'left' : 'argument');
    if (target?.type === 'identifier' && target.text === acc && !inside(nodeRange(a), nodeRange(update))) refuse(`${code(acc)} is also changed by ${code(a.text)}`);
  }
}

function textOfDecl(scope: KernelScope, acc: string): string {
  const body = scope.def.childForFieldName('body')!;
  for (const d of body.descendantsOfType('init_declarator')) if (d.childForFieldName('declarator')?.text === acc) return d.childForFieldName('value')?.text ?? acc;
  return acc;
}

/**
 * The store statement: `C[idx] = rhs` (or `+=`, `-=`) where rhs reads only the accumulator,
 * scalar parameters, constants, the old value of the same C element and a few math functions.
 */
export function storeOf(ctx: FixContext, scope: KernelScope, store: AccessFact, acc: string): Store {
  const stmt = ctx.node(store.range, ['expression_statement']);
  const text = stmt?.text.replace(/;\s*$/, '') ?? '';
  const lhsLen = offsetOf(ctx, store.range.end) - (stmt ? stmt.startIndex : 0);
  if (!stmt || !samePos({ line: stmt.startPosition.row, column: stmt.startPosition.column }, store.range.start)) refuse(`the store ${code(store.text)} is not a statement of its own`);
  const m = /^\s*(=|\+=|-=)([\s\S]*)$/.exec(text.slice(lhsLen));
  if (!m) refuse(`the store ${code(text)} is not \`C[...] = value\``);
  const rhs = parseExpr(m![2]);
  if (!rhs) refuse(`the stored value ${code(m![2])} is not an expression the fix reads`);
  const olds = scope.fn.accesses.filter((a) => a.array === store.array && a.kind === 'load' && a.indices.length === 1 && a.indices[0].equals(store.indices[0]));
  const oldTexts = new Set(olds.map((a) => compact(a.text)));
  const spans: { s: number; e: number; what: 'acc' | 'old' }[] = [];
  const rhsText = m![2];
  const walk = (e: Expr): void => {
    switch (e.k) {
      case 'num':
        return;
      case 'id':
        if (e.name === acc) spans.push({ s: e.s, e: e.e, what: 'acc' });
        else if (!scope.scalarParams.has(e.name) && !scope.constants.has(e.name)) refuse(`the stored value uses ${code(e.name)}, which the new kernel would not have`);
        return;
      case 'index':
      case 'call':
        if (oldTexts.has(compact(rhsText.slice(e.s, e.e)))) {
          spans.push({ s: e.s, e: e.e, what: 'old' });
          return;
        }
        if (e.k === 'call' && e.fn.k === 'id' && EPILOGUE_CALLS.has(e.fn.name)) {
          e.args.forEach(walk);
          return;
        }
        return refuse(`the stored value reads ${code(rhsText.slice(e.s, e.e))}`);
      case 'unary':
        if (e.op !== '-' && e.op !== '+') refuse(`the stored value ${code(rhsText)} is not plain arithmetic`);
        return walk(e.x);
      case 'binary':
        if (!['+', '-', '*', '/'].includes(e.op)) refuse(`the stored value ${code(rhsText)} is not plain arithmetic`);
        walk(e.l);
        walk(e.r);
        return;
      case 'paren':
        return walk(e.x);
      case 'cast':
        if (!/^(const\s+)?float$/.test(e.type.trim())) refuse(`the stored value converts to ${code(e.type)}`);
        return walk(e.x);
      default:
        refuse(`the stored value ${code(rhsText)} is not plain arithmetic`);
    }
  };
  walk(rhs!);
  if (!spans.some((s) => s.what === 'acc')) refuse(`the stored value ${code(rhsText)} does not use the sum ${code(acc)}`);
  const op = m![1] as Store['op'];
  const trimmed = rhsText.trim();
  const lead = rhsText.length - rhsText.trimStart().length;
  return {
    op,
    render(accText: string, old: string): string {
      let out = '';
      let at = lead;
      for (const s of [...spans].sort((x, y) => x.s - y.s)) {
        out += rhsText.slice(at, s.s) + (s.what === 'acc' ? accText : old);
        at = s.e;
      }
      out += rhsText.slice(at, lead + trimmed.length);
      return out.replace(/\s+/g, ' ').trim();
    },
  };
}
