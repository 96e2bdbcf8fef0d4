// An array whose whole extent the code spells out as constants (`float preact[6][24][24]` as a kernel parameter, the
// per-image buffers of a small CNN): when all of it is a few KB, L1 and L2 hold it after the first touch, and how the
// lanes of a warp pick from it changes nothing measurable; the launch around it costs more.
import type { AccessFact, FunctionFacts } from '../../core/facts/model';

/** At most this many bytes: a quarter of the smallest L1 of a recent NVIDIA GPU (A100/H100: up to 192/256 KB per SM). */
export const FIXED_SMALL_BYTES = 64 * 1024;

/** The bytes of the array `a` goes through, when every one of its extents is written as a literal; else null. */
export function fixedArrayBytes(a: AccessFact, fn: FunctionFacts): number | null {
  const p = fn.params.find((x) => x.name === a.array);
  const dims = p?.dimTexts;
  if (!p || !dims?.length || !dims.every((d) => /^\d+$/.test(d.trim())) || a.elemBits === null) return null;
  return dims.reduce((n, d) => n * Number(d), 1) * (a.elemBits / 8);
}

/**
 * A load or store into such an array of at most FIXED_SMALL_BYTES. (Not an atomic: every one is an L2 operation, and
 * scattered lanes make as many of them whatever L1 holds.)
 */
export const inSmallFixedArray = (a: AccessFact, fn: FunctionFacts): boolean => a.kind !== 'atomic' && (fixedArrayBytes(a, fn) ?? Infinity) <= FIXED_SMALL_BYTES;
