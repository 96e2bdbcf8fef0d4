// Indices clamped to a range (`min(max(y + dy - 2, 0), h - 1)`, an image's edge repeated): away
// from the edges, where nearly every thread is, the index is the clamped expression itself. The
// rules that judge how a warp's or a window's accesses move read it there.
import { Poly, atomDef } from '../../core/affine';

/** `min(max(e, lo), hi)` with uniform bounds as `e`, inside them: the index a clamped window reads away from the edges. */
export function declamped(p: Poly, depth = 0): Poly {
  if (!p.hasAtoms || depth > 4) return p;
  let out = p;
  for (const sym of p.symbols()) {
    const d = atomDef(sym);
    if (!d || (d.op !== 'min' && d.op !== 'max') || d.args.length !== 2) continue;
    const moving = d.args.filter((x) => x.dependsOn((s) => !isUniformSymbol(s)));
    if (moving.length !== 1) continue;
    out = out.substitute(sym, declamped(moving[0], depth + 1));
  }
  return out;
}
const isUniformSymbol = (s: string): boolean => !s.startsWith('threadIdx.') && !s.startsWith('blockIdx.') && !s.startsWith('#loop') && !(atomDef(s)?.args.some((x) => x.dependsOn((t) => !isUniformSymbol(t))) ?? false);
