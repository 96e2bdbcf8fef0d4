// The run-time sizes an uncoalesced verdict rests on, named in its assumptions: those that
// set how far apart the lanes are (`N` in `x[N * threadIdx.x]`, `H * W` in `(tid % (H * W)) * K`).
// A size that only places the warp (`n * P * D` with `n` from the block, `chunk / chunks_per_cloud`)
// moves every lane alike and is not one of them.
import { atomDef, symbolKind, type Poly } from '../../../core/affine';

/** The symbols that tell a warp's lanes apart: threadIdx.x, and threadIdx.y when blockDim.x is under a warp. */
const laneSymbol = (s: string, blockX: boolean) => s === 'threadIdx.x' || (blockX && s === 'threadIdx.y');

/** An atom (`(tid / W)`, `(i % C)`) whose value differs between the lanes of a warp. */
function laneAtom(s: string, blockX: boolean): boolean {
  const d = atomDef(s);
  return !!d && d.args.some((p) => p.dependsOn((x) => laneSymbol(x, blockX) || laneAtom(x, blockX)));
}

/** Uniform symbols inside an atom, through nested atoms. */
export function uniformsIn(sym: string): string[] {
  const d = atomDef(sym);
  if (!d) return [];
  return d.args.flatMap((p) => [...p.symbols()].flatMap((s) => (symbolKind(s) === 'uniform' ? [s] : uniformsIn(s))));
}

/** The uniform symbols that scale a lane-varying term of `index`, and those inside its lane-varying atoms. */
export function laneSizes(index: Poly, blockX: boolean): string[] {
  const varies = (t: string) => laneSymbol(t, blockX) || laneAtom(t, blockX);
  const scaling = [...index.symbols()].filter((s) => symbolKind(s) === 'uniform' && index.coefficient(s).dependsOn(varies));
  const inAtoms = [...index.symbols()].filter((s) => laneAtom(s, blockX)).flatMap(uniformsIn);
  return [...new Set([...scaling, ...inAtoms])];
}
