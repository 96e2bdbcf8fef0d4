// Facts for Triton files (ANALYSIS.md §1, "Triton is the same model with lanes").
//
// Kernels (`@triton.jit` functions): the body is walked in order, evaluating integer
// expressions into index forms over program ids (`#pid<axis>:<name>`), lanes
// (`#lane<k>:<name>`, one per `tl.arange`), loop symbols and parameters. A value also
// remembers on which axis of its block each lane lies, so `rm[:, None] * s + rk[None, :]`
// knows that `rk` runs along the last (contiguous) axis. `tl.load`/`tl.store`/atomics
// become AccessFacts on the pointer parameter they go through.
//
// Host functions (everything else, plus module-level code that launches kernels): every
// operation on values is recorded in evaluation order: `kernel[grid](...)` launches,
// torch calls, methods, operators, subscripts, assignments and returns, with the names
// each one reads, so a rule can follow what happens to a launch's output next.
//
// Anything the walker cannot model becomes unknown; a function that cannot be walked at
// all (too deep, too strange) yields no facts.
import type { SyntaxNode as Node } from '../mirror';
import { Poly, isVarying } from '../affine';
import { field, nodeRange, walk } from '../syntax';
import type { Range } from '../types';
import type { AccessFact, CallFact, CallKind, FunctionFacts, KernelClass, LoopFact, ParamFact } from './model';

// ---- shared helpers ------------------------------------------------------------

const compact = (t: string) => t.replace(/\s+/g, '');
// The node's own child arrays (one WASM call each): indexing children one by one costs
// O(i) per child, which is quadratic on the wide nodes of a broken file.
const children = (n: Node): Node[] => n.children.filter((c): c is Node => !!c);
const namedChildren = (n: Node): Node[] => n.namedChildren.filter((c): c is Node => !!c);

/** Nodes that hold statements: the only places definitions and imports can sit. */
const STATEMENT_CONTAINERS = new Set([
  'module', 'block', 'decorated_definition', 'function_definition', 'class_definition', 'if_statement', 'elif_clause',
  'else_clause', 'for_statement', 'while_statement', 'with_statement', 'try_statement', 'except_clause',
  'except_group_clause', 'finally_clause', 'match_statement', 'case_clause', 'ERROR',
]);

/** Visits statement-level nodes only (never expressions), iteratively. */
function scanStatements(root: Node, visit: (n: Node) => void): void {
  const stack: Node[] = [root];
  while (stack.length) {
    const cur = stack.pop()!;
    visit(cur);
    if (!STATEMENT_CONTAINERS.has(cur.type)) continue;
    const kids = namedChildren(cur);
    for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]);
  }
}

/** Import-bound names -> the module path or object they stand for (`F` -> `torch.nn.functional`). */
export function importAliases(root: Node): Map<string, string> {
  const out = new Map<string, string>();
  scanStatements(root, (n) => {
    if (n.type === 'import_statement') {
      for (const c of namedChildren(n)) {
        if (c.type === 'dotted_name') out.set(c.text.split('.')[0], c.text.split('.')[0]);
        else if (c.type === 'aliased_import') {
          const name = field(c, 'name');
          const alias = field(c, 'alias');
          if (name && alias) out.set(alias.text, compact(name.text));
        }
      }
    } else if (n.type === 'import_from_statement') {
      const mod = field(n, 'module_name');
      const prefix = mod ? compact(mod.text) : '';
      for (const c of namedChildren(n)) {
        if (mod && c.id === mod.id) continue;
        if (c.type === 'dotted_name') out.set(c.text, `${prefix}.${c.text}`);
        else if (c.type === 'aliased_import') {
          const name = field(c, 'name');
          const alias = field(c, 'alias');
          if (name && alias) out.set(alias.text, `${prefix}.${compact(name.text)}`);
        }
      }
    }
  });
  return out;
}

/** `F.gelu` -> `torch.nn.functional.gelu` through the file's imports. */
function resolveName(text: string, aliases: Map<string, string>): string {
  const dot = text.indexOf('.');
  const head = dot < 0 ? text : text.slice(0, dot);
  const full = aliases.get(head);
  return full ? full + (dot < 0 ? '' : text.slice(dot)) : text;
}

/** The `triton.language` function a resolved name calls (`load`, `math.exp`), or null. */
function tlFunction(qualified: string): string | null {
  for (const p of ['triton.language.', 'tl.']) if (qualified.startsWith(p)) return qualified.slice(p.length);
  return null;
}

/** A dotted chain of identifiers whose root is bound by an import (`torch.float32`, `tl`). */
function isModulePath(n: Node | null, aliases: Map<string, string>): boolean {
  if (!n) return false;
  if (n.type === 'identifier') return aliases.has(n.text);
  if (n.type === 'attribute') return isModulePath(field(n, 'object'), aliases);
  return false;
}

function isJitDecorator(text: string): boolean {
  const t = compact(text).replace(/^@/, '').replace(/\(.*$/s, '');
  return t === 'triton.jit' || t === 'jit';
}

/** Strips parentheses: `((x))` -> `x`. */
function unparen(n: Node | null): Node | null {
  let cur = n;
  while (cur && cur.type === 'parenthesized_expression') cur = namedChildren(cur).find((c) => c.type !== 'comment') ?? null;
  return cur;
}

/** The identifier an expression plainly names (`y`, `(y)`), else null. */
function plainName(n: Node | null): string | null {
  const u = unparen(n);
  return u?.type === 'identifier' ? u.text : null;
}

/** The buffer an argument names: `y`, `(y)`, or the base of a slice `y[1:]`. */
function argRoot(n: Node | null): string | null {
  let cur = unparen(n);
  while (cur && cur.type === 'subscript') cur = unparen(field(cur, 'value'));
  return cur?.type === 'identifier' ? cur.text : null;
}

function argumentNodes(call: Node): { positional: Node[]; keywords: Node[] } {
  const list = field(call, 'arguments');
  if (!list || list.type !== 'argument_list') return { positional: list ? [list] : [], keywords: [] };
  const all = namedChildren(list).filter((c) => c.type !== 'comment');
  return { positional: all.filter((c) => c.type !== 'keyword_argument'), keywords: all.filter((c) => c.type === 'keyword_argument') };
}

function keywordFacts(kws: Node[]): NonNullable<CallFact['keywords']> {
  return kws.map((k) => {
    const v = field(k, 'value');
    return { name: field(k, 'name')?.text ?? '', value: v?.text ?? '', root: argRoot(v) };
  });
}

/** The header of a `for`/`while` statement on its first line, without the colon. */
function headerRange(n: Node, lines: string[]): Range {
  const colon = children(n).find((c) => c.type === ':');
  const start = { line: n.startPosition.row, column: n.startPosition.column };
  if (colon && colon.startPosition.row === n.startPosition.row) return { start, end: { line: start.line, column: colon.startPosition.column } };
  const line = lines[n.startPosition.row] ?? '';
  return { start, end: { line: start.line, column: line.replace(/\s+$/, '').length } };
}

function paramFacts(def: Node): ParamFact[] {
  const out: ParamFact[] = [];
  const list = field(def, 'parameters');
  if (!list) return out;
  for (const p of namedChildren(list)) {
    let name: string | null = null;
    let type = '';
    switch (p.type) {
      case 'identifier':
        name = p.text;
        break;
      case 'typed_parameter':
        name = namedChildren(p).find((c) => c.type === 'identifier')?.text ?? null;
        type = field(p, 'type')?.text ?? '';
        break;
      case 'default_parameter':
        name = field(p, 'name')?.text ?? null;
        break;
      case 'typed_default_parameter':
        name = field(p, 'name')?.text ?? null;
        type = field(p, 'type')?.text ?? '';
        break;
    }
    if (!name) continue;
    const constexpr = /\bconstexpr\b/.test(type);
    out.push({ name, type: compact(type), pointer: false, isConst: false, restrict: false, constexpr });
  }
  return out;
}

// ---- kernels -----------------------------------------------------------------

interface Shape {
  /** Number of block axes (0 for a scalar). */
  rank: number;
  /** Lane symbol -> the axis it lies on. */
  axes: Map<string, number>;
}
type IntVal = { kind: 'int'; poly: Poly } & Shape;
type PtrVal = { kind: 'ptr'; base: string; offset: Poly; tentative: boolean } & Shape;
type Val =
  | IntVal
  | PtrVal
  /** A kernel parameter not yet known to be a pointer or an integer. */
  | { kind: 'param'; name: string }
  /** Loaded or computed data; `uniform` when it is the same for every lane (a scalar load). */
  | { kind: 'data'; uniform: boolean; opaque?: Poly };

const SCALAR: Shape = { rank: 0, axes: new Map() };
const int = (poly: Poly, shape: Shape = SCALAR): IntVal => ({ kind: 'int', poly, rank: shape.rank, axes: shape.axes });
const UNKNOWN_INT = int(Poly.unknown);
const DATA: Val = { kind: 'data', uniform: false };
const DATA_UNIFORM: Val = { kind: 'data', uniform: true };

/** Broadcasts two block shapes (aligned on the right, as Triton does); null on a lane clash. */
function broadcast(a: Shape, b: Shape): Shape | null {
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

const MATH_FUNCTIONS = new Set([
  'exp', 'exp2', 'log', 'log2', 'log1p', 'expm1', 'sqrt', 'sqrt_rn', 'rsqrt', 'sin', 'cos', 'tan', 'tanh', 'sigmoid',
  'erf', 'pow', 'fdiv', 'div_rn', 'fast_expf', 'fast_dividef', 'softmax', 'cosh', 'sinh', 'atan', 'asin', 'acos',
]);
const REDUCTIONS = new Set(['sum', 'max', 'min', 'argmax', 'argmin', 'reduce', 'xor_sum', 'cumsum', 'cumprod', 'associative_scan', 'histogram']);
const DOTS = new Set(['dot', 'dot_scaled']);
const HINTS = new Set(['multiple_of', 'max_contiguous', 'max_constancy', 'assume']);
const RANGE_CALLS = new Set(['range', 'tl.range', 'triton.language.range', 'tl.static_range', 'triton.language.static_range', 'static_range']);

/** Ints that appear as operands here are integers, never pointers. */
const INT_OPERATORS = new Set(['*', '/', '//', '%', '<<', '>>']);

function mathName(tl: string): string | null {
  const last = tl.split('.').pop() ?? '';
  return MATH_FUNCTIONS.has(last) ? last : null;
}

class KernelWalker {
  private env = new Map<string, Val>();
  private readonly params = new Map<string, ParamFact>();
  private readonly intEvidence = new Set<string>();
  private loopStack: number[] = [];
  private nextLoopId = 0;
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
          if (right && this.params.has(right) && left.poly.dependsOn((s) => s.startsWith('#lane'))) this.indexBound ??= right;
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
    const tl = tlFunction(qualified);
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
      if (method === 'to' && recv.kind === 'int') result = recv;
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
        if (tl === 'cast' && parts[0]?.kind === 'int') result = parts[0];
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
    });
  }

  // ---- statements ----------------------------------------------------------------

  block(n: Node | null): void {
    if (!n) return;
    for (const c of namedChildren(n)) this.statement(c);
  }

  statement(n: Node): void {
    switch (n.type) {
      case 'expression_statement':
        for (const c of namedChildren(n)) {
          if (c.type === 'assignment') this.assign(c);
          else if (c.type === 'augmented_assignment') this.augAssign(c);
          else this.eval(c);
        }
        return;
      case 'if_statement':
        this.eval(field(n, 'condition'));
        this.block(field(n, 'consequence'));
        for (const alt of children(n).filter((c) => c.type === 'elif_clause' || c.type === 'else_clause')) {
          if (alt.type === 'elif_clause') {
            this.eval(field(alt, 'condition'));
            this.block(field(alt, 'consequence'));
          } else this.block(field(alt, 'body'));
        }
        return;
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
      depth: this.loopStack.length, gridStride: false, pragmas: [],
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
        const { positional } = argumentNodes(right);
        this.eval(right); // records tl.cdiv and friends inside the bounds
        if ((RANGE_CALLS.has(fn) || RANGE_CALLS.has(q)) && positional.length >= 1 && positional.length <= 3) {
          const [startN, stopN, stepN] = positional.length === 1 ? [null, positional[0], null] : [positional[0], positional[1], positional[2] ?? null];
          this.silent++;
          const start = startN ? this.toInt(this.eval(startN)).poly : Poly.const(0);
          const step = stepN ? this.toInt(this.eval(stepN)).poly : Poly.const(1);
          this.silent--;
          fact.init = start;
          fact.step = step;
          fact.bound = stopN.text;
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
}

function kernelFacts(dec: Node | null, def: Node, decorators: string[], aliases: Map<string, string>, lines: string[]): FunctionFacts | null {
  const nameNode = field(def, 'name');
  const body = field(def, 'body');
  if (!nameNode || !body) return null;
  const params = paramFacts(def);
  const w = new KernelWalker(params, aliases, lines, body);
  w.block(body);
  for (const p of params) p.pointer = w.pointerParams.has(p.name);
  const outer = dec ?? def;
  return {
    name: nameNode.text,
    range: nodeRange(outer),
    nameRange: nodeRange(nameNode),
    text: outer.text,
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
    kernelClass: w.classify(),
    indexBound: w.indexBound,
    launchBounds: null,
    decorators,
  };
}

// ---- host code ---------------------------------------------------------------------

const COPY_METHODS = new Set(['cpu', 'item', 'tolist', 'numpy']);
const SKIP_STATEMENTS = new Set([
  'function_definition', 'class_definition', 'decorated_definition', 'import_statement', 'import_from_statement',
  'future_import_statement', 'comment', 'pass_statement', 'break_statement', 'continue_statement', 'global_statement',
  'nonlocal_statement', 'type_alias_statement',
]);

class HostWalker {
  readonly calls: CallFact[] = [];
  readonly loops: LoopFact[] = [];
  private loopStack: number[] = [];
  private scopeStack: number[] = [];
  private nextScope = 0;

  constructor(
    private readonly aliases: Map<string, string>,
    private readonly lines: string[],
  ) {}

  private push(
    n: Node, kind: CallKind, name: string, form: NonNullable<CallFact['form']>, args: Node[], childOps: (number | null)[],
    extra: Partial<CallFact> = {},
  ): number {
    const idx = this.calls.length;
    this.calls.push({
      kind, name, range: nodeRange(n), nameRange: extra.nameRange ?? nodeRange(n),
      args: args.map((a) => a.text), argRoots: args.map((a) => argRoot(a)),
      loops: [...this.loopStack], scopes: [...this.scopeStack], form, ...extra,
    });
    for (const c of childOps) if (c !== null && this.calls[c].parent === undefined) this.calls[c].parent = idx;
    return idx;
  }

  private scoped(n: Node | null): void {
    if (!n) return;
    this.scopeStack.push(this.nextScope++);
    this.block(n);
    this.scopeStack.pop();
  }

  block(n: Node | null): void {
    if (!n) return;
    if (n.type !== 'block' && n.type !== 'module') {
      this.statement(n);
      return;
    }
    for (const c of namedChildren(n)) this.statement(c);
  }

  statement(n: Node): void {
    if (SKIP_STATEMENTS.has(n.type)) return;
    switch (n.type) {
      case 'expression_statement':
        for (const c of namedChildren(n)) {
          if (c.type === 'assignment') this.assign(c);
          else if (c.type === 'augmented_assignment') this.augAssign(c);
          else this.expr(c);
        }
        return;
      case 'return_statement': {
        const v = namedChildren(n).find((c) => c.type !== 'comment') ?? null;
        const elems = v ? (v.type === 'expression_list' || v.type === 'tuple' ? namedChildren(v) : [v]) : [];
        const ops = elems.map((e) => this.expr(e));
        this.push(n, 'call', 'return', 'return', elems, ops);
        return;
      }
      case 'if_statement':
        this.expr(field(n, 'condition'));
        this.scoped(field(n, 'consequence'));
        for (const alt of children(n).filter((c) => c.type === 'elif_clause' || c.type === 'else_clause')) {
          if (alt.type === 'elif_clause') {
            this.expr(field(alt, 'condition'));
            this.scoped(field(alt, 'consequence'));
          } else this.scoped(field(alt, 'body'));
        }
        return;
      case 'for_statement':
      case 'while_statement':
        this.loop(n);
        return;
      case 'with_statement':
        for (const c of namedChildren(n)) if (c.type === 'with_clause') for (const item of namedChildren(c)) this.expr(field(item, 'value') ?? item);
        this.block(field(n, 'body'));
        return;
      case 'try_statement':
        for (const c of namedChildren(n)) {
          if (c.type === 'block') this.block(c);
          else if (c.type === 'except_clause' || c.type === 'except_group_clause') {
            this.scopeStack.push(this.nextScope++);
            for (const cc of namedChildren(c)) if (cc.type === 'block') this.block(cc);
            this.scopeStack.pop();
          } else if (c.type === 'else_clause') this.block(field(c, 'body'));
          else if (c.type === 'finally_clause') for (const cc of namedChildren(c)) if (cc.type === 'block') this.block(cc);
        }
        return;
      case 'block':
        this.block(n);
        return;
      default: {
        // assert, raise, del, match and the like: whatever names they read are used here
        const ops = namedChildren(n).map((c) => this.expr(c));
        const names = this.identifiersIn(n);
        if (names.length) this.push(n, 'call', n.type.replace(/_statement$/, ''), 'other', names, ops);
      }
    }
  }

  private loop(n: Node): void {
    const id = this.loops.length;
    const isFor = n.type === 'for_statement';
    const fact: LoopFact = {
      id, kind: isFor ? 'for' : 'while', variable: null, symbol: `#loop${id}:`, init: null, step: null, bound: null,
      range: nodeRange(n), headerRange: headerRange(n, this.lines),
      parent: this.loopStack.length ? this.loopStack[this.loopStack.length - 1] : null,
      depth: this.loopStack.length, gridStride: false, pragmas: [],
    };
    this.loops.push(fact);
    if (isFor) {
      const left = field(n, 'left');
      const right = field(n, 'right');
      const rOp = this.expr(right);
      if (left?.type === 'identifier') {
        fact.variable = left.text;
        fact.symbol = `#loop${id}:${left.text}`;
      }
      if (right?.type === 'call' && compact(field(right, 'function')?.text ?? '') === 'range') {
        const pos = argumentNodes(right).positional;
        fact.bound = (pos.length === 1 ? pos[0] : pos[1])?.text ?? null;
      }
      this.loopStack.push(id);
      if (left && right) this.push(left, 'call', 'for', 'assign', [right], [rOp], { assignedTo: this.targetNames(left) });
    } else {
      this.expr(field(n, 'condition'));
      this.loopStack.push(id);
    }
    this.block(field(n, 'body'));
    this.loopStack.pop();
    for (const c of children(n)) if (c.type === 'else_clause') this.scoped(field(c, 'body'));
  }

  private targetNames(t: Node): string[] {
    const out: string[] = [];
    if (t.type === 'identifier') return [t.text];
    if (['pattern_list', 'tuple_pattern', 'list_pattern', 'expression_list', 'tuple', 'list'].includes(t.type)) {
      for (const c of namedChildren(t)) out.push(...this.targetNames(c));
    }
    return out;
  }

  private assign(n: Node): void {
    const targets: Node[] = [];
    let cur: Node | null = n;
    while (cur && cur.type === 'assignment') {
      const l = field(cur, 'left');
      if (l) targets.push(l);
      cur = field(cur, 'right');
    }
    if (!cur) return; // `x: int` declares, assigns nothing
    const rOp = this.expr(cur);
    const assignedTo: string[] = [];
    const stores: Node[] = [];
    const collect = (t: Node) => {
      if (t.type === 'identifier') assignedTo.push(t.text);
      else if (['pattern_list', 'tuple_pattern', 'list_pattern'].includes(t.type)) namedChildren(t).forEach(collect);
      else if (t.type === 'subscript' || t.type === 'attribute') stores.push(t);
      else if (t.type === 'list_splat_pattern') namedChildren(t).forEach(collect);
    };
    targets.forEach(collect);
    this.push(n, 'call', '=', 'assign', [cur], [rOp], { assignedTo });
    for (const s of stores) {
      const value = field(s, 'value') ?? field(s, 'object');
      const ops: (number | null)[] = [];
      if (value && value.type !== 'identifier') ops.push(this.expr(value));
      if (s.type === 'subscript') for (const c of children(s)) if (c.isNamed && c.id !== value?.id) ops.push(this.expr(c));
      this.push(s, 'call', s.type === 'subscript' ? '[]=' : `.${field(s, 'attribute')?.text ?? ''}=`, 'store', value ? [value, cur] : [cur], ops);
    }
  }

  private augAssign(n: Node): void {
    const left = field(n, 'left');
    const right = field(n, 'right');
    if (!left || !right) return;
    const ops: (number | null)[] = [];
    if (left.type !== 'identifier') ops.push(this.expr(left));
    ops.push(this.expr(right));
    const op = field(n, 'operator')?.text ?? '';
    this.push(n, 'call', op, 'operator', [left, right], ops, { assignedTo: left.type === 'identifier' ? [left.text] : [] });
  }

  /** Identifiers read inside a node (not attribute names, keyword names or lambda bodies). */
  private identifiersIn(n: Node): Node[] {
    const out: Node[] = [];
    const seen = new Set<string>();
    const ids = n.type === 'identifier' ? [n] : n.descendantsOfType('identifier');
    for (const c of ids) {
      if (seen.has(c.text)) continue;
      const p = c.parent;
      if (p?.type === 'attribute' && field(p, 'attribute')?.id === c.id) continue;
      if (p?.type === 'keyword_argument' && field(p, 'name')?.id === c.id) continue;
      seen.add(c.text);
      out.push(c);
    }
    return out;
  }

  /** Records the operations inside an expression (children first); returns the index of the op for `n`. */
  expr(n: Node | null): number | null {
    if (!n) return null;
    switch (n.type) {
      case 'identifier':
      case 'integer':
      case 'float':
      case 'true':
      case 'false':
      case 'none':
      case 'ellipsis':
      case 'comment':
      case 'keyword_separator':
      case 'positional_separator':
        return null;
      case 'string':
      case 'concatenated_string':
        if (!namedChildren(n).some((c) => c.type === 'interpolation' || c.type === 'string')) return null;
        if (this.identifiersIn(n).length === 0) return null;
        return this.push(n, 'call', 'f-string', 'other', this.identifiersIn(n), []);
      case 'parenthesized_expression':
        return this.expr(unparen(n));
      case 'call':
        return this.call(n);
      case 'binary_operator': {
        const l = field(n, 'left');
        const r = field(n, 'right');
        const ops = [this.expr(l), this.expr(r)];
        return this.push(n, 'call', field(n, 'operator')?.text ?? '?', 'operator', [l!, r!].filter(Boolean), ops);
      }
      case 'unary_operator': {
        const a = field(n, 'argument');
        return this.push(n, 'call', field(n, 'operator')?.text ?? '?', 'operator', a ? [a] : [], [this.expr(a)]);
      }
      case 'not_operator':
      case 'boolean_operator':
      case 'comparison_operator': {
        const operands = namedChildren(n).filter((c) => c.type !== 'comment');
        const ops = operands.map((c) => this.expr(c));
        const name = children(n).filter((c) => !c.isNamed).map((c) => c.text).join(' ');
        return this.push(n, 'call', name, 'operator', operands, ops);
      }
      case 'subscript': {
        const value = field(n, 'value');
        const items = children(n).filter((c) => c.isNamed && c.id !== value?.id && c.type !== 'comment');
        const ops = [this.expr(value), ...items.map((c) => this.expr(c))];
        return this.push(n, 'call', '[]', 'subscript', [value!, ...items].filter(Boolean), ops);
      }
      case 'attribute': {
        if (isModulePath(n, this.aliases)) return null; // torch.float32, triton.language
        const o = field(n, 'object');
        return this.push(n, 'call', `.${field(n, 'attribute')?.text ?? ''}`, 'attribute', o ? [o] : [], [this.expr(o)], {
          nameRange: nodeRange(field(n, 'attribute') ?? n),
        });
      }
      case 'slice':
      case 'tuple':
      case 'list':
      case 'set':
      case 'expression_list': {
        const elems = namedChildren(n).filter((c) => c.type !== 'comment');
        const ops = elems.map((c) => this.expr(c));
        return this.push(n, 'call', n.type, 'other', elems, ops);
      }
      case 'dictionary': {
        const elems: Node[] = [];
        for (const p of namedChildren(n)) {
          if (p.type === 'pair') {
            const k = field(p, 'key');
            const v = field(p, 'value');
            if (k) elems.push(k);
            if (v) elems.push(v);
          } else if (p.type !== 'comment') elems.push(p);
        }
        const ops = elems.map((c) => this.expr(c));
        return this.push(n, 'call', 'dict', 'other', elems, ops);
      }
      case 'conditional_expression': {
        const parts = namedChildren(n);
        const ops = parts.map((c) => this.expr(c));
        return this.push(n, 'call', 'if-else', 'other', parts, ops);
      }
      case 'lambda': {
        // not run here, but whatever it captures may be read whenever it is called
        const params = new Set(field(n, 'parameters') ? this.identifiersIn(field(n, 'parameters')!).map((p) => p.text) : []);
        const names = this.identifiersIn(n).filter((c) => !params.has(c.text));
        return names.length ? this.push(n, 'call', 'lambda', 'other', names, []) : null;
      }
      default: {
        // comprehensions, await, walrus, splats, ...: record the names they read
        const names = this.identifiersIn(n);
        return names.length ? this.push(n, 'call', n.type, 'other', names, []) : null;
      }
    }
  }

  private call(n: Node): number | null {
    const fn = field(n, 'function');
    if (!fn) return null;
    const list = field(n, 'arguments');
    if (list && list.type !== 'argument_list') {
      // f(x for x in xs)
      const names = this.identifiersIn(n);
      return this.push(n, 'call', compact(fn.text), 'other', names, []);
    }
    const { positional, keywords } = argumentNodes(n);
    const keywordValues = keywords.map((k) => field(k, 'value')).filter((v): v is Node => !!v);
    const argOps = () => [...positional.map((a) => this.expr(a)), ...keywordValues.map((v) => this.expr(v))];

    // kernel[grid](...) launches
    const launchee = fn.type === 'subscript' ? field(fn, 'value') : null;
    if (launchee && (launchee.type === 'identifier' || (launchee.type === 'attribute' && field(launchee, 'attribute')))) {
      const nameNode = launchee.type === 'identifier' ? launchee : field(launchee, 'attribute')!;
      const gridItems = children(fn).filter((c) => c.isNamed && c.id !== launchee.id && c.type !== 'comment');
      const ops = [...gridItems.map((g) => this.expr(g)), ...argOps()];
      return this.push(n, 'launch', nameNode.text, 'call', positional, ops, {
        nameRange: nodeRange(nameNode), grid: gridItems.map((g) => compact(g.text)).join(','),
        keywords: keywordFacts(keywords),
      });
    }

    // y.relu(), x.cpu(), torch.cuda.current_stream().synchronize()
    if (fn.type === 'attribute' && !isModulePath(field(fn, 'object'), this.aliases)) {
      const recv = field(fn, 'object')!;
      const attr = field(fn, 'attribute');
      const method = attr?.text ?? '';
      const ops = [this.expr(recv), ...argOps()];
      let kind: CallKind = 'call';
      if (method === 'synchronize') kind = 'sync';
      else if (COPY_METHODS.has(method)) kind = 'copy';
      else if ((method === 'to' || method === 'copy_') && /['"]cpu['"]|device\s*=\s*['"]cpu/.test(list?.text ?? '')) kind = 'copy';
      return this.push(n, kind, `.${method}`, 'method', [recv, ...positional], ops, {
        nameRange: nodeRange(attr ?? fn), keywords: keywordFacts(keywords),
      });
    }

    // torch.relu(y), print(y), F.gelu(y), my_helper(y)
    const ops: (number | null)[] = [];
    if (fn.type !== 'identifier' && fn.type !== 'attribute') ops.push(this.expr(fn));
    ops.push(...argOps());
    const name = compact(fn.text);
    const qualified = resolveName(name, this.aliases);
    const kind: CallKind = /(^|\.)synchronize$/.test(qualified) ? 'sync' : 'call';
    return this.push(n, kind, name, 'call', positional, ops, {
      nameRange: nodeRange(fn), qualified, keywords: keywordFacts(keywords),
    });
  }
}

function hostFacts(def: Node, outer: Node, decorators: string[], aliases: Map<string, string>, lines: string[]): FunctionFacts | null {
  const nameNode = field(def, 'name');
  const body = field(def, 'body');
  if (!nameNode || !body) return null;
  const w = new HostWalker(aliases, lines);
  w.block(body);
  return {
    name: nameNode.text,
    range: nodeRange(outer),
    nameRange: nodeRange(nameNode),
    text: outer.text,
    isKernel: false,
    isDevice: false,
    params: paramFacts(def),
    templateParams: [],
    loops: w.loops,
    accesses: [],
    shared: [],
    calls: w.calls,
    syncthreads: [],
    usesVectorTypes: false,
    arithmetic: 0,
    kernelClass: 'other',
    indexBound: null,
    launchBounds: null,
    decorators,
  };
}

/** The module's own statements (scripts, `if __name__ == '__main__':`), when they launch kernels. */
function moduleFacts(root: Node, aliases: Map<string, string>, lines: string[]): FunctionFacts | null {
  for (const c of namedChildren(root)) if (c.hasError && !SKIP_STATEMENTS.has(c.type)) return null;
  const w = new HostWalker(aliases, lines);
  w.block(root);
  if (!w.calls.some((c) => c.kind === 'launch')) return null;
  const start = { line: 0, column: 0 };
  return {
    name: '<module>',
    range: nodeRange(root),
    nameRange: { start, end: start },
    text: '',
    isKernel: false,
    isDevice: false,
    params: [],
    templateParams: [],
    loops: w.loops,
    accesses: [],
    shared: [],
    calls: w.calls,
    syncthreads: [],
    usesVectorTypes: false,
    arithmetic: 0,
    kernelClass: 'other',
    indexBound: null,
    launchBounds: null,
  };
}

/** Facts for every function of a Triton file: `@triton.jit` kernels and host functions. */
export function tritonFunctions(root: Node, lines: string[]): FunctionFacts[] {
  const out: FunctionFacts[] = [];
  let aliases: Map<string, string>;
  try {
    aliases = importAliases(root);
  } catch {
    return out;
  }
  const defs: { def: Node; outer: Node; decorators: string[] }[] = [];
  try {
    scanStatements(root, (n) => {
      if (n.type === 'decorated_definition') {
        const def = field(n, 'definition');
        if (def?.type === 'function_definition') {
          const decorators = children(n).filter((c) => c.type === 'decorator').map((c) => compact(c.text).replace(/^@/, ''));
          defs.push({ def, outer: n, decorators });
        }
      } else if (n.type === 'function_definition' && n.parent?.type !== 'decorated_definition') {
        defs.push({ def: n, outer: n, decorators: [] });
      }
    });
  } catch {
    return out;
  }
  for (const { def, outer, decorators } of defs) {
    if (outer.hasError) continue; // unparsable: no facts rather than a guess
    try {
      const jit = decorators.some(isJitDecorator);
      const f = jit ? kernelFacts(outer === def ? null : outer, def, decorators, aliases, lines) : hostFacts(def, outer, decorators, aliases, lines);
      if (f) out.push(f);
    } catch {
      // too deep or too strange to model: unknown means silence
    }
  }
  try {
    const m = moduleFacts(root, aliases, lines);
    if (m) out.push(m);
  } catch {
    // same
  }
  return out;
}
