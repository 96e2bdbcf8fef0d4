// Findings kept with the facts they were computed from. The engine caches each function's
// facts object across edits (FactsCache), so a file rule that checks one function at a
// time can reuse that function's findings while its facts object, and whatever else the
// check read, are the same: an edit re-checks only the functions it touched (DESIGN.md,
// performance budgets). A host function that reads kernels and wrappers by name is
// reused while those facts objects are the same too.
import type { CallFact, FunctionFacts } from '../../core/facts/model';
import type { Callables } from '../../core/project';
import type { RuleFinding } from '../../core/types';
import { linesOf, movedFindings, movedFrom } from '../../core/facts/shift';
import { hostCallee, passedIn } from '../../core/facts/wrappers';

/**
 * `derive(fn)` remembered per facts object: what a file rule gathers from every function (the arrays
 * its kernels read, the calls it makes) is then read again only for the functions an edit changed.
 */
export function perFacts<T>(derive: (fn: FunctionFacts) => T): (fn: FunctionFacts) => T {
  const cache = new WeakMap<FunctionFacts, T>();
  return (fn) => {
    let hit = cache.get(fn);
    if (hit === undefined && !cache.has(fn)) cache.set(fn, (hit = derive(fn)));
    return hit as T;
  };
}

/**
 * `check(fn, ...args)` remembered per facts object; `key(...args)` names what else the
 * check reads (a flag, the file's constants), so a different key computes again.
 */
export function perFunction<A extends unknown[], R = RuleFinding>(
  check: (fn: FunctionFacts, ...args: A) => R[],
  key: (...args: A) => string = () => '',
): (fn: FunctionFacts, ...args: A) => R[] {
  const cache = new WeakMap<FunctionFacts, { key: string; findings: R[] }>();
  return (fn, ...args) => {
    const k = key(...args);
    const hit = cache.get(fn);
    if (hit && hit.key === k) return hit.findings;
    // a function moved by whole lines (core/facts/shift.ts): its original's findings, moved
    const m = movedFrom(fn);
    const before = m && cache.get(m.from);
    const moved = before && before.key === k ? movedFindings(before.findings as object[], m.delta, m.from) : null;
    if (moved) {
      cache.set(fn, { key: k, findings: moved as R[] });
      return moved as R[];
    }
    const findings = check(fn, ...args);
    cache.set(fn, { key: k, findings });
    return findings;
  };
}

/** Each host's callees by the callables they were resolved in (one per file version): the fusion rules ask the same. */
const calleesIn = new WeakMap<Callables, WeakMap<FunctionFacts, (FunctionFacts | null)[]>>();

/** The facts a host function's check reads by name: what each call resolves to, and for a wrapper what its calls resolve to. */
function callees(host: FunctionFacts, c: Callables): (FunctionFacts | null)[] {
  let known = calleesIn.get(c);
  if (!known) calleesIn.set(c, (known = new WeakMap()));
  let out = known.get(host);
  if (!out) known.set(host, (out = resolveCallees(host, c)));
  return out;
}

function resolveCallees(host: FunctionFacts, c: Callables): (FunctionFacts | null)[] {
  // (a wrapper class's method called through an object, `w->Gemm(...)`, as callsThroughWrappers follows it)
  // (and a launcher the function takes as a parameter, the one its callers pass: `launch_softmax_bwd(...)`)
  const resolve = (x: CallFact, owner: FunctionFacts) =>
    c.kernels.get(x.name) ?? hostCallee(x, c.hosts) ?? (x.kind === 'call' ? passedIn(owner, x.name, c.hosts) : undefined) ?? null;
  const out: (FunctionFacts | null)[] = [];
  for (const call of host.calls) {
    if (call.kind === 'sync' || call.kind === 'copy') continue;
    const d = resolve(call, host);
    out.push(d);
    if (d && !d.isKernel && d !== host) for (const inner of d.calls) if (inner.kind !== 'sync' && inner.kind !== 'copy') out.push(resolve(inner, d)); // wrappers, two deep
  }
  return out;
}

/** `check(host, c)` remembered per host facts object while the kernels and wrappers it calls are the same facts objects. */
export function perHost(check: (host: FunctionFacts, c: Callables) => RuleFinding[]): (host: FunctionFacts, c: Callables) => RuleFinding[] {
  const cache = new WeakMap<FunctionFacts, { deps: (FunctionFacts | null)[]; findings: RuleFinding[] }>();
  return (host, c) => {
    const deps = callees(host, c);
    const hit = cache.get(host);
    if (hit && hit.deps.length === deps.length && hit.deps.every((d, i) => d === deps[i])) return hit.findings;
    const moved = movedHost(cache, host, deps);
    if (moved) return moved;
    const findings = check(host, c);
    cache.set(host, { deps, findings });
    return findings;
  };
}

/**
 * A host moved by whole lines (core/facts/shift.ts) whose kernels and wrappers are the same, or
 * moved with it by as many lines: its original's findings, moved (positions in those that moved
 * with it included); undefined when they cannot be.
 */
function movedHost(cache: WeakMap<FunctionFacts, { deps: (FunctionFacts | null)[]; findings: RuleFinding[] }>, host: FunctionFacts, deps: (FunctionFacts | null)[]): RuleFinding[] | undefined {
  const m = movedFrom(host);
  const before = m && cache.get(m.from);
  if (!m || !before || before.deps.length !== deps.length) return undefined;
  const along: FunctionFacts[] = [];
  for (let i = 0; i < deps.length; i++) {
    const d = deps[i];
    if (d === before.deps[i]) continue;
    const dm = d && movedFrom(d);
    if (!dm || dm.from !== before.deps[i] || dm.delta !== m.delta) return undefined;
    along.push(dm.from);
  }
  const findings = movedFindings(before.findings, m.delta, m.from, along.map(linesOf));
  if (!findings) return undefined;
  cache.set(host, { deps, findings });
  return findings;
}
