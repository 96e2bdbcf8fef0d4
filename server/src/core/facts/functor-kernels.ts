// A generic kernel whose work is a function object passed at the launch (`each<<<g, b>>>(n, f)`
// calling `f(i)`, with `f` a `__device__` lambda written at the host call). The lambda's body is
// not modelled at the call, so the kernel looks empty: it is listed as not modelled rather than
// passing silently for a kernel with nothing to improve.
import type { FunctionFacts } from './model';
import { keptAcrossMoves } from './shift';

/** Why a kernel's work is out of sight: it calls a function-object parameter and touches no memory itself; else null. */
export function functorKernelReason(f: FunctionFacts): string | null {
  // (asked of every function on every edit: an unchanged function keeps its facts object, and its answer)
  let why = keptAcrossMoves(reasons, f);
  if (why === undefined) reasons.set(f, (why = readReason(f)));
  return why;
}
const reasons = new WeakMap<FunctionFacts, string | null>();

function readReason(f: FunctionFacts): string | null {
  if (!f.isKernel || f.decorators || f.accesses.some((a) => a.space === 'global' || a.space === 'shared')) return null;
  const functor = f.params.find((p) => !p.pointer && f.templateParams.includes(p.type.replace(/\b(?:const|volatile)\b|&/g, '').trim()) &&
    f.calls.some((c) => c.kind === 'call' && c.name === p.name));
  return functor ? `its work is \`${functor.name}(...)\`, a function object passed at the launch (a functor or a device lambda), which is not modelled` : null;
}
