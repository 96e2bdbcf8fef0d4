// What a file's calls tell the rules about its host functions, put into their facts before
// any rule runs: a loop bounded by a parameter that every call passes the same constant
// (`matmul_forward(Xb, W1, z1, BATCH_SIZE, ...)`, BATCH_SIZE 8) runs that many times, as if
// the bound were written there. Only for functions no other file can call (`static` ones,
// and any function of a program file, one with `main`): a library routine's callers elsewhere
// may pass other sizes.
import type { CallFact, FileFacts, FunctionFacts, LoopFact } from './facts/model';
import { tripCount } from './facts/c-syntax';
import { Poly } from './affine';
import { movedDerivation } from './facts/shift';
import { baseName, exportedFunctions } from './project';

/** Each host function with the trip counts its callers fix; the same object while nothing changed, so rule results stay cached. */
export function withCallSiteTrips(functions: FunctionFacts[], lines: readonly string[], project?: (name: string) => readonly (number | null)[] | null | undefined): FunctionFacts[] {
  // (and a function any file may call, with the constants every call of the project's files gives it: a wrapper in
  // kernels.cu that the training file calls with its batch size and 10 classes)
  // (not an entry exported for another language, `extern "C"`: its callers are elsewhere too; the project knows the
  // headers' and other files' such entries, ProjectIndex.repeatedCallConstants)
  const exports = project ? new Set(exportedFunctions({ functions, lines } as FileFacts)) : null;
  const fromProject = (f: FunctionFacts) => {
    const values = !f.isKernel && !f.isDevice && !exports?.has(f) ? project?.(baseName(f.name)) : undefined;
    return values && values.length === f.params.length && values.some((v, i) => v !== null && !f.params[i].pointer) ? values : undefined;
  };
  const remote = project ? functions.filter((f) => fromProject(f)) : [];
  // every binding starts at a constant argument (most files have none to give)
  if (!remote.length && !functions.some((f) => !f.isKernel && f.calls.some((c) => c.kind === 'call' && c.argValues))) return functions;
  const calls = new Map<string, { call: CallFact; caller: FunctionFacts }[]>();
  for (const caller of functions)
    for (const call of caller.calls) {
      if (call.kind !== 'call') continue;
      const list = calls.get(call.name);
      if (list) list.push({ call, caller });
      else calls.set(call.name, [{ call, caller }]);
    }
  const program = functions.some((f) => f.name === 'main');
  const local = functions.filter((f) => !f.isKernel && !f.isDevice && calls.has(f.name) && (program || isStatic(f, lines)));
  if (!local.length && !remote.length) return functions;
  // the constant each parameter gets at every call; through the callers' own bound parameters
  // (`linear_backward(..., BATCH_SIZE, ...)` passing `rows` on to `matmul_at_b`), a few levels deep
  const bound = new Map<FunctionFacts, Map<string, number>>();
  for (const f of remote) {
    if (local.includes(f)) continue;
    const values = fromProject(f)!;
    bound.set(f, new Map(f.params.flatMap((p, i) => (!p.pointer && values[i] !== null ? [[p.name, values[i]!] as const] : []))));
  }
  for (let round = 0; round < 3; round++) {
    for (const f of local) {
      const mine = calls.get(f.name)!;
      const out = new Map<string, number>();
      f.params.forEach((p, i) => {
        if (p.pointer) return;
        const values = mine.map(({ call, caller }) => {
          if (call.args.length !== f.params.length) return null;
          return call.argValues?.[i] ?? bound.get(caller)?.get(call.args[i].trim()) ?? null;
        });
        if (values[0] !== null && values.every((v) => v === values[0])) out.set(p.name, values[0]);
        // (or at most a small size at every call, a recursion's leaf under `if (n <= LEAF)`: as many trips as that, at most)
        else {
          const caps = mine.map(({ call }, k) => values[k] ?? call.argCaps?.[i] ?? null);
          if (caps.every((c) => c !== null && c <= LEAF_CAP)) out.set(p.name, Math.max(...(caps as number[])));
        }
      });
      bound.set(f, out);
    }
  }
  return functions.map((f) => {
    const known = bound.get(f);
    if (!known?.size || (!f.loops.length && !f.calls.some((c) => c.kind === 'launch'))) return f;
    const key = [...known].join();
    const hit = tripped.get(f);
    if (hit && hit.key === key) return hit.facts;
    const moved = movedDerivation(tripped, f, key);
    if (moved) return moved;
    let changed = false;
    const loops = f.loops.map((l): LoopFact => {
      const v = l.trips === undefined && l.kind === 'for' && l.bound !== null ? known.get(l.bound.trim()) : undefined;
      const trips = v !== undefined ? tripCount(l.init, l.step, Poly.const(v), !!l.inclusive) : null;
      if (trips === null) return l;
      changed = true;
      return { ...l, trips };
    });
    // a launch passing a parameter on (`softmax_kernel<<<...>>>(out, inp, N, C)` in a wrapper `main` calls with C = 50257):
    // the launch's argument is the constant every call gives
    const calls = f.calls.map((c): CallFact => {
      if (c.kind !== 'launch') return c;
      const values = c.args.map((a, i) => c.argValues?.[i] ?? known.get(a.trim()) ?? valueOf(c.argForms?.[i], known));
      if (!values.some((v, i) => v !== null && (c.argValues?.[i] ?? null) === null)) return c;
      changed = true;
      return { ...c, argValues: values };
    });
    const facts = changed ? { ...f, loops, calls } : f;
    tripped.set(f, { key, facts });
    return facts;
  });
}
/** The largest size cap taken as a leaf's trip count (a Strassen cutoff of 64 or 128: blocks that stay in cache). */
const LEAF_CAP = 256;
const tripped = new WeakMap<FunctionFacts, { key: string; facts: FunctionFacts }>();

/** A launch argument's form (`128·batch`) with the parameters every call fixes put in, when that leaves a constant. */
function valueOf(form: Poly | null | undefined, known: ReadonlyMap<string, number>): number | null {
  if (!form) return null;
  let v = form;
  for (const s of form.symbols()) {
    const k = known.get(s);
    if (k === undefined) return null;
    v = v.substitute(s, Poly.const(k));
  }
  return v.isConstant ? v.constant : null;
}

/** `static void f(...)`: the head before the name says so. */
function isStatic(f: FunctionFacts, lines: readonly string[]): boolean {
  const head = lines.slice(f.range.start.line, f.nameRange.start.line + 1).join(' ');
  return /\bstatic\b/.test(head);
}
