// blockDim.x where no launch gives it (a kernel launched through a function pointer, or from a file not checked):
// a 2-D `__shared__` tile that every thread of a 2-D block touches at its own (threadIdx.y, threadIdx.x) cell
// (`tile[ty + i][tx]`, `tile[tx][ty + i]` of `tile[16][16]`) is as wide as the block, since a 17th thread along x
// would fall outside it. A warp is then several rows of that many threads.
import type { FunctionFacts } from '../../../core/facts/model';
import { warpRowWidth, type Bindings } from '../../common/template-bindings';

/** The warp's row width (blockDim.x below 32), and whether it rests on the tile rather than on a launch. */
export function warpRows(fn: FunctionFacts, bindings: Bindings): { width: number | undefined; fromTile: boolean } {
  const launched = warpRowWidth(fn, bindings);
  if (launched !== undefined || fn.blockDimX || bindings.get('blockDim.x') !== undefined) return { width: launched, fromTile: false };
  const width = tileWidth(fn);
  return { width, fromTile: width !== undefined };
}

function tileWidth(fn: FunctionFacts): number | undefined {
  let least: number | undefined;
  for (const a of fn.accesses) {
    // (every thread of the block makes it: outside any branch, no guard on the lanes)
    if (a.space !== 'shared' || a.scopes?.length || a.singleLane || a.activeLanes !== undefined || a.firstThreads || a.laneLimit) continue;
    const s = fn.shared.find((x) => x.name === a.array);
    if (!s || s.dims.length < 2 || s.dims.length !== a.indices.length) continue;
    const x = a.indices.findIndex((p) => String(p) === 'threadIdx.x');
    const y = a.indices.some((p, k) => k !== x && p.dependsOn((sym) => sym === 'threadIdx.y'));
    const extent = x >= 0 ? s.dims[x] : null;
    if (extent !== null && y) least = Math.min(least ?? extent, extent);
  }
  if (least === undefined || least <= 0 || least >= 32 || 32 % least !== 0) return undefined;
  // (a global index that steps a block of more threads along x, `blockIdx.x * 256 + threadIdx.x`, says otherwise)
  const wider = fn.accesses.some((a) => a.space === 'global' && a.indices.some((p) => {
    const tx = p.coefficient('threadIdx.x');
    const bx = p.coefficient('blockIdx.x');
    return tx.isConstant && tx.constant === 1 && bx.isConstant && bx.constant > least!;
  }));
  return wider ? undefined : least;
}
