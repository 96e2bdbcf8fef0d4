// What a row-streaming kernel's indices say about its rows: which symbols tell rows of threads
// apart, a block's share of the whole input, and a row pitch the launches fix to an odd size.
import { atomDef, Poly } from '../../../core/affine';
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

/**
 * Whether the lanes reach the index only through a `/` or `%` by a run-time size (`s = index % spatial`): consecutive
 * threads are consecutive only within one such plane, and 4 neighbours straddle two when the size is odd.
 */
export function lanesModuloRuntime(index: Poly | undefined): boolean {
  if (!index || index.unknown) return false;
  // (`dependsOn` looks inside atoms' operands: a `/` or `%` nested in a select is found too)
  const byRuntimeSize = (s: string) => {
    const d = atomDef(s);
    return !!d && (d.op === '%' || d.op === '/') && !d.args[1]?.isConstant && !!d.args[0]?.dependsOn((t) => t === 'threadIdx.x');
  };
  return index.coefficient('threadIdx.x').terms.size === 0 && index.dependsOn(byRuntimeSize);
}

/**
 * Whether an index walks with loop symbol `sym`: linearly (`row * C + i`), or through `/` and `%` by constants
 * (`(i / 32) * pitch + i % 32`, 32-wide pieces of a row), and never only through a bound or a select derived from it
 * (a pooling window's `phstart` under a grid-stride loop, `index / width` by a run-time width).
 */
export function steppedBy(index: Poly, sym: string): boolean {
  if (index.unknown) return false;
  let reached = false;
  const walk = (p: Poly): boolean => {
    if (p.coefficient(sym).terms.size > 0) reached = true;
    for (const s of p.symbols()) {
      const d = atomDef(s);
      if (!d || !Poly.sym(s).dependsOn((t) => t === sym)) continue;
      if ((d.op !== '/' && d.op !== '%') || !d.args[1]?.isConstant || !d.args[0] || !walk(d.args[0])) return false;
    }
    return true;
  };
  return walk(index) && reached;
}
