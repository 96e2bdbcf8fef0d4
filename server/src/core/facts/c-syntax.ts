// Syntax helpers of the C/C++ walk (cfamily.ts): declarators, parameters, arms of an `if`,
// and how the values of two arms join.
import type { SyntaxNode as Node } from '../mirror';
import { Poly, atomDef, isVarying } from '../affine';
import { children, field, namedChildren, walk } from '../syntax';
import { baseType, containerElementOf, declaratorName, tableElement, tensorAccessor, type TypeAliases } from './ctypes';
import type { MacroDef } from './file-scope';
import type { Value } from './evaluate';
import type { ParamFact } from './model';

/** `size_t const row{blockIdx.x * blockDim.x + threadIdx.x}`, `for (size_t k{0U}; ...)`: one braced item is the value. */
export function initializerValue(d: Node): Node | null {
  const v = field(d, 'value');
  if (v?.type !== 'initializer_list') return v;
  const items = namedChildren(v).filter((c) => c.type !== 'comment');
  return items.length === 1 ? items[0] : v;
}

/** `int j{}`: a scalar's empty braces value-initialise it to zero. */
export const emptyBraces = (v: Node | null): boolean => v?.type === 'initializer_list' && namedChildren(v).every((c) => c.type === 'comment');

/** A call for an object's storage: `x.data_ptr<float>`, `t->data_ptr`, `v.data`, `x.data<float>`. */
const STORAGE = /^([A-Za-z_]\w*)\s*(?:\.|->)\s*(?:data_ptr|mutable_data_ptr|const_data_ptr|data)\s*(?:<[^<>]*>)?$/;

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
      // a tensor's or a container's storage (`x.data_ptr<float>()`, `x.data_ptr()`, `v.data()`): the object's buffer
      const storage = args.length === 0 ? STORAGE.exec(fn?.text ?? '') : null;
      return storage ? storage[1] : null;
    }
    case 'field_expression':
      // a member array or pointer (`p->data`, `params.input`): named whole
      return n.text.replace(/\s+/g, '');
    default:
      return null;
  }
}

/** Iterations of `for (i = init; i < bound; i += step)` when the step is a constant and the bound a constant distance past the start. */
export function tripCount(init: Poly | null, step: Poly | null, bound: Poly, inclusive: boolean): number | null {
  if (!init || init.unknown || bound.unknown || !step?.isConstant) return null;
  const s = step.constant;
  if (s <= 0) return null;
  // (a start and bound known only at run time, a fixed distance apart: `l = l0; l < l0 + 4` runs 4 times)
  const distance = bound.sub(init);
  if (distance.unknown || !distance.isConstant) return null;
  const span = distance.constant + (inclusive ? 1 : 0);
  return span > 0 ? Math.ceil(span / s) : 0;
}

/**
 * Trips of a loop bounded by the smaller of two ends, one a fixed distance from the start: `i = blk * L; i < b_end`
 * with `b_end = (blk + 1) * L > n ? n : (blk + 1) * L` (Rodinia cfd's blocks of `block_length`) runs at most L times.
 */
export function cappedTrips(init: Poly | null, step: Poly | null, bound: Poly, inclusive: boolean): number | null {
  if (!init || init.unknown || bound.unknown || !step?.isConstant || bound.terms.size !== 1) return null;
  const [[sym, coefficient]] = [...bound.terms];
  const d = coefficient === 1 ? atomDef(sym) : undefined;
  if (!d) return null;
  // (`min(a, b)`, or `a > b ? b : a` / `a < b ? a : b` written out)
  const [l, r, then, otherwise] = d.args;
  const ends = d.op === 'min' ? d.args
    : d.op === '?:' && ((/^>=?$/.test(d.cmp ?? '') && then?.equals(r) && otherwise?.equals(l)) || (/^<=?$/.test(d.cmp ?? '') && then?.equals(l) && otherwise?.equals(r))) ? [l, r] : [];
  const trips = ends.map((e) => tripCount(init, step, e, inclusive)).filter((t): t is number => t !== null);
  return trips.length ? Math.min(...trips) : null;
}

/** `beam_size == 2`, `2 == beam_size`, `p.mode == MODE_A`: the variable and the value it is tested against. */
export function equalityTest(cond: Node): { variable: string; value: string } | null {
  let e = cond;
  while (e.type === 'condition_clause' || e.type === 'parenthesized_expression') {
    const inner = namedChildren(e).filter((c) => c.type !== 'comment');
    if (inner.length !== 1) return null;
    e = inner[0];
  }
  if (e.type !== 'binary_expression' || field(e, 'operator')?.text !== '==') return null;
  const [l, r] = [field(e, 'left'), field(e, 'right')];
  if (!l || !r) return null;
  const isVar = (x: Node) => ['identifier', 'field_expression'].includes(x.type);
  const isValue = (x: Node) => x.type === 'number_literal' || x.type === 'char_literal' || (x.type === 'identifier' && /^[A-Z][A-Z0-9_]*$/.test(x.text)) || x.type === 'qualified_identifier';
  if (isVar(l) && isValue(r)) return { variable: l.text, value: r.text };
  if (isVar(r) && isValue(l)) return { variable: r.text, value: l.text };
  return null;
}

/** The names an expression mentions. */
export function identifiersOf(n: Node): string[] {
  const out: string[] = [];
  walk(n, (c) => {
    if (c.type === 'identifier') out.push(c.text);
    return true;
  });
  return out;
}

/** An arm whose last statement leaves it for good (`return`, `break`, `continue`, `goto`): nothing it assigns is seen after the `if`. */
export function endsInExit(n: Node | null): boolean {
  if (!n) return false;
  const last = n.type === 'compound_statement' ? namedChildren(n).filter((c) => c.type !== 'comment').at(-1) : n;
  return !!last && ['return_statement', 'break_statement', 'continue_statement', 'goto_statement'].includes(last.type);
}

/**
 * The values after two arms: one a variable has in both, unknown where they differ (a pointer keeps its buffer);
 * a variable the condition tests keeps its value from before (`testedNames`: a clamp's edge case aside).
 */
/** A value every lane of a warp shares (`ptr[1]`, `n / 4`), known or named. */
const warpUniform = (p: Poly) => !p.unknown && !p.dependsOn(isVarying);

/**
 * After an `if`: a variable both arms leave alike keeps its value; one they leave different is unknown, unless the
 * condition and both values are the same for a whole warp (`seg = 0; if (blockIdx.x >= ptr[1]) seg = 1;`): then it
 * is one warp-uniform value, named after the variable, and an index built on it (`ptr[seg] + threadIdx.x`) keeps its lanes.
 */
export function joinValues(a: Map<string, Value>, b: Map<string, Value>, entry: Map<string, Value>, testedNames: () => ReadonlySet<string>, uniformCondition = false): Map<string, Value> {
  const out = new Map<string, Value>();
  let tested: ReadonlySet<string> | undefined; // read only when two arms differ
  for (const [name, x] of a) {
    const y = b.get(name);
    if (!y) continue; // declared in one arm only: out of scope after it
    if (x === y) {
      out.set(name, x);
      continue;
    }
    const before = (tested ??= testedNames()).has(name) ? entry.get(name) : undefined;
    if (before) out.set(name, before);
    else if (x.kind === 'int' && y.kind === 'int') {
      const uniform = uniformCondition && warpUniform(x.poly) && warpUniform(y.poly);
      out.set(name, x.poly.equals(y.poly) ? x : { kind: 'int', poly: uniform ? Poly.sym(name) : Poly.unknown });
    }
    else if (x.kind === 'ptr' && y.kind === 'ptr' && x.base === y.base) out.set(name, x.offset.equals(y.offset) ? x : { ...x, offset: Poly.unknown });
  }
  return out;
}

/** Whether the arm always leaves the function: `return;` or a block whose last statement is one. */
export function endsInReturn(n: Node | null): boolean {
  if (!n) return false;
  if (n.type === 'return_statement') return true;
  if (n.type !== 'compound_statement') return false;
  const items = namedChildren(n).filter((c) => c.type !== 'comment');
  return items.length > 0 && items[items.length - 1].type === 'return_statement';
}

/** `float W[D][D]` with `#define D 64`: every extent's value, where each is a literal or one of the file's constants. */
function extentValues(texts: readonly string[], constants?: ReadonlyMap<string, number>): { dimValues?: number[] } {
  if (!texts.length || texts.every((t) => /^\d+$/.test(t.trim()))) return {};
  const values = texts.map((t) => (/^\d+$/.test(t.trim()) ? Number(t) : constants?.get(t.trim()) ?? null));
  return values.every((v): v is number => v !== null) ? { dimValues: values } : {};
}

/** A function's parameters: name, element type, whether a pointer (or array, or container), rank, const and restrict. */
export function paramFacts(declarator: Node, aliases?: TypeAliases, macros?: ReadonlyMap<string, MacroDef>, constants?: ReadonlyMap<string, number>): ParamFact[] {
  const list = field(declarator, 'parameters');
  if (!list) return [];
  const out: ParamFact[] = [];
  for (const p of namedChildren(list)) {
    if (p.type !== 'parameter_declaration' && p.type !== 'optional_parameter_declaration') continue;
    const info = declaratorName(field(p, 'declarator'));
    if (!info) continue;
    const quals = children(p).filter((c) => c.type === 'type_qualifier').map((c) => c.text);
    const typeText = field(p, 'type')?.text ?? '';
    // (`const TensorAcc4R input` with `#define TensorAcc4R PackedTensorAccessor32<scalar_t, 4, RestrictPtrTraits>`)
    // (or `using Acc2 = at::PackedTensorAccessor32<float, 2, at::RestrictPtrTraits>;`)
    const named = baseType(typeText);
    const accessor = tensorAccessor(typeText) ?? tensorAccessor(macros?.get(named)?.body?.text ?? '') ??
      aliases?.get(named)?.map(tensorAccessor).find((a) => a) ?? null;
    if (accessor) {
      out.push({ name: info.name, type: accessor.elem, pointer: true, rank: accessor.rank, accessor: true, isConst: /\bconst\b/.test(p.text), restrict: accessor.restrict });
      continue;
    }
    const table = !info.pointer && info.arrayDims.length === 0 ? tableElement(typeText, aliases) : null;
    const container = table ?? containerElementOf(typeText, aliases);
    out.push({
      name: info.name,
      type: container ?? baseType(field(p, 'type')?.text ?? ''),
      pointer: info.pointer || info.arrayDims.length > 0 || container !== null,
      ...(info.arrayDims.length > 1 ? { rank: info.arrayDims.length, dimTexts: info.arrayDims.map((d) => (d.type === 'array_declarator' ? '' : d.text)) } : {}),
      ...(info.arrayDims.length === 1 && info.arrayDims[0].type !== 'array_declarator' && info.arrayDims[0].text ? { extentText: info.arrayDims[0].text } : {}),
      ...extentValues(info.arrayDims.map((d) => (d.type === 'array_declarator' ? '' : d.text)), constants),
      ...(table !== null ? { rank: 2 } : {}),
      isConst: quals.includes('const') || /\bconst\b/.test(field(p, 'type')?.text ?? ''),
      restrict: info.restrict,
      ...(p.type === 'optional_parameter_declaration' ? { optional: true } : {}),
      ...(container === null && aliases?.has(named) ? { aliasOf: aliases.get(named) } : {}),
    });
  }
  return out;
}

/** Finds the function_declarator inside a (possibly pointer/reference) declarator. */
export function functionDeclarator(d: Node | null): Node | null {
  let cur = d;
  // (`Real_t& x(Index_t i)`: the grammar gives a reference declarator no `declarator` field)
  while (cur && cur.type !== 'function_declarator') cur = cur.type === 'reference_declarator' ? namedChildren(cur).at(-1) ?? null : field(cur, 'declarator');
  return cur;
}
/** A value every thread shares and the launches may bind (`BN`, `BN + 1`), else null. */
export function uniformOrNull(p: Poly): Poly | null {
  return p.unknown || p.dependsOn(isVarying) ? null : p;
}

/** A declaration whose every value is drawn from cuRAND (`float4 rand = curand_uniform4(&state)`). */
export function randomDraws(decl: Node): boolean {
  const values = namedChildren(decl).filter((d) => d.type === 'init_declarator').map((d) => field(d, 'value'));
  return values.length > 0 && values.every((v) => v?.type === 'call_expression' && /^curand/.test(field(v, 'function')?.text ?? ''));
}

/** Wrappers a loaded value passes through on its way to a variable: `reinterpret_cast<float4 *>(&A[i])[0]`, `__ldg(&x[i])`, `(float)x[i]`. */
const VALUE_WRAPPERS = new Set(['parenthesized_expression', 'cast_expression', 'pointer_expression', 'subscript_expression', 'argument_list', 'call_expression', 'template_function']);

/**
 * Where an access's value moves, for a tile copied by way of a register: a load kept whole in a variable or
 * an element (`float4 tmp = FLOAT4(A[i]);`, `regM[i] = As[..]`), the target written (a declarator's name or
 * an assignment's left side); a store of a variable or one of its fields (`As[...] = tmp.x;`), the variable.
 * Null when the value is computed on.
 */
export function valueFlow(at: Node, kind: 'load' | 'store'): Node | null {
  if (kind === 'store') {
    const assign = at.parent;
    if (assign?.type !== 'assignment_expression' || field(assign, 'left') !== at || field(assign, 'operator')?.text !== '=') return null;
    let right = field(assign, 'right');
    if (right?.type === 'field_expression') right = field(right, 'argument');
    return right?.type === 'identifier' ? right : null;
  }
  let n = at;
  for (let up = n.parent; up; n = up, up = up.parent) {
    if (up.type === 'init_declarator') return field(up, 'value') === n && field(up, 'declarator')?.type === 'identifier' ? field(up, 'declarator') : null;
    if (up.type === 'assignment_expression') return field(up, 'right') === n && field(up, 'operator')?.text === '=' ? field(up, 'left') : null;
    // (a subscript only as `[0]` of a cast pointer, a call only with this one argument)
    if (!VALUE_WRAPPERS.has(up.type) || (up.type === 'subscript_expression' && field(up, 'argument') !== n) || (up.type === 'argument_list' && namedChildren(up).length !== 1)) return null;
  }
  return null;
}

/** `collect(fn)` for the function definition around `n`, read once per function (no names outside one). */
function perEnclosingFunction(collect: (fn: Node) => ReadonlySet<string>): (n: Node) => ReadonlySet<string> {
  const memo = new WeakMap<Node, ReadonlySet<string>>();
  return (n) => {
    let fn: Node | null = n;
    while (fn && fn.type !== 'function_definition') fn = fn.parent;
    if (!fn) return NO_NAMES;
    let known = memo.get(fn);
    if (!known) memo.set(fn, (known = collect(fn)));
    return known;
  };
}
const NO_NAMES: ReadonlySet<string> = new Set();

/** Names the function around `n` assigns (`batch = batch * seq_len`, `rows *= 2`, `n++`). */
export const assignedNames = perEnclosingFunction((fn) => {
  const out = new Set<string>();
  walk(fn, (c) => {
    const target = c.type === 'assignment_expression' ? field(c, 'left') : c.type === 'update_expression' ? field(c, 'argument') : null;
    if (target?.type === 'identifier') out.add(target.text);
  });
  return out;
});

/**
 * Names the function around `n` may point elsewhere: assigned, their address handed on (`cudaMalloc(&p, ...)`), or
 * swapped (`std::swap(cur, next)`).
 */
export const repointedNames = perEnclosingFunction((fn) => {
  const out = new Set(assignedNames(fn));
  walk(fn, (c) => {
    const arg = c.type === 'pointer_expression' && field(c, 'operator')?.text === '&' ? field(c, 'argument') : null;
    if (arg?.type === 'identifier') out.add(arg.text);
    if (c.type === 'call_expression' && /^(?:std::)?swap$/.test(field(c, 'function')?.text ?? '')) {
      for (const a of namedChildren(field(c, 'arguments') ?? c)) if (a.type === 'identifier') out.add(a.text);
    }
  });
  return out;
});

