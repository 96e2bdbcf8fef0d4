// Template parameters of a kernel that its launches set (`gather<8><<<...>>>`,
// `rows<TILE_SIZE>` with `static const int TILE_SIZE = 16;` in the launcher): when every
// launch in the kernel's file or the project's launch wrappers passes the same integer, the rules that evaluate lanes put it
// in, so a stride or a shared-memory index set at the launch is judged with its value.
import type { AccessFact, CallFact, FileFacts, FunctionFacts } from '../../core/facts/model';
import { bindSymbols, mentionsAny } from '../../core/affine';
import { COMPARE } from '../../core/facts/loop-forms';
import { baseName, resolvedLaunches } from '../../core/project';
import { constantTrip, constantValue, fileConstants } from './file-constants';
import { lastTwo } from '../../core/bounded-memo';
import { perFacts } from './memo';

/** Template parameters bound to integers at every launch of the kernel in its file: `D` of `attn<64><<<...>>>`. */
export type Bindings = ReadonlyMap<string, number>;
export const NO_BINDINGS: Bindings = new Map();

/** An access with the template arguments put in, and which ones (`` `STRIDE` = 8 ``), for the finding's assumptions. */
export type BoundAccess = AccessFact & { boundAt?: string };

/**
 * The assumption a bound access rests on: the block size or template arguments that every launch of `kernel` in the
 * file sets, or, for one of a tuner's sets (`bindings` from templateAlternatives), that one launch's.
 */
export function boundAssumption(a: BoundAccess, kernel: string, bindings?: Bindings): string | null {
  if (!a.boundAt) return null;
  const sets = bindings ? sweepSize.get(bindings) : undefined;
  if (sets) return `${a.boundAt}: the template arguments and block size of one launch of \`${kernel}\`, of the ${sets} sets of values its launches give`;
  const onlyBlock = (a.boundAt.match(/`[^`]+`/g) ?? []).every((n) => n.startsWith('`blockDim.'));
  // (its launches may be in another file of the project: one that includes this header)
  return `${a.boundAt}: ${onlyBlock ? 'the block size' : 'the arguments or block size'} of every launch of \`${kernel}\``;
}
/** Bindings that are one of a tuner's sets, with how many sets there are. */
const sweepSize = new WeakMap<Bindings, number>();

/** The accesses with the kernel's bound template parameters put in (`in[t * STRIDE]` with STRIDE = 8 is `in[8*t]`). */
export function boundAccesses(fn: FunctionFacts, bindings: Bindings): BoundAccess[] {
  if (!bindings.size) return fn.accesses;
  // the coalescing and bank-conflict rules both ask, with the same bindings
  let byFunction = boundMemo.get(bindings);
  if (!byFunction) boundMemo.set(bindings, (byFunction = new WeakMap()));
  let out = byFunction.get(fn);
  if (!out) byFunction.set(fn, (out = fn.accesses.filter((a) => !inEmptyLoop(a, fn, bindings) && !compiledOut(a, bindings)).map((a) => bindAccess(a, bindings))));
  return out;
}

/** An access in the arm of `if constexpr (K / WK > 1)` that the launch's arguments (K = WK = 64) leave out of the build. */
function compiledOut(a: AccessFact, bindings: Bindings): boolean {
  return !!a.compileTimeGuards?.some((g) => {
    const l = bindSymbols(g.left, bindings);
    const r = bindSymbols(g.right, bindings);
    return l.isConstant && r.isConstant && COMPARE[g.op]!(l.constant, r.constant) !== g.holds;
  });
}

/**
 * An access in a loop its bound arguments leave empty (`for (i = 3; i < stride; ++i)` with `stride` = 3): it never
 * runs. Only a loop counting up by a constant to a bound argument: a countdown (`s = 16; s > 0; s >>= 1`) compares
 * the other way, which the loop's facts do not record.
 */
function inEmptyLoop(a: AccessFact, fn: FunctionFacts, bindings: Bindings): boolean {
  return a.loops.some((id) => {
    const l = fn.loops.find((x) => x.id === id);
    if (!l?.bound || !l.step?.isConstant || l.step.constant <= 0 || !bindings.has(l.bound.trim())) return false;
    return constantTrip(l, bindings) === 0;
  });
}
const boundMemo = new WeakMap<Bindings, WeakMap<FunctionFacts, BoundAccess[]>>();

function bindAccess(a: AccessFact, bindings: Bindings): BoundAccess {
  // `if (threadIdx.x < R)` with R = 8 at the launch: the first 8 lanes make the request
  const lanes = a.firstThreads !== undefined ? bindings.get(a.firstThreads) : undefined;
  if (lanes !== undefined && lanes >= 2 && lanes < 32) a = { ...a, activeLanes: lanes };
  if (!a.indices.some((p) => mentionsAny(p, bindings))) return a;
  const used = [...bindings].filter(([name, v]) => a.indices.some((p) => mentionsAny(p, new Map([[name, v]]))));
  const indices = a.indices.map((p) => bindSymbols(p, bindings));
  return { ...a, indices, boundAt: used.map(([name, v]) => `\`${name}\` = ${v}`).join(', ') };
}

/** Per analysis: the coalescing and bank-conflict rules both ask. */
const bindingsOf = new WeakMap<FileFacts, Map<string, Bindings>>();

/** Each kernel's template parameters and block extents that every launch in the file sets to one integer (literal or named constant). */
export function templateBindings(facts: FileFacts): Map<string, Bindings> {
  let out = bindingsOf.get(facts);
  if (!out) bindingsOf.set(facts, (out = findBindings(facts)));
  return out;
}

const AXES = ['blockDim.x', 'blockDim.y', 'blockDim.z'];
/** A scalar parameter whose launch value can be bound: an integer type (a float's `1.0f` is no index). */
const INTEGER_PARAM = /^(?:const\s+)?(?:(?:unsigned|signed|short|long|int|size_t|ssize_t|ptrdiff_t|u?int(?:8|16|32|64)_t|index_t|uint|dim_t)\b\s*)+$/;
const NO_LAUNCHES: ReadonlyMap<string, Launch[]> = new Map();

type Launch = { call: CallFact; forwarded: boolean };

/** The launches these functions make, by the kernel's base name (one of the last two again while its launch facts are the same: an edit inside a kernel). */
function launchIndex(functions: readonly FunctionFacts[], explicit: readonly CallFact[] = []): ReadonlyMap<string, Launch[]> {
  // (a launcher's instantiations too: `run_tile<128, 8>(...)`, `template void run_tile<128, 8>(...);` say what its forwarded launch runs with)
  // (and the calls of launch wrappers, whose arguments say what a launch through a parameter runs, `time_kernel(halve_cols,
  // grid, block, ...)`: an edit of those arguments resolves the launches again)
  const calls: CallFact[] = [];
  for (const f of functions) for (const c of indexedCalls(f)) calls.push(c);
  for (const c of explicit) calls.push(c);
  const kept = lastIndexes.find((last) => last.length === calls.length && last.every((c, i) => c === calls[i]));
  if (kept) return kept;
  const out = new Map<string, Launch[]>();
  for (const launch of resolvedLaunches(functions, explicit)) {
    const base = baseName(launch.call.name);
    const list = out.get(base);
    if (list) list.push(launch);
    else out.set(base, [launch]);
  }
  return lastIndexes.keep(calls, out);
}
const lastIndexes = lastTwo<CallFact[], ReadonlyMap<string, Launch[]>>();
/** A function's calls that launchIndex compares, per facts object (on every edit the other functions' are the same). */
const indexedCalls = perFacts((f: FunctionFacts) => f.calls.filter((c) => c.kind === 'launch' || c.templateValues || (c.kind === 'call' && c.args.length > 0)));
/** Each kernel's launches and what they bound, at its last analysis. */
const previous = new WeakMap<FunctionFacts, { launches: CallFact[]; bound: Bindings | undefined }>();
const keys = new WeakMap<Bindings, string>();

/** A cache key naming the bindings (the rules that put them in are re-run when they change). */
export function bindingsKey(b: Bindings): string {
  let k = keys.get(b);
  if (k === undefined) keys.set(b, (k = [...b].join()));
  return k;
}

/**
 * Kernels whose launches give their template parameters different values (a tuner's sweep of `<64, 64, 8, 4, 4>`,
 * `<128, 128, 8, 8, 8>`, ...): the bindings of each distinct launch, at most MAX_ALTERNATIVES. A rule that finds a
 * problem under every one reports the least of it, as for a template's alternative element types.
 */
export function templateAlternatives(facts: FileFacts): ReadonlyMap<string, readonly Bindings[]> {
  templateBindings(facts);
  return alternativesOf.get(facts) ?? NO_ALTERNATIVES;
}
const alternativesOf = new WeakMap<FileFacts, Map<string, Bindings[]>>();

/** Each kernel's integer parameters that every launch passes a tensor's stride (`t.stride(0)`): the caller's layout. */
export function tensorStrideParams(facts: FileFacts): ReadonlyMap<string, ReadonlySet<string>> {
  templateBindings(facts);
  return stridesOf.get(facts) ?? NO_STRIDES;
}
const stridesOf = new WeakMap<FileFacts, Map<string, Set<string>>>();
const NO_STRIDES: ReadonlyMap<string, ReadonlySet<string>> = new Map();
const NO_ALTERNATIVES: ReadonlyMap<string, readonly Bindings[]> = new Map();
const MAX_ALTERNATIVES = 8;

function findBindings(facts: FileFacts): Map<string, Bindings> {
  const out = new Map<string, Bindings>();
  const alternatives = new Map<string, Bindings[]>();
  alternativesOf.set(facts, alternatives);
  const strides = new Map<string, Set<string>>();
  stridesOf.set(facts, strides);
  const kernels = facts.functions.filter((f) => f.isKernel);
  if (!kernels.length) return out;
  let constants: ReturnType<typeof fileConstants>['constants'] | undefined; // read only for a template kernel
  // the file's functions, and the project's launch wrappers (a kernel in a header, launched from a .cu file);
  // the project's launches are indexed once per version of the project, not once per file
  const local = launchIndex(facts.functions, facts.instantiations);
  const remote = facts.project?.launches ?? NO_LAUNCHES;
  const launchesOf = (name: string): Launch[] | undefined => {
    const base = baseName(name);
    // a kernel its own file launches is bound by those launches (another file's `main` may launch a kernel of the same
    // name, its own variant); one it does not, a header's, by the project's
    return local.get(base) ?? remote.get(base);
  };
  for (const k of kernels) {
    // a template kernel nothing here launches is built with its explicit instantiations' arguments (`template __global__ void k<4>(...);`)
    const all = launchesOf(k.name) ?? instantiatedAs(k, facts.instantiations);
    if (!all) continue;
    // after an edit elsewhere: the same list of launches (the index kept) gives a plain kernel the same strides and
    // block shape, read without going through its launches again
    const kept = byLaunches.get(all)?.get(k);
    if (kept && kept.length === all.length) {
      if (kept.strides) strides.set(k.name, kept.strides);
      if (kept.bound) out.set(k.name, kept.bound);
      continue;
    }
    const mine = all.map((l) => l.call);
    const strideParams = k.params.filter((p, i) => !p.pointer && mine.every((c) => c.tensorStrideArgs?.includes(i))).map((p) => p.name);
    const strideSet = strideParams.length ? new Set(strideParams) : undefined;
    if (strideSet) strides.set(k.name, strideSet);
    // after an edit elsewhere: the same launch facts give the same block shape (template values may read
    // the file's constants, so template kernels are bound again)
    const last = previous.get(k);
    if (last && !k.templateParams.length && last.launches.length === mine.length && last.launches.every((c, i) => c === mine[i])) {
      if (last.bound) out.set(k.name, last.bound);
      keepBound(all, k, strideSet, last.bound);
      continue;
    }
    let bound: Map<string, number> | undefined;
    // `name` bound where every launch gives it the same value
    const bind = (name: string, launches: readonly CallFact[], value: (c: CallFact) => number | null | undefined) => {
      const v = value(launches[0]);
      if (v === null || v === undefined) return;
      for (let i = 1; i < launches.length; i++) if (value(launches[i]) !== v) return;
      (bound ??= new Map()).set(name, v);
    };
    // (a generic launcher passing on its own template parameters, `k<BM, BN><<<...>>>`, is bound where it is
    // instantiated: the kernel's arguments are what its concrete launches give)
    const concrete = all.filter((l) => !l.forwarded).map((l) => l.call);
    const templateValue = (c: CallFact, i: number) =>
      c.templateArgs ? c.templateValues?.[i] ?? constantValue(c.templateArgs[i] ?? null, (constants ??= fileConstants(facts.lines).constants)) : null;
    const blockValue = (c: CallFact, i: number) => (c.blockDims ? (i < c.blockDims.length ? c.blockDims[i] || null : 1) : null);
    const bindable = concrete.length ? concrete : mine;
    k.templateParams.forEach((name, i) => bind(name, bindable, (c) => templateValue(c, i)));
    // an integer argument every launch passes as the same constant (`channels` = 3, a pool's `stride` = 2)
    k.params.forEach((p, i) => {
      if (!p.pointer && INTEGER_PARAM.test(p.type) && !bound?.has(p.name)) bind(p.name, mine, (c) => c.argValues?.[i]);
    });
    // the block's shape, when every launch gives the same (`dim3 block(32, 16)`: blockDim.y = 16; `<<<g, 256>>>`: y = 1)
    for (let i = 0; i < 3; i++) bind(AXES[i], mine, (c) => blockValue(c, i));
    if (bound) out.set(k.name, bound);
    const alts = k.templateParams.length && bindable.length > 1 ? alternativeBindings(k.templateParams, bindable, templateValue, blockValue) : undefined;
    if (alts) alternatives.set(k.name, alts);
    previous.set(k, { launches: mine, bound });
    // (a template kernel's values may read the file's constants, and it may have alternatives: bound again each time)
    if (!k.templateParams.length) keepBound(all, k, strideSet, bound);
  }
  return out;
}
/**
 * A plain kernel's strides and bindings by the launch list they were read from: launchIndex keeps the lists while no
 * launch changed, and the last two indexes (an edit undone finds the one before); a project's lists only grow, as
 * files are indexed: their length is kept too.
 */
const byLaunches = new WeakMap<readonly Launch[], WeakMap<FunctionFacts, { length: number; strides: Set<string> | undefined; bound: Bindings | undefined }>>();
function keepBound(all: readonly Launch[], k: FunctionFacts, strides: Set<string> | undefined, bound: Bindings | undefined): void {
  let byKernel = byLaunches.get(all);
  if (!byKernel) byLaunches.set(all, (byKernel = new WeakMap()));
  byKernel.set(k, { length: all.length, strides, bound });
}

/** A template kernel's explicit instantiations, read as launches that give only template arguments. */
function instantiatedAs(k: FunctionFacts, explicit: readonly CallFact[] | undefined): Launch[] | undefined {
  if (!k.templateParams.length || !explicit?.length) return undefined;
  const base = baseName(k.name);
  const mine = explicit.filter((c) => c.name === base).map((call) => ({ call, forwarded: false }));
  return mine.length ? mine : undefined;
}

/** Each distinct launch's full bindings (every template parameter known at each), when they differ; else undefined. */
function alternativeBindings(
  params: readonly string[], launches: readonly CallFact[],
  templateValue: (c: CallFact, i: number) => number | null | undefined, blockValue: (c: CallFact, i: number) => number | null,
): Bindings[] | undefined {
  const seen = new Map<string, Bindings>();
  // the integer parameters: a type parameter (`T` of `k<float, 4>`) has no value at any launch
  const valued = params.map((_, i) => launches.some((c) => templateValue(c, i) !== null && templateValue(c, i) !== undefined));
  if (!valued.some(Boolean)) return undefined;
  for (const c of launches) {
    const values = params.map((_, i) => (valued[i] ? templateValue(c, i) : 0));
    if (values.some((v) => v === null || v === undefined)) return undefined;
    const b = new Map(params.flatMap((p, i) => (valued[i] ? [[p, values[i]!] as const] : [])));
    for (let i = 0; i < 3; i++) {
      const v = blockValue(c, i);
      if (v !== null) b.set(AXES[i], v);
    }
    seen.set([...b].join(), b);
  }
  if (seen.size < 2 || seen.size > MAX_ALTERNATIVES) return undefined;
  for (const b of seen.values()) sweepSize.set(b, seen.size);
  return [...seen.values()];
}

/**
 * blockDim.x when it is below a warp (a warp then spans threadIdx.y too): what the file's
 * launches agree on, else what the project's launches bind (a kernel in a header launched
 * from the .cu file that includes it).
 */
export function warpRowWidth(fn: FunctionFacts, bindings: Bindings): number | undefined {
  if (fn.blockDimX) return fn.blockDimX;
  const x = bindings.get('blockDim.x');
  return x !== undefined && x > 0 && x < 32 && 32 % x === 0 ? x : undefined;
}

