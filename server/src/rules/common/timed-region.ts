// A benchmark driver reads a clock before and after the work it measures. The loops that
// end before the first read set the data up, and the loops that start after the last read
// check the results: they run once, and nobody tunes them. The CPU rules leave them alone
// (a program's `main` already is; drivers such as `run<T>()` are the same code elsewhere).
import type { FunctionFacts, LoopFact } from '../../core/facts/model';

/** Clock reads: POSIX, OpenMP, MPI, `std::chrono::…::now()` (named `now`), and the usual benchmark helpers. */
const CLOCK = /^(?:wtime|prk_wtime|omp_get_wtime|MPI_Wtime|clock|gettimeofday|clock_gettime|now|dclock|bli_clock|get_time|getTime|cpuSecond|walltime|wall_time|timer_start|timer_stop|tic|toc)$/;

/** Whether `l` lies wholly before the function's first clock read or after its last (it needs two reads). */
export function outsideTimedRegion(fn: FunctionFacts, l: LoopFact): boolean {
  const clocks = fn.calls.filter((c) => CLOCK.test(c.name)).map((c) => c.range.start.line);
  if (clocks.length < 2) return false;
  const first = Math.min(...clocks);
  const last = Math.max(...clocks);
  return l.range.end.line < first || l.range.start.line > last;
}
