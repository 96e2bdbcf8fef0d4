// In-kernel read passes over one row (the in-kernel half of fusion/multi-pass-reduction).
//
// A pass is a loop that one thread (CUDA) or one program (Triton) runs in full over its
// own row: a loop whose start and step do not depend on the thread index, reading
// global memory at an index that moves with the loop and that belongs to this
// thread's or program's row (depends on the thread, block or program id). A `__device__`
// helper called on the row (`row_mean(x, C)`) is a pass at the call. Block-, warp- and
// grid-stride loops hand the row's elements to many threads: the block then reads the
// row coalesced and re-reads hit L1/L2 (measured 1.07-1.08x from merging), so a CUDA
// kernel whose passes are cooperative is left alone.
//
// A kernel is reported when three or more passes read the same row data (the same
// buffer at the same index form, or data an earlier pass stored): two statistics sweeps
// and the output sweep, where online softmax or Welford needs one statistics sweep.
// Two passes (an online or Welford statistics sweep plus the output sweep, a sum of
// squares plus the normalize sweep) are the minimum for a streamed row: quiet. But two
// passes that only reduce (a mean, then the squared deviations from it; a max, then the sum
// of exp(x - max): a naive cross-entropy or logsumexp; in Triton also a max, then the first
// index holding it) need one: Welford or the online form reads the row once.
import { Poly, dependsOnLane, symbolKind } from '../../../core/affine';
import { laneValues, SAMPLES } from '../../../core/lanes';
import { neverTogether, type AccessFact, type CallFact, type FunctionFacts, type LoopFact } from '../../../core/facts/model';
import type { Range } from '../../../core/types';
import { positionBefore } from '../../../core/positions';
import { VOCABULARY } from '../../../core/launch-shapes';

export interface Pass {
  /** Where the pass is: its loop header, or the helper call's access. */
  range: Range;
  line: number;
  arrays: Set<string>;
  /** The branches the pass's loop is inside (`LoopFact.scopes`): passes in arms of one if/else never both run. */
  scopes: readonly number[];
  /** A loop of the `__device__` helper called here (its passes share the call's range): the helper's name. */
  helper?: string;
  /** The pass stores row data (the output sweep), besides reading. */
  writes: boolean;
  /** The pass only writes the row the others read (scores put in a scratch row, then read back). */
  producer?: boolean;
  /** The pass's loop, where it is one of the kernel's own. */
  loop?: number;
  /** A helper's block sweep over a row every launch makes too long for L1 (longBlockSweep): the helper's loop. */
  blockSweep?: LoopFact;
  /** The bits of the row's elements, as its first access reads them. */
  bits: number;
}

/** Two passes that can both run in one thread: not in different arms of one if/else (a full block and its remainder). */
const together = (a: Pass, b: Pass): boolean => !neverTogether(a.scopes, b.scopes);

/**
 * The most passes that run together, in source order (a pass joins when it can run with every pass taken so far),
 * trying each pass as the first taken: a sweep of an arm that returns early (`if label == ignore: zero-fill; return`)
 * must not keep out the sweeps after it.
 */
function runTogether(passes: Pass[]): Pass[] {
  let best: Pass[] = [];
  for (const seed of passes) {
    const out: Pass[] = [seed];
    for (const p of passes) if (p !== seed && out.every((q) => together(p, q))) out.push(p);
    if (out.length > best.length) best = out.sort((x, y) => x.line - y.line);
  }
  return best;
}

/** Loops with a small constant trip count (`k < 8`, a pack) are not sweeps over a row. */
// (`range(n, n + 1)`, a causal diagonal peeled off the sweep before it, is one step of that sweep)
// (nor a row every launch makes that short, `j < N` with N = 10 classes: it stays in L1 between the passes)
const smallTrip = (l: LoopFact, values?: Readonly<Record<string, number>>) => (l.trips !== undefined && l.trips <= 1) ||
  (l.bound !== null && /^\s*\d+\s*$/.test(l.bound) && Number(l.bound) <= 16) || (l.bound !== null && (values?.[l.bound.trim()] ?? Infinity) <= 16);

/** `softmax_device(input + off, n, ...)` -> `softmax_device`. */
const calleeOf = (text: string): string | undefined => /^\s*([A-Za-z_]\w*)\s*\(/.exec(text)?.[1];

/**
 * Bytes from which a row a block sweeps cooperatively no longer stays on chip between its sweeps, shared with the other
 * blocks resident on the SM. Measured on an H100 (a block per row, 256 threads, 2^28 elements): a layernorm's one stats
 * sweep against three sweeps ran 1.00x at 16 KB rows (4,096 floats, 8,192 halves: the row stays in L1), 1.31x at 32 KB
 * of floats and 1.24x at 32 KB of halves, 1.35x at 512 KB.
 */
const LONG_ROW_BYTES = 32 * 1024;
/**
 * The same for a row a warp sweeps alone: an SM holds up to 64 warps' rows at once. Measured on an H100 (a warp per
 * row, 2^26 floats, bench/gpu/chunks/warp_rows.cu): one stats sweep against three ran 1.03x at 3 KB rows, 1.12x at
 * 4 KB, 1.25-1.28x from 8 KB to 32 KB.
 */
const LONG_WARP_ROW_BYTES = 8 * 1024;

/**
 * A block's or a warp's cooperative sweep over a row every launch makes long (`for (i = tid; i < C; i += blockDim.x)`,
 * `for (i = lane; i < V; i += 32)`, with C = V = 50257).
 */
export const longBlockSweep = (l: LoopFact, launched: Launched, bits = 32): boolean =>
  (l.blockStride || warpStride(l)) && (sweepLength(l, launched) * bits) / 8 >= (l.blockStride ? LONG_ROW_BYTES : LONG_WARP_ROW_BYTES);
/** The elements a loop runs to at every launch: its bound's value, or its limit's (a helper's `n`, bound to the kernel's `classes`); 0 unknown. */
export const sweepLength = (l: LoopFact, launched: Launched): number =>
  l.bound === null ? 0 : launched.launchValues?.[l.bound.trim()] ?? launched.launchValues?.[l.limit?.toString() ?? ''] ?? (vocabularyRow(l, launched) ? ASSUMED_VOCABULARY : 0);
/** What a kernel's launches fix about its row lengths: the values they pass, and the counts they name otherwise. */
type Launched = Pick<FunctionFacts, 'launchValues' | 'notVocabulary'>;
/**
 * A row named as a language model's vocabulary (`V`, `vocab_size`) that no launch sizes: 32,000 entries or more
 * (Llama's 32,000, GPT-2's 50,257), a cross-entropy's or a sampler's logits row.
 */
export const ASSUMED_VOCABULARY = 32000;
/** (not one every launch sizes by another name, `V` given `T`: launch-shapes' notVocabulary) */
export const vocabularyRow = (l: LoopFact, launched: Launched): boolean => l.bound !== null && !launched.notVocabulary?.includes(l.bound.trim()) &&
  (VOCABULARY.test(l.bound.trim()) || VOCABULARY.test(l.limit?.toString() ?? ''));
/** `for (i = lane; i < n; i += 32)`: a warp's lanes stepping over a row together. */
const warpStride = (l: LoopFact): boolean => !l.gridStride && !!l.step && l.step.isConstant && l.step.constant === 32 && !!l.init && !l.init.unknown && dependsOnLane(l.init);

/** A loop every thread (or program) runs in full: its start and step do not involve the thread index. */
function privateLoop(l: LoopFact, triton: boolean, launched: Launched, bits?: number): boolean {
  // (or a block's sweep over a row too long to stay in L1 between sweeps: each sweep reads it from L2 or DRAM again)
  if (!triton && longBlockSweep(l, launched, bits)) return true;
  if (l.gridStride || l.blockStride || smallTrip(l, launched.launchValues)) return false;
  if (triton) return true;
  if (!l.init || !l.step || l.init.unknown || l.step.unknown) return false;
  return !dependsOnLane(l.init) && !dependsOnLane(l.step) && !l.step.dependsOn((s) => s.startsWith('blockDim.'));
}

/** A row's max in the first loop and a sum of exp in the second (`tl.exp(x - m)`): the pair the online form merges. */
function maxThenExp(fn: FunctionFacts, first: Pass, second: Pass): boolean {
  const calls = (p: Pass, name: RegExp) => p.loop !== undefined && fn.calls.some((c) => c.loops.includes(p.loop!) && name.test(c.qualified ?? c.name));
  return calls(first, /(?:^|\.)(?:max|maximum)$/) && calls(second, /(?:^|\.)exp2?$/);
}

/**
 * A second Triton sweep a one-pass form folds into the first: besides loading and selecting, it exponentiates (the sum of
 * exp(x - max)) or keeps a running min or max of a selected index (the first index holding the max, an argmax's running
 * (value, index) pair). An absolute deviation (`tl.abs`) has no exact one-pass form.
 */
function tritonOnePassForm(fn: FunctionFacts, second: Pass): boolean {
  const facts = second.loop === undefined ? [] : fn.calls.filter((c) => c.loops.includes(second.loop!));
  const calls = facts.map((c) => c.qualified ?? c.name);
  // (and it exponentiates, or picks an index by a running min or max under a select, an argmax's second sweep: a count
  // above half the max, a hinge `maximum(x - mean, 0)` or a deviation written with `where` fold into nothing;
  // or it sums a deviation kept to the row, `d = where(cols < N, x - mean, 0.0)`, then `d * d`: Welford's variance)
  // (told apart from a count of the elements above the mean, written the same way, by what the kernel makes of the sum:
  // its square root, `rstd = 1 / tl.sqrt(var + eps)`, or a variance it names)
  // (its sum is the first after the loop: a variance by its name, or one whose square root the kernel takes)
  const loop = fn.loops.find((l) => l.id === second.loop);
  const later = (c: CallFact) => !!loop && positionBefore(loop.range.end, c.range.start);
  const sum = fn.calls.filter((c) => later(c) && /(?:^|\.)sum$/.test(c.qualified ?? c.name)).sort((a, b) => (positionBefore(a.range.start, b.range.start) ? -1 : 1))[0];
  const acc = sum?.args[0]?.trim() ?? '';
  const rooted = fn.calls.some((c) => later(c) && SQRT.test(c.qualified ?? c.name) && (c.args.join(' ').match(/[A-Za-z_]\w*/g) ?? ([] as string[])).includes(acc));
  // (or it is stored into an output named as a variance, `tl.store(Var + row, tl.sum(acc2) / (N - correction))`)
  const mentionsSum = (text: string) => (text.match(/[A-Za-z_]\w*/g) ?? ([] as string[])).includes(acc);
  // (or through a local named so that nothing before the loop uses, `var = tl.sum(acc2) / (N - 1)` then
  // `tl.store(Var + pid, var)`: set after the loop, from its sum; an `rstd` of the first sweep stored late is not)
  const localVariance = (text: string) => {
    const name = text.trim();
    if (!VARIANCE_LOCAL.test(name)) return false;
    const word = new RegExp(`(?<![\\w.])${name}(?!\\w)`);
    return !fn.calls.some((c) => !later(c) && c.args.some((a) => word.test(a)));
  };
  const storedAsVariance = fn.calls.some((c) => later(c) && /(?:^|\.)store$/.test(c.qualified ?? c.name) && VARIANCE_OUTPUT.test(/^\s*([A-Za-z_]\w*)/.exec(c.args[0] ?? '')?.[1] ?? '') &&
    (mentionsSum(c.args[1] ?? '') || localVariance(c.args[1] ?? '')));
  const maskedDeviation = facts.some((c) => WHERE.test(c.qualified ?? c.name) && BOUND_MASK.test(c.args[0] ?? '') && DEVIATION.test(c.args[1] ?? '') && /^\s*0(?:\.0*)?\s*$/.test(c.args[2] ?? '')) &&
    /^\w+$/.test(acc) && (VARIANCE.test(acc) || rooted || storedAsVariance);
  return calls.every((c) => FOLDABLE.test(c)) && (calls.some((c) => EXP.test(c)) || (calls.some((c) => WHERE.test(c)) && calls.some((c) => RUNNING.test(c))) || maskedDeviation);
}
const SQRT = /(?:^|\.)(?:sqrt|rsqrt|sqrt_rn)$/;
/** An output for a variance or a deviation, by its pointer's name: `Var`, `var_ptr`, `Rstd`, `std_out`. */
const VARIANCE_OUTPUT = /^_*(?:var|variance|std|rstd|invstd)(?:_\w*)?$/i;
/** A local holding a variance by its name: `var`, `variance`, `_var`. */
const VARIANCE_LOCAL = /^_*(?:var|variance)$/i;
/** An accumulator of squared deviations by its name: `_var`, `var_acc`, `_sq`, `m2`. */
const VARIANCE = /^\s*_*(?:var|variance|sq|sumsq|m2)(?:_\w*)?\s*$/i;
/** A bounds mask, `cols < N` (`off + cols < n_cols`). */
const BOUND_MASK = /^\s*[\w.]+(?:\s*\+\s*[\w.]+)?\s*<\s*[\w.]+\s*$/;
/** An element less a value, `x - mean`. */
const DEVIATION = /^\s*\w+\s*-\s*\w+\s*$/;
const EXP = /(?:^|\.)exp2?$/;
const WHERE = /(?:^|\.)where$/;
const RUNNING = /(?:^|\.)(?:maximum|minimum)$/;
const FOLDABLE = /(?:^|\.)(?:load|arange|to|float|int|where|zeros|full|exp2?|maximum|minimum|max|min|sum|multiple_of|max_contiguous)$/;

/**
 * A second CUDA sweep that a one-pass form can fold into the first: a floating-point sum calling nothing but `exp`
 * and conversions to float (squared deviations from the mean, Welford's; exp(x - max), the online softmax's). A mean
 * absolute deviation (`fabsf(x - mean)`) or a count of the elements above the mean has no exact one-pass form.
 */
function onePassForm(fn: FunctionFacts, second: Pass): boolean {
  // (or a helper's block sweep, `rowSumExp(x, V, m)`: its loop's sums, the calls in it are the helper's)
  const loop = second.blockSweep ?? fn.loops.find((l) => l.id === second.loop);
  const sums = loop?.reductions ?? [];
  const calls = fn.calls.filter((c) => c.kind === 'call' && second.loop !== undefined && c.loops.includes(second.loop));
  return sums.length > 0 && sums.every((r) => (/^(?:float|double|half|__half)$/.test(r.type) || fn.templateParams.includes(r.type)) && r.op === '+=') && calls.every((c) => /^(?:__)?expf?$/.test(c.name) || toFloat(c));
}

/** A 16-bit element read as float on the way in (`__half2float(row[c])`, `static_cast<float>(x[i])`, `float(x[i])`): still one value of the row. */
const toFloat = (c: CallFact): boolean =>
  /^(?:__half2float|__bfloat162float|__low2float|__high2float|float)$/.test(c.name) || (c.name === 'static_cast' && c.templateArgs?.[0]?.trim() === 'float');

/**
 * The index with loop symbols renamed (and Triton lanes named by their axis), so the same element in two passes compares
 * equal; a sweep's constant start goes too (llama2.c's max from `x[0]`, then `for (i = 1; ...)`: the same row).
 */
function canonical(p: Poly, lanes: readonly (string | null)[] = []): string {
  let out = p;
  let swept = false;
  for (const s of p.symbols()) {
    if (s.startsWith('#loop')) {
      out = out.substitute(s, Poly.sym('#loop'));
      swept = true;
    } else if (s.startsWith('#lane')) out = out.substitute(s, Poly.sym(`#axis${lanes.indexOf(s)}`));
  }
  return (swept && !out.unknown ? out.sub(Poly.const(out.constant)) : out).toString();
}

/**
 * A loop that hands the row's elements out to the threads (`for (i = tid * 4; i < m; i += BLOCK * 4)`, block- or
 * grid-stride): a helper called in it (`accumulate4(A, i, ...)`) walks the thread's chunk of a shared sweep, not a row of its own.
 */
const sharedOut = (l: LoopFact | undefined): boolean =>
  !!l && (l.blockStride || l.gridStride || (!!l.init && !l.init.unknown && l.init.dependsOn((s) => symbolKind(s) === 'thread' || symbolKind(s) === 'lane')));

/**
 * Consecutive threads take consecutive elements (`threadIdx.x` enters with coefficient 1, or through
 * `idx % headDim`, evaluated per lane): a block-stride sweep, or columns a warp reads as one row segment.
 */
const laneConsecutive = (p: Poly) => {
  const c = p.coefficient('threadIdx.x');
  if (c.isConstant && c.constant === 1) return true;
  if (!p.hasAtoms) return false;
  const v = laneValues(p, SAMPLES[0]);
  return !!v && v.filter((x, i) => i > 0 && x - v[i - 1] === 1).length >= 16;
};

const ownRow = (p: Poly) => p.dependsOn((s) => ['thread', 'block', 'program'].includes(symbolKind(s)));

/**
 * The passes of a kernel that read row data also touched by another pass, in source
 * order, grouped by the loops around them (a grid-stride loop over rows holds its own
 * passes). Empty when fewer than three (or two that only reduce).
 */
export function rowPasses(fn: FunctionFacts, accesses: readonly AccessFact[] = fn.accesses): Pass[] {
  const triton = !!fn.decorators;
  const byId = new Map(fn.loops.map((l) => [l.id, l] as const));
  const symbols = new Set(fn.loops.map((l) => l.symbol));
  // context (enclosing non-pass loops) -> pass key -> pass
  const groups = new Map<string, Map<string, { pass: Pass; loads: Set<string>; touched: Set<string> }>>();
  for (const a of accesses) {
    if (a.space !== 'global' || a.indices.length !== 1 || a.indices[0].unknown) continue;
    const idx = a.indices[0];
    if (!ownRow(idx)) continue;
    // (the row's bytes decide whether it stays on chip: a 16-bit row of as many elements is half as long)
    const bits = a.elemBits ?? 32;
    // the sweep is the outermost private loop the index moves with: a loop around it that the index
    // ignores repeats the sweep (a bisection's iterations, a benchmark's repeats) and is its context
    const at = a.loops.findIndex((id) => {
      const l = byId.get(id);
      return l !== undefined && privateLoop(l, triton, fn, bits) && idx.dependsOn((s) => s === l.symbol);
    });
    let key: string;
    let range: Range;
    let context: string;
    let scopes: readonly number[] = [];
    let helper: string | undefined;
    // (a block's sweep in a helper, `for (i = threadIdx.x; i < n; i += blockDim.x)`, over a row every launch makes too
    // long for L1, `n` bound to the kernel's `classes` of 50,257: a pass as a kernel's own loop would be)
    const blockSweep = at < 0 && laneConsecutive(idx) ? a.helperLoops?.find((l) => longBlockSweep(l, fn, bits) && idx.dependsOn((s) => s === l.symbol)) : undefined;
    if (at >= 0) {
      const loop = byId.get(a.loops[at])!;
      // the warp reads each step as one row segment (`x[r * wide + d]`, `d = idx % headDim`): a cooperative sweep, coalesced
      // (whose re-reads L1 serves, unless the row is too long for it)
      if (!triton && laneConsecutive(idx) && !longBlockSweep(loop, fn, bits)) continue;
      // the index must move with this loop or one inside it
      const inner = new Set(a.loops.slice(at).map((id) => byId.get(id)?.symbol));
      if (!idx.dependsOn((s) => inner.has(s))) continue;
      key = `L${loop.id}`;
      range = loop.headerRange;
      scopes = loop.scopes ?? [];
      context = a.loops.slice(0, at).join(',');
    } else if (!triton && !!a.helperLoops?.length && idx.dependsOn((s) => s.startsWith('#loop') && (a.loops.length === 0 || !symbols.has(s))) && !a.loops.some((id) => sharedOut(byId.get(id))) &&
      (!laneConsecutive(idx) || blockSweep)) {
      // an inlined `__device__` helper's loop over the row (a loop symbol outside the kernel's loops),
      // unless the block shares it out (`for (idx = tid; idx < N; idx += BLOCK_SIZE)`: consecutive lanes, consecutive elements)
      // the helper's accesses sit at its call; each of its own loops over the row is a pass (`softmax_device`'s max, sum and divide)
      const sweep = a.helperLoops?.find((l) => privateLoop(l, false, fn, bits) && idx.dependsOn((s) => s === l.symbol));
      key = `H${a.range.start.line}:${a.range.start.column}:${sweep?.id ?? ''}`;
      range = a.range;
      scopes = a.scopes ?? [];
      context = a.loops.join(',');
      helper = sweep ? a.helper ?? calleeOf(a.text) : undefined;
    } else continue;
    const group = groups.get(context) ?? new Map();
    groups.set(context, group);
    let entry = group.get(key);
    // (any store inside the pass's loop makes it an output sweep, wherever it writes: `p_dv` picked by `tl.where` too)
    const loopId = at >= 0 ? a.loops[at] : undefined;
    const writes = loopId !== undefined && (accesses.some((s) => s.kind !== 'load' && s.loops.includes(loopId)) ||
      fn.calls.some((c) => /(?:^|\.)(?:store|atomic_\w+)$/.test(c.qualified ?? c.name) && c.loops.includes(loopId)));
    if (!entry) group.set(key, (entry = { pass: { range, line: range.start.line, arrays: new Set(), scopes, writes, bits, ...(loopId !== undefined ? { loop: loopId } : {}), ...(helper ? { helper } : {}), ...(blockSweep ? { blockSweep } : {}) }, loads: new Set(), touched: new Set() }));
    const data = `${a.array}[${canonical(idx, a.lanes)}]`;
    entry.touched.add(data);
    if (a.kind !== 'store') entry.loads.add(data);
    if (a.kind !== 'load') entry.pass.writes = true;
  }
  let best: Pass[] = [];
  for (const group of groups.values()) {
    const entries = [...group.values()];
    const shared = (e: (typeof entries)[number]) => [...e.loads].filter((d) => entries.some((o) => o !== e && o.touched.has(d)));
    // (and the sweep that writes the row the others then read, `residual[c] = a[c] + b[c]` summed as it goes: a pass
    // over it too, which could keep the statistics itself)
    const produced = (e: (typeof entries)[number]) => [...e.touched].filter((d) => !e.loads.has(d) && entries.some((o) => o !== e && o.loads.has(d)));
    const readers = entries.filter((e) => shared(e).length > 0 || produced(e).length > 0);
    for (const e of readers) for (const d of [...shared(e), ...produced(e)]) e.pass.arrays.add(d.slice(0, d.indexOf('[')));
    for (const e of readers) if (produced(e).length > 0 && shared(e).length === 0) e.pass.producer = true;
    const passes = runTogether(readers.map((e) => e.pass).sort((x, y) => x.line - y.line));
    if (passes.length > best.length) best = passes;
  }
  // (two loops of a kernel with `tl.dot` feed products, a chunked recurrence's stages: not a statistic and its reuse)
  // (and two CUDA sweeps of a thread's own row or column that only reduce, a mean and then the squared deviations from it:
  // Welford, or an online max and sum, needs one; the second re-reads the row from DRAM when the threads' rows exceed the caches)
  const reducing = fn.kernelClass !== 'gemm' && best.length === 2 && best.every((p) => !p.writes) && (triton ? maxThenExp(fn, best[0], best[1]) || tritonOnePassForm(fn, best[1]) : onePassForm(fn, best[1]));
  return best.length >= 3 || reducing ? best : [];
}
