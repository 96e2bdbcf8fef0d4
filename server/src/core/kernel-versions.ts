// Versions of one kernel a caller picks between: llm.c's dev files launch `kernel1` (plain) or `kernel2` (16-byte
// loads) by `kernel_num`, in the arms of one `if` or `switch`, or through one launcher each
// (`switch (kernel_num) { case 1: gelu_forward1(...); break; case 2: gelu_forward2(...); }`). The plain version is
// the baseline the vector one improves on: its scalar accesses are written on purpose.
import { neverTogether, type CallFact, type FunctionFacts } from './facts/model';
import { baseName } from './project';

/** Two kernel names of one family: a shared stem of at least 6 characters and half the shorter name (`gelu_forward_kernel1`, `..._kernel2`). */
function sameFamily(a: string, b: string): boolean {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return a !== b && n >= 6 && n * 2 >= Math.min(a.length, b.length);
}

const movesVectors = (k: FunctionFacts) => k.accesses.some((a) => a.space === 'global' && a.vector);

/** The element families of a kernel's pointer parameters (`__half2` and `half` fp16, `__nv_bfloat16` bf16, `float4` float). */
function families(k: FunctionFacts): Set<string> {
  return new Set(k.params.filter((p) => p.pointer).map((p) =>
    /bfloat16|bf16/i.test(p.type) ? 'bf16' : /half/i.test(p.type) ? 'fp16' : /\bfloat[24]?\b/.test(p.type) ? 'float' : /\bdouble/.test(p.type) ? 'double' : p.type));
}

/**
 * The scalar kernels of the file every launch of which sits in one arm of a choice whose other arm launches a version
 * of the same family that moves vectors itself (`*reinterpret_cast<const float4*>(inp + i)`, llm.c's `load128cs`).
 */
export function scalarVersions(functions: readonly FunctionFacts[]): Set<FunctionFacts> {
  const kernels = new Map(functions.filter((f) => f.isKernel).map((f) => [baseName(f.name), f]));
  const vectorNames = [...kernels].filter(([, k]) => movesVectors(k)).map(([n]) => n);
  const out = new Set<FunctionFacts>();
  if (!vectorNames.length) return out;
  const hosts = new Map(functions.filter((f) => !f.isKernel && !f.isDevice).map((f) => [f.name, f]));
  const launchesIn = (h: FunctionFacts) => h.calls.filter((c) => c.kind === 'launch');
  // the vector kernels a call runs: a launch of one, or a call of a launcher that launches one
  const vectorRun = (c: CallFact): string[] => {
    if (c.kind === 'launch') return vectorNames.includes(baseName(c.name)) ? [baseName(c.name)] : [];
    const w = c.kind === 'call' ? hosts.get(c.name) : undefined;
    return w ? launchesIn(w).map((l) => baseName(l.name)).filter((n) => vectorNames.includes(n)) : [];
  };
  // `call`, made in `host`, sits in an arm whose other arm runs a vector version of `name`
  // (of the same elements: an fp16 `half2` kernel beside a bf16 one is a dtype switch, and nothing packs the bf16)
  const sameElements = (a: string, b: string) => {
    const fa = families(kernels.get(a)!), fb = families(kernels.get(b)!);
    return fa.size > 0 && [...fa].every((f) => fb.has(f));
  };
  const besideTwin = (host: FunctionFacts, call: CallFact, name: string) => !!call.scopes?.length &&
    host.calls.some((m) => m !== call && neverTogether(call.scopes, m.scopes) && vectorRun(m).some((v) => sameFamily(name, v) && sameElements(name, v)));
  const callers = (name: string) => functions.flatMap((d) => d.calls.filter((c) => c.kind === 'call' && c.name === name).map((c) => ({ d, c })));
  for (const [name, k] of kernels) {
    if (movesVectors(k)) continue;
    const sites = functions.flatMap((h) => (h.isKernel ? [] : launchesIn(h).filter((c) => baseName(c.name) === name).map((c) => ({ h, c }))));
    if (!sites.length) continue;
    const twinned = sites.every(({ h, c }) => besideTwin(h, c, name) ||
      // (through a launcher of its own, `gelu_forward1`, that a dispatcher calls in one arm)
      (!c.scopes?.length && launchesIn(h).length === 1 && callers(h.name).length > 0 && callers(h.name).every(({ d, c: at }) => besideTwin(d, at, name))));
    if (twinned) out.add(k);
  }
  return out;
}
