// fusion/multi-pass-reduction: a softmax / layernorm / RMSNorm style reduction that reads
// the same row from global memory more often than it needs to.
//
// Between kernels (CUDA and Triton host code): a launch computes per-row statistics from
// a buffer (a reduction kernel writing `row_max[row]`, `mean[row]`), and a later launch
// in the same host function reads both the buffer and those statistics (the sum-exp or
// normalize pass). Each kernel re-reads the rows from L2/HBM and the statistics make a
// round trip; one kernel per row does it all. This is the stronger finding. Also a tree
// reduction with one launch per level (`for (s = 1; s < n; s *= 2) k<<<>>>(out, in, s)`).
//
// Inside one kernel (passes.ts): three or more loops sweep the same row of global memory,
// where online softmax or Welford needs two (in Triton also two loops that only reduce, a
// max and then the sum of exp, where the online form needs one). Reported for CUDA only when each thread walks
// its row alone (thread per row, where the sweeps are uncoalesced too), and for Triton
// loops over a row wider than the block; worded as a hint, since on an H200 merging
// passes over a cached row measured 1.07-1.08x.
//
// Quiet: online (max with a rescaled sum in one loop) and Welford forms, rows read once
// (registers or shared memory), block-, warp- or grid-stride sweeps in CUDA, two-level
// reductions (the second launch reads the partials, not the input), global statistics
// (a single value, or one partial per block of a grid-stride sweep: the next pass needs a grid-wide barrier), two kernels whose first merges
// a row split over several blocks with atomics (the same barrier), reference oracles, and scans
// (the first pass rewrites the buffer or calls `tl.cumsum`; the second adds block totals back).
import { detail } from '../../common/detail';
import type { Rule } from '../../../core/rule';
import type { AccessFact, CallFact, FileFacts, FunctionFacts, LoopFact } from '../../../core/facts/model';
import { exclusiveArms, neverTogether } from '../../../core/facts/model';
import type { RuleFinding } from '../../../core/types';
import { isReferenceOracle, isUnfusedBaseline } from '../../common/reference';
import { hasFusedTwin } from '../../../core/baselines';
import { perFunction, perHost } from '../../common/memo';
import { positionBefore } from '../../../core/positions';
import { bind, launchesOf, type Launch } from '../../common/launch-flow';
import { visibleCallables, type Callables } from '../../../core/project';
import { longBlockSweep, sweepLength, rowPasses, vocabularyRow } from './passes';
import { gridWidePartials, mergesRowPartials, sweptInTwoExtents } from './grid-wide';
import { isTlDot } from '../../common/program-axes';
import { gemmLoop } from '../../common/gemm-shape';
import { oneBlockLoops } from './one-block-rows';
import { NO_BINDINGS, bindingsKey, boundAccesses, templateBindings, type Bindings } from '../../common/template-bindings';
import { timesItsLaunches } from '../../../core/timed-region';

const KERNELS_BENEFIT =
  'each extra kernel re-reads the rows from L2 or HBM and adds a launch and a round trip of the statistics; for scale, merging passes inside one ' +
  'block-per-row kernel on an H200 (softmax 32768x4096 fp32, rows cached) bought only 1.08x (layernorm 3 passes -> 1: 1.07x), and the separate-kernel case was not measured';
const IN_KERNEL_BENEFIT =
  'small when the row stays in cache: on an H200, softmax 32768x4096 fp32 block per row went 89% -> 85% -> 96% of copy bandwidth for 3 read passes -> online (2) -> row read once ' +
  '(0.96x / 1.08x), layernorm 3 passes -> once 1.07x; it pays when rows outgrow L1/L2';

/**
 * A kernel that reduces: so classified, or one whose threads each fold their share of a row into a register over a
 * block- or grid-stride loop (`m = fmaxf(m, xr[i])` over `i += blockDim.x`) and combine the values through a helper
 * of the file (`bmax(m, sm)`, shuffles the kernel's own facts do not show).
 */
function reducesRows(k: FunctionFacts): boolean {
  if (k.kernelClass === 'reduction') return true;
  const readsGlobal = (l: LoopFact) => k.accesses.some((a) => a.space === 'global' && a.kind === 'load' && a.loops.includes(l.id));
  // (the folded value handed on after the loop, to a helper or a shuffle: `m = bmax(m, sm)`)
  const handedOn = (l: LoopFact, name: string) => k.calls.some((c) => positionBefore(l.range.end, c.range.start) && c.args.some((a) => new RegExp(`\\b${name}\\b`).test(a)));
  return k.loops.some((l) => (l.blockStride || l.gridStride) && readsGlobal(l) && !!l.reductions?.some((r) => r.variable !== l.variable && handedOn(l, r.variable)));
}

/** Tensor-core instructions: `wmma::mma_sync`, `mma_sync`, PTX `mma.sync` wrappers. */
const MMA_CALL = /(?:^|_|::)w?mma(?:_sync)?$|^mma_/;

/** More launches than this behind one call make it a stage of the program (a forward pass), not a step of one operation. */
const STAGE_LAUNCHES = 4;

const list = (xs: string[]) => (xs.length <= 2 ? xs.join(' and ') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`);
const code = (s: string) => `\`${s}\``;

/** In-kernel passes, cached with the (cached) kernel facts. */
function checkKernel(fn: FunctionFacts, triton: boolean, bindings: Bindings, oneBlock: readonly number[] = []): RuleFinding[] {
  const hit: RuleFinding[] = [];
  // (with the values every launch gives: `goff` = 1 makes a column sweep's lanes consecutive, a cooperative pass)
  // (not loops every launch gives a block as long as the row: one trip each, the re-reads hit cache)
  const passes = isReferenceOracle(fn.name) ? [] : rowPasses(fn, boundAccesses(fn, bindings)).filter((p) => p.loop === undefined || !oneBlock.includes(p.loop));
  if (passes.length >= 2) {
    // (two Triton passes that only reduce: one online pass would do)
    const target = passes.length === 2 ? 'once' : 'twice, or once if it fits one block';
    const arrays = [...new Set(passes.flatMap((p) => [...p.arrays]))].map(code);
    // passes inside one helper call share its line: name the helper instead
    const helper = passes.every((p) => p.helper && p.helper === passes[0].helper && p.line === passes[0].line) ? passes[0].helper : undefined;
    const lines = helper ? `in ${code(helper)}, line ${passes[0].line + 1}` : `lines ${list(passes.map((p) => String(p.line + 1)))}`;
    const n = passes.length;
    // a block's cooperative sweeps over a row every launch makes too long for L1 (llm.c's vocabulary softmax)
    const sweeps = passes.map((p) => ({ p, l: p.blockSweep ?? fn.loops.find((l) => l.id === p.loop) })).filter((x) => !!x.l && longBlockSweep(x.l, fn, x.p.bits)).map((x) => x.l!);
    if (!triton && sweeps.length === n) {
      const length = sweepLength(sweeps[0], fn);
      // (a vocabulary no launch sizes: its least usual length, said as such)
      const assumed = fn.launchValues?.[sweeps[0].bound?.trim() ?? ''] === undefined && vocabularyRow(sweeps[0], fn);
      const elements = `${assumed ? 'at least ' : ''}${length.toLocaleString('en-US')} elements`;
      hit.push({
        range: passes[1].range,
        function: fn.name,
        confidence: 'likely',
        assumptions: [
          ...(assumed ? [`assumes \`${sweeps[0].bound!.trim()}\` is a language model's vocabulary, ${length.toLocaleString('en-US')} entries or more (no launch here gives its size)`] : []),
          sweeps.every((l) => l.blockStride)
            ? `assumes several blocks share an SM: a row of ${length.toLocaleString('en-US')} elements does not stay in L1 between the sweeps`
            : `assumes tens of warps share an SM, each sweeping its own row: rows of ${length.toLocaleString('en-US')} elements do not stay in L1 between the sweeps`,
        ],
        message: `the ${sweeps.every((l) => l.blockStride) ? 'block' : 'warp'} sweeps its row of ${list(arrays)} ${n} times from global memory, ${elements} each (${lines})`,
        detail: detail(
          `Each ${sweeps.every((l) => l.blockStride) ? 'block' : 'warp'} reads its row of ${list(arrays)} ${n} times, and a row of ${elements} is too long to stay in L1 between the sweeps: each reads it from L2 or DRAM again.`,
          `Merge the statistics sweeps (online max with the sum rescaled by exp(m_old - m_new); Welford for mean and variance) so the row is read ${passes.some((p) => p.writes) ? 'twice: once for the statistics, once for the output' : 'once'}.`,
        ),
        benefit: IN_KERNEL_BENEFIT,
        related: passes.filter((_, i) => i !== 1).map((p) => ({ range: p.range, message: `pass over ${list([...p.arrays].map(code))}` })),
      });
      return hit;
    }
    // (a Triton kernel that writes a scratch row once and reads it back: the write is no re-read)
    const written = triton && !helper && passes[0].producer && !passes.slice(1).some((p) => p.producer);
    hit.push({
      range: passes[1].range,
      function: fn.name,
      confidence: triton ? 'heuristic' : 'likely',
      assumptions: triton
        ? ['assumes the row is wider than one block (else load it once and keep it in registers)', 'assumes the rows are long enough that re-reads miss L1']
        : ['assumes the rows are long enough that the re-reads are not all L1 hits'],
      message: written
        ? `this loop reads back the row of ${list(arrays)} that line ${passes[0].line + 1} wrote: ${n - 1} pass${n - 1 === 1 ? '' : 'es'} over it from global memory (lines ${list(passes.slice(1).map((p) => String(p.line + 1)))})`
        : triton
        ? `this loop re-reads the row of ${list(arrays)}: ${n} passes over it from global memory (${lines})`
        : `each thread sweeps its own row of ${list(arrays)} ${n} times from global memory, uncoalesced (${lines})`,
      detail: triton
        ? detail(
            written
              ? `The kernel writes the row of ${list(arrays)} to global memory (line ${passes[0].line + 1}) and reads it back ${n - 1 === 1 ? 'once' : `${n - 1} times`}.`
              : `This loop re-reads the row of ${list(arrays)} that another loop already swept: the kernel makes ${n} passes over it.`,
            `Merge the statistics loops (online softmax: running max with the sum rescaled by exp(m_old - m_new); Welford, or sum and sum of squares, for mean and variance; a running (value, index) pair for an argmax) so the row is read ${target}.`,
          )
        : detail(
            `Each thread sweeps its own row of ${list(arrays)} from global memory ${n} times, and with one thread per row no access is coalesced.`,
            'Merge the statistics loops (online max/sum or Welford) and give each row a warp or block that keeps it in registers or shared memory.',
          ),
      benefit: IN_KERNEL_BENEFIT,
      related: passes.filter((_, i) => i !== 1).map((p, i) => ({ range: p.range, message: `${written && i === 0 ? 'writes the row of' : 'pass over'} ${list([...p.arrays].map(code))}` })),
    });
  }
  return hit;
}

/** Whether the launch reads `buffer` with plain loads (consumes it), not only through atomics adding into it (another histogram). */
function loadsFrom(l: Launch, buffer: string): boolean {
  const bound = bind(l.kernel, l.call);
  return !bound || l.kernel.accesses.some((a) => (a.kind === 'load' || a.kind === 'update') && bound.get(a.array) === buffer);
}

/** Whether the launch stores into `buffer` with plain stores (its own scratch), not only atomics or updates. */
function overwrites(l: Launch, buffer: string): boolean {
  const bound = bind(l.kernel, l.call);
  return !!bound && l.kernel.accesses.some((a) => a.space === 'global' && a.kind === 'store' && bound.get(a.array) === buffer);
}

/** Two launches that can run one after the other (not arms of one if/else, same host loops). */
/** The kernel combines its blocks' results in global memory with atomics (`atomicCAS` on a packed max and sum, `atomicAdd`). */
const mergesAcrossBlocks = (k: FunctionFacts): boolean =>
  k.accesses.some((a) => a.space === 'global' && a.kind === 'atomic' && !a.singleLane) || k.calls.some((c) => /^atomic(?:CAS|Max|Add)\w*$/.test(c.name));

function together(a: Launch, b: Launch): boolean {
  if (a.call.loops.join() !== b.call.loops.join()) return false;
  const s1 = a.call.scopes ?? [];
  const s2 = b.call.scopes ?? [];
  const split = s1.findIndex((x, k) => s2[k] !== x);
  return !(split >= 0 && split < s2.length && exclusiveArms(s1[split], s2[split]));
}

/**
 * A tree reduction done with one launch per level: inside a host loop that doubles or
 * halves its variable (`stride *= 2`), a kernel gets the variable and adds the element
 * `stride` away (`out[i] += in[i + stride]`). Each level re-reads the array from global memory.
 */
function launchPerLevel(host: FunctionFacts, l: Launch): RuleFinding | null {
  const loop = host.loops.find((x) => x.id === l.call.loops[l.call.loops.length - 1]);
  if (!loop || loop.step !== null || !loop.variable) return null;
  const i = l.call.args.findIndex((a) => a.trim() === loop.variable);
  const param = i >= 0 ? l.kernel.params[i] : undefined;
  if (!param || param.pointer) return null;
  const global = l.kernel.accesses.filter((a) => a.space === 'global');
  // (an element `stride` away: `in[i + stride]`, or `g[idx + stride]` with `idx` itself a multiple of `2 * stride`)
  const offset = global.some((a) => a.kind === 'load' && a.indices.length === 1 && !a.indices[0].unknown && a.indices[0].coefficient(param.name).constant !== 0);
  const inPlace = offset && global.some((a) => a.kind === 'update' || a.kind === 'atomic');
  // or each thread adding a pair into a second buffer, `out[i] = in[2 * i] + in[2 * i + 1]`, as the loop halves the count
  if (!inPlace && !pairwise(global)) return null;
  return {
    range: l.call.nameRange,
    function: host.name === '<module>' ? null : host.name,
    confidence: 'likely',
    assumptions: ['assumes the array is larger than the caches, so every level reads it from global memory'],
    message: `${code(l.call.name)} once per step of the ${code(loop.variable)} loop: each tree-reduction level re-reads the array from global memory`,
    detail: detail(
      `${code(l.call.name)} runs once per step of the ${code(loop.variable)} loop, ${inPlace ? `adding the element ${code(param.name)} away` : 'adding pairs of the last level\'s sums'}, so each level of the tree reduction is a kernel of its own.`,
      'Reduce within each block in shared memory (or with warp shuffles) so the array is read once, then combine the per-block partials.',
    ),
    benefit: 'the array is read once instead of once per level (log2 n levels) and the per-level launches go; this case was not measured on the H200 (merging passes inside one block-per-row kernel over cached rows bought 1.07-1.08x)',
  };
}

/** `out[i] = in[2 * i] + in[2 * i + 1]`: a thread's pair of one array summed into another at its own index. */
function pairwise(global: readonly AccessFact[]): boolean {
  const lanes = (a: AccessFact) => (a.indices.length === 1 && !a.indices[0].unknown ? a.indices[0].coefficient('threadIdx.x') : null);
  const two = global.filter((a) => a.kind === 'load' && lanes(a)?.isConstant && lanes(a)!.constant === 2);
  const pair = two.some((a) => two.some((b) => b.array === a.array && b.indices[0].sub(a.indices[0]).isConstant && b.indices[0].sub(a.indices[0]).constant === 1));
  // (the pair's sum the kernel's only output: a transform that also keeps each level's differences, a Haar wavelet, is none)
  const stores = global.filter((a) => a.kind !== 'load');
  return pair && stores.length === 1 && lanes(stores[0])?.isConstant === true && lanes(stores[0])!.constant === 1 && !two.some((b) => b.array === stores[0].array);
}

function checkHost(host: FunctionFacts, launches: Launch[], hosts: ReadonlyMap<string, FunctionFacts>): RuleFinding[] {
  const out: RuleFinding[] = [];
  const timed = (name: string) => { const h = hosts.get(name); return !!h && timesItsLaunches(h, hosts); };
  for (const l of launches) {
    const f = l.call.loops.length ? launchPerLevel(host, l) : null;
    if (f) out.push(f);
  }
  const reported = new Set<string>();
  const shown = (l: Launch) => code(l.call.via ?? l.call.name);
  // a call that runs a whole stage of the program (`gpt2_forward(...)`, then `gpt2_backward(...)`: many launches each):
  // a launch in one and a launch in the other are a forward and a backward pass apart, not two passes one kernel merges
  // (launches that can run together: a dispatcher's `case`s are one launch a call)
  const perSite = new Map<CallFact['range'], Launch[]>();
  for (const l of launches) if (l.call.via) perSite.set(l.call.range, [...(perSite.get(l.call.range) ?? []), l]);
  const runTogether = (site: Launch[]) => Math.max(0, ...site.map((l) => site.filter((m) => !neverTogether(l.call.scopes, m.call.scopes)).length));
  const stage = (l: Launch) => runTogether(perSite.get(l.call.range) ?? []) > STAGE_LAUNCHES;
  const stagesApart = (a: Launch, b: Launch) => a.call.range !== b.call.range && (stage(a) || stage(b));
  launches.forEach((first, i) => {
    if (!reducesRows(first.kernel)) return;
    // a scan's first pass (`tl.cumsum`, or rewriting the buffer with its prefix sums) writes block totals that the
    // next pass adds back: scan-then-propagate, not statistics then normalize
    if (first.kernel.calls.some((c) => /(?:^|\.)(?:cumsum|cumprod|associative_scan)$/.test(c.name))) return;
    for (const buffer of first.swept) {
      if (reported.has(buffer) || first.writes.has(buffer)) continue;
      // statistics per row of `buffer`, written by the first launch and read by a later one together with the buffer
      for (const stats of first.perRow) {
        if (stats === buffer) continue;
        // (written only at data-dependent places, `bins[b * MAXB + atomicAdd(&count[b], 1)]`: a spatial index or a
        // histogram the whole grid builds, no statistic of a row)
        const forms = [...(first.stores.get(stats) ?? [])];
        if (forms.length && forms.every((f) => f.includes('?'))) continue;
        // the buffer is itself one value per row, read where the kernel writes a per-row result (`y[row]`, a label,
        // beside `loss[row]`): no row a statistic sweeps, and a re-read of it costs a row's one element
        // (or that element and gathers at loaded indices, `pos[j]` with `j = cells[...]`: a neighbour list built from a
        // cell list sweeps no row)
        const loadsOfBuffer = [...(first.loads.get(buffer) ?? [])];
        const ownElement = (f: string) => [...first.perRow].some((w) => first.stores.get(w)?.has(f));
        if (loadsOfBuffer.some(ownElement) && loadsOfBuffer.every((f) => f === '?' || ownElement(f))) continue;
        // the statistics are per row: the consumer reads them at another index than the buffer (`x[idx]`, `mean[row]`);
        // read at the same index they are a same-shape intermediate (a stencil's output), not a reduction
        const perElement = (l: Launch) => [...(l.loads.get(stats) ?? [])].some((f) => l.loads.get(buffer)?.has(f));
        // (not the same launch again, a warm-up then its runs, nor a launch a benchmark harness times: repeats, not passes;
        // one kernel launched with another pass argument, `row_moments(..., 0)` then `(..., 1)`, is two passes)
        const same = (l: Launch) => l.kernel === first.kernel && l.call.args.map((a) => a.trim()).join() === first.call.args.map((a) => a.trim()).join();
        const repeat = (l: Launch) => same(l) || (!!l.call.via && timed(l.call.via));
        // (nor another kernel that writes the statistics' buffer itself: scratch of its own, `g[x] = max(g[x - 1], row[x])`,
        // not the first kernel's result it consumes; one kernel run again with a pass flag writes its own next statistic)
        const second = launches.slice(i + 1).find((l) => together(first, l) && l.reads.has(buffer) && l.reads.has(stats) && !(l.kernel !== first.kernel && overwrites(l, stats)) && loadsFrom(l, stats) && !perElement(l) && !repeat(l) && !stagesApart(first, l));
        if (!second || second.call.range === first.call.range) continue;
        // a launch between them writes the buffer anew (a GEMM into the same scratch tensor, llm.c's `dl_btc` per layer):
        // the second reads other data, no second pass over what the first swept
        const rewritten = launches.slice(i + 1, launches.indexOf(second)).some((l) => l.writes.has(buffer) && together(first, l));
        // or writes the statistics anew without reading them (`iota(lab)` as a second algorithm starts on the same
        // graph): what the second reads is not what the first computed
        const restarted = launches.slice(i + 1, launches.indexOf(second)).some((l) => l.writes.has(stats) && !l.reads.has(stats) && together(first, l));
        if (rewritten || restarted) continue;
        // the first's output goes through the host between the two (`cudaMemcpy(h_partial, partial, ...)`, finished on
        // the CPU, and what the host made copied up for the second): the second kernel waits on host work over the
        // whole first pass, and no one kernel can do both
        const between = host.calls.filter((c) => c.kind === 'copy' && positionBefore(first.call.range.start, c.range.start) && positionBefore(c.range.start, second.call.range.start));
        const copied = (c: CallFact, way: string, into: (r: string) => boolean) => c.args.some((a) => a.includes(way)) && c.argRoots.some((r) => r !== null && into(r));
        if (between.some((c) => copied(c, 'DeviceToHost', (r) => first.writes.has(r))) && between.some((c) => copied(c, 'HostToDevice', (r) => second.reads.has(r)))) continue;
        // or an op between them takes what the first wrote and hands the second an input of its own (a layer norm
        // recomputed, the GEMM of its output, then the norm's backward reading the GEMM's gradient): the second pass
        // waits on the whole first one and on that op, and no one kernel can do both
        const roots = (c: CallFact) => c.argRoots.filter((r): r is string => r !== null);
        const feeds = host.calls.some((c) => c !== first.call && c !== second.call && c.kind !== 'copy' && c.kind !== 'sync' &&
          positionBefore(first.call.range.start, c.range.start) && positionBefore(c.range.start, second.call.range.start) &&
          roots(c).some((r) => first.writes.has(r)) && roots(c).some((r) => second.reads.has(r) && !first.reads.has(r) && !first.writes.has(r)));
        if (feeds) continue;
        // a sweep of the whole buffer by the whole grid, one partial per block (an L2 norm, a regression's sums): the
        // statistic is the buffer's, and the pass that uses it waits for every block; no row fits one block
        if (gridWidePartials(first, buffer, stats)) continue;
        // (or each row split over several programs, whose partials the consumer merges: the same barrier, per row)
        if (mergesRowPartials(first, second, buffer, stats)) continue;
        // the consumer is a matrix multiply (`tl.dot` over tiles: flash attention's backward reading `do` with `delta`):
        // it loads the buffer tile by tile for its own products, and no online form folds the statistic into it
        // (in CUDA, a kernel with a GEMM-shaped loop or tensor-core instructions: FlashAttention-2's backward after its
        // `D = rowsum(dO * O)` preprocess)
        if (second.kernel.calls.some((c) => isTlDot(c) || MMA_CALL.test(c.name)) || gemmLoop(second.kernel, () => true) !== null) continue;
        const passes = launches.slice(i).filter((l) => together(first, l) && l.reads.has(buffer));
        // (two passes where each block's row spans two run-time extents, BatchNorm's N x H*W channel, more than a block
        // holds: the normalize pass reads it again whatever kernel does it; a mean, then a variance pass (then the
        // normalize, darknet's three) is one pass too many still)
        // (the second only normalizing: a variance kernel after a mean kernel, reducing again, is a pass one read saves)
        if (passes.length === 2 && !second.kernel.loops.some((l) => !!l.reductions?.length) && sweptInTwoExtents(first, buffer)) continue;
        // a row split over several blocks whose statistics the first kernel merges with atomics (an online max and
        // sum combined by `atomicCAS`): two reads are the minimum, the merge needing a grid-wide barrier
        if (passes.length === 2 && mergesAcrossBlocks(first.kernel)) continue;
        const statsKernels = passes.filter((l) => reducesRows(l.kernel) && l.swept.has(buffer) && [...l.perRow].some((w) => w !== buffer)).length;
        reported.add(buffer);
        out.push({
          range: second.call.nameRange,
          function: host.name === '<module>' ? null : host.name,
          confidence: 'likely',
          assumptions: [`assumes a row of ${code(buffer)} fits one thread block or program, so one kernel can compute the statistics and the output`],
          message: `${shown(second)} re-reads ${code(buffer)} after ${shown(first)} swept it: ${passes.length} kernels read it from global memory`,
          detail: detail(
            `${shown(second)} reads ${code(buffer)} again after ${shown(first)} swept it for ${code(stats)}: ${list(passes.map(shown))} each read it from global memory.`,
            statsKernels >= 2
              ? 'Compute the statistics in one sweep (online max/sum, Welford) and the output in the same kernel, one block or program per row keeping the row in registers or shared memory.'
              : 'Compute the statistics and the output in one kernel, one block or program per row keeping the row in registers or shared memory.',
          ),
          benefit: KERNELS_BENEFIT,
          related: passes.filter((l) => l !== second).map((l) => ({ range: l.call.nameRange, message: `${shown(l)} reads ${code(buffer)}` })),
        });
        break;
      }
    }
  });
  return out;
}

// an edit re-checks only the functions it changed (and the hosts whose kernels it changed)
const kernelCached = perFunction(checkKernel, (triton, bindings, oneBlock) => `${triton}|${bindingsKey(bindings)}|${(oneBlock ?? []).join()}`);
const hostCached = perHost((f, t) => {
  const launches = launchesOf(f, t.kernels, t.hosts);
  return launches.length >= 1 ? checkHost(f, launches, t.hosts) : [];
});

export const rule: Rule = {
  id: 'fusion/multi-pass-reduction',
  languages: ['cuda', 'cpp', 'triton'], // .cpp host code calls launch wrappers too
  defaultSeverity: 'information',
  check(facts: FileFacts) {
    const triton = facts.language === 'triton';
    const out: RuleFinding[] = [];
    let tables: Callables | null = null;
    let hostNames: Set<string> | undefined;
    const bindings = triton ? null : templateBindings(facts);
    for (const f of facts.functions) {
      if (f.isKernel) out.push(...kernelCached(f, triton, bindings?.get(f.name) ?? NO_BINDINGS, triton ? oneBlockLoops(f, facts) : []));
      // (nor a host named as a variant beside a fused twin of its op, `layernorm_naive` beside `layernorm_fused`: the baseline)
      else if (!f.isDevice && !isReferenceOracle(f.name) && !isUnfusedBaseline(f.name) && !hasFusedTwin(f.name, (hostNames ??= new Set(facts.functions.map((g) => g.name)))) &&
        f.calls.some((c) => c.kind === 'launch' || c.kind === 'call')) {
        tables ??= visibleCallables(facts);
        out.push(...hostCached(f, tables));
      }
    }
    return out;
  },
};
