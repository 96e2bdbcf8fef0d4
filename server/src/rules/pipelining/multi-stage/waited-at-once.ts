// The asynchronous half of pipelining/multi-stage: a tile loop that copies with `cp.async`
// (inline PTX, `__pipeline_memcpy_async`) but waits for every copy right after committing it
// (`cp.async.commit_group; cp.async.wait_group 0;` with no compute between): the copies are
// asynchronous in name only, each tile's compute still waits for its own loads. Issuing the
// next tile's copies before computing the current one (two or more stages) overlaps them.
import { detail } from '../../common/detail';
import type { AccessFact, CallFact, FunctionFacts } from '../../../core/facts/model';
import type { Range, RuleFinding } from '../../../core/types';
import { positionBefore } from '../../../core/positions';
import { neverTogether } from '../../../core/facts/model';
import { handsOutWork } from '../../common/hot-loops';

const COMMIT = /^(?:cp_?async_?commit_?group|__pipeline_commit|(?:\w+\.)?producer_commit)$/i;
const WAIT = /^(?:cp_?async_?wait_?(?:group|all)|__pipeline_wait_prior|pipeline_consumer_wait_prior|(?:\w+\.)?consumer_wait)$/i;
/** Work on a tile: tensor-core instructions, or reads of shared memory. */
const MMA = /(?:^|_)(?:mma\w*|wmma\w*)$|mma_sync$/i;

/** A 16-byte asynchronous copy: PTX `cp.async.cg` (16 bytes only), or a copy call whose size is 16 bytes. */
// (or the size wrapped in its alignment, `cuda::aligned_size_t<16>(16)`)
const WIDE_SIZE = /^(?:16|sizeof\(\s*(?:float4|u?int4|double2|uint4|int4|half8|longlong2)\s*\)|(?:cuda::)?aligned_size_t<\s*16\s*>\s*\(\s*(?:16|sizeof\(\s*(?:float4|u?int4|double2|uint4|int4)\s*\))\s*\))$/;
export const wideCopy = (c: CallFact): boolean => (c.name === 'cp_async' && c.args[0] === '16') || (/memcpy_async$/.test(c.name) && WIDE_SIZE.test((c.args[2] ?? '').trim()));

const before = (a: Range, b: Range) => positionBefore(a.start, b.start);
const innermost = (c: { loops: readonly number[] }) => (c.loops.length ? c.loops[c.loops.length - 1] : null);
/** How many of the latest groups a wait leaves in flight: 0 for `wait_group 0`, `wait_all`, `__pipeline_wait_prior(0)`, `cuda::pipeline_consumer_wait_prior<0>(pipe)`; null when not a literal. */
const leftInFlight = (c: CallFact, fn: FunctionFacts): number | null => {
  // (`pipe.consumer_wait()` waits for the oldest stage committed: the one just committed, where no stage was committed
  // before the loop, a prologue that would put a stage ahead of it)
  if (/consumer_wait$/.test(c.name)) {
    const loop = innermost(c);
    const l = fn.loops.find((x) => x.id === loop);
    // (nor where a loop inside it commits the stages, running ahead of the one consumed: cuda-samples'
    // `MatrixMulAsyncCopyMultiStage`, whose producer loop keeps up to 4 stages committed, waits for the oldest only)
    const runsAhead = !!l && fn.calls.some((d) => COMMIT.test(d.name) && d.loops.includes(l.id) && innermost(d) !== l.id && fn.loops.some((x) => x.id === innermost(d) && x.trips === undefined));
    return l && !runsAhead && !fn.calls.some((d) => COMMIT.test(d.name) && !d.loops.includes(l.id) && before(d.range, l.range)) ? 0 : null;
  }
  const n = (c.name === 'pipeline_consumer_wait_prior' ? c.templateArgs?.[0] : c.args[0])?.trim() ?? '';
  return /all$/i.test(c.name) ? 0 : /^\d+$/.test(n) ? Number(n) : null;
};
/** The wait as written, for the message. */
const waitText = (c: CallFact, left: number) =>
  /consumer_wait$/.test(c.name) ? `${c.name}()` : c.name === 'pipeline_consumer_wait_prior' ? `cuda::pipeline_consumer_wait_prior<${left}>` : /pipeline/.test(c.name) ? `__pipeline_wait_prior(${left})` : `wait_group ${left}`;

/** `wideCopiers`: the file's helpers the kernel calls that issue 16-byte copies (`loadTile(s, A, k0, K)` around `cp.async.cg`). */
export function waitedAtOnce(fn: FunctionFacts, wideCopiers: readonly string[] = []): RuleFinding[] {
  // (steps of one helper call, `cp_async_commit_and_wait_all()`: at the same place, in the helper's order)
  const sameStepsAfter = (a: CallFact, b: CallFact) => !positionBefore(b.range.start, a.range.start) && !positionBefore(a.range.start, b.range.start) && fn.calls.indexOf(a) < fn.calls.indexOf(b);
  const out: RuleFinding[] = [];
  const computeAt = (loop: number): Range[] => [
    ...fn.calls.filter((c) => MMA.test(c.name) && c.loops.includes(loop)).map((c) => c.range),
    ...fn.accesses.filter((a: AccessFact) => a.space === 'shared' && a.kind === 'load' && a.loops.includes(loop)).map((a) => a.range),
  ];
  const reported = new Set<CallFact>();
  for (const commit of fn.calls.filter((c) => COMMIT.test(c.name))) {
    if (!commit.loops.length) continue;
    // the first wait after the commit in a loop around it: the commit's own, or an outer one when the copies are
    // issued by a loop over the tile's rows (`for (r ...) { producer_acquire; memcpy_async; producer_commit; }`)
    // (an outer loop's wait only where the commit's own loop waits for nothing: in a pipelined k loop that waits at its top
    // and commits at its bottom, the wait after the loop is its drain, not this commit's)
    const ownLoopWaits = fn.calls.some((c) => WAIT.test(c.name) && innermost(c) === innermost(commit));
    const wait = fn.calls.filter((c) => WAIT.test(c.name) && innermost(c) !== null && (ownLoopWaits ? innermost(c) === innermost(commit) : commit.loops.includes(innermost(c)!)) && (before(commit.range, c.range) || sameStepsAfter(commit, c)))
      .sort((a, b) => (before(a.range, b.range) ? -1 : 1))[0];
    if (!wait || reported.has(wait)) continue;
    const loop = innermost(wait)!;
    // (a persistent kernel's loop over its output tiles, `block_pos += gridDim.x`, loading each tile's C once before
    // its k loop: no k step to overlap the copies with)
    const waitLoop = fn.loops.find((x) => x.id === loop);
    if (handsOutWork(waitLoop)) continue;
    // (the groups committed from this one up to the wait, of which the wait leaves the last n in flight: this one too,
    // when the step commits more after it, a K tile then a V tile before `wait_group 1`, is waited for there)
    const left = leftInFlight(wait, fn);
    // (commits in the other arm of an if/else never run with this one: one group, whichever arm commits it; a commit in
    // an inner loop commits as many groups as that loop runs: only a wait for all of them is known to wait for this one)
    const committed = innermost(commit) !== loop ? (left === 0 ? 1 : 0) : fn.calls.filter((c) => COMMIT.test(c.name) && innermost(c) === loop && !before(c.range, commit.range) && (before(c.range, wait.range) || sameStepsAfter(c, wait)) &&
      !neverTogether(c.scopes, commit.scopes)).length;
    if (left === null || left >= committed) continue;
    // (the other arm of an `if constexpr (kStage > 1)` waits for fewer than all, a pipeline: this arm is the one-stage
    // build the template also offers, on purpose)
    if (fn.calls.some((c) => WAIT.test(c.name) && c.loops.includes(loop) && neverTogether(c.scopes, wait.scopes) && (leftInFlight(c, fn) ?? 0) > 0)) continue;
    const compute = computeAt(loop);
    // (compute between the commit and the wait: the copies of the next tile overlap it, a pipeline; or a loop of the
    // step's own work there, a flash kernel's online softmax on its registers while the V tile lands)
    // (not one that issues more copies, the next operand's tile before a wait for both)
    const copies = (id: number) => fn.calls.some((c) => c.loops.includes(id) && (c.name === 'cp_async' || /memcpy_async$/.test(c.name) || wideCopiers.includes(c.name)));
    const stepLoops = fn.loops.filter((x) => x.parent === loop && before(commit.range, x.range) && before(x.range, wait.range) && !copies(x.id)).map((x) => x.range);
    if ([...compute, ...stepLoops].some((r) => before(commit.range, r) && before(r, wait.range))) continue;
    // (a loop that only copies: nothing to overlap within it)
    if (!compute.some((r) => before(wait.range, r))) continue;
    // (4-byte copies into one output per thread: a second stage measured 1.02x; tensor-core tiles or 16-byte copies first)
    if (!fn.calls.some((c) => c.loops.includes(loop) && (MMA.test(c.name) || wideCopy(c) || wideCopiers.includes(c.name)))) continue;
    reported.add(wait);
    const l = fn.loops.find((x) => x.id === loop);
    const variable = l?.variable ? `\`${l.variable}\` loop` : 'loop';
    out.push({
      range: wait.range,
      function: fn.name,
      confidence: 'likely',
      assumptions: ['assumes the loop runs over enough tiles for the copy latency to matter, and shared memory for a second stage'],
      message: `${variable}: asynchronous copies waited for at once (${left === 0 && !/consumer_wait/.test(wait.name) ? 'wait for all right after the commit' : `\`${waitText(wait, left)}\` right after the commit`}): each tile's compute still waits for its own loads`,
      detail: detail(
        `The ${variable} commits its copies and waits for all of them before any compute, so nothing runs while the tile is in flight.`,
        'Double-buffer: issue the copies of the next tile into a second buffer before computing the current one, and wait with ' +
          (/consumer_wait/.test(wait.name) ? '`cuda::pipeline_consumer_wait_prior<1>` (the next tile still in flight) or `consumer_wait()` with a stage committed ahead' : '`cp.async.wait_group` (stages - 2)') + ' just before using it.',
      ),
      benefit: 'modest: on an H200, double-buffering a register-blocked SGEMM with cp.async went from 76% to 84% of cuBLAS fp32 (1.11x) with 16-byte copies',
      related: [
        { range: commit.range, message: 'the copies are committed here' },
        ...(l ? [{ range: l.headerRange, message: `the ${variable}` }] : []),
      ],
    });
  }
  return out;
}
