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
    // (a bound that falls as the thread index grows, `max(0, R - x)`, `min(win, W + R - x)`, is clamped for every
    // thread past the first few: the other arm is the value there)
    const other = d.args.find((x) => x !== moving[0])!;
    out = out.substitute(sym, fallsWithThread(moving[0]) ? other : declamped(moving[0], depth + 1));
  }
  return out;
}

/** Whether `p` decreases as the thread index grows: every thread-dependent term has a negative constant coefficient. */
function fallsWithThread(p: Poly): boolean {
  const terms = [...p.symbols()].filter((s) => !s.startsWith('#loop') && !isUniformSymbol(s));
  return terms.length > 0 && terms.every((s) => {
    const c = p.coefficient(s);
    return c.isConstant && c.constant < 0;
  });
}
const isUniformSymbol = (s: string): boolean => !s.startsWith('threadIdx.') && !s.startsWith('blockIdx.') && !s.startsWith('#loop') && !(atomDef(s)?.args.some((x) => x.dependsOn((t) => !isUniformSymbol(t))) ?? false);
