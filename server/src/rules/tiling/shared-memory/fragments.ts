// The tensor-core half of tiling/shared-memory: a kernel whose warps load their `wmma` fragments
// straight from global memory in the k loop (one warp per 16x16 tile of C, as a first WMMA kernel
// does). A warp's A fragments are the ones every warp along the same row of tiles loads too, its B
// fragments those of every warp along the same column: without a `__shared__` tile each warp
// fetches them again, from L2 at best, and the tensor cores wait on it.
import { detail } from '../../common/detail';
import type { AccessFact, FunctionFacts, LoopFact } from '../../../core/facts/model';
import type { RuleFinding } from '../../../core/types';
import { atomDef, type Poly } from '../../../core/affine';

/** The axes that tell the warps of a grid apart: blocks, and warps within a block. */
const AXES = ['blockIdx.x', 'blockIdx.y', 'threadIdx.x', 'threadIdx.y'] as const;

/** Whether an index depends on an axis, directly or through its `/`, `%`, `>>` (`warp_id = threadIdx.x / 32`). */
const reaches = (p: Poly, axis: string): boolean =>
  p.dependsOn((s) => s === axis || (s.startsWith('#op') && (atomDef(s)?.args.some((x) => reaches(x, axis)) ?? false)));

/** Trips up to which a loop has nothing to amortise a tile over (a 16x16x16 demo's single step). */
const MAX_SMALL_TRIPS = 4;

export function globalFragments(fn: FunctionFacts): RuleFinding[] {
  if (!fn.isKernel || fn.singleBlock) return [];
  // (fragments loaded from shared memory: the operands are staged; shared memory used only for the epilogue stages nothing)
  if (fn.accesses.some((a) => a.fragment && a.space === 'shared' && a.kind === 'load')) return [];
  const fragments = fn.accesses.filter((a) => a.fragment && a.space === 'global' && a.kind === 'load' && a.indices.length === 1 && !a.indices[0].unknown);
  if (fragments.length < 2) return [];
  // the innermost loop that moves two or more of them (the k loop)
  const loop = [...fn.loops].sort((x, y) => y.depth - x.depth).find((l) => movedBy(fragments, l).length >= 2);
  if (!loop || (loop.trips !== undefined && loop.trips <= MAX_SMALL_TRIPS)) return [];
  const moved = movedBy(fragments, loop);
  // the axes the fragments' addresses use; a fragment that leaves one out is the same for every warp along it
  const used = AXES.filter((axis) => moved.some((a) => reaches(a.indices[0], axis)));
  const reused = moved.map((a) => ({ a, along: used.filter((axis) => !reaches(a.indices[0], axis)) })).filter((r) => r.along.length > 0);
  // (A along the columns of tiles and B along the rows: both operands shared, the GEMM's shape)
  if (reused.length < 2) return [];
  const arrays = [...new Set(reused.map((r) => `\`${r.a.array}\``))].join(' and ');
  const variable = loop.variable ?? 'k';
  return [{
    range: reused[0].a.range,
    function: fn.name,
    confidence: 'likely',
    assumptions: ['assumes the matrices span several tiles each way, so other warps need the same fragments', 'assumes the loop trip count is large enough to amortise loading tiles'],
    message: `${arrays}: warps load the same tensor-core fragments from global memory every \`${variable}\` iteration, no \`__shared__\` tile`,
    detail: detail(
      `In every iteration of the \`${variable}\` loop each warp loads its fragments straight from global memory: ` +
        reused.map((r) => `\`${r.a.array}\`'s are the same for every warp along ${r.along.join(' and ')}`).join('; ') + '.',
      `Let a block of several warps compute a larger tile of the output (64x64 or 128x128): load each \`${variable}\` step's tiles of ${arrays} into \`__shared__\` memory ` +
        'cooperatively with 16-byte loads (or `cp.async`), `__syncthreads()`, and load the fragments from there (`wmma::load_matrix_sync` on the shared tile, or `ldmatrix`); pad or swizzle the tile rows so those loads are conflict-free.',
    ),
    benefit: 'global-memory (L2) reads of A and B drop by about the number of warps that share each tile; not measured here for tensor-core kernels (on an H200 a naive 4096³ SGEMM went from 5.1 to 8.8 TFLOP/s, 1.72x, with 32x32 shared-memory tiles)',
    related: [
      { range: loop.headerRange, message: `the \`${variable}\` loop` },
      ...reused.slice(1).map((r) => ({ range: r.a.range, message: `also the same for every warp along ${r.along.join(' and ')}: \`${r.a.text}\`` })),
    ],
  }];
}

/** The fragments whose address a step of `l` moves. */
const movedBy = (fragments: readonly AccessFact[], l: LoopFact): AccessFact[] =>
  fragments.filter((a) => a.loops.includes(l.id) && a.indices[0].dependsOn((s) => s === l.symbol));

/** A tensor-core multiply: `mma_sync`, inline `mma.sync` PTX (`mma_asm`), `HMMA16816`-style macros. */
const MMA_CALL = /(?:^|_|::)(?:mma\w*|hmma\w*)$/i;

/**
 * Blocks of one warp that stage their tensor-core tiles through `__shared__` memory (`mma_naive`: a 16x8 output tile
 * a block, its A and B tiles copied in for `ldmatrix` each k step): no other warp reads the tiles, so every block
 * along a row of output tiles fetches the same strip of A from global memory again, as with no tile at all.
 */
export function oneWarpTiles(fn: FunctionFacts): RuleFinding[] {
  if (!fn.isKernel || !fn.warpBlocks || fn.singleBlock || !fn.shared.length) return [];
  const loop = [...fn.loops].sort((x, y) => y.depth - x.depth).find((l) =>
    (l.trips === undefined || l.trips > MAX_SMALL_TRIPS) &&
    fn.calls.some((c) => c.loops.includes(l.id) && MMA_CALL.test(c.name)) &&
    // (two operand tiles, A's and B's: one tile read back is a re-layout, not a product's operands)
    new Set(fn.accesses.filter((a) => a.space === 'shared' && a.kind === 'store' && a.loops.includes(l.id)).map((a) => a.array)).size >= 2 &&
    fn.accesses.some((a) => a.space === 'global' && a.kind === 'load' && a.loops.includes(l.id)));
  if (!loop) return [];
  const tiles = [...new Set(fn.accesses.filter((a) => a.space === 'shared' && a.kind === 'store' && a.loops.includes(loop.id)).map((a) => `\`${a.array}\``))].join(' and ');
  const store = fn.accesses.find((a) => a.space === 'shared' && a.kind === 'store' && a.loops.includes(loop.id))!;
  const variable = loop.variable ?? 'k';
  return [{
    range: store.range,
    function: fn.name,
    confidence: 'likely',
    assumptions: ['assumes the matrices span several output tiles each way, so other blocks need the same A and B strips', 'assumes blocks of one warp at every launch, as the launches in this file give'],
    message: `${tiles}: blocks of one warp stage tensor-core tiles no other warp reads, so each block fetches its A and B strips from global memory again every \`${variable}\` iteration`,
    detail: detail(
      `Every launch runs blocks of one warp, so the \`__shared__\` tiles (${tiles}) feed only the warp that copied them: a block along a row of output tiles copies the same A strip as its neighbours, one along a column the same B strip.`,
      `Let a block of several warps (4 to 8) compute a larger output tile (64x64 or 128x128), copy each \`${variable}\` step's A and B tiles into \`__shared__\` memory once for all of them (16-byte loads or \`cp.async\`), and have each warp load its fragments from there with \`ldmatrix\`.`,
    ),
    benefit: 'global-memory (L2) reads of A and B drop by about the number of warps that share each tile; not measured here for tensor-core kernels (on an H200 a naive 4096³ SGEMM went from 5.1 to 8.8 TFLOP/s, 1.72x, with 32x32 shared-memory tiles)',
    related: [{ range: loop.headerRange, message: `the \`${variable}\` loop` }],
  }];
}
