// Warp-level evaluation (ANALYSIS.md §1): an index form is evaluated for the 32 lanes
// of one warp under a few sample environments, and what a warp request costs is read
// off the byte addresses: 32-byte sectors touched (coalescing) and words per shared
// bank (bank conflicts). Atoms (`tid % 32`, `tid >> 5`, `min`, `?:`) are computed per
// lane, so the operators real kernels use on thread indices need no special case.
import { Poly, atomDef, constantAtom, symbolKind } from './affine';
import { tick } from './budget';

export const WARP = 32;
/** The unit a warp request fetches from global memory. */
export const SECTOR_BYTES = 32;

/** Values for the symbols of one sample; the lane decides threadIdx.x (or the loop/lane symbol under test). */
export interface Sample {
  /** A name for the assumption this sample stands for, quoted when it decides a verdict. */
  name: string;
  /** Value of a warp-uniform parameter or opaque symbol (`N`, `lda`, `n/4`). */
  uniform: (sym: string) => number;
  /** threadIdx.x of lane 0 (a multiple of 32: lanes are threads base..base+31). */
  laneBase: number;
  blockDim: [number, number, number];
  other: number;
  /** blockDim.x from the launch when below a warp: lane l is thread (l % blockX, l / blockX). */
  blockX?: number;
}

/** A stable small hash, so each unknown symbol gets its own value and coincidences are unlikely. */
function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/**
 * The samples: symbolic sizes as powers of two ≥ 32 (tile sizes, head dims and row
 * pitches usually are), then as odd sizes ≥ 32, each with its own warp and block.
 */
/** A symbol's sample value, computed once per symbol. */
function memo(f: (s: string) => number): (s: string) => number {
  const seen = new Map<string, number>();
  return (s) => {
    let v = seen.get(s);
    if (v === undefined) {
      if (seen.size > 10000) seen.clear();
      seen.set(s, (v = f(s)));
    }
    return v;
  };
}

/** A parameter named as a switch (`scale_is_vector`, `use_bias`, `hasMask`): 0 or 1, a multiplier that picks a layout, not a size. */
export const FLAG_NAME = /^(?!.*(?:[sS]ize|[lL]en|[lL]ength|[cC]ount|[nN]um|[sS]tride|[dD]im|[wW]idth|[hH]eight|[rR]ows|[cC]ols)$)(?:(?:is|has|use|with|enable)(?:_|[A-Z])|.*_(?:is|has|use)_|.*_flag$)/;

/** The element count of a vector pack (`x128::size`, `VEC_SIZE`, `kPackSize`, `ELTS_PER_THREAD`): 2 to 16 elements, never a row. */
export const PACK_SIZE_NAME = /::(?:size|kSize|kElts|kN)\)?$|^\(?k?_?(?:vec|pack)_?(?:size|width|len)?\)?$|^\(?(?:elts|elems)_per_\w+\)?$|^\(?n_elems?\)?$/i;

export const SAMPLES: readonly Sample[] = [
  { name: 'power-of-two sizes', uniform: memo((s) => (FLAG_NAME.test(s) ? 1 : PACK_SIZE_NAME.test(s) ? 8 : 2 ** (10 + (hash(s) % 3)))), laneBase: 32, blockDim: [256, 4, 1], other: 3 },
  { name: 'odd sizes', uniform: memo((s) => (FLAG_NAME.test(s) ? 0 : PACK_SIZE_NAME.test(s) ? 4 : 1001 + 2 * (hash(s) % 500))), laneBase: 0, blockDim: [128, 2, 1], other: 5 },
];

/** The value of a symbol in a sample for a given lane, or null when it cannot be given one. */
function symbolValue(sym: string, lane: number, s: Sample, laneSymbol: string): number | null {
  if (s.blockX && laneSymbol === 'threadIdx.x') {
    if (sym === 'threadIdx.x') return lane % s.blockX;
    // the block's second warp: its rows start at a multiple of the rows a warp spans (a warp of 8-wide rows
    // is rows 4-7, never 1-4, which would put a byte tile's word boundaries where no warp has them)
    if (sym === 'threadIdx.y') return WARP / s.blockX + Math.floor(lane / s.blockX);
    if (sym === 'blockDim.x') return s.blockX;
  }
  if (sym === laneSymbol) return laneSymbol === 'threadIdx.x' ? s.laneBase + lane : lane;
  switch (symbolKind(sym)) {
    case 'thread':
      return sym === 'threadIdx.x' ? s.laneBase : 1;
    case 'block':
      return sym.endsWith('.x') ? 7 : 3;
    case 'dim':
      if (sym.startsWith('blockDim.')) return s.blockDim['xyz'.indexOf(sym.slice(-1))] ?? 1;
      return 64; // gridDim
    case 'loop':
      return s.other; // the same iteration for every lane
    case 'lane':
    case 'program':
      return s.other;
    case 'derived':
      return null; // evaluated from its definition
    default:
      return s.uniform(sym);
  }
}

/** Atom values of one lane by name and depth: atoms share operands (`h ^ (h >> 13)`), so each is computed once. */
type AtomMemo = Map<string, number | null>;

function evalAtom(name: string, lane: number, s: Sample, laneSymbol: string, depth: number, memo: AtomMemo): number | null {
  const key = `${depth}:${name}`;
  const hit = memo.get(key);
  if (hit !== undefined) return hit;
  const v = computeAtom(name, lane, s, laneSymbol, depth, memo);
  memo.set(key, v);
  return v;
}

function computeAtom(name: string, lane: number, s: Sample, laneSymbol: string, depth: number, memo: AtomMemo): number | null {
  const d = atomDef(name);
  if (!d || depth > 16) return null;
  const v = d.args.map((a) => evalPoly(a, lane, s, laneSymbol, depth + 1, memo));
  if (v.some((x) => x === null)) return null;
  const [a, b, c, e] = v as number[];
  return constantAtom(d.op, a, b, c, e, d.cmp);
}

/** A form's monomials as (coefficient, symbols), split once: evaluation runs 64 times per access. */
const compiled = new WeakMap<Poly, [number, string[]][]>();
function monomials(p: Poly): [number, string[]][] {
  let m = compiled.get(p);
  if (!m) compiled.set(p, (m = [...p.terms].map(([key, coef]) => [coef, key ? key.split('*') : []])));
  return m;
}

function evalPoly(p: Poly, lane: number, s: Sample, laneSymbol: string, depth = 0, memo?: AtomMemo): number | null {
  if (p.unknown) return null;
  tick();
  let total = 0;
  for (const [coef, syms] of monomials(p)) {
    let term = coef;
    {
      for (const sym of syms) {
        const v = sym.startsWith('#op') ? evalAtom(sym, lane, s, laneSymbol, depth, (memo ??= new Map())) : symbolValue(sym, lane, s, laneSymbol);
        if (v === null) return null;
        term *= v;
      }
    }
    total += term;
  }
  return Number.isSafeInteger(total) ? total : null;
}

/** The form's value in each of the 32 lanes of a warp, or null when some part is unknown. */
export function laneValues(p: Poly, sample: Sample, laneSymbol = 'threadIdx.x'): number[] | null {
  const out: number[] = [];
  for (let lane = 0; lane < WARP; lane++) {
    const v = evalPoly(p, lane, sample, laneSymbol);
    if (v === null) return null;
    out.push(v);
  }
  return out;
}

/** The distance between consecutive lanes' elements when it is one constant in every sample (`lane * 4`, `lane = threadIdx.x % 32`). */
export function constantLaneStride(idx: Poly): number | null {
  let k: number | null = null;
  for (const sample of SAMPLES) {
    const v = laneValues(idx, sample);
    if (!v) return null;
    for (let i = 1; i < v.length; i++) {
      const d = v[i] - v[i - 1];
      if (k === null) k = d;
      else if (d !== k) return null;
    }
  }
  return k;
}

/** Does the form differ between lanes (under the first sample)? */
export function variesAcrossLanes(p: Poly, laneSymbol = 'threadIdx.x'): boolean | null {
  const v = laneValues(p, SAMPLES[0], laneSymbol);
  return v === null ? null : v.some((x) => x !== v[0]);
}

/** Are all 32 lane values distinct (so an equality with a uniform value holds for at most one lane)? */
export function distinctAcrossLanes(p: Poly): boolean {
  return SAMPLES.every((s) => {
    const v = laneValues(p, s);
    return v !== null && new Set(v).size === WARP;
  });
}

export interface SectorCount {
  sample: Sample;
  /** 32-byte sectors one warp request touches. */
  sectors: number;
  /** The fewest sectors the same bytes could occupy. */
  minimum: number;
  /** Element distance between lanes 0 and 1, when every neighbouring pair is the same distance apart. */
  stride: number | null;
}

/**
 * The sample as the block's first warp when only its first `active` threads run (`if (tid < 20)`):
 * the other warps make no request there.
 */
export const firstWarp = (sample: Sample, active: number | undefined, from = 0): Sample => ((active !== undefined && active < WARP) || from > 0 ? { ...sample, laneBase: 0 } : sample);

/**
 * Sectors touched by a warp request of `bytes` per lane at element offsets `index` (elements of
 * `bytes`), by the warp's lanes or, under a guard, by its first `active` lanes.
 */
export function sectorCounts(index: Poly, bytes: number, laneSymbol = 'threadIdx.x', blockX?: number, active?: number): SectorCount[] | null {
  const out: SectorCount[] = [];
  for (const base of SAMPLES) {
    const sample = firstWarp(blockX ? { ...base, blockX } : base, active);
    const all = laneValues(index, sample, laneSymbol);
    if (!all) return null;
    const v = active !== undefined && active < WARP ? all.slice(0, active) : all;
    const sectors = new Set<number>();
    for (const e of v) {
      const first = Math.floor((e * bytes) / SECTOR_BYTES);
      const last = Math.floor((e * bytes + bytes - 1) / SECTOR_BYTES);
      for (let k = first; k <= last; k++) sectors.add(k);
    }
    const distinct = new Set(v).size;
    const strides = v.slice(1).map((x, i) => x - v[i]);
    out.push({ sample, sectors: sectors.size, minimum: Math.max(1, Math.ceil((distinct * bytes) / SECTOR_BYTES)), stride: strides.every((d) => d === strides[0]) ? strides[0] : null });
  }
  return out;
}

/**
 * Bank-conflict degree of a shared access: the largest number of distinct 4-byte words
 * one bank serves for the warp (1 = conflict-free; broadcasts of one word are free).
 * An 8-byte access (`wordsPerLane` 2: a double, a float2) is served a half-warp at a time,
 * a 16-byte one (4: a float4) a quarter-warp at a time, each lane's words in one pass: the
 * degree is the worst phase's.
 */
export function bankConflictWays(wordIndex: (lane: number, s: Sample) => number | null, sample: Sample, active = WARP, wordsPerLane: 1 | 2 | 4 = 1, from = 0): number | null {
  const lanes = Math.min(active, WARP);
  const phase = WARP / wordsPerLane;
  let worst = 0;
  for (let start = from; start < lanes; start += phase) {
    const perBank = new Map<number, Set<number>>();
    for (let lane = start; lane < Math.min(start + phase, lanes); lane++) {
      const first = wordIndex(lane, sample);
      if (first === null) return null;
      for (let w = first; w < first + wordsPerLane; w++) {
        const bank = ((w % 32) + 32) % 32;
        let set = perBank.get(bank);
        if (!set) perBank.set(bank, (set = new Set()));
        set.add(w);
      }
    }
    worst = Math.max(worst, ...[...perBank.values()].map((s) => s.size));
  }
  return worst;
}

/** The per-lane value function of a form, for callers that combine several forms (row * cols + col). */
export function laneFunction(p: Poly, laneSymbol = 'threadIdx.x'): (lane: number, s: Sample) => number | null {
  return (lane, s) => evalPoly(p, lane, s, laneSymbol);
}

/**
 * Which threads of one block read the same element: 'warps' when threads of two different warps do (a
 * tile staged once serves them all), 'lanes' when only lanes of one warp do (one broadcast request,
 * nothing to stage), false when no two do. The form is evaluated for the block's first `threads`
 * threads along threadIdx.x (threadIdx.y held) under the first sample; null when unknown.
 */
export function sharedAcrossBlock(p: Poly, threads = 256, tileSizes: readonly string[] = []): 'warps' | 'lanes' | false | null {
  // tile sizes (template parameters) at their smallest usual value, a warp: `tid % BLOCKSIZE` with BLOCKSIZE = 32
  const s = { ...SAMPLES[0], laneBase: 0, uniform: (sym: string) => (tileSizes.includes(sym) ? 32 : SAMPLES[0].uniform(sym)) };
  const warpOf = new Map<number, number>();
  let lanes = false;
  for (let t = 0; t < threads; t++) {
    const v = evalPoly(p, t, s, 'threadIdx.x');
    if (v === null) return null;
    const w = warpOf.get(v);
    if (w !== undefined && w !== t >> 5) return 'warps';
    if (w !== undefined) lanes = true;
    warpOf.set(v, t >> 5);
  }
  return lanes ? 'lanes' : false;
}
