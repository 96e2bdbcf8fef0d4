// tiling/register-blocking: a GEMM-like kernel where each thread (CUDA) or program
// (Triton) computes ONE output element, so every multiply-add costs operand reads from
// shared (or global) memory and nothing is reused from registers (ANALYSIS.md §2).
// CUDA: a loop over tiles (a `__syncthreads()` in every iteration) whose inner loop
// multiplies a read of one `__shared__` tile by a read of another along its own index (the
// dot over the tile), and the kernel stores a single global element per thread, outside
// any loop. Quiet when the thread owns a micro-tile: register arrays updated in the tile loop
// (`float acc[TM][TN]`), stores in a loop or several stores, or wide (float4) stores.
// Triton: a kernel without `tl.dot` whose loop loads a row-block of A (indexed by one
// program id) and a column-block of B (indexed by the other) and stores one scalar per
// program: one output per program. Quiet for anything with `tl.dot` or block outputs.
import { isTlDot } from '../../common/program-axes';
import { detail } from '../../common/detail';
import type { Rule } from '../../../core/rule';
import type { AccessFact, FunctionFacts, LoopFact } from '../../../core/facts/model';
import type { RuleFinding } from '../../../core/types';
import { isReferenceOracle } from '../../common/reference';
import { outputsAtLaunch } from '../../common/hot-loops';
import { fix } from './fix';
import { inside, isAncestor, smallConstantTrip } from '../../pipelining/multi-stage/staged';

const BENEFIT =
  'on an H200, SGEMM 4096³ went from 17% of cuBLAS fp32 (32x32 shared tiles, one output per thread) to 71% (128x128x8 tiles, 8x8 outputs per thread, float4 shared reads): 4.12x';

const isGlobalWrite = (a: AccessFact) => a.space === 'global' && a.kind !== 'load';

/** Does each thread of this kernel own several outputs (a register micro-tile)? */
export function registerBlocked(fn: FunctionFacts, loop: LoopFact): boolean {
  // `acc[i][j] += a[i] * b[j]`, `threadResults[m * TN + n] += ...`: accumulators in a register array
  if (fn.accesses.some((a) => a.space === 'local' && a.kind !== 'load' && a.loops.includes(loop.id) && a.indices.some((p) => !p.isConstant))) return true;
  const writes = fn.accesses.filter(isGlobalWrite);
  return writes.length > 1 || writes.some((w) => w.vector || w.loops.length > 0);
}

/**
 * The inner dot over the tile: two shared reads of one step, both walking an inner loop's index: on one line, or on
 * later lines with no store between them (`tmp += As[...] *` wrapped before `Bs[...];`).
 */
function tileDot(fn: FunctionFacts, loop: LoopFact): AccessFact[] | null {
  for (const inner of fn.loops) {
    if (!isAncestor(fn, loop, inner)) continue;
    const reads = fn.accesses.filter(
      (a) => a.space === 'shared' && a.kind === 'load' && a.loops[a.loops.length - 1] === inner.id && a.indices.some((p) => !p.unknown && p.dependsOn((x) => x === inner.symbol)),
    );
    for (const a of reads) {
      const b = reads.find((r) => r !== a && r.text !== a.text && (r.range.start.line === a.range.start.line || wrappedAfter(fn, a, r)));
      if (b) return [a, b];
    }
  }
  return null;
}

/**
 * `b` on a line after `a`, with no store between them: one statement wrapped over lines (a blank line inside it
 * changes nothing), or the operands read into locals just before the multiply-add.
 */
function wrappedAfter(fn: FunctionFacts, a: AccessFact, b: AccessFact): boolean {
  if (b.range.start.line <= a.range.end.line) return false;
  const [i, j] = [fn.accesses.indexOf(a), fn.accesses.indexOf(b)];
  return i < j && fn.accesses.slice(i + 1, j).every((x) => x.kind === 'load');
}

/** Outputs below which a GEMM does not fill an H100 with one per thread already (132 SMs x 256 threads). */
const FEW_OUTPUTS = 32 * 1024;

/** Every launch computes fewer than FEW_OUTPUTS outputs. */
const fewOutputs = (fn: FunctionFacts): boolean => (outputsAtLaunch(fn) ?? Infinity) < FEW_OUTPUTS;

function checkCuda(fn: FunctionFacts): RuleFinding[] {
  if (!fn.isKernel || isReferenceOracle(fn.name)) return [];
  const writes = fn.accesses.filter(isGlobalWrite);
  if (writes.length !== 1) return [];
  const store = writes[0];
  if (store.loops.length > 0 || store.vector || store.singleLane || store.kind === 'atomic') return [];
  if (!store.indices.some((p) => p.dependsOn((x) => x.startsWith('threadIdx.')))) return [];
  if (fn.shared.length === 0 && !fn.accesses.some((a) => a.space === 'shared')) return [];
  // (an output every launch fixes to fewer elements than the GPU has threads to run at once, MNIST's 64 x 128 layer in
  // 8 blocks: fewer outputs per thread leaves fewer blocks, and SMs idle)
  if (fewOutputs(fn)) return [];
  // a loop over tiles: a barrier in every iteration (however the tiles arrive: copies, cp.async, a second stage)
  for (const loop of fn.loops) {
    if (loop.gridStride || loop.blockStride || smallConstantTrip(loop) || !fn.syncthreads.some((r) => inside(r, loop.range))) continue;
    const dot = tileDot(fn, loop);
    if (!dot || registerBlocked(fn, loop)) continue;
    const variable = loop.variable ?? 'loop';
    return [{
      range: store.range,
      function: fn.name,
      confidence: 'likely',
      assumptions: ['assumes the output is large enough that blocks of several times more outputs still fill the GPU'],
      message: `one output per thread (\`${store.text}\`): 2 \`__shared__\` reads per multiply-add of the \`${variable}\` loop`,
      detail: detail(
        `Each thread computes one element, so every multiply-add of the \`${variable}\` loop reads both operands from shared memory (\`${dot[0].text}\`, \`${dot[1].text}\`).`,
        'Let each thread accumulate a small tile of outputs in registers (e.g. `float acc[8][8]`, with a larger block tile such as 128x128x8): each value read from shared memory then feeds 8 multiply-adds instead of one.',
      ),
      benefit: BENEFIT,
      related: [
        { range: loop.headerRange, message: `the \`${variable}\` loop over shared-memory tiles` },
        { range: dot[0].range, message: 'two shared-memory reads per multiply-add' },
      ],
    }];
  }
  return [];
}

const programAxis = (a: AccessFact, axis: string) => a.indices[0].dependsOn((x) => x.startsWith(`#pid${axis}:`));

/** Triton: one program per output element, a row of A against a column of B, no `tl.dot`. */
function checkTriton(fn: FunctionFacts): RuleFinding[] {
  if (!fn.isKernel || isReferenceOracle(fn.name)) return [];
  if (fn.calls.some(isTlDot)) return [];
  const stores = fn.accesses.filter(isGlobalWrite);
  if (stores.length !== 1 || stores[0].loops.length > 0 || (stores[0].lanes?.length ?? 0) !== 0 || stores[0].indices[0].unknown) return [];
  const store = stores[0];
  if (!programAxis(store, '0') || !programAxis(store, '1')) return [];
  for (const loop of fn.loops) {
    const loads = fn.accesses.filter(
      (a) => a.kind === 'load' && a.loops.includes(loop.id) && (a.lanes?.length ?? 0) === 1 && !a.indices[0].unknown && a.indices[0].dependsOn((x) => x === loop.symbol),
    );
    // A varies with program axis 0 only, B with axis 1 only, both along the same K lanes
    const a = loads.find((l) => programAxis(l, '0') && !programAxis(l, '1'));
    const b = loads.find((l) => programAxis(l, '1') && !programAxis(l, '0'));
    if (!a || !b || a.lanes![0] !== b.lanes![0]) continue;
    return [{
      range: store.range,
      function: fn.name,
      confidence: 'likely',
      assumptions: ['assumes M and N are large enough to fill the GPU with BLOCK_M x BLOCK_N tiles'],
      message: `one output per program: the \`${a.array}\` and \`${b.array}\` blocks of the \`${loop.variable ?? 'loop'}\` loop serve one element, re-read by every other program`,
      detail: detail(
        `Each program computes one output element, so the blocks of \`${a.array}\` and \`${b.array}\` it loads in the \`${loop.variable ?? 'loop'}\` loop are used for that element only and re-read by every other program of its row and column.`,
        'Give each program a BLOCK_M x BLOCK_N tile of outputs and accumulate it with `tl.dot` over BLOCK_K slices of both operands.',
      ),
      benefit: `measured on the CUDA analogue: ${BENEFIT}`,
      related: [
        { range: a.range, message: `a block of \`${a.array}\` that only this output uses` },
        { range: b.range, message: `a block of \`${b.array}\` that only this output uses` },
      ],
    }];
  }
  return [];
}

export const rule: Rule = {
  id: 'tiling/register-blocking',
  languages: ['cuda', 'triton'],
  defaultSeverity: 'information',
  // Triton functions carry decorator facts (an empty list for host code); CUDA ones do not
  checkFunction: (fn: FunctionFacts) => (fn.decorators !== undefined ? checkTriton(fn) : checkCuda(fn)),
  fix,
};
