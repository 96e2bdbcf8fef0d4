// fusion/elementwise-chain: a host function launching elementwise kernels back to back
// where the later one reads the buffer the earlier one wrote, over the same index
// space, with nothing in between that needs the intermediate (ANALYSIS.md §2,
// "Fusion (host)"). Triton host code is handled by the Triton half of this rule.
import { detail } from '../../common/detail';
import type { FileRule, Rule } from '../../../core/rule';
import { chainFixer } from './fix';
import type { CallFact, FileFacts, FunctionFacts } from '../../../core/facts/model';
import type { BufferUse } from '../../../core/timed-region';
import type { RuleFinding } from '../../../core/types';
import { Poly, recomposeDivMod } from '../../../core/affine';
import { tritonElementwiseChain } from './triton';
import { callsThroughWrappers } from '../../../core/facts/wrappers';
import { launchExtent, otherMultiple, readsPast, sameExtent, symbolic, type Extent } from './elements';
import { perHost } from '../../common/memo';
import { keptAcrossMoves } from '../../../core/facts/shift';
import { isUnfusedBaseline } from '../../common/reference';
import { gemmOf } from '../../common/gemm-shape';
import { visibleCallables } from '../../../core/project';
import { exclusiveArms, neverTogether } from '../../../core/facts/model';
import { positionBefore, rangeHolds } from '../../../core/positions';
import { calledOnlyForSetUp, hasTimedRegion, launchBuffers, setUpLaunch } from '../../../core/timed-region';
import { SMALL_PROBLEM } from '../../../core/launch-shapes';
import { opOf } from '../../../core/baselines';


/** Per kernel: which pointer parameters it writes and reads, and the index forms of each. Kept with the (cached) facts. */
interface KernelBuffers {
  written: number[];
  read: number[];
  /** Canonical index forms of all accesses of each parameter ('?' when unknown). */
  forms: Map<string, Set<string>>;
}
const buffersOf = new WeakMap<FunctionFacts, KernelBuffers>();

function kernelBuffers(k: FunctionFacts): KernelBuffers {
  let b = keptAcrossMoves(buffersOf, k);
  if (b) return b;
  b = { written: [], read: [], forms: new Map() };
  for (const a of k.accesses) {
    if (a.space !== 'global') continue;
    let set = b.forms.get(a.array);
    if (!set) b.forms.set(a.array, (set = new Set()));
    set.add(a.indices.length === 1 ? canonical(a.indices[0]) : '?');
  }
  k.params.forEach((p, i) => {
    if (!p.pointer) return;
    const hits = k.accesses.filter((a) => a.array === p.name && a.space === 'global');
    if (hits.some((a) => a.kind !== 'load')) b!.written.push(i);
    if (hits.some((a) => a.kind !== 'store')) b!.read.push(i);
  });
  buffersOf.set(k, b);
  return b;
}

/** An index form with loop symbols renamed, so `t[i]` in two grid-stride loops compares equal. */
function canonical(p: Poly): string {
  // `(k * n + j) * size + i` rebuilt from `idx / size / n`, `idx / size % n`, `idx % size` is `idx`
  p = recomposeDivMod(p);
  // a grid-stride loop's step (`i * blockDim.x * gridDim.x`) walks the same index space as one pass over it
  // and a flat thread id over a 2-D grid (`(blockIdx.x + blockIdx.y*gridDim.x) * blockDim.x + threadIdx.x`, for
  // more blocks than gridDim.x takes) numbers the same elements as the 1-D `blockIdx.x * blockDim.x + threadIdx.x`
  const spread = (k: string) => (k.includes('#loop') && k.includes('gridDim.')) || (k.includes('blockIdx.y') && k.includes('gridDim.x'));
  let out = new Poly(new Map([...p.terms].filter(([k]) => !spread(k))), p.unknown);
  for (const s of p.symbols()) if (s.startsWith('#loop')) out = out.substitute(s, Poly.sym('#loop'));
  return out.unknown ? '?' : out.toString();
}

/**
 * Element i of the consumer needs element i of the producer: every access of the buffer
 * in both kernels has one and the same index form (not `y[n - 1 - i]`, not `y[idx[i]]`).
 */
function sameElements(k1: FunctionFacts, p1: string, l1: CallFact, k2: FunctionFacts, p2: string, l2: CallFact): boolean {
  const direct = new Set([...(kernelBuffers(k1).forms.get(p1) ?? []), ...(kernelBuffers(k2).forms.get(p2) ?? [])]);
  if (direct.size === 1 && !direct.has('?')) return true;
  // `Y[i*INCY + OFFY]` then `X[i*INCX + OFFX]`: compare with the launches' scalar arguments put in (INCY = 1, OFFY = 0)
  const bound = new Set([...launchForms(k1, p1, l1), ...launchForms(k2, p2, l2)]);
  return bound.size === 1 && !bound.has('?');
}

/** The index forms of a kernel parameter's accesses, with the launch's literal and named scalar arguments substituted. */
function launchForms(k: FunctionFacts, param: string, launch: CallFact): string[] {
  const values = new Map<string, Poly>();
  k.params.forEach((p, i) => {
    const t = launch.args[i]?.replace(/\s+/g, '');
    if (p.pointer || t === undefined) return;
    if (/^-?\d+$/.test(t)) values.set(p.name, Poly.const(Number(t)));
    else if (/^[A-Za-z_][\w.]*$/.test(t)) values.set(p.name, Poly.sym(t));
  });
  return k.accesses
    .filter((a) => a.space === 'global' && a.array === param)
    .map((a) => {
      if (a.indices.length !== 1) return '?';
      let form = a.indices[0];
      for (const [name, v] of values) form = form.substitute(name, v);
      return canonical(form);
    });
}

/**
 * A kernel that adds into one of its buffers element by element (`out[i] += scale * x[in_index]`): whatever an
 * elementwise kernel wrote there just before (a `fill(out, 0)`) folds into its load, however it reads its other operands.
 */
function accumulates(k: FunctionFacts): boolean {
  const b = kernelBuffers(k);
  return b.written.some((i) => b.read.includes(i) && (b.forms.get(k.params[i].name)?.size ?? 0) === 1);
}

/**
 * A kernel each thread of which folds a loop of its own into one output element it stores after the loop (a split-K
 * finish, `acc += partial[s * MN + i]`, then `out[i] = acc`): no thread reads another's values, so an elementwise pass
 * over that output folds into the store. (Not with shared memory, shuffles or atomics: threads combining values.)
 */
function foldsPerThread(k: FunctionFacts): boolean {
  if (k.kernelClass !== 'reduction' || k.shared.length > 0 || k.calls.some((c) => /shfl|reduce|sync/i.test(c.name))) return false;
  const global = k.accesses.filter((a) => a.space === 'global');
  const written = new Set(global.filter((a) => a.kind !== 'load').map((a) => a.array));
  return written.size > 0 && !global.some((a) => a.kind === 'atomic') && global.every((a) => !written.has(a.array) || (a.kind === 'store' && a.loops.length === 0));
}

/** Functional casts and scalar math in conditions between launches (`if (power_ != Dtype(1))`, `pow(shift, p)`). */
const SCALAR_CALL = /^(Dtype|T|float|double|int|unsigned|half|__half|size_t|int64_t|pow|powf|exp|expf|log|logf|sqrt|sqrtf|fabs|fabsf|abs|min|max|std::min|std::max)$/;
/**
 * Calls that may sit between two launches without touching the intermediate: error checks, timing, printing, and a
 * kernel's occupancy or attributes looked up or set for the next launch's grid (`cudaOccupancyMaxActiveBlocksPerMultiprocessor`).
 */
const HARMLESS_CALL = /^(cudaGetLastError|cudaPeekAtLastError|cudaEvent\w+|cudaStreamWaitEvent|cudaOccupancy\w+|cudaFuncGetAttributes|cudaFuncSetAttribute|cudaFuncSetCacheConfig|printf|fprintf|puts|assert|\w*[Cc]heck\w*|\w*CHECK\w*|gpuErrchk|CUDA_CALL)$/;
/** Calls that overwrite or free a buffer without reading it. */
const OVERWRITES_OR_FREES = /^(?:cudaMemset\w*|cudaFree\w*|free|memset)$/;
/** A container's or tensor's accessor (`bottom.size()` in a loop's condition, `top[0]->cpu_diff()`): it reads a size or a pointer, it runs nothing. */
const ACCESSOR_CALL = /(\.|->)(size|count|numel|length|shape|dim|num_axes|(mutable_)?(cpu|gpu)_(data|diff)|data|type)$/;

/** A kernel's op without the digits or words that tell its versions apart (`haxpy2`, `reduce6`, `scale_v2`: `haxpy`, `reduce`, `scale`). */
const variantOf = (name: string): string => opOf(name).replace(/\d+$/, '');
/** Both launches pass the same buffers (by root name, in any order). */
const sameBuffers = (a: CallFact, b: CallFact): boolean => {
  const roots = (c: CallFact) => [...new Set(c.argRoots.filter((r): r is string => !!r))].sort().join();
  return roots(a) !== '' && roots(a) === roots(b);
};

/** A launch that passes a constant of at most SMALL_PROBLEM for the count a one-element-a-thread kernel checks its index against. */
function smallLaunch(k: FunctionFacts, launch: CallFact): boolean {
  const at = k.indexBound ? k.params.findIndex((p) => p.name === k.indexBound) : -1;
  const n = at >= 0 ? launch.argValues?.[at] : undefined;
  return typeof n === 'number' && n <= SMALL_PROBLEM && !k.accesses.some((a) => a.space === 'global' && a.loops.length > 0);
}

function checkHost(host: FunctionFacts, kernels: ReadonlyMap<string, FunctionFacts>, hosts: ReadonlyMap<string, FunctionFacts>): RuleFinding[] {
  const out: RuleFinding[] = [];
  const calls = callsThroughWrappers(host, hosts);
  const launches = calls.filter((c) => c.kind === 'launch');
  const use = launchesIn(kernels, hosts);
  for (const [first, second] of nextLaunches(launches, use)) {
    // the same loops, or the second opens a loop that starts by reading the first's output
    // (`mul(a, b, y); for (i = 2; i < k; ++i) mul(y, x[i], y);`): an n-ary elementwise kernel
    if (first.loops.join() !== second.loops.slice(0, first.loops.length).join()) continue;
    // one of them only every so many steps (`if (step % 20 == 0)` in the time loop): the pair runs together rarely
    if (first.loops.some((l) => !!first.rareIn?.includes(l) !== !!second.rareIn?.includes(l))) continue;
    // one of them a benchmark's set-up or check, outside the region its clocks time, or under a one-shot guard
    // (`if (init_state) { init_state = false; copy_and_cast<<<>>>(...); }`): it runs once
    if (setUpLaunch(host, first, use) || setUpLaunch(host, second, use) || first.once || second.once) continue;
    const k1 = kernels.get(first.name);
    const k2 = kernels.get(second.name);
    // (a consumer that is no elementwise kernel takes a fill, which reads nothing: `fill(out, 0)`, then `out[i] += ...`)
    if (!k1 || !k2 || (k1.kernelClass !== 'elementwise' && !foldsPerThread(k1)) || (k2.kernelClass !== 'elementwise' && !(kernelBuffers(k1).read.length === 0 && accumulates(k2)))) continue;
    // (the pair over a count this launch fixes small, `sgd_update<<<>>>(b, db, lr, OUT)` with OUT = 4,096: launch-bound,
    // so fusing saves a launch and no memory time, as the technique says of tiny arrays)
    if (smallLaunch(k2, second)) continue;
    // the same launch again (a warm-up, then the timed repetitions): a benchmark, not a chain of steps
    if (first.name === second.name && sameTexts(first.args, second.args)) continue;
    // (or two versions of one kernel on the same buffers, `haxpy` then `haxpy2` over `(x, y)` as half and half2: a
    // comparison of the versions, not two steps)
    if (first.name !== second.name && variantOf(first.name) === variantOf(second.name) && sameBuffers(first, second)) continue;
    // launches on two streams, ordered by an event (`cudaStreamWaitEvent`): the split is the code's design, for overlap
    // (a wrapper's stream is its own parameter's name, which says nothing of the caller's streams)
    if (!first.via && !second.via && first.stream !== second.stream) continue;
    if (k1.params.length !== first.args.length || k2.params.length !== second.args.length) continue;
    // never arms of one if/else or switch (at most one runs); launches under separate, sequential
    // conditions (`if (scale != 1) scal(...); if (power != 1) powx(...)`) chain whenever both run
    const s1 = first.scopes ?? [];
    const s2 = second.scopes ?? [];
    const split = s1.findIndex((b, k) => s2[k] !== b);
    if (split >= 0 && split < s2.length && exclusiveArms(s1[split], s2[split])) continue;
    const conditional = split >= 0;
      // a consumer that is no elementwise kernel (a gather into `out[i] += x[i / stride]`) takes only its in-place operand
    const readIdx = k2.kernelClass === 'elementwise' ? kernelBuffers(k2).read : kernelBuffers(k2).read.filter((x) => kernelBuffers(k2).written.includes(x));
    let buffer: string | undefined;
    let extent: Extent | null = null;
    let guessed: [string, string] | null = null;
    // two of the caller's own size parameters (`n_padded`, `n`) are different sizes on purpose
    const hostParam = (t: string) => host.params.some((p) => p.name === t);
    // every buffer the first writes and the second reads must pass element to element: a read at a neighbour's index
    // (`c[iS[row] + Nr * col]`, written by another thread of the first) needs a grid-wide barrier between the two
    const crossing = kernelBuffers(k1).written.some((j) => {
      const b = first.argRoots[j];
      const r = b ? kernelBuffers(k2).read.find((x) => second.argRoots[x] === b && !disjointSlices(first.args[j], second.args[x])) : undefined;
      return r !== undefined && !sameElements(k1, k1.params[j].name, first, k2, k2.params[r].name, second);
    });
    // and every buffer the second writes that the first reads must too: a force kernel reading every body's position
    // (`px[j]`) and an integrator writing `px[i]` cannot fuse, as other threads would still read the old positions
    const overwrites = kernelBuffers(k2).written.some((j) => {
      const b = second.argRoots[j];
      const r = b ? kernelBuffers(k1).read.find((x) => first.argRoots[x] === b && !disjointSlices(second.args[j], first.args[x])) : undefined;
      return r !== undefined && !sameElements(k1, k1.params[r].name, first, k2, k2.params[j].name, second);
    });
    if (crossing || overwrites) continue;
    for (const j of kernelBuffers(k1).written) {
      const b = first.argRoots[j];
      const r = readIdx.find((x) => second.argRoots[x] === b && !disjointSlices(first.args[j], second.args[x]) && !shifted(first.args[j], second.args[x]));
      if (!b || r === undefined || !sameElements(k1, k1.params[j].name, first, k2, k2.params[r].name, second)) continue;
      // a fill that reads nothing (`init(a, 1.0f)`) and a kernel that only reads what it filled: the data's set-up, whose
      // fusion would fold a constant into the input; a zero-fill the next kernel adds into (`out[i] += ...`) folds for real
      if (kernelBuffers(k1).read.length === 0 && !kernelBuffers(k2).written.includes(r)) continue;
      // same extent: both bounds-checks cover the same bits of the buffer (`n` floats, `n / 4` float4 packs)
      const e1 = launchExtent(k1, first, k1.params[j].name);
      const e2 = launchExtent(k2, second, k2.params[r].name);
          if (e1 && e2 && sameExtent(e1, e2)) {
        buffer = b;
        extent = e1;
        guessed = null;
      } else if (e1 && e2 && !extent && symbolic(e1) && symbolic(e2) && !readsPast(e1, e2) && !(hostParam(e1.text) && hostParam(e2.text)) && !otherMultiple(e1, e2)) {
        // two names for what is usually one count (`size` and `l.outputs*l.batch`): a guess, said as such
        buffer = b;
        guessed = [e1.text, e2.text];
      }
    }
    if (!buffer || (!extent && !guessed)) continue;
    // a loop the second launch opens must fold its steps into the buffer (`mul(y, x[i], y)`): a set-up kernel before an
    // iteration loop whose body starts by reading it (`extract` once, then `prepare` each step) saves one read in the run
    if (second.loops.length > first.loops.length && !kernelBuffers(k2).written.some((w) => second.argRoots[w] === buffer)) continue;
    // passes over a GEMM's output right after the GEMM are its epilogue (fusion/gemm-epilogue says so, once)
    const writer = [...calls.slice(0, calls.indexOf(first))].reverse().find((c) => c.kind !== 'sync' && c.argRoots.includes(buffer!));
    // (one GEMM in the same loops: a GEMM per slice in a loop, `gemm(..., c + i * n)` per image, leaves a whole-buffer pass that is no epilogue)
    // (unless the second pass also reads a later GEMM's output, llama2's `silu(hb) * hb2` after the GEMVs of hb and hb2:
    // the first GEMM's epilogue cannot take it, and the two passes fuse with each other)
    const laterGemm = () => kernelBuffers(k2).read.some((j) => calls.slice(calls.indexOf(writer!) + 1, calls.indexOf(second)).some((c) => c !== first && gemmOf(c, kernels, hosts)?.output === second.argRoots[j]));
    if (writer && writer.loops.join() === first.loops.join() && gemmOf(writer, kernels, hosts)?.output === buffer && !laterGemm()) continue;
    const b1 = extent?.text ?? guessed![0];
    // same index space: both bounds-check the thread index against the same argument
    const sameShape = first.grid === second.grid && first.block === second.block;
    // nothing in between may use the intermediate: a copy, a library call, a host access
    if (first.range === second.range) continue; // two launches inside one wrapper call: the wrapper's own business
    // (what sits in another arm of the branch the second launch is in never runs before it)
    // (not the error check wrapped around the second, `checkCudaErrors(cublasSaxpy(...))`: it only tests its status)
    const between = calls.filter((c) => c !== first && c !== second && positionBefore(first.range.end, c.range.start) && positionBefore(c.range.start, second.range.start) && !neverTogether(c.scopes, second.scopes) &&
      !(HARMLESS_CALL.test(c.name) && rangeHolds(c.range, second.range.start)));
    // anything else in between may use the intermediate through a name we cannot follow
    // (`thrust::reduce(y.begin(), y.end())` on the vector behind the raw pointer)
    const mentions = new RegExp(`\\b${buffer.replace(/[^\w]/g, '\\$&')}\\b`);
    const harmless = (c: CallFact) => HARMLESS_CALL.test(c.name) || (ACCESSOR_CALL.test(c.name) && c.args.length <= 1) || SCALAR_CALL.test(c.name) || host.templateParams.includes(c.name) ||
      // (a launch, or a wrapper's, on buffers neither of the two touches)
      (c.kind === 'launch' && apart(c, first, use) && apart(c, second, use));
    if (between.some((c) => c.kind !== 'sync' && (!harmless(c) || c.args.some((a) => mentions.test(a))))) continue;
    if (host.accesses.some((a) => a.array === buffer && positionBefore(first.range.start, a.range.start) && positionBefore(a.range.start, second.range.start))) continue;
    const shown = (l: CallFact) => (l.via ? `\`${l.via}\` (launching \`${l.name}\`)` : `\`${l.name}\``);
    // (an intermediate the host goes on to read, a copy from it after the pair (`cudaMemcpy(h_sq, d_sq, ...)`) or a launch
    // that loads it, stays written by the fused kernel: the read back and the launch are what go; an overwrite or a
    // `cudaMemset` reads nothing)
    // (the first later call that touches it decides: `square<<<>>>(d_a, d_tmp)` or `cudaMemset(d_tmp, ...)` overwrites it,
    // `cudaFree` drops it; a copy from it, a launch that loads it, or any call we cannot see into may read it)
    const readsIt = (c: CallFact) => c.kind === 'copy' ? c.argRoots[0] !== buffer : c.kind === 'launch' ? !!use(c)?.reads.has(buffer!) : !OVERWRITES_OR_FREES.test(c.name);
    const next = calls.find((c) => c !== second && c.kind !== 'sync' && positionBefore(second.range.end, c.range.start) && !neverTogether(c.scopes, second.scopes) && c.argRoots.includes(buffer!));
    // (or read again when the steps repeat: by a launch before the pair in the loop around it, or in a stream capture a
    // graph replays, `y = a * x + y` of the next step reading the `y` this step left)
    const replayed = host.calls.some((c) => c.name === 'cudaStreamBeginCapture' && positionBefore(c.range.start, first.range.start)) && host.calls.some((c) => /^cudaGraphLaunch$/.test(c.name) && c.loops.length > 0);
    const repeats = (c: CallFact) => (first.loops.length > 0 && c.loops.includes(first.loops[first.loops.length - 1])) || (replayed && c.loops.length === first.loops.length);
    const readNextStep = !next && calls.some((c) => c.kind === 'launch' && positionBefore(c.range.start, first.range.start) && repeats(c) && !!use(c)?.reads.has(buffer!));
    const readLater = (!!next && readsIt(next)) || readNextStep;
    // (a buffer the caller hands in, a pointer parameter or a member, may be read after this function returns: the
    // fused kernel still writes it, as the fix does)
    const callers = !readLater && !next && (host.params.some((p) => p.pointer && p.name === buffer) || /[.>]/.test(buffer));
    const kept = readLater || callers;
    const why = readLater ? 'is read later' : 'is the caller\'s';
    // a wrapper that launches one of two kernels (`if (logistic) k1<<<...>>> else k2<<<...>>>`) is one call: one finding
    const at = second.nameRange.start;
    if (out.some((f) => f.range.start.line === at.line && f.range.start.column === at.column)) continue;
    out.push({
      range: second.nameRange,
      function: host.name,
      confidence: guessed ? 'heuristic' : sameShape && !conditional ? 'proven' : 'likely',
      assumptions: [
        ...(guessed ? [`assumes \`${guessed[0]}\` and \`${guessed[1]}\` are the same count (both launches cover the whole buffer)`] : []),
        ...(sameShape || guessed ? [] : [`assumes both launches cover the same \`${b1}\` elements (their grid/block shapes differ)`]),
        ...(conditional ? [`the first launch runs only under its own condition: the fused kernel needs that condition as a flag`] : []),
      ],
      message: `\`${second.via ?? second.name}\` reads back \`${buffer}\` that \`${first.via ?? first.name}\` just wrote: an extra ${kept ? `read and launch (\`${buffer}\` ${why}: still written)` : 'write, read and launch'}`,
      detail: detail(
        `${shown(second)} reads \`${buffer}\`, which ${shown(first)} wrote just before over the same \`${b1}\` elements, and nothing in between needs \`${buffer}\`.`,
        kept
          ? `Fuse the two elementwise kernels into one that keeps each value in a register: one launch instead of two, and \`${buffer}\` is still written (${readLater ? 'it is read later' : 'the caller may read it'}) but no longer read back.`
          : `Fuse the two elementwise kernels into one that keeps each value in a register: one launch instead of two, and \`${buffer}\` is no longer written and read back through global memory (drop it if nothing else reads it).`,
      ),
      benefit: kept
        ? 'saves a full read of the intermediate plus a launch: three passes over memory instead of four (the 1.84x measured on an H200 also drops the intermediate\'s write)'
        : 'saves a full write and a full read of the intermediate plus a launch; on an H200, a scale kernel followed by a bias+relu kernel over 2^28 floats went from 1.764 ms to 0.958 ms fused (1.84x)',
      related: [{ range: first.nameRange, message: `${shown(first)} writes \`${buffer}\` here` }],
    });
  }
  return out;
}

/**
 * Each launch with the one after it, and with that one's alternatives (`fill(out); if (reverse) up(x, out) else
 * up(out, x)`): the launches in the other arms of the branch the next launch sits in, each of which may run next.
 */
function* nextLaunches(launches: readonly CallFact[], use: (d: CallFact) => BufferUse | null): Generator<[CallFact, CallFact]> {
  for (let i = 0; i + 1 < launches.length; i++) {
    yield [launches[i], launches[i + 1]];
    for (let j = i + 2; j < launches.length && launches.slice(i + 1, j).every((l) => neverTogether(l.scopes, launches[j].scopes)); j++) yield [launches[i], launches[j]];
    // and past launches on other buffers (`Add(u, du, nu); Add(v, dv, nv); Scale(nu)`, the same update of two fields)
    for (let j = i + 2; j < launches.length && j <= i + 1 + MAX_APART && apart(launches[j - 1], launches[i], use); j++) yield [launches[i], launches[j]];
  }
}
/** How many launches on other buffers may sit between the two of a chain. */
const MAX_APART = 2;
/** Launch `l` reads and writes none of the buffers `of` reads or writes, both known. */
function apart(l: CallFact, of: CallFact, use: (d: CallFact) => BufferUse | null): boolean {
  const [a, b] = [use(l), use(of)];
  if (!a || !b) return false;
  const theirs = new Set([...b.reads, ...b.writes]);
  return ![...a.reads, ...a.writes].some((x) => theirs.has(x));
}

/** What a launch, or a call of a host function that launches (a wrapper), reads and writes; null for other calls. */
const launchesIn = (kernels: ReadonlyMap<string, FunctionFacts>, hosts: ReadonlyMap<string, FunctionFacts>) =>
  launchBuffers((name) => kernels.get(name), (name) => (hosts.get(name)?.calls.some((x) => x.kind === 'launch') ? hosts.get(name) : undefined));

/** The names of the file's host functions that a benchmark driver of the project calls only outside its timed region. */
function setUpWrappers(mine: readonly FunctionFacts[], kernels: ReadonlyMap<string, FunctionFacts>, hosts: ReadonlyMap<string, FunctionFacts>): ReadonlySet<string> {
  const drivers = [...hosts.values()].filter(hasTimedRegion);
  if (!drivers.length) return new Set();
  const use = launchesIn(kernels, hosts);
  return new Set(mine.filter((h) => calledOnlyForSetUp(h.name, hosts.values(), use)).map((h) => h.name));
}

// an edit elsewhere leaves a host's findings as they were, while the kernels and wrappers it reads are the same facts objects
const hostCached = perHost((h, c) => checkHost(h, c.kernels, c.hosts));

export const rule: Rule = {
  id: 'fusion/elementwise-chain',
  languages: ['cuda', 'cpp', 'triton'], // .cpp host code calls launch wrappers too
  defaultSeverity: 'information',
  check(facts: FileFacts) {
    if (facts.language === 'triton') return tritonElementwiseChain(facts);
    // this file's kernels and host functions win over the project's (wrappers defined in other files)
    const callables = visibleCallables(facts);
    // (nor a wrapper a benchmark calls only as its set-up, `prepare(w)` before its events: its chain runs once)
    const setUp = setUpWrappers(callables.mine, callables.kernels, callables.hosts);
    return callables.mine.filter((h) => !isUnfusedBaseline(h.name) && !setUp.has(h.name)).flatMap((h) => hostCached(h, callables));
  },
  // writes the fused kernel (fix.ts); it reads the rule's other findings to fuse a whole chain
  fix: chainFixer((facts) => (rule as FileRule).check(facts)),
};

/** `tmp + 1 * n` and `tmp + 2 * n`: slices of one buffer at different multiples of one size, which never overlap. */
function disjointSlices(a: string | undefined, b: string | undefined): boolean {
  const slice = (t: string | undefined) => {
    const m = /^\s*([A-Za-z_][\w.>-]*)\s*\+\s*(\d+)\s*\*\s*([A-Za-z_][\w.>-]*)\s*$/.exec(t ?? '');
    return m ? { base: m[1], k: Number(m[2]), size: m[3] } : null;
  };
  const x = slice(a);
  const y = slice(b);
  return !!x && !!y && x.base === y.base && x.size === y.size && x.k !== y.k;
}

const squeeze = (t: string | undefined) => (t ?? '').replace(/\s+/g, '');
const sameTexts = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((t, i) => squeeze(t) === squeeze(b[i]));

/**
 * `d_data` written, `d_data + half_n` read (two halves on two streams), or `y` and `y + 1`: the
 * second launch's thread i reads what another thread of the first wrote, or nothing it wrote;
 * not an elementwise chain either way.
 */
function shifted(a: string | undefined, b: string | undefined): boolean {
  const x = squeeze(a);
  const y = squeeze(b);
  return x !== y && /[+-]/.test(x + y) && /^[A-Za-z_][\w.>-]*$/.test(x.replace(/[+-].*$/, ''));
}
