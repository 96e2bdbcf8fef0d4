// Host functions summarised by the launches they make (ANALYSIS.md §0, "Interprocedural"):
// a caller of launch wrappers (`gelu_forward(out, inp, N)` launching `gelu_kernel`) sees
// the wrapped launches at its call sites, with the wrapper's parameters replaced by the
// caller's arguments, so the fusion rule reads one chain of launches.
import type { CallFact, FunctionFacts } from './model';
import { DEVICE_ALLOCATION } from './library';
import { boundedMemo } from '../bounded-memo';

const MAX_DEPTH = 2;
/** Branch-id space reserved for one expanded wrapper call (branch ids are statement * 1024 + arm). */
const WRAPPER_SCOPES = 1 << 30;

/** Replaces a wrapper parameter by the caller's argument in an argument text (`inp + off` -> `d_x + off`). */
function substitute(text: string, params: readonly string[], args: readonly string[]): string {
  if (params.length === 0) return text;
  const names = new Map(params.map((p, i) => [p, args[i]] as const));
  return text.replace(/\b[A-Za-z_]\w*\b/g, (w) => {
    const a = names.get(w);
    return a === undefined ? w : /^[\w.]+$/.test(a) ? a : `(${a})`;
  });
}

/** A method called through an object, `w->Gemm` or `gemm.run`: the method's name (a wrapper class's method, defined in the project). */
export const methodName: (call: string) => string = boundedMemo((call) => /^(?:[A-Za-z_]\w*(?:->|\.))+([A-Za-z_]\w*)$/.exec(call)?.[1] ?? '', 10_000);

/**
 * The host function a call names: by its name, or a method through an object (`res.forward`) by the object's class
 * where the call knows it (two classes' `forward` methods are two functions), else by the method's name.
 */
export function hostCallee(c: CallFact, hosts: ReadonlyMap<string, FunctionFacts>): FunctionFacts | undefined {
  const method = methodName(c.name);
  const owner = c.scope && method ? c.scope.replace(/\b(?:const|volatile|struct|class)\b|[&*\s]/g, '').replace(/<[\s\S]*$/, '').replace(/^.*::/, '') : '';
  return (owner ? hosts.get(`${owner}::${method}`) : undefined) ?? hosts.get(c.name) ?? hosts.get(method);
}

/**
 * A launcher the host takes as a parameter (`template <typename Launcher> void attention_backward(Launcher
 * launch_softmax_bwd, ...)`, or a function pointer) where every call of the host in the file passes the same
 * function of the file there (`attention_backward(launch_softmax_1, ...)`): that function.
 */
export function passedIn(host: FunctionFacts, name: string, hosts: ReadonlyMap<string, FunctionFacts>): FunctionFacts | undefined {
  const at = host.params.findIndex((p) => p.name === name);
  if (at < 0) return undefined;
  const passed = new Set<string>();
  for (const g of hosts.values()) for (const d of g.calls) if (d.kind === 'call' && d.name === host.name && d.args[at] !== undefined) passed.add(d.args[at].trim().replace(/^&\s*/, ''));
  const [only] = passed;
  return passed.size === 1 && only !== host.name ? hosts.get(only) : undefined;
}

/**
 * The host's calls with each pointer set from a wrapper's result (`float* y = matmul_forward(out, ...)` of a
 * wrapper that ends `return out;`) named as the argument the wrapper hands back: the caller's `out`.
 */
function returnedBuffers(host: FunctionFacts, hosts: ReadonlyMap<string, FunctionFacts>): readonly CallFact[] {
  const aliases = host.resultAliases;
  if (!aliases) return host.calls;
  const named = new Map<string, string>();
  for (const [local, { call, roots }] of Object.entries(aliases)) {
    const callee = hosts.get(call);
    const at = callee?.returnsParam ? callee.params.findIndex((p) => p.name === callee.returnsParam) : -1;
    const root = at >= 0 ? roots[at] : null;
    if (root) named.set(local, root);
  }
  if (!named.size) return host.calls;
  return host.calls.map((c) => (c.argRoots.some((r) => r !== null && named.has(r)) ? { ...c, argRoots: c.argRoots.map((r) => (r !== null ? named.get(r) ?? r : r)) } : c));
}

/**
 * The host function's calls with every call of a launch wrapper replaced by the
 * wrapper's own launches (bounded depth), each placed at the caller's call site.
 */
export function callsThroughWrappers(host: FunctionFacts, hosts: ReadonlyMap<string, FunctionFacts>, depth = 0): CallFact[] {
  const out: CallFact[] = [];
  for (const c of returnedBuffers(host, hosts)) {
    const wrapper = c.kind === 'call' && depth < MAX_DEPTH ? hostCallee(c, hosts) ?? passedIn(host, c.name, hosts) : undefined;
    // (as many arguments as parameters, or fewer where the rest have default values: `gemm(out, inp, w)` of `pre_gelu = NULL`)
    const fits = !!wrapper && c.args.length <= wrapper.params.length && wrapper.params.slice(c.args.length).every((p) => p.optional);
    if (!wrapper || wrapper === host || !fits) {
      out.push(c);
      continue;
    }
    const inner = callsThroughWrappers(wrapper, hosts, depth + 1).filter((w) => w.kind === 'launch');
    if (inner.length === 0) {
      out.push(c);
      continue;
    }
    const params = wrapper.params.map((p) => p.name);
    // (the object a method is called on, `fc1` of `fc1.forward(x)`, `net->layer` of `net->layer.run()`)
    const receiver = /^([A-Za-z_][\w.>-]*?)\s*(?:\.|->)\s*[A-Za-z_]\w*$/.exec(c.name)?.[1]?.replace(/->/g, '.') ?? null;
    // (a parameter the call leaves to its default, `float* pre_gelu = NULL`, names no buffer of the caller's)
    const given = (i: number) => i < c.args.length;
    // buffers the wrapper allocates itself are its own, whatever the caller's are named
    const own = new Set(wrapper.calls.filter((w) => DEVICE_ALLOCATION.test(w.name)).map((w) => w.argRoots[0]).filter((r): r is string => !!r));
    const armsOffset = (out.length + 1) * WRAPPER_SCOPES * (depth + 1);
    for (const l of inner) {
      // (a kernel the caller hands in, `run_kernel(transpose, grid, block, ...)` launching `k<<<grid, block>>>`)
      const kernelParam = params.indexOf(l.name);
      out.push({
        ...l,
        ...(kernelParam >= 0 && given(kernelParam) ? { name: c.args[kernelParam].trim().replace(/^&\s*/, '') } : {}),
        range: c.range,
        nameRange: c.nameRange,
        args: l.args.map((a) => substitute(a, params, c.args)),
        argRoots: l.argRoots.map((r) => {
          const i = r === null ? -1 : params.indexOf(r);
          if (i >= 0) return given(i) ? c.argRoots[i] : null;
          // a member of a parameter (`input.cudaData`, `t->data`) is that member of the caller's argument
          const member = r === null ? null : /^([A-Za-z_]\w*)((?:\.|->).+)$/.exec(r);
          const j = member ? params.indexOf(member[1]) : -1;
          // (named as the caller names it where it passes a plain name: `silu_mul(s, n)` reading `s->hb` is the caller's `s->hb`,
          // even where `s` is a local alias the caller's roots resolve, `RunState *s = &t->state`)
          const plain = j >= 0 && given(j) && /^[A-Za-z_]\w*$/.test(c.args[j].trim()) ? c.args[j].trim() : null;
          // (or by address, `silu_mul(&s, n)` of a state the caller reaches as `s.hb`, `silu_mul(&t->state, n)`: `p->hb` is `s.hb`)
          const addressed = j >= 0 && given(j) && member![2].startsWith('->') ? /^&\s*([A-Za-z_][\w.]*(?:->[A-Za-z_][\w.]*)*)$/.exec(c.args[j].trim())?.[1] : undefined;
          if (addressed) return `${addressed}.${member![2].slice(2)}`;
          if (j >= 0) return !given(j) || c.argRoots[j] === null ? null : `${plain ?? c.argRoots[j]}${member![2]}`;
          if (r !== null && own.has(r)) return `${wrapper.name}::${r}`;
          // (a method's data member, `y` of `Linear::forward` called as `fc1.forward(x)`: the caller's `fc1.y`)
          return r !== null && receiver && wrapper.className && /^[A-Za-z_]\w*$/.test(r) && !params.includes(r) ? `${receiver}.${r}` : r;
        }),
        ...choicesThrough(l, params, c),
        grid: l.grid && substitute(l.grid, params, c.args),
        block: l.block && substitute(l.block, params, c.args),
        ...(l.threads ? { threads: substitute(l.threads, params, c.args) } : {}),
        loops: c.loops,
        // (where the call runs: in the caller's loops, under its `% N` guards, perhaps in a lambda called elsewhere)
        rareIn: c.rareIn,
        ...(c.once || l.once ? { once: true } : {}),
        inLambda: c.inLambda || l.inLambda,
        // the wrapper's own branches (`if (a == RELU) relu<<<>>>; else if ...`) stay arms of one conditional, numbered apart from the caller's
        scopes: [...(c.scopes ?? []), ...(l.scopes ?? []).map((id) => id + armsOffset)],
        via: c.name,
      });
    }
  }
  return out;
}

/**
 * The conditional arguments of a wrapper's launch, as the caller names them: a wrapper's parameter passed on is the
 * caller's conditional argument there, both arms (`training ? dropped : probs`); a wrapper's own conditional
 * (`train ? p_drop : p_soft`) names its parameters, each the caller's buffer at that place.
 */
function choicesThrough(l: CallFact, params: readonly string[], c: CallFact): Pick<CallFact, 'argChoices'> {
  let out: Record<number, string[]> | undefined;
  const callers = (name: string): string[] => {
    const i = params.indexOf(name);
    if (i < 0) return [name];
    return c.argChoices?.[i] ?? (c.argRoots[i] ? [c.argRoots[i]!] : []);
  };
  l.argRoots.forEach((r, k) => {
    const i = r === null ? -1 : params.indexOf(r);
    const arms = i >= 0 ? c.argChoices?.[i] : l.argChoices?.[k]?.flatMap(callers);
    if (arms?.length) (out ??= {})[k] = arms;
  });
  return out ? { argChoices: out } : {};
}
