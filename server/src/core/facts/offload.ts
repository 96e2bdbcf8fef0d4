// Directive-offloaded C/C++ (ANALYSIS.md §0): OpenACC, OpenMP `target` and HMPP codelets look
// like host loops, but their loop nests run on an accelerator, one iteration per GPU thread.
// Cache blocking, interchange for a CPU cache or SIMD advice does not apply to them.
import type { FunctionFacts, LoopFact } from './model';

const OPENACC = /^acc\s+(?:parallel|kernels|serial|loop)\b/;
const OPENMP_TARGET = /^omp\s+target\b/;
/** `#pragma hmpp <label> codelet, ...` (its continuation lines end in `&`). */
const HMPP_CODELET = /^#\s*pragma\s+hmpp\s+\w+\s+codelet\b/;
/** The lines that may sit between a function's directives and its definition. */
const BETWEEN = /^\s*(?:#\s*pragma\b.*|\/\/.*|\/?\*.*|)$/;

/**
 * Where a function's loops run when a directive offloads them: from its loops' pragmas, and the pragma lines right
 * above its first line (`startRow`, 0-based; a template's `template <...>` line counts as its first).
 */
export function offloadOf(startRow: number, lines: readonly string[], loops: readonly LoopFact[]): FunctionFacts['offload'] {
  const pragmas = loops.flatMap((l) => l.pragmas);
  if (pragmas.some((p) => OPENACC.test(p))) return 'openacc';
  if (pragmas.some((p) => OPENMP_TARGET.test(p))) return 'openmp-target';
  for (let row = startRow - 1; row >= 0 && startRow - row <= 16 && BETWEEN.test(lines[row] ?? ''); row--) {
    if (HMPP_CODELET.test((lines[row] ?? '').trim())) return 'hmpp';
  }
  return undefined;
}
