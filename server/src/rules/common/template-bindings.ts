// Template parameters of a kernel that its launches set (`gather<8><<<...>>>`,
// `rows<TILE_SIZE>` with `static const int TILE_SIZE = 16;` in the launcher): when every
// launch in the kernel's file or the project's launch wrappers passes the same integer, the rules that evaluate lanes put it
// in, so a stride or a shared-memory index set at the launch is judged with its value.
import type { AccessFact, CallFact, FileFacts, FunctionFacts } from '../../core/facts/model';
import { bindSymbols, mentionsAny } from '../../core/affine';
import { baseName } from '../../core/project';
import { constantValue, fileConstants } from './file-constants';

/** Template parameters bound to integers at every launch of the kernel in its file: `D` of `attn<64><<<...>>>`. */
export type Bindings = ReadonlyMap<string, number>;
export const NO_BINDINGS: Bindings = new Map();

/** An access with the template arguments put in, and which ones (`` `STRIDE` = 8 ``), for the finding's assumptions. */
export type BoundAccess = AccessFact & { boundAt?: string };

/** The accesses with the kernel's bound template parameters put in (`in[t * STRIDE]` with STRIDE = 8 is `in[8*t]`). */
export function boundAccesses(fn: FunctionFacts, bindings: Bindings): BoundAccess[] {
  if (!bindings.size) return fn.accesses;
  return fn.accesses.map((a) => {
    const used = [...bindings].filter(([name, v]) => a.indices.some((p) => mentionsAny(p, new Map([[name, v]]))));
    if (!used.length) return a;
    const indices = a.indices.map((p) => bindSymbols(p, bindings));
    return { ...a, indices, boundAt: used.map(([name, v]) => `\`${name}\` = ${v}`).join(', ') };
  });
}

/** Per analysis: the coalescing and bank-conflict rules both ask. */
const bindingsOf = new WeakMap<FileFacts, Map<string, Bindings>>();

/** Each kernel's template parameters and block extents that every launch in the file sets to one integer (literal or named constant). */
export function templateBindings(facts: FileFacts): Map<string, Bindings> {
  let out = bindingsOf.get(facts);
  if (!out) bindingsOf.set(facts, (out = findBindings(facts)));
  return out;
}

function findBindings(facts: FileFacts): Map<string, Bindings> {
  const out = new Map<string, Bindings>();
  const kernels = facts.functions.filter((f) => f.isKernel);
  if (!kernels.length) return out;
  let constants: ReturnType<typeof fileConstants>['constants'] | undefined; // read only for a template kernel
  // the file's functions, and the project's launch wrappers (a kernel in a header, launched from a .cu file)
  const callers = [...facts.functions, ...(facts.project?.hosts.values() ?? [])];
  const launches = new Map<string, CallFact[]>();
  for (const f of callers) for (const c of f.calls) if (c.kind === 'launch') (launches.get(baseName(c.name)) ?? launches.set(baseName(c.name), []).get(baseName(c.name))!).push(c);
  for (const k of kernels) {
    const mine = launches.get(baseName(k.name));
    if (!mine) continue;
    const bound = new Map<string, number>();
    k.templateParams.forEach((name, i) => {
      const values = new Set(mine.map((c) => (c.templateArgs ? c.templateValues?.[i] ?? constantValue(c.templateArgs[i] ?? null, (constants ??= fileConstants(facts.lines).constants)) : null)));
      const [v] = values;
      if (values.size === 1 && v !== null && v !== undefined) bound.set(name, v);
    });
    // the block's shape, when every launch gives the same (`dim3 block(32, 16)`: blockDim.y = 16; `<<<g, 256>>>`: y = 1)
    ['x', 'y', 'z'].forEach((axis, i) => {
      const values = new Set(mine.map((c) => (c.blockDims ? (i < c.blockDims.length ? c.blockDims[i] : 1) : null)));
      const [v] = values;
      if (values.size === 1 && v !== null && v !== undefined && v > 0) bound.set(`blockDim.${axis}`, v);
    });
    if (bound.size) out.set(k.name, bound);
  }
  return out;
}
