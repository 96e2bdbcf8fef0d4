// The Triton half of tiling/shared-memory. Triton keeps a block on chip only within one
// program; reuse across programs has to be built into the tiling. A kernel without
// `tl.dot` whose loop loads a block of one operand that varies with only some of the
// program axes its output uses (A's row block with the row axis, B's column block with
// the column axis) has every other program along the missing axis load the same block
// again: a GEMM done one output (or one row of outputs) per program.
// Quiet on `tl.dot` kernels (their BLOCK_M x BLOCK_N tiles are the reuse) and on blocked products
// without it (each block laid along an axis of the output tile), kernels with
// one program axis (row kernels; a weight vector every row reads is served by L1), blocks
// indexed through a value the kernel loaded or computed (a sequence's start, a request's
// row: it may vary with the missing axis), loops that store an output every iteration (a scan
// or time recurrence over a carried state, not a contraction), and reference oracles.
import { detail } from '../../common/detail';
import type { AccessFact, FunctionFacts } from '../../../core/facts/model';
import type { RuleFinding } from '../../../core/types';
import { isReferenceOracle } from '../../common/reference';
import { isTlDot, programAxes } from '../../common/program-axes';

const BENEFIT =
  'global-memory reads of the reused operands drop by about the tile width; on an H200 a naive 4096³ SGEMM went from 5.1 to 8.8 TFLOP/s (1.72x) with 32x32 shared-memory tiles (CUDA)';

export function tritonTiling(fn: FunctionFacts): RuleFinding[] {
  if (!fn.isKernel || isReferenceOracle(fn.name) || fn.calls.some(isTlDot)) return [];
  const usable = (a: AccessFact) => a.indices.length === 1 && !a.indices[0].unknown;
  const outputAxes = new Set(fn.accesses.filter((a) => a.kind !== 'load' && usable(a)).flatMap((a) => [...programAxes(a)]));
  if (outputAxes.size < 2) return [];
  const outputLanes = new Set(fn.accesses.filter((a) => a.kind !== 'load' && usable(a)).flatMap((a) => a.lanes ?? []));
  const alongOutput = (a: AccessFact) => (a.lanes ?? []).some((l) => l !== null && outputLanes.has(l));
  for (const loop of fn.loops) {
    // a loop that stores an output per iteration (`tl.store(p_o, ...)` with p_o advancing by a row) is a scan or a time
    // recurrence over a state it carries (`h = h * decay + k[None, :] * v[:, None]`), not a contraction over k
    if (fn.accesses.some((x) => x.kind !== 'load' && x.loops.includes(loop.id) && x.indices.some((p) => !p.unknown && p.dependsOn((s) => s === loop.symbol)))) continue;
    // (blocks, and scalars: `a = tl.load(a_ptr + pid_m * stride_am + k)` against a block of B's row is a row of C per
    // program; two scalars, one output per program, the naive GEMM)
    const loads = fn.accesses.filter((a) => a.kind === 'load' && usable(a) && a.lanes !== undefined && a.loops.includes(loop.id) && a.indices[0].dependsOn((s) => s === loop.symbol));
    // two operands, each missing an output axis the other has: A[m, k] and B[k, n]
    // an index through a value the kernel computed or loaded (`start = tl.load(B_Start_Loc + cur_batch)`) may
    // vary with any axis: no claim about what it misses
    const params = new Set(fn.params.map((p) => p.name));
    const traced = (a: AccessFact) => [...a.indices[0].symbols()].every((s) => s.startsWith('#') || params.has(s) || s === loop.symbol);
    const missing = (a: AccessFact) => (traced(a) ? [...outputAxes].filter((x) => !programAxes(a).has(x)) : []);
    const a = loads.find((l) => missing(l).length > 0 && programAxes(l).size > 0);
    const b = a && loads.find((l) => l.array !== a.array && missing(l).length > 0 && missing(l).some((x) => programAxes(a).has(x)));
    if (!a || !b) continue;
    // each block laid along an axis of the output tile (A's rows along C's rows, B's columns along C's columns) already
    // serves the whole BLOCK_M x BLOCK_N tile: a broadcast product in place of `tl.dot`, which tensor-core-eligible reports
    if (alongOutput(a) && alongOutput(b)) continue;
    return [{
      range: a.range,
      function: fn.name,
      confidence: 'likely',
      assumptions: ['assumes the grid has many programs along each output axis (large M and N)'],
      message: `\`${a.array}\` and \`${b.array}\` ${a.lanes?.length && b.lanes?.length ? 'blocks' : 'reads'} of the \`${loop.variable ?? 'loop'}\` loop: loaded again by every program along the other axis`,
      detail: detail(
        `In the \`${loop.variable ?? 'loop'}\` loop, the block of \`${a.array}\` depends on program axis ${missing(b).join(', ')} only and the block of \`${b.array}\` on axis ${missing(a).join(', ')} only.`,
        'Give each program a BLOCK_M x BLOCK_N tile of outputs and accumulate it with `tl.dot` over BLOCK_K slices, so each loaded block serves a whole tile.',
      ),
      benefit: BENEFIT,
      related: [{ range: b.range, message: `the block of \`${b.array}\`, re-read by the programs of another row` }],
    }];
  }
  return [];
}
