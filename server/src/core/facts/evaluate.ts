// Integer and pointer expressions of C-family code as index forms (ANALYSIS.md §1): an
// integer becomes a polynomial over thread indices, loop symbols and parameters, with
// atoms for `/`, `%`, `&`, `>>`, `min` and `?:` of varying values; a pointer becomes a base
// array, an offset, an element type and a memory space. Expression macros are expanded
// as they are evaluated. The statement walker (cfamily.ts) builds on this.
import type { ElementAccessor } from '../preprocess/accessors';
import type { SyntaxNode as Node } from '../mirror';
import { Poly, atom, atomDef, constantAtom, isVarying, loneSymbol, symbolKind, type AtomOp } from '../affine';
import { field, namedChildren } from '../syntax';
import { tick } from '../budget';
import { VECTOR_TYPES, baseType, elementBits, type TypeAliases } from './ctypes';
import { ROWS_MEMBER } from './records';
import type { MacroDef } from './file-scope';
import type { AccessFact, MemorySpace, ParamFact } from './model';

const COMPARISONS = new Set(['<', '<=', '>', '>=', '==', '!=']);
const ATOM_OPS = new Set(['/', '%', '&', '|', '^', '>>', '<<']);
/** Expression macros nested deeper than this, or expanded more often in one function, are unknown (`#define M1(x) M0(x) + M0(x)` doubles at each level). */
const MAX_MACRO_DEPTH = 32;
const MAX_MACRO_EXPANSIONS = 10_000;
/** The element count of a vector pack, by name: `x128::size`, `VecSize`, `kPackSize`, `ELTS_PER_THREAD`, `ILP`. */
const PACK_COUNT = /::(?:size|kSize|N|kN|kElts)$|vec|pack|elts|elems|^ilp$|^kN$|^N_?ELEM/i;

/** Longer call arguments are kept cut short: a launch's arguments are compared by text, and `f(f(f(...)))` must not keep every suffix. */
/** Integer types that hold addresses (`int64_t* key_cache_ptrs`). */
const ADDRESS_INTEGER = /^(?:const\s+)?(?:u?int64_t|uintptr_t|intptr_t|size_t|(?:unsigned\s+)?long(?:\s+long)?)\b/;
/** The type argument of a `reinterpret_cast<T*>` call's function node. */
const targText = (fn: Node): string => namedChildren(field(fn, 'arguments') ?? fn)[0]?.text ?? '';

export const MAX_ARG_TEXT = 2000;

/** `(x)` -> `x`. */
export function unparen(n: Node | null): Node | null {
  while (n?.type === 'parenthesized_expression') n = namedChildren(n)[0] ?? null;
  return n;
}

export type Value =
  | { kind: 'int'; poly: Poly }
  | ({ kind: 'ptr' } & PtrValue);

export interface PtrValue {
  base: string;
  offset: Poly;
  elemType: string | null;
  space: MemorySpace;
  vector: boolean;
  /**
   * A declared `__shared__` array's dimensions (`Bs[2][8][128]`, or `Bs[2][BK][BN]` of a template's
   * arguments, bound at its launches): `&Bs[s][k][c]` is then one flat offset.
   */
  dims?: readonly (Poly | null)[];
  /** The dims of the array a pointer to an array points at (`float (*s)[2][T][T]`: 2, T, T). */
  rows?: readonly (Poly | null)[];
  /** An array of pointers (`__shared__ float* peer[R]`): `peer[r][i]` reads through the loaded pointer. */
  pointers?: boolean;
  /** A host function's own automatic array (`float acc[4][4]`, not `static`): on its stack. */
  onStack?: boolean;
  /**
   * A 32-bit shared address made of the pointer (`__cvta_generic_to_shared(s_b)`): what is added to it counts bytes
   * (`base + (k * ld + n) * sizeof(half)`), not elements.
   */
  byteAddress?: boolean;
}

/**
 * `&a[i][j][k]` of `a[D0][D1][D2]` as one offset in elements, `(i * D1 + j) * D2 + k`, when the
 * inner dimensions are known (constants, or template arguments the launches bind); a row's address
 * (`&a[i]`) is its first element's.
 */
/** `p + k` in elements: k whole rows for a pointer to an array (`tile + 1` of `float (*tile)[32]` is 32 elements on); null when a row's size is not known. */
export function rowsOf(p: PtrValue, k: Poly): Poly | null {
  if (!p.rows) return k;
  let size = Poly.const(1);
  for (const r of p.rows) {
    if (r === null) return null;
    size = size.mul(r);
  }
  return k.mul(size);
}

function withoutRows(p: PtrValue): PtrValue {
  const { rows: _rows, ...flat } = p;
  return flat;
}

function flatOffset(indices: readonly Poly[], dims: readonly (Poly | null)[]): Poly | null {
  if (dims.length < indices.length) return null;
  let flat = indices[0];
  for (let k = 1; k < dims.length; k++) {
    const d = dims[k];
    if (d === null) return null;
    flat = flat.mul(d);
    if (k < indices.length) flat = flat.add(indices[k]);
  }
  return flat;
}

/**
 * Whether `p` is the same for a warp's lanes in one pass: it reads no thread, lane or loop index, or reads the thread
 * index only through a quotient of a warp's consecutive threads by a run-time size or a multiple of 32 (`idx / C`, the
 * row of a thread-per-element kernel, whose rows of a multiple of 32 elements start on warp boundaries; `tid / 32`, a
 * warp's index), and what is made of such quotients (`(idx / C) % T`).
 */
function sameAcrossWarp(p: Poly): boolean {
  return !p.unknown && [...p.symbols()].every(uniformSymbol);
}
function uniformSymbol(s: string): boolean {
  if (!isVarying(s)) return true;
  const d = atomDef(s);
  if (!d) return false; // a thread, lane or loop index
  if (d.args.every((x) => !x.unknown && [...x.symbols()].every(uniformSymbol))) return true;
  // a quotient of a warp's consecutive threads by a multiple of 32: a constant, or a run-time row width taken as one
  if (d.op !== '/') return false;
  const [num, den] = d.args;
  const rows = den.isConstant ? den.constant > 0 && den.constant % 32 === 0 : !den.unknown && den.symbols().size > 0 && !den.dependsOn(isVarying);
  return rows && warpAligned(num);
}

/**
 * `base + threadIdx.x` whose base is a multiple of 32 the warp shares (`blockIdx.x * blockDim.x`, `32 * w`, a constant
 * such): a warp's 32 consecutive values from a multiple of 32 (not `2 * tid`, two per thread, nor `tid + 5`).
 */
function warpAligned(num: Poly): boolean {
  if (num.unknown || num.terms.get('threadIdx.x') !== 1) return false;
  for (const [k, v] of num.terms) {
    if (k === 'threadIdx.x') continue;
    const parts = k ? k.split('*') : [];
    if (parts.some(isVarying) || (!parts.includes('blockDim.x') && v % 32 !== 0)) return false;
  }
  return true;
}

/** Symbols for opaque but warp-uniform sub-expressions (`n / 4`, `min(a, b)`). */
const NAMES_IN_TEXT = /[A-Za-z_]\w*/g;
const NUMBER_LITERALS = /\b\d[\w.]*/g;

function opaque(n: Node): Poly {
  // a huge sub-expression is named by its start, length and a hash: nested ones would otherwise keep every suffix
  if (n.endIndex - n.startIndex > 4 * MAX_ARG_TEXT) return Poly.sym(`${n.text.slice(0, 64).replace(/\s+/g, '').replace(/\*/g, '×')}…#${n.endIndex - n.startIndex}:${textHash(n.text)}`);
  return Poly.sym(n.text.replace(/\s+/g, '').replace(/\*/g, '×'));
}
/**
 * A source text for messages: cut to MAX_ARG_TEXT characters, as a flat copy (a slice would
 * keep the whole text alive), with CRLF line ends as `\n` (a CRLF file reads the same as LF).
 */
export function capped(t: string): string {
  const cut = t.length > MAX_ARG_TEXT ? (' ' + t.slice(0, MAX_ARG_TEXT)).slice(1) : t;
  return cut.includes('\r') ? cut.replace(/\r\n?/g, '\n') : cut;
}
function textHash(t: string): string {
  let h = 2166136261;
  for (let i = 0; i < t.length; i++) h = Math.imul(h ^ t.charCodeAt(i), 16777619);
  return (h >>> 0).toString(36);
}

/** `const_cast<float&>(b[i])` is `b[i]` (LeetCUDA's `FLOAT4(const_cast<float&>(b[i]))` loads from a `const float*`). */
function withoutConstCast(n: Node | null): Node | null {
  const fn = n?.type === 'call_expression' ? field(n, 'function') : null;
  if (fn?.type !== 'template_function' || field(fn, 'name')?.text !== 'const_cast') return n;
  const args = namedChildren(field(n!, 'arguments') ?? n!);
  return args.length === 1 ? unparen(args[0]) : n;
}

/** Conversions of a generic pointer to the 32-bit shared-window address PTX takes (CUDA's, and CUTLASS's and common helpers'). */
const SHARED_ADDRESS = /^(?:__cvta_generic_to_shared|(?:cute::)?cast_smem_ptr_to_uint|smem_u32addr|get_smem_pointer|cvta_to_shared_u32)$/;

/**
 * `Packed128<float>::size`, or `f128::size` through a typedef of it: the elements of one 128-bit pack (4 floats,
 * 8 halves), when the element type is one known width; else null (`x128::size` of a `floatX` the build decides).
 */
function packElements(text: string, aliases: TypeAliases): number | null {
  const m = /^([A-Za-z_]\w*(?:<[^<>]+>)?)::size$/.exec(text);
  if (!m) return null;
  const scopes = m[1].includes('<') ? [m[1]] : aliases.get(m[1]) ?? [];
  if (scopes.length !== 1) return null;
  const t = /^(?:\w+::)*\w*128\w*<\s*(?:const\s+)?([\w:]+)\s*>$/.exec(scopes[0]);
  // (one width only: `floatX`, bf16 or float as the build decides, leaves it open)
  const widths = t ? new Set((aliases.get(t[1]) ?? [t[1]]).map((x) => elementBits(x, aliases))) : new Set([null]);
  const bits = widths.size === 1 ? [...widths][0] : null;
  return bits && bits <= 128 && 128 % bits === 0 ? 128 / bits : null;
}

export class Evaluator {
  /** The value each integer assignment the walk has applied left its variable, by the assignment's node. */
  protected readonly assigned = new Map<number, Poly>();
  /** The function's template parameters (`T` of `template <typename T>`): a type among them is an element type. */
  templateParams: ReadonlySet<string> = new Set();
  /**
   * Types the function names with a `typedef` of its own whose size it spells as a pack of its elements (apex's
   * `typedef typename std::aligned_storage<ILP * sizeof(T), ILP * alignof(T)>::type LT;` in `load_store`).
   */
  protected readonly localPacks = new Set<string>();
  /** Matrix classes' element accessors by method name (`m.at(i, j)`): see preprocess/accessors.ts. */
  elementAccessors: ReadonlyMap<string, ElementAccessor> = new Map();
  env = new Map<string, Value>();
  /** Cooperative-groups tiles by name and size (`thread_block_tile<32> warp = tiled_partition<32>(block)`). */
  protected groupTiles: Map<string, number> | null = null;
  protected params = new Map<string, ParamFact>();
  /** The function reads or writes through vector types (`float4`, `half2`) somewhere. */
  usesVectorTypes = false;
  /** Where a parameter's pointer members point (`p->x`, `params.input`): as its pointer parameters do. */
  protected memberSpace: MemorySpace | null = null;
  /** Host pointers to a struct of the caller's (`RunState* s = &t->state;`): their members are buffers, as a pointer parameter's are. */
  protected readonly structPointers = new Set<string>();
  /** Element types of the file's structs' pointer members (records.ts memberElements): what `p.A[i]` reads. */
  protected memberElements: ReadonlyMap<string, ReadonlyMap<string, string>> = new Map();
  /** The class a host method is defined in (`Vec` of `double Vec::sum()`): its members are names in its body. */
  ownerClass: string | null = null;

  constructor(
    protected readonly macros: ReadonlyMap<string, MacroDef>,
    protected readonly aliases: TypeAliases,
  ) {}

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
        // cooperative groups: `block.thread_index().x`, `block.group_index().y`, `block.group_dim().x`
        const cg = arg && f && /^[xyz]$/.test(f.text) ? cooperativeIndex(arg, (name) => this.localObjectType(name)) : null;
        if (cg && f) return Poly.sym(`${cg}.${f.text}`);
        // an extent of a local `dim3` with constant extents (`block.x` of `dim3 block(1024)`)
        const extent = arg?.type === 'identifier' && f && /^[xyz]$/.test(f.text) ? this.env.get(`${arg.text}.${f.text}`) : undefined;
        if (extent?.kind === 'int') return extent.poly;
        return this.opaqueIfUniform(n, arg ? [arg] : []);
      }
      case 'parenthesized_expression':
        return this.eval(namedChildren(n)[0] ?? null);
      case 'cast_expression':
        return this.castAsBinary(n) ?? this.eval(field(n, 'value'));
      case 'unary_expression': {
        const op = field(n, 'operator')?.text;
        const arg = this.eval(field(n, 'argument'));
        if (op === '-') return arg.scale(-1);
        if (op === '+') return arg;
        // (`~63`, a mask that rounds down to a multiple of 64: the constant -64)
        if (op === '~' && arg.isConstant && Number.isInteger(arg.constant) && arg.constant > 0 && arg.constant < 2 ** 30) return Poly.const(~arg.constant);
        return this.opaqueIfUniformValues(n, [arg]); // `~~~t`: each level evaluated once, not twice
      }
      case 'binary_expression':
        return this.evalBinary(n);
      case 'update_expression': {
        // `row[i++]` reads at `i` (the step comes after); `row[++i]` one further
        const arg = field(n, 'argument');
        const v = this.eval(arg);
        if (arg && n.text.trimStart().startsWith(arg.text)) return v;
        return v.add(Poly.const(n.text.includes('++') ? 1 : -1));
      }
      case 'subscript_expression':
      case 'pointer_expression': {
        // a loaded value used as an index: uniform only if the load's index is (the token of a row, `inp[idx / C]`)
        const ptr = this.accessTarget(n);
        if (ptr && ptr.indices.every(sameAcrossWarp)) return opaque(n);
        return Poly.unknown;
      }
      case 'call_expression': {
        const fn = field(n, 'function');
        const args = namedChildren(field(n, 'arguments') ?? n);
        if (fn?.type === 'template_function' && /_cast$/.test(field(fn, 'name')?.text ?? '') && args.length === 1) return this.eval(args[0]);
        const macro = this.macroFor(n);
        if (macro) return this.expand(n, macro, (body) => this.eval(body), Poly.unknown);
        // cooperative groups: `cg::this_grid().thread_rank()` is the global thread index, a block's the thread's place in it
        const rank = args.length === 0 ? threadRank(fn, (name) => this.localObjectType(name)) ?? this.tileQuery(fn, n) : null;
        if (rank) return rank;
        // (`std::min<uint64_t>(a, b)`, `cuda::std::max(...)`: the same min and max)
        const name = fn?.text.replace(/^(?:::)?(?:(?:std|cuda|thrust)::)*/, '').replace(/\s*<[^<>]*>$/, '');
        // (`__mul24(a, b)`, `__umul24`: the 24-bit multiply old SDK code indexes with, `IMUL(blockDim.x, blockIdx.x)`: a product)
        if (args.length === 2 && (name === '__mul24' || name === '__umul24')) return this.eval(args[0]).mul(this.eval(args[1]));
        if (args.length === 2 && (name === 'min' || name === 'max' || name === 'umin' || name === 'umax')) {
          const [a, b] = args.map((x) => this.eval(x));
          if ([a, b].some((p) => !p.unknown && p.dependsOn(isVarying))) return atom(name.endsWith('min') ? 'min' : 'max', [a, b]);
          return this.opaqueIfUniformValues(n, [a, b]);
        }
        const helperName = fn?.type === 'template_function' ? field(fn, 'name')?.text : fn?.type === 'identifier' ? fn.text : undefined;
        const returned = helperName ? this.helperValue(n, helperName, args) : null;
        if (returned) return returned;
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
      case 'qualified_identifier': {
        // `P::kVec` of a plain struct in the file: its value
        const known = this.env.get(n.text.replace(/\s+/g, ''));
        if (known?.kind === 'int') return known.poly;
        // `f128::size` with `typedef Packed128<float> f128`: the elements of one 16-byte pack
        const pack = packElements(n.text.replace(/\s+/g, ''), this.aliases);
        if (pack !== null) return Poly.const(pack);
        return opaque(n); // `x128::size` of an undecided `floatX`, `Config::kTile`: a compile-time constant we cannot see
      }
      case 'true':
        return Poly.const(1);
      case 'false':
        return Poly.const(0);
      case 'sizeof_expression': {
        // `sizeof(float4)`, `sizeof(half)`: a type whose width is known is that many bytes (vLLM's `16 / sizeof(scalar_t)`
        // stays a symbol until the type is known)
        // (`sizeof(float4)` may parse as a parenthesized name: a name that is a known type reads the same)
        const value = field(n, 'value');
        const named = value?.type === 'parenthesized_expression' ? namedChildren(value)[0] : null;
        const text = (field(n, 'type') ?? (named?.type === 'identifier' ? named : null))?.text.replace(/\s+/g, ' ').trim();
        const bits = text && (this.aliases.get(text)?.length ?? 1) === 1 ? elementBits(text, this.aliases) : null;
        return bits !== null && bits % 8 === 0 ? Poly.const(bits / 8) : opaque(n);
      }
      case 'assignment_expression':
        // `(idx /= 6) % 24`: the value the assignment leaves, once the walk has applied it (before that, unknown)
        return this.assigned.get(n.id) ?? Poly.unknown;
      default:
        return Poly.unknown;
    }
  }

  /** One of the file's plain structs, whose layout is known (the walk knows them). */
  protected isRecord(_type: string): boolean {
    return false;
  }

  /** The value a call of one of the file's helpers returns (`at2(row, k, cols)`), when the walk can read it; null here. */
  protected helperValue(_call: Node, _name: string, _args: readonly Node[]): Poly | null {
    return null;
  }

  /** The type of a local object the walk has seen declared (`Matrix res;`), not an array or pointer; undefined here. */
  protected localObjectType(_name: string): string | undefined {
    return undefined;
  }

  /** The number of elements of a local array the walk has seen declared (`int block_sizes[] = {32, 64}`: 2); null here. */
  protected arrayLength(_name: string): number | null {
    return null;
  }

  /** The pointer a call of one of the file's helpers returns (`row_ptr(base, row, pitch)`), when the walk can read it; null here. */
  protected helperPointer(_call: Node, _name: string, _args: readonly Node[]): PtrValue | null {
    return null;
  }

  /** `opaqueIfUniform` over values already evaluated. */
  private opaqueIfUniformValues(n: Node, values: Poly[]): Poly {
    return values.some((v) => v.unknown || v.dependsOn(isVarying)) ? Poly.unknown : opaque(n);
  }

  private opaqueIfUniform(n: Node, parts: (Node | null)[]): Poly {
    for (const p of parts) {
      if (!p || this.fixedPointer(p)) continue;
      const v = this.eval(p);
      if (v.unknown || v.dependsOn(isVarying)) return Poly.unknown;
    }
    return opaque(n);
  }

  /**
   * A pointer name at a fixed place (`m` of `m->cols`, `shape` of `ncols(shape)`): what is read through it is the same
   * for every lane and every pass, as a struct passed by value is (`l.outputs`); one moved by a loop or a lane is not.
   */
  private fixedPointer(p: Node): boolean {
    const v = p.type === 'identifier' ? this.env.get(p.text) : undefined;
    return v?.kind === 'ptr' && !v.offset.unknown && v.offset.isConstant;
  }

  private evalBinary(n: Node): Poly {
    const op = field(n, 'operator')?.text;
    const l = field(n, 'left');
    const r = field(n, 'right');
    // `sizeof(block_sizes) / sizeof(int)`, `sizeof(a) / sizeof(a[0])`: the element count of a local array
    if (op === '/' && l?.type === 'sizeof_expression' && r?.type === 'sizeof_expression') {
      const name = /^sizeof\s*\(?\s*([A-Za-z_]\w*)\s*\)?$/.exec(l.text)?.[1];
      const count = name ? this.arrayLength(name) : null;
      if (count !== null) return Poly.const(count);
    }
    if (op === '&&' || op === '||' || op === '==' || op === '!=' || op === '<' || op === '>' || op === '<=' || op === '>=') {
      return this.opaqueIfUniform(n, [l, r]);
    }
    // `(i) + (j) * n` misread as `((i) +(j)) * n`: the sign binds to `(j) * n`, as written
    if (l?.type === 'cast_expression' && (op === '*' || op === '/' || op === '%')) {
      const value = field(l, 'value');
      const sign = value?.type === 'unary_expression' ? field(value, 'operator')?.text : undefined;
      const left = (sign === '+' || sign === '-') && this.castAsBinary(l) ? this.castOperand(l) : null;
      if (left) return this.combine(sign, left, this.combine(op, this.eval(field(value!, 'argument')), this.eval(r), n), n);
    }
    return this.combine(op, this.eval(l), this.eval(r), n);
  }

  /**
   * `(inp) + idx * T`, a hygienic macro's row pointer, reads to the grammar as `((inp) +idx) * T`, a cast of `+idx`
   * to a type named `inp`. Where `inp` is a pointer, it is the pointer it looks like: `inp` moved by the product,
   * the sign binding to the factors the cast's operand starts (`n` is the cast, or a product with it leftmost).
   */
  private castPointer(n: Node): PtrValue | null {
    let cast: Node | null = n;
    while (cast?.type === 'binary_expression' && ['*', '/', '%'].includes(field(cast, 'operator')?.text ?? '')) cast = field(cast, 'left');
    if (cast?.type !== 'cast_expression') return null;
    const name = field(cast, 'type')?.text.trim() ?? '';
    const value = field(cast, 'value');
    const sign = value?.type === 'unary_expression' ? field(value, 'operator')?.text : undefined;
    const p = /^[A-Za-z_]\w*$/.test(name) && (sign === '+' || sign === '-') ? this.env.get(name) : undefined;
    if (p?.kind !== 'ptr') return null;
    const rest = (m: Node): Poly => m === cast ? this.eval(field(value!, 'argument')) : this.combine(field(m, 'operator')!.text, rest(field(m, 'left')!), this.eval(field(m, 'right')), m);
    const off = this.elementsOf(p, rest(n));
    return off ? { ...p, offset: sign === '+' ? p.offset.add(off) : p.offset.sub(off) } : null;
  }

  /** The variable a misread cast names as its type (`i` in `(i) + x`). */
  private castOperand(n: Node): Poly | null {
    const name = field(n, 'type')?.text.trim() ?? '';
    const known = this.env.get(name);
    const param = this.params.get(name);
    return known?.kind === 'int' ? known.poly : param && !param.pointer ? Poly.sym(name) : null;
  }

  /**
   * `(i) + (j) * n`, the body of `#define IDX(i, j) ((i) + (j) * n)`, reads to the grammar as a
   * cast of `+(j)` to a type named `i`. When `i` is an integer variable, it is the sum it looks like.
   */
  private castAsBinary(n: Node): Poly | null {
    const name = field(n, 'type')?.text.trim() ?? '';
    const value = field(n, 'value');
    if (!value || !/^[A-Za-z_]\w*$/.test(name)) return null;
    const left = this.castOperand(n);
    if (!left) return null;
    const op = field(value, 'operator')?.text;
    if (value.type === 'unary_expression' && (op === '+' || op === '-')) return this.combine(op, left, this.eval(field(value, 'argument')), n);
    if (value.type === 'pointer_expression' && op === '*') return this.combine('*', left, this.eval(field(value, 'argument')), n);
    return null;
  }

  /**
   * A tile's place in the block, for a 1-D block whose warps the tiles split: `warp.thread_rank()`
   * is the lane (`threadIdx.x % 32`), `meta_group_rank()` the warp (`threadIdx.x / 32`), `size()` 32.
   */
  private tileQuery(fn: Node | null, n: Node): Poly | null {
    const obj = fn?.type === 'field_expression' ? field(fn, 'argument') : null;
    const size = obj?.type === 'identifier' ? this.groupTiles?.get(obj.text) : undefined;
    if (!size) return null;
    const tid = Poly.sym('threadIdx.x');
    const k = Poly.const(size);
    switch (field(fn!, 'field')?.text) {
      case 'thread_rank':
        return this.combine('%', tid, k, n);
      case 'meta_group_rank':
        return this.combine('/', tid, k, n);
      case 'size':
      case 'num_threads':
        return k;
      case 'meta_group_size':
        return this.combine('/', Poly.sym('blockDim.x'), k, n);
      default:
        return null;
    }
  }

  /** Notes the tiles a declaration makes (`cg::thread_block_tile<32> warp = ...`, `auto tile = cg::tiled_partition<16>(block)`). */
  protected noteGroupTiles(decl: Node): void {
    const size = /\b(?:thread_block_tile|tiled_partition)\s*<\s*(\d+)\s*>/.exec(decl.text)?.[1];
    for (const d of namedChildren(decl)) {
      const name = d.type === 'init_declarator' ? field(d, 'declarator') : d.type === 'identifier' ? d : null;
      if (name?.type !== 'identifier') continue;
      if (size && +size > 0 && +size <= 32) (this.groupTiles ??= new Map()).set(name.text, +size);
      else this.groupTiles?.delete(name.text);
    }
  }

  /** `a op b` of values already evaluated (`x / c`, and `x /= c` in an assignment); `n` names a uniform result. */
  protected combine(op: string | undefined, a: Poly, b: Poly, n: Node): Poly {
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
        // `n / n` (a helper's `size / parts` called with the same value twice): 1, as a size is never 0
        if (!a.unknown && !a.isConstant && a.equals(b)) return Poly.const(1);
        break;
      case '>>':
        if (b.isConstant && b.constant >= 0 && b.constant < 31) {
          const q = a.divExact(2 ** b.constant);
          if (q) return q;
        }
        break;
    }
    if (a.unknown || b.unknown) return Poly.unknown;
    // two constants: C's integer arithmetic (`(4 + 16 - 1) / 16` is 1 block)
    if (a.isConstant && b.isConstant && op && ATOM_OPS.has(op)) {
      const v = constantAtom(op as AtomOp, a.constant, b.constant, 0, 0);
      if (v !== null) return Poly.const(v);
    }
    // `tid / 32`, `tid % T`, `tid & 31`, `tid >> 5`: an atom, computed per lane
    if (a.dependsOn(isVarying) || b.dependsOn(isVarying)) return op && ATOM_OPS.has(op) ? atom(op as AtomOp, [a, b]) : Poly.unknown;
    // `128 / kPer` with `kPer` a local named for `kBoth ? 4 : 2`, or `32 / lanes` with `lanes` one for `32 / GROUPS`: named
    // by what it is made of (not by the local's name), so a launch's values decide it
    const [ta, tb] = [a, b].map((p) => (p.isConstant ? String(p.constant) : loneSymbol(p)));
    // (a name longer than opaque() keeps is not composed: quotients of quotients would grow without bound)
    if (!op || ta === null || tb === null || ta.length + tb.length > 4 * MAX_ARG_TEXT) return opaque(n);
    if ([ta, tb].some((t) => symbolKind(t) === 'uniform' && /[^\w.]/.test(t))) return Poly.sym(`(${ta})${op}(${tb})`);
    // (and `BlockDim / C` with `C` a local alias of the template parameter `ChunkSize`: by the parameter's name;
    // a literal's suffix, `4u`, is no name)
    if ((n.text.replace(NUMBER_LITERALS, ' ').match(NAMES_IN_TEXT) ?? []).some((w) => w !== ta && w !== tb)) return Poly.sym(`(${ta})${op}(${tb})`);
    return opaque(n);
  }

  /**
   * `__cvta_generic_to_shared(&tile[r][c])`, under casts to an integer (`static_cast<uint32_t>(...)`): the 32-bit
   * shared address inline PTX takes, read as the pointer it was made from.
   */
  sharedAddress(n: Node | null): PtrValue | null {
    n = unparen(n);
    while (n && (n.type === 'cast_expression' || (n.type === 'call_expression' && /_cast$/.test(field(field(n, 'function') ?? n, 'name')?.text ?? '')))) {
      n = unparen(n.type === 'cast_expression' ? field(n, 'value') : namedChildren(field(n, 'arguments') ?? n)[0] ?? null);
    }
    if (n?.type !== 'call_expression' || !SHARED_ADDRESS.test(field(n, 'function')?.text ?? '')) return null;
    const p = this.evalPtr(namedChildren(field(n, 'arguments') ?? n)[0] ?? null);
    return p?.space === 'shared' ? { ...p, byteAddress: true } : null;
  }

  /** A sum onto a 32-bit shared address (`smem_base + off * sizeof(half)`): the element it addresses. */
  sharedAddressSum(n: Node | null): PtrValue | null {
    n = unparen(n);
    if (n?.type !== 'binary_expression' || field(n, 'operator')?.text !== '+') return null;
    const p = this.evalPtr(n);
    return p?.byteAddress ? p : null;
  }

  /** An offset added to a pointer, in its elements (a byte address's bytes over the element's size; null where they do not divide). */
  private elementsOf(p: PtrValue, k: Poly): Poly | null {
    if (!p.byteAddress) return rowsOf(p, k);
    const bits = p.elemType ? elementBits(p.elemType, this.aliases) : null;
    return bits && bits % 8 === 0 && !p.rows ? k.divExact(bits / 8) ?? null : null;
  }

  /** What a pointer-valued expression points at. */
  evalPtr(n: Node | null): PtrValue | null {
    if (!n) return null;
    tick();
    switch (n.type) {
      case 'identifier': {
        const v = this.env.get(n.text);
        // (a host method's data member, `data[i]` in `double Vec::sum()`: its class's buffer, as `this->data` is)
        const member = !v && this.ownerClass && this.memberSpace === 'host' && !this.params.has(n.text) ? this.memberElements.get(this.ownerClass)?.get(n.text) : undefined;
        // (a table of rows, `std::vector<std::vector<float>> W`, indexed `W[o][i]`)
        if (member?.startsWith(ROWS_MEMBER)) return { base: n.text, offset: Poly.const(0), elemType: member.slice(ROWS_MEMBER.length), space: 'host', vector: false, dims: [null, null] };
        if (member) return { base: n.text, offset: Poly.const(0), elemType: member, space: 'host', vector: VECTOR_TYPES.has(member) };
        return v?.kind === 'ptr' ? v : null;
      }
      case 'parenthesized_expression':
        return this.evalPtr(namedChildren(n)[0] ?? null);
      case 'binary_expression': {
        const op = field(n, 'operator')?.text;
        if (op === '*' || op === '/' || op === '%') return this.castPointer(n);
        if (op !== '+' && op !== '-') return null;
        const lp = this.evalPtr(field(n, 'left'));
        if (lp) {
          const off = this.elementsOf(lp, this.eval(field(n, 'right')));
          return off ? { ...lp, offset: op === '+' ? lp.offset.add(off) : lp.offset.sub(off) } : null;
        }
        const rp = op === '+' ? this.evalPtr(field(n, 'right')) : null;
        const off = rp ? this.elementsOf(rp, this.eval(field(n, 'left'))) : null;
        return rp && off ? { ...rp, offset: rp.offset.add(off) } : null;
      }
      case 'cast_expression': {
        const misread = this.castPointer(n);
        if (misread) return misread;
        const t = field(n, 'type');
        const inner = this.evalPtr(field(n, 'value')) ?? (t ? this.tablePointer(field(n, 'value'), t.text) : null);
        return inner && t ? this.recast(inner, t.text) : inner;
      }
      case 'call_expression': {
        const fn = field(n, 'function');
        const args = namedChildren(field(n, 'arguments') ?? n);
        if (fn?.type === 'template_function' && /_cast$/.test(field(fn, 'name')?.text ?? '') && args.length === 1) {
          const inner = this.evalPtr(args[0]) ?? this.tablePointer(args[0], targText(fn));
          const targ = namedChildren(field(fn, 'arguments') ?? fn)[0];
          return inner && targ ? this.recast(inner, targ.text) : inner;
        }
        // `(scalar_t)((const T*)p.x)[xi]`: a cast to a type the grammar does not know reads as a call of `(scalar_t)`;
        // subscripted, its one argument is the pointer
        const typeLike = fn?.type === 'parenthesized_expression' && namedChildren(fn).length === 1 && namedChildren(fn)[0].type === 'identifier';
        if (typeLike && args.length === 1) return this.evalPtr(args[0]);
        // a container's storage, `BT.data()` of a `std::vector<float>`: the container indexed from its start
        if (fn?.type === 'field_expression' && field(fn, 'field')?.text === 'data' && args.length === 0) {
          const obj = unparen(field(fn, 'argument'));
          if (obj?.type === 'identifier') return this.evalPtr(obj);
        }
        const helperName = fn?.type === 'template_function' ? field(fn, 'name')?.text : fn?.type === 'identifier' ? fn.text : undefined;
        return helperName ? this.helperPointer(n, helperName, args) : null;
      }
      case 'field_expression': {
        // an array member of a parameter (`p->x[i]`, `params.input[idx]`, `this->data_[i]` in a method): its
        // own buffer, of an element type the facts do not know
        let obj: Node | null = n;
        while (obj && obj.type === 'field_expression') obj = unparen(field(obj, 'argument'));
        // (a struct passed by value or reference: a kernel's `Params p` with device pointers in it, and a host
        // function's `const Matrix &B` as its `const Matrix *B` would be, `B.data[k * p + j]`; not a scalar's)
        const param = obj?.type === 'identifier' && this.env.get(obj.text) === undefined ? this.params.get(obj.text) : undefined;
        const ofParam = !!param && (this.memberSpace === 'global' || (this.memberSpace === 'host' && !param.pointer && elementBits(param.type, this.aliases) === null));
        const ofPtrParam = obj?.type === 'identifier' && (this.params.get(obj.text)?.pointer || this.structPointers.has(obj.text));
        const ofThis = obj?.type === 'this' && this.memberSpace === 'host';
        // (a host function's local object of a class, `Matrix res; ... res.data[i][j]`: its members' storage is the heap's)
        const objectType = obj?.type === 'identifier' && this.memberSpace === 'host' ? this.localObjectType(obj.text) : undefined;
        const ofLocal = !!objectType && elementBits(objectType, this.aliases) === null && !/^(auto|const auto)$/.test(objectType);
        if (!this.memberSpace || !(ofParam || ofPtrParam || ofThis || ofLocal) || n.text.length > 80) return null;
        // (`p.A` of a `GemmParams p` whose `const float* A` the file declares: floats)
        const holder = unparen(field(n, 'argument')) !== obj ? undefined : obj?.type === 'identifier' ? objectType ?? this.params.get(obj.text)?.type : ofThis ? this.ownerClass ?? undefined : undefined;
        const declared = holder ? this.memberElements.get(baseType(holder))?.get(field(n, 'field')?.text ?? '') ?? null : null;
        if (declared?.startsWith(ROWS_MEMBER)) return { base: n.text, offset: Poly.const(0), elemType: declared.slice(ROWS_MEMBER.length), space: this.memberSpace, vector: false, dims: [null, null] };
        const elemType = declared;
        return { base: n.text, offset: Poly.const(0), elemType, space: this.memberSpace, vector: !!elemType && VECTOR_TYPES.has(elemType) };
      }
      case 'conditional_expression': {
        // `warp < 4 ? A + off_a : B + off_b` (warps split by role, copying A's chunk or B's): one of two buffers of one space
        // and type, named by the first. Where the test is the same for a warp's lanes and the two offsets differ by no thread
        // index, each warp's lanes spread alike in either: the first arm's offset stands for both; else where it points is no
        // one address (`(lane & 1) ? im + i : re + i` splits a warp between the buffers)
        const a = this.evalPtr(field(n, 'consequence'));
        const b = this.evalPtr(field(n, 'alternative'));
        if (!a || !b || a.space !== b.space || a.elemType !== b.elemType || a.vector !== b.vector) return null;
        const apart = a.offset.sub(b.offset);
        const uniform = this.sameForWarp(field(n, 'condition'));
        return uniform && !apart.unknown && !apart.dependsOn((x) => x.startsWith('threadIdx.')) ? a : { ...a, offset: Poly.unknown };
      }
      case 'update_expression': {
        // `*p++` reads where `p` points now; `*++p` one element further (the walk then moves `p`)
        const arg = unparen(field(n, 'argument'));
        const p = arg?.type === 'identifier' ? this.evalPtr(arg) : null;
        if (!p || n.text.trimStart().startsWith(arg!.text)) return p;
        return { ...p, offset: p.offset.add(Poly.const(n.text.includes('++') ? 1 : -1)) };
      }
      case 'subscript_expression': {
        // a row of a 2-D or 3-D shared array (`float* As_cur = As[stage]` of `__shared__ float As[2][BM * BK]`): its start
        // (or of a host array whose extents the declaration gives, `bk = B[k]` of `double B[N][N]`)
        const dims = this.declaredDims(n);
        const target = dims ? this.accessTarget(n) : null;
        if (!dims || !target || (target.space !== 'shared' && !knownExtents(dims, target.space)) || target.indices.length >= dims.length) return null;
        const offset = flatOffset(target.indices, dims);
        return offset ? { base: target.array, offset, elemType: target.elemType, space: target.space, vector: target.vector } : null;
      }
      case 'pointer_expression': {
        if (field(n, 'operator')?.text !== '&') return null;
        const arg = withoutConstCast(unparen(field(n, 'argument')));
        const target = arg ? this.accessTarget(arg) : null;
        if (!target) return null;
        // an element or row of a 2-D or 3-D shared array (`FETCH_FLOAT4(Bs[stage][k][tx * 4])`): its flat offset
        // (or of a host array whose extents the declaration gives, `&B[k][0]` of `double B[N][N]`)
        const declared = arg?.type === 'subscript_expression' ? this.declaredDims(arg) : undefined;
        const dims = declared && (target.space === 'shared' || knownExtents(declared, target.space)) ? declared : undefined;
        const offset = dims ? flatOffset(target.indices, dims) : target.indices.length === 1 ? target.indices[0] : null;
        if (!offset) return null;
        return { base: target.array, offset, elemType: target.elemType, space: target.space, vector: target.vector };
      }
      default:
        return null;
    }
  }

  /** A test whose outcome a warp's lanes share (`warp < 4`, `role == 1 && warp % 4 == 0`): each of its parts is warpUniform. */
  private sameForWarp(cond: Node | null): boolean {
    const c = unparen(cond);
    if (!c) return false;
    if (c.type === 'binary_expression' && /^(?:[<>]=?|[!=]=|&&|\|\|)$/.test(field(c, 'operator')?.text ?? '')) {
      const op = field(c, 'operator')!.text;
      const part = (x: Node | null) => (op === '&&' || op === '||' ? this.sameForWarp(x) : warpUniform(this.eval(x)));
      return part(field(c, 'left')) && part(field(c, 'right'));
    }
    return warpUniform(this.eval(c));
  }

  /**
   * An address a kernel reads from a table its parameter points to, then casts to a pointer
   * (`reinterpret_cast<scalar_t*>(key_cache_ptrs[layer])`, a layer's cache): a global buffer of
   * its own, named by the table's entry, indexed from its start.
   */
  private tablePointer(n: Node | null, castTo: string): PtrValue | null {
    const e = unparen(n);
    const table = e?.type === 'subscript_expression' ? unparen(field(e, 'argument')) : null;
    // (a table of addresses: integers wide enough or pointers, cast to a pointer; `(float)x[i]` converts a value)
    const entries = table?.type === 'identifier' ? this.params.get(table.text) : undefined;
    const addresses = !!entries?.pointer && (ADDRESS_INTEGER.test(entries.type) || entries.type.includes('*'));
    if (this.memberSpace !== 'global' || !addresses || !castTo.includes('*') || e!.text.length > 80) return null;
    return { base: e!.text, offset: Poly.const(0), elemType: null, space: 'global', vector: false };
  }

  /** A cast to another element type rescales the offset (in elements of the new type). */
  /**
   * `index * n + (i * 32 + lane) * 8` cast to 8-element packs: each term a whole number of packs, or a row of `n` elements
   * (an integer parameter, the row's length) as `n / 8` packs, where the row is a warp's own; else null.
   */
  private perRowTerms(offset: Poly, ratio: number): Poly | null {
    if (offset.unknown) return null;
    let out = Poly.const(0);
    for (const [mono, c] of offset.terms) {
      const term = new Poly(new Map([[mono, c]]));
      const exact = term.divExact(ratio);
      if (exact) {
        out = out.add(exact);
        continue;
      }
      const row = mono.split('*').find((x) => { const q = this.params.get(x); return !!q && !q.pointer; });
      // (the row the same for a warp's lanes, a warp per row: lanes spread over rows, a tile's, read whole rows apart)
      if (!row || term.dependsOn((x) => x === 'threadIdx.x' || ['lane', 'derived'].includes(symbolKind(x)))) return null;
      out = out.add(term.substitute(row, atom('/', [Poly.sym(row), Poly.const(ratio)])));
    }
    return out;
  }

  recast(p: PtrValue, typeText: string): PtrValue {
    // (`float (*)[2][T][T]`, a pointer to an array: its element is the array's; a cast to a flat pointer, `(float*)tile`,
    // indexes elements, not rows)
    if (p.rows && !/\(\s*\*\s*\)\s*\[/.test(typeText)) p = withoutRows(p);
    const elem = baseType(typeText.replace(/\(\s*\*\s*\)\s*(?:\[[^\]]*\]\s*)+$/, '').replace(/\*/g, ''));
    // `(void*)(&tile[k] + off)` handed to PTX or a copy: an address, still counted in the elements it was taken in
    if (elem === 'void' && p.elemType && baseType(p.elemType) !== 'void') return p;
    if (VECTOR_TYPES.has(elem)) this.usesVectorTypes = true;
    // (an alias an undecided `#if` makes one of several types, cast to a pack of one of them: `floatX*` as
    // `__nv_bfloat162*` is the bf16 build's, the only one where that cast means pairs of its elements)
    const packed = PACKED_SCALAR[elem];
    const arms = p.elemType ? this.aliases?.get(baseType(p.elemType)) : undefined;
    const oldBits = packed && arms && arms.length > 1 && arms.some((t) => PACKED_SCALAR_NAMES[packed].includes(baseType(t))) ? elementBits(packed) : elementBits(p.elemType, this.aliases);
    const newBits = elementBits(elem, this.aliases);
    // an untyped base (`const void* x`, a `Params` member) cast to its elements' type (`(const T*)p.x`): what it
    // holds, indexed from there in those elements (a templated struct, `Pack<T, 4>`, may still be wide)
    // (so is a byte buffer's base, `extern __shared__ char smem[]`, cast to a template parameter's type: `(T*)smem`)
    const atBase = p.offset.isConstant && p.offset.constant === 0 && elem !== 'void';
    if (atBase && (p.elemType === null || baseType(p.elemType) === 'void' || (newBits === null && this.templateParams.has(elem)))) {
      return { ...p, elemType: elem, vector: VECTOR_TYPES.has(elem) || (newBits === null && !this.templateParams.has(elem) && /[<:]/.test(elem)) };
    }
    // a buffer's start viewed as the function's own packs (`((LT*)dst)[d]`): indexed in packs, each one wide access
    if (atBase && this.localPacks.has(elem)) return { ...p, elemType: elem, vector: true };
    let offset = p.offset;
    if (oldBits && newBits && oldBits !== newBits) {
      const ratio = newBits / oldBits;
      // a shared tile's offset of template sizes (`s * BK * BN + k * BN + 8 * tx`) in 16-byte units: the quotient,
      // computed per lane once the launches bind the sizes (an aligned vector access divides exactly)
      const inUnits = (o: Poly) => (p.space === 'shared' && !o.unknown ? atom('/', [o, Poly.const(ratio)]) : null);
      // an offset scaled by the pack's own element count (`idx * x128::size`, `i * VEC`) is `idx` packs; one scaled by
      // a row length (`row * T` cast to float4) is `row` rows of `T / 4` packs each
      const common = offset.commonSize();
      const byPack = common && PACK_COUNT.test(common) ? offset.divideByCommonSize() : undefined;
      const perRow = common && !byPack ? offset.substitute(common, atom('/', [Poly.sym(common), Poly.const(ratio)])) : undefined;
      const scaled = newBits > oldBits ? offset.divExact(ratio) ?? byPack ?? perRow ?? this.perRowTerms(offset, ratio) ?? inUnits(offset) : offset.scale(oldBits / newBits);
      offset = scaled ?? Poly.unknown;
    } else if (atBase && newBits === null && this.isRecord(elem)) {
      // a flat buffer viewed as the file's records (`(const Gaussian*)flat`): indexed in records from its start
      return { ...p, elemType: elem, vector: false };
    } else if (elem !== p.elemType && (!oldBits || !newBits)) {
      // a cast to or from a type of unknown size (a packed struct, `Pack<T, VEC>`): the
      // offset can no longer be counted in elements, and the access may well be wide
      return { ...p, elemType: elem, offset: Poly.unknown, vector: true };
    }
    return { ...p, elemType: elem, offset, vector: VECTOR_TYPES.has(elem) };
  }

  /** The declared dimensions of the array `a[i][j]` subscripts (a name bound to a declared array). */
  private declaredDims(n: Node): readonly (Poly | null)[] | undefined {
    let cur: Node | null = n;
    while (cur && cur.type === 'subscript_expression') cur = field(cur, 'argument');
    const v = cur?.type === 'identifier' ? this.env.get(cur.text) : undefined;
    // the array itself, not a pointer made from it (`float* p = (float*)tile` is flat: `p[i]` is element i)
    return v?.kind === 'ptr' && v.base === cur!.text && v.offset.isConstant && v.offset.constant === 0 ? v.dims : undefined;
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
    const rowed = this.rowedAccess(cur, indices);
    if (rowed !== undefined) return rowed;
    const p = this.evalPtr(cur);
    if (!p) return null;
    // `peer[r][i]` of `float* peer[R]`: element i of the buffer the pointer `peer[r]` names (global in a kernel)
    if (p.pointers && indices.length === 2 && p.offset.isConstant && p.offset.constant === 0) {
      return { array: `${p.base}[${indices[0].text.replace(/\s+/g, '')}]`, space: this.memberSpace ?? 'unknown', indices: [this.eval(indices[1])], elemType: p.elemType, elemBits: elementBits(p.elemType, this.aliases), vector: p.vector };
    }
    // `out[c][y]` of `float out[C][H][W]`: a row, an address (`memcpy(out[c][y], ...)`), not an element
    const rank = cur.type === 'identifier' ? this.params.get(cur.text)?.rank : undefined;
    if (rank !== undefined && indices.length < rank) return null;
    const forms = indices.map((i) => this.eval(i));
    if (forms.length === 1) forms[0] = p.offset.add(forms[0]);
    else if (!p.offset.isConstant || p.offset.constant !== 0) return null;
    // `ng[l][k]` of `int ng[LEVELS + 1][3]`: 3 elements a row
    const inner = forms.length >= 2 && p.dims?.length === forms.length ? p.dims.slice(1) : [];
    const rowElems = inner.length && inner.every((d) => d?.isConstant) ? inner.reduce((n, d) => n * d!.constant, 1) : undefined;
    return { array: p.base, space: p.space, indices: forms, elemType: p.elemType, elemBits: elementBits(p.elemType, this.aliases), vector: p.vector, ...(rowElems !== undefined ? { rowElems } : {}), ...(p.onStack ? { onStack: true } : {}) };
  }

  /**
   * An element through a pointer to an array: `(*s)[b][r][c]`, or `s[i][r][c]`, of `float (*s)[2][T][T]`,
   * as one flat offset; null for a row (fewer subscripts); undefined when `cur` is no such pointer.
   */
  private rowedAccess(cur: Node, indices: readonly Node[]): Omit<AccessFact, 'kind' | 'range' | 'text' | 'loops'> | null | undefined {
    const inner = unparen(cur);
    const deref = inner?.type === 'pointer_expression' && field(inner, 'operator')?.text === '*';
    const name = deref ? unparen(field(inner!, 'argument')) : inner;
    const v = name?.type === 'identifier' ? this.env.get(name.text) : undefined;
    if (v?.kind !== 'ptr' || !v.rows) return undefined;
    const dims = deref ? v.rows : [null, ...v.rows];
    if (indices.length !== dims.length) return null;
    const flat = flatOffset(indices.map((i) => this.eval(i)), dims);
    if (!flat) return null;
    return { array: v.base, space: v.space, indices: [v.offset.add(flat)], elemType: v.elemType, elemBits: elementBits(v.elemType, this.aliases), vector: v.vector };
  }

  /** The expression macro a call expands, when its name is one and the argument count fits. */
  protected macroFor(call: Node): MacroDef | null {
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
  protected expand<T>(call: Node, macro: MacroDef, evaluate: (body: Node) => T, unknown: T): T {
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
}

/** A host array's extents after the first, all known (`double B[N][N]` with `#define N 1024`): rows a pointer can walk. */
const knownExtents = (dims: readonly (Poly | null)[], space: MemorySpace): boolean => space === 'host' && dims.length >= 2 && dims.slice(1).every((d) => !!d && !d.unknown);

/** The object a cooperative-groups method is called on: a grid, a thread block, or neither (a tile: not modelled). */
function groupKind(obj: Node | null, typeOf: (name: string) => string | undefined = () => undefined): 'grid' | 'block' | null {
  const t = obj?.text.replace(/\s+/g, '') ?? '';
  // (or a name declared as one, `cg::thread_block blk = cg::this_thread_block();`)
  const declared = obj?.type === 'identifier' ? typeOf(obj.text)?.replace(/\s+/g, '') ?? '' : '';
  if (/(?:^|::)this_grid\(\)$/.test(t) || /(?:^|::)grid_group$/.test(declared)) return 'grid';
  if (/(?:^|::)this_thread_block\(\)$/.test(t) || /(?:^|::)thread_block$/.test(declared)) return 'block';
  // (by its name only where its type is not known: a `thread_group g` parameter may be a block or a tile of 16)
  if (declared && declared !== 'auto') return null;
  if (/^grid$/.test(t)) return 'grid';
  if (/^(?:block|cta|tb|thread_block)$/.test(t)) return 'block';
  return null;
}

/** `block.thread_index()` -> threadIdx, `block.group_index()` -> blockIdx, `block.group_dim()` / `dim_threads()` -> blockDim. */
function cooperativeIndex(call: Node, typeOf?: (name: string) => string | undefined): string | null {
  if (call.type !== 'call_expression') return null;
  const fn = field(call, 'function');
  if (fn?.type !== 'field_expression' || groupKind(field(fn, 'argument'), typeOf) !== 'block') return null;
  const method = field(fn, 'field')?.text;
  return method === 'thread_index' ? 'threadIdx' : method === 'group_index' ? 'blockIdx' : method === 'group_dim' || method === 'dim_threads' ? 'blockDim' : null;
}

/** `grid.thread_rank()`: blockIdx.x * blockDim.x + threadIdx.x (a 1-D launch); `block.thread_rank()`: threadIdx.x (a 1-D block). */
function threadRank(fn: Node | null, typeOf?: (name: string) => string | undefined): Poly | null {
  if (fn?.type !== 'field_expression' || field(fn, 'field')?.text !== 'thread_rank') return null;
  const kind = groupKind(field(fn, 'argument'), typeOf);
  const tid = Poly.sym('threadIdx.x');
  if (kind === 'block') return tid;
  if (kind === 'grid') return Poly.sym('blockIdx.x').mul(Poly.sym('blockDim.x')).add(tid);
  return null;
}

/**
 * A value a warp's 32 lanes share: no `threadIdx.x` but through a quotient by a multiple of 32 (`threadIdx.x / 32`, the
 * warp's index, and what is computed from it). `threadIdx.y` is a warp's own where blocks are 32 or more threads wide.
 */
function warpUniform(p: Poly): boolean {
  if (p.unknown) return false;
  return [...p.symbols()].every((s) => {
    if (s === 'threadIdx.x') return false;
    const d = atomDef(s);
    if (!d) return true;
    if (d.op === '/' && d.args[1].isConstant && d.args[1].constant > 0 && d.args[1].constant % 32 === 0) return true;
    return d.args.every(warpUniform);
  });
}

/** 16-bit packs and the scalar they pair (what an undecided alias must be for a cast to them to read its elements in pairs). */
const PACKED_SCALAR: Record<string, string> = { __nv_bfloat162: '__nv_bfloat16', nv_bfloat162: '__nv_bfloat16', __half2: '__half', half2: '__half' };
const PACKED_SCALAR_NAMES: Record<string, readonly string[]> = { __nv_bfloat16: ['__nv_bfloat16', 'nv_bfloat16'], __half: ['__half', 'half'] };
