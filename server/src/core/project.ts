// Launch summaries across a project's files (ANALYSIS.md §0, "Interprocedural"): real
// code launches kernels through wrappers defined in other files (`caffe_gpu_powx(...)` in
// math_functions.cu, `axpy_ongpu(...)` in blas_kernels.cu). The index keeps, by name, the
// kernels and the small host functions that launch them, so the fusion rule sees the
// chain in the caller's file. Built by the CLI (and the evaluation) in a first pass.
import type { FileFacts, FunctionFacts } from './facts/model';

/** `caffe_gpu_powx<float>` -> `caffe_gpu_powx`: calls name the template, definitions its specializations. */
export const baseName = (name: string): string => name.replace(/<.*$/s, '').trim();

/** A wrapper is small: a few calls around its launches (bigger host functions are callers, not wrappers). */
const MAX_WRAPPER_CALLS = 16;

export class ProjectIndex {
  readonly kernels = new Map<string, FunctionFacts>();
  readonly hosts = new Map<string, FunctionFacts>();

  add(facts: FileFacts): void {
    for (const f of facts.functions) {
      const name = baseName(f.name);
      if (f.isKernel) {
        if (!this.kernels.has(name)) this.kernels.set(name, f);
      } else if (!f.isDevice && f.calls.length <= MAX_WRAPPER_CALLS && f.calls.some((c) => c.kind === 'launch' || c.kind === 'call')) {
        if (!this.hosts.has(name)) this.hosts.set(name, f);
      }
    }
  }

  get size(): number {
    return this.kernels.size + this.hosts.size;
  }
}
