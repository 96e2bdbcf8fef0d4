// Facts of `@triton.jit` kernels: index forms over program ids, lanes and loop symbols.
import type { SyntaxNode as Node } from '../../mirror';
import { Poly, isVarying } from '../../affine';
import { field, nodeRange, walk } from '../../syntax';
import { tick } from '../../budget';
import { branchId, type AccessFact, type CallFact, type CompileTimeGuard, type FunctionFacts, type KernelClass, type LoopFact, type ParamFact } from '../model';
import { compact, children, namedChildren, resolveName, tlFunction, isModulePath, unparen, plainName, argRoot, argumentNodes, keywordFacts, headerRange, paramFacts } from './common';
import { loopReads, twoOperands } from '../classify';

export interface Shape {
  /** Number of block axes (0 for a scalar). */
  rank: number;
  /** Lane symbol -> the axis it lies on. */
  axes: Map<string, number>;
}
export type IntVal = { kind: 'int'; poly: Poly } & Shape;
export type PtrVal = { kind: 'ptr'; base: string; offset: Poly; tentative: boolean } & Shape;
export type Val =
  | IntVal
  | PtrVal
  /** A kernel parameter not yet known to be a pointer or an integer. */
  | { kind: 'param'; name: string }
  /** Loaded or computed data; `uniform` when it is the same for every lane (a scalar load). */
  | { kind: 'data'; uniform: boolean; opaque?: Poly };

export const SCALAR: Shape = { rank: 0, axes: new Map() };
export const int = (poly: Poly, shape: Shape = SCALAR): IntVal => ({ kind: 'int', poly, rank: shape.rank, axes: shape.axes });
export const UNKNOWN_INT = int(Poly.unknown);
export const DATA: Val = { kind: 'data', uniform: false };
export const DATA_UNIFORM: Val = { kind: 'data', uniform: true };

/** Broadcasts two block shapes (aligned on the right, as Triton does); null on a lane clash. */
export function broadcast(a: Shape, b: Shape): Shape | null {
  const rank = Math.max(a.rank, b.rank);
  const axes = new Map<string, number>();
  for (const [s, ax] of a.axes) axes.set(s, ax + rank - a.rank);
  for (const [s, ax] of b.axes) {
    const v = ax + rank - b.rank;
    const prev = axes.get(s);
    if (prev !== undefined && prev !== v) return null;
    axes.set(s, v);
  }
  return { rank, axes };
}

export const MATH_FUNCTIONS = new Set([
  'exp', 'exp2', 'log', 'log2', 'log1p', 'expm1', 'sqrt', 'sqrt_rn', 'rsqrt', 'sin', 'cos', 'tan', 'tanh', 'sigmoid',
  'erf', 'pow', 'fdiv', 'div_rn', 'fast_expf', 'fast_dividef', 'softmax', 'cosh', 'sinh', 'atan', 'asin', 'acos',
]);
export const REDUCTIONS = new Set(['sum', 'max', 'min', 'argmax', 'argmin', 'reduce', 'xor_sum', 'cumsum', 'cumprod', 'associative_scan', 'histogram']);
export const DOTS = new Set(['dot', 'dot_scaled']);
export const HINTS = new Set(['multiple_of', 'max_contiguous', 'max_constancy', 'assume']);
export const RANGE_CALLS = new Set(['range', 'tl.range', 'triton.language.range', 'tl.static_range', 'triton.language.static_range', 'static_range']);

/** Ints that appear as operands here are integers, never pointers. */
export const INT_OPERATORS = new Set(['*', '/', '//', '%', '<<', '>>']);

export function mathName(tl: string): string | null {
  const last = tl.split('.').pop() ?? '';
  return MATH_FUNCTIONS.has(last) ? last : null;
}

export class KernelWalker {
  private env = new Map<string, Val>();
  private readonly params = new Map<string, ParamFact>();
  private readonly intEvidence = new Set<string>();
  private loopStack: number[] = [];
  private nextLoopId = 0;
  /** The if/else arms around the statement being read (branchId), for the loops' scopes; and the ifs so far. */
  private branches: number[] = [];
  private nextIf = 0;
  private laneCount = 0;
  private silent = 0;
  private readonly pidSymbols = new Map<number, string>();
  /** Lane symbol -> the `tl.arange(...)` it came from, whitespace removed. */
  readonly laneOrigin = new Map<string, string>();
  readonly loops: LoopFact[] = [];
  readonly accesses: AccessFact[] = [];
  readonly calls: CallFact[] = [];
  readonly pointerParams = new Set<string>();
  arithmetic = 0;
  indexBound: string | null = null;
  /** A parameter each tile axis's offsets are compared with (a 2-D tile's `off_y < N1` and `off_x < N0`). */
  readonly indexBounds: string[] = [];
  /** The lane symbols (`tl.arange` axes) those bounds test. */
  private readonly boundLanes = new Set<string>();
  dots = 0;
  reductions = 0;

  constructor(
    params: ParamFact[],
    private readonly aliases: Map<string, string>,
    private readonly lines: string[],
    body: Node,
  ) {
    for (const p of params) this.params.set(p.name, p);
    this.collectIntEvidence(body);
  }

  /** Parameters used as operands of `*`, `//`, comparisons, `range()`: integers. */
  private collectIntEvidence(body: Node): void {
    const note = (n: Node | null) => {
      const name = plainName(n);
      if (name) this.intEvidence.add(name);
    };
    for (const n of body.descendantsOfType(['binary_operator', 'comparison_operator', 'call'])) {
      if (n.type === 'binary_operator') {
        if (INT_OPERATORS.has(field(n, 'operator')?.text ?? '')) {
          note(field(n, 'left'));
          note(field(n, 'right'));
        }
      } else if (n.type === 'comparison_operator') {
        const ops = children(n).filter((c) => !c.isNamed).map((c) => c.text);
        if (ops.every((o) => ['<', '<=', '>', '>='].includes(o))) for (const c of namedChildren(n)) note(c);
      } else {
        const fn = compact(field(n, 'function')?.text ?? '');
        const q = resolveName(fn, this.aliases);
        if (RANGE_CALLS.has(fn) || RANGE_CALLS.has(q) || /(^|\.)(arange|cdiv)$/.test(q) || fn === 'min' || fn === 'max') {
          for (const a of argumentNodes(n).positional) note(a);
        }
      }
    }
  }

  private role(name: string): 'ptr' | 'int' | 'unknown' {
    const p = this.params.get(name);
    if (!p) return 'int';
    if (p.constexpr) return 'int';
    if (/ptr/i.test(name)) return 'ptr';
    if (this.intEvidence.has(name)) return 'int';
    return 'unknown';
  }

  // ---- values ------------------------------------------------------------------

  private lookup(name: string): Val {
    const v = this.env.get(name);
    if (v) return v;
    if (this.params.has(name)) {
      const role = this.role(name);
      if (role === 'int') return int(Poly.sym(name));
      if (role === 'ptr') return { kind: 'ptr', base: name, offset: Poly.const(0), tentative: false, ...SCALAR };
      return { kind: 'param', name };
    }
    return int(Poly.sym(name)); // a module-level constant or a builtin: uniform
  }

  private toInt(v: Val): IntVal {
    switch (v.kind) {
      case 'int':
        return v;
      case 'param':
        return int(Poly.sym(v.name));
      case 'ptr':
        return v.tentative ? int(Poly.sym(v.base).add(v.offset), v) : UNKNOWN_INT;
      case 'data':
        return v.opaque ? int(v.opaque) : UNKNOWN_INT;
    }
  }

  private asPtr(v: Val): PtrVal | null {
    if (v.kind === 'ptr') return v;
    if (v.kind === 'param') return { kind: 'ptr', base: v.name, offset: Poly.const(0), tentative: true, ...SCALAR };
    return null;
  }

  /** 'def' for a known pointer, 'tent' for a parameter that may be one, else null. */
  private ptrness(v: Val): 'def' | 'tent' | null {
    if (v.kind === 'ptr') return v.tentative ? 'tent' : 'def';
    if (v.kind === 'param') return 'tent';
    return null;
  }

  private isUniform(v: Val): boolean {
    if (v.kind === 'data') return v.uniform;
    if (v.kind === 'param') return true;
    const p = v.kind === 'int' ? v.poly : v.offset;
    return !p.unknown && !p.dependsOn(isVarying);
  }

  private opaque(n: Node, parts: Val[]): IntVal {
    return parts.every((p) => this.isUniform(p)) ? int(Poly.sym(compact(n.text).replace(/\*/g, '×'))) : UNKNOWN_INT;
  }

  eval(n: Node | null, hint?: string): Val {
    if (!n) return UNKNOWN_INT;
    tick();
    switch (n.type) {
      case 'integer': {
        const v = Number(n.text.replace(/_/g, ''));
        return Number.isSafeInteger(v) ? int(Poly.const(v)) : UNKNOWN_INT;
      }
      case 'float':
      case 'string':
      case 'concatenated_string':
      case 'true':
      case 'false':
      case 'none':
        return DATA_UNIFORM;
      case 'identifier':
        return this.lookup(n.text);
      case 'parenthesized_expression':
        return this.eval(unparen(n), hint);
      case 'binary_operator': {
        const a = this.eval(field(n, 'left'), hint);
        const b = this.eval(field(n, 'right'), hint);
        return this.combine(field(n, 'operator')?.text ?? '', a, b, n);
      }
      case 'unary_operator': {
        const op = field(n, 'operator')?.text;
        const a = this.eval(field(n, 'argument'), hint);
        if (a.kind === 'data') {
          if (op === '-') this.count(1);
          return a;
        }
        const i = this.toInt(a);
        if (op === '-') return { ...i, poly: i.poly.scale(-1) };
        if (op === '+') return i;
        return this.opaque(n, [a]);
      }
      case 'comparison_operator': {
        const parts = namedChildren(n).map((c) => this.eval(c));
        const ops = children(n).filter((c) => !c.isNamed).map((c) => c.text);
        if (parts.length === 2 && (ops[0] === '<' || ops[0] === '<=')) {
          const left = this.toInt(parts[0]);
          const right = plainName(namedChildren(n)[1]);
          if (right && this.params.has(right) && left.poly.dependsOn((s) => s.startsWith('#lane'))) {
            this.indexBound ??= right;
            // (one bound an axis of the tile: a 1-D kernel's second test of the same offsets, a concat's `offs < n_a`,
            // picks among its elements, it does not multiply them)
            const lanes = [...left.poly.symbols()].filter((x) => x.startsWith('#lane'));
            if (!this.indexBounds.includes(right) && !lanes.some((l) => this.boundLanes.has(l))) {
              this.indexBounds.push(right);
              for (const l of lanes) this.boundLanes.add(l);
            }
          }
        }
        return { kind: 'data', uniform: parts.every((p) => this.isUniform(p)) };
      }
      case 'boolean_operator':
      case 'not_operator': {
        const parts = namedChildren(n).map((c) => this.eval(c));
        return { kind: 'data', uniform: parts.every((p) => this.isUniform(p)) };
      }
      case 'subscript':
        return this.subscript(n, hint);
      case 'call':
        return this.call(n, hint);
      case 'attribute': {
        if (isModulePath(n, this.aliases)) return DATA_UNIFORM; // tl.float32
        const o = this.eval(field(n, 'object'));
        return { kind: 'data', uniform: this.isUniform(o) };
      }
      case 'conditional_expression': {
        const parts = namedChildren(n).map((c) => this.eval(c, hint));
        if (parts.length === 3 && parts[0].kind === 'int' && parts[2].kind === 'int' && parts[0].poly.equals(parts[2].poly)) return parts[0];
        if (parts.some((p) => p.kind === 'data')) return { kind: 'data', uniform: parts.every((p) => this.isUniform(p)) };
        return this.opaque(n, parts);
      }
      default:
        for (const c of namedChildren(n)) this.eval(c);
        return DATA;
    }
  }

  private count(k: number): void {
    if (!this.silent) this.arithmetic += k;
  }

  private combine(op: string, a: Val, b: Val, n: Node): Val {
    if (op === '+' || op === '-') {
      const pa = this.ptrness(a);
      const pb = this.ptrness(b);
      let ptrSide: 'a' | 'b' | null = null;
      if (pa === 'def') ptrSide = pb === 'def' ? null : 'a';
      else if (pb === 'def') ptrSide = op === '+' ? 'b' : null;
      else if (pa === 'tent') ptrSide = 'a';
      else if (pb === 'tent' && op === '+') ptrSide = 'b';
      if (pa === 'def' && pb === 'def') return UNKNOWN_INT; // pointer difference
      if (ptrSide) {
        const p = this.asPtr(ptrSide === 'a' ? a : b)!;
        const o = ptrSide === 'a' ? b : a;
        if (o.kind === 'data' && !o.opaque) return { ...p, offset: Poly.unknown };
        const off = this.toInt(o);
        const shape = broadcast(p, off);
        if (!shape) return { ...p, offset: Poly.unknown };
        return { ...p, ...shape, offset: op === '+' ? p.offset.add(off.poly) : p.offset.sub(off.poly) };
      }
    }
    if ((a.kind === 'data' && !a.opaque) || (b.kind === 'data' && !b.opaque)) {
      if (['+', '-', '*', '/', '//', '%', '**'].includes(op)) this.count(1);
      return { kind: 'data', uniform: this.isUniform(a) && this.isUniform(b) };
    }
    const x = this.toInt(a);
    const y = this.toInt(b);
    const shape = broadcast(x, y);
    if (!shape) return UNKNOWN_INT;
    const r = (poly: Poly): IntVal => int(poly, shape);
    switch (op) {
      case '+':
        return r(x.poly.add(y.poly));
      case '-':
        return r(x.poly.sub(y.poly));
      case '*':
        return r(x.poly.mul(y.poly));
      case '<<':
        if (y.poly.isConstant && y.poly.constant >= 0 && y.poly.constant < 31) return r(x.poly.scale(2 ** y.poly.constant));
        break;
      case '//':
        if (y.poly.isConstant) {
          const q = x.poly.divExact(y.poly.constant);
          if (q) return r(q);
        }
        break;
      case '>>':
        if (y.poly.isConstant && y.poly.constant >= 0 && y.poly.constant < 31) {
          const q = x.poly.divExact(2 ** y.poly.constant);
          if (q) return r(q);
        }
        break;
      case '/':
        this.count(1);
        return { kind: 'data', uniform: this.isUniform(a) && this.isUniform(b) }; // true division: a float
    }
    const o = this.opaque(n, [x, y]);
    return o.poly.unknown ? UNKNOWN_INT : int(o.poly, shape);
  }

  /** `x[:, None]`, `x[None, :]`: moves lanes onto the axes of a wider block. */
  private subscript(n: Node, hint?: string): Val {
    const v = this.eval(field(n, 'value'), hint);
    const valueId = field(n, 'value')?.id;
    const items = children(n).filter((c) => c.isNamed && c.id !== valueId && c.type !== 'comment');
    const reshape = items.every((c) => c.type === 'none' || (c.type === 'slice' && namedChildren(c).length === 0));
    if (!reshape || (v.kind !== 'int' && v.kind !== 'ptr')) {
      for (const c of items) this.eval(c);
      if (v.kind === 'data' || v.kind === 'param') return { kind: 'data', uniform: false };
      return v.kind === 'ptr' ? { ...v, offset: Poly.unknown } : UNKNOWN_INT;
    }
    const slices = items.filter((c) => c.type === 'slice').length;
    if (slices !== v.rank) return v.kind === 'ptr' ? { ...v, offset: Poly.unknown } : UNKNOWN_INT;
    const map: number[] = [];
    items.forEach((c, j) => {
      if (c.type === 'slice') map.push(j);
    });
    const axes = new Map<string, number>();
    for (const [s, ax] of v.axes) axes.set(s, map[ax]);
    return { ...v, rank: items.length, axes };
  }

  private call(n: Node, hint?: string): Val {
    const fn = field(n, 'function');
    if (!fn) return DATA;
    const { positional, keywords } = argumentNodes(n);
    const kw = new Map<string, Node>();
    for (const k of keywords) {
      const name = field(k, 'name')?.text;
      const v = field(k, 'value');
      if (name && v) kw.set(name, v);
    }
    const name = compact(fn.text);
    const qualified = resolveName(name, this.aliases);
    const tl = tlFunction(qualified) ?? programIdWrapper(qualified);
    const isMethod = fn.type === 'attribute' && !isModulePath(field(fn, 'object'), this.aliases);
    const method = isMethod ? field(fn, 'attribute')?.text ?? '' : null;
    const evalRest = (skip: Node[] = []) => {
      for (const a of positional) if (!skip.some((k) => k.id === a.id)) this.eval(a);
      for (const k of keywords) {
        const v = field(k, 'value');
        if (v && !skip.some((k) => k.id === v.id)) this.eval(v);
      }
    };
    const record = () => {
      if (this.silent) return;
      this.calls.push({
        kind: 'call', name, qualified, range: nodeRange(n), nameRange: nodeRange(fn),
        args: positional.map((a) => a.text), argRoots: positional.map((a) => argRoot(a)),
        loops: [...this.loopStack], keywords: keywordFacts(keywords),
      });
    };
    let result: Val = DATA;
    if (method !== null) {
      const recv = this.eval(field(fn, 'object'), hint);
      evalRest();
      // (`stride.to(tl.int64)`, a parameter widened against overflow: the same value)
      if (method === 'to' && (recv.kind === 'int' || recv.kind === 'param')) result = recv;
      else if (REDUCTIONS.has(method)) {
        if (!this.silent) this.reductions++;
        result = DATA;
      } else result = { kind: 'data', uniform: this.isUniform(recv) };
      record();
      return result;
    }
    switch (tl) {
      case 'program_id': {
        const axisNode = kw.get('axis') ?? positional[0];
        const axis = axisNode ? this.toInt(this.eval(axisNode)) : int(Poly.const(0));
        if (!axis.poly.isConstant) {
          result = UNKNOWN_INT;
          break;
        }
        const a = axis.poly.constant;
        let sym = this.pidSymbols.get(a);
        if (!sym) {
          sym = `#pid${a}:${hint ?? 'pid'}`;
          this.pidSymbols.set(a, sym);
        }
        result = int(Poly.sym(sym));
        break;
      }
      case 'arange': {
        const startNode = kw.get('start') ?? positional[0];
        const start = this.toInt(this.eval(startNode ?? null));
        evalRest(startNode ? [startNode] : []);
        if (start.poly.unknown || start.poly.dependsOn(isVarying)) {
          result = UNKNOWN_INT;
          break;
        }
        const lane = `#lane${this.laneCount++}:${hint ?? 'arange'}`;
        this.laneOrigin.set(lane, `arange(${positional.map((a) => compact(a.text)).join(',')})`);
        result = int(Poly.sym(lane).add(start.poly), { rank: 1, axes: new Map([[lane, 0]]) });
        break;
      }
      case 'load':
      case 'store': {
        const ptrNode = kw.get('pointer') ?? positional[0] ?? null;
        const p = this.eval(ptrNode);
        evalRest(ptrNode ? [ptrNode] : []);
        this.recordAccess(n, tl, p, kw.has('mask') || (tl === 'load' ? positional.length > 1 : positional.length > 2));
        result = tl === 'load' ? { kind: 'data', uniform: p.kind === 'ptr' && p.rank === 0 && !p.offset.unknown && !p.offset.dependsOn(isVarying) } : DATA;
        break;
      }
      case 'make_block_ptr': {
        const baseNode = kw.get('base') ?? positional[0] ?? null;
        const b = this.asPtr(this.eval(baseNode));
        evalRest(baseNode ? [baseNode] : []);
        result = b ? { ...b, offset: Poly.unknown, tentative: false } : DATA;
        break;
      }
      case 'advance': {
        const b = this.eval(positional[0] ?? null);
        evalRest(positional[0] ? [positional[0]] : []);
        result = b.kind === 'ptr' ? { ...b, offset: Poly.unknown } : DATA;
        break;
      }
      case 'cdiv': {
        const parts = positional.map((a) => this.eval(a));
        evalRest(positional);
        result = this.opaque(n, parts);
        break;
      }
      case 'num_programs': {
        evalRest();
        result = int(Poly.sym(compact(n.text)));
        break;
      }
      default: {
        if (tl && tl.startsWith('atomic_')) {
          const ptrNode = kw.get('pointer') ?? positional[0] ?? null;
          const p = this.eval(ptrNode);
          evalRest(ptrNode ? [ptrNode] : []);
          this.recordAccess(n, 'atomic', p, kw.has('mask'));
          result = DATA;
          break;
        }
        if (tl && HINTS.has(tl)) {
          result = this.eval(positional[0] ?? null, hint);
          evalRest(positional[0] ? [positional[0]] : []);
          break;
        }
        if (tl && DOTS.has(tl)) {
          evalRest();
          if (!this.silent) this.dots++;
          result = DATA;
          break;
        }
        if (tl && REDUCTIONS.has(tl)) {
          evalRest();
          if (!this.silent) this.reductions++;
          result = DATA;
          break;
        }
        if (qualified === 'triton.cdiv' || name === 'min' || name === 'max' || name === 'int') {
          const parts = positional.map((a) => this.eval(a));
          evalRest(positional);
          result = this.opaque(n, parts);
          break;
        }
        const parts = positional.map((a) => this.eval(a));
        evalRest(positional);
        if (tl && mathName(tl)) this.count(8);
        else if (qualified.startsWith('libdevice.') || qualified.includes('.libdevice.')) this.count(8);
        if (tl === 'cast' && (parts[0]?.kind === 'int' || parts[0]?.kind === 'param')) result = parts[0];
        else if (tl && ['minimum', 'maximum', 'where'].includes(tl) && parts.every((p) => p.kind !== 'data' && this.isUniform(p))) result = this.opaque(n, parts);
        else result = { kind: 'data', uniform: parts.every((p) => this.isUniform(p)) };
      }
    }
    record();
    return result;
  }

  private recordAccess(n: Node, kind: 'load' | 'store' | 'atomic', v: Val, masked: boolean): void {
    if (this.silent) return;
    const p = this.asPtr(v);
    if (!p || !this.params.has(p.base)) return;
    this.pointerParams.add(p.base);
    const lanes: (string | null)[] = new Array(p.rank).fill(null);
    for (const [s, ax] of p.axes) if (ax >= 0 && ax < p.rank) lanes[ax] = s;
    this.accesses.push({
      array: p.base, space: 'global', kind, indices: [p.offset], elemType: null, elemBits: null,
      range: nodeRange(n), text: n.text, loops: [...this.loopStack], vector: false, lanes, masked,
      ...(this.guards.length ? { compileTimeGuards: [...this.guards] } : {}),
    });
  }

  /** The tests of `tl.constexpr` parameters around the statement walked (`if SPLIT_K == 1:`), each with the arm taken. */
  private readonly guards: CompileTimeGuard[] = [];

  /** `SPLIT_K == 1`: a comparison of a constexpr parameter with a number, as a guard; null for any other test. */
  private constexprTest(cond: Node | null): Omit<CompileTimeGuard, 'holds'> | null {
    const c = cond?.type === 'parenthesized_expression' ? namedChildren(cond)[0] ?? null : cond;
    const op = c?.type === 'comparison_operator' ? children(c).find((x) => !x.isNamed)?.text : undefined;
    const [l, r] = c ? namedChildren(c) : [];
    if (!op || !l || !r || namedChildren(c!).length !== 2 || !['==', '!=', '<', '<=', '>', '>='].includes(op)) return null;
    const named = (x: Node) => x.type === 'identifier' && !!this.params.get(x.text)?.constexpr;
    const number = (x: Node) => x.type === 'integer' && /^\d+$/.test(x.text);
    if (!named(l) || !number(r)) return null;
    return { left: Poly.sym(l.text), op: op as CompileTimeGuard['op'], right: Poly.const(Number(r.text)) };
  }

  // ---- statements ----------------------------------------------------------------

  block(n: Node | null): void {
    if (!n) return;
    let pushed = 0;
    for (const c of namedChildren(n)) {
      const id = this.nextIf; // (the id the `if` takes: those nested in its arms come after it)
      this.statement(c);
      // `if y == ignore_index: ...; return` with no else: the statements after it are the other arm
      if (c.type === 'if_statement' && !children(c).some((x) => x.type === 'elif_clause' || x.type === 'else_clause') && endsInReturn(field(c, 'consequence'))) {
        this.branches.push(branchId(id, 1));
        pushed++;
      }
    }
    this.branches.length -= pushed;
  }

  statement(n: Node): void {
    tick();
    switch (n.type) {
      case 'expression_statement':
        for (const c of namedChildren(n)) {
          if (c.type === 'assignment') this.assign(c);
          else if (c.type === 'augmented_assignment') this.augAssign(c);
          else this.eval(c);
        }
        return;
      case 'if_statement': {
        const id = this.nextIf++;
        let arm = 0;
        const inArm = (body: Node | null) => {
          this.branches.push(branchId(id, arm++));
          this.block(body);
          this.branches.pop();
        };
        this.eval(field(n, 'condition'));
        // (a test of a constexpr parameter, `if SPLIT_K == 1:`: each launch's value picks the arm that is compiled)
        const test = this.constexprTest(field(n, 'condition'));
        const alts = children(n).filter((c) => c.type === 'elif_clause' || c.type === 'else_clause');
        if (test) this.guards.push({ ...test, holds: true });
        inArm(field(n, 'consequence'));
        if (test) this.guards.pop();
        for (const alt of alts) {
          if (alt.type === 'elif_clause') {
            this.eval(field(alt, 'condition'));
            inArm(field(alt, 'consequence'));
          } else {
            if (test && alts.length === 1) this.guards.push({ ...test, holds: false });
            inArm(field(alt, 'body'));
            if (test && alts.length === 1) this.guards.pop();
          }
        }
        return;
      }
      case 'for_statement':
      case 'while_statement':
        this.loop(n);
        return;
      case 'block':
        this.block(n);
        return;
      case 'with_statement':
        for (const c of namedChildren(n)) if (c.type !== 'block') this.eval(c);
        this.block(field(n, 'body'));
        return;
      case 'function_definition':
      case 'class_definition':
      case 'decorated_definition':
      case 'comment':
      case 'pass_statement':
      case 'break_statement':
      case 'continue_statement':
      case 'import_statement':
      case 'import_from_statement':
        return;
      default:
        for (const c of namedChildren(n)) this.eval(c);
    }
  }

  private bind(target: Node, v: Val): void {
    if (target.type === 'identifier') {
      if (v.kind === 'data' && v.uniform) this.env.set(target.text, { kind: 'data', uniform: true, opaque: Poly.sym(target.text) });
      else this.env.set(target.text, v);
      return;
    }
    // tuple targets and anything else: unknown values for every name bound
    walk(target, (c) => {
      if (c.type === 'identifier') this.env.set(c.text, DATA);
    });
  }

  private assign(n: Node): void {
    const targets: Node[] = [];
    let cur: Node | null = n;
    while (cur && cur.type === 'assignment') {
      const l = field(cur, 'left');
      if (l) targets.push(l);
      cur = field(cur, 'right');
    }
    if (!cur) return; // an annotation without a value
    const first = targets[0];
    const hint = first?.type === 'identifier' ? first.text : undefined;
    const rightTuple = cur.type === 'expression_list' || cur.type === 'tuple' ? namedChildren(cur) : null;
    if (rightTuple && targets.length === 1 && (first.type === 'pattern_list' || first.type === 'tuple_pattern')) {
      const names = namedChildren(first);
      if (names.length === rightTuple.length) {
        const vals = rightTuple.map((r, i) => this.eval(r, names[i].type === 'identifier' ? names[i].text : undefined));
        names.forEach((t, i) => this.bind(t, vals[i]));
        return;
      }
    }
    const v = this.eval(cur, hint);
    for (const t of targets) this.bind(t, v);
  }

  private augAssign(n: Node): void {
    const left = field(n, 'left');
    const op = (field(n, 'operator')?.text ?? '').replace(/=$/, '');
    if (!left || left.type !== 'identifier') {
      this.eval(field(n, 'right'));
      return;
    }
    const v = this.combine(op, this.lookup(left.text), this.eval(field(n, 'right')), n);
    this.bind(left, v);
  }

  private loop(n: Node): void {
    const id = this.nextLoopId++;
    const isFor = n.type === 'for_statement';
    const fact: LoopFact = {
      id, kind: isFor ? 'for' : 'while', variable: null, symbol: `#loop${id}:`, init: null, step: null, bound: null,
      range: nodeRange(n), headerRange: headerRange(n, this.lines),
      parent: this.loopStack.length ? this.loopStack[this.loopStack.length - 1] : null,
      depth: this.loopStack.length, gridStride: false, blockStride: false, pragmas: [],
      // (the arms it is in: loops of two arms, or before and after an early return, never run together)
      ...(this.branches.length ? { scopes: [...this.branches] } : {}),
    };
    this.loops.push(fact);
    const body = field(n, 'body');
    let variable: string | null = null;
    if (isFor) {
      const left = field(n, 'left');
      const right = field(n, 'right');
      variable = left?.type === 'identifier' ? left.text : null;
      if (right?.type === 'call') {
        const fn = compact(field(right, 'function')?.text ?? '');
        const q = resolveName(fn, this.aliases);
        const { positional, keywords } = argumentNodes(right);
        this.eval(right); // records tl.cdiv and friends inside the bounds
        // `tl.range(..., num_stages=3, loop_unroll_factor=2)`: per-loop compiler directives
        if (RANGE_CALLS.has(fn) || RANGE_CALLS.has(q)) for (const k of keywordFacts(keywords)) if (k.name) fact.pragmas.push(`${k.name}=${k.value.replace(/\s+/g, '')}`);
        if ((RANGE_CALLS.has(fn) || RANGE_CALLS.has(q)) && positional.length >= 1 && positional.length <= 3) {
          const [startN, stopN, stepN] = positional.length === 1 ? [null, positional[0], null] : [positional[0], positional[1], positional[2] ?? null];
          this.silent++;
          const start = startN ? this.toInt(this.eval(startN)).poly : Poly.const(0);
          const step = stepN ? this.toInt(this.eval(stepN)).poly : Poly.const(1);
          const stop = this.toInt(this.eval(stopN)).poly;
          this.silent--;
          fact.init = start;
          fact.step = step;
          fact.bound = stopN.text;
          if (!stop.unknown) fact.limit = stop;
          // `range(n, n + 1)`: one step, as many as the difference says when start and stop differ by a constant
          const span = stop.unknown || start.unknown ? null : stop.sub(start);
          if (span?.isConstant && step.isConstant && step.constant > 0) fact.trips = Math.max(0, Math.ceil(span.constant / step.constant));
        }
      } else if (right) this.eval(right);
      if (variable) {
        fact.variable = variable;
        fact.symbol = `#loop${id}:${variable}`;
      }
      // a lane-dependent start stepping by a grid-wide stride is a persistent/grid-stride loop
      fact.gridStride = !!fact.init && fact.init.dependsOn((s) => s.startsWith('#pid')) && !!fact.step && fact.step.dependsOn((s) => /num_programs/.test(s));
    } else {
      this.eval(field(n, 'condition'));
    }
    const carried = this.carried(body, id, variable);
    if (variable) {
      const init = fact.init;
      const step = fact.step;
      const value = init && step && !init.unknown && !step.unknown ? init.add(Poly.sym(fact.symbol).mul(step)) : Poly.sym(fact.symbol);
      this.env.set(variable, int(value));
    }
    this.loopStack.push(id);
    this.block(body);
    this.loopStack.pop();
    for (const c of children(n)) if (c.type === 'else_clause') this.block(field(c, 'body'));
    // after the loop, anything the loop changed is unknown
    for (const name of carried) {
      const v = this.env.get(name) ?? this.lookup(name);
      if (v.kind === 'ptr') this.env.set(name, { ...v, offset: Poly.unknown });
      else if (v.kind === 'int' || v.kind === 'param') this.env.set(name, UNKNOWN_INT);
    }
    if (variable) this.env.set(variable, UNKNOWN_INT);
  }

  /**
   * Names assigned inside a loop body. `p += step` with a uniform step makes `p` an
   * induction variable: its value on entry plus the iteration symbol times the step
   * (`a_ptrs += BLOCK_K * stride_ak`). Other reassigned integers and pointers are
   * unknown on entry, so a use before the reassignment says nothing.
   */
  private carried(body: Node | null, id: number, loopVar: string | null): Set<string> {
    const out = new Set<string>();
    if (!body) return out;
    const aug = new Map<string, Node[]>();
    const plain = new Set<string>();
    for (const c of body.descendantsOfType(['augmented_assignment', 'assignment', 'for_statement'])) {
      if (c.type === 'augmented_assignment') {
        const l = field(c, 'left');
        const op = field(c, 'operator')?.text;
        if (l?.type === 'identifier') {
          if (op === '+=' || op === '-=') aug.set(l.text, [...(aug.get(l.text) ?? []), c]);
          else plain.add(l.text);
        }
      } else if (c.type === 'assignment') {
        const l = field(c, 'left');
        if (l) walk(l, (t) => {
          if (t.type === 'identifier') plain.add(t.text);
        });
      } else if (c.type === 'for_statement') {
        const l = field(c, 'left');
        if (l) walk(l, (t) => {
          if (t.type === 'identifier') plain.add(t.text);
        });
      }
    }
    const sym = Poly.sym(`#loop${id}:${loopVar ?? ''}`);
    for (const [name, updates] of aug) {
      if (name === loopVar) continue;
      out.add(name);
      const cur = this.env.get(name) ?? (this.params.has(name) ? this.lookup(name) : undefined);
      if (!cur || cur.kind === 'data') continue;
      let step: Poly | null = Poly.const(0);
      if (!plain.has(name)) {
        this.silent++;
        for (const u of updates) {
          const s = this.toInt(this.eval(field(u, 'right')));
          if (s.poly.unknown || s.poly.dependsOn(isVarying) || s.rank !== 0 || step === null) step = null;
          else step = field(u, 'operator')?.text === '-=' ? step.sub(s.poly) : step.add(s.poly);
        }
        this.silent--;
      } else step = null;
      if (cur.kind === 'int') this.env.set(name, step ? { ...cur, poly: cur.poly.add(sym.mul(step)) } : UNKNOWN_INT);
      else {
        const p = this.asPtr(cur)!;
        this.env.set(name, { ...p, offset: step ? p.offset.add(sym.mul(step)) : Poly.unknown });
      }
    }
    for (const name of plain) {
      if (name === loopVar) continue;
      out.add(name);
      const cur = this.env.get(name);
      if (!cur) continue;
      if (cur.kind === 'int') this.env.set(name, UNKNOWN_INT);
      else if (cur.kind === 'ptr') this.env.set(name, { ...cur, offset: Poly.unknown });
    }
    return out;
  }

  // ---- classification --------------------------------------------------------------

  /** A form with each lane replaced by its `tl.arange(...)`: two aranges of one size agree. */
  canonical(p: Poly): Poly {
    let out = p;
    for (const s of p.symbols()) if (s.startsWith('#lane')) out = out.substitute(s, Poly.sym(`#lane:${this.laneOrigin.get(s) ?? s}`));
    return out;
  }

  classify(): KernelClass {
    if (this.dots > 0) return 'gemm';
    if (this.reductions > 0 || this.accesses.some((a) => a.kind === 'atomic')) return 'reduction';
    // a k-loop reading two arrays at different places with `k` in both indices (`a_ptr + pid_m * K + k`, `b_ptr + k * N + rn`):
    // a matrix product written without `tl.dot`, one scalar or row strip per step
    for (const l of this.loops) if (twoOperands(loopReads(l, this.accesses)) && this.accesses.some((a) => a.kind === 'store' && !a.loops.includes(l.id))) return 'gemm';
    if (this.loops.length > 0 || this.accesses.length === 0) return 'other';
    const laneDep = (a: AccessFact) => a.indices[0].unknown || a.indices[0].dependsOn((s) => s.startsWith('#lane'));
    const blockAcc = this.accesses.filter(laneDep);
    const scalar = this.accesses.filter((a) => !laneDep(a));
    if (blockAcc.some((a) => a.indices[0].unknown || (a.lanes?.length ?? 0) !== 1)) return 'other';
    if (scalar.some((a) => a.kind !== 'load' || a.indices[0].unknown)) return 'other';
    const forms = blockAcc.map((a) => this.canonical(a.indices[0]));
    if (forms.length === 0) return 'other';
    if (forms.every((f) => f.equals(forms[0]))) return blockAcc.some((a) => a.kind === 'store') ? 'elementwise' : 'other';
    // stencil: one array read at three or more constant shifts of one form
    const shifts = new Map<string, Set<number>>();
    blockAcc.forEach((a, i) => {
      if (a.kind !== 'load') return;
      const key = `${a.array}|${forms[i].without('').toString()}`;
      const set = shifts.get(key) ?? new Set<number>();
      set.add(forms[i].constant);
      shifts.set(key, set);
    });
    for (const s of shifts.values()) if (s.size >= 3) return 'stencil';
    return 'other';
  }

  /**
   * Elementwise on its output but for operands read at other positions (a bias at `b + offs % N`, an outer
   * product's row and column vectors): no loop, reduction or dot, and every store at one form.
   */
  broadcastOperands(kernelClass: KernelClass): boolean {
    if (kernelClass !== 'other' || this.loops.length > 0) return false;
    const stores = this.accesses.filter((a) => a.kind === 'store');
    if (!stores.length || this.accesses.some((a) => a.kind !== 'load' && a.kind !== 'store')) return false;
    const forms = stores.map((a) => (a.indices[0].unknown || !a.indices[0].dependsOn((s) => s.startsWith('#lane')) ? null : this.canonical(a.indices[0])));
    return forms.every((f) => f !== null && f.equals(forms[0]!));
  }
}

export function kernelFacts(dec: Node | null, def: Node, decorators: string[], aliases: Map<string, string>, lines: string[]): FunctionFacts | null {
  const nameNode = field(def, 'name');
  const body = field(def, 'body');
  if (!nameNode || !body) return null;
  const params = paramFacts(def);
  const w = new KernelWalker(params, aliases, lines, body);
  w.block(body);
  for (const p of params) p.pointer = w.pointerParams.has(p.name);
  const outer = dec ?? def;
  // (a scalar function that a decorator turns into a kernel over whole tensors, FlagGems' `@pointwise_dynamic`: one
  // element per lane by construction, its loads and stores the generated wrapper's)
  const kernelClass = decorators.some(isPointwiseDecorator) ? 'elementwise' : w.classify();
  return {
    name: nameNode.text,
    range: nodeRange(outer),
    nameRange: nodeRange(nameNode),
    isKernel: true,
    isDevice: false,
    params,
    templateParams: params.filter((p) => p.constexpr).map((p) => p.name),
    loops: w.loops,
    accesses: w.accesses,
    shared: [],
    calls: w.calls,
    syncthreads: w.calls.filter((c) => /(^|\.)debug_barrier$/.test(c.qualified ?? c.name)).map((c) => c.range),
    usesVectorTypes: false,
    arithmetic: w.arithmetic,
    kernelClass,
    ...(w.broadcastOperands(kernelClass) ? { broadcastOperands: true } : {}),
    indexBound: w.indexBound,
    ...(w.indexBounds.length > 1 ? { indexBounds: [...w.indexBounds] } : {}),
    launchBounds: null,
    decorators,
  };
}

/** `@pointwise_dynamic(...)`, `@pointwise_dynamic`: the jit function is the body of an elementwise kernel a wrapper generates. */
export const isPointwiseDecorator = (d: string): boolean => /^(?:[\w.]+\.)?pointwise_dynamic\b/.test(d);

/**
 * A wrapper of `tl.program_id` / `tl.num_programs` by the same name: FlagGems' `tle.program_id(0)` (a jit helper of
 * its triton_lang_extension that widens the id to int64), or a file's own `program_id` helper. No other call is so named.
 */
function programIdWrapper(qualified: string): 'program_id' | 'num_programs' | null {
  const last = qualified.slice(qualified.lastIndexOf('.') + 1);
  return last === 'program_id' || last === 'num_programs' ? last : null;
}

/** A block whose last statement is `return` (an arm the rest of the function does not follow). */
function endsInReturn(block: Node | null): boolean {
  const last = block ? namedChildren(block).filter((c) => c.type !== 'comment').at(-1) : undefined;
  return last?.type === 'return_statement';
}
