// What a file's launches tell the rules about its kernels, put into each kernel's facts
// before any rule runs: the block's x extent when it is below a warp (a warp then spans
// threadIdx.y), that every launch is one block, that every launch passes a small constant
// count (a demo size), and the element type a template kernel is instantiated with
// (`matmul<float><<<...>>>`, or an explicit instantiation `template __global__ void matmul<float>(...)`:
// `T* A` is a `float*`) when every launch in the file agrees, or the types it may be when they differ.
import { pickedBaselines } from './baselines';
import { hostInstances, knownType, launchInstances } from './host-instances';
import { sequenceGrid } from './facts/sequence-bound';
import { copiesToHost, neverTogether, type AccessFact, type CallFact, type FunctionFacts, type LoopFact } from './facts/model';
import { baseType, elementBits, VECTOR_TYPES } from './facts/ctypes';
import { asCalled, baseName, callSitesOf } from './project';
import { launchesBesideSweeps, sweepsTwoAxes } from './sweep-siblings';
import { Poly } from './affine';
import { keptAcrossMoves, movedDerivation } from './facts/shift';
import { lastTwo } from './bounded-memo';
import { positionBefore } from './positions';
import { calledOnlyForSetUp, carriesData, hasTimedRegion, insideTimedRegion, kernelBuffers, launchBuffers, setUpLaunch, type BufferUse } from './timed-region';

interface Seen {
  xs: Set<number | null>;
  oneBlock: boolean;
  /** every launch is one block of fewer threads than a warp */
  subWarp: boolean;
  /** every launch's block is at most one warp (`<<<grid, 32>>>`), its extents known */
  warpBlocks: boolean;
  /** the threads of a block at every launch, when they are the same known count (else null) */
  threads: Set<number | null>;
  launches: CallFact[];
  /** Per template parameter: the types the launches give it (a non-type argument adds null). */
  types: (Set<string | null>)[];
}


/** Each kernel's launches by base name; those made as a wrapper's callers say (asCalled) are put in `asCalledFrom`, with the launch written. */
function collect(functions: readonly FunctionFacts[], instantiations: readonly CallFact[], sites: ReadonlyMap<string, readonly CallFact[]>, asCalledFrom: Map<CallFact, CallFact>): Map<string, Seen> {
  const out = new Map<string, Seen>();
  // (a launch inside a template host gives the types of each call or explicit instantiation of the host: core/host-instances.ts)
  const instances = hostInstances(functions, instantiations);
  const kernels = new Map(functions.filter((f) => f.isKernel).map((f) => [baseName(f.name), f]));
  // by base name: `k<float><<<...>>>` launches the specialization `template <> __global__ void k<float>(...)`
  for (const f of functions)
    for (const written of f.calls) {
      if (written.kind !== 'launch') continue;
      for (const c of asCalled(written, f, sites, kernels)) {
        if (c !== written) asCalledFrom.set(c, written);
        const base = baseName(c.name);
        let seen = out.get(base);
        if (!seen) out.set(base, (seen = emptySeen()));
        const made = instances.has(f) ? launchInstances(c, f, kernels.get(base), instances.get(f)!) : [];
        addLaunch(seen, c, made);
      }
    }
  return out;
}

const emptySeen = (): Seen => ({ xs: new Set(), oneBlock: true, subWarp: true, warpBlocks: true, threads: new Set(), launches: [], types: [] });

/** One launch, its types read from the instances of its template host where it has them. */
function addLaunch(seen: Seen, c: CallFact, instances: readonly CallFact[] = []): void {
  seen.launches.push(c);
  seen.xs.add(c.blockX ?? null);
  seen.oneBlock &&= c.gridBlocks === 1;
  const threads = c.blockDims?.length && c.blockDims.every((d) => d !== null) ? c.blockDims.reduce<number>((n, d) => n * d!, 1) : null;
  seen.subWarp &&= c.gridBlocks === 1 && threads !== null && threads < 32;
  seen.warpBlocks &&= threads !== null && threads <= 32;
  seen.threads.add(threads);
  if (instances.length) for (const made of instances) addTypes(seen, made);
  else addTypes(seen, c);
}

/** The threads of every launch's blocks when that is one known count below a warp (`dim3(4, 4)`: 16), else null. */
function warpThreadsOf(seen: Seen | undefined): number | null {
  const [only] = seen?.launches.length && seen.threads.size === 1 ? [...seen.threads] : [null];
  return only !== null && only < 32 ? only : null;
}

/** Kernel names the file defines with different numbers of parameters. */
function overloadedKernels(functions: readonly FunctionFacts[]): ReadonlySet<string> {
  const counts = new Map<string, Set<number>>();
  for (const f of functions) if (f.isKernel) {
    const name = baseName(f.name);
    const seen = counts.get(name);
    if (seen) seen.add(f.params.length); else counts.set(name, new Set([f.params.length]));
  }
  return new Set([...counts].filter(([, n]) => n.size > 1).map(([name]) => name));
}

/**
 * The launches of one overload of a kernel name, picked by their number of arguments (`add(out, len, n)` over the
 * whole array beside `add(out, len, n1, n2)` launched as one block for the remainder); all of them when none or
 * every one has the overload's count.
 */
function launchesOfOverload(f: FunctionFacts, seen: Seen | undefined, overloaded: ReadonlySet<string>): Seen | undefined {
  // (one kernel of the name: a launch with fewer arguments passes its default ones)
  if (!seen || !overloaded.has(baseName(f.name))) return seen;
  const mine = seen.launches.filter((c) => c.args.length === f.params.length);
  if (!mine.length || mine.length === seen.launches.length) return seen;
  const out = emptySeen();
  for (const c of mine) addLaunch(out, c);
  return out;
}

function addTypes(seen: Pick<Seen, 'types'>, c: CallFact): void {
  const args = c.templateArgs ?? [];
  const n = Math.max(args.length, seen.types.length);
  for (let i = 0; i < n; i++) {
    const set = (seen.types[i] ??= new Set());
    // `k<scalar_t>` inside an ATen dispatch of float and double only: those two (with a 16-bit type among them, the
    // parameter stays a template type, judged as the narrowest usual width)
    if (args[i]?.trim() === 'scalar_t' && c.dispatchTypes?.every((t) => (elementBits(t) ?? 0) >= 32)) for (const t of c.dispatchTypes) set.add(t);
    else set.add(knownType(args[i]));
  }
}

/**
 * The kernel's type parameters that the launches set to known types: one (`T` -> `float`), or
 * several (`Transpose_Kernel<__half>` and `<float>`: `T` is one of them).
 */
function typeBindings(f: FunctionFacts, seen: Seen | undefined, instantiated: readonly Set<string | null>[] = [], owner?: ReadonlyMap<CallFact, FunctionFacts>): Map<string, string[]> | null {
  if ((!seen && !instantiated.length) || !f.templateParams.length) return null;
  let out: Map<string, string[]> | null = null;
  f.templateParams.forEach((name, i) => {
    const set = new Set([...(seen?.types[i] ?? []), ...(instantiated[i] ?? [])]);
    if (!set.size && seen && owner) for (const t of deducedTypes(f, name, seen.launches, owner) ?? []) set.add(t);
    if (set.size && !set.has(null)) (out ??= new Map()).set(name, [...set] as string[]);
  });
  return out;
}

/**
 * The types launches without template arguments deduce for `name` (`k<<<g, b>>>(w, ...)` with the kernel's `const F* w`
 * given the caller's `const float* w` parameter: `F` is `float`), or null when any launch's argument is not such a name.
 */
function deducedTypes(f: FunctionFacts, name: string, launches: readonly CallFact[], owner: ReadonlyMap<CallFact, FunctionFacts>): string[] | null {
  const at = f.params.findIndex((p) => p.pointer && baseType(p.type) === name);
  if (at < 0 || !launches.length) return null;
  const out = new Set<string>();
  for (const c of launches) {
    if (c.templateArgs?.length || c.args.length !== f.params.length) return null;
    const arg = c.args[at].trim();
    const given = owner.get(c)?.params.find((p) => p.name === arg && p.pointer);
    // (a project alias, `const floatX* values`: what it stands for, each type an `#if` may make it)
    const types = given?.aliasOf ?? (given ? [baseType(given.type)] : []);
    if (!types.length || types.some((t) => elementBits(t) === null)) return null;
    for (const t of types) out.add(t);
  }
  return [...out];
}

/** The types each kernel's explicit instantiations give its parameters (`template __global__ void k<half, 1024>(...);`), by base name. */
/**
 * instantiatedTypes of the last file's instantiations, the same map while they name the same kernels and arguments
 * (they are read again on every edit, as new objects): the per-kernel launch shapes kept with it stay valid.
 */
function keptInstantiatedTypes(instantiations: readonly CallFact[]): Map<string, Set<string | null>[]> {
  const key = instantiations.map((c) => `${c.name}<${(c.templateArgs ?? []).join(',')}>${(c.dispatchTypes ?? []).join(',')}`).join(';');
  if (lastInstantiated?.key !== key) lastInstantiated = { key, types: instantiatedTypes(instantiations) };
  return lastInstantiated.types;
}
let lastInstantiated: { key: string; types: Map<string, Set<string | null>[]> } | null = null;

function instantiatedTypes(instantiations: readonly CallFact[]): Map<string, Set<string | null>[]> {
  const out = new Map<string, Set<string | null>[]>();
  for (const c of instantiations) {
    const seen = { types: out.get(baseName(c.name)) ?? [] };
    addTypes(seen, c);
    out.set(baseName(c.name), seen.types);
  }
  return out;
}

/** Type texts with the bound parameters put in: `const T` -> `const float`. */
function substitute(type: string, types: ReadonlyMap<string, string>): string {
  return type.replace(/[A-Za-z_]\w*/g, (w) => types.get(w) ?? w);
}

function withTypes(f: FunctionFacts, choices: ReadonlyMap<string, string[]>): Partial<FunctionFacts> {
  const one = new Map([...choices].filter(([, c]) => c.length === 1).map(([n, c]) => [n, c[0]]));
  const several = [...choices].filter(([, c]) => c.length > 1);
  const sub = (t: string) => substitute(t, one);
  return {
    params: f.params.map((p) => ({ ...p, type: sub(p.type) })),
    accesses: f.accesses.map((a) => {
      if (!a.elemType || a.elemBits !== null) return a;
      const elemType = sub(a.elemType);
      const bits = elementBits(elemType);
      if (bits !== null) return { ...a, elemType, elemBits: bits };
      // `T` launched as `__half` and as `float`: one of them, the widest for the width (as for an undecided `#if`)
      const words = elemType.split(/[^\w]+/);
      const [name, types] = several.find(([n]) => words.includes(n)) ?? [];
      if (!name || !types) return elemType === a.elemType ? a : { ...a, elemType };
      const alternatives = types.map((t) => substitute(elemType, new Map([[name, t]])));
      const widths = alternatives.map((t) => elementBits(t));
      if (widths.some((w) => w === null)) return { ...a, elemType };
      return { ...a, elemType, elemAlternatives: alternatives, elemBits: Math.max(...(widths as number[])) };
    }),
    shared: f.shared.map((s) => ({ ...s, elemType: sub(s.elemType) })),
  };
}

/** A pointer argument cast to a 16-byte vector type: `reinterpret_cast<const uint4*>(a)`, `(float4*)x`. */
const VECTOR_CAST = /reinterpret_cast\s*<\s*(?:const\s+)?(?:u?int4|float4|double2|u?longlong2)\s*\*\s*>|\(\s*(?:const\s+)?(?:u?int4|float4|double2)\s*\*\s*\)/;

/** A template kernel whose global data has an element type every launch binds to a vector or packed type (`T2` = `half2`). */
function packedElements(f: FunctionFacts, types: ReadonlyMap<string, string[]> | null): boolean {
  if (!types) return false;
  return [...types].some(([param, bound]) => bound.every((t) => VECTOR_TYPES.has(t.replace(/^const\s+/, ''))) && f.accesses.some((a) => a.space === 'global' && a.elemType === param));
}

/** A kernel named as the scalar path beside a vector one (`_not_aligned`, `_unaligned`, `_scalar`, `_odd`). */
const SCALAR_PATH = /(?:^|_)(?:not_?aligned|unaligned|misaligned|scalar|odd)(?:_|$)/i;
const NO_KERNELS: ReadonlySet<string> = new Set();
const NO_TYPES: ReadonlyMap<string, Set<string | null>[]> = new Map();
const NO_ARMS: ReadonlyMap<CallFact, FunctionFacts> = new Map();

/** A pointer argument cast to a packed or vector type: `(const half2*)x`, `reinterpret_cast<float4*>(y)`. */
const PACKED_CAST = /\(\s*(?:const\s+)?(?:half2|__half2|__nv_bfloat162|nv_bfloat162|float2|float4|u?int4|u?int2)\s*\*\s*\)|_cast\s*<\s*(?:const\s+)?(?:half2|__half2|__nv_bfloat162|float2|float4|u?int4|u?int2)\s*\*\s*>/;

/**
 * Every launch of the kernel sits in one arm of a conditional whose other arm launches another kernel
 * on packed or vector casts of the buffers (`if (n & 1) k_fp16<<<>>>(...); else k_packed<<<>>>((const half2*)x, ...)`):
 * the scalar kernel is the fallback for sizes the packed one cannot take.
 */
function packedTwin(seen: Seen | undefined, name: string, packed: ReadonlyMap<CallFact, FunctionFacts>, owner: ReadonlyMap<CallFact, FunctionFacts>, kernel?: FunctionFacts): boolean {
  if (!seen?.launches.length || !packed.size) return false;
  // (of the same element type: an fp16 `half2` twin beside a bf16 kernel is a dtype switch, and nothing packs the bf16)
  const mine = kernel ? new Set(kernel.params.filter((p) => p.pointer).map((p) => packFamily(p.type))) : null;
  const sameType = (m: CallFact) => !mine || m.args.every((a) => {
    const cast = PACKED_CAST.exec(a)?.[0];
    const family = cast ? packFamily(cast) : null;
    return family === null || family === 'bytes' || mine.has(family);
  });
  // (arms of one conditional: branch ids are a function's own, so the twin is launched by the same host function)
  return seen.launches.every((l) => [...packed].some(([m, host]) => host === owner.get(l) && baseName(m.name) !== baseName(name) &&
    neverTogether(l.scopes, m.scopes) && sameType(m)));
}

/** The scalar element family a (packed) type text holds: `half2` and `__half` are fp16, `__nv_bfloat162` bf16, `float4` float; `int4` any bytes. */
function packFamily(type: string): string | null {
  if (/bfloat16|bf16/i.test(type)) return 'bf16';
  if (/half/i.test(type)) return 'fp16';
  if (/\bfloat[24]?\b/.test(type)) return 'float';
  if (/\bu?int[24]\b/.test(type)) return 'bytes';
  return null;
}

/**
 * Elements at or below which a launch is launch-bound (2 MiB of fp32 read and written): measured on an H200
 * (bench/gpu/sizes, results/2026-12-01), `y = 2*x` takes about 4 µs per back-to-back launch from 2^12 to
 * 2^19 elements whether scalar or float4; float4 first wins at 2^20 (1.34×), then 1.5-1.9×.
 */
export const SMALL_PROBLEM = 1 << 19;
/** A transformer's model dimension as a config field or variable: one token's vector (Llama-2-7B: 4,096 and 11,008; vocabularies up to ~150K). */
const MODEL_DIMENSION = /^(?:[A-Za-z_]\w*(?:->|\.))?(?:dim|hidden_dim|n_embd|hidden_size|d_model|vocab_size|n_vocab|head_size|head_dim|kv_dim|intermediate_size|ffn_dim)$/;

/**
 * A kernel every launch of which passes a constant of at most SMALL_PROBLEM for the count its thread index is
 * checked against, or, with no such check and no loop in a thread, launches at most that many threads (`dim3 grid(nElem / block.x)`).
 */
function smallProblem(f: FunctionFacts, seen: Seen | undefined, fl?: FileLaunches): boolean {
  if (!seen?.launches.length) return false;
  const unchecked = !f.indexBound && !f.indexBounds?.length;
  // (a loop of a few steps whose variable indexes no element, RoPE's `for (v = 0; v < rotn; v++)` picking the query or
  // the key buffer, walks nothing: the thread's elements stay its own few. Not one a pointer or offset moves through,
  // `q += kv_dim` a token, nor one to a count the launch passes, `t < T`)
  const walks = (id: number) => {
    const l = f.loops.find((x) => x.id === id);
    if (!l || (l.trips === undefined && (l.bound === null || f.params.some((p) => p.name === l.bound!.trim())))) return true;
    if (l.trips !== undefined && l.trips > 4) return true;
    return f.accesses.some((a) => a.loops.includes(l.id) && a.indices.some((p) => p.dependsOn((s) => s === l.symbol || s.endsWith("'"))));
  };
  // (a grid of one token's vector, `divUp(dim / 2, 256)` of a decode step's RoPE, whose threads walk no more than their pair)
  if (unchecked && seen.launches.every((c) => tokenGrid(c.grid)) && !f.accesses.some((a) => a.space === 'global' && (a.loops.some(walks) || !!a.helperLoops?.length))) return true;
  // (threads count the elements only when each thread touches a few: a loop per thread, 128 loads in reduce7, moves more)
  if (unchecked && f.accesses.some((a) => a.loops.length)) return seen.launches.every((c) => blocksWalkFixedExtents(f, c));
  // (or a grid sized by a batch's sequences, `div_up(local_batch_size, 512)`: facts/sequence-bound.ts)
  // (or a block per head of one token, `<<<n_heads, head_dim / 2>>>` of a decode step's RoPE: a token's vector)
  if (unchecked) return seen.launches.every((c) => sequenceGrid(c.grid) || oneTokenHeads(c) || (c.gridBlocks !== undefined && (c.blockDims ?? []).length > 0 && c.blockDims!.every((d) => d !== null) &&
    c.gridBlocks * c.blockDims!.reduce<number>((n, d) => n * d!, 1) <= SMALL_PROBLEM));
  // (a count the file fixes, `while (tid < N)` with `#define N (33 * 1024)`: the same at every launch)
  if (f.indexBoundValue?.isConstant && !f.indexBounds?.length) return f.indexBoundValue.constant <= SMALL_PROBLEM;
  // (one token's activations in single-token decode, every launch counting a model dimension, `p->hidden_dim`,
  // `config.dim`, `vocab_size`: a few thousand elements, at most a few hundred thousand)
  // (a 1-D kernel whose threads each touch one element: a 2-D grid or a loop per thread over tokens is a batch of them)
  // (every count checked so: RoPE's `i < dim` then `if (i < kv_dim)` for the keys)
  // (or a few times one, `i >= kv_dim * 2` of a thread per pair: the count that parameter makes)
  const counted = countedParams(f);
  // (and blocks that split the elements, not pick a token: `blockIdx.x` times `blockDim.x` or a literal, not `t * dim`
  // of a block per token over a prefill's T tokens)
  // (a literal block size, `blockIdx.x * 256 + threadIdx.x`, splits the elements too: only a run-time row length picks a row)
  const blockPicksRow = (a: AccessFact) => a.space === 'global' && a.indices.some((p) => [...p.terms.keys()].some((k) => k.split('*').includes('blockIdx.x') && !k.split('*').includes('blockDim.x')) &&
    !p.coefficient('blockIdx.x').isConstant);
  const flat = !f.accesses.some((a) => a.indices.some((p) => p.dependsOn((s) => /^(?:threadIdx|blockIdx)\.[yz]$/.test(s))) || (a.space === 'global' && (a.loops.some(walks) || !!a.helperLoops?.length)) || blockPicksRow(a));
  if (counted.length && counted.every((i) => i >= 0) && flat && seen.launches.every((c) => counted.every((i) => argumentTexts(c, i, fl).every((a) => MODEL_DIMENSION.test(a))))) return true;
  // (most launches pass no constant: nothing to read in the kernel then)
  if (!seen.launches.every((c) => c.argValues)) return false;
  const multiDim = f.accesses.some((a) => a.indices.some((p) => p.dependsOn((s) => /^(?:threadIdx|blockIdx)\.[yz]$/.test(s))));
  // a 2-D or 3-D kernel checks one extent per axis (`row < rows && col < cols`): its count is their product; one
  // check of a flat index over a 2-D grid (`idx = blockDim.x * (blockIdx.x + blockIdx.y * gridDim.x) + threadIdx.x`) is the count
  const flatGrid = f.accesses.some((a) => a.indices.some((p) => [...p.terms.keys()].some((k) => k.includes('blockIdx.y') && k.includes('gridDim.x'))));
  const bounds = multiDim && !flatGrid ? f.indexBounds ?? [] : f.indexBound ? [f.indexBound] : [];
  const at = bounds.map((b) => f.params.findIndex((p) => p.name === b));
  // (a count the kernel computes from its arguments, `int total = rows * cols; if (k >= total)`: its value at each launch)
  if (at.length === 1 && at[0] < 0 && f.indexBoundValue) return seen.launches.every((c) => (launchValue(f, f.indexBoundValue!, c) ?? Infinity) * perThreadLoops(f, c) <= SMALL_PROBLEM);
  if (!at.length || at.some((i) => i < 0)) return false;
  // (each thread's own loop over a row, `for (i = lane; i < C; i += 32)` under `if (row >= N) return`, moves C elements per row)
  return seen.launches.every((c) => at.reduce((n, i) => n * (c.argValues?.[i] ?? Infinity), 1) * perThreadLoops(f, c) <= SMALL_PROBLEM);
}

/** A head count (`n_heads`, `p->n_kv_heads`, `num_heads`) and a head's size (`head_dim`, `head_size / 2`). */
const HEAD_COUNT = /^(?:[A-Za-z_]\w*(?:->|\.))?(?:n_?(?:kv_?)?heads?|num_?(?:kv_?)?heads|heads|n_head)$/;
const HEAD_SIZE = /^(?:[A-Za-z_]\w*(?:->|\.))?(?:head_?(?:size|dim)|hs|HS|HEAD_?(?:SIZE|DIM))(?:\/2)?$/;

/** A launch of a block per head over one token (`<<<n_heads, head_dim / 2>>>`): grid and block a head count and a head's size. */
function oneTokenHeads(c: CallFact): boolean {
  return HEAD_COUNT.test((c.grid ?? '').replace(/[()]/g, '')) && HEAD_SIZE.test((c.block ?? '').replace(/[()]/g, ''));
}

/** A grid of blocks over one token's vector: `divUp(dim / 2, 256)`, `(hidden_dim + 255) / 256`, `p->dim / 64`. */
function tokenGrid(grid: string | undefined): boolean {
  const g = (grid ?? '').replace(/\s+/g, '');
  const count = /^\w+\((.+),[\w.]+\)$/.exec(g)?.[1] ?? /^\((.+)\+[\w.]+-1\)\/[\w.]+$/.exec(g)?.[1] ?? /^(.+)\/[\w.]+$/.exec(g)?.[1];
  return !!count && MODEL_DIMENSION.test(count.replace(/^\((.*)\)$/, '$1').replace(/(?:\/|\*)2$/, ''));
}

/** The parameters a kernel's thread index is checked against: each bound's, or the one a lone bound is a few times. */
function countedParams(f: FunctionFacts): number[] {
  const paramAt = (b: string) => f.params.findIndex((p) => p.name === b);
  if (f.indexBounds) return f.indexBounds.map(paramAt);
  if (!f.indexBound) return [];
  const direct = paramAt(f.indexBound);
  return [direct >= 0 ? direct : fewTimesParam(f, f.indexBoundValue)];
}

/** The parameter a count is a few times (`2·kv_dim`: `kv_dim`'s index), or -1. */
function fewTimesParam(f: FunctionFacts, count: Poly | undefined): number {
  const symbols = count && !count.unknown && !count.hasAtoms ? [...count.symbols()] : [];
  if (symbols.length !== 1 || count!.terms.size !== 1) return -1;
  const times = count!.coefficient(symbols[0]);
  // (a vocabulary is up to ~150K entries: once, not a few times, stays a token's vector)
  const most = /vocab/i.test(symbols[0]) ? 1 : 4;
  return times.isConstant && times.constant >= 1 && times.constant <= most ? f.params.findIndex((p) => p.name === symbols[0] && !p.pointer) : -1;
}

/**
 * What a launch's argument `i` stands for, spaces dropped: itself, or, where it is a parameter of the launch wrapper
 * making the launch, what every call of that wrapper in the file passes there (`size` of `accum(a, b, size)`, called
 * as `accum(x, xb, dim)`).
 */
function argumentTexts(c: CallFact, i: number, fl: FileLaunches | undefined): string[] {
  const arg = (c.args[i] ?? '').replace(/\s+/g, '');
  const wrapper = fl?.owner.get(c);
  const k = wrapper && !wrapper.isKernel ? wrapper.params.findIndex((p) => p.name === arg) : -1;
  if (!fl || !wrapper || k < 0) return [arg];
  const sites = fl.callSites.get(baseName(wrapper.name)) ?? [];
  return sites.length ? sites.map((d) => (d.args[k] ?? '').replace(/\s+/g, '')) : [arg];
}

/** A loop bound's value at a launch: a literal, or a parameter the launch passes a constant for; else null. */
function loopExtent(f: FunctionFacts, c: CallFact, bound: string | null): number | null {
  const b = bound?.trim() ?? '';
  if (/^\d+$/.test(b)) return Number(b);
  const i = f.params.findIndex((p) => p.name === b);
  return i >= 0 ? c.argValues?.[i] ?? null : null;
}

/** How many times a thread's loops run its global accesses at this launch (1 with none; Infinity when a bound is not known there). */
function perThreadLoops(f: FunctionFacts, c: CallFact): number {
  let most = 1;
  for (const a of f.accesses) {
    if (a.space !== 'global') continue;
    let n = 1;
    for (const id of a.loops) {
      const l = f.loops.find((x) => x.id === id);
      // (the loop over the elements themselves, a grid-stride one or one to the count checked, is that count)
      if (!l || l.gridStride || (l.bound !== null && (l.bound.trim() === f.indexBound || f.indexBounds?.includes(l.bound.trim())))) continue;
      n *= l.trips ?? loopExtent(f, c, l.bound) ?? Infinity;
    }
    most = Math.max(most, n);
  }
  return most;
}

/**
 * Whether a launch of a fixed grid whose blocks walk loops over extents it fixes (`r < L1`, `c < L2` with 10 and 10
 * passed, over 64 blocks) moves at most SMALL_PROBLEM elements through each global access: the blocks times the
 * loops' extents.
 */
function blocksWalkFixedExtents(f: FunctionFacts, c: CallFact): boolean {
  if (c.gridBlocks === undefined || !c.argValues) return false;
  const globals = f.accesses.filter((a) => a.space === 'global');
  return globals.length > 0 && globals.every((a) => {
    let n = c.gridBlocks!;
    for (const id of a.loops) {
      const e = loopExtent(f, c, f.loops.find((l) => l.id === id)?.bound ?? null);
      if (e === null) return false;
      n *= e;
    }
    return n <= SMALL_PROBLEM;
  });
}

/** `value` (over the kernel's parameters) with a launch's constant arguments put in, when they make it a constant. */
function launchValue(f: FunctionFacts, value: Poly, c: CallFact): number | null {
  let v = value;
  for (const sym of value.symbols()) {
    const i = f.params.findIndex((p) => p.name === sym);
    const arg = i >= 0 ? c.argValues?.[i] : null;
    if (arg === null || arg === undefined) return null;
    v = v.substitute(sym, Poly.const(arg));
  }
  return v.isConstant ? v.constant : null;
}

/**
 * A pointer argument at a lone run-time offset (`acc + offset`, `&buf[start]`, `x + 3`): its alignment is not the
 * allocation's. (A product, `out + b * T * C`, steps whole rows and is taken to keep it, as inside kernels.)
 */
const OFFSET_POINTER = /^\(?\s*(?:\(\s*[\w:<>\s*]+\)\s*)?(?:[A-Za-z_][\w.>-]*\s*\+\s*([A-Za-z_]\w*|\d+)|&\s*[A-Za-z_][\w.>-]*\s*\[\s*([A-Za-z_]\w*|\d+)\s*\])\s*\)?$/;

/** A lone offset that may break 16-byte alignment: a name, or a constant not a multiple of 4 elements (`x + 1`). */
function offsetArgument(arg: string): boolean {
  const m = OFFSET_POINTER.exec(arg);
  const off = m?.[1] ?? m?.[2];
  if (!off) return false;
  return /^\d+$/.test(off) ? Number(off) % 4 !== 0 : true;
}

/** The kernel's pointer parameters that every launch passes at such an offset. */
function offsetBuffers(f: FunctionFacts, seen: Seen | undefined): string[] {
  if (!seen?.launches.length) return [];
  return f.params.filter((p, i) => p.pointer && seen.launches.every((c) => c.args.length === f.params.length && offsetArgument(c.args[i] ?? ''))).map((p) => p.name);
}

/** An explicit specialization for a 16-bit type (`template <> __global__ void k<__half>(...)`). */
const HALF_SPECIALIZATION = /<\s*(?:__half|half|__nv_bfloat16|nv_bfloat16|bf16|__hip_bfloat16)\s*>\s*$/;

/** The file's launches, by kernel, with the function each is in: read again only when a launch changed. */
interface FileLaunches {
  calls: CallFact[];
  hosts: FunctionFacts[];
  /** the kernels' pointer parameters each read and written (`buffersOf`), joined */
  kernelUse: string;
  /** the explicit instantiations' names and arguments, joined */
  instantiated: string;
  launches: Map<string, Seen>;
  owner: Map<CallFact, FunctionFacts>;
  /** launches on packed or vector casts inside a conditional, found once for all the kernels */
  packed: Map<CallFact, FunctionFacts>;
  /** unfused baselines a caller picks against a launch of its own (core/baselines.ts) */
  baselines: ReadonlySet<string>;
  /** launches a benchmark driver makes only outside its timed region, directly or through a wrapper (setUpLaunches) */
  setUp: ReadonlySet<CallFact>;
  /** launches of wrappers called only every so many steps of a loop (rarelyCalledLaunches) */
  rarelyCalled: ReadonlySet<CallFact>;
  /** the calls the file's functions make, by callee: each wrapper's call sites */
  callSites: ReadonlyMap<string, readonly CallFact[]>;
  /** kernel names the file defines with different numbers of parameters: overloads, told apart by a launch's arguments */
  overloaded: ReadonlySet<string>;
  /** launches in a host loop step beside a 2-D sweep over one of their buffers (core/sweep-siblings.ts) */
  besideSweeps: ReadonlySet<CallFact>;
  /** launches made once, outside any loop, beside a loop of the same host function launching the steps (onceBesideLoops) */
  onceBeside: ReadonlySet<CallFact>;
  /** launches in a loop that reads a file each step and carries nothing between steps: a model being loaded (loadingLaunches) */
  loading: ReadonlySet<CallFact>;
}
/** The last two (an edit inside a kernel leaves every launch fact as it was). */
const lastLaunches = lastTwo<FileLaunches, FileLaunches>();

function fileLaunches(functions: readonly FunctionFacts[], instantiations: readonly CallFact[]): FileLaunches {
  const calls: CallFact[] = [];
  const owners: FunctionFacts[] = [];
  for (const f of functions) for (const c of f.calls) if (c.kind === 'launch') (calls.push(c), owners.push(f));
  // (and the same host functions: whether a wrapper's launches are a benchmark's set-up hangs on its callers)
  const hosts = functions.filter((f) => !f.isKernel);
  // (and the kernels' buffers read and written, which set-up launches hang on: an edit that changes them reads all again)
  const kernelUse = functions.filter((f) => f.isKernel).map(buffersOf).join('|');
  // (and the explicit instantiations, which give a template host's launches their types)
  const instantiated = instantiations.map((c) => `${c.name}<${(c.templateArgs ?? []).join(',')}>`).join(';');
  const kept = lastLaunches.find((last) => last.calls.length === calls.length && last.calls.every((c, i) => c === calls[i] && last.owner.get(c) === owners[i]) &&
    last.hosts.length === hosts.length && last.hosts.every((h, i) => h === hosts[i]) && last.kernelUse === kernelUse && last.instantiated === instantiated);
  if (kept) return kept;
  const owner = new Map(calls.map((c, i) => [c, owners[i]]));
  const packed = new Map([...owner].filter(([c]) => c.scopes?.length && c.args.some((a) => PACKED_CAST.test(a))));
  const callSites = callSitesOf(functions);
  const kernels = new Map(functions.filter((f) => f.isKernel).map((f) => [baseName(f.name), f]));
  const asCalledFrom = new Map<CallFact, CallFact>();
  const launches = collect(functions, instantiations, callSites, asCalledFrom);
  // (a launch a wrapper's call makes is what the launch written in the wrapper is: the same host, set-up or not)
  const withCalled = (written: ReadonlySet<CallFact>): ReadonlySet<CallFact> =>
    asCalledFrom.size ? new Set([...written, ...[...asCalledFrom].filter(([, w]) => written.has(w)).map(([c]) => c)]) : written;
  const made = {
    calls, hosts, kernelUse, instantiated, launches, owner, packed, baselines: pickedBaselines(functions), setUp: withCalled(setUpLaunches(functions, owner)),
    rarelyCalled: withCalled(rarelyCalledLaunches(callSites, owner)), callSites, overloaded: overloadedKernels(functions), besideSweeps: withCalled(launchesBesideSweeps(owner, kernels)),
    onceBeside: withCalled(onceBesideLoops(owner, launchBuffers((name) => kernels.get(baseName(name)), () => undefined), hosts, callSites, kernels)),
    loading: withCalled(loadingLaunches(owner, launchBuffers((name) => kernels.get(baseName(name)), () => undefined), functions, callSites)),
  };
  for (const [c, w] of asCalledFrom) owner.set(c, owner.get(w)!);
  return lastLaunches.keep(made, made);
}

/** A kernel's name and how it uses each pointer parameter (`r`, `w`, `rw`), kept per facts object. */
function buffersOf(k: FunctionFacts): string {
  // (the text holds no position: a copy moved by whole lines has its original's)
  let out = keptAcrossMoves(bufferText, k);
  if (out === undefined) {
    const { reads, writes } = kernelBuffers(k);
    const use = (p: string) => `${reads.has(p) ? 'r' : ''}${writes.has(p) ? 'w' : ''}`;
    // (and whether it sweeps two axes, which the launches beside it hang on; and its template parameters and parameter
    // types, which a template host's launches bind it by: an edit of its `template <...>` head reads them again)
    bufferText.set(k, (out = `${k.name}<${k.templateParams.join(',')}>(${k.params.map((p) => `${p.type}${p.pointer ? '*' + use(p.name) : ''}`).join(',')})${sweepsTwoAxes(k) ? '2d' : ''}`));
  }
  return out;
}
const bufferText = new WeakMap<FunctionFacts, string>();

/**
 * Launches a benchmark driver makes outside its timed region (core/timed-region.ts): set-up and checks that run once.
 * A wrapper's launches count when every call of the wrapper in the file is such a call (`prepare(w)` before the events).
 */
function setUpLaunches(functions: readonly FunctionFacts[], owner: ReadonlyMap<CallFact, FunctionFacts>): ReadonlySet<CallFact> {
  const out = new Set<CallFact>();
  if (!functions.some((f) => !f.isKernel && f.calls.length > 2 && hasTimedRegion(f))) return out;
  const launchers = new Map([...owner.values()].map((g) => [baseName(g.name), g]));
  const kernels = new Map(functions.filter((f) => f.isKernel).map((f) => [baseName(f.name), f]));
  const use = launchBuffers((name) => kernels.get(baseName(name)), (name) => launchers.get(baseName(name)));
  // (whether a wrapper is called only for set-up: once per wrapper, not per launch of it)
  const onlySetUp = new Map<FunctionFacts, boolean>();
  const wrapperSetUp = (g: FunctionFacts) => onlySetUp.get(g) ?? onlySetUp.set(g, calledOnlyForSetUp(g.name, functions, use)).get(g)!;
  for (const [c, g] of owner) if (setUpLaunch(g, c, use) || wrapperSetUp(g)) out.add(c);
  return out;
}

/**
 * Every launch passes, for each buffer the kernel loads, the device address of mapped host memory
 * (`cudaHostGetDevicePointer(&d_a, a, 0)` in the launching function, cuda-samples simpleZeroCopy): its loads cross
 * PCIe or C2C, whose bandwidth, not the number of load instructions, sets the kernel's pace.
 */
function zeroCopyLaunches(f: FunctionFacts, seen: Seen | undefined, owner: ReadonlyMap<CallFact, FunctionFacts>): boolean {
  if (!seen?.launches.length) return false;
  const { reads } = kernelBuffers(f);
  const loaded = f.params.flatMap((p, i) => (p.pointer && reads.has(p.name) ? [i] : []));
  if (!loaded.length) return false;
  return seen.launches.every((c) => {
    const host = owner.get(c);
    const mapped = new Set((host?.calls ?? []).filter((d) => d.name === 'cudaHostGetDevicePointer').map((d) => d.argRoots[0]).filter((r): r is string => r !== null));
    return loaded.every((i) => !!c.argRoots[i] && mapped.has(c.argRoots[i]!));
  });
}

/**
 * A loop over a model's layers or heads (`l < n_layers`, `h < p->n_heads`, `layer < numLayers`): the stages of one step,
 * not steps. By whole words of its names (not `steps_ahead`), and not where a word names steps too.
 */
function stageLoop(l: LoopFact | undefined): boolean {
  const words = `${l?.variable ?? ''} ${l?.bound ?? ''}`.split(/[^A-Za-z]+|(?<=[a-z])(?=[A-Z])/).map((w) => w.toLowerCase());
  return words.some((w) => STAGE_WORDS.has(w)) && !words.some((w) => /^(?:steps?|iters?|iterations?|epochs?)$/.test(w));
}
const STAGE_WORDS = new Set(['layer', 'layers', 'nlayer', 'nlayers', 'head', 'heads', 'nhead', 'nheads']);

/** A loop of this many steps or fewer is a warm-up's or a handful of variants', not an iteration loop. */
const FEW_STEPS = 16;

/**
 * Launches a host function makes once, in no loop, while its loop launches other kernels every step: the preparation
 * before an iteration loop and the conversion after it (Rodinia srad's `extract` and `compress` around `niter` steps
 * of five kernels), a few of the run's hundreds of launches. (A launch in a lambda runs where the lambda is called.)
 */
function onceBesideLoops(owner: ReadonlyMap<CallFact, FunctionFacts>, use: (d: CallFact) => BufferUse | null, hosts: readonly FunctionFacts[], callSites?: ReadonlyMap<string, readonly CallFact[]>,
  kernels: ReadonlyMap<string, FunctionFacts> = new Map()): ReadonlySet<CallFact> {
  const out = new Set<CallFact>();
  const byHost = new Map<FunctionFacts, CallFact[]>();
  for (const [c, g] of owner) (byHost.get(g) ?? byHost.set(g, []).get(g)!).push(c);
  const buffers = (c: CallFact) => { const u = use(c); return u ? [...u.reads, ...u.writes] : []; };
  const steppedBuffers = new Set<string>();
  for (const [g, calls] of byHost) {
    // steps over the same data: launches in a loop of many steps (not a warm-up's few) passing nothing the loop moves
    // (not a chunk, image or layer a step), which carry data from one step to the next: one reads what one writes (a
    // benchmark's repetitions of the same work, `threshold(img, mask)` 20 times, carry none)
    // (a loop over a model's layers or heads is one step's stages: the classifier launched after `l < n_layers` runs as
    // often as the layers do, once a forward pass)
    const manySteps = (id: number) => {
      const l = g.loops.find((x) => x.id === id);
      return (l?.trips ?? Infinity) > FEW_STEPS && !stageLoop(l);
    };
    const inLoops = calls.filter((c) => c.loops.length > 0 && !c.inLambda && !c.loopArgs && manySteps(c.loops[c.loops.length - 1]));
    const stepped = inLoops.filter((c) => carriesData(inLoops.filter((d) => d.loops.at(-1) === c.loops.at(-1)), use));
    if (!stepped.length) continue;
    const steppedNames = new Set(stepped.map((c) => baseName(c.name)));
    for (const d of stepped) for (const b of buffers(d)) steppedBuffers.add(b);
    // (and one of the steps works on a buffer it reads or writes: the preparation of the steps' data, or its conversion after)
    const beside = (c: CallFact) => stepped.some((d) => buffers(d).some((b) => buffers(c).includes(b)));
    // (in a benchmark driver, a launch before its first clock read or after its last is setUpLaunches' business; one
    // between them is timed as a stage of its own, Rodinia srad's `extract` between two `get_time()` calls)
    const timed = hasTimedRegion(g);
    for (const c of calls) if (!c.loops.length && !c.inLambda && !steppedNames.has(baseName(c.name)) && beside(c) && (!timed || insideTimedRegion(g, c))) out.add(c);
  }
  // (or once per pass of a loop around a loop of many steps, a benchmark's per-size conversion `f32_to_f16<<<>>>(dA, hA)`
  // before its 100 timed `cublasGemmEx(..., hA, ...)` calls: as rare as the steps are many, on the data they use; where
  // the once-a-pass kernel does no more per launch than a step, one element a thread beside steps with loops or library
  // calls. PolyBench adi's `adi_kernel1`, a loop over a row a thread, does a pass's worth of work beside N row steps)
  // (a grid-stride loop hands one element a thread a stride: no more work per launch)
  const loopsOver = (d: CallFact) => !!kernels.get(baseName(d.name))?.loops.some((l) => l.trips === undefined && !l.gridStride && !l.blockStride);
  for (const [g, calls] of byHost) {
    const byId = new Map(g.loops.map((l) => [l.id, l]));
    const within = (l: LoopFact, outer: number): boolean => l.parent !== null && (l.parent === outer || (byId.has(l.parent) && within(byId.get(l.parent)!, outer)));
    for (const c of calls) {
      const outer = c.loops.at(-1);
      if (outer === undefined || c.inLambda || out.has(c)) continue;
      // (steps the code counts out, `it < 100`: a loop of run-time length, `micro < grad_accum`, may be a few)
      const steps = g.loops.filter((l) => within(l, outer) && (l.trips ?? 0) > FEW_STEPS);
      const stepWork = g.calls.filter((d) => d !== c && baseName(d.name) !== baseName(c.name) && (d.kind === 'launch' || LIBRARY_CALL.test(d.name)) && steps.some((l) => d.loops.includes(l.id)));
      const mine = buffers(c);
      if (loopsOver(c) || !stepWork.some((d) => LIBRARY_CALL.test(d.name) || loopsOver(d))) continue;
      if (stepWork.some((d) => d.argRoots.some((r) => r !== null && mine.includes(r)))) out.add(c);
    }
  }
  // (or in a set-up function of its own, `allocateMemory` launching the layout conversion `invert_mapping` once, which the
  // file calls in no loop, on a buffer the launches of the file's other functions work on: Rodinia kmeans, whose steps
  // `kmeansCuda` runs are looped over by another file)
  // (also a helper only such a function calls, outside loops: `init_weights` calling `upload_weights(w, f, n)` a tensor at a time)
  const sitesOf = (g: FunctionFacts) => callSites?.get(baseName(g.name)) ?? [];
  const callers = (d: CallFact) => hosts.filter((h) => h.calls.includes(d));
  const setUpHosts = [...byHost].filter(([g]) => !sitesOf(g).some((d) => d.loops.length > 0) &&
    (SET_UP_HOST.test(baseName(g.name)) || (sitesOf(g).length > 0 && sitesOf(g).every((d) => callers(d).some((h) => SET_UP_HOST.test(baseName(h.name)))))));
  if (setUpHosts.length) {
    // (what the other launches pass, read or not: a kernel reading its points through a texture bound to `feature_d`)
    const others = new Set([...byHost].filter(([g]) => !setUpHosts.some(([h]) => h === g)).flatMap(([, calls]) => calls.flatMap((c) => c.argRoots.filter((r): r is string => r !== null))));
    // (or on what the function just uploaded, `cudaMemcpy(scratch, ptr, ..., cudaMemcpyHostToDevice)` then the conversion
    // of `scratch` into the weights: data coming in at load time)
    const uploaded = (g: FunctionFacts, c: CallFact) => g.calls.some((d) => d.kind === 'copy' && d.args.some((a) => a.includes('HostToDevice')) &&
      positionBefore(d.range.start, c.range.start) && !!d.argRoots[0] && !!use(c)?.reads.has(d.argRoots[0]));
    for (const [g, calls] of setUpHosts) for (const c of calls) if (!c.inLambda && !c.loops.length && (buffers(c).some((b) => others.has(b) || steppedBuffers.has(b)) || uploaded(g, c))) out.add(c);
  }
  return out;
}
/**
 * Launches in a loop that reads a file every step (`fread` of a checkpoint's tensor, then its upload and an fp32 -> fp16
 * conversion into `dst[t]`) and carry nothing from one step to the next: a model or a dataset being loaded, at the
 * disk's pace, once a run.
 */
function loadingLaunches(owner: ReadonlyMap<CallFact, FunctionFacts>, use: (d: CallFact) => BufferUse | null, functions: readonly FunctionFacts[],
  callSites: ReadonlyMap<string, readonly CallFact[]>): ReadonlySet<CallFact> {
  const out = new Set<CallFact>();
  // (the loops of the function's callers: one that copies results back streams what each call reads, a video's frames)
  const streamedBy = (g: FunctionFacts) => (callSites.get(baseName(g.name)) ?? []).some((site) => {
    const caller = site.loops.length ? functions.find((f) => f.calls.includes(site)) : undefined;
    return !!caller && bringsBack(caller.calls.filter((d) => d.loops.includes(site.loops[site.loops.length - 1])));
  });
  for (const [c, g] of owner) {
    const loop = c.loops.at(-1);
    // (or a function that reads a file and hands the device what it read, once per call: `load_weight(f, ...)`'s
    // fread, upload and conversion, called for each tensor of a checkpoint)
    if (loop === undefined) {
      // (and carries nothing from call to call: `y = a * x + y` over frames read one by one accumulates a result)
      if (readsFileBefore(g.calls, c) && !bringsBack(g.calls) && !streamedBy(g) && !carriesData(g.calls.filter((d) => d.kind === 'launch'), use)) out.add(c);
      // (or one called, at every site, in its caller's loop that reads the file: `load_weights` reading each tensor and
      // calling `upload_fp16`, which uploads and converts it)
      else if (!bringsBack(g.calls) && calledToLoad(g, functions, callSites) && !carriesData(g.calls.filter((d) => d.kind === 'launch'), use)) out.add(c);
      continue;
    }
    if (!loadingLoop(g.calls, loop)) continue;
    if (!carriesData([...owner].filter(([d, h]) => h === g && d.loops.includes(loop)).map(([d]) => d), use)) out.add(c);
  }
  return out;
}
/**
 * Every call of `g` in the file sits in a loop of its caller that reads a file each step, brings nothing back and
 * runs no other device work (a checkpoint's tensors read and uploaded one by one; not a training loop reading its
 * batches from a file, whose step also trains).
 */
export function calledToLoad(g: FunctionFacts, functions: readonly FunctionFacts[], callSites: ReadonlyMap<string, readonly CallFact[]> = callSitesOf(functions)): boolean {
  const sites = callSites.get(baseName(g.name)) ?? [];
  const launching = new Set(functions.filter((f) => f.calls.some((c) => c.kind === 'launch')).map((f) => baseName(f.name)));
  return sites.length > 0 && sites.every((site) => {
    const caller = site.loops.length ? functions.find((f) => f.calls.includes(site)) : undefined;
    if (!caller) return false;
    const otherWork = (id: number) => caller.calls.some((d) => d !== site && d.loops.includes(id) && (d.kind === 'launch' || launching.has(baseName(d.name))));
    return site.loops.some((id) => loadingLoop(caller.calls, id) && !otherWork(id));
  });
}

/**
 * A loop that reads a file each step and brings nothing back to the host: what it uploads stays on the device (a
 * checkpoint's tensors). One that copies results back or writes them out (`fread`, upload, kernel, download,
 * `fwrite` of each chunk; a video's frames) streams its data through the GPU: overlapping that is the point.
 */
export function loadingLoop(calls: readonly CallFact[], loop: number): boolean {
  const inLoop = calls.filter((d) => d.loops.includes(loop));
  return inLoop.some(readsFile) && !bringsBack(inLoop);
}
const readsFile = (d: CallFact): boolean => d.kind === 'call' && /^(?:std::)?(?:fread|fscanf|fgets|getline)$|^\w+\.read$/.test(d.name);
/** Results copied back or written out (a progress line on stderr is no output; `cudaMemcpyDefault` says nothing of the direction). */
const bringsBack = (calls: readonly CallFact[]): boolean =>
  calls.some((d) => copiesToHost(d) || /^(?:std::)?fwrite$|\.(?:write|download)$/.test(d.name));
/** A file read outside loops before launch `c`, in the same arm. */
const readsFileBefore = (calls: readonly CallFact[], c: CallFact): boolean =>
  calls.some((d) => readsFile(d) && !d.loops.length && positionBefore(d.range.start, c.range.start) && (d.scopes ?? []).every((x) => (c.scopes ?? []).includes(x)));

/** Library calls that queue device work: cuBLAS, cuDNN, cuFFT, cuSPARSE. */
const LIBRARY_CALL = /^(?:cublas|cudnn|cufft|cusparse)\w*$/;

/** A host function named for set-up: `allocateMemory`, `init_buffers`, `setup` (not `upload_*`, `create_*` or `prepare_*`, often a step's). */
const SET_UP_HOST = /^(?:[Aa]lloc(?:ate)?|[Ii]nit(?:iali[sz]e)?|[Ss]et_?[Uu]p)(?:_|[A-Z]|$)/;

/**
 * Launches of a wrapper every call of which in the file runs only every so many steps of a loop around it
 * (`if (it % 100 == 0) residual_norm(u, r2, n)`): as rare as a launch written under that guard.
 */
function rarelyCalledLaunches(callSites: ReadonlyMap<string, readonly CallFact[]>, owner: ReadonlyMap<CallFact, FunctionFacts>): ReadonlySet<CallFact> {
  const out = new Set<CallFact>();
  for (const [c, g] of owner) {
    const sites = callSites.get(baseName(g.name));
    if (!g.isKernel && sites?.length && sites.every((d) => !!d.rareIn?.length)) out.add(c);
  }
  return out;
}

/**
 * A kernel whose warp runs along threadIdx.y (launched with blocks of (1, 32)): its threads walk a row from
 * `threadIdx.y` in steps of `blockDim.y` and meet with warp shuffles (`row = blockIdx.x * blockDim.x + threadIdx.x;
 * for (col = threadIdx.y; col < ncols; col += blockDim.y)`, then `__shfl_xor_sync`): the shuffles sum over the
 * lanes that walked the row, so those lanes are one warp, and blockDim.x is 1.
 */
function warpAlongY(fn: FunctionFacts): boolean {
  if (!fn.calls.some((c) => /^__shfl(?:_xor|_down|_up)?(?:_sync)?$/.test(c.name))) return false;
  const yWalks = fn.loops.filter((l) => l.init?.toString() === 'threadIdx.y' && l.step?.toString() === 'blockDim.y');
  return yWalks.length > 0 && !fn.loops.some((l) => l.init?.dependsOn((s) => s === 'threadIdx.x'));
}

/** The integer parameters every launch of the kernel passes one and the same constant for. */
/** A count of a model's experts, attention heads, classes or beams (`num_experts`, `params.n_heads`): a few hundred at most. */
const FEW = /^(?:[A-Za-z_]\w*(?:->|\.))?(?:n_?|num_?|number_of_)?(?:experts?|heads?|classes|labels|beams?)(?:_per_\w+)?$/i;

/** A count named as a language model's vocabulary (`V`, `vocab_size`, `config.vocab_size`). */
export const VOCABULARY = /^(?:[A-Za-z_]\w*(?:->|\.))?(?:V|Vp|n_vocab|vocab|vocab_size|padded_vocab_size|vocab_len)$/;

/** Integer parameters named as a vocabulary that every launch passes a count of another name for (`V` given `T`). */
function notVocabularyParams(f: FunctionFacts, seen: Seen | undefined, fl: FileLaunches): string[] {
  if (!seen?.launches.length) return [];
  return f.params.filter((p, i) => !p.pointer && VOCABULARY.test(p.name) &&
    seen.launches.every((c) => argumentTexts(c, i, fl).every((a) => a !== '' && !/^\d+$/.test(a) && !VOCABULARY.test(a)))).map((p) => p.name);
}

/** Integer parameters every launch passes a count FEW names for. */
function fewCountParams(f: FunctionFacts, seen: Seen | undefined): string[] {
  if (!seen?.launches.length) return [];
  return f.params.filter((p, i) => !p.pointer && seen.launches.every((c) => FEW.test((c.args[i] ?? '').replace(/\s+/g, '')))).map((p) => p.name);
}

function launchValues(f: FunctionFacts, seen: Seen | undefined): Record<string, number> | null {
  if (!seen?.launches.length) return null;
  let out: Record<string, number> | null = null;
  f.params.forEach((p, i) => {
    if (p.pointer) return;
    const v = seen.launches[0].argValues?.[i];
    if (v === null || v === undefined || !seen.launches.every((c) => c.argValues?.[i] === v)) return;
    (out ??= {})[p.name] = v;
  });
  // (and the integer template arguments every launch gives, `scale<4><<<...>>>` for `template <int ILP>`)
  f.templateParams.forEach((name, i) => {
    const v = seen.launches[0].templateValues?.[i];
    if (v === null || v === undefined || !seen.launches.every((c) => c.templateValues?.[i] === v)) return;
    (out ??= {})[name] = v;
  });
  return out;
}

/**
 * Kernels that share their name and parameter types with another kernel of the file that moves global memory in vector
 * types, and move none themselves: overloads picked by a compile-time test on the same arguments. (A specialization for
 * another type, `k(half2* x)` beside `k(T* x)`, is that type's path: the generic one is the other types', judged on its own.)
 */
function scalarOverloads(functions: readonly FunctionFacts[]): ReadonlySet<FunctionFacts> {
  const out = new Set<FunctionFacts>();
  // (on every edit: most files define each kernel name once, and only a repeated name is looked at further)
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const f of functions) if (f.isKernel) (seen.has(f.name) ? repeated : seen).add(f.name);
  if (!repeated.size) return out;
  const bySignature = new Map<string, FunctionFacts[]>();
  for (const f of functions) {
    if (!f.isKernel || !repeated.has(f.name) || f.name !== baseName(f.name)) continue;
    const key = `${f.name}(${f.params.map((p) => p.type).join(',')})`;
    const same = bySignature.get(key);
    if (same) same.push(f);
    else bySignature.set(key, [f]);
  }
  const vectorized = (f: FunctionFacts) => f.accesses.some((a) => a.vector && a.space === 'global');
  for (const same of bySignature.values()) if (same.length > 1 && same.some(vectorized)) for (const f of same) if (!vectorized(f)) out.add(f);
  return out;
}

/** A `__device__` function a launch runs through a kernel's function parameter, read as a kernel (the same object while it is unchanged). */
function asKernel(f: FunctionFacts): FunctionFacts {
  const hit = promoted.get(f);
  if (hit) return hit;
  // its pointer parameters are the launch's buffers: global memory (a `__device__` function's are of unknown space)
  const buffers = new Set(f.params.filter((p) => p.pointer).map((p) => p.name));
  const accesses = f.accesses.map((a) => (a.space === 'unknown' && buffers.has(a.array) ? { ...a, space: 'global' as const } : a));
  const out = { ...f, isKernel: true, isDevice: false, accesses };
  promoted.set(f, out);
  return out;
}
const promoted = new WeakMap<FunctionFacts, FunctionFacts>();

/** The block's x extent every launch naming `fn` as a template argument gives (`trimul_global<matmul_tri><<<g, dim3(16, 16)>>>`): 16; null when they differ or none says. */
function templateLaunchX(fn: string, calls: readonly CallFact[]): number | null {
  const xs = new Set(calls.filter((c) => (c.templateArgs ?? []).some((t) => t.trim().replace(/^&\s*/, '') === fn)).map((c) => c.blockX ?? null));
  const [x] = xs;
  return xs.size === 1 && x !== null && x > 0 && x < 32 && 32 % x === 0 ? x : null;
}

/** A promoted function with the block width its launches give, the same object for the same width. */
function withBlockX(f: FunctionFacts, x: number | null): FunctionFacts {
  if (x === null) return f;
  const hit = widened.get(f);
  if (hit?.blockDimX === x) return hit;
  const out = { ...f, blockDimX: x };
  widened.set(f, out);
  return out;
}
const widened = new WeakMap<FunctionFacts, FunctionFacts>();

/** Each kernel with what its file's launches fix about it; the same object while nothing changed, so rule results stay cached. */
export function withLaunchShapes(functions: FunctionFacts[], instantiations: readonly CallFact[] = []): FunctionFacts[] {
  const fl = fileLaunches(functions, instantiations);
  const { owner } = fl;
  const instantiated = instantiations.length ? keptInstantiatedTypes(instantiations) : NO_TYPES;
  // a kernel named as the scalar path (`relu_bwd_not_aligned`) launched in the other arm from one that moves vectors itself
  // (`if (n % 2 == 0) relu_bwd_vec2<<<>>>(...); else relu_bwd_not_aligned<<<>>>(...)`): the fallback for sizes the vector one cannot take
  const vectorKernels = functions.some((f) => f.isKernel && SCALAR_PATH.test(f.name))
    ? new Set(functions.filter((f) => f.isKernel && f.accesses.some((a) => a.vector && a.space === 'global')).map((f) => baseName(f.name)))
    : NO_KERNELS;
  const vectorArms = vectorKernels.size ? new Map([...owner].filter(([c]) => c.scopes?.length && vectorKernels.has(baseName(c.name)))) : NO_ARMS;
  const helpers = new Map(functions.filter((f) => f.isDevice).map((f) => [baseName(f.name), f]));
  // generic kernels with a 16-bit specialization beside them: the specialization is the fp16 path a
  // half-precision build runs, the generic one the fp32 build's (its scalar accesses are that build's business)
  const halfSpecialized = new Set(functions.filter((f) => f.isKernel && HALF_SPECIALIZATION.test(f.name)).map((f) => baseName(f.name)));
  // overloads of one kernel chosen at compile time (`enable_if_t<(W > 0)>` vs `<(W == 0)>`), one of which moves
  // vectors: the scalar one is the fallback for what the vector one cannot take (misaligned rows, fp32)
  const overloadFallbacks = scalarOverloads(functions);
  // `__device__` functions a launch names as a template argument (`trimul_global<matmul_tri_naive><<<...>>>`, whose
  // kernel calls its function parameter): the kernel's body is theirs, read as kernels
  const viaTemplate = new Set(fl.calls.flatMap((c) => c.templateArgs ?? []).map((t) => t.trim().replace(/^&\s*/, '')));
  return functions.map((f) => {
    if (!f.isKernel) return f.isDevice && viaTemplate.has(f.name) ? withBlockX(asKernel(f), templateLaunchX(f.name, fl.calls)) : f;
    const shape = launchShape(f, fl, instantiated);
    const { seen, singleBlock, subWarp, warpBlocks, warpThreads, types, small, offsets, values, baseline, fewCounts, notVocabulary, rare, besideSweep, zeroCopy } = shape;
    let x = shape.x;
    // launched from elsewhere (a Rust or Python host) with blocks of (1, 32): its row walk says so
    if (x === null && !seen && (warpAlongY(f) || f.calls.some((c) => c.kind === 'call' && helpers.has(c.name) && warpAlongY(helpers.get(c.name)!)))) x = 1;
    const vectorLaunch = shape.vectorLaunch ||
      (SCALAR_PATH.test(f.name) && packedTwin(seen, f.name, vectorArms, owner)) ||
      (f.templateParams.length > 0 && f.name === baseName(f.name) && halfSpecialized.has(f.name)) || overloadFallbacks.has(f);
    if (x === null && !singleBlock && !warpBlocks && warpThreads === null && !types && !small && !vectorLaunch && !offsets.length && !values && !baseline && !fewCounts.length && !notVocabulary.length && !rare && !besideSweep && !zeroCopy) return f;
    const key = shapeKey(shape, x, vectorLaunch);
    const hit = shaped.get(f);
    if (hit && hit.key === key) return hit.facts;
    const moved = movedDerivation(shaped, f, key);
    if (moved) return moved;
    const facts: FunctionFacts = {
      ...f,
      ...(types ? withTypes(f, types) : {}),
      ...(x !== null ? { blockDimX: x } : {}),
      ...(singleBlock ? { singleBlock } : {}),
      ...(subWarp ? { subWarp } : {}),
      ...(warpBlocks ? { warpBlocks } : {}),
      ...(warpThreads !== null ? { warpThreads } : {}),
      ...(small ? { smallProblem: small } : {}),
      ...(vectorLaunch ? { vectorLaunch } : {}),
      ...(offsets.length ? { offsetBuffers: offsets } : {}),
      ...(values ? { launchValues: values } : {}),
      ...(baseline ? { baselineLaunch: baseline } : {}),
      ...(fewCounts.length ? { fewCounts } : {}),
      ...(notVocabulary.length ? { notVocabulary } : {}),
      ...(rare ? { rarelyLaunched: rare } : {}),
      ...(besideSweep ? { besideSweep } : {}),
      ...(zeroCopy ? { zeroCopy } : {}),
    };
    shaped.set(f, { key, facts });
    return facts;
  });
}
const shaped = new WeakMap<FunctionFacts, { key: string; facts: FunctionFacts }>();

/** What a kernel's own launches in the file fix about it (the parts of withLaunchShapes that read them). */
interface LaunchShape {
  seen: Seen | undefined;
  x: number | null;
  singleBlock: boolean;
  subWarp: boolean;
  warpBlocks: boolean;
  /** the threads of every launch's blocks, the same count below a warp (a warp is then that many lanes), else null */
  warpThreads: number | null;
  types: Map<string, string[]> | null;
  small: boolean;
  /** launched on vector casts, beside a packed twin, or only where a size is not a multiple of the vector width */
  vectorLaunch: boolean;
  offsets: string[];
  values: Record<string, number> | null;
  /** every launch sits in an unfused baseline a caller picks against a fused launch */
  baseline: boolean;
  /** integer parameters every launch passes a count of experts, heads or classes for */
  fewCounts: string[];
  /** integer parameters named as a vocabulary that every launch passes a count of another name for */
  notVocabulary: string[];
  /** every launch runs only every so many steps of a loop around it (`if (t % 100 == 0)`), once outside a benchmark's timed region, or once beside a loop launching the steps */
  rare: boolean;
  /** every launch shares a host loop step with a 2-D sweep over one of its buffers */
  besideSweep: boolean;
  /** every launch passes mapped host memory for each buffer the kernel loads (zero-copy) */
  zeroCopy: boolean;
  /** the last key made of it, with the file-wide parts it was made with */
  key?: { x: number | null; vectorLaunch: boolean; text: string };
}

/**
 * A kernel's launch shape, kept per facts object while the file's launch facts are the same objects
 * (an edit inside another function): withLaunchShapes asks it of every kernel on every edit.
 */
function launchShape(f: FunctionFacts, fl: FileLaunches, instantiated: ReadonlyMap<string, Set<string | null>[]>): LaunchShape {
  let byKernel = shapes.get(fl);
  if (!byKernel) shapes.set(fl, (byKernel = new WeakMap()));
  const kept = byKernel.get(f);
  if (kept && kept.instantiated === instantiated) return kept.shape;
  const { launches, owner, packed } = fl;
  const seen = launchesOfOverload(f, launches.get(baseName(f.name)), fl.overloaded);
  let x = seen && seen.xs.size === 1 ? [...seen.xs][0] : null;
  if (x !== null && (x <= 0 || x >= 32 || 32 % x !== 0)) x = null;
  // (a kernel relaunching itself from device code, `k<<<grid, blockDim.x>>>` under `threadIdx.x == 0`, works within
  // what the host's launches gave it: those decide its size)
  const fromHosts = seen?.launches.some((c) => owner.get(c)?.name === f.name) ? { ...seen, launches: seen.launches.filter((c) => owner.get(c)?.name !== f.name) } : seen;
  const types = typeBindings(f, seen, instantiated.get(baseName(f.name)), owner);
  const shape: LaunchShape = {
    seen, x,
    singleBlock: seen?.oneBlock ?? false,
    subWarp: seen?.subWarp ?? false,
    warpBlocks: !!seen?.launches.length && seen.warpBlocks,
    warpThreads: warpThreadsOf(seen),
    types,
    small: smallProblem(f, fromHosts, fl),
    vectorLaunch: (f.templateParams.length > 0 && !!seen?.launches.some((c) => c.args.some((a) => VECTOR_CAST.test(a)))) || packedTwin(seen, f.name, packed, owner, f) ||
      // (launched only where a size is not a multiple of the vector width: `if (d % 16 == 0) vector path; else k<<<>>>`)
      (!!seen?.launches.length && seen.launches.every((c) => c.remainderArm)) ||
      // (its element type a packed one at every launch, `addBiasGeluV2<half2, 1>`: written for vectors)
      packedElements(f, types),
    offsets: offsetBuffers(f, seen),
    values: launchValues(f, seen),
    baseline: !!seen?.launches.length && seen.launches.every((c) => fl.baselines.has(baseName(owner.get(c)?.name ?? ''))),
    fewCounts: fewCountParams(f, seen),
    notVocabulary: notVocabularyParams(f, seen, fl),
    // (every so many steps, directly or through a wrapper, or only outside a benchmark's timed region: set-up and checks)
    rare: !!seen?.launches.length && seen.launches.every((c) => !!c.rareIn?.length || !!c.once || fl.setUp.has(c) || fl.rarelyCalled.has(c) || fl.onceBeside.has(c) || fl.loading.has(c)),
    besideSweep: !!seen?.launches.length && seen.launches.every((c) => fl.besideSweeps.has(c)),
    zeroCopy: zeroCopyLaunches(f, seen, owner),
  };
  byKernel.set(f, { instantiated, shape });
  return shape;
}
/** (by the launches they were read from: an edit undone gives back the last launches but one, and their shapes) */
const shapes = new WeakMap<FileLaunches, WeakMap<FunctionFacts, { instantiated: ReadonlyMap<string, Set<string | null>[]>; shape: LaunchShape }>>();

/** The cache key of a kernel's shaped facts: everything put into them. */
function shapeKey(shape: LaunchShape, x: number | null, vectorLaunch: boolean): string {
  const k = shape.key;
  if (k && k.x === x && k.vectorLaunch === vectorLaunch) return k.text;
  const { singleBlock, subWarp, warpBlocks, warpThreads, small, offsets, types, values, baseline, fewCounts, notVocabulary, rare, besideSweep, zeroCopy } = shape;
  const text = `${x}|${singleBlock}|${subWarp}|${warpBlocks}|${warpThreads}|${small}|${vectorLaunch}|${offsets.join()}|${types ? [...types].join() : ''}|${values ? JSON.stringify(values) : ''}|${baseline}|${fewCounts.join()}|${notVocabulary.join()}|${rare}|${besideSweep}|${zeroCopy}`;
  shape.key = { x, vectorLaunch, text };
  return text;
}

/**
 * The kernels of a file that launches none of them itself, shaped by the launches of the host functions of files that
 * include it (`hosts`, ProjectIndex.includers): a header of kernels takes its block sizes and counts from the file that
 * runs them. The others stay as they are (a kernel its own file launches is shaped by those launches).
 */
export function withIncluderLaunches(functions: FunctionFacts[], hosts: readonly FunctionFacts[], instantiations: readonly CallFact[] = []): FunctionFacts[] {
  if (!hosts.length) return functions;
  const launchedHere = new Set(functions.flatMap((f) => f.calls.filter((c) => c.kind === 'launch').map((c) => baseName(c.name))));
  // (or launched here only by wrappers the includers call and nothing here does, `void accum(half* a, half* b, int size)`
  // of a header, called with the model's sizes by the .cu that includes it: its launches' values are there)
  const called = (fs: readonly FunctionFacts[]) => new Set(fs.flatMap((f) => f.calls.filter((c) => c.kind === 'call').map((c) => baseName(c.name))));
  const calledHere = called(functions);
  const calledThere = called(hosts);
  const wrappedForIncluders = (k: FunctionFacts) => functions.every((w) => !w.calls.some((c) => c.kind === 'launch' && baseName(c.name) === baseName(k.name)) ||
    (!w.isKernel && !calledHere.has(baseName(w.name)) && calledThere.has(baseName(w.name))));
  const orphan = (f: FunctionFacts) => f.isKernel && (!launchedHere.has(baseName(f.name)) || wrappedForIncluders(f));
  if (!functions.some(orphan)) return functions;
  const shaped = withLaunchShapes([...functions, ...hosts], instantiations);
  return functions.map((f, i) => (orphan(f) ? shaped[i] : f));
}
