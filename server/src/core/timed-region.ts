// A benchmark driver reads a clock before and after the work it measures. The loops that
// end before the first read set the data up, and the loops that start after the last read
// check the results: they run once, and nobody tunes them. Neither does anyone tune a loop
// that prints each iteration: the output costs more than the memory walk. The CPU rules
// leave them alone (a program's `main` already is; drivers such as `run<T>()` are the same code elsewhere).
// Nor the CPU arm of a device dispatch (`case CPU: loops; case CUDA: kernel<<<...>>>`): a GPU build takes the launch.
// The GPU rules leave alone the launches a driver makes once outside its timed region as set-up or checks
// (setUpLaunch), by what each launch reads and writes.
import { neverTogether, type CallFact, type FunctionFacts } from './facts/model';
import { keptAcrossMoves } from './facts/shift';
import type { Range } from './types';

/** Clock reads: POSIX, OpenMP, MPI, `std::chrono::…::now()` (named `now`), and the usual benchmark helpers (the OLCF series' `dtime_usec`, STREAM's `mysecond`). */
const CLOCK = /^(?:wtime|prk_wtime|omp_get_wtime|MPI_Wtime|clock|gettimeofday|clock_gettime|now|now_?(?:ms|us|ns|sec|seconds)|my_?time|time_?(?:ms|us|ns)|current_?time(?:_?ms)?|get_?[tT]ime\w*|seconds|what_time_is_it_now|cudaEventElapsedTime|dclock|bli_clock|get_time|getTime|cpuSecond|walltime|wall_time|timer_start|timer_stop|tic|toc|sdkStartTimer|sdkStopTimer|cudaEventRecord|hipEventRecord|polybench_timer_start|polybench_timer_stop|startTimer|stopTimer|start_timer|stop_timer|dtime(?:_[um]?sec)?|mysecond|get_?wall_?time|getWallTime)$/;

/** A timer object or class by name (`Timer::Stop`, `cpu_timer.start()`, `stopwatch`). */
export const TIMER_CLASS = /timer|clock|stopwatch/i;

/** The lines of the function's first and last clock reads, or null with fewer than two (kept per facts object: every rule asks). */
function timedLines(fn: FunctionFacts): { first: number; last: number } | null {
  const kept = timed.get(fn);
  if (kept !== undefined) return kept;
  const found = findTimedLines(fn);
  timed.set(fn, found);
  return found;
}
const timed = new WeakMap<FunctionFacts, { first: number; last: number } | null>();

function findTimedLines(fn: FunctionFacts): { first: number; last: number } | null {
  const reads = clockReads(fn);
  if (reads.length < 2) return null;
  const lines = reads.map((c) => c.range.start.line);
  return { first: Math.min(...lines), last: Math.max(...lines) };
}

/** The function's clock reads, in the order of its calls (`Timer::Start()`, `cudaEventRecord(stop)`), found once per facts object. */
function clockReads(fn: FunctionFacts): readonly CallFact[] {
  let reads = readsOf.get(fn);
  if (!reads) readsOf.set(fn, (reads = fn.calls.filter((c) => isClockRead(c, fn))));
  return reads;
}
const readsOf = new WeakMap<FunctionFacts, readonly CallFact[]>();

/** Whether `fn` reads a clock at least twice: a driver timing what lies between. */
export const hasTimedRegion = (fn: FunctionFacts): boolean => timedLines(fn) !== null;

/**
 * A benchmark's repetition loop: the first clock read sits inside it (`if (iter == 1) t = wtime();`, the
 * first pass a warm-up) and the last after it. Its iterations repeat the measured work; data they share
 * is the repetition, not reuse a time-step loop offers to blocking.
 */
export function repetitionLoop(fn: FunctionFacts, l: { id: number; range: Range }): boolean {
  const reads = clockReads(fn);
  return reads.some((c) => c.loops.includes(l.id)) && reads.some((c) => c.range.start.line > l.range.end.line);
}

/** A timer helper named for what it does (Rodinia's `stopwatch_start(&sw)`, `StartTimer()`, `timerStop`). */
const TIMER_HELPER = /^(?:stopwatch|timer|watch)_?(?:start|stop|begin|end)$|^(?:start|stop)_?(?:stopwatch|timer|watch)$/i;

/**
 * A clock read of `fn`. An event recorded for another stream to wait on (`cudaEventRecord(ready, copy_stream)` then
 * `cudaStreamWaitEvent`), in a function that never asks for an elapsed time, orders work: it measures nothing.
 */
export function isClockRead(c: FunctionFacts['calls'][number], fn: FunctionFacts): boolean {
  if (EVENT_RECORD.test(c.name)) return !ordersStreams(fn);
  // (or a method of a timer object, `timer.Start()`, `gpu_timer->Stop()`)
  const member = /^(\w+)(?:\.|->)(\w+)$/.exec(c.name);
  const timerMethod = (scope: string, name: string) => TIMER_CLASS.test(scope) && /^(?:[Ss]tart|[Ss]top|[Rr]eset|[Ee]lapsed)/.test(name);
  // (`timer.reset()` on a `std::unique_ptr<GpuTimer>` is the smart pointer's own method: `timer->Start()` is the timer's)
  if (member && member[0].includes('.') && SMART_POINTER.test(c.scope ?? '')) return false;
  // (a clock by its last name too, `std::chrono::steady_clock::now()`)
  return CLOCK.test(c.name) || CLOCK.test(c.name.replace(/^.*::/, '')) || TIMER_HELPER.test(c.name) || timerMethod(c.scope ?? '', c.name) || (!!member && (timerMethod(member[1], member[2]) || timerMethod(c.scope ?? '', member[2])));
}
const SMART_POINTER = /\b(?:unique|shared)_ptr\s*</;
/** `fn` records events for streams to wait on (`cudaStreamWaitEvent`) and never reads an elapsed time from them. */
export const ordersStreams = (fn: FunctionFacts): boolean => fn.calls.some((d) => STREAM_WAIT.test(d.name)) && !fn.calls.some((d) => ELAPSED.test(d.name));
const EVENT_RECORD = /^(?:cuda|hip)EventRecord$/;
const STREAM_WAIT = /^(?:cuda|hip)StreamWaitEvent$/;
const ELAPSED = /^(?:cuda|hip)EventElapsedTime$/;

/** Whether `l` lies wholly before the function's first clock read or after its last (it needs two reads). */
export function outsideTimedRegion(fn: FunctionFacts, l: { range: Range }): boolean {
  const t = timedLines(fn);
  return !!t && (l.range.end.line < t.first || l.range.start.line > t.last);
}

/**
 * A benchmark harness: every launch the function makes, and every call of the file's own host code (a launch
 * wrapper), lies in a loop between its first and last clock reads (`cudaEventRecord` around a loop of them).
 */
export function timesItsLaunches(fn: FunctionFacts, hosts: ReadonlyMap<string, unknown>): boolean {
  const work = fn.calls.filter((c) => c.kind === 'launch' || (c.kind === 'call' && hosts.has(c.name)));
  // (repeated in a loop: one op timed once, a wrapper's own profiling events around its launch, is the work itself)
  return work.length > 0 && work.every((c) => insideTimedRegion(fn, c) && c.loops.length > 0);
}

/** Whether `l` lies between the function's first and last clock reads: the work a driver measures. */
export function insideTimedRegion(fn: FunctionFacts, l: { range: Range }): boolean {
  const t = timedLines(fn);
  return !!t && l.range.start.line > t.first && l.range.end.line < t.last;
}

/** The buffers (argument roots) a launch reads and writes; for a wrapper's call or a kernel not at hand, every argument both ways. */
export interface BufferUse {
  reads: ReadonlySet<string>;
  writes: ReadonlySet<string>;
}

/**
 * Launches (one loop's) of which one reads a buffer one of them writes: in place, or one step's output the next reads.
 * A launch whose use is unknown counts as carrying. (Benchmark repetitions of the same work carry none.)
 */
export function carriesData(launches: readonly CallFact[], use: (d: CallFact) => BufferUse | null): boolean {
  const uses = launches.map(use);
  if (uses.some((u) => u === null)) return true;
  const written = new Set(uses.flatMap((u) => [...u!.writes]));
  return uses.some((u) => [...u!.reads].some((r) => written.has(r)));
}

/** What launch `d` of `kernel` (undefined: a wrapper or a kernel defined elsewhere) reads and writes. */
export function bufferUse(d: CallFact, kernel: FunctionFacts | undefined): BufferUse {
  const roots = (i: number) => d.argRoots[i] ?? null;
  if (!kernel || kernel.params.length !== d.args.length) {
    const all = new Set(d.argRoots.filter((r): r is string => !!r));
    return { reads: all, writes: all };
  }
  const reads = new Set<string>();
  const writes = new Set<string>();
  const own = kernelBuffers(kernel);
  kernel.params.forEach((p, i) => {
    const r = roots(i);
    if (!r || !p.pointer) return;
    if (own.reads.has(p.name)) reads.add(r);
    if (own.writes.has(p.name)) writes.add(r);
  });
  return { reads, writes };
}

/** The arrays a kernel reads and writes, by the names it gives them (kept per facts object, and for its moved copies: names hold no position). */
export function kernelBuffers(kernel: FunctionFacts): BufferUse {
  let u = keptAcrossMoves(ownBuffers, kernel);
  if (u) return u;
  const reads = new Set<string>();
  const writes = new Set<string>();
  for (const a of kernel.accesses) {
    if (a.kind !== 'store') reads.add(a.array);
    if (a.kind !== 'load') writes.add(a.array);
  }
  ownBuffers.set(kernel, (u = { reads, writes }));
  return u;
}
const ownBuffers = new WeakMap<FunctionFacts, BufferUse>();

/**
 * What a call of a launch wrapper reads and writes: its launches' buffers, the wrapper's parameters taken as the
 * call's arguments (`count_components(d_labels, n)` reads `d_labels`); null when no launch of it names a parameter.
 */
export function wrapperUse(call: CallFact, wrapper: FunctionFacts, use: (d: CallFact) => BufferUse | null): BufferUse | null {
  const reads = new Set<string>();
  const writes = new Set<string>();
  const asCaller = (r: string) => {
    const i = wrapper.params.findIndex((p) => p.name === r);
    return i >= 0 ? call.argRoots[i] ?? null : null;
  };
  for (const d of wrapper.calls) {
    if (d.kind !== 'launch') continue;
    const u = use(d);
    if (!u) continue;
    for (const r of u.reads) { const c = asCaller(r); if (c) reads.add(c); }
    for (const r of u.writes) { const c = asCaller(r); if (c) writes.add(c); }
  }
  return reads.size || writes.size ? { reads, writes } : null;
}

/**
 * What a launch, or a call of a launch wrapper, reads and writes (null for any other call), its kernel and wrapper
 * looked up by name; a wrapper whose launches name none of its parameters counts every argument both ways.
 */
export function launchBuffers(kernelOf: (name: string) => FunctionFacts | undefined, wrapperOf: (name: string) => FunctionFacts | undefined): (d: CallFact) => BufferUse | null {
  // (each call's answer once: set-up checks ask about the same calls for every launch of a driver)
  const known = new WeakMap<CallFact, BufferUse | null>();
  const launchUse = (d: CallFact) => (d.kind === 'launch' ? bufferUse(d, kernelOf(d.name)) : null);
  return (d) => {
    let u = known.get(d);
    if (u !== undefined) return u;
    if (d.kind === 'launch') u = launchUse(d);
    else {
      const w = d.kind === 'call' ? wrapperOf(d.name) : undefined;
      u = w ? wrapperUse(d, w, launchUse) ?? bufferUse(d, undefined) : null;
    }
    known.set(d, u);
    return u;
  };
}

/** What the calls between a driver's clock reads read and write, all together (per driver and `use`). */
function timedUse(fn: FunctionFacts, t: { first: number; last: number }, use: (d: CallFact) => BufferUse | null): BufferUse {
  let byDriver = timedUses.get(use);
  if (!byDriver) timedUses.set(use, (byDriver = new WeakMap()));
  let u = byDriver.get(fn);
  if (u) return u;
  const reads = new Set<string>();
  const writes = new Set<string>();
  for (const d of fn.calls) {
    if (d.range.start.line <= t.first || d.range.end.line >= t.last) continue;
    const x = use(d);
    if (x) (x.reads.forEach((r) => reads.add(r)), x.writes.forEach((w) => writes.add(w)));
  }
  byDriver.set(fn, (u = { reads, writes }));
  return u;
}
const timedUses = new WeakMap<(d: CallFact) => BufferUse | null, WeakMap<FunctionFacts, BufferUse>>();

/**
 * A launch (or a launch wrapper's call) a benchmark driver makes once outside the region its clocks time, while
 * launches run inside it: before the region, one that writes what the timed launches read (`init<<<>>>(w)`, the
 * input's set-up); after it, one that reads what they wrote into buffers of its own whose result the host then
 * copies back (`sq_err<<<>>>(out, ref, err)`, the check). Nobody tunes either. Another demo after the timing is work
 * still; so is a launch of a driver that times only its CPU reference. `use` says what a call reads and writes.
 */
export function setUpLaunch(fn: FunctionFacts, c: CallFact, use: (d: CallFact) => BufferUse | null): boolean {
  const t = timedLines(fn);
  // (a launch in a lambda runs where the lambda is called, perhaps in the timed loop: its place says nothing)
  if (!t || c.inLambda) return false;
  const before = c.range.end.line < t.first;
  if (!before && c.range.start.line <= t.last) return betweenRegions(fn, c, use);
  // (in no loop, or a few checking repetitions: a step loop after the timed one, `for (s = 0; s < NSTEP; s++)`, is work compared)
  const few = (id: number) => (fn.loops.find((l) => l.id === id)?.trips ?? Infinity) <= FEW_REPEATS;
  const mine = use(c);
  if (!mine || !c.loops.every(few)) return false;
  return before ? setsUp(fn, c, mine, t, use) : checks(fn, c, mine, timedUse(fn, t, use), use);
}

/**
 * A launch once between two timed regions (`t.Stop(); t.Elapsed(); to_float<<<>>>(img, f); t.Start(); blur<<<>>>(f)`):
 * after a clock read that stops one and before one that starts the next, in no loop, writing what the next region's
 * calls read. The next region's input, made outside it: set-up as before the first.
 */
function betweenRegions(fn: FunctionFacts, c: CallFact, use: (d: CallFact) => BufferUse | null): boolean {
  if (c.loops.length) return false;
  const reads = clockReads(fn);
  const previous = reads.filter((d) => d.range.end.line < c.range.start.line).pop();
  const next = reads.find((d) => d.range.start.line > c.range.end.line);
  if (!previous || !next || clockPhase(previous) !== 'stop' || clockPhase(next) !== 'start') return false;
  const mine = use(c);
  // (what the next region times: the calls up to the clock read that stops it, not an untimed overlay after the last)
  const end = reads.find((d) => d.range.start.line > next.range.end.line && clockPhase(d) === 'stop');
  const timed = fn.calls.filter((d) => d.range.start.line > next.range.end.line && (!end || d.range.end.line < end.range.start.line));
  const later = timed.map(use).filter((u): u is BufferUse => !!u);
  return !!mine && later.some((u) => meets(mine.writes, u.reads));
}

/** Whether a clock read starts a region or ends one, by the event or method it names (`cudaEventRecord(stop)`, `timer.Start()`). */
function clockPhase(c: CallFact): 'start' | 'stop' | null {
  const what = EVENT_RECORD.test(c.name) ? c.args[0] ?? '' : c.name;
  if (/stop|end|elapsed|toc|finish/i.test(what)) return 'stop';
  return /start|begin|tic/i.test(what) ? 'start' : null;
}

const meets = (a: ReadonlySet<string>, b: ReadonlySet<string>) => [...a].some((x) => b.has(x));

/** Launch `c` before the timed region writes what the timed calls read, and the host does not set it anew in between. */
function setsUp(fn: FunctionFacts, c: CallFact, mine: BufferUse, t: { first: number; last: number }, use: (d: CallFact) => BufferUse | null): boolean {
  // (not a buffer the host sets anew after it, `cudaMemset(d_out, 0, ...)` before the timed launch adds into it:
  // what this launch wrote there is gone, and it was a demo of its own)
  const reset = new Set(fn.calls.filter((d) => RESETS.test(d.name) && d.range.start.line > c.range.end.line && d.range.start.line < t.last).map((d) => d.argRoots[0]).filter((r): r is string => !!r));
  const kept = new Set([...mine.writes].filter((w) => !reset.has(w)));
  return meets(kept, timedUse(fn, t, use).reads);
}

/** Launch `c` after the timed region reads what the timed calls wrote into buffers of its own, whose result goes to the host. */
function checks(fn: FunctionFacts, c: CallFact, mine: BufferUse, timed: BufferUse, use: (d: CallFact) => BufferUse | null): boolean {
  if (!meets(mine.reads, timed.writes) || meets(mine.writes, timed.reads) || meets(mine.writes, timed.writes)) return false;
  // (and what it writes goes no way back into the timed buffers: `gray_to_float(d_gray, d_f)` then `float_to_gray(d_f,
  // d_gray)` is a round trip of its own, a demo after the timing, not a check)
  const afterIt = fn.calls.filter((d) => d.range.start.line > c.range.end.line);
  const later = afterIt.map(use).filter((u): u is BufferUse => !!u);
  if (later.some((u) => meets(u.reads, mine.writes) && meets(u.writes, timed.writes))) return false;
  // a check's result goes to the host, directly or through the launches that reduce it (`sq_err`, then `reduce_sum`,
  // then `cudaMemcpy(&err, d_sum, ..., cudaMemcpyDeviceToHost)`); a clip of the output left on the device is more work
  const result = new Set([...mine.writes, ...later.filter((u) => meets(u.reads, mine.writes)).flatMap((u) => [...u.writes])]);
  return afterIt.some((d) => d.kind === 'copy' && /DeviceToHost|Default/.test(d.args.join()) && !!d.argRoots[1] && result.has(d.argRoots[1]));
}
const FEW_REPEATS = 16;
/** Host calls that set a device buffer anew: a fill or a copy into it. */
const RESETS = /^(?:cuda|hip)Mem(?:set|cpy)(?:Async|2D|2DAsync)?$/;

/**
 * A host function every call of which in `functions` is a benchmark's set-up or check (setUpLaunch): `prepare(w, n)`
 * before the events. Not one that repeats its launches itself (`for (it = 0; it < 10000; ++it) smooth<<<>>>`): called
 * once, it is the work.
 */
export function calledOnlyForSetUp(name: string, functions: Iterable<FunctionFacts>, use: (d: CallFact) => BufferUse | null): boolean {
  const all = [...functions];
  const wrapper = all.find((h) => h.name === name);
  const few = (id: number) => (wrapper?.loops.find((l) => l.id === id)?.trips ?? Infinity) <= FEW_REPEATS;
  if (wrapper?.calls.some((d) => d.loops.some((id) => !few(id)) && use(d))) return false;
  let calls = 0;
  for (const h of all) {
    for (const d of h.calls) {
      if (d.kind !== 'call' || d.name !== name) continue;
      if (!setUpLaunch(h, d, use)) return false;
      calls++;
    }
  }
  return calls > 0;
}

/** Output calls: C stdio and the C++ streams (`std::cout << x` is read as a call named `std::cout`). */
const OUTPUT = /^(?:printf|fprintf|puts|putchar|fputs|fputc|fwrite|(?:std::)?(?:cout|cerr|clog))$/;

/**
 * A loop that runs once around the measured work, or prints in every iteration (`print_matrix`), or is the CPU arm
 * of a conditional whose other arm launches a kernel (the GPU path; the CPU one is its fallback): nobody tunes it.
 */
export function untunedLoop(fn: FunctionFacts, l: { id: number; range: Range; scopes?: number[] }): boolean {
  return outsideTimedRegion(fn, l) || fn.calls.some((c) => (c.loops.includes(l.id) && OUTPUT.test(c.name)) || (c.kind === 'launch' && neverTogether(l.scopes, c.scopes)));
}
