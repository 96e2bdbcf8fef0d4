// Versions of one kernel a caller picks between: llm.c's dev files launch `kernel1` (plain) or `kernel2` (16-byte
// loads, or cuBLAS on tensor cores) by `kernel_num`, in the arms of one `if` or `switch`, or through one launcher each
// (`switch (kernel_num) { case 1: gelu_forward1(...); break; case 2: gelu_forward2(...); }`). The plain version is
// the baseline the other improves on: what it leaves undone is written already.
import { neverTogether, type CallFact, type FunctionFacts } from './facts/model';
import { baseName } from './project';

/**
 * Every launch of kernel `name` sits in one arm of a choice whose other arm makes a call `twin` accepts, in the same
 * function or, where the launch is all a launcher of its own does, in the arms of each function calling that launcher;
 * a call of a launcher counts by the calls the launcher makes.
 */
export function launchedBeside(functions: readonly FunctionFacts[], name: string, twin: (c: CallFact) => boolean): boolean {
  const hosts = new Map(functions.filter((f) => !f.isKernel && !f.isDevice).map((f) => [f.name, f]));
  const runsTwin = (c: CallFact) => twin(c) || (c.kind === 'call' && !!hosts.get(c.name)?.calls.some(twin));
  const besideTwin = (host: FunctionFacts, call: CallFact) => !!call.scopes?.length &&
    host.calls.some((m) => m !== call && neverTogether(call.scopes, m.scopes) && runsTwin(m));
  const launchesIn = (h: FunctionFacts) => h.calls.filter((c) => c.kind === 'launch');
  const callers = (launcher: string) => functions.flatMap((d) => d.calls.filter((c) => c.kind === 'call' && c.name === launcher).map((c) => ({ d, c })));
  const sites = functions.flatMap((h) => (h.isKernel ? [] : launchesIn(h).filter((c) => baseName(c.name) === name).map((c) => ({ h, c }))));
  return sites.length > 0 && sites.every(({ h, c }) => besideTwin(h, c) ||
    (!c.scopes?.length && launchesIn(h).length === 1 && callers(h.name).length > 0 && callers(h.name).every(({ d, c: at }) => besideTwin(d, at))));
}

/** Two numbered versions of one kernel: names that differ only in their trailing number (`gelu_forward_kernel1`, `..._kernel2`; `reduce0`, `reduce3`). */
export function sameFamily(a: string, b: string): boolean {
  const version = /\d+$/;
  return a !== b && version.test(a) && version.test(b) && a.replace(version, '') === b.replace(version, '');
}

const movesVectors = (k: FunctionFacts) => k.accesses.some((a) => a.space === 'global' && a.vector);

/** The element families of a kernel's pointer parameters (`__half2` and `half` fp16, `__nv_bfloat16` bf16, `float4` float). */
function families(k: FunctionFacts): Set<string> {
  return new Set(k.params.filter((p) => p.pointer).map((p) =>
    /bfloat16|bf16/i.test(p.type) ? 'bf16' : /half/i.test(p.type) ? 'fp16' : /\bfloat[24]?\b/.test(p.type) ? 'float' : /\bdouble/.test(p.type) ? 'double' : p.type));
}

/**
 * The scalar kernels of the file launched only beside a version of the same family that moves vectors itself
 * (`*reinterpret_cast<const float4*>(inp + i)`, llm.c's `load128cs`), of the same elements (an fp16 `half2` kernel beside
 * a bf16 one is a dtype switch, and nothing packs the bf16).
 */
export function scalarVersions(functions: readonly FunctionFacts[]): Set<FunctionFacts> {
  const kernels = new Map(functions.filter((f) => f.isKernel).map((f) => [baseName(f.name), f]));
  const vectorNames = [...kernels].filter(([, k]) => movesVectors(k)).map(([n]) => n);
  const out = new Set<FunctionFacts>();
  if (!vectorNames.length) return out;
  for (const [name, k] of kernels) {
    if (movesVectors(k)) continue;
    const mine = families(k);
    const twin = (c: CallFact) => c.kind === 'launch' && vectorNames.includes(baseName(c.name)) && sameFamily(name, baseName(c.name)) &&
      mine.size > 0 && [...mine].every((f) => families(kernels.get(baseName(c.name))!).has(f));
    if (launchedBeside(functions, name, twin)) out.add(k);
  }
  return out;
}
