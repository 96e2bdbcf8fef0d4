// The shapes of an innermost loop's accesses cpu-simd tells apart: float data, a sum kept in memory,
// strided and interleaved walks, and the enclosing loop that walks the contiguous index.
import { copiesToHost, type AccessFact, type FunctionFacts, type LoopFact } from '../../../core/facts/model';
import { windowLoop } from '../../common/file-constants';

const FLOAT_TYPE = /^(?:float|double|long double|float_t|double_t|real|real_t|Real|Dtype|scalar_t)$/;

/** A template parameter named as an index or integer type (`Index`, `IdxT`, `index_t`): integer sums vectorize as written. */
const INDEX_TYPE = /^(?:Index|Idx|Int|Integer|Offset|Size)(?:T|_t|Type)?$|^(?:index|idx|int|offset|size)_t$/;
/** Integer element types by their usual spellings (`int8_t`, `uint8`, `unsigned char`, `int32`). */
const INTEGER_ELEMENT = /^(?:(?:unsigned|signed)\s+)?(?:char|short|int|long(?:\s+long)?)$|^u?int(?:8|16|32|64)(?:_t)?$|^(?:unsigned|size_t|uint)$/;
/**
 * A function whose data pointers all hold integers (`const int8_t* w`, `int32_t* out`, a quantized kernel): a template
 * type it sums in (`AccumT`, `BiasType`) accumulates integers, which vectorize as written.
 */
function integerData(fn: FunctionFacts): boolean {
  const data = fn.params.filter((p) => p.pointer).map((p) => p.type.replace(/\bconst\b|[*&]/g, ' ').replace(/\s+/g, ' ').trim());
  // data of a template type (`const T* a` beside `const int* mask`) may be float
  return data.length > 0 && data.every((t) => INTEGER_ELEMENT.test(t));
}
/**
 * Float data: a float type, a template type of a function not all of whose data are integers, or an alias an undecided
 * `#if` makes one of several types (PolyBench's `DATA_TYPE`: `int`, `float` or `double` by `-DDATA_TYPE_IS_*`):
 * the type a build without -D flags gives it where that is known (`defaults`), else any float alternative.
 */
export function isFloat(type: string | null, fn: FunctionFacts, defaults: ReadonlyMap<string, string>): boolean {
  if (!type) return false;
  // (the type the build gives an alias wins over its name: `real_t` that defaults to `int` sums integers)
  const byDefault = defaults.get(type);
  if (byDefault !== undefined) return FLOAT_TYPE.test(byDefault);
  if (FLOAT_TYPE.test(type)) return true;
  return (fn.templateParams.includes(type) && !INDEX_TYPE.test(type) && !integerData(fn)) || alternativesOf(type, fn).some((t) => FLOAT_TYPE.test(t));
}

/** The types an alias may stand for where an `#if` is undecided, as the function's accesses of that type record them. */
const alternativesOf = (type: string, fn: FunctionFacts): readonly string[] =>
  fn.accesses.find((a) => a.elemType === type && a.elemAlternatives?.length)?.elemAlternatives ?? [];

/** What a finding about float data assumes of an alias that may also be an integer type (nothing where it is always a float). */
export function aliasAssumptions(type: string, fn: FunctionFacts, defaults: ReadonlyMap<string, string>): string[] {
  const all = alternativesOf(type, fn);
  const floats = all.filter((t) => FLOAT_TYPE.test(t));
  const byDefault = defaults.get(type);
  if (!floats.length || floats.length === all.length || (byDefault !== undefined && !FLOAT_TYPE.test(byDefault))) return [];
  const names = (ts: readonly string[]) => ts.map((t) => `\`${t}\``).join(' or ');
  const others = names(all.filter((t) => !floats.includes(t)));
  return [byDefault
    ? `assumes \`${type}\` is \`${byDefault}\`, as a build without -D flags makes it (its \`#if\` alternatives also allow ${others}, whose sums vectorize as written)`
    : `assumes \`${type}\` is ${names(floats)} (its \`#if\` alternatives also allow ${others}, whose sums vectorize as written)`];
}

/** Accesses made in this loop (it is innermost: every access under it, the taps of a stencil window inside it too). */
export const accessesIn = (fn: FunctionFacts, l: LoopFact) =>
  fn.accesses.filter((a) => {
    const at = a.loops.indexOf(l.id);
    return at >= 0 && a.loops.slice(at + 1).every((id) => { const w = fn.loops.find((x) => x.id === id); return !!w && windowLoop(w, fn.loops); });
  });

/** `tmp[i] += A[i][j] * x[j]` under `for j`: an element updated on every iteration at an index the loop does not move. */
export function memoryReduction(fn: FunctionFacts, l: LoopFact, inLoop: AccessFact[], defaults: ReadonlyMap<string, string>): AccessFact | null {
  // (a pointer this loop steps, `*p = f(*p); ++p;`, moves with it: its per-iteration symbol is the loop's)
  const moves = (s: string) => s === l.symbol || (s.startsWith(`#loop${l.id}:`) && s.endsWith("'"));
  const fixed = (a: AccessFact) => a.indices.every((p) => !p.unknown && !p.dependsOn(moves));
  const same = (a: AccessFact, b: AccessFact) => a.array === b.array && a.indices.length === b.indices.length && a.indices.every((p, i) => p.equals(b.indices[i]));
  for (const a of inLoop) {
    if (!isFloat(a.elemType, fn, defaults) || !fixed(a)) continue;
    // (a plain store beside a plain store of another element of the array permutes it, a swap in a sort: no sum;
    // `C(0,0) += ...; C(0,1) += ...` are four sums)
    if (a.kind === 'store' && inLoop.some((b) => b.kind === 'store' && b.array === a.array && !same(a, b))) continue;
    if (a.kind === 'update' || (a.kind === 'store' && inLoop.some((b) => b.kind === 'load' && same(a, b)))) return a;
  }
  return null;
}

/** An access the loop moves by more than one element per step: a column walk or a strided read. */
export function stridedAccess(l: LoopFact, inLoop: AccessFact[]): AccessFact | null {
  // loads first: they are what SIMD loads would fetch
  for (const a of [...inLoop.filter((x) => x.kind !== 'store'), ...inLoop.filter((x) => x.kind === 'store')]) {
    if (a.indices.some((p) => p.unknown)) continue;
    const last = a.indices[a.indices.length - 1];
    if (a.indices.slice(0, -1).some((p) => p.coefficient(l.symbol).terms.size > 0)) return a; // `B[k][j]` under `for k`
    const c = last.coefficient(l.symbol);
    if (c.unknown || c.terms.size === 0) continue;
    if (!c.isConstant || Math.abs(c.constant) >= 2) return a; // `x[3 * i]`, `B[k * N + j]`
  }
  return null;
}

/** `x[3 * i + c]`: 2 to 15 elements per step along the contiguous index (interleaved data), not a row walk. */
export function shortStride(a: AccessFact, l: LoopFact): boolean {
  if (a.indices.slice(0, -1).some((p) => p.coefficient(l.symbol).terms.size > 0)) return false;
  const c = a.indices[a.indices.length - 1].coefficient(l.symbol);
  return c.isConstant && Math.abs(c.constant) >= 2 && Math.abs(c.constant) < 16;
}

/** An enclosing loop that moves the strided access's contiguous index by one element per step: the loop to put innermost. */
export function contiguousOuter(fn: FunctionFacts, l: LoopFact, a: AccessFact): LoopFact | null {
  const last = a.indices[a.indices.length - 1];
  for (const id of a.loops) {
    const o = fn.loops[id];
    if (!o || o.id === l.id || !o.variable) continue;
    const c = last.coefficient(o.symbol);
    if (c.isConstant && c.constant === 1 && c.terms.size > 0) return o;
  }
  return null;
}

export function stride(a: AccessFact, l: LoopFact): string {
  // (`u[i3][i2][2 * i1]` under `for i1` moves only the contiguous index: elements apart, not rows)
  if (a.indices.slice(0, -1).some((p) => p.coefficient(l.symbol).terms.size > 0)) return 'a whole row';
  const c = a.indices[a.indices.length - 1].coefficient(l.symbol);
  return c.isConstant ? `${Math.abs(c.constant)} elements` : `\`${c.toString()}\` elements`;
}


/**
 * A single loop (no loop around or inside it) whose every load reads a buffer a device-to-host copy of the function
 * filled before it: one pass over the GPU's results (an O(n²) loop over them is work).
 */
export function sumsReadBack(fn: FunctionFacts, l: LoopFact, loads: readonly AccessFact[]): boolean {
  if (!loads.length || fn.loops.some((x) => x.parent === l.id)) return false;
  // (into a vector's storage, `h_rank.data()` or `&h_rank[0]`, too; and in a loop around, per step, when the copy is
  // in that loop as well: a PageRank's residual over the ranks each iteration brings back)
  const buffer = (t: string) => t.replace(/\s+/g, '').replace(/^&(.*)\[0\]$/, '$1').replace(/\.data\(\)$/, '');
  const sameSteps = (c: { loops: readonly number[] }) => c.loops.join() === (l.parent === null ? '' : fnLoopsAround(fn, l).join());
  const filled = new Set(fn.calls.filter((c) => copiesToHost(c) && c.range.start.line < l.headerRange.start.line && sameSteps(c)).map((c) => buffer(c.args[0] ?? '')));
  // (and the buffer swapped with it, `h_prev.swap(h_rank)`: the last step's copy)
  for (const c of fn.calls) {
    const swap = /^(?:std::)?swap$/.test(c.name) ? c.args.map(buffer) : /^(\w+)\.swap$/.exec(c.name) ? [c.name.replace(/\.swap$/, ''), buffer(c.args[0] ?? '')] : null;
    if (swap && swap.length === 2 && swap.some((b) => filled.has(b))) for (const b of swap) filled.add(b);
  }
  return loads.every((a) => filled.has(buffer(a.array)));
}

/** The loops around `l`, outermost first. */
function fnLoopsAround(fn: FunctionFacts, l: LoopFact): number[] {
  const out: number[] = [];
  for (let p = l.parent; p !== null && p !== undefined; p = fn.loops.find((x) => x.id === p)?.parent ?? null) out.unshift(p);
  return out;
}
