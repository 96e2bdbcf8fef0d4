// What a row-streaming kernel's indices say about its rows: which symbols tell rows of threads
// apart, a block's share of the whole input, and a row pitch the launches fix to an odd size.
import { atomDef, type Poly } from '../../../core/affine';
import type { AccessFact, FunctionFacts } from '../../../core/facts/model';

/**
 * A row pitch every launch sets to no multiple of the vector width (`x = inp + row * C` with C = 50257): most rows
 * start off a 16-byte boundary, so wide accesses need a scalar head per row first (or a padded pitch).
 */
export function oddPitch(fn: FunctionFacts, a: AccessFact, width: number): boolean {
  const index = a.indices[0];
  if (!fn.launchValues || !index || index.unknown) return false;
  // (the pitch alone times the row, `row * C`: in `c * K * H * W` the pitch is the product, not K)
  return Object.entries(fn.launchValues).some(([p, v]) => [...index.terms].some(([k, coef]) => {
    const parts = k.split('*');
    const pitch = parts.filter((s) => !rowOfThreads(s));
    return pitch.length === 1 && pitch[0] === p && parts.length > 1 && (coef * v) % width !== 0;
  }));
}

/** Whether a coefficient divides by the grid's size (`(n / 4) / gridDim.x`, kept as text or as an atom): a block's share of the whole input. */
export const mentionsGridDim = (p: Poly): boolean =>
  !p.unknown && p.dependsOn((s) => /\/\s*\(?\s*gridDim\.x\b/.test(s) || (s.startsWith('#op') && atomDef(s)?.op === '/' && !!atomDef(s)?.args[1]?.dependsOn((t) => t === 'gridDim.x')));

/** A symbol that tells blocks, warps or rows of threads apart: `blockIdx.*`, `threadIdx.y`, `threadIdx.x / 32`. */
export const rowOfThreads = (s: string): boolean =>
  /^blockIdx\.|^threadIdx\.[yz]$/.test(s) || (s.startsWith('#op') && (atomDef(s)?.op !== '%' || (atomDef(s)?.args.some((p) => p.dependsOn(rowOfThreads)) ?? true)));
