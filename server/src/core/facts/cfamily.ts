// Facts for CUDA C++ and C/C++ functions (ANALYSIS.md §1): walks a function body in
// order, evaluating integer expressions into index forms over thread indices, loop
// symbols and parameters, and records every memory access, loop and call.
import type { SyntaxNode as Node } from '../mirror';
import { Poly, atom, isVarying, type AtomOp } from '../affine';
import { distinctAcrossLanes } from '../lanes';
import { branchId } from './model';
import { LIBRARY_KERNELS } from './library';
import { children, field, namedChildren, nodeRange, walk } from '../syntax';
import { tick } from '../budget';
import type {
  AccessFact,
  CallFact,
  CallKind,
  FunctionFacts,
  KernelClass,
  LoopFact,
  MemorySpace,
  ParamFact,
  SharedArrayFact,
} from './model';

const ELEMENT_BITS: Record<string, number> = {
  char: 8, 'signed char': 8, 'unsigned char': 8, int8_t: 8, uint8_t: 8, bool: 8,
  short: 16, 'unsigned short': 16, int16_t: 16, uint16_t: 16,
  half: 16, __half: 16, __nv_bfloat16: 16, nv_bfloat16: 16, bfloat16: 16,
  int: 32, unsigned: 32, 'unsigned int': 32, int32_t: 32, uint32_t: 32, float: 32,
  half2: 32, __half2: 32, __nv_bfloat162: 32, nv_bfloat162: 32, char4: 32, uchar4: 32,
  long: 64, 'long long': 64, 'unsigned long': 64, int64_t: 64, uint64_t: 64, size_t: 64, double: 64,
  float2: 64, int2: 64, uint2: 64,
  float4: 128, int4: 128, uint4: 128, double2: 128, longlong2: 128,
};
/** Types that already move several elements per access. */
const VECTOR_TYPES = new Set([
  'float2', 'float4', 'int2', 'int4', 'uint2', 'uint4', 'double2', 'longlong2',
  'half2', '__half2', '__nv_bfloat162', 'nv_bfloat162', 'char4', 'uchar4',
]);
const FLOAT_TYPES = new Set(['float', 'double', 'half', '__half', '__nv_bfloat16', 'nv_bfloat16']);
const MATH_CALLS = /^(__)?(exp|expf|exp2f|log|logf|sin|sinf|cos|cosf|tan|tanf|tanh|tanhf|sqrt|sqrtf|rsqrtf|pow|powf|erf|erff|__expf|__logf|__sinf|__cosf|__powf|hexp|hlog|hsqrt|h2exp)$/;
const SYNC_CALLS = /^(cudaDeviceSynchronize|cudaStreamSynchronize|cudaEventSynchronize|cudaThreadSynchronize)$/;
const COPY_CALLS = /^(cudaMemcpy|cudaMemcpyAsync|cudaMemcpy2D|cudaMemcpy2DAsync|cudaMemcpyToSymbol|cudaMemcpyFromSymbol|cudaMemcpyPeer|cudaMemset|cudaMemsetAsync|cudaMemPrefetchAsync)$/;
const LOOP_TYPES = new Set(['for_statement', 'while_statement', 'do_statement', 'for_range_loop']);
const MAX_HELPER_DEPTH = 3;
const COMPARISONS = new Set(['<', '<=', '>', '>=', '==', '!=']);
const ATOM_OPS = new Set(['/', '%', '&', '|', '^', '>>', '<<']);
/** Cache-hinted loads and stores (`__ldcs(p)`, `__stcs(p, v)`): an access through their first argument. */
const LOAD_INTRINSICS = /^__ld(g|cs|cg|ca|lu|cv)$/;
const STORE_INTRINSICS = /^__st(cs|cg|wb|wt)$/;
/** Expression macros nested deeper than this, or expanded more often in one function, are unknown (`#define M1(x) M0(x) + M0(x)` doubles at each level). */
const MAX_MACRO_DEPTH = 32;
const MAX_MACRO_EXPANSIONS = 10_000;
/** Longer call arguments are kept cut short: a launch's arguments are compared by text, and `f(f(f(...)))` must not keep every suffix. */
const MAX_ARG_TEXT = 2000;

/** `(x)` -> `x`. */
function unparen(n: Node | null): Node | null {
  while (n?.type === 'parenthesized_expression') n = namedChildren(n)[0] ?? null;
  return n;
}

/** `std::vector<float>`, `std::array<float, N>`, `std::span<const float>` -> `float`. */
function containerElement(typeText: string): string | null {
  const m = /^(?:std::)?(?:vector|array|span)\s*<\s*(?:const\s+)?([\w:]+(?:\s+\w+)?)\s*[,>]/.exec(typeText.trim());
  return m ? m[1] : null;
}

/** A function-like macro whose body is an expression (`#define IDX(r, c) ((r) * N + (c))`). */
export interface MacroDef {
  params: string[];
  /** The body parsed as an expression; null when it is not one (`do { ... } while (0)`). */
  body: Node | null;
}

/** An array or container declared at file scope, visible to every function. */
export interface FileArray {
  name: string;
  elemType: string;
  space: MemorySpace;
}

/** Type aliases of the file and its headers (`floatX` -> ['__nv_bfloat16', 'float'] under an undecided #if). */
export type TypeAliases = ReadonlyMap<string, readonly string[]>;

/** Bits of an element type, through aliases; with several possible types, the widest (all must be known). */
export function elementBits(type: string | null, aliases?: TypeAliases, depth = 0): number | null {
  if (!type) return null;
  const t = type.replace(/\b(const|volatile|__restrict__|restrict)\b/g, '').trim();
  const known = ELEMENT_BITS[t];
  if (known !== undefined || !aliases || depth > 4) return known ?? null;
  const targets = aliases.get(t);
  if (!targets?.length) return null;
  const bits = targets.map((x) => elementBits(x, aliases, depth + 1));
  return bits.every((b) => b !== null) ? Math.max(...(bits as number[])) : null;
}

type Value =
  | { kind: 'int'; poly: Poly }
  | { kind: 'ptr'; base: string; offset: Poly; elemType: string | null; space: MemorySpace; vector: boolean };

interface PtrValue {
  base: string;
  offset: Poly;
  elemType: string | null;
  space: MemorySpace;
  vector: boolean;
}

/** Symbols for opaque but warp-uniform sub-expressions (`n / 4`, `min(a, b)`). */
function opaque(n: Node): Poly {
  // a huge sub-expression is named by its start, length and a hash: nested ones would otherwise keep every suffix
  if (n.endIndex - n.startIndex > 4 * MAX_ARG_TEXT) return Poly.sym(`${n.text.slice(0, 64).replace(/\s+/g, '').replace(/\*/g, '×')}…#${n.endIndex - n.startIndex}:${textHash(n.text)}`);
  return Poly.sym(n.text.replace(/\s+/g, '').replace(/\*/g, '×'));
}
/**
 * A source text for messages: cut to MAX_ARG_TEXT characters, as a flat copy (a slice would
 * keep the whole text alive), with CRLF line ends as `\n` (a CRLF file reads the same as LF).
 */
function capped(t: string): string {
  const cut = t.length > MAX_ARG_TEXT ? (' ' + t.slice(0, MAX_ARG_TEXT)).slice(1) : t;
  return cut.includes('\r') ? cut.replace(/\r\n?/g, '\n') : cut;
}
function textHash(t: string): string {
  let h = 2166136261;
  for (let i = 0; i < t.length; i++) h = Math.imul(h ^ t.charCodeAt(i), 16777619);
  return (h >>> 0).toString(36);
}

/** Strips qualifiers from a type text: `const float` -> `float`. */
function baseType(text: string): string {
  return text.replace(/\b(const|volatile|__restrict__|restrict|struct|typename)\b/g, '').replace(/\s+/g, ' ').trim();
}

function declaratorName(d: Node | null): { name: string; pointer: boolean; arrayDims: Node[]; restrict: boolean } | null {
  let pointer = false;
  let restrict = false;
  const arrayDims: Node[] = [];
  let cur = d;
  while (cur) {
    switch (cur.type) {
      case 'identifier':
      case 'field_identifier':
        return { name: cur.text, pointer, arrayDims: arrayDims.reverse(), restrict };
      case 'pointer_declarator':
        pointer = true;
        if (/__restrict__|restrict/.test(children(cur).filter((c) => c.type === 'type_qualifier').map((c) => c.text).join(' '))) restrict = true;
        cur = field(cur, 'declarator');
        break;
      case 'reference_declarator':
        cur = namedChildren(cur)[0] ?? null;
        break;
      case 'array_declarator':
        arrayDims.push(field(cur, 'size') ?? cur);
        cur = field(cur, 'declarator');
        break;
      case 'init_declarator':
        cur = field(cur, 'declarator');
        break;
      default:
        return null;
    }
  }
  return null;
}

class FunctionWalker {
  env = new Map<string, Value>();
  private params = new Map<string, ParamFact>();
  get paramNames(): ReadonlySet<string> {
    return new Set(this.params.keys());
  }
  private loopStack: number[] = [];
  nextLoopId = 0;
  readonly loops: LoopFact[] = [];
  readonly accesses: AccessFact[] = [];
  readonly shared: SharedArrayFact[] = [];
  readonly calls: CallFact[] = [];
  readonly syncthreads: FunctionFacts['syncthreads'] = [];
  usesVectorTypes = false;
  arithmetic = 0;
  indexBound: string | null = null;
  private pendingPragmas: string[] = [];
  /** Host pointers declared as another name for a struct member (`float *c = l.output_gpu;`): calls through them name the member. */
  private memberAliases = new Map<string, string>();
  /** Scalar locals by name: declared type and loop depth of the declaration (for `LoopFact.reductions`). */
  private localTypes = new Map<string, { type: string; depth: number }>();
  /** > 0 while walking code that at most one lane of a warp runs (`if (threadIdx.x == 0)`). */
  private singleLaneDepth = 0;
  /** Enclosing arms of if/else and switch cases, outermost first (each arm has its own id). */
  private branches: number[] = [];
  private nextBranch = 0;

  constructor(
    private readonly isKernel: boolean,
    params: ParamFact[],
    private readonly lines: string[],
    private readonly fileArrays: readonly FileArray[] = [],
    private readonly constants: ReadonlyMap<string, number> = new Map(),
    private readonly macros: ReadonlyMap<string, MacroDef> = new Map(),
    /** Where pointer parameters point: global for kernels, host for host code, unknown for __device__ helpers (shared or global). */
    paramSpace: MemorySpace = isKernel ? 'global' : 'host',
    /** `__device__` functions of the file by name: their accesses are seen at their call sites. */
    private readonly helpers: ReadonlyMap<string, Node> = new Map(),
    /** How many helper calls deep this walk is (bounded). */
    private readonly depth = 0,
    private readonly aliases: TypeAliases = new Map(),
  ) {
    for (const [name, value] of constants) this.env.set(name, { kind: 'int', poly: Poly.const(value) });
    for (const g of fileArrays) {
      this.env.set(g.name, { kind: 'ptr', base: g.name, offset: Poly.const(0), elemType: g.elemType, space: g.space, vector: VECTOR_TYPES.has(g.elemType) });
    }
    for (const p of params) {
      this.params.set(p.name, p);
      if (p.pointer) {
        this.env.set(p.name, {
          kind: 'ptr', base: p.name, offset: Poly.const(0), elemType: p.type,
          space: paramSpace, vector: VECTOR_TYPES.has(p.type),
        });
        if (VECTOR_TYPES.has(p.type)) this.usesVectorTypes = true;
      }
    }
  }

  // ---- expressions -------------------------------------------------------------

  /** The index form of an integer expression. */
  eval(n: Node | null): Poly {
    if (!n) return Poly.unknown;
    tick();
    switch (n.type) {
      case 'number_literal': {
        const v = Number(n.text.replace(/[uUlL]+$/, ''));
        return Number.isInteger(v) ? Poly.const(v) : Poly.unknown;
      }
      case 'identifier': {
        const v = this.env.get(n.text);
        if (v?.kind === 'int') return v.poly;
        if (v?.kind === 'ptr') return Poly.unknown;
        return Poly.sym(n.text); // parameter, template parameter, macro or global constant
      }
      case 'field_expression': {
        const arg = field(n, 'argument');
        const f = field(n, 'field');
        if (arg && f && /^(threadIdx|blockIdx|blockDim|gridDim)$/.test(arg.text) && /^[xyz]$/.test(f.text)) {
          return Poly.sym(`${arg.text}.${f.text}`);
        }
        return this.opaqueIfUniform(n, arg ? [arg] : []);
      }
      case 'parenthesized_expression':
        return this.eval(namedChildren(n)[0] ?? null);
      case 'cast_expression':
        return this.eval(field(n, 'value'));
      case 'unary_expression': {
        const op = field(n, 'operator')?.text;
        const arg = this.eval(field(n, 'argument'));
        if (op === '-') return arg.scale(-1);
        if (op === '+') return arg;
        return this.opaqueIfUniformValues(n, [arg]); // `~~~t`: each level evaluated once, not twice
      }
      case 'binary_expression':
        return this.evalBinary(n);
      case 'subscript_expression':
      case 'pointer_expression': {
        // a loaded value used as an index: uniform only if the load's index is
        const ptr = this.accessTarget(n);
        if (ptr && ptr.indices.every((p) => !p.unknown && !p.dependsOn(isVarying))) return opaque(n);
        return Poly.unknown;
      }
      case 'call_expression': {
        const fn = field(n, 'function');
        const args = namedChildren(field(n, 'arguments') ?? n);
        if (fn?.type === 'template_function' && /_cast$/.test(field(fn, 'name')?.text ?? '') && args.length === 1) return this.eval(args[0]);
        const macro = this.macroFor(n);
        if (macro) return this.expand(n, macro, (body) => this.eval(body), Poly.unknown);
        const name = fn?.text.replace(/^(::|std::)/, '');
        if (args.length === 2 && (name === 'min' || name === 'max' || name === 'umin' || name === 'umax')) {
          const [a, b] = args.map((x) => this.eval(x));
          if ([a, b].some((p) => !p.unknown && p.dependsOn(isVarying))) return atom(name.endsWith('min') ? 'min' : 'max', [a, b]);
          return this.opaqueIfUniformValues(n, [a, b]);
        }
        return this.opaqueIfUniform(n, args);
      }
      case 'conditional_expression': {
        const a = this.eval(field(n, 'consequence'));
        const b = this.eval(field(n, 'alternative'));
        if (a.equals(b)) return a;
        let cond = field(n, 'condition');
        while (cond?.type === 'parenthesized_expression') cond = namedChildren(cond)[0] ?? null;
        const cmp = cond?.type === 'binary_expression' ? field(cond, 'operator')?.text : undefined;
        if (cond && cmp && COMPARISONS.has(cmp)) {
          const l = this.eval(field(cond, 'left'));
          const r = this.eval(field(cond, 'right'));
          if ([l, r, a, b].some((p) => !p.unknown && p.dependsOn(isVarying))) return atom('?:', [l, r, a, b], cmp);
          // each arm evaluated once: a chain of `?:` costs its length, not 2^length
          return this.opaqueIfUniformValues(n, [l, r, a, b]);
        }
        return this.opaqueIfUniformValues(n, [this.eval(field(n, 'condition')), a, b]);
      }
      case 'sizeof_expression':
      case 'qualified_identifier': // `x128::size`, `Config::kTile`: a compile-time constant we cannot see
      case 'true':
      case 'false':
        return opaque(n);
      default:
        return Poly.unknown;
    }
  }

  /** `opaqueIfUniform` over values already evaluated. */
  private opaqueIfUniformValues(n: Node, values: Poly[]): Poly {
    return values.some((v) => v.unknown || v.dependsOn(isVarying)) ? Poly.unknown : opaque(n);
  }

  private opaqueIfUniform(n: Node, parts: (Node | null)[]): Poly {
    for (const p of parts) {
      if (!p) continue;
      const v = this.eval(p);
      if (v.unknown || v.dependsOn(isVarying)) return Poly.unknown;
    }
    return opaque(n);
  }

  private evalBinary(n: Node): Poly {
    const op = field(n, 'operator')?.text;
    const l = field(n, 'left');
    const r = field(n, 'right');
    if (op === '&&' || op === '||' || op === '==' || op === '!=' || op === '<' || op === '>' || op === '<=' || op === '>=') {
      return this.opaqueIfUniform(n, [l, r]);
    }
    const a = this.eval(l);
    const b = this.eval(r);
    switch (op) {
      case '+':
        return a.add(b);
      case '-':
        return a.sub(b);
      case '*':
        return a.mul(b);
      case '<<':
        if (b.isConstant && b.constant >= 0 && b.constant < 31) return a.scale(2 ** b.constant);
        break;
      case '/':
        if (b.isConstant) {
          const q = a.divExact(b.constant);
          if (q) return q;
        }
        break;
      case '>>':
        if (b.isConstant && b.constant >= 0 && b.constant < 31) {
          const q = a.divExact(2 ** b.constant);
          if (q) return q;
        }
        break;
    }
    if (a.unknown || b.unknown) return Poly.unknown;
    // `tid / 32`, `tid % T`, `tid & 31`, `tid >> 5`: an atom, computed per lane
    if (a.dependsOn(isVarying) || b.dependsOn(isVarying)) return op && ATOM_OPS.has(op) ? atom(op as AtomOp, [a, b]) : Poly.unknown;
    return opaque(n);
  }

  /** What a pointer-valued expression points at. */
  evalPtr(n: Node | null): PtrValue | null {
    if (!n) return null;
    tick();
    switch (n.type) {
      case 'identifier': {
        const v = this.env.get(n.text);
        return v?.kind === 'ptr' ? v : null;
      }
      case 'parenthesized_expression':
        return this.evalPtr(namedChildren(n)[0] ?? null);
      case 'binary_expression': {
        const op = field(n, 'operator')?.text;
        if (op !== '+' && op !== '-') return null;
        const lp = this.evalPtr(field(n, 'left'));
        if (lp) {
          const off = this.eval(field(n, 'right'));
          return { ...lp, offset: op === '+' ? lp.offset.add(off) : lp.offset.sub(off) };
        }
        const rp = op === '+' ? this.evalPtr(field(n, 'right')) : null;
        return rp ? { ...rp, offset: rp.offset.add(this.eval(field(n, 'left'))) } : null;
      }
      case 'cast_expression': {
        const inner = this.evalPtr(field(n, 'value'));
        const t = field(n, 'type');
        return inner && t ? this.recast(inner, t.text) : inner;
      }
      case 'call_expression': {
        const fn = field(n, 'function');
        const args = namedChildren(field(n, 'arguments') ?? n);
        if (fn?.type === 'template_function' && /_cast$/.test(field(fn, 'name')?.text ?? '') && args.length === 1) {
          const inner = this.evalPtr(args[0]);
          const targ = namedChildren(field(fn, 'arguments') ?? fn)[0];
          return inner && targ ? this.recast(inner, targ.text) : inner;
        }
        return null;
      }
      case 'pointer_expression': {
        if (field(n, 'operator')?.text !== '&') return null;
        const arg = unparen(field(n, 'argument'));
        const target = arg ? this.accessTarget(arg) : null;
        if (!target || target.indices.length !== 1) return null;
        return { base: target.array, offset: target.indices[0], elemType: target.elemType, space: target.space, vector: target.vector };
      }
      default:
        return null;
    }
  }

  /** A cast to another element type rescales the offset (in elements of the new type). */
  recast(p: PtrValue, typeText: string): PtrValue {
    const elem = baseType(typeText.replace(/\*/g, ''));
    if (VECTOR_TYPES.has(elem)) this.usesVectorTypes = true;
    const oldBits = elementBits(p.elemType, this.aliases);
    const newBits = elementBits(elem, this.aliases);
    let offset = p.offset;
    if (oldBits && newBits && oldBits !== newBits) {
      const scaled = newBits > oldBits ? offset.divExact(newBits / oldBits) ?? offset.divideByCommonSize() : offset.scale(oldBits / newBits);
      offset = scaled ?? Poly.unknown;
    } else if (elem !== p.elemType && (!oldBits || !newBits)) {
      // a cast to or from a type of unknown size (a packed struct, `Pack<T, VEC>`): the
      // offset can no longer be counted in elements, and the access may well be wide
      return { ...p, elemType: elem, offset: Poly.unknown, vector: true };
    }
    return { ...p, elemType: elem, offset, vector: VECTOR_TYPES.has(elem) };
  }

  /** Resolves `a[i]`, `a[i][j]`, `*(p + i)` to its array and index forms. */
  accessTarget(n: Node): Omit<AccessFact, 'kind' | 'range' | 'text' | 'loops'> | null {
    if (n.type === 'pointer_expression') {
      if (field(n, 'operator')?.text !== '*') return null;
      const p = this.evalPtr(field(n, 'argument'));
      if (!p) return null;
      return { array: p.base, space: p.space, indices: [p.offset], elemType: p.elemType, elemBits: elementBits(p.elemType, this.aliases), vector: p.vector };
    }
    if (n.type !== 'subscript_expression') return null;
    const indices: Node[] = [];
    let cur: Node = n;
    while (cur.type === 'subscript_expression') {
      const idx = field(cur, 'indices') ?? field(cur, 'index');
      const inner = idx ? (idx.type === 'subscript_argument_list' ? namedChildren(idx)[0] : idx) : null;
      if (!inner) return null;
      indices.unshift(inner);
      cur = field(cur, 'argument')!;
      if (!cur) return null;
    }
    const p = this.evalPtr(cur);
    if (!p) return null;
    // `out[c][y]` of `float out[C][H][W]`: a row, an address (`memcpy(out[c][y], ...)`), not an element
    const rank = cur.type === 'identifier' ? this.params.get(cur.text)?.rank : undefined;
    if (rank !== undefined && indices.length < rank) return null;
    const forms = indices.map((i) => this.eval(i));
    if (forms.length === 1) forms[0] = p.offset.add(forms[0]);
    else if (!p.offset.isConstant || p.offset.constant !== 0) return null;
    return { array: p.base, space: p.space, indices: forms, elemType: p.elemType, elemBits: elementBits(p.elemType, this.aliases), vector: p.vector };
  }

  // ---- statements --------------------------------------------------------------

  statement(n: Node): void {
    if (n.isBroken) return; // a statement the grammar could not read: the rest of the function still counts
    tick();
    switch (n.type) {
      case 'compound_statement': {
        const items = namedChildren(n);
        for (let i = 0; i < items.length; i++) {
          const c = items[i];
          // `for (...)\n#pragma unroll\n for (...)` without braces: the grammar ends the outer
          // loop at the pragma (an empty body) and makes the inner loop its sibling; re-attach it.
          if (LOOP_TYPES.has(c.type) && field(c, 'body')?.text.trim() === '') {
            let j = i + 1;
            const pragmas: string[] = [];
            while (j < items.length && items[j].type === 'preproc_call' && /^#\s*pragma\b/.test(items[j].text.trim())) pragmas.push(items[j++].text.trim().replace(/^#\s*pragma\s*/, ''));
            if (pragmas.length && j < items.length) {
              this.loop(c, { body: items[j], pragmas });
              i = j;
              continue;
            }
          }
          this.statement(c);
        }
        return;
      }
      case 'declaration':
        if (!n.hasError) this.declaration(n);
        return;
      case 'for_statement':
      case 'while_statement':
      case 'do_statement':
      case 'for_range_loop':
        this.loop(n);
        return;
      case 'preproc_call':
      case 'preproc_pragma': {
        const t = n.text.trim();
        if (/^#\s*pragma\b/.test(t)) this.pendingPragmas.push(t.replace(/^#\s*pragma\s*/, ''));
        return;
      }
      case 'if_statement': {
        const cond = field(n, 'condition');
        if (cond) {
          this.expressions(cond);
          this.noteBound(cond);
        }
        const single = cond ? this.singleLaneCondition(cond) : null;
        const stmt = this.nextBranch++;
        if (single === '==') this.singleLaneDepth++;
        this.inBranch(field(n, 'consequence'), stmt, 0);
        if (single === '==') this.singleLaneDepth--;
        this.inBranch(field(n, 'alternative'), stmt, 1);
        // `if (lane != 0) return;`: what follows runs on one lane
        if (single === '!=' && /^\{?\s*return\b/.test(field(n, 'consequence')?.text ?? '')) this.singleLaneDepth++;
        return;
      }
      case 'switch_statement': {
        this.expressions(field(n, 'condition'));
        const stmt = this.nextBranch++;
        let arm = 0;
        for (const c of namedChildren(field(n, 'body') ?? n)) {
          if (c.type !== 'case_statement') continue;
          this.branches.push(branchId(stmt, arm++));
          for (const st of namedChildren(c)) if (st !== field(c, 'value')) this.statement(st);
          this.branches.pop();
        }
        return;
      }
      case 'else_clause':
        for (const c of namedChildren(n)) this.statement(c);
        return;
      case 'comment':
        return;
      default:
        if (n.type.startsWith('preproc_')) {
          for (const c of namedChildren(n)) if (c.type !== 'identifier' && c.type !== 'preproc_arg') this.statement(c);
          return;
        }
        if (n.hasError) return; // `out[i] = in[i] +;`: what it reads or writes is not known
        this.expressions(n);
    }
  }

  /** The expression macro a call expands, when its name is one and the argument count fits. */
  private macroFor(call: Node): MacroDef | null {
    const fn = field(call, 'function');
    if (fn?.type !== 'identifier') return null;
    const m = this.macros.get(fn.text);
    if (!m?.body) return null;
    return namedChildren(field(call, 'arguments') ?? call).length === m.params.length ? m : null;
  }

  /** Macro expansions of this function and its inlined helpers so far, and how deep the current one is. */
  macroWork = { expansions: 0, depth: 0 };

  /**
   * Evaluates a macro body with its parameters bound to the call's arguments (by value, as
   * the preprocessor would); `unknown` past the nesting and count limits.
   */
  private expand<T>(call: Node, macro: MacroDef, evaluate: (body: Node) => T, unknown: T): T {
    const work = this.macroWork;
    if (work.depth >= MAX_MACRO_DEPTH || ++work.expansions > MAX_MACRO_EXPANSIONS) return unknown;
    const args = namedChildren(field(call, 'arguments') ?? call);
    const bound = macro.params.map((p, i): [string, Value] => {
      const ptr = this.evalPtr(args[i]);
      return [p, ptr ? { kind: 'ptr', ...ptr } : { kind: 'int', poly: this.eval(args[i]) }];
    });
    const saved = macro.params.map((p) => this.env.get(p));
    for (const [p, v] of bound) this.env.set(p, v);
    work.depth++;
    try {
      return evaluate(macro.body!);
    } finally {
      work.depth--;
      macro.params.forEach((p, i) => (saved[i] ? this.env.set(p, saved[i]!) : this.env.delete(p)));
    }
  }

  /** Walks one arm of a conditional, so calls there know they may not run. */
  private inBranch(n: Node | null, stmt: number, arm: number): void {
    if (!n) return;
    this.branches.push(branchId(stmt, arm));
    this.statement(n);
    this.branches.pop();
  }

  private declaration(n: Node): void {
    const typeNode = field(n, 'type');
    const container = containerElement(typeNode?.text ?? '');
    const type = container ?? baseType(typeNode?.text ?? '');
    const isShared = children(n).some((c) => c.type === 'type_qualifier' && c.text === '__shared__') || /__shared__/.test(n.text.split(/[=;]/)[0]);
    if (VECTOR_TYPES.has(type)) this.usesVectorTypes = true;
    if (type === 'dim3') this.noteDim3(n);
    for (const d of children(n)) {
      if (!['init_declarator', 'identifier', 'pointer_declarator', 'array_declarator', 'reference_declarator'].includes(d.type)) continue;
      if (d === typeNode) continue;
      const info = declaratorName(d);
      if (!info) continue;
      const value = d.type === 'init_declarator' ? field(d, 'value') : null;
      if (value) this.expressions(value);
      if (!container && !info.pointer && !info.arrayDims.length) this.localTypes.set(info.name, { type, depth: this.loopStack.length });
      else this.localTypes.delete(info.name);
      if (container && !info.pointer) {
        this.env.set(info.name, { kind: 'ptr', base: info.name, offset: Poly.const(0), elemType: type, space: this.isKernel ? 'local' : 'host', vector: VECTOR_TYPES.has(type) });
      } else if (info.arrayDims.length) {
        const dims = info.arrayDims.map((s) => {
          const v = s.type === 'array_declarator' ? Poly.unknown : this.eval(s);
          return v.isConstant ? v.constant : null;
        });
        const space: MemorySpace = isShared ? 'shared' : this.isKernel ? 'local' : 'host';
        this.env.set(info.name, { kind: 'ptr', base: info.name, offset: Poly.const(0), elemType: type, space, vector: VECTOR_TYPES.has(type) });
        if (isShared) {
          const dimRanges = info.arrayDims.map((s) => (s.type === 'array_declarator' ? null : nodeRange(s)));
          const dimTexts = info.arrayDims.map((s) => (s.type === 'array_declarator' ? null : s.sourceText));
          this.shared.push({ name: info.name, elemType: type, dims, dimRanges, dimTexts, range: nodeRange(n) });
        }
      } else if (info.pointer) {
        const member = value && !this.isKernel ? rootName(value) : null;
        if (member && /[.>]/.test(member)) this.memberAliases.set(info.name, member);
        else this.memberAliases.delete(info.name);
        const p = this.evalPtr(value);
        if (p) {
          const retyped = p.elemType !== type && type ? this.recast(p, type) : p;
          this.env.set(info.name, { kind: 'ptr', ...retyped });
        } else this.env.delete(info.name);
      } else if (FLOAT_TYPES.has(type) || VECTOR_TYPES.has(type)) {
        this.env.set(info.name, { kind: 'int', poly: Poly.unknown });
      } else {
        this.env.set(info.name, { kind: 'int', poly: value ? this.eval(value) : Poly.unknown });
      }
    }
  }

  /**
   * `tid == 0`, `lane == 0`, `u == 0` with `u` lane-dependent (possibly `&&` other tests):
   * at most one lane of a warp passes when the compared value differs in every lane.
   * Returns the operator ('==' or '!=' for the negated test) or null.
   */
  private singleLaneCondition(cond: Node): '==' | '!=' | null {
    const c = unparen(cond.type === 'condition_clause' ? namedChildren(cond)[0] ?? null : cond);
    if (c?.type !== 'binary_expression') return null;
    const op = field(c, 'operator')?.text;
    if (op === '&&') return this.singleLaneCondition(field(c, 'left')!) === '==' || this.singleLaneCondition(field(c, 'right')!) === '==' ? '==' : null;
    if (op !== '==' && op !== '!=') return null;
    const diff = this.eval(field(c, 'left')).sub(this.eval(field(c, 'right')));
    if (diff.unknown || !diff.dependsOn((s) => s.startsWith('threadIdx.x') || s.startsWith('#op'))) return null;
    return distinctAcrossLanes(diff) ? op : null;
  }

  /** `if (i < n)` / `if (i >= n) return;`: remembers which parameter bounds the thread index. */
  private noteBound(cond: Node): void {
    walk(cond, (c) => {
      if (c.type !== 'binary_expression') return;
      const op = field(c, 'operator')?.text ?? '';
      if (!['<', '>=', '<=', '>'].includes(op)) return;
      const l = this.eval(field(c, 'left'));
      const r = field(c, 'right');
      // a parameter (`n`) or a product of them and constants (`BT * OC`, `n / 4`)
      const bound = r && (r.type === 'identifier' || (r.type === 'binary_expression' && /^[\w\s*/()]+$/.test(r.text))) ? r.text.replace(/\s+/g, '') : null;
      if (bound && l.dependsOn((s) => s.startsWith('threadIdx.'))) this.indexBound ??= bound;
    });
  }

  private loop(n: Node, detached?: { body: Node; pragmas: string[] }): void {
    const id = this.nextLoopId++;
    const kind = n.type === 'for_statement' ? 'for' : n.type === 'while_statement' ? 'while' : n.type === 'do_statement' ? 'do' : 'range';
    const parent = this.loopStack.length ? this.loopStack[this.loopStack.length - 1] : null;
    const line = this.lines[n.startPosition.row] ?? '';
    const bodyNode = detached?.body ?? field(n, 'body');
    const headerEnd = bodyNode ? bodyNode.startPosition : n.endPosition;
    let headerEndCol = headerEnd.row === n.startPosition.row && !detached ? headerEnd.column : line.replace(/\s+$/, '').length;
    while (headerEndCol > n.startPosition.column && /\s|\{/.test(line[headerEndCol - 1] ?? '')) headerEndCol--;
    const fact: LoopFact = {
      id, kind, variable: null, symbol: `#loop${id}:`, init: null, step: null, bound: null,
      range: nodeRange(n),
      headerRange: { start: { line: n.startPosition.row, column: n.startPosition.column }, end: { line: n.startPosition.row, column: headerEndCol } },
      parent, depth: this.loopStack.length, gridStride: false, blockStride: false, pragmas: this.pendingPragmas,
    };
    this.pendingPragmas = [];
    this.loops.push(fact);

    let restoreVar: [string, Value | undefined] | null = null;
    if (kind === 'for') {
      const init = field(n, 'initializer');
      const cond = field(n, 'condition');
      const update = field(n, 'update');
      let variable: string | null = null;
      let initPoly: Poly | null = null;
      if (init?.type === 'declaration') {
        const d = namedChildren(init).find((c) => c.type === 'init_declarator');
        if (d) {
          variable = declaratorName(d)?.name ?? null;
          initPoly = this.eval(field(d, 'value'));
          this.expressions(field(d, 'value'));
        }
      } else if (init?.type === 'assignment_expression' && field(init, 'left')?.type === 'identifier') {
        variable = field(init, 'left')!.text;
        initPoly = this.eval(field(init, 'right'));
      }
      if (variable) {
        const step = update ? this.stepOf(update, variable) : null;
        fact.variable = variable;
        fact.symbol = `#loop${id}:${variable}`;
        fact.init = initPoly;
        fact.step = step;
        if (cond?.type === 'binary_expression' && field(cond, 'left')?.text === variable) fact.bound = unparen(field(cond, 'right'))?.text ?? null; // `(n)` from a macro
        fact.gridStride = !!initPoly && initPoly.dependsOn((s) => s.startsWith('threadIdx.')) && !!step && step.dependsOn((s) => s.startsWith('gridDim.'));
        fact.blockStride = !fact.gridStride && !!initPoly && initPoly.dependsOn((s) => s.startsWith('threadIdx.')) && !!step && step.dependsOn((s) => s.startsWith('blockDim.'));
        if (fact.gridStride && fact.bound && /^\w+$/.test(fact.bound)) this.indexBound ??= fact.bound;
        restoreVar = [variable, this.env.get(variable)];
        const value = initPoly && step ? initPoly.add(Poly.sym(fact.symbol).mul(step)) : Poly.sym(fact.symbol);
        this.env.set(variable, { kind: 'int', poly: value });
      }
      if (cond) this.expressions(cond);
    } else if (kind === 'range') {
      const right = field(n, 'right');
      if (right) this.expressions(right);
    } else {
      const cond = field(n, 'condition');
      if (cond) this.expressions(cond);
    }
    const carried = this.markLoopCarried(bodyNode, id, fact.variable);
    this.loopStack.push(id);
    if (detached) this.pendingPragmas = detached.pragmas;
    if (bodyNode) this.statement(bodyNode);
    if (kind === 'for') {
      const update = field(n, 'update');
      if (update) this.expressions(update);
    }
    this.loopStack.pop();
    if (restoreVar && n.type === 'for_statement' && field(n, 'initializer')?.type === 'declaration') {
      if (restoreVar[1]) this.env.set(restoreVar[0], restoreVar[1]);
      else this.env.delete(restoreVar[0]);
    } else if (restoreVar) {
      // `for (; l < n; l += 4 * nthreads)` on an outer variable: after the loop `l` is wherever it stopped
      this.env.set(restoreVar[0], { kind: 'int', poly: Poly.unknown });
    }
    for (const name of carried) this.env.set(name, { kind: 'int', poly: Poly.unknown });
  }

  /** `i++`, `i += s`, `i = i + s`: the per-iteration step of the loop variable. */
  private stepOf(update: Node, variable: string): Poly | null {
    const u = update.type === 'comma_expression' ? namedChildren(update)[0] : update;
    if (u.type === 'update_expression' && field(u, 'argument')?.text === variable) return Poly.const(u.text.includes('++') ? 1 : -1);
    if (u.type === 'assignment_expression' && field(u, 'left')?.text === variable) {
      const op = field(u, 'operator')?.text;
      const r = this.eval(field(u, 'right'));
      if (op === '+=') return r;
      if (op === '-=') return r.scale(-1);
      if (op === '=') {
        const d = r.sub(Poly.sym(variable));
        if (!d.dependsOn((s) => s === variable)) return d;
      }
      if (op === '<<=' || op === '>>=' || op === '*=' || op === '/=') return null;
    }
    return null;
  }

  /**
   * Integer variables assigned inside a loop body become induction variables: their
   * value on entry plus a loop-varying symbol, so their thread-index coefficients stay
   * known (`idx += stride` in a while loop) while any use reads as loop-dependent.
   */
  private markLoopCarried(body: Node | null, id: number, loopVar: string | null): string[] {
    const carried: string[] = [];
    if (!body) return carried;
    walk(body, (c) => {
      let target: Node | null = null;
      let op = '';
      if (c.type === 'assignment_expression') {
        target = field(c, 'left');
        op = field(c, 'operator')?.text ?? '';
      } else if (c.type === 'update_expression') {
        target = field(c, 'argument');
        op = '+=';
      }
      if (!target || target.type !== 'identifier' || target.text === loopVar) return;
      const v = this.env.get(target.text);
      if (v?.kind !== 'int') return;
      carried.push(target.text);
      if (op === '+=' || op === '-=') this.env.set(target.text, { kind: 'int', poly: v.poly.add(Poly.sym(`#loop${id}:${target.text}'`)) });
      else this.env.set(target.text, { kind: 'int', poly: Poly.unknown });
    });
    return carried;
  }

  /** Records the accesses and calls inside an expression statement and applies assignments. */
  expressions(n: Node | null): void {
    if (!n) return;
    walk(n, (c) => {
      if (c.isBroken) return false;
      tick();
      switch (c.type) {
        case 'subscript_expression':
        case 'pointer_expression':
          if (c.type === 'pointer_expression' && field(c, 'operator')?.text !== '*') {
            // &a[i]: an address, not an access (atomics and __ldg record their own);
            // loads inside its index expressions still count
            const target = unparen(field(c, 'argument'));
            if (target?.type === 'subscript_expression') {
              for (const idx of this.indexNodes(target)) this.expressions(idx);
              return false;
            }
            return true;
          }
          this.recordAccess(c);
          // nested subscripts belong to this access; their index expressions may hold loads
          for (const idx of this.indexNodes(c)) this.expressions(idx);
          return false;
        case 'call_expression': {
          const macro = this.macroFor(c);
          if (macro && (macro.body!.type === 'subscript_expression' || macro.body!.type === 'pointer_expression')) {
            // `A_(row, k)` expanding to `A[(row)*lda+(k)]`: an access, reported at the macro use
            const target = this.expand(c, macro, (body) => this.accessTarget(body), null);
            if (target) this.pushAccess({ ...target, kind: this.accessKind(c) }, c);
            for (const a of namedChildren(field(c, 'arguments') ?? c)) this.expressions(a);
            return false;
          }
          this.recordCall(c);
          return true;
        }
        case 'assignment_expression': {
          const left = field(c, 'left');
          const right = field(c, 'right');
          const op = field(c, 'operator')?.text ?? '=';
          if (left?.type === 'identifier' && this.loopStack.length) this.noteReduction(left.text, op, right, c);
          if (left?.type === 'identifier') this.memberAliases.delete(left.text);
          if (left?.type === 'identifier') {
            const v = this.env.get(left.text);
            if (v?.kind === 'int' && !this.isLoopCarried(v)) {
              const r = this.eval(right);
              const cur = v.poly;
              const next = op === '=' ? r : op === '+=' ? cur.add(r) : op === '-=' ? cur.sub(r) : op === '*=' ? cur.mul(r) : Poly.unknown;
              if (right) this.expressions(right);
              this.env.set(left.text, { kind: 'int', poly: next });
              return false;
            }
            if (v?.kind === 'ptr' && (op === '+=' || op === '-=')) {
              const r = this.eval(right);
              this.env.set(left.text, { ...v, offset: op === '+=' ? v.offset.add(r) : v.offset.sub(r) });
            } else if (v?.kind === 'ptr' && op === '=') {
              const p = this.evalPtr(right);
              if (p) this.env.set(left.text, { kind: 'ptr', ...p });
            }
          }
          if (op !== '=' && left && !['subscript_expression', 'pointer_expression'].includes(left.type)) this.arithmetic++;
          return true;
        }
        case 'binary_expression': {
          const op = field(c, 'operator')?.text;
          if (op === '+' || op === '-' || op === '*' || op === '/') this.arithmetic++;
          return true;
        }
        case 'lambda_expression': {
          // `DISPATCH_...(..., [&] { kernel<<<...>>>(...); })`: the body runs here
          const body = field(c, 'body');
          if (body && !this.isKernel) this.statement(body);
          return false;
        }
      }
      return true;
    });
  }

  /** `s += e`, `s -= e`, `s *= e`, `s = s + e` on a scalar declared outside the innermost enclosing loop: a reduction of that loop. */
  private noteReduction(name: string, op: string, right: Node | null, at: Node): void {
    const local = this.localTypes.get(name);
    if (!local || local.depth >= this.loopStack.length) return;
    const r = unparen(right);
    const self = op === '=' && r?.type === 'binary_expression' && unparen(field(r, 'left'))?.text === name ? field(r, 'operator')?.text ?? '' : '';
    const kind = self ? `${self}=` : op;
    if (!['+=', '-=', '*='].includes(kind)) return;
    // loop ids are positions in `loops`, except inside an inlined helper, whose loops are its own
    const id = this.loopStack[this.loopStack.length - 1];
    const loop = this.loops.find((l) => l.id === id);
    if (!loop) return;
    (loop.reductions ??= []).push({ variable: name, type: local.type, op: kind, range: nodeRange(at), declaredDepth: local.depth });
  }

  private isLoopCarried(v: Value): boolean {
    return v.kind === 'int' && [...v.poly.symbols()].some((s) => s.endsWith("'"));
  }

  private indexNodes(n: Node): Node[] {
    const out: Node[] = [];
    let cur: Node | null = n;
    while (cur && cur.type === 'subscript_expression') {
      const idx = field(cur, 'indices') ?? field(cur, 'index');
      if (idx) out.push(idx);
      cur = field(cur, 'argument');
    }
    if (cur && cur !== n) out.push(cur);
    if (n.type === 'pointer_expression') {
      const a = field(n, 'argument');
      if (a) out.push(a);
    }
    return out;
  }

  private accessKind(n: Node): AccessFact['kind'] {
    let cur = n;
    let parent = cur.parent;
    while (parent && (parent.type === 'parenthesized_expression' || parent.type === 'field_expression')) {
      cur = parent;
      parent = parent.parent;
    }
    if (!parent) return 'load';
    if (parent.type === 'assignment_expression' && field(parent, 'left')?.id === cur.id) {
      return field(parent, 'operator')?.text === '=' ? 'store' : 'update';
    }
    if (parent.type === 'update_expression') return 'update';
    return 'load';
  }

  private recordAccess(n: Node, kind?: AccessFact['kind']): void {
    const target = this.accessTarget(n);
    if (!target) return;
    this.pushAccess({ ...target, kind: kind ?? this.accessKind(n) }, n);
  }

  /**
   * A `__device__` helper's accesses, seen at the call: its parameters bound to the
   * arguments' values (a pointer keeps its buffer, space and offset), so `load128cs(inp + i)`
   * is a 16-byte global load of `inp` at this call site (ANALYSIS.md §0, "Interprocedural").
   */
  private inlineHelper(def: Node, args: Node[], call: Node): void {
    const fdecl = functionDeclarator(field(def, 'declarator'));
    const body = field(def, 'body');
    if (!fdecl || !body) return;
    const params = paramFacts(fdecl);
    if (params.length !== args.length) return;
    const inner = new FunctionWalker(true, [], this.lines, this.fileArrays, this.constants, this.macros, 'unknown', this.helpers, this.depth + 1, this.aliases);
    inner.nextLoopId = (this.depth + 1) * 10000 + this.nextLoopId; // loop symbols of their own
    inner.macroWork = this.macroWork;
    params.forEach((p, i) => {
      const ptr = p.pointer ? this.evalPtr(args[i]) : null;
      // a template element type (`const ElementType* address`) is the caller's: no cast then
      const cast = ptr && p.type && ptr.elemType !== p.type && elementBits(p.type, this.aliases) !== null;
      if (ptr) inner.env.set(p.name, { kind: 'ptr', ...(cast ? inner.recast(ptr, p.type) : ptr) });
      else if (!p.pointer) inner.env.set(p.name, { kind: 'int', poly: this.eval(args[i]) });
    });
    inner.statement(body);
    if (inner.usesVectorTypes) this.usesVectorTypes = true;
    for (const a of inner.accesses) {
      if (a.space === 'unknown' || a.space === 'local') continue;
      const fact: AccessFact = { ...a, range: nodeRange(call), text: capped(call.sourceText), loops: [...this.loopStack] };
      if (this.singleLaneDepth > 0) fact.singleLane = true;
      this.accesses.push(fact);
    }
  }

  /** `dim3 block(32, 8)` / `dim3 block = dim3(1, 256)`: the x extent, when it is a constant. */
  private readonly dim3x = new Map<string, number | null>();
  private noteDim3(n: Node): void {
    for (const d of children(n)) {
      const name = d.type === 'init_declarator' ? field(d, 'declarator')?.text : null;
      if (!name) continue;
      const v = field(d, 'value');
      const first = v ? namedChildren(v.type === 'call_expression' ? field(v, 'arguments') ?? v : v)[0] : null;
      const x = first ? this.eval(first) : Poly.unknown;
      this.dim3x.set(name, x.isConstant ? x.constant : null);
    }
  }
  /** The x extent of a launch's block argument (`256`, `block`, `dim3(1, 256)`), when constant. */
  private blockX(arg: Node): number | null {
    if (arg.type === 'identifier' && this.dim3x.has(arg.text)) return this.dim3x.get(arg.text)!;
    const inner = arg.type === 'call_expression' && field(arg, 'function')?.text === 'dim3' ? namedChildren(field(arg, 'arguments') ?? arg)[0] ?? null : arg;
    const v = this.eval(inner);
    return v.isConstant ? v.constant : null;
  }

  /** Records an access at `at`, with the loops and lane guards around it. */
  private pushAccess(target: Omit<AccessFact, 'range' | 'text' | 'loops'>, at: Node): void {
    const fact: AccessFact = { ...target, range: nodeRange(at), text: capped(at.sourceText), loops: [...this.loopStack] };
    if (this.singleLaneDepth > 0) fact.singleLane = true;
    const alternatives = target.elemType ? this.aliases.get(target.elemType) : undefined;
    if (alternatives && alternatives.length > 1) fact.elemAlternatives = [...alternatives];
    this.accesses.push(fact);
  }

  /** The buffer an argument names, through member aliases. */
  private root(a: Node): string | null {
    const r = rootName(a);
    return r === null ? null : this.memberAliases.get(r) ?? r;
  }

  private recordCall(n: Node): void {
    const fn = field(n, 'function');
    if (!fn) return;
    const nameNode = fn.type === 'template_function' ? field(fn, 'name') ?? fn : fn.type === 'qualified_identifier' ? field(fn, 'name') ?? fn : fn;
    const name = nameNode.text;
    const argList = field(n, 'arguments');
    const args = argList ? namedChildren(argList).filter((a) => a.type !== 'comment') : [];
    const launchSyntax = children(n).find((c) => c.type === 'kernel_call_syntax');
    if (name === '__syncthreads' || name === '__syncwarp') this.syncthreads.push(nodeRange(n));
    if (MATH_CALLS.test(name)) this.arithmetic += 8;
    // device-side loads through intrinsics and atomics on an address
    const intrinsic = LOAD_INTRINSICS.test(name) ? 'load' : STORE_INTRINSICS.test(name) ? 'store' : /^atomic[A-Z]/.test(name) ? 'atomic' : null;
    if (intrinsic && args[0]) {
      const p = this.evalPtr(args[0]);
      if (p) this.pushAccess({ array: p.base, space: p.space, kind: intrinsic, indices: [p.offset], elemType: p.elemType, elemBits: elementBits(p.elemType, this.aliases), vector: p.vector }, n);
    }
    // `wmma::load_matrix_sync(frag, a + row * lda + k, lda)`: a warp-wide tile load (or store) at that address
    if ((name === 'load_matrix_sync' || name === 'store_matrix_sync') && args[1]) {
      const p = this.evalPtr(name === 'load_matrix_sync' ? args[1] : args[0]);
      if (p) this.pushAccess({ array: p.base, space: p.space, kind: name === 'load_matrix_sync' ? 'load' : 'store', indices: [p.offset], elemType: p.elemType, elemBits: elementBits(p.elemType, this.aliases), vector: true }, n);
    }
    const helper = !launchSyntax && this.isKernel ? this.helpers.get(name) : undefined;
    if (helper && this.depth < MAX_HELPER_DEPTH) this.inlineHelper(helper, args, n);
    let kind: CallKind = 'call';
    if (launchSyntax || LIBRARY_KERNELS.has(name)) kind = 'launch'; // cuBLAS level-1 routines are one-pass kernels
    else if (SYNC_CALLS.test(name)) kind = 'sync';
    else if (COPY_CALLS.test(name)) kind = 'copy';
    const fact: CallFact = {
      kind, name, range: nodeRange(n), nameRange: nodeRange(nameNode),
      args: args.map((a) => capped(a.text)), argRoots: args.map((a) => this.root(a)), loops: [...this.loopStack], scopes: [...this.branches],
    };
    if (launchSyntax) {
      const cfg = namedChildren(launchSyntax);
      fact.grid = cfg[0]?.text.replace(/\s+/g, '');
      fact.block = cfg[1]?.text.replace(/\s+/g, '');
      const x = cfg[1] ? this.blockX(cfg[1]) : null;
      if (x !== null) fact.blockX = x;
    }
    this.calls.push(fact);
  }
}

/** The buffer an argument expression names: `d_x`, `(float*)d_x`, `&d_x[0]`, `d_x + off`. */
export function rootName(n: Node): string | null {
  switch (n.type) {
    case 'identifier':
      return n.text;
    case 'parenthesized_expression':
    case 'cast_expression':
      return rootName(field(n, 'value') ?? namedChildren(n)[namedChildren(n).length - 1]);
    case 'pointer_expression':
    case 'subscript_expression':
      return rootName(field(n, 'argument')!);
    case 'binary_expression':
      return field(n, 'left') ? rootName(field(n, 'left')!) : null;
    case 'call_expression': {
      const fn = field(n, 'function');
      const args = namedChildren(field(n, 'arguments') ?? n);
      if (fn?.type === 'template_function' && /_cast$/.test(field(fn, 'name')?.text ?? '') && args[0]) return rootName(args[0]);
      if (/^(thrust::raw_pointer_cast|raw_pointer_cast)$/.test(fn?.text ?? '') && args[0]) return rootName(args[0]);
      return null;
    }
    case 'field_expression':
      // x.data_ptr<float>() style: name the object
      return n.text.replace(/\s+/g, '');
    default:
      return null;
  }
}

function paramFacts(declarator: Node): ParamFact[] {
  const list = field(declarator, 'parameters');
  if (!list) return [];
  const out: ParamFact[] = [];
  for (const p of namedChildren(list)) {
    if (p.type !== 'parameter_declaration' && p.type !== 'optional_parameter_declaration') continue;
    const info = declaratorName(field(p, 'declarator'));
    if (!info) continue;
    const quals = children(p).filter((c) => c.type === 'type_qualifier').map((c) => c.text);
    const container = containerElement(field(p, 'type')?.text ?? '');
    out.push({
      name: info.name,
      type: container ?? baseType(field(p, 'type')?.text ?? ''),
      pointer: info.pointer || info.arrayDims.length > 0 || container !== null,
      ...(info.arrayDims.length > 1 ? { rank: info.arrayDims.length } : {}),
      isConst: quals.includes('const') || /\bconst\b/.test(field(p, 'type')?.text ?? ''),
      restrict: info.restrict,
    });
  }
  return out;
}

/** Finds the function_declarator inside a (possibly pointer/reference) declarator. */
function functionDeclarator(d: Node | null): Node | null {
  let cur = d;
  while (cur && cur.type !== 'function_declarator') cur = field(cur, 'declarator');
  return cur;
}

function classify(w: FunctionWalker, isKernel: boolean): KernelClass {
  const global = w.accesses.filter((a) => a.space === 'global');
  // grid-stride and block-stride loops (`for (i = threadIdx.x; i < n; i += blockDim.x)`) spread elements over threads
  const innerLoops = w.loops.filter((l) => !l.gridStride && !l.blockStride);
  const loopSyms = new Set(innerLoops.map((l) => l.symbol));
  const dependsOnLoop = (a: AccessFact) => a.indices.some((p) => p.dependsOn((s) => s.startsWith('#loop') && (loopSyms.has(s) || [...loopSyms].some((ls) => s.startsWith(ls.split(':')[0] + ':')))));
  if (!isKernel) {
    if (innerLoops.length === 0) return 'other';
  }
  if (w.accesses.some((a) => a.kind === 'atomic')) return 'reduction';
  // GEMM-like: a loop where two different arrays are read with the loop symbol in their index and multiplied
  for (const l of innerLoops) {
    const reads = w.accesses.filter((a) => a.kind === 'load' && a.loops.includes(l.id) && a.indices.some((p) => p.dependsOn((s) => s === l.symbol)));
    const arrays = new Set(reads.map((a) => a.array));
    if (arrays.size >= 2 && reads.length >= 2) return 'gemm';
  }
  if (innerLoops.length > 0) {
    const loopReads = global.filter((a) => a.kind === 'load' && dependsOnLoop(a));
    if (loopReads.length > 0 || w.shared.length > 0) return 'reduction';
  }
  // loops over registers only (`for (k = 0; k < packed.size; ++k)` on a loaded pack) leave a kernel elementwise;
  // a loop to a runtime count (`k <= terms`) is a computation of its own
  const runtimeTrip = (l: LoopFact) => l.bound !== null && w.paramNames.has(l.bound.trim());
  const memoryLoops = innerLoops.filter((l) => runtimeTrip(l) || global.some((a) => a.loops.includes(l.id)));
  if (isKernel && global.length > 0 && memoryLoops.length === 0 && w.shared.length === 0) {
    // stencil: the same array read at several constant offsets
    const byArray = new Map<string, Set<string>>();
    for (const a of global) {
      if (a.kind !== 'load' || a.indices.length !== 1 || !a.indices[0].dependsOn(isVarying)) continue; // `pars[0..6]`: scalars, not a stencil
      const key = a.indices[0].without('').toString();
      const set = byArray.get(a.array) ?? new Set<string>();
      set.add(key + '|' + a.indices[0].constant);
      byArray.set(a.array, set);
    }
    for (const offs of byArray.values()) if (offs.size >= 3) return 'stencil';
    // elementwise: each thread writes its own elements; a kernel whose only stores are
    // warp-uniform (`partial[blockIdx.x] = sum`) reduces what it read
    const stores = global.filter((a) => a.kind !== 'load');
    if (stores.length && stores.every((a) => a.indices.some((p) => p.unknown || p.dependsOn(isVarying)))) return 'elementwise';
    if (stores.length) return 'reduction';
  }
  return 'other';
}

/** Extracts the facts of one function_definition node. */
export function functionFacts(
  def: Node,
  lines: string[],
  fileArrays: readonly FileArray[] = [],
  constants: ReadonlyMap<string, number> = new Map(),
  macros: ReadonlyMap<string, MacroDef> = new Map(),
  helpers: ReadonlyMap<string, Node> = new Map(),
  aliases: TypeAliases = new Map(),
): FunctionFacts | null {
  const fdecl = functionDeclarator(field(def, 'declarator'));
  const body = field(def, 'body');
  if (!fdecl || !body) return null;
  const nameNode = field(fdecl, 'declarator');
  if (!nameNode) return null;
  const heads = children(def).filter((c) => c !== body).map((c) => c.text).join(' ');
  const isKernel = /\b__global__\b/.test(heads);
  const isDevice = /\b__device__\b/.test(heads);
  const params = paramFacts(fdecl);
  const templateParams: string[] = [];
  const tmpl = def.parent?.type === 'template_declaration' ? def.parent : null;
  if (tmpl) {
    for (const p of namedChildren(field(tmpl, 'parameters') ?? tmpl)) {
      const nm = field(p, 'declarator') ?? field(p, 'name') ?? namedChildren(p).find((c) => c.type === 'identifier' || c.type === 'type_identifier');
      if (nm) templateParams.push(nm.text);
    }
  }
  const w = new FunctionWalker(isKernel || isDevice, params, lines, fileArrays, constants, macros, isKernel ? 'global' : isDevice ? 'unknown' : 'host', helpers, 0, aliases);
  w.statement(body);
  const launchBounds = children(def).find((c) => c.type === 'launch_bounds')?.text ?? null;
  return {
    name: nameNode.text.replace(/^.*::/, ''),
    range: nodeRange(def),
    nameRange: nodeRange(nameNode.type === 'qualified_identifier' ? field(nameNode, 'name') ?? nameNode : nameNode),
    isKernel,
    isDevice,
    params,
    templateParams,
    loops: w.loops,
    accesses: w.accesses,
    shared: w.shared,
    calls: w.calls,
    syncthreads: w.syncthreads,
    usesVectorTypes: w.usesVectorTypes,
    arithmetic: w.arithmetic,
    kernelClass: classify(w, isKernel),
    indexBound: w.indexBound,
    launchBounds,
  };
}

/** The least of a syntax node that the top-level scan needs: web-tree-sitter's Node and SyntaxNode both have it. */
export interface TreeNode<N> {
  type: string;
  children: N[];
  parent: N | null;
}

/** Where a top-level scan stops descending: function bodies and expression-level code. */
const SCAN_STOP = new Set(['compound_statement', 'initializer_list', 'argument_list', 'comment', 'string_literal', 'preproc_include', 'expression_statement', 'enumerator_list']);
const FILE_SCOPE = new Set(['translation_unit', 'declaration_list', 'linkage_specification', 'preproc_if', 'preproc_ifdef', 'preproc_else', 'preproc_elif']);

/**
 * Function definitions (in namespaces, templates and classes too) and file-scope
 * declarations, found without entering any function body: run on the real tree, it
 * touches few nodes, so an edit costs little before the cache decides what to re-derive.
 */
export function topLevelItems<N extends TreeNode<N>>(root: N): { functions: N[]; declarations: N[] } {
  const functions: N[] = [];
  const declarations: N[] = []; // file-scope declarations and #defines
  const stack: N[] = [root];
  while (stack.length) {
    const n = stack.pop()!;
    if (n.type === 'function_definition') {
      functions.push(n);
      continue;
    }
    if ((n.type === 'declaration' || n.type === 'preproc_def' || n.type === 'preproc_function_def') && n.parent && FILE_SCOPE.has(n.parent.type)) {
      declarations.push(n);
      continue;
    }
    if (SCAN_STOP.has(n.type)) continue;
    const kids = n.children;
    for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]);
  }
  return { functions, declarations };
}

/** Arrays and containers declared at file scope (`static float A[N][N];`, `__constant__ float w[9];`). */
export function fileArrays(declarations: Node[]): FileArray[] {
  const out: FileArray[] = [];
  for (const c of declarations) {
    if (c.type !== 'declaration') continue;
    const head = c.text.split(/[=;{]/)[0];
    const typeText = field(c, 'type')?.text ?? '';
    const container = containerElement(typeText);
    const elemType = container ?? baseType(typeText);
    const space: MemorySpace = /__shared__/.test(head) ? 'shared' : /__constant__/.test(head) ? 'constant' : /__device__|__managed__/.test(head) ? 'global' : 'host';
    for (const d of children(c)) {
      const info = declaratorName(d);
      if (info && (info.arrayDims.length > 0 || (container && !info.pointer))) out.push({ name: info.name, elemType, space });
    }
  }
  return out;
}

/** Integer constants of the file: `#define TILE 32`, `constexpr int TILE = 32;`, `const int N = 1024;`. */
export function fileConstants(declarations: Node[]): Map<string, number> {
  const out = new Map<string, number>();
  const literal = (t: string | undefined) => {
    const m = t ? /^\(?\s*(-?\d+)[uUlL]*\s*\)?$/.exec(t.trim()) : null;
    return m ? Number(m[1]) : null;
  };
  for (const c of declarations) {
    if (c.type === 'preproc_def') {
      const name = field(c, 'name')?.text;
      const v = literal(field(c, 'value')?.text);
      if (name && v !== null) out.set(name, v);
    } else if (/^\s*(static\s+)?(constexpr|const)\b/.test(c.text) && /\b(int|unsigned|size_t|long|int32_t|int64_t|auto)\b/.test(field(c, 'type')?.text ?? '')) {
      for (const d of children(c)) {
        if (d.type !== 'init_declarator') continue;
        const name = field(d, 'declarator')?.text;
        const v = literal(field(d, 'value')?.text);
        if (name && v !== null) out.set(name, v);
      }
    }
  }
  return out;
}

/**
 * Function-like macros of the file whose body is an expression, parsed with `parse`
 * (which returns the expression node of `int __ka = (<body>);`, or null).
 */
export function fileMacros(declarations: Node[], parse: (body: string) => Node | null): Map<string, MacroDef> {
  const out = new Map<string, MacroDef>();
  for (const d of declarations) {
    if (d.type !== 'preproc_function_def') continue;
    const name = field(d, 'name')?.text;
    const value = field(d, 'value')?.text.replace(/\\\n/g, ' ').trim();
    if (!name || !value) continue;
    const params = namedChildren(field(d, 'parameters') ?? d).map((p) => p.text);
    out.set(name, { params, body: parse(value) });
  }
  return out;
}
