// Arrays whose whole extent the code spells out as literals (`float preact[6][24][24]` as a kernel parameter, the
// per-image buffers of a small CNN). A kernel that touches nothing else moves a few KB in all: its launch costs more
// than any layout of its lanes, and the extra sectors of a scattered warp come from L2. (A kernel that also streams
// another buffer, or reads an array whose extent is not written, is not small: those stay reported.)
import type { AccessFact, FunctionFacts } from '../../core/facts/model';
import { evalIntExpr } from '../../core/preprocess/expr';

/** At most this many bytes an array: a quarter of the smallest L1 of a recent NVIDIA GPU (A100/H100: up to 192/256 KB per SM). */
export const FIXED_SMALL_BYTES = 64 * 1024;

/**
 * The bytes of the array `a` goes through, when every one of its extents is a literal or a named constant; else null. (C does not check a
 * parameter's first extent, but code that writes one, `float weight[1][4][4]`, keeps to it.)
 */
export function fixedArrayBytes(a: AccessFact, fn: FunctionFacts, defaults?: ReadonlyMap<string, number>): number | null {
  const p = fn.params.find((x) => x.name === a.array);
  // (with `defaults`, a dataset size a build without -D flags picks: `C4[NP][NP]` at PolyBench's default NP)
  // (an extent written as an expression of such sizes, `NP + POLYBENCH_PADDING_FACTOR` read as `NP + 0`, evaluated with them)
  const atDefaults = (d: string | number) => defaults?.get(String(d).trim()) ?? (defaults?.size ? evalIntExpr(String(d), { value: (n) => defaults.get(n) ?? null }) : null) ?? d;
  const dims = (p?.dimValues ?? p?.dimTexts ?? (p?.extentText ? [p.extentText] : undefined))?.map(atDefaults);
  if (!p || !dims?.length || !dims.every((d) => /^\d+$/.test(String(d).trim())) || a.elemBits === null) return null;
  return dims.reduce<number>((n, d) => n * Number(d), 1) * (a.elemBits / 8);
}

/** A kernel every global access of which goes into such an array of at most FIXED_SMALL_BYTES (however its loops walk them). */
export function onlySmallFixedArrays(fn: FunctionFacts, globals: readonly AccessFact[]): boolean {
  return fn.isKernel && globals.length > 0 && globals.every((a) => (fixedArrayBytes(a, fn) ?? Infinity) <= FIXED_SMALL_BYTES);
}
