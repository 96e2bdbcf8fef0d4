// Launches made inside a template host function (apex's `HostApplyLayerNorm<T, U, V>`, launching
// `cuApplyLayerNorm<<<...>>>(output, ..., input, ...)` with its own `const T* input`): the types
// they give the kernel are the ones the host's calls give the host
// (`HostApplyLayerNorm<__nv_bfloat16, float, __nv_bfloat16>(...)`, or a caller's `const half*`
// argument deduced), or its explicit instantiations (`template void reduce<float>(...);`).
// Each call of the host makes one instance of the launch, its template arguments written out in types.
import type { CallFact, FunctionFacts } from './facts/model';
import { baseType, elementBits } from './facts/ctypes';
import { baseName } from './project';

type Instance = ReadonlyMap<string, string>;

/** A template argument that names a type whose width is known (`float`, `const __nv_bfloat16`: `__nv_bfloat16`), else null. */
export const knownType = (text: string | undefined): string | null => {
  const t = baseType(text ?? '');
  return /^[A-Za-z_][\w: ]*$/.test(t) && elementBits(t) !== null ? t : null;
};

/**
 * Each template host function's instances: per call of it in the file, its type parameters' types, where the call
 * names all of them (explicitly, or through pointer arguments that are the caller's parameters of known types).
 */
export function hostInstances(functions: readonly FunctionFacts[], instantiations: readonly CallFact[] = []): ReadonlyMap<FunctionFacts, readonly Instance[]> {
  const hosts = new Map(functions.filter((f) => !f.isKernel && !f.isDevice && f.templateParams.length).map((f) => [baseName(f.name), f]));
  const out = new Map<FunctionFacts, Instance[]>();
  if (!hosts.size) return out;
  // (the calls of the file's functions, and its explicit instantiations: `template void reduce<float>(...);`)
  const sites = [...functions.flatMap((g) => g.calls.map((c) => ({ c, g: g as FunctionFacts | null }))), ...instantiations.map((c) => ({ c, g: null }))];
  // (a few levels of template hosts, cuda-samples' `runTest<float>` calling `benchmarkReduce<T>` calling `reduce<T>`:
  // a call inside a host's instance names that instance's types)
  const keys = new Map<FunctionFacts, Set<string>>();
  for (let depth = 0; depth < MAX_HOST_DEPTH; depth++) {
    let grew = false;
    for (const { c, g } of sites) {
      const host = c.kind === 'call' ? hosts.get(baseName(c.name)) : undefined;
      if (!host || host === g) continue;
      for (const from of (g && out.get(g)) || [NO_INSTANCE]) {
        const types = new Map<string, string>();
        host.templateParams.forEach((name, i) => {
          const written = c.templateArgs?.[i]?.trim();
          const t = knownType(written) ?? (written ? from.get(written) : undefined) ?? (g ? deduced(host, name, c, g, from) : null);
          if (t) types.set(name, t);
        });
        const key = [...types].join();
        const seen = keys.get(host) ?? keys.set(host, new Set()).get(host)!;
        if (!types.size || seen.has(key)) continue;
        seen.add(key);
        (out.get(host) ?? out.set(host, []).get(host)!).push(types);
        grew = true;
      }
    }
    if (!grew) break;
  }
  return out;
}
/** Template hosts calling template hosts followed this many levels deep. */
const MAX_HOST_DEPTH = 4;
const NO_INSTANCE: Instance = new Map();

/** `name` deduced from a pointer argument: the host's `const T* input` given the caller's `const half* in`. */
function deduced(host: FunctionFacts, name: string, call: CallFact, caller: FunctionFacts, from: Instance): string | null {
  const at = host.params.findIndex((p) => p.pointer && baseType(p.type) === name);
  if (at < 0 || call.args.length !== host.params.length) return null;
  const given = caller.params.find((p) => p.pointer && p.name === call.args[at].trim());
  // (the caller's own `T* d_in` in one of its instances: that instance's `T`)
  return given ? knownType(given.type) ?? from.get(baseType(given.type)) ?? null : null;
}

/**
 * The launch as each instance of its host makes it: its template arguments in types (`cuApplyLayerNorm<T, U, V>` ->
 * `<__nv_bfloat16, float, __nv_bfloat16>`), or, with none written, deduced from the host's parameters it passes
 * (`input`, a `const T*`, as the kernel's `const T* vals`). Empty when the launch names none of the host's types.
 */
export function launchInstances(launch: CallFact, host: FunctionFacts, kernel: FunctionFacts | undefined, instances: readonly Instance[]): CallFact[] {
  const written = launch.templateArgs ?? (kernel ? deducedArgs(launch, host, kernel) : null);
  if (!written?.some((a) => host.templateParams.includes(a.trim()))) return [];
  return instances.map((types) => ({ ...launch, templateArgs: written.map((a) => types.get(a.trim()) ?? a) }));
}

/** The kernel's type parameters as the host's names for them: the kernel's `const T* vals` given the host's `const U* input` -> `U`. */
function deducedArgs(launch: CallFact, host: FunctionFacts, kernel: FunctionFacts): string[] | null {
  if (!kernel.templateParams.length || launch.args.length !== kernel.params.length) return null;
  const out = kernel.templateParams.map((name) => {
    const at = kernel.params.findIndex((p) => p.pointer && baseType(p.type) === name);
    const given = at >= 0 ? host.params.find((p) => p.pointer && p.name === launch.args[at].trim()) : undefined;
    return given ? baseType(given.type) : '';
  });
  return out.some((t) => host.templateParams.includes(t)) ? out : null;
}
