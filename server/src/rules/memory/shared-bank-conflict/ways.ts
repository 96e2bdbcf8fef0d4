// How many ways a warp's access to a `__shared__` array conflicts, and whether padding its
// rows by one word would remove the conflict (the rule reports, the fixer pads: both ask here).
import type { AccessFact, LoopFact, SharedArrayFact } from '../../../core/facts/model';
import { Poly, bindSymbols, displaySymbol, symbolKind } from '../../../core/affine';
import { constantTrip } from '../../common/file-constants';
import { elementBits } from '../../../core/facts/ctypes';
import { SAMPLES, WARP, bankConflictWays, firstWarp, laneFunction, type Sample } from '../../../core/lanes';

export interface Ways {
  ways: number;
  certain: boolean;
  /** Per element type, for a template kernel launched with several (or none named). */
  byType?: string;
  /**
   * The lanes meet within one row of a 2-D array (`Bs[k][tx * TN + j]`: a stride of TN words
   * between lanes), which no row padding changes: reading 16 bytes per lane or re-mapping
   * the lanes does.
   */
  withinRow?: boolean;
  /**
   * The pad, in elements, that removes a conflict of several rows of a narrow block whose pitch is a multiple of
   * 32 words (`s_Data[4][160]` under 16 x 4 blocks): a one-word pad leaves the half-warps' rows on 15 common banks.
   */
  rowPad?: number;
  /** 4-byte accesses the compiler merges into 8- or 16-byte ones (2 or 4 words per lane): an unrolled loop over consecutive words. */
  merged?: 2 | 4;
  /** The assumption on a pack's element count the build leaves open (`x128::size`), and the ways at each. */
  byPack?: string;
  /** A doubling loop's variable in the index (`2 * s * tid`, s = 1, 2, 4, ...): the fewest and most ways over its values. */
  /** (`grows`: a companion variable the loop doubles, a scan's `offset`; `span`: the elements a warp spans at its worst value) */
  sweep?: { variable: string; least: number; most: number; at: number; grows?: boolean; span?: number };
}

/** Values a multiplying loop's variable takes (`s = 1; s < 1024; s *= 2`), at most 12; up to 512 when the bound is not a constant. */
function factorValues(l: LoopFact): number[] {
  if (!l.factor || !l.init?.isConstant) return [];
  const limit = l.limit?.isConstant ? l.limit.constant : null;
  const out: number[] = [];
  for (let v = l.init.constant; out.length < 12 && v >= 1; v = Math.trunc(v * l.factor)) {
    if (l.factor > 1 ? v >= (limit ?? 1024) + (l.inclusive ? 1 : 0) : limit !== null && v <= limit - (l.inclusive ? 1 : 0)) break;
    out.push(v);
  }
  return out;
}

/**
 * The ways of an access whose index holds a doubling (or halving) loop's variable, at each value the loop gives it:
 * an interleaved tree reduction (`v[2 * s * tid]`) goes from 2-way at s = 1 to 32-way at s = 16.
 */
export function sweptWays(a: AccessFact, s: SharedArrayFact, templateParams: readonly string[], blockX?: number, ctx?: LoopContext): Ways | null {
  const inIndex = (symbol: string) => a.indices.some((p) => p.dependsOn((y) => y === symbol));
  const l = ctx?.loops.find((x) => x.factor && a.loops.includes(x.id) && inIndex(x.symbol));
  // (or a variable the loop's body doubles besides its own, a scan's `offset`)
  const owner = l ? undefined : ctx?.loops.find((x) => a.loops.includes(x.id) && (x.geometric ?? []).some((y) => inIndex(y.symbol)));
  const g = owner?.geometric?.find((x) => inIndex(x.symbol));
  // (the doubling loop's own variable at the same pass, when it steps geometrically from a constant too: a scan's
  // `d = n / 2 ... d >>= 1` beside `offset *= 2`, which the `thid < d` guard reads)
  const own = (i: number): [string, number][] => owner?.factor && owner.init?.isConstant ? [[owner.symbol, Math.trunc(owner.init.constant * owner.factor ** i)]] : [];
  const swept = l
    ? { symbol: l.symbol, variable: l.variable ?? displaySymbol(l.symbol), values: factorValues(l).map((v) => ({ v, also: [] as [string, number][] })) }
    : g ? { symbol: g.symbol, variable: g.variable, values: geometricValues(g).map((v, i) => ({ v, also: own(i) })).filter(({ v }) => (warpSpan(a, g.symbol, v) ?? Infinity) <= arrayElements(s)) } : null;
  if (!swept || swept.values.length < 2) return null;
  // (into the index's `/`, `%` and `>>` too: a padded scan's `bi + (bi >> 5)`)
  const each = swept.values.flatMap(({ v, also }) => {
    const bind = (p: Poly) => bindSymbols(p, new Map([[swept.symbol, v], ...also]));
    // under `if (2 * s * tid < blockDim.x)`: the lanes of the first warp that still pass at this value (one or none: no conflict)
    // (blockDim.x from the launches when they set it: a 1,024-thread block keeps a warp's 32 lanes to larger values)
    const launched = (p: Poly) => (ctx?.bindings.size ? bindSymbols(bind(p), ctx.bindings) : bind(p));
    // (a limit the loop moves that this pass leaves unbound, `thid < d` with `d = n >> 1` from a run-time `n`: unknown)
    const loopFree = (p: Poly) => !p.dependsOn((x) => x.startsWith('#loop'));
    const index = a.laneLimit && launched(a.laneLimit.index);
    const limit = a.laneLimit && launched(a.laneLimit.limit);
    const passing = index && limit && loopFree(index) && loopFree(limit) ? passingLanes(index, limit, a.laneLimit!.inclusive) : null;
    if (passing !== null && passing <= 1) return [];
    const active = passing !== null && passing < WARP ? Math.min(passing, a.activeLanes ?? WARP) : a.activeLanes;
    return [{ v, c: conflictWays({ ...a, indices: a.indices.map(bind), ...(active !== undefined ? { activeLanes: active } : {}) }, s, templateParams, blockX, ctx) }];
  });
  if (each.length < 2 || each.some((e) => e.c === null)) return null;
  const most = each.reduce((m, e) => (e.c!.ways > m.c!.ways ? e : m));
  const least = Math.min(...each.map((e) => e.c!.ways));
  const grows = !!g && g.factor > 1;
  return { ...most.c!, sweep: { variable: swept.variable, least, most: most.c!.ways, at: most.v, grows, ...(grows ? { span: warpSpan(a, swept.symbol, most.v) ?? undefined } : {}) } };
}

/**
 * How many of the first warp's lanes pass `index < limit` (`<=` when inclusive), under the first sample (the one the
 * ways are read from); null unless they are its first lanes (a prefix) or when a value is unknown.
 */
function passingLanes(index: Poly, limit: Poly, inclusive: boolean): number | null {
  const sample = { ...SAMPLES[0], laneBase: 0 };
  const at = laneFunction(index);
  const bound = laneFunction(limit)(0, sample);
  if (bound === null) return null;
  let count = 0;
  for (let lane = 0; lane < WARP; lane++) {
    const v = at(lane, sample);
    if (v === null) return null;
    const passes = inclusive ? v <= bound : v < bound;
    if (passes && count < lane) return null; // not a prefix
    if (passes) count++;
  }
  return count;
}

/** Elements a warp's 32 lanes span when `symbol` is `v` (`offset * (2 * tid + 1)` at offset = 16: 1,024); null when not a constant. */
function warpSpan(a: AccessFact, symbol: string, v: number): number | null {
  const c = a.indices[0] ? bindSymbols(a.indices[0], new Map([[symbol, v]])).coefficient('threadIdx.x') : null;
  return c?.isConstant ? 32 * Math.abs(c.constant) : null;
}

/**
 * The array's declared elements; 2,048 for an `extern` one (two per thread of the largest block). A sweep's values
 * whose warp spans more are left out: fewer threads pass the tree's guard there than the lanes evaluated.
 */
const arrayElements = (s: SharedArrayFact): number =>
  s.dims.length && s.dims.every((d) => d !== null) ? s.dims.reduce<number>((n, d) => n * d!, 1) : 2048;

/** The values a doubled (or halved) companion variable takes on the passes, from its constant start: at most 12, below 1024. */
function geometricValues(g: NonNullable<LoopFact['geometric']>[number]): number[] {
  const out: number[] = [];
  for (let v = g.init; out.length < 12 && v >= 1 && v < 1024; v = Math.trunc(v * g.factor)) out.push(v);
  return out;
}

/** What the lanes' evaluation needs to know of the function: its loops, and the template arguments its launches set. */
export interface LoopContext {
  loops: readonly LoopFact[];
  bindings: ReadonlyMap<string, number>;
  /** The kernel's parameters: sizes known only at run time. */
  params?: ReadonlySet<string>;
}

/** Loops the compiler unrolls whole (and so may merge their loads): a constant count it can lay out. */
const UNROLLED_TRIPS = 64;

/**
 * 4-byte loads or stores of consecutive words in a loop the compiler unrolls (`b[n] = Bs[k * BN + tx + n]`
 * for n < 8), at an address it can prove 16- or 8-byte aligned: ptxas merges them into LDS.128 / LDS.64 (checked in
 * the SASS of bench/gpu/bank/staging_store.cu: 8 scalar reads became 2 LDS.128, timed the same as explicit float4).
 * The loop is the innermost around the access, or an outer one of a nest written to be unrolled whole (`#pragma
 * unroll` on it and on each loop inside it: `s_a[ty * 8 + m][k]` over k, m, n, each row's 8 floats two LDS.128, no
 * conflict in Nsight Compute). The words per lane and the index of the first.
 */
function mergedAccess(flat: Poly, a: AccessFact, ctx: LoopContext): { words: 2 | 4; base: Poly } | null {
  if (flat.unknown) return null;
  // (an atomic is one word per instruction: `atomicAdd(&acc[k * D + d], 1)` over d is never merged)
  if (a.kind === 'atomic') return null;
  // the innermost loop around the access (an inlined helper's or lambda's own, when it has one), or one further out
  // past fully unrolled loops the address does not move with
  const chain = a.helperLoops?.length ? [a.helperLoops.at(-1)!] : [...a.loops].reverse().map((id) => ctx.loops.find((x) => x.id === id)).filter((x): x is LoopFact => !!x);
  // (unrolled whole: `#pragma unroll` over a constant count, never left early)
  const unrolled = (x: LoopFact) => x.pragmas.some((p) => /^unroll\s*$/.test(p)) && !x.exits && (constantTrip(x, ctx.bindings) ?? Infinity) <= UNROLLED_TRIPS;
  let l: LoopFact | undefined;
  for (const [i, x] of chain.entries()) {
    if (flat.terms.get(x.symbol) === 1) {
      if (i === 0 || (unrolled(x) && chain.slice(0, i).every(unrolled))) l = x;
      break;
    }
    // (a loop inside it that is unrolled too: each of its steps gets merged loads of its own)
    if (!unrolled(x)) break;
  }
  if (!l) return null;
  // kept rolled (`#pragma unroll 1`), or left early (a `break`): the loads stay one at a time
  if (l.exits || l.pragmas.some((x) => /\bunroll\s*\(?\s*1\s*\)?\s*$/.test(x))) return null;
  // (`n < TN` with `TN` a template argument every launch sets counts too)
  const trips = constantTrip(l, ctx.bindings);
  if (trips === null || trips < 2 || trips > UNROLLED_TRIPS) return null;
  const words = trips % 4 === 0 ? 4 : trips % 2 === 0 ? 2 : null;
  if (!words) return null;
  // the loop's symbol alone, with coefficient 1; every other part a multiple of the width (alignment the compiler can prove)
  // (a tile size a helper takes as a template argument, `wSubRowIdx * WSUBM`, is a compile-time multiple of the width too:
  // a name neither a run-time parameter nor a thread coordinate, or another loop's counter, times such names)
  const compileTime = (x: string) => symbolKind(x) === 'loop' || (/^[A-Za-z_]\w*$/.test(x) && !ctx.params?.has(x) && !/^(?:threadIdx|blockIdx|blockDim|gridDim)\b/.test(x));
  for (const [k, v] of flat.terms) {
    const parts = k ? k.split('*') : [];
    if (parts.includes(l.symbol) ? parts.length !== 1 : v % words !== 0 && !(ctx.params && parts.length > 0 && parts.every(compileTime) && parts.some((x) => symbolKind(x) !== 'loop'))) return null;
  }
  const base = flat.without(l.symbol);
  // the rest must not move with the loop either (`4 * (j & 1)`, `(j / 2)`: the words are not consecutive)
  const named = l.variable ? new RegExp(`\\b${l.variable}\\b`) : null;
  if (base.dependsOn((x) => x === l!.symbol || (named !== null && symbolKind(x) === 'uniform' && named.test(x)))) return null;
  return { words, base };
}

/**
 * How many distinct 4-byte words one bank serves for this access, evaluated for the 32
 * lanes of a warp under each sample (ANALYSIS.md §2, "Bank conflicts"); 1 = none.
 * Returns the degree under the first sample (power-of-two sizes) and whether every
 * sample agrees; null when the index is unknown or the element is not 1, 2, 4 or 8 bytes.
 * With a launch's blockDim.x below a warp (`dim3 threads(16, 16)`), a warp spans threadIdx.y too.
 */
export function conflictWays(a: AccessFact, s: SharedArrayFact, templateParams: readonly string[], blockX?: number, launches?: LoopContext): Ways | null {
  // (the compiler unrolls and merges a loop its template arguments bound, not one a run-time argument does,
  // whatever value the launches pass: `y < Bc` with `Bc` a kernel parameter stays a loop of 4-byte accesses)
  const ctx = launches && { ...launches, bindings: new Map([...launches.bindings].filter(([name]) => templateParams.includes(name))) };
  const packs = openPacks(a, ctx);
  if (!packs.length) return typedWays(a, s, templateParams, blockX, ctx);
  // a 16-byte pack's element count the build leaves open: the ways at each count (a compile-time constant either
  // way, so its loops are unrolled and merged), the fewest reported
  const each = PACK_COUNTS.map((count) => {
    const bind = new Map(packs.map((p) => [p, count]));
    const at = { ...a, indices: a.indices.map((p) => bindSymbols(p, bind)) };
    // (a loop's bound written with it, `k < x128::size`, counts to the same constant)
    const loops = (ctx?.loops ?? []).map((l) => (l.bound?.match(PACK_IN) ? { ...l, bound: l.bound.replace(PACK_IN, String(count)) } : l));
    return { count, c: typedWays(at, s, templateParams, blockX, { ...ctx, loops, bindings: new Map([...(ctx?.bindings ?? []), ...bind]) }) };
  });
  if (each.some((e) => e.c === null)) return null;
  const fewest = each.reduce((m, e) => (e.c!.ways < m.c!.ways ? e : m));
  const names = packs.map((p) => `\`${displaySymbol(p)}\``).join(', ');
  return {
    ...fewest.c!,
    certain: each.every((e) => e.c!.certain),
    byPack: `assumes ${names} is ${PACK_COUNTS.join(' or ')} as the build makes the pack's element type 32- or 16-bit: ${each.map((e) => `${e.c!.ways}-way for ${e.count}`).join(', ')}; the fewest is reported`,
  };
}

/**
 * The element count of a 16-byte pack whose element type the build decides (`x128::size` of `Packed128<floatX>`,
 * `floatX` bf16 or float under an `#if`): 4 or 8, never the multiple of 32 an unknown size is taken for.
 */
export const OPEN_PACK = /^(?:\w*128\w*|Packed128<[^<>]+>)::size$/;
const PACK_COUNTS = [4, 8] as const;
/** Such a count inside a loop's bound (`k < x128::size`, `i < 2 * f128::size`). */
const PACK_IN = /\b(?:\w*128\w*|Packed128<[^<>]+>)::size\b/g;

/** The open pack counts an access's index, or a loop around it (`k < x128::size`), reads. */
function openPacks(a: AccessFact, ctx?: LoopContext): string[] {
  const out = new Set<string>();
  for (const p of a.indices) for (const sym of p.symbols()) if (OPEN_PACK.test(sym) && !ctx?.bindings.has(sym)) out.add(sym);
  // (a loop whose count the facts know, `k < f128::size` of a pack of floats, is no open one)
  for (const id of a.loops) {
    const l = ctx?.loops.find((x) => x.id === id);
    if (l && l.trips === undefined) for (const name of l.bound?.match(PACK_IN) ?? []) if (!ctx?.bindings.has(name)) out.add(name);
  }
  return [...out];
}

/** The ways for the access's element type, or the fewest over the types a template kernel is launched with. */
function typedWays(a: AccessFact, s: SharedArrayFact, templateParams: readonly string[], blockX?: number, ctx?: LoopContext): Ways | null {
  const type = a.elemType ?? s.elemType;
  // (a project typedef, `real`, is known by the width the facts resolved for it)
  const bits = elementBits(type) ?? a.elemBits;
  // a template kernel launched with several element types (`<__half>`, `<float>`), or with one no launch
  // here names (`T` set by a caller's own template): the fewest ways among them (a 16- or 32-bit `T`)
  const choices = a.elemAlternatives?.map((t) => ({ t: `\`${t}\``, bits: elementBits(t) }))
    ?? (bits === null && templateParams.includes(type) ? [{ t: '16-bit', bits: 16 }, { t: '32-bit', bits: 32 }] : null);
  if (!choices) return waysAt(a, s, bits, blockX, ctx);
  const each = choices.map((c) => ({ t: c.t, c: waysAt(a, s, c.bits, blockX, ctx) }));
  if (each.some((e) => e.c === null)) return null;
  const least = Math.min(...each.map((e) => e.c!.ways));
  return {
    ways: least,
    certain: each.every((e) => e.c!.certain),
    withinRow: each.every((e) => e.c!.withinRow) || undefined,
    merged: each.every((e) => e.c!.merged === each[0].c!.merged) ? each[0].c!.merged : undefined,
    byType: each.map((e) => `${e.c!.ways}-way for ${a.elemAlternatives ? '' : 'a '}${e.t} \`${type}\``).join(', '),
  };
}

function waysAt(a: AccessFact, s: SharedArrayFact, bits: number | null, blockX?: number, ctx?: LoopContext): Omit<Ways, 'byType'> | null {
  if (a.singleLane || a.indices.some((p) => p.unknown)) return null;
  // a wide access (`*reinterpret_cast<float4*>(&Bs[k * BN + tx])`) is indexed in its own units: a flat index only
  if (a.vector && (a.indices.length !== 1 || (bits !== 32 && bits !== 64 && bits !== 128))) return null;
  if (bits === null || bits > (a.vector ? 128 : 64)) return null;
  const bytes = bits / 8;
  const perSample = (word: (lane: number, sample: Sample) => number | null, wordsPerLane: 1 | 2 | 4) =>
    SAMPLES.map((sample) => bankConflictWays(word, firstWarp(blockX ? { ...sample, blockX } : sample, a.activeLanes, a.laneFrom), a.activeLanes, wordsPerLane, a.laneFrom));
  const waysFor = (flat: (lane: number, sample: Sample) => number | null) => {
    const word = (lane: number, sample: Sample) => {
      const e = flat(lane, sample);
      return e === null ? null : Math.floor((e * bytes) / 4);
    };
    return perSample(word, bits === 128 ? 4 : bits === 64 ? 2 : 1);
  };
  // consecutive 4-byte words an unrolled loop reads or writes: served as the merged 8- or 16-byte accesses they become
  // a 2-D or 3-D tile (`slab[part][row][k]`): its rows are what the outer subscripts pick, `columns` words each
  const columns = s.dims.length >= 2 ? s.dims[s.dims.length - 1] : null;
  const middle = s.dims.slice(1, -1);
  const nested = a.indices.length >= 2 && a.indices.length === s.dims.length && columns !== null && middle.every((d) => d !== null);
  const rowIndex = nested ? a.indices.slice(1, -1).reduce((r, p, k) => r.scale(middle[k]!).add(p), a.indices[0]) : null;
  const flat = a.indices.length === 1 ? a.indices[0] : rowIndex ? rowIndex.scale(columns!).add(a.indices[a.indices.length - 1]) : null;
  // (4-byte accesses only, a float or a `half2` pack, LeetCUDA's `HALF2(s_b[k][tx * 8 + n])` over n: an fp16 tile's
  // scalar halves, read as LDS.64, still conflict across a warp's two rows, 2 wavefronts a load in Nsight Compute)
  const merged = ctx && bits === 32 && flat ? mergedAccess(flat, a, ctx) : null;
  if (merged) {
    const degrees = perSample(laneFunction(merged.base), merged.words);
    if (degrees.some((d) => d === null)) return null;
    return { ways: degrees[0]!, certain: degrees.every((d) => d === degrees[0]), merged: merged.words };
  }
  let degrees: (number | null)[];
  if (a.indices.length === 1) degrees = waysFor(laneFunction(a.indices[0]));
  else if (rowIndex && columns !== null) {
    const row = laneFunction(rowIndex);
    const col = laneFunction(a.indices[a.indices.length - 1]);
    const rows = (columns: number) => (lane: number, sample: Sample) => {
      const r = row(lane, sample);
      const c = col(lane, sample);
      return r === null || c === null ? null : r * columns + c;
    };
    degrees = waysFor(rows(columns));
    // lanes on several rows whose conflict a padded row keeps (two half-warp rows of a 16-wide block
    // meeting in a few banks): not the conflict the advice removes
    const sample = firstWarp(blockX ? { ...SAMPLES[0], blockX } : SAMPLES[0], a.activeLanes);
    const rowsTouched = new Set(Array.from({ length: a.activeLanes ?? 32 }, (_, lane) => row(lane, sample)));
    if (rowsTouched.size > 1 && degrees[0] !== null) {
      const padded = waysFor(rows(columns + Math.max(1, 4 / bytes)));
      if (padded[0] !== null && padded[0] >= degrees[0]) {
        // rows of `blockX` lanes all on the same banks (a pitch of whole bank rows): a pad of `blockX` words puts
        // the next row on the other banks; each row's own words stay aligned as they were
        const rowPad = blockX && bytes <= 4 && (columns * bytes) % 128 === 0 ? (blockX * 4) / bytes : null;
        const shifted = rowPad ? waysFor(rows(columns + rowPad)) : null;
        if (!rowPad || !shifted || shifted.some((d) => d === null || d >= degrees[0]!)) return null;
        if (degrees.some((d) => d === null)) return null;
        return { ways: degrees[0], certain: degrees.every((d) => d === degrees[0]), rowPad };
      }
    }
    if (rowsTouched.size === 1 && degrees.every((d) => d !== null)) {
      return { ways: degrees[0]!, certain: degrees.every((d) => d === degrees[0]), withinRow: true };
    }
  } else return null;
  if (degrees.some((d) => d === null)) return null;
  return { ways: degrees[0]!, certain: degrees.every((d) => d === degrees[0]) };
}

