// overlap/sync-transfer: a host loop that launches device work (kernels, directly or
// through launch wrappers and cuBLAS-style library calls) and, in the same iteration,
// blocks the host on the device: a synchronous `cudaMemcpy` (not device-to-device),
// `cudaDeviceSynchronize` / `cudaThreadSynchronize`, or `cudaStreamSynchronize` on one
// stream. Each iteration then waits for the GPU to drain before the next launch is
// queued, and transfers cannot overlap kernels. A host function that launches and blocks
// and is itself called inside a loop of the file (a per-chunk `step()`) counts too.
// Quiet on copies and syncs outside loops (set-up, final read-back, validation), on copies of
// one scalar the loop decides on (`cudaMemcpy(&count, ...)` then `if (count == 0) break`, or
// the next launch's grid) and of `__constant__` tables (`cudaMemcpyToSymbol`: the next launch
// reads them), on
// `cudaMemcpyAsync` + streams, on waits for one stream of an array (`cudaStreamSynchronize(
// streams[s])`: buffer-reuse waits of a stream pipeline), on event syncs (timing), on
// loops that allocate device memory each iteration (per-configuration test harnesses), on
// loops that read a clock or record events (a benchmark times each launch: the sync is the
// measurement) and on loops of a few constant iterations (warm-up runs).
// Python host code (Triton/PyTorch: `.item()`, `.cpu()`, `torch.cuda.synchronize()`) is
// handled by triton.ts.
import { LAST_STEP_FLAG } from '../../../core/facts/loop-forms';
import { detail } from '../../common/detail';
import type { Rule } from '../../../core/rule';
import { copiesToHost, type CallFact, type FileFacts, type FunctionFacts, type LoopFact } from '../../../core/facts/model';
import type { RelatedLocation, RuleFinding } from '../../../core/types';
import { positionBefore } from '../../../core/positions';
import { callsThroughWrappers } from '../../../core/facts/wrappers';
import { DEVICE_ALLOCATION } from '../../../core/facts/library';
import { baseName, visibleCallables } from '../../../core/project';
import { isReferenceOracle } from '../../common/reference';
import { constantTrip, fileConstants } from '../../common/file-constants';
import { tritonSyncTransfer } from './triton';
import { fix } from './fix';
import { TIMER_CLASS, carriesData, hasTimedRegion, insideTimedRegion, isClockRead, launchBuffers, type BufferUse } from '../../../core/timed-region';
import { boundedMemo } from '../../../core/bounded-memo';
import { calledToLoad, loadingLoop } from '../../../core/launch-shapes';

export const BENEFIT_COPY =
  'on an H200, 16 chunks of 64 MB moved with pageable synchronous cudaMemcpy and one kernel per chunk reached 11.3 GB/s effective; with pinned buffers and cudaMemcpyAsync on 4 streams, 94.3 GB/s (8.33x)';
export const BENEFIT_SYNC =
  'removes one host-device round trip per iteration, so launches queue ahead of the GPU (not measured on its own; the measured case with per-chunk transfers, pageable cudaMemcpy -> pinned + cudaMemcpyAsync on 4 streams, was 11.3 -> 94.3 GB/s, 8.33x, on an H200)';

const BLOCKING_COPY = /^(cudaMemcpy|cudaMemcpy2D|cudaMemcpy3D|cudaMemcpyToSymbol|cudaMemcpyFromSymbol|cudaMemcpyPeer)$/;
const DEVICE_SYNC = /^(cudaDeviceSynchronize|cudaThreadSynchronize)$/;
/** Library calls that queue device work like a launch. */
const LIBRARY_WORK = /^(cublas\w*(gemm|gemv|Gemm|Gemv|axpy|scal|dot|nrm2|copy|trsm|syrk)\w*|cublasLtMatmul|cufftExec\w*|cusparse\w*(SpMV|SpMM|mv|mm)\w*|cudnn(Convolution|Activation|Softmax|Pooling|BatchNorm|AddTensor)\w*|cudaLaunchKernel|cudaLaunchCooperativeKernel|cudaGraphLaunch)$/;
/** cuBLAS level-1 reductions that return one value (to a host pointer, unless the handle is in device pointer mode). */
const HOST_SCALAR_RESULT = /^cublas(?:[SDCZ]|Sc|Dz)?(?:nrm2|dot[uc]?|asum)(?:_v2)?(?:_64)?$|^cublasI[sdcz]am(?:ax|in)(?:_v2)?(?:_64)?$/;
/** Per-iteration allocation or free: the loop is a harness that sets everything up again each time. */
const isAllocation = (c: CallFact) => DEVICE_ALLOCATION.test(c.name) || c.name === 'cudaFree';
/**
 * An allocation, or a call of a helper of the file that allocates every time it runs (`alloc_half(n)` wrapping
 * `cudaMalloc`; not a workspace allocated on the first call only, `if (!ws) cudaMalloc(&ws, ...)`).
 */
const allocates = (c: CallFact, hosts: ReadonlyMap<string, FunctionFacts>) => {
  const helper = c.kind === 'call' ? hosts.get(calleeName(c)) : undefined;
  return isAllocation(c) || (!!helper && !perCallScratch(helper) && helper.calls.some((d) => isAllocation(d) && everyTime(d)));
};
const everyTime = (d: CallFact) => d.loops.length === 0 && !d.scopes?.length;
/**
 * A function that allocates device memory and frees it again on every call (streamcluster's `pgain`, its scratch
 * `cudaMalloc`ed and `cudaFree`d each time): no set-up, it runs whenever its caller's loop does.
 */
const perCallScratch = (f: FunctionFacts) => f.calls.some((d) => DEVICE_ALLOCATION.test(d.name) && everyTime(d)) && f.calls.some((d) => d.name === 'cudaFree' && everyTime(d));

/**
 * `cudaFree` of scratch the same body allocates, after its device work and in the same arms as that work (every time
 * it runs, not on an error path or a grow-only reallocation): it waits for the device before it frees.
 */
const freesScratch = (c: CallFact, body: readonly CallFact[], work: readonly CallFact[]) =>
  c.name === 'cudaFree' && !!c.argRoots[0] &&
  body.some((a) => DEVICE_ALLOCATION.test(a.name) && a.argRoots[0] === c.argRoots[0] && positionBefore(a.range.start, c.range.start)) &&
  work.some((w) => positionBefore(w.range.start, c.range.start) && sameArms(w, c));

/** Host clocks and timing events (`get_time()`, `std::chrono::steady_clock::now()`, `cudaEventRecord`): timed-region.ts's, and timer objects. */
const isTiming = (c: CallFact, fn: FunctionFacts): boolean => isClockRead(c, fn) || TIMER_CLASS.test(c.name) || TIMER_CLASS.test(c.scope ?? '');

/** A validation of a result against the expected one (`validateSortedKeys`, `verify_result`, `compareResults`). */
const VALIDATION = /^(?:sdk)?(?:[Vv]alidate|[Vv]erify|[Cc]ompare)(?:[A-Z_]|$)|_(?:validate|verify)(?:_|$)/;

/** A call that hands the loop's next batch to the program: `dataloader_next_batch(&loader)`, `next_batch(...)`, `load_batch(...)`. */
const NEXT_BATCH = /(?:^|_|\.)(?:next_?batch|load_?batch|get_?batch|dataloader\w*)$|^(?:next|load)_(?:batch|sample)s?\b/i;

/**
 * A loop whose steps each work on their own data (a training loop timing its steps with `clock_gettime`: `gpt2_forward(&model,
 * batches[step], ...)`, `dataloader_next_batch(&loader)` then the step, `gpt2_update(..., step + 1)`): the program's own
 * run, whose waits cost it, not a benchmark's repetitions of one measurement.
 */
function feedsSteps(f: FunctionFacts, loop: LoopFact): boolean {
  // (not the validation of a size's result, `validateSortedKeys(h_Out, h_In, N / arrayLength, arrayLength, ...)` of a
  // sweep over sizes; a `check_loss(loss, step)` or `check_converged(...)` of a run's own steps still feeds them)
  const inLoop = f.calls.filter((c) => c.loops.includes(loop.id) && c.kind === 'call' && !isTiming(c, f) && !/printf$|^std::|^cuda/.test(c.name) && !VALIDATION.test(c.name));
  const mentions = loop.variable ? new RegExp(`(?<![\\w.])${loop.variable}(?!\\w)`) : null;
  return inLoop.some((c) => NEXT_BATCH.test(c.name) || (!!mentions && c.args.some((a) => mentions.test(a))));
}
/** Iterations of a warm-up loop (`for (i = 0; i < 3; i++)`): too few for the idle GPU to matter. */
const FEW_ITERATIONS = 8;
/** Launches an inner loop queues between two waits of the loop around it, from which on the wait is amortized. */
const MANY_LAUNCHES = 16;
/** An inner loop over a run's batches or steps (`b < num_batches`, `step < steps_per_epoch`), by its names. */
const BATCH_LOOP = /batch|step|iter|sample|^\s*n_?b\b|\bn_?b\s*$/i;
/** A host function that copies a result back and then reads it in a loop of its own (compares it, a check). */
function checksCopiedResult(f: FunctionFacts): boolean {
  return f.calls.some((c) => copiesToHost(c) && !!c.argRoots[0] &&
    f.accesses.some((a) => a.kind === 'load' && a.array === c.argRoots[0] && a.loops.length > 0 && positionBefore(c.range.start, a.range.start)));
}

/** One step spread over parts (layers, devices, streams, heads, chunks; gradient accumulation's micro-steps): as many launches as parts, each step. */
const FAN_OUT_LOOP = /layer|gpu|dev|stream|head|chunk|part|shard|rank|accum|micro/i;

/**
 * Whether a loop of a few iterations is a warm-up or a sweep of settings: outside the region a driver times, or
 * one whose iterations do not each upload a chunk of their own and download a result. A program timing nothing that
 * uploads, processes and downloads each of 8 images in turn (`h_deltas + img * n`) does the work in those
 * iterations, and overlapping them is what streams are for; a pass over six block sizes re-uploading the same input
 * is a check.
 */
function warmUp(host: FunctionFacts, inLoop: readonly CallFact[], loop: LoopFact): boolean {
  // (before a driver's clocks, or after them: a warm-up or a check)
  if (!loop.variable || (hasTimedRegion(host) && !insideTimedRegion(host, loop))) return true;
  // (blocking or not: `cudaMemcpyAsync` per chunk then a device-wide sync is the same pipeline, serialized)
  const copies = inLoop.filter((c) => c.kind === 'copy');
  const named = (c: CallFact, kind: 'HostToDevice' | 'DeviceToHost') => c.args.some((a) => a.includes(`Memcpy${kind}`));
  // (the host side at the loop's variable, or at an offset into a larger buffer: `&h[offset]`, `h + i * chunk`)
  const chunk = (arg: string | undefined) => !!arg && (names(loop.variable!, arg) || /\[[^\]]*[A-Za-z_][^\]]*\]|\+\s*[A-Za-z_(]/.test(arg));
  const uploadsChunk = copies.some((c) => named(c, 'HostToDevice') && chunk(c.args[1]));
  return !uploadsChunk || !copies.some((c) => named(c, 'DeviceToHost'));
}

/**
 * A sweep over problem sizes, `for (n = 1; n <= maxN; n *= 2)`: each iteration is one test case at its size, its copies
 * and launches sized by the loop's variable, checked on the host before the next: cases in turn, not one run's steps.
 */
function sizeSweep(loop: LoopFact, inLoop: readonly CallFact[]): boolean {
  if (!loop.variable || !loop.factor || (loop.factor < 2 && loop.factor > 0.5)) return false;
  const mentions = new RegExp(`(?<![\\w.])${loop.variable}(?!\\w)`);
  const sized = (c: CallFact) => c.args.some((a) => mentions.test(a));
  return inLoop.some((c) => c.kind === 'copy' && sized(c)) && inLoop.some((c) => c.kind === 'launch' && sized(c));
}

/** The callee name without an object or namespace (`ops[i].run` -> `run`, `Op::run` -> `run`). */
const calleeName = (c: CallFact): string => bareName(c.name);
const bareName = boundedMemo((name) => baseName(name).replace(/^.*(?:\.|->|::)/, ''), 10_000);

/** Does this call block the host until the device (or one stream of it) has drained? */
export function blockingKind(c: CallFact): 'copy' | 'sync' | null {
  if (c.kind === 'copy' && BLOCKING_COPY.test(c.name)) {
    if (c.args.some((a) => /\bcudaMemcpyDeviceToDevice\b/.test(a))) return null;
    // a table for `__constant__` memory that the next launch reads: the upload is part of the algorithm
    if (c.name === 'cudaMemcpyToSymbol') return null;
    return 'copy';
  }
  // an ATen read-back in C++ (`mask.cpu()`, `t.to(at::kCPU)`, `n.item<int64_t>()`): a synchronous device-to-host copy
  if (c.kind === 'call' && atenReadBack(c)) return 'copy';
  // a cuBLAS reduction into a host scalar (`cublasSnrm2(h, n, x, 1, &err)`, the default pointer mode): it waits for the result
  if (hostScalarResult(c) !== null) return 'sync';
  if (c.kind !== 'sync') return null;
  if (DEVICE_SYNC.test(c.name)) return 'sync';
  // one stream of an array (`streams[s]`): a pipeline waiting before it reuses that slot's buffers
  if (c.name === 'cudaStreamSynchronize') return /\[/.test(c.args[0] ?? '') ? null : 'sync';
  return null; // cudaEventSynchronize: timing
}

/** `x.cpu()`, `x.item<T>()`, `x.to(at::kCPU)` of a torch-extension's C++ (what Python's `.cpu()` / `.item()` are). */
function atenReadBack(c: CallFact): boolean {
  if (/(?:\.|->)(?:cpu|item(?:<[^<>]*>)?)$/.test(c.name)) return c.args.length === 0;
  return /(?:\.|->)to$/.test(c.name) && /^(?:(?:at|torch|c10)::)?(?:kCPU|Device(?:Type)?::CPU)$/.test((c.args[0] ?? '').trim());
}

/** A variable the test reads whose address the function hands to a CUDA call (`make_cudaPitchedPtr(&sum, ...)`, `cudaMallocManaged(&flag, ...)`). */
function deviceFilled(test: string, calls: readonly CallFact[]): boolean {
  const names = new Set(test.match(/[A-Za-z_]\w*/g) ?? []);
  // (not an upload: `cudaMemcpyToSymbol(c_params, &params, ...)` reads the host's value, the device fills nothing)
  return calls.some((d) => DEVICE_FILLS.test(d.name) && !d.args.some((a) => /HostToDevice/.test(a)) && d.args.some((a) => {
    // (a member too, `&s->shared_data` of a run state, read as `s->shared_data->tokens[pos]`: its last name)
    const v = /^(?:\(\s*void\s*\*+\s*\)\s*)?&\s*(?:[A-Za-z_]\w*\s*(?:->|\.)\s*)*([A-Za-z_]\w*)$/.exec(a.trim())?.[1];
    return v !== undefined && names.has(v);
  }));
}
/** Calls through which the device writes a host variable: a graph's memcpy node (its pitched pointers), managed or mapped memory. */
const DEVICE_FILLS = /^(?:make_cudaPitchedPtr|cudaGraphAddMemcpyNode1D|cudaGraphAddMemcpyNode|cudaMallocManaged|cudaHostAlloc|cudaMallocHost|cudaHostGetDevicePointer)$/;

/** The host scalar a cuBLAS reduction writes (`cublasSnrm2(h, n, r, 1, &res)`: `res`), or null. */
function hostScalarResult(c: CallFact): string | null {
  return c.kind === 'call' && HOST_SCALAR_RESULT.test(c.name) ? /^&\s*([A-Za-z_]\w*)$/.exec(c.args[c.args.length - 1]?.trim() ?? '')?.[1] ?? null : null;
}

/** A copy's size of one scalar: `sizeof(int)`, or its bytes written out (`4`). */
const oneScalarSize = (size: string | undefined): boolean => /^sizeof\s*\(\s*[\w\s]+\)$|^[1248]$/.test(size?.trim() ?? '');

/** The host variable of a copy of one scalar (`cudaMemcpy(&count, d_count, sizeof(int), ...)`, either way; `4` or `8` bytes written out), or null. */
function oneValue(c: CallFact): string | null {
  const [dst, src, size] = c.args;
  if (!oneScalarSize(size)) return null;
  return [dst, src].map((a) => /^&\s*(\w+)$/.exec(a?.trim() ?? '')?.[1]).find((v) => v !== undefined) ?? null;
}

/**
 * A scalar the loop needs to go on: a frontier's size or a convergence flag read back to decide
 * whether to stop (the loop leaves early, or tests it) or how wide the next launch is, and the sync
 * that waits for one copied back asynchronously in a loop that can leave early. A value only logged
 * or collected (`history.push_back(loss)`) is not: reading it later would do.
 */
function decidesLoop(c: CallFact, loop: LoopFact, inLoop: readonly CallFact[], calls: readonly CallFact[] = []): boolean {
  // a wait for one value copied back asynchronously that the loop may leave on (a decode loop's next token:
  // `cudaMemcpyAsync(h_next, d_next, sizeof(int), ...)`, the sync, then `if (next == EOS) break`): the host needs it
  // before the next step. (Beside a synchronous copy, which waits anyway, the sync is one wait too many; and an exit
  // with no value read back, an error check's `return`, needs no wait.)
  if (c.kind === 'sync') {
    const scalarBack = (d: CallFact) => d.kind === 'copy' && blockingKind(d) === null && /Async$/.test(d.name) && /DeviceToHost/.test(d.args.join()) && oneScalarSize(d.args[2]) && positionBefore(d.range.start, c.range.start);
    // (the loop's own condition too, `do { ...; cudaDeviceSynchronize(); } while (*changed)` on a managed flag)
    const tested = [...(loop.exitTests ?? []), ...(loop.kind !== 'for' && loop.condition ? [loop.condition] : [])];
    if ((!loop.exits && !tested.length) || inLoop.some((d) => blockingKind(d) === 'copy')) return false;
    // (or a host scalar the device fills without a copy call in the loop: a graph's memcpy node writing into `&sum`,
    // managed or mapped memory, which the loop's `if (sum <= tol) break;` reads after the wait)
    // (also through a local the test reads, set after the wait: `int next = shared->tokens[pos + 1]; if (next == EOS) break;`)
    const afterWait = (loop.exitSources ?? []).filter((x) => positionBefore(c.range.start, x.at)).map((x) => x.text);
    return (!!loop.exits && inLoop.some(scalarBack)) || [...tested, ...afterWait].some((t) => deviceFilled(t, calls));
  }
  const v = oneValue(c) ?? hostScalarResult(c);
  if (v === null) return false;
  const mentions = (text: string | null | undefined) => names(v, text);
  // (or through a local the condition tests, set from it after the copy: `error = sqrtf(l2)` of `while (error > tol)`)
  const setFrom = (loop.exitSources ?? []).some((x) => mentions(x.text) && positionBefore(c.range.start, x.at));
  return !!loop.exits || mentions(loop.bound) || mentions(loop.condition) || setFrom || inLoop.some((l) => sizes(v, l));
}

/** A timed `loop` beside another loop of `host` that launches a kernel of `work` on a stream and copies asynchronously: its serialized twin. */
function streamedTwin(host: FunctionFacts, loop: LoopFact, work: readonly CallFact[]): boolean {
  // (a reference is measured: the loop sits between clock reads; a solver loop after a streamed upload is the work)
  if (!insideTimedRegion(host, loop)) return false;
  const kernels = new Set(work.filter((c) => c.kind === 'launch').map((c) => c.name));
  const elsewhere = host.calls.filter((c) => !c.loops.includes(loop.id) && c.loops.length > 0);
  return elsewhere.some((c) => c.kind === 'launch' && !!c.stream && c.stream !== '0' && kernels.has(c.name)) &&
    elsewhere.some((c) => c.kind === 'copy' && /Async$/.test(c.name));
}

/** A time the function divides by the loop's count after it (`printf("%f ms", ms / NT)`, `return ms / reps`): the loop repeats a measurement. */
function averagedOver(host: FunctionFacts, loop: LoopFact): boolean {
  const bound = loop.bound?.trim() ?? '';
  if (!/^[A-Za-z_]\w*$/.test(bound)) return false;
  const divides = (a: string) => a.includes('/') && (a.slice(a.indexOf('/') + 1).match(/[A-Za-z_]\w*/g) ?? ([] as string[])).includes(bound);
  return host.calls.some((c) => c.range.start.line > loop.range.end.line && c.args.some(divides));
}


/**
 * Host functions a driver times against a streamed twin (`process_sync` and `process_streams` between the clock reads
 * of `main`, or each timing itself, the twin launching the same kernel on a stream with asynchronous copies): the serialized baseline, as
 * streamedTwin finds it when both loops sit in one function.
 */
function serializedTwins(mine: readonly FunctionFacts[], hosts: ReadonlyMap<string, FunctionFacts>): ReadonlySet<string> {
  const out = new Set<string>();
  const kernelsOf = (f: FunctionFacts | undefined) => new Set((f?.calls ?? []).filter((c) => c.kind === 'launch').map((c) => c.name));
  // (in a loop over the streams, or of more than a warm-up's few steps: two launches on two streams to wake the GPU are no twin)
  const manySteps = (f: FunctionFacts, c: CallFact) => c.loops.some((id) => {
    const l = f.loops.find((x) => x.id === id);
    return (l?.trips ?? Infinity) > FEW_ITERATIONS || /stream/i.test(`${l?.variable ?? ''} ${l?.bound ?? ''}`);
  });
  const streamed = (f: FunctionFacts | undefined) => !!f && f.calls.some((c) => c.kind === 'launch' && !!c.stream && c.stream !== '0' && manySteps(f, c)) && f.calls.some((c) => c.kind === 'copy' && /Async$/.test(c.name));
  for (const driver of mine) {
    // (timed by the driver's clock reads, or each by its own: `run_serial` and `run_streams` recording events around their loops)
    const timed = driver.calls.filter((c) => c.kind === 'call' && hosts.has(calleeName(c)) && (insideTimedRegion(driver, c) || hasTimedRegion(hosts.get(calleeName(c))!))).map((c) => hosts.get(calleeName(c))!);
    const twins = timed.filter(streamed);
    for (const f of timed) {
      const own = kernelsOf(f);
      if (!streamed(f) && twins.some((t) => t !== f && [...kernelsOf(t)].some((k) => own.has(k)))) out.add(f.name);
    }
  }
  return out;
}

/** The read-back a caller's loop decides its next step on, `copy`, made by `host` each step: decide on the device instead. */
function decidedOnHost(host: FunctionFacts, copy: CallFact, caller: string): RuleFinding {
  const buffer = copy.argRoots[0] ? `\`${copy.argRoots[0]}\`` : 'its result';
  return {
    range: copy.nameRange,
    function: host.name,
    confidence: 'likely',
    assumptions: ['assumes the host reduces the whole buffer to the value it decides on (sampling or an argmax over logits)'],
    // (one line of at most 150 characters: the GPU's idle time while the host computes is the detail's)
    message: `\`${copy.name}\` brings ${buffer} back every step of \`${caller}\`'s loop, which decides its next step on the host: the GPU waits`,
    detail: detail(
      `${caller === host.name ? `\`${caller}\` copies ${buffer} back in a loop` : `\`${caller}\` calls \`${host.name}\` in a loop`} that decides its next step on a value the host computes from ${buffer} (the next token of a decode loop). The copy cannot leave the loop, since the next launch needs that value, but the GPU waits for the whole buffer to cross and for the host's work on it.`,
      'Make the decision on the device (an argmax or sampling kernel after the last launch) and copy back only its result, a few bytes, into pinned memory; or keep it on the device as the next launch\'s input.',
    ),
    benefit: 'shrinks the per-step copy from the whole buffer to one value and takes the host\'s pass over it off the critical path; the wait for the step itself remains (not measured here)',
  };
}

/**
 * A loop of `caller` around a call of `callee` that leaves on a value the host computes in it (`if (next == 1) break;`,
 * `next` a local): not on its own counter, a bound the caller was given, or an error code.
 */
function stopsOnHostValue(caller: FunctionFacts, callee: string): boolean {
  // (or a `do` loop's condition on the value the call returns, `do { delta = kmeansCuda(...); } while (delta > threshold)`)
  const call = callOf(callee);
  return caller.calls.some((c) => calleeName(c) === callee && c.loops.some((id) => {
    const l = caller.loops.find((x) => x.id === id);
    return !!l && ((l.kind === 'do' && (l.exitSources ?? []).some((v) => call.test(v.text))) || decidesAfter(caller, l, c, c.args));
  }));
}

/**
 * Loop `l` of `caller` decides its next step on what the host computes after `c` in the same step (a call after it:
 * `next = argmax(logits, n)`; a loop leaving on a signal handler's flag, `if (g_stop) break;`, decides nothing from the
 * copy): it leaves on a local the host set (`if (next == 1) break;`), or the step's work takes one the body hands on
 * (`token = next;`, a decode loop of a fixed number of steps with no end-of-sequence test; `stepArgs` the arguments
 * the step's work takes).
 */
function decidesAfter(caller: FunctionFacts, l: LoopFact, c: CallFact, stepArgs: readonly string[]): boolean {
  const computesAfter = caller.calls.some((d) => d !== c && d.kind === 'call' && d.loops.includes(l.id) && d.args.length > 0 &&
    positionBefore(c.range.start, d.range.start) && !/^(?:cuda|cublas|printf|fprintf|std::)/.test(d.name));
  if (!computesAfter) return false;
  if (l.handsOn?.length && stepArgs.some((a) => l.handsOn!.includes(a.trim()))) return true;
  // (or an element of an array the step writes after the call, `forward(..., tokens[pos])` with `tokens[pos + 1] = sample(...)`)
  const storedAfter = new Set(caller.accesses.filter((a) => a.kind !== 'load' && a.loops.includes(l.id) && positionBefore(c.range.start, a.range.start)).map((a) => a.array));
  if (stepArgs.some((a) => { const m = /^([A-Za-z_]\w*)\s*\[/.exec(a.trim()); return !!m && storedAfter.has(m[1]); })) return true;
  // (not a flag named for the last step, `int last_step = step == train_steps; if (last_step) break;`: the step counter)
  const given = new Set(caller.params.map((p) => p.name));
  return (l.exitTests ?? []).some((t) => (t.match(/[A-Za-z_]\w*/g) ?? []).some((w) => w !== l.variable && !given.has(w) && !/err|status|cuda/i.test(w) && !/^[A-Z_\d]+$/.test(w) && !LAST_STEP_FLAG.test(w)));
}

/** A call of `callee` as written (`kmeansCuda(...)`, `ns::sample (...)`), under a cast too (`(float)kmeansCuda(...)`). */
const callOf = (callee: string): RegExp => new RegExp(`^(?:\\(\\s*[\\w\\s*]+\\)\\s*|static_cast\\s*<[^<>]+>\\s*\\(\\s*)?(?:[\\w:]+::)?${callee.replace(/[^\w]/g, '\\$&')}\\s*\\(`);

/**
 * A loop of `caller` leaves on a local set from a call of `callee` that hands it memory the device writes for the host
 * (`int next = sample(..., shared, ...)` with `shared` from cudaHostAlloc: the token the wait makes readable), not on an
 * error code or a host counter.
 */
function leavesOnResult(caller: FunctionFacts, callee: string): boolean {
  const call = callOf(callee);
  return caller.loops.some((l) => l.exits && (l.exitSources ?? []).some((v) => call.test(v.text) && deviceFilled(v.text.slice(v.text.indexOf('(')), caller.calls)));
}

/** `text` names the variable `v` (a word of it). */
const names = (v: string, text: string | null | undefined): boolean => !!text && (text.match(/[A-Za-z_]\w*/g) ?? ([] as string[])).includes(v);
/** Launch `l`'s grid or block is sized by the variable `v` (`(num_rendered + 255) / 256`). */
const sizes = (v: string, l: CallFact): boolean => l.kind === 'launch' && (names(v, l.grid) || names(v, l.block));

interface Body {
  calls: CallFact[];
  work: CallFact[];
}

/** Two calls under the same if/else arms. */
const sameArms = (a: CallFact, b: CallFact) => (a.scopes ?? []).join() === (b.scopes ?? []).join();

/** Calls that queue device work: launches (also through wrappers) and library routines. */
function deviceWork(calls: readonly CallFact[], launchers: ReadonlySet<string>): CallFact[] {
  return calls.filter((c) => c.kind === 'launch' || (c.kind === 'call' && (LIBRARY_WORK.test(c.name) || launchers.has(calleeName(c)))));
}

// (a helper's blocking call at its call site: `l_in.setOutput` (its `cudaMemcpy`))
const shown = (c: CallFact) => (c.via && c.kind !== 'launch' ? `\`${c.via}\` (its \`${c.name}\`)` : `\`${c.name}\``);

function finding(host: FunctionFacts, body: Body, blocking: CallFact[], where: string, loop: LoopFact | null): RuleFinding {
  // (a sync or copy beside the free speaks first: dropping the free alone would leave it waiting; and one every pass
  // takes before one under a condition of the pass, `cudaDeviceSynchronize()` after every micro-step rather than the
  // loss read back on its last)
  // (not a device sync right before a blocking copy: the copy waits for the same work, and is what to name)
  const beforeCopy = (c: CallFact) => c.kind === 'sync' && blockingKind(blocking[blocking.indexOf(c) + 1] ?? c) === 'copy';
  const unfreed = blocking.filter((c) => c.name !== 'cudaFree' && !beforeCopy(c));
  const first = unfreed.find((c) => !c.scopes?.length) ?? unfreed[0] ?? blocking[0];
  const copies = blocking.some((c) => blockingKind(c) === 'copy');
  const launch = body.work[0];
  const what = blockingKind(first) === 'copy' ? `The synchronous ${shown(first)}` : shown(first);
  // (a free of per-step scratch: the advice is to keep the buffer, not to drop a wait)
  const frees = first.name === 'cudaFree';
  const related: RelatedLocation[] = [
    { range: launch.nameRange, message: `${launch.via ? `\`${launch.via}\` (launching \`${launch.name}\`)` : shown(launch)} queues device work in the same iteration` },
    ...blocking.filter((c) => c !== first).slice(0, 5).map((c) => ({ range: c.nameRange, message: `${shown(c)} also ${c.name === 'cudaFree' ? 'waits for the device' : 'blocks the host'} every iteration` })),
  ];
  if (loop) related.unshift({ range: loop.headerRange, message: 'the loop' });
  return {
    range: first.nameRange,
    function: host.name,
    confidence: 'likely',
    assumptions: [
      `assumes the loop runs many iterations`,
      ...(copies ? ['assumes the host buffers are pageable (allocated with malloc/new/std::vector); pinned buffers (cudaHostAlloc) still need cudaMemcpyAsync on a stream to overlap'] : []),
    ],
    message: `${what} ${frees ? 'waits for the device' : 'blocks the host'} each iteration ${where}: the GPU idles between launches`,
    detail: detail(
      `${what} waits for all queued GPU work every iteration ${where}, so the GPU idles until the host queues the next launch${copies ? ', and no transfer overlaps a kernel' : ''}.`,
      frees
        ? 'Allocate the scratch once, outside the loop, and reuse it (or use the stream-ordered `cudaMallocAsync` / `cudaFreeAsync`, which do not wait for the device); `cudaMalloc` is a driver call each time too.'
        : copies
        ? 'Use pinned host buffers (cudaHostAlloc) with cudaMemcpyAsync on two or more streams so chunk i+1 copies while chunk i computes, and synchronize once after the loop (or keep the values on the device).'
        : 'Launches on one stream already run in order: drop the per-iteration synchronization and synchronize once after the loop (use events or a stream wait where the host really needs a value).',
    ),
    benefit: copies ? BENEFIT_COPY : BENEFIT_SYNC,
    related,
  };
}

/**
 * A call of a host helper or method of the file whose body makes a blocking copy or sync (`l_in.setOutput(data)`
 * wrapping `cudaMemcpy`): that blocking call, at the call site; else the call itself.
 */
function throughHelper(c: CallFact, host: FunctionFacts, hosts: ReadonlyMap<string, FunctionFacts>): CallFact {
  const h = c.kind === 'call' ? hosts.get(calleeName(c)) : undefined;
  if (!h || h === host || h.calls.some((d) => d.kind === 'launch')) return c;
  // (a method call, `opt.step()`, is the file's function of that name only when that function copies one of its
  // object's members, `cudaMemcpy(output, data, ...)`: a free `step(h, d)` copying its own arguments is another one)
  const member = /\.|->/.test(c.name);
  const own = new Set(h.params.map((p) => p.name));
  // (the buffers a copy moves, its first two arguments; a sync's stream, its first)
  const ofObject = (d: CallFact) => !member || d.argRoots.slice(0, d.kind === 'copy' ? 2 : 1).some((r) => r !== null && !own.has(r) && !r.includes('.') && h.accesses.every((a) => a.array !== r || a.declaredUnder === undefined));
  // (a helper that reads back one value, `frontier_size()` of a BFS, hands the caller a scalar it decides on: left to the caller)
  const inner = h.calls.find((d) => blockingKind(d) !== null && d.loops.length === 0 && oneValue(d) === null && ofObject(d));
  // (at the call site's place, loops, arms and guards: a helper called under `if (step % 100 == 0)` waits that rarely)
  return inner ? { ...inner, range: c.range, nameRange: c.nameRange, loops: c.loops, scopes: c.scopes, rareIn: c.rareIn, via: c.name } : c;
}

function checkHost(host: FunctionFacts, hosts: ReadonlyMap<string, FunctionFacts>, launchers: ReadonlySet<string>, iterated: Map<string, FunctionFacts>, constants: ReadonlyMap<string, number>, use: (d: CallFact) => BufferUse | null, loopSites: LoopSitesOf, fills: readonly CallFact[] = []): RuleFinding[] {
  const calls = callsThroughWrappers(host, hosts).map((c) => throughHelper(c, host, hosts));
  // a loop with device work and a blocking call in the same iteration; the outermost such loop speaks for its nest
  // (each such nest of the function: a driver's warm-up loop and its epoch loop are two)
  const out: RuleFinding[] = [];
  const said: number[] = [];
  const byId = new Map(host.loops.map((l) => [l.id, l]));
  const inside = (l: LoopFact, outer: number): boolean => l.parent !== null && (l.parent === outer || (byId.has(l.parent) && inside(byId.get(l.parent)!, outer)));
  for (const loop of [...host.loops].sort((a, b) => a.depth - b.depth)) {
    if (said.some((id) => inside(loop, id))) continue;
    const inLoop = calls.filter((c) => c.loops.includes(loop.id));
    const work = deviceWork(inLoop, launchers);
    // (a read-back under `if (i == n - 1)` or `if (step % 100 == 0)` waits on a few iterations only)
    // (with the file's other functions' pinned or mapped allocations: `cudaMallocHost(&sh, ...)` in main, read here as `sh->tokens`)
    const deciding = inLoop.filter((c) => blockingKind(c) !== null && decidesLoop(c, loop, inLoop, [...calls, ...fills]));
    // (nor a wait right before the read-back the loop decides on, `cudaDeviceSynchronize(); cudaMemcpy(&changed, ...)`:
    // that copy waits for the same work anyway)
    const beforeDeciding = (c: CallFact) => c.kind === 'sync' && deciding.some((d) => inLoop.indexOf(d) === inLoop.indexOf(c) + 1 && sameArms(c, d));
    // (rare in this loop, or in one around it: a generation loop under `if (step % sample_every == 0)` runs a few times a run)
    const rare = (c: CallFact) => !!c.once || !!c.rareIn?.some((id) => id === loop.id || inside(loop, id));
    // (and a free of device memory after the iteration's launches: `cudaFree` waits for the device first, the per-step
    // scratch of a loop that allocates and frees it every time, which is no set-up. Not where the iteration also copies:
    // a harness setting up, running and checking one case per iteration, `for (c < count) { cudaMalloc; cudaMemcpy; ...`)
    const frees = inLoop.some((c) => blockingKind(c) === 'copy') ? [] : inLoop.filter((c) => freesScratch(c, inLoop, work) && !rare(c));
    // (a device sync right before a clock read is the timing's own wait: `cudaDeviceSynchronize(); clock_gettime(...)`)
    const after = (c: CallFact): CallFact | undefined => inLoop[inLoop.indexOf(c) + 1];
    const timesStep = (c: CallFact) => c.kind === 'sync' && !!after(c) && isTiming(after(c)!, host);
    const blocking = inLoop.filter((c) => ((blockingKind(c) !== null && !deciding.includes(c) && !beforeDeciding(c) && !pipelined(c, inLoop, work, host, loop) && !timesStep(c)) || frees.includes(c)) && !rare(c));
    if (!work.length || !blocking.length) continue;
    // (a loop that reads a file each step and uploads what it read, its launches carrying nothing from step to step: a
    // checkpoint loaded tensor by tensor, at the disk's pace, once a run)
    if (loadingLoop(host.calls, loop.id) && !carriesData(work.filter((c) => c.kind === 'launch'), use)) continue;
    // (a wait once per whole inner loop of launches, an epoch's loss read back after its `b < batches` loop: it drains a
    // queue of many launches, not one per wait. Not an inner loop of a few steps or over streams, which fans one step out)
    // (a loop of many steps by its count, or by its name where the count is a run-time one, `b < num_batches`: not the
    // layers of one step, `l < n_layers`, nor one step fanned out over devices or streams)
    const many = (l: LoopFact) => {
      const trips = constantTrip(l, constants);
      const named = `${l.variable ?? ''} ${l.bound ?? ''}`;
      return trips !== null ? trips >= MANY_LAUNCHES : BATCH_LOOP.test(named) && !FAN_OUT_LOOP.test(named);
    };
    const batch = (c: CallFact) => c.loops.map((id) => byId.get(id)).find((l): l is LoopFact => !!l && inside(l, loop.id) && many(l) &&
      !calls.some((d) => d.loops.includes(l.id) && ((d.kind === 'launch' && d.stream !== undefined) || d.name === 'cudaSetDevice')));
    const batches = work.map(batch);
    if (batches.every((l) => l !== undefined) && blocking.every((b) => !batches.some((l) => b.loops.includes(l!.id)))) continue;
    // (a loop that reads a clock is a benchmark's, timing the device work, unless the host computes in loops of its own
    // what the next upload sends: a particle filter's frames, each resampled on the host, stage timers printed along the way)
    const uploaded = new Set(inLoop.filter((c) => c.kind === 'copy' && c.args.some((a) => a.includes('HostToDevice'))).map((c) => c.argRoots[1]).filter((r): r is string => !!r));
    const hostWork = host.accesses.some((a) => a.kind !== 'load' && uploaded.has(a.array) && a.loops.some((id) => byId.has(id) && inside(byId.get(id)!, loop.id)));
    // (not a clock read once, `if (start == 0) { start = clock(); }`: the loop's whole run is timed, not its steps)
    if (inLoop.some((c) => (allocates(c, hosts) && !frees.length) || (isTiming(c, host) && !c.once && !hostWork && !feedsSteps(host, loop)))) continue;
    // the serialized reference of a function that also runs the same kernels on streams with asynchronous copies
    // (cuda-samples' simpleStreams times a "non-streamed" loop, then the streamed one): the baseline it measures against
    if (streamedTwin(host, loop, work)) continue;
    if (sizeSweep(loop, inLoop)) continue;
    if ((constantTrip(loop, constants) ?? Infinity) <= FEW_ITERATIONS && warmUp(host, inLoop, loop)) continue;
    // a benchmark's repetitions between its clock reads: the same launches on the same input, nothing carried from one
    // step to the next and nothing copied (Rodinia huffman's `for (i < NT) { encode<<<>>>(...); cudaThreadSynchronize(); }`
    // between two events): the wait shapes what is measured, not the program's time
    // (a constant count of repetitions, `NT = 10`; nothing swapped between them, `std::swap(u, v)` of a solver's grids)
    const repetitions = constantTrip(loop, constants) !== null && !inLoop.some((c) => /(?:^|::)swap$/.test(c.name));
    if (repetitions && insideTimedRegion(host, loop) && !inLoop.some((c) => c.kind === 'copy') && ((work.length > 0 && !carriesData(work, use)) || averagedOver(host, loop))) continue;
    // named by the innermost loop inside it that still holds both (the per-batch `b` loop in the `epoch` loop): its trips set the cost
    let named = loop;
    for (const l of host.loops) {
      if (l.depth <= named.depth) continue;
      const mine = calls.filter((c) => c.loops.includes(l.id));
      if (mine.length && mine.every((c) => c.loops.includes(loop.id)) && deviceWork(mine, launchers).length && mine.some((c) => blockingKind(c) !== null && !rare(c))) named = l;
    }
    // (the copy back the loop decides its next step on, written in the loop itself: a decode loop sampling the next token
    // on the host, as when a helper makes the copy)
    const back = blocking.find((c) => blockingKind(c) === 'copy' && copiesToHost(c));
    if (back && blocking.every((c) => blockingKind(c) === 'copy' && copiesToHost(c)) && decidesAfter(host, loop, back, work.flatMap((w) => w.args))) {
      out.push(decidedOnHost(host, back, host.name));
      said.push(loop.id);
      continue;
    }
    const v = named.variable ? ` over \`${named.variable}\`` : '';
    out.push(finding(host, { calls: inLoop, work }, blocking, `of the loop${v}`, loop));
    said.push(loop.id);
  }
  // (and the function's own top-level waits, where a caller runs it in a loop: a second nest, with its own fix)
  return [...out, ...calledInLoop(host, calls, hosts, launchers, iterated, loopSites)];
}

/**
 * A wait that keeps a one-deep pipeline (a decode loop's `cudaStreamSynchronize(s); cudaGraphLaunch(step, s);` then the
 * host reads the token the wait made ready, `shared->tokens[pos]`): it comes before all of the iteration's device
 * work, the next step's work is queued right after it, and after that work the host reads memory the device wrote,
 * with no copy queued in the iteration. The wait is needed, and the GPU idles only for one launch's latency. (A wait
 * before a solver's step with nothing but a swap, an error check or a print after it is no pipeline: it is redundant.)
 */
function pipelined(c: CallFact, inLoop: readonly CallFact[], work: readonly CallFact[], host: FunctionFacts, loop: LoopFact): boolean {
  const at = inLoop.indexOf(c);
  if (c.kind !== 'sync' || c.scopes?.length || !work.length || !work.includes(inLoop[at + 1]) || !work.every((w) => inLoop.indexOf(w) > at)) return false;
  if (inLoop.some((d) => d.kind === 'copy')) return false;
  const last = work[work.length - 1];
  return host.accesses.some((a) => a.kind === 'load' && a.space === 'host' && !a.onStack && a.loops.includes(loop.id) && positionBefore(last.range.end, a.range.start));
}

/** The calls made in a loop, by callee, with the function making each: read once per file. */
type LoopSites = Map<string, { h: FunctionFacts; c: CallFact }[]>;
/** The calls in a loop of one callee (undefined: none), the project's hosts read only when first asked. */
type LoopSitesOf = (name: string) => { h: FunctionFacts; c: CallFact }[] | undefined;
function loopSitesOf(hosts: ReadonlyMap<string, FunctionFacts>): LoopSites {
  const out = new Map<string, { h: FunctionFacts; c: CallFact }[]>();
  for (const h of new Set(hosts.values())) {
    for (const c of h.calls) {
      if (!c.loops.length) continue;
      const sites = out.get(calleeName(c));
      if (sites) sites.push({ h, c });
      else out.set(calleeName(c), [{ h, c }]);
    }
  }
  return out;
}

/** The whole body of `host` runs once per iteration of a caller's loop elsewhere in the file: its top-level waits. */
function calledInLoop(host: FunctionFacts, calls: CallFact[], hosts: ReadonlyMap<string, FunctionFacts>, launchers: ReadonlySet<string>, iterated: Map<string, FunctionFacts>, loopSites: LoopSitesOf): RuleFinding[] {
  const callerFacts = iterated.get(baseName(host.name).replace(/^.*::/, ''));
  if (callerFacts === undefined) return [];
  const caller = callerFacts.name;
  const work = deviceWork(calls, launchers);
  const after = (b: CallFact) => calls.some((c) => positionBefore(b.range.start, c.range.start) && deviceWork([c], launchers).length);
  const before = (b: CallFact) => calls.some((c) => positionBefore(c.range.start, b.range.start) && deviceWork([c], launchers).length);
  // (an upload before any of the helper's work, where the helper ends by draining the device, `gpt2_forward` copying
  // the batch's tokens in and ending in `cudaDeviceSynchronize()`: the queue is empty when the copy runs, so it blocks
  // for its own transfer only; the drain, on every call (not under a debug flag), is what idles the GPU, and is reported)
  const drains = calls.some((b) => b.loops.length === 0 && !(b.scopes ?? []).length && DEVICE_SYNC.test(b.name) && !after(b));
  // (a helper that allocates its scratch and frees it on every call: each `cudaFree` after its launches waits for them)
  const frees = perCallScratch(host) ? calls.filter((c) => c.loops.length === 0 && !(c.scopes ?? []).length && freesScratch(c, calls, work)) : [];
  // (a device sync right before a blocking copy back adds no wait of its own: the copy waits for the same work)
  const next = (b: CallFact) => calls.find((c) => positionBefore(b.range.end, c.range.start));
  const beforeCopyBack = (b: CallFact) => b.kind === 'sync' && DEVICE_SYNC.test(b.name) && !(b.scopes ?? []).length && !!next(b) && blockingKind(next(b)!) === 'copy' && copiesToHost(next(b)!);
  // (nor one in an arm that runs on one call of many, `if (last_step)`: once an optimizer step, not every micro step)
  const blocking = calls.filter((c) => (blockingKind(c) !== null && c.loops.length === 0 && !beforeCopyBack(c) && !c.once &&
    !(drains && blockingKind(c) === 'copy' && /HostToDevice/.test(c.args.join()) && !before(c))) || frees.includes(c));
  // (a set-up function allocates: not a lazy allocation on the first call only, `if (model->acts_memory == NULL) cudaMalloc(...)`)
  if (!work.length || !blocking.length || calls.some((c) => (isAllocation(c) && !c.once && !perCallScratch(host)) || isTiming(c, host))) return [];
  // (nor a wait that only ends the helper where each call in a loop is followed at once by a blocking call of the caller,
  // `forward(d_x, d_y); cudaMemcpy(h_y, d_y, ...)`: the copy waits for the same work, and the caller's loop has its own finding)
  const name = baseName(host.name).replace(/^.*::/, '');
  // (a free after the helper's launches waits as a sync does)
  const endsWithWait = blocking.every((b) => (b.kind === 'sync' || frees.includes(b)) && !after(b));
  // (at every call in a loop, in every function of the file: `train` calling it alone keeps the wait's cost; and with no
  // host loop between, which the wait keeps from overlapping the kernel)
  const sites = loopSites(name) ?? [];
  const blockedAfter = ({ h, c }: { h: FunctionFacts; c: CallFact }) => {
    const next = h.calls.filter((d) => positionBefore(c.range.end, d.range.start)).reduce<CallFact | undefined>((a, d) => (!a || positionBefore(d.range.start, a.range.start) ? d : a), undefined);
    const hostWork = !!next && h.loops.some((l) => positionBefore(c.range.end, l.range.start) && positionBefore(l.range.end, next.range.start));
    return !!next && !hostWork && blockingKind(next) !== null && sameArms(c, next) && next.loops.join() === c.loops.join();
  };
  if (endsWithWait && sites.length && sites.every(blockedAfter)) return [];
  // (nor one called, at every site, in a loop that reads a file each step and brings nothing back: a checkpoint's tensors
  // uploaded one by one, `load_weights` reading each and calling `upload_fp16`, at the disk's pace, once a run)
  if (calledToLoad(host, [...hosts.values()])) return [];
  // (a helper that reduces to one scalar it brings back, `double rr = reduce(...)`, called in a loop that may leave
  // early: the value its caller decides on, as the same copy written in the loop would be)
  // (or one that runs while a flag holds, `do { changed = relax_step(...); } while (changed);`: a convergence loop)
  const flagLoop = (l: LoopFact) => !l.variable && /^\s*!?\s*\(?\s*[A-Za-z_]\w*\s*\)?\s*(?:[!=]=\s*(?:0|1|true|false))?\s*$/.test(l.condition ?? '');
  const exitingLoops = new Set(callerFacts.loops.filter((l) => l.exits || flagLoop(l)).map((l) => l.id));
  const calledWhereLoopsExit = callerFacts.calls.some((c) => calleeName(c) === name && c.loops.some((id) => exitingLoops.has(id)));
  if (calledWhereLoopsExit && blocking.every((c) => blockingKind(c) === 'copy' && oneValue(c) !== null)) return [];
  // (nor one that ends waiting for the value it returns, which the caller's loop leaves on: `int next = sample_argmax(...)`
  // waiting for the token the device writes into mapped memory, then `if (next == EOS) break;`)
  if (endsWithWait && leavesOnResult(callerFacts, name)) return [];
  // (one that ends by bringing results back, `cudaMemcpy(h_logits, d_logits, ...)`, called in a loop that stops on a
  // value the host computes from them each step, a decode loop sampling the next token on the host and leaving on
  // `if (next == EOS) break`: the next launch needs that value, so the copy cannot leave the loop; what can move is
  // the host's decision, to the device)
  // (and uploads what the host decided before any of the helper's work: Rodinia's `kmeansCuda` sending the new centres)
  const readsBack = (c: CallFact) => blockingKind(c) === 'copy' && copiesToHost(c);
  // (or into `__constant__` memory, `cudaMemcpyToSymbol(c_clusters, ...)`, host to device unless it says otherwise)
  const sendsDecision = (c: CallFact) => blockingKind(c) === 'copy' && !before(c) &&
    (/HostToDevice/.test(c.args.join()) || (/^cudaMemcpyToSymbol$/.test(c.name) && !/DeviceToDevice/.test(c.args.join())));
  const back = blocking.find(readsBack);
  if (back && blocking.every((c) => readsBack(c) || sendsDecision(c)) && stopsOnHostValue(callerFacts, name)) return [decidedOnHost(host, back, caller)];
  // (nor one that brings back the count the helper's next launch is sized by, `num_rendered` in a Gaussian
  // rasterizer: the launch cannot be queued before the value exists, as when the same lines sit in the loop)
  const sizesLaunch = (c: CallFact) => {
    const v = oneValue(c);
    return v !== null && blockingKind(c) === 'copy' && calls.some((l) => positionBefore(c.range.start, l.range.start) && sizes(v, l));
  };
  if (blocking.every(sizesLaunch)) return [];
  return [finding(host, { calls, work }, blocking, `(\`${host.name}\` is called in a loop of \`${caller}\`)`, null)];
}

export const rule: Rule = {
  id: 'overlap/sync-transfer',
  languages: ['cuda', 'cpp', 'triton'],
  defaultSeverity: 'information',
  fix,
  check(facts: FileFacts): RuleFinding[] {
    if (facts.language === 'triton') return tritonSyncTransfer(facts);
    const { hosts, mine, kernels } = visibleCallables(facts);
    // host functions of the file that queue device work (`step()` launching two kernels)
    const launchers = new Set<string>();
    for (const f of mine) if (f.calls.some((c) => c.kind === 'launch' || LIBRARY_WORK.test(c.name))) launchers.add(baseName(f.name).replace(/^.*::/, ''));
    // functions of the file called inside a loop, with the caller's name
    // helpers called in a loop, by name -> the caller; not where that loop reads a clock or records
    // events around the call (a benchmark timing each call: the wait is the measurement)
    const iterated = new Map<string, FunctionFacts>();
    // (a call every so many steps of the outermost loop around it, `if (step % sample_every == 0)`, also inside an
    // inner loop of that arm, runs a few times a run: a sampling or validation pass; one rare only in an inner loop,
    // the last micro-batch's, still runs every step)
    // (nor where that loop allocates device memory, itself or through a helper, `dsts[i] = alloc_half(n)`: set-up, such as
    // loading a model's weights tensor by tensor)
    // (nor a loop of a few constant trips, `for (j = 0; j < 5; j++) error_check(sizes[j])`: a check per size, not a
    // steady loop whose iterations could overlap)
    const { constants } = fileConstants(facts.lines);
    // (the loop outermost in a function nothing in the file calls from a loop: eight layers of `infer` that a request
    // loop calls are eight waits a request)
    const loopCalled = new Set(mine.flatMap((f) => f.calls.filter((c) => c.kind === 'call' && c.loops.length).map(calleeName)));
    // (and the helper reads what it copied back in a loop of its own, as a check does; a few operators or devices each
    // copying on their own, `ls_operator[i].async_operation(...)`, `for (dev ...)`, are the fan-out to overlap)
    const fewTrips = (f: FunctionFacts, c: CallFact) => {
      const l = c.loops.length === 1 ? f.loops.find((x) => x.id === c.loops[0]) : undefined;
      const helper = hosts.get(calleeName(c));
      return !!l && !!helper && checksCopiedResult(helper) && !FAN_OUT_LOOP.test(`${l.variable ?? ''} ${l.bound ?? ''}`) &&
        (constantTrip(l, constants) ?? Infinity) <= FEW_ITERATIONS && !loopCalled.has(baseName(f.name).replace(/^.*::/, ''));
    };
    const everyStep = (f: FunctionFacts, c: CallFact) => {
      const loop = c.loops[c.loops.length - 1];
      const l = f.loops.find((x) => x.id === loop);
      return !c.rareIn?.includes(c.loops[0]) && !fewTrips(f, c) && !f.calls.some((t) => t.loops.includes(loop) && ((isTiming(t, f) && !t.once && !(l && feedsSteps(f, l))) || allocates(t, hosts)));
    };
    // (names the file's own loops call, whether they count or not: what another file's loop calls is then not asked)
    const calledInOwnLoops = new Set<string>();
    for (const f of mine) {
      for (const c of f.calls) {
        if (c.kind !== 'call' || !c.loops.length) continue;
        calledInOwnLoops.add(calleeName(c));
        if (!iterated.has(calleeName(c)) && everyStep(f, c)) iterated.set(calleeName(c), f);
      }
    }
    // (the loops of every host the file sees, the project's too, read only when a helper called in a loop gets that far:
    // read for every file, they were a pass over the whole project per file)
    let inHosts: LoopSites | undefined;
    const inOtherFiles: LoopSites = new Map();
    const loopSites: LoopSitesOf = (name) => (inHosts ??= loopSitesOf(hosts)).get(name) ?? inOtherFiles.get(name);
    // (and a loop of another file of the project calling one of this file's: a driver's convergence loop calling
    // `kmeansCuda` once a step, the copies and the launch in here)
    for (const f of mine) {
      const name = baseName(f.name).replace(/^.*::/, '');
      if (calledInOwnLoops.has(name)) continue;
      const sites = facts.project?.loopCalls.get(name) ?? [];
      const site = sites.find(({ caller, call }) => everyStep(caller, call));
      if (!site) continue;
      iterated.set(name, site.caller);
      if (!inOtherFiles.has(name)) inOtherFiles.set(name, sites.map(({ caller, call }) => ({ h: caller, c: call })));
    }
    const twins = serializedTwins(mine, hosts);
    const use = launchBuffers((name) => kernels.get(baseName(name)), (name) => hosts.get(name));
    // (the host memory the device fills, wherever in the file it is allocated)
    const fills = mine.flatMap((f) => f.calls.filter((c) => DEVICE_FILLS.test(c.name)));
    return mine.filter((f) => !isReferenceOracle(f.name) && !twins.has(f.name)).flatMap((h) => checkHost(h, hosts, launchers, iterated, constants, use, loopSites, fills));
  },
};
