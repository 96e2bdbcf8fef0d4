// A benchmark driver reads a clock before and after the work it measures. The loops that
// end before the first read set the data up, and the loops that start after the last read
// check the results: they run once, and nobody tunes them. Neither does anyone tune a loop
// that prints each iteration: the output costs more than the memory walk. The CPU rules
// leave them alone (a program's `main` already is; drivers such as `run<T>()` are the same code elsewhere).
// Nor the CPU arm of a device dispatch (`case CPU: loops; case CUDA: kernel<<<...>>>`): a GPU build takes the launch.
import { neverTogether, type FunctionFacts } from '../../core/facts/model';
import type { Range } from '../../core/types';

/** Clock reads: POSIX, OpenMP, MPI, `std::chrono::…::now()` (named `now`), and the usual benchmark helpers. */
const CLOCK = /^(?:wtime|prk_wtime|omp_get_wtime|MPI_Wtime|clock|gettimeofday|clock_gettime|now|dclock|bli_clock|get_time|getTime|cpuSecond|walltime|wall_time|timer_start|timer_stop|tic|toc|sdkStartTimer|sdkStopTimer|cudaEventRecord|hipEventRecord|polybench_timer_start|polybench_timer_stop|startTimer|stopTimer|start_timer|stop_timer)$/;

/** A timer object or class by name (`Timer::Stop`, `cpu_timer.start()`, `stopwatch`). */
export const TIMER_CLASS = /timer|clock|stopwatch/i;

/** The lines of the function's first and last clock reads, or null with fewer than two. */
function timedLines(fn: FunctionFacts): { first: number; last: number } | null {
  let first = Infinity;
  let last = -Infinity;
  let reads = 0;
  for (const c of fn.calls) {
    // (`Timer::Start()`, `Timer::Stop(t, "...")`: a timer class's start and stop)
    if (!isClockRead(c, fn)) continue;
    reads++;
    first = Math.min(first, c.range.start.line);
    last = Math.max(last, c.range.start.line);
  }
  return reads >= 2 ? { first, last } : null;
}

/**
 * A benchmark's repetition loop: the first clock read sits inside it (`if (iter == 1) t = wtime();`, the
 * first pass a warm-up) and the last after it. Its iterations repeat the measured work; data they share
 * is the repetition, not reuse a time-step loop offers to blocking.
 */
export function repetitionLoop(fn: FunctionFacts, l: { id: number; range: Range }): boolean {
  const reads = fn.calls.filter((c) => isClockRead(c, fn));
  return reads.some((c) => c.loops.includes(l.id)) && reads.some((c) => c.range.start.line > l.range.end.line);
}

/** A timer helper named for what it does (Rodinia's `stopwatch_start(&sw)`, `StartTimer()`, `timerStop`). */
const TIMER_HELPER = /^(?:stopwatch|timer|watch)_?(?:start|stop|begin|end)$|^(?:start|stop)_?(?:stopwatch|timer|watch)$/i;

/**
 * A clock read of `fn`. An event recorded for another stream to wait on (`cudaEventRecord(ready, copy_stream)` then
 * `cudaStreamWaitEvent`), in a function that never asks for an elapsed time, orders work: it measures nothing.
 */
function isClockRead(c: FunctionFacts['calls'][number], fn: FunctionFacts): boolean {
  if (EVENT_RECORD.test(c.name)) return !ordersStreams(fn);
  // (or a method of a timer object, `timer.Start()`, `gpu_timer->Stop()`)
  const member = /^(\w+)(?:\.|->)(\w+)$/.exec(c.name);
  const timerMethod = (scope: string, name: string) => TIMER_CLASS.test(scope) && /^(?:[Ss]tart|[Ss]top|[Rr]eset|[Ee]lapsed)/.test(name);
  return CLOCK.test(c.name) || TIMER_HELPER.test(c.name) || timerMethod(c.scope ?? '', c.name) || (!!member && timerMethod(member[1], member[2]));
}
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

/** Output calls: C stdio and the C++ streams (`std::cout << x` is read as a call named `std::cout`). */
const OUTPUT = /^(?:printf|fprintf|puts|putchar|fputs|fputc|fwrite|(?:std::)?(?:cout|cerr|clog))$/;

/**
 * A loop that runs once around the measured work, or prints in every iteration (`print_matrix`), or is the CPU arm
 * of a conditional whose other arm launches a kernel (the GPU path; the CPU one is its fallback): nobody tunes it.
 */
export function untunedLoop(fn: FunctionFacts, l: { id: number; range: Range; scopes?: number[] }): boolean {
  return outsideTimedRegion(fn, l) || fn.calls.some((c) => (c.loops.includes(l.id) && OUTPUT.test(c.name)) || (c.kind === 'launch' && neverTogether(l.scopes, c.scopes)));
}
