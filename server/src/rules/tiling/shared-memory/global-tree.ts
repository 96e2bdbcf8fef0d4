// The other shape of tiling/shared-memory: a block's tree reduction done in place in global
// memory (`for (stride = 1; stride <= blockDim.x; stride *= 2) { if (...) input[i] += input[i +
// stride]; __syncthreads(); }`). Every level reads and writes the block's partial sums in
// global memory, a level apart only by a barrier; a `__shared__` array holds them on chip
// after one coalesced load, which is the first thing every reduction tutorial does next.
import { detail } from '../../common/detail';
import type { AccessFact, FunctionFacts, LoopFact } from '../../../core/facts/model';
import type { RuleFinding } from '../../../core/types';
import { isReferenceOracle } from '../../common/reference';

const within = (r: { start: { line: number } }, l: LoopFact) => r.start.line >= l.range.start.line && r.start.line <= l.range.end.line;

/** `input[i] += input[i + stride]` in a loop with a barrier, `stride` that loop's variable, no shared array in the kernel. */
export function globalTreeReduction(fn: FunctionFacts): RuleFinding[] {
  if (!fn.isKernel || fn.shared.length > 0 || isReferenceOracle(fn.name)) return [];
  for (const loop of fn.loops) {
    if (loop.gridStride || loop.blockStride || !fn.syncthreads.some((s) => within(s, loop))) continue;
    const here = (a: AccessFact) => a.space === 'global' && a.indices.length === 1 && !a.indices[0].unknown && a.loops.includes(loop.id);
    const byThread = (a: AccessFact) => a.indices[0].dependsOn((s) => s.startsWith('threadIdx.'));
    // the partial sum this thread keeps, and its partner a stride away
    const sums = fn.accesses.filter((a) => here(a) && a.kind !== 'load' && byThread(a));
    for (const sum of sums) {
      const partner = fn.accesses.find(
        (b) => here(b) && b.kind !== 'store' && b.array === sum.array && b.indices[0].dependsOn((s) => s === loop.symbol) && !b.indices[0].sub(sum.indices[0]).isConstant,
      );
      if (!partner) continue;
      const level = loop.variable ?? 'level';
      return [{
        range: sum.range,
        function: fn.name,
        confidence: 'likely',
        assumptions: ['assumes the kernel reduces one block\'s elements, as the barrier between levels says'],
        message: `\`${sum.text}\` and \`${partner.text}\`: a tree reduction in global memory, the partial sums read and written again at every \`${level}\` level`,
        detail: detail(
          `Each level of the \`${level}\` loop reads \`${partner.text}\` and writes \`${sum.text}\` in global memory, with only \`__syncthreads()\` between levels, so the block's partial sums go to global memory and back once per level.`,
          `Load the block's elements into a \`__shared__\` array once (one coalesced read), reduce there level by level, and write one result per block; the last levels can then use warp shuffles.`,
        ),
        benefit: 'global traffic drops from a read and a write of the partial sums per level to one read of the input; not measured in GPU-FACTS, so no figure is promised here',
        related: [{ range: loop.headerRange, message: `the \`${level}\` loop: one level per iteration` }, { range: partner.range, message: 'the partner a stride away' }],
      }];
    }
  }
  return unrolledTree(fn);
}

/** The fewest levels an unrolled tree writes out (`+= x[tid + 512]`, `+ 256`, `+ 128`, ...) before it reads as one. */
const MIN_LEVELS = 3;

/**
 * The same tree written out level by level (`if (blockDim.x >= 1024 && tid < 512) idata[tid] += idata[tid + 512];
 * __syncthreads(); if (... tid < 256) idata[tid] += idata[tid + 256]; ...`): one partial sum, its partners at several
 * constant distances, and barriers between the levels.
 */
function unrolledTree(fn: FunctionFacts): RuleFinding[] {
  const flat = (a: AccessFact) => a.space === 'global' && a.indices.length === 1 && !a.indices[0].unknown && a.loops.length === 0;
  const byThread = (a: AccessFact) => a.indices[0].dependsOn((s) => s.startsWith('threadIdx.'));
  // (a `+=` is the partial sum itself; a plain store may be the unrolled pre-sum before the tree)
  const sums = fn.accesses.filter((a) => flat(a) && a.kind !== 'load' && byThread(a)).sort((a, b) => Number(b.kind === 'update') - Number(a.kind === 'update'));
  for (const sum of sums) {
    const partners = fn.accesses.filter((b) => flat(b) && b.kind !== 'store' && b.array === sum.array && b !== sum);
    const distances = new Map<number, AccessFact>();
    for (const b of partners) {
      const d = b.indices[0].sub(sum.indices[0]);
      if (d.isConstant && d.constant > 0) distances.set(d.constant, b);
    }
    if (distances.size < MIN_LEVELS) continue;
    const first = [...distances.values()].reduce((x, y) => (y.range.start.line < x.range.start.line ? y : x));
    const last = [...distances.values()].reduce((x, y) => (y.range.start.line > x.range.start.line ? y : x));
    const barriers = fn.syncthreads.filter((r) => r.start.line > first.range.start.line && r.start.line < last.range.start.line);
    if (barriers.length < MIN_LEVELS - 1) continue;
    const widest = Math.max(...distances.keys());
    const partner = distances.get(widest)!;
    return [{
      range: sum.range,
      function: fn.name,
      confidence: 'likely',
      assumptions: ['assumes the kernel reduces one block\'s elements, as the barriers between levels say'],
      message: `\`${sum.text}\` and \`${partner.text}\`: a tree reduction in global memory, the partial sums read and written again at each of ${distances.size} levels`,
      detail: detail(
        `The kernel adds \`${sum.array}\` elements ${[...distances.keys()].sort((a, b) => b - a).join(', ')} apart level by level, in global memory, with only \`__syncthreads()\` between levels, so the block's partial sums go to global memory and back once per level.`,
        `Load the block's elements into a \`__shared__\` array once (one coalesced read), reduce there level by level, and write one result per block; the last levels can then use warp shuffles.`,
      ),
      benefit: 'global traffic drops from a read and a write of the partial sums per level to one read of the input; not measured in GPU-FACTS, so no figure is promised here',
      related: [{ range: partner.range, message: `the widest level's partner, ${widest} elements away` }],
    }];
  }
  return [];
}
