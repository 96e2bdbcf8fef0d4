// Directive-offloaded C/C++ (ANALYSIS.md §0): OpenACC, OpenMP `target` and HMPP codelets look
// like host loops, but their loop nests run on an accelerator, one iteration per GPU thread.
// Cache blocking, interchange for a CPU cache or SIMD advice does not apply to them.
import type { FunctionFacts, LoopFact } from './model';

/** A compute directive: an OpenACC compute construct or loop, an OpenMP `target` region (not `target data`, `enter`, `exit`, `update`). */
const OPENACC = /^acc\s+(?:parallel|kernels|serial|loop)\b/;
const OPENMP_TARGET = /^omp\s+target\b(?!\s+(?:data|enter|exit|update)\b)/;
/** `#pragma hmpp <label> codelet, ...` (its continuation lines end in `&`). */
const HMPP_CODELET = /^#\s*pragma\s+hmpp\s+\w+\s+codelet\b/;
/** The lines that may sit between a function's directives and its definition. */
const BETWEEN = /^\s*(?:#\s*pragma\b.*|\/\/.*|\/?\*.*|)$/;

/**
 * Marks the loops a directive offloads (`LoopFact.offloaded`) and says by which directive: every loop of an HMPP codelet
 * (the pragma lines right above its first line, `startRow`, 0-based), and each whole nest in which a loop carries an
 * OpenACC or OpenMP `target` compute directive. (A region's directive is read by the first loop after it: a second
 * nest of one `acc kernels` region with no directive of its own is taken for host code.) Host nests beside them in
 * the same function, a CPU reference, are left as they are.
 */
export function markOffloaded(startRow: number, lines: readonly string[], loops: LoopFact[]): FunctionFacts['offload'] {
  if (hmppCodelet(startRow, lines)) {
    for (const l of loops) l.offloaded = true;
    return loops.length ? 'hmpp' : undefined;
  }
  let kind: FunctionFacts['offload'];
  const byId = new Map(loops.map((l) => [l.id, l]));
  const root = (l: LoopFact): LoopFact => (l.parent === null || !byId.has(l.parent) ? l : root(byId.get(l.parent)!));
  const offloadedRoots = new Set<LoopFact>();
  for (const l of loops) {
    const acc = l.pragmas.some((p) => OPENACC.test(p));
    if (!acc && !l.pragmas.some((p) => OPENMP_TARGET.test(p))) continue;
    kind ??= acc ? 'openacc' : 'openmp-target';
    offloadedRoots.add(root(l));
  }
  for (const l of loops) if (offloadedRoots.has(root(l))) l.offloaded = true;
  return kind;
}

function hmppCodelet(startRow: number, lines: readonly string[]): boolean {
  for (let row = startRow - 1; row >= 0 && startRow - row <= 16 && BETWEEN.test(lines[row] ?? ''); row--) {
    if (HMPP_CODELET.test((lines[row] ?? '').trim())) return true;
  }
  return false;
}
