// memory/uncoalesced-access: consecutive threads touching non-consecutive global
// addresses (ANALYSIS.md §2, "Coalescing"): the coefficient of threadIdx.x in the
// access's index form is a constant > 1 or a symbolic stride.
import type { Rule } from '../../../core/rule';
import type { AccessFact, FunctionFacts, LoopFact } from '../../../core/facts/model';
import type { RuleFinding } from '../../../core/types';
import { Poly } from '../../../core/affine';

const TID = 'threadIdx.x';

/** Accesses of one array with the same stride whose offsets fill every residue (x[3i], x[3i+1], x[3i+2]) use whole sectors together. */
function coversAllResidues(a: AccessFact, stride: number, all: AccessFact[]): boolean {
  if (stride > 16) return false;
  const shape = a.indices[0].without('').toString();
  const residues = new Set<number>();
  for (const b of all) {
    if (b.array !== a.array || b.indices.length !== 1 || b.indices[0].unknown) continue;
    const c = b.indices[0].coefficient(TID);
    if (!c.isConstant || c.constant !== stride) continue;
    const rest = b.indices[0].sub(Poly.const(b.indices[0].constant));
    if (rest.without('').toString() !== shape) continue;
    residues.add(((b.indices[0].constant % stride) + stride) % stride);
  }
  return residues.size === stride;
}

/** `N*threadIdx.x`, `(TILE + 1)*threadIdx.x`: how threadIdx.x enters the index. */
function threadTerm(c: Poly): string {
  const text = c.toString();
  if (text === '1') return 'threadIdx.x';
  return `${c.terms.size > 1 ? `(${text})` : text}*threadIdx.x`;
}

/** A loop of this function over consecutive elements that a thread walks by itself (`for (j = 0; j < 4; ++j) y[base + j]`). */
function perThreadRun(a: AccessFact, fn: FunctionFacts): LoopFact | undefined {
  return fn.loops.find((l) => a.loops.includes(l.id) && !l.gridStride && a.indices[0].coefficient(l.symbol).isConstant && a.indices[0].coefficient(l.symbol).constant === 1);
}

function check(fn: FunctionFacts): RuleFinding[] {
  const out: RuleFinding[] = [];
  const globals = fn.accesses.filter((a) => a.space === 'global' && a.indices.length === 1);
  for (const a of globals) {
    const index = a.indices[0];
    if (index.unknown) continue;
    const c = index.coefficient(TID);
    if (c.unknown || c.terms.size === 0) continue; // independent of threadIdx.x: broadcast, fine
    // the scalar tail of a vectorized kernel: the array is also moved as vectors here,
    // and only the thread at the end takes the scalar path
    if (fn.accesses.some((b) => b.array === a.array && b.vector)) continue;
    const bytes = (a.elemBits ?? 32) / 8;
    let strideText: string;
    let sectors: string;
    let advice = 'Map threadIdx.x to the contiguous (last) index, or stage the tile through shared memory and write it out transposed.';
    let confidence: RuleFinding['confidence'] = 'proven';
    const assumptions = ['assumes blockDim.x spans at least a warp, so a warp is 32 consecutive threadIdx.x values'];
    if (c.isConstant) {
      const stride = Math.abs(c.constant);
      if (stride <= 1) continue;
      if (coversAllResidues(a, stride, globals)) continue;
      strideText = `${stride} elements (${stride * bytes} bytes)`;
      const touched = Math.min(32, Math.ceil((32 * stride * bytes) / 32));
      const needed = Math.max(1, Math.ceil((32 * bytes) / 32));
      if (touched <= needed) continue;
      sectors = `a warp touches ${touched} 32-byte sectors where ${needed} would do`;
      const run = perThreadRun(a, fn);
      if (run && stride * bytes <= 16) {
        const span = stride * bytes;
        const vec = span === 16 ? 'float4, int4 or uint4' : span === 8 ? 'float2 or uint2' : span === 4 ? 'uchar4 or a 32-bit word' : `a ${span}-byte type`;
        const walked = run.bound && /^\d+$/.test(run.bound) && run.init?.isConstant ? Number(run.bound) - run.init.constant : stride;
        advice = `Each thread walks ${walked} of its ${stride} consecutive elements in the \`${run.variable ?? 'inner'}\` loop: load the ${span} bytes as one vector per thread (${vec}), or let consecutive threads take consecutive elements and stride the loop by the block size.`;
      }
    } else {
      strideText = `\`${c.toString()}\` elements`;
      sectors = `a warp touches up to 32 separate 32-byte sectors instead of ${Math.max(1, Math.ceil(bytes))}`;
      confidence = 'likely';
      assumptions.push(`assumes \`${c.toString()}\` is greater than 1 at run time`);
    }
    const verb = a.kind === 'load' ? 'reads' : a.kind === 'store' ? 'writes' : 'updates';
    out.push({
      range: a.range,
      function: fn.name,
      confidence,
      assumptions,
      message:
        `\`${a.text}\` ${verb} global memory with a stride of ${strideText} between consecutive threads ` +
        `(threadIdx.x enters the index as \`${threadTerm(c)}\`): ${sectors}. ${advice}`,
      benefit: 'memory transactions for this access drop by up to the stride (8x for 32-bit elements); on an H100, moving threadIdx.x to the contiguous dimension of a naive SGEMM measured 5.46x',
    });
  }
  return out;
}

export const rule: Rule = {
  id: 'memory/uncoalesced-access',
  languages: ['cuda'],
  defaultSeverity: 'warning',
  checkFunction: (fn) => (fn.isKernel || fn.isDevice ? check(fn) : []),
};
