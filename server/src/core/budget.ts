// Bounded work (DESIGN.md "Bad input"): every function's analysis runs under a budget
// of steps and of CPU time, checked inside the evaluators (each eval, statement, macro
// token and lane evaluation ticks), so no input, however strange, can take the analysis
// hostage. A tick is a counter decrement; the clock is read once per CHUNK ticks.

/** Thrown when the budget in force runs out; the engine lists the function as skipped with `message`. */
export class BudgetExceeded extends Error {}

export interface BudgetLimits {
  /** Milliseconds one function's analysis (facts, then each rule's check) may take. */
  functionMs: number;
  /** Milliseconds one file's analysis may take; functions after it are listed as skipped. */
  fileMs: number;
}
export const DEFAULT_BUDGET: BudgetLimits = { functionMs: 200, fileMs: 2000 };
/**
 * The command line's defaults: a batch run waits for complete results. Its clock is the
 * process's CPU time, which in a fresh process includes the JIT compiling the analysis on
 * other threads: a 200-line register-blocked SGEMM that takes 20-40 ms warm took over
 * 200 ms as the first function of a run. MAX_STEPS still bounds runaway work.
 */
export const BATCH_BUDGET: BudgetLimits = { functionMs: 1000, fileMs: 10_000 };

/**
 * Steps one function may take whatever the clock says: work that grows exponentially with
 * the input ends the same way on a fast and a slow machine (real kernels need well under 1%).
 */
export const MAX_STEPS = 4_000_000;
/**
 * Syntax nesting beyond which a function is not modelled: the evaluators recurse along
 * the tree, so this keeps their stack depth bounded (real code stays under a few dozen).
 */
export const MAX_NESTING = 1000;

export const FILE_BUDGET_SPENT = "not analysed: the file's time budget ran out before it was done (setting fileBudgetMs)";
/** Lines (0-based rows) that read as functions inside braces at file scope: a syntax error before them swallowed them. */
export const unreadRegion = (first: number, last: number): string =>
  `lines ${first + 1}-${last + 1} hold what reads as a function inside braces at file scope (a syntax error before them, such as an unclosed \`if (...) {\` or a stray line): not analysed`;

/** The file's budget ran out in its preprocessing: its functions were read without some of their macros, types or helpers. */
export const HEADERS_CUT = "its macros, types and headers were read in part: the file's time budget ran out (setting fileBudgetMs)";

/**
 * The budget clock: this process's CPU time in milliseconds, so a busy machine (other
 * processes on the same cores) does not skip work that fits; wall time where there is none.
 * Reading the CPU time is a system call (called per function, per rule and per fix; it
 * takes 0.1–0.2 ms on a virtual machine): it is read at most every REFRESH_MS and the wall
 * clock's progress added in between, which can overstate it by less than REFRESH_MS (idle
 * time between two reads counts as work); it never goes back.
 */
const REFRESH_MS = 50;
let cpuAt = 0;
let wallAt = -Infinity;
let lastValue = 0;
export const now: () => number =
  typeof process !== 'undefined' && typeof process.cpuUsage === 'function'
    ? () => {
        const wall = performance.now();
        let value: number;
        if (wall - wallAt < REFRESH_MS) value = cpuAt + (wall - wallAt);
        else {
          const u = process.cpuUsage();
          wallAt = wall;
          value = cpuAt = (u.user + u.system) / 1000;
        }
        return (lastValue = Math.max(lastValue, value));
      }
    : () => performance.now();

const CHUNK = 1024;
let left = Infinity; // ticks until the next check; Infinity while no budget is in force
let used = 0;
let deadline = Infinity;
let maxSteps = Infinity;
let overrun = '';

function check(): void {
  if (maxSteps === Infinity && deadline === Infinity) {
    left = Infinity;
    return;
  }
  used += CHUNK;
  left = CHUNK;
  if (used > maxSteps) throw new BudgetExceeded(`not modelled: its analysis needed more than ${maxSteps.toLocaleString('en-US')} steps`);
  if (now() >= deadline) throw new BudgetExceeded(overrun);
}

/** One step of work under the budget in force (free when there is none). */
export function tick(): void {
  if (--left <= 0) check();
}

const OVER_TIME = 'not analysed: it took longer than its ';
/** A function skipped for its own time budget (not its steps, depth or the file's budget): another try may fit. */
export const overItsTime = (reason: string): boolean => reason.startsWith(OVER_TIME);

/**
 * Runs `work` under a budget of `ms` milliseconds (ending no later than `fileDeadline`)
 * and MAX_STEPS steps; throws BudgetExceeded when it runs out. Nested calls share the
 * outer budget (a helper inlined into a kernel is part of the kernel's work).
 */
export function withBudget<T>(ms: number, fileDeadline: number, work: () => T, setting = 'functionBudgetMs'): T {
  if (left !== Infinity || deadline !== Infinity) return work();
  used = 0;
  maxSteps = MAX_STEPS;
  const own = now() + ms;
  deadline = Math.min(own, fileDeadline);
  overrun = own <= fileDeadline
    ? `${OVER_TIME}${ms} ms budget (setting ${setting})`
    : FILE_BUDGET_SPENT;
  left = CHUNK;
  try {
    return work();
  } finally {
    left = Infinity;
    deadline = Infinity;
    maxSteps = Infinity;
  }
}

/** The deepest nesting under `root` (iterative: the depth it measures is the input's). */
export function nestingDepth<N extends { children: readonly N[] }>(root: N, stopAt = MAX_NESTING + 1): number {
  // two stacks rather than a pair per node: every function is measured, and a pair each is most of the cost
  let deepest = 0;
  const nodes: N[] = [root];
  const depths: number[] = [0];
  while (nodes.length) {
    const n = nodes.pop()!;
    const d = depths.pop()!;
    if (d > deepest) {
      deepest = d;
      if (deepest >= stopAt) return deepest;
    }
    for (const c of n.children) {
      nodes.push(c);
      depths.push(d + 1);
    }
  }
  return deepest;
}

export const TOO_DEEP = `not modelled: too deep (syntax nested over ${MAX_NESTING} levels)`;
