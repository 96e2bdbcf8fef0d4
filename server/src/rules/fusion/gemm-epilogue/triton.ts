// The Triton half of fusion/gemm-epilogue. In a host function, a GEMM produces a tensor:
// a launch of a `tl.dot` kernel, a host helper that launches one and returns its output
// (`c = matmul(a, b)`), or a PyTorch matmul (`a @ b`, `torch.matmul`, `torch.bmm`). When
// the first thing that reads it is an elementwise op (`c * scale`, `c + bias`,
// `F.gelu(c)`, or an elementwise kernel's launch), that op is a separate pass over the
// whole output that the GEMM kernel could apply to its accumulator before `tl.store`.
// Quiet when the kernel already does (its output goes straight on), when the output
// first goes anywhere else (a reduction, a softmax, another matmul, a view), in checks
// (`(c - ref).abs().max()`) and in reference oracles.
import { detail } from '../../common/detail';
import { neverTogether } from '../../../core/facts/model';
import type { AccessFact, CallFact, FileFacts, FunctionFacts } from '../../../core/facts/model';
import type { RuleFinding } from '../../../core/types';
import { compiledHosts, isNaiveVersion, isUnfusedBaseline, kernelLibrary, pythonOracles } from '../../common/reference';
import { isGemmShaped } from '../../common/gemm-shape';
import { attentionChain, isDecodeStep, isTranspose } from '../../common/attention-chain';
import { passesAfter } from '../../common/eager-steps';
import { VIEWS, autogradApply, bindArguments, feedsHostCheck, firstUse, importedHelpers, isElementwise, launchHelpers, plainBuffer, storedParams, textOf, type LaunchHelper } from '../../common/triton-host';

/** What epilogue fusion measured (GPU-FACTS.md). */
export const BENEFIT =
  'saves a full write and read of the GEMM output and a launch; on an H200, a bf16 8192×3072×768 cublasLt GEMM followed by a separate bias+GELU kernel ran at 51% of bf16 peak, and at 71% with the bias and GELU in the GEMM epilogue (CUBLASLT_EPILOGUE_GELU_BIAS, 1.39x)';

/** PyTorch matmuls (their result is the GEMM output). */
// (`torch.addmm` / `torch.baddbmm` fold a bias in, as `F.linear` with a bias does: what reads their output after is still a pass)
const TORCH_MATMULS = new Set(['torch.matmul', 'torch.mm', 'torch.bmm', 'torch.nn.functional.linear', 'torch.addmm', 'torch.baddbmm']);
const MATMUL_METHODS = new Set(['.matmul', '.mm', '.bmm']);
/**
 * A kernel library's matmul imported by name (`from flag_gems.ops import mm`, `from flag_gems.ops.addmm import addmm`):
 * a dense GEMM whose kernel is not this file's (not another package's `matmul`, a sparse or host product).
 */
const libraryMatmul = (qualified: string): boolean => kernelLibrary(qualified) && /\.(?:mm|bmm|matmul|addmm|baddbmm)$/.test(qualified);


/** The buffer a launch of a GEMM kernel writes, when it writes exactly one plain buffer. */
function gemmOutput(launch: CallFact, kernels: Map<string, FunctionFacts>): string | null {
  const k = kernels.get(launch.name);
  if (!k || !isGemmShaped(k)) return null;
  // (a split-K GEMM adds each split's partial sums into its output, `tl.atomic_add(c_ptrs, acc)`: the output is whole
  // only once every split has added, so no split's store can apply an activation)
  // (unless every launch here compiles the arm that stores instead, `SPLIT_K=1` of `if SPLIT_K == 1: tl.store(...)`)
  const atomics = k.accesses.filter((a) => a.kind === 'atomic');
  if (k.calls.some((c) => /(?:^|\.)atomic_add$/.test(c.qualified ?? c.name)) && (!atomics.length || atomics.some((a) => compiledAt(a, launch)))) return null;
  const bound = bindArguments(k, launch);
  if (!bound) return null;
  const outs = storedParams(k).map((p) => plainBuffer(bound.get(p)));
  return outs.length === 1 ? outs[0] : null;
}

/** Whether the launch compiles the arm an access is in: each constexpr test around it (`if SPLIT_K == 1:`) against the launch's literal, if it passes one. */
function compiledAt(a: AccessFact, launch: CallFact): boolean {
  return (a.compileTimeGuards ?? []).every((g) => {
    const value = Number((launch.keywords ?? []).find((k) => k.name === g.left.toString())?.value.trim());
    if (!Number.isInteger(value) || !g.right.isConstant) return true;
    const r = g.right.constant;
    const holds = { '==': value === r, '!=': value !== r, '<': value < r, '<=': value <= r, '>': value > r, '>=': value >= r }[g.op];
    return holds === g.holds;
  });
}

/** A host helper that launches one GEMM kernel: it returns the tensor it wrote (`return c`), or writes into its parameter `param`. */
interface GemmHelper {
  kernel: string;
  param: number | null;
}

function gemmHelpers(facts: FileFacts, kernels: Map<string, FunctionFacts>): Map<string, GemmHelper> {
  const out = new Map<string, GemmHelper>();
  // (a class's static method by `Class.method`: two Functions may each have a `_call`)
  const methods = new Map<string, GemmHelper>();
  // this module's host functions, and the launch helpers it imports from the project's other modules (`from .matmul
  // import matmul`), each read with the kernel its own module launches
  // (one whose kernel is not found is left out: this module's kernel of that name, `_kernel`, is not it)
  const imported = importedHelpers(facts).flatMap(({ helper, kernel }) => (kernel ? [{ h: helper, kernels: new Map([[kernel.name, kernel]]) }] : []));
  for (const { h, kernels: launchable } of [...facts.functions.map((h) => ({ h, kernels })), ...imported]) {
    if (h.isKernel) continue;
    const launches = h.calls.filter((c) => c.kind === 'launch');
    if (launches.length !== 1) continue;
    const output = gemmOutput(launches[0], launchable);
    if (!output) continue;
    const ret = h.calls.find((c) => c.form === 'return');
    const param = h.params.findIndex((p) => p.name === output);
    let helper: GemmHelper | null = null;
    if (ret && ret.args.length === 1 && ret.argRoots[0] === output && ret.args[0] === output) helper = { kernel: launches[0].name, param: null };
    else if (param >= 0 && !h.calls.some((c) => c.form === 'assign' && (c.assignedTo ?? []).includes(output))) helper = { kernel: launches[0].name, param };
    if (!helper) continue;
    // (an autograd.Function's forward, called as `Cls.apply(...)` without its `ctx`: under that name only, every
    // Function's method is a `forward`)
    const apply = autogradApply(h);
    if (!apply) out.set(h.name, helper);
    else if (helper.param === null || helper.param > 0) out.set(apply, { ...helper, param: helper.param === null ? null : helper.param - 1 });
    if (!apply && h.className) methods.set(`${h.className}.${h.name}`, helper);
  }
  // (and a function that returns what one of them returns, `return w8a8_matmul(x, w)`: a forward over a launcher)
  for (const h of facts.functions) {
    const apply = autogradApply(h);
    if (h.isKernel || out.has(apply ?? h.name)) continue;
    const returns = h.calls.filter((c) => c.form === 'return');
    const r = returns.length === 1 ? h.calls.indexOf(returns[0]) : -1;
    // (`return _matmul._call(a, b)`: a static method of the file's class, called on its class's name)
    const helperOf = (c: CallFact) => (c.form === 'call' ? out.get(c.name) : c.form === 'method' ? methods.get(`${c.args[0]?.trim()}${c.name}`) : undefined);
    let inner = r >= 0 ? h.calls.find((c) => c.parent === r && helperOf(c)?.param === null) : undefined;
    // (or `out = triton_mm(x, w)` then `return out`, the name set once, by that call)
    const named = r >= 0 && !inner && returns[0].args.length === 1 && returns[0].args[0].trim() === returns[0].argRoots[0] ? returns[0].argRoots[0] : null;
    const sets = named ? h.calls.flatMap((c, i) => (c.form === 'assign' && (c.assignedTo ?? []).includes(named) ? [i] : [])) : [];
    // (and then only its own epilogue ops on it, `if bias is not None: out = out + bias`, reported in the helper: the
    // caller's next pass over what it returns is another one)
    const epilogueStep = (i: number) => h.calls[i].assignedTo?.length === 1 && h.calls.some((c) => c.parent === i && isElementwise(c) && c.argRoots.includes(named));
    if (sets.length >= 1 && h.calls[sets[0]].assignedTo!.length === 1 && sets.slice(1).every(epilogueStep)) inner = h.calls.find((c) => c.parent === sets[0] && helperOf(c)?.param === null);
    if (!inner || returns[0].args.length !== 1) continue;
    out.set(apply ?? h.name, { kernel: helperOf(inner)!.kernel, param: null });
  }
  return out;
}

/** Custom ops named for an activation or bias pass (`ops.silu_and_mul(out, x)`, `gelu_fast(x)`, `add_bias(x, b)`). */
const ACTIVATION_OP = /^(silu|gelu|relu|swiglu|geglu|gelu_tanh|gelu_fast|gelu_new|fatrelu|bias_act|add_bias|fused_add)(_and_mul|_fused|_)?\w*$/i;
const lastName = (c: CallFact) => ((c.qualified ?? c.name).split('.').pop() ?? '').replace(/^\./, '');

interface Producer {
  index: number;
  /** What to call it in the message: the kernel, the helper (and its kernel), or the PyTorch op. */
  shown: string;
  /** Index of the first operation that reads its output. */
  use: number | null;
  output: string;
  /** TorchInductor output code (`extern_kernels.mm`, then a `triton_poi_fused_*` kernel). */
  inductor?: boolean;
  /** A PyTorch matmul (cuBLAS): the fix is `torch.addmm` / `torch.compile`, not an edit of a kernel. */
  torch?: boolean;
  /** `layer_weight.gate_up_proj.mm(x)`: a layer object's own GEMM method, which dispatches to its backend (cuBLAS, quantized kernels). */
  layerMethod?: boolean;
  /** `mm` imported from a kernel library (`flag_gems.ops`): the fix is the library's fused form, not an edit here. */
  library?: string;
}

/** What makes a GEMM in this file: its kernels, its helpers launching one, and the `nn.Linear` layers its classes keep. */
interface FileKnown {
  kernels: Map<string, FunctionFacts>;
  helpers: Map<string, GemmHelper>;
  layers: LayerAttributes;
  /** The file's one-line PyTorch GEMM helpers (`def linear(X, W): return torch.matmul(X, W.t())`), by name. */
  torchGemms: ReadonlySet<string>;
}

/**
 * Functions that return a PyTorch matmul of their arguments: in one statement (`return X @ W.t()`, `return F.linear(x, w)`),
 * or through the name it is bound to (`out = torch.matmul(X, W.t()); return out`), which only more products add into
 * (a LoRA update, `out.addmm_(XA, B.t())` under `if A is not None`).
 */
function torchGemmHelpers(functions: readonly FunctionFacts[]): Set<string> {
  const out = new Set<string>();
  for (const h of functions) {
    if (h.isKernel || h.className || h.name === '<module>') continue;
    const returns = h.calls.filter((c) => c.form === 'return');
    const r = returns.length === 1 ? h.calls.indexOf(returns[0]) : -1;
    const gemm = r >= 0 ? h.calls.find((c) => c.parent === r && isTorchMatmul(c)) : undefined;
    // (nothing else but views of the operands: `.t()`, `.transpose(...)`)
    const view = (c: CallFact) => (c.form === 'method' && VIEWS.has(c.name)) || isTranspose(c);
    if (gemm && h.calls.every((c) => c === gemm || c.form === 'return' || view(c))) out.add(h.name);
    else if (r >= 0 && boundGemm(h, returns[0].args.length === 1 ? returns[0].argRoots[0] : null, view)) out.add(h.name);
  }
  return out;
}

/** The name a helper returns holds a PyTorch matmul: bound to one once, then only products added into it in place. */
function boundGemm(h: FunctionFacts, name: string | null, view: (c: CallFact) => boolean): boolean {
  if (!name || h.calls.some((c) => c.kind === 'launch')) return false;
  const binds = h.calls.map((c, i) => [c, i] as const).filter(([c]) => c.form === 'assign' && c.assignedTo?.includes(name));
  const first = binds.length === 1 && binds[0][0].name === '=' ? binds[0][1] : -1;
  if (first < 0 || !h.calls.some((c) => c.parent === first && isTorchMatmul(c))) return false;
  // (what else touches it: an in-place product, `out.addmm_(...)`, `out.baddbmm_(...)`, or the return)
  return h.calls.every((c) => !c.argRoots.includes(name) || c.form === 'return' || view(c) || (c.form === 'method' && /^\.(?:addmm_|baddbmm_|addmv_)$/.test(c.name)));
}

/** What the file knows, read for one host function: its class's layer attributes. */
interface Known extends FileKnown {
  /** Whether `self.<attr>` is an `nn.Linear` (or one of the file's GEMM modules) in the host at hand. */
  isLayer: (attr: string) => boolean;
  /** The host's class. */
  owner: string;
  /** Whether `self.<attr>` is an activation module in the host at hand (`ACT2FN[config.hidden_act]`, `nn.GELU()`). */
  isActivation: (attr: string) => boolean;
}

/**
 * The attributes each class of the file sets to an `nn.Linear`, to an activation module, and to anything else
 * (`nn.Conv1d`, a tensor).
 */
interface LayerAttributes {
  linear: ReadonlyMap<string, ReadonlySet<string>>;
  activation: ReadonlyMap<string, ReadonlySet<string>>;
  other: ReadonlyMap<string, ReadonlySet<string>>;
  /** Of the linear ones, those set to one of the file's GEMM modules (`self.inter = TritonLinear(h, i)`): the module's class, by `owner.attr`. */
  modules: ReadonlyMap<string, { name: string; runs: GemmModule }>;
}

/** The file's `nn.Module` classes whose `forward` returns a GEMM launcher's output (`return addmm(self.bias, x, self.weight)`). */
function gemmModules(functions: readonly FunctionFacts[], helpers: ReadonlyMap<string, GemmHelper>): Map<string, GemmModule> {
  const out = new Map<string, GemmModule>();
  for (const f of functions) {
    if (f.name !== 'forward' || !f.className || f.isKernel) continue;
    if (returnsResultOf(f, (c) => c.form === 'call' && helpers.get(c.name)?.param === null)) out.set(f.className, 'kernel');
    // (or a PyTorch matmul, `return torch.addmm(self.bias, x, self.weight)`: an `nn.Linear` of its own)
    else if (returnsResultOf(f, isTorchMatmul)) out.set(f.className, 'torch');
  }
  return out;
}
/** What a GEMM module's forward runs: the file's GEMM kernel, or a PyTorch matmul (cuBLAS). */
type GemmModule = 'kernel' | 'torch';

const isTorchMatmul = (c: CallFact): boolean =>
  (c.form === 'call' && TORCH_MATMULS.has(c.qualified ?? c.name)) || (c.form === 'method' && MATMUL_METHODS.has(c.name)) || (c.form === 'operator' && c.name === '@');

/**
 * A function one of whose returns gives a GEMM's output (a helper's call, `gemm`): the call itself, reshaped
 * (`matmul(x2d, w).view(...)`), or with an elementwise operator on it (`matmul(x, w) + self.bias` in the arm with a bias).
 */
function returnsResultOf(f: FunctionFacts, gemm: (c: CallFact) => boolean): boolean {
  const returns = f.calls.filter((c) => c.form === 'return');
  if (!returns.length || returns.some((r) => r.args.length !== 1)) return false;
  // (what a call's result flows into on its way to the return: a reshape, or an operator)
  const reaches = (i: number, target: number): boolean => {
    const up = f.calls[i]?.parent;
    if (up === undefined) return false;
    if (up === target) return true;
    const p = f.calls[up];
    return ((p.form === 'method' && RESHAPE.test(p.name) && p.args[0]?.startsWith(f.calls[i].name)) || p.form === 'operator') && reaches(up, target);
  };
  // (its main path: a CPU fallback's `return F.linear(...)` or an empty batch's early return beside it change nothing)
  return returns.some((r) => {
    const at = f.calls.indexOf(r);
    return f.calls.some((c, i) => gemm(c) && reaches(i, at));
  });
}
/** Methods that reshape a result without computing on it. */
/** A value computed by a call (`torch.ops.fbgemm.f8f8bf16_blockwise(X, w, s)`), not a lookup or a name (`cache[key]`, `x`). */
const CALL_VALUE = /^\s*[A-Za-z_][\w.]*\s*\(/;
const RESHAPE = /^\.(?:view|reshape|contiguous|flatten|unflatten|transpose|permute|squeeze|unsqueeze|view_as|reshape_as)$/;

/** An activation module: an entry of transformers' table (`ACT2FN[...]`, `get_activation(...)`) or one of torch.nn's, all elementwise. */
const ACTIVATION_MODULE = /^(?:ACT2FN\s*\[|(?:\w+\.)*get_activation\s*\(|(?:torch\.)?(?:nn\.)?(?:GELU|ReLU|ReLU6|SiLU|Tanh|Sigmoid|Mish|LeakyReLU|ELU|Hardswish|\w*GELUActivation)\s*\()/;

function layerAttributes(functions: readonly FunctionFacts[], gemmClasses: ReadonlyMap<string, GemmModule> = new Map()): LayerAttributes {
  const linear = new Map<string, Set<string>>();
  const modules = new Map<string, { name: string; runs: GemmModule }>();
  const activation = new Map<string, Set<string>>();
  const other = new Map<string, Set<string>>();
  const add = (m: Map<string, Set<string>>, owner: string, attr: string) => (m.get(owner) ?? m.set(owner, new Set()).get(owner)!).add(attr);
  for (const f of functions) {
    const isLinear = f.calls.some((c) => c.form === 'call' && c.qualified === 'torch.nn.Linear');
    for (const c of f.calls) {
      if (c.form !== 'store' || c.args[0]?.trim() !== 'self') continue;
      const attr = c.name.slice(1, -1);
      const value = c.args[1]?.trim() ?? '';
      // (one module, not a choice: `nn.Linear(a, b) if a != b else nn.Identity()` may be no GEMM at all)
      const one = !/\bif\b[^]*\belse\b/.test(value);
      // (or one of the file's own GEMM modules, `self.inter = TritonLinear(h, i)`)
      const module = one ? /^(\w+)\s*\(/.exec(value)?.[1] : undefined;
      if (module && gemmClasses.has(module)) modules.set(`${f.className ?? ''}.${attr}`, { name: module, runs: gemmClasses.get(module)! });
      // (or a class the constructor takes with an activation as its default, timm's `act_layer=nn.GELU` then `act_layer()`)
      const given = module ? f.params.find((p) => p.name === module)?.defaultValue?.trim() : undefined;
      const activates = ACTIVATION_MODULE.test(value) || (!!given && ACTIVATION_MODULE.test(`${given}(`));
      add(one && ((isLinear && /^(?:torch\.)?(?:nn\.)?Linear\s*\(/.test(value)) || (!!module && gemmClasses.has(module))) ? linear : one && activates ? activation : other, f.className ?? '', attr);
    }
  }
  return { linear, activation, other, modules };
}

/**
 * `self.<attr>` is an `nn.Linear` (its GEMM, the bias in it, as `F.linear(x, w, b)`) where the host's class sets it to
 * one; in a class that does not set it (a subclass, a forward bound onto a model class from outside), where the file's
 * classes set it only to Linears, or, for `lm_head`, where none sets it to anything else (a causal LM's vocabulary
 * projection, as a patched `forward` calls it).
 */
function layerOf(layers: LayerAttributes, host: FunctionFacts): (attr: string) => boolean {
  return attributeOf(layers, 'linear', host, (attr) => attr === 'lm_head');
}

/** `self.<attr>` is an activation module, kept as the Linear layers are (its class's, else the file's where all agree). */
function activationOf(layers: LayerAttributes, host: FunctionFacts): (attr: string) => boolean {
  return attributeOf(layers, 'activation', host, () => false);
}

function attributeOf(layers: LayerAttributes, kind: 'linear' | 'activation', host: FunctionFacts, conventional: (attr: string) => boolean): (attr: string) => boolean {
  const owner = host.className ?? '';
  const set = (m: ReadonlyMap<string, ReadonlySet<string>>, attr: string) => !!m.get(owner)?.has(attr);
  const anywhere = (m: ReadonlyMap<string, ReadonlySet<string>>, attr: string) => [...m.values()].some((s) => s.has(attr));
  const others = (['linear', 'activation', 'other'] as const).filter((k) => k !== kind).map((k) => layers[k]);
  return (attr) => {
    if ([layers[kind], ...others].some((m) => set(m, attr))) return set(layers[kind], attr) && !others.some((m) => set(m, attr));
    return !others.some((m) => anywhere(m, attr)) && (anywhere(layers[kind], attr) || conventional(attr));
  };
}

/** The attribute a layer object is kept under (`gate_up_proj`, `fc1`, `dense`), not a tensor's (`weight`). */
const LAYER_ATTRIBUTE = /\.\w*(proj|linear|fc\d*|dense|mlp|experts?)$/i;

/** `x = torch.randn(n, d)`: the host function fills `name` with random numbers of its own (synthetic data). */
const RANDOM_FILL = /^(?:torch\.)?(?:randn|rand|randint|randn_like|rand_like|randint_like)\(/;
function drawnAtRandom(calls: readonly CallFact[], name: string): boolean {
  const sets = calls.filter((d) => d.form === 'assign' && (d.assignedTo ?? []).includes(name));
  return sets.length > 0 && sets.every((d) => d.assignedTo!.length === 1 && RANDOM_FILL.test(d.args[0]?.trim() ?? ''));
}

/** The result of call `i` is assigned to a name the function returns, in a function with no loop (made once, handed on). */
function returnedAsData(calls: readonly CallFact[], i: number): boolean {
  if (calls.some((d) => d.loops.length)) return false;
  let at: number | undefined = i;
  while (at !== undefined && calls[at].form !== 'assign') at = calls[at].parent;
  const names = at !== undefined ? calls[at].assignedTo ?? [] : [];
  return names.length === 1 && calls.some((d) => d.form === 'return' && d.argRoots.includes(names[0]));
}

/**
 * `h[:, -1, :]`, `x[:, [-1], :]`, `h[:, -1:, :]`, `h[..., -1, :]`, also through a call (`self.ln_f(h[:, -1, :])`): the
 * last position of each sequence, one token a row (a decode step). Not `x[:, -1]`, which may pick a stack's last layer.
 */
const LAST_POSITION = /\[\s*(?::|\.\.\.)\s*,\s*(?:-1:?|\[\s*-1\s*\])\s*,\s*:\s*\](?:\s*\))*$/;

/**
 * A PyTorch GEMM fed one token per sequence (`self.lm_head(h[:, -1, :])` in a decode step, or a local last set to
 * such a slice, `h = h[:, -1, :]`) is a matrix-vector product: its output is a few rows beside the weight it reads,
 * so a pass over it costs a launch, not traffic.
 */
function decodeShaped(c: CallFact, calls: readonly CallFact[]): boolean {
  const activation = (c.form === 'method' ? c.args[1] : c.args[0])?.trim() ?? '';
  if (LAST_POSITION.test(activation)) return true;
  // (`x[:, -1]` too, of hidden states: not of a stack of layers, `all_layers = torch.stack(...)`, whose `[:, -1]` is a layer)
  const short = /^([A-Za-z_]\w*)\[\s*:\s*,\s*-1\s*\](?:\s*\))*$/.exec(activation)?.[1];
  if (short && !/layers?|stack/i.test(short) && !calls.some((d) => d.form === 'assign' && d.assignedTo?.includes(short) && /^torch\.(?:stack|cat)\(/.test(d.args[0]?.trim() ?? ''))) return true;
  if (!/^[A-Za-z_]\w*$/.test(activation)) return false;
  // (the last value it was given before the call, `h = self.ln_f(...)` then `h = h[:, -1, :]`)
  const before = (d: CallFact) => d.range.start.line < c.range.start.line || (d.range.start.line === c.range.start.line && d.range.start.column < c.range.start.column);
  const set = calls.filter((d) => d.form === 'assign' && d.name === '=' && d.assignedTo?.length === 1 && d.assignedTo[0] === activation && before(d)).at(-1);
  return !!set && LAST_POSITION.test(set.args[0]?.trim() ?? '');
}

function producerOf(calls: CallFact[], i: number, known: Known): Producer | null {
  const { kernels, helpers } = known;
  const c = calls[i];
  if (c.kind !== 'launch' && decodeShaped(c, calls)) return null;
  let shown: string;
  // TorchInductor's output code: `extern_kernels.mm(a, b, out=buf2)` is a cuBLAS GEMM into buf2
  if (c.form === 'call' && /(^|\.)extern_kernels\.(mm|bmm|addmm|baddbmm)$/.test(c.qualified ?? c.name)) {
    const output = (c.keywords ?? []).find((k) => k.name === 'out')?.root;
    const use = output ? firstUse(calls, i, output) : null;
    return output && use ? { index: i, shown: `\`${c.name}\``, use: use.index, output, inductor: true } : null;
  }
  if (c.kind === 'launch') {
    const output = gemmOutput(c, kernels);
    if (!output) return null;
    const use = firstUse(calls, i, output);
    return use ? { index: i, shown: `\`${c.name}\``, use: use.index, output } : null;
  }
  const helper = c.form === 'call' ? helpers.get(c.name) : undefined;
  if (helper) {
    shown = `\`${c.name}\` (launching \`${helper.kernel}\`)`;
    const output = helper.param !== null ? c.argRoots[helper.param] : null;
    if (output) {
      const use = firstUse(calls, i, output);
      return use ? { index: i, shown, use: use.index, output } : null;
    }
    if (helper.param !== null) return null;
  }
  else if (c.form === 'call' && known.torchGemms.has(c.name)) {
    // (one of the file's one-line helpers around a PyTorch matmul, `e = linear(X, gateW)`)
    return withOutput(calls, i, `\`${c.name}\` (a PyTorch matmul)`, { torch: true });
  } else if ((c.form === 'call' && TORCH_MATMULS.has(c.qualified ?? c.name)) || (c.form === 'method' && MATMUL_METHODS.has(c.name)) || (c.form === 'operator' && c.name === '@')) {
    // (a product of random tensors the function just drew, returned as data, `y = x @ w + noise; return x, y`: a target
    // made up once, not a workload; a benchmark that draws its inputs and runs the product is the workload)
    if (c.form !== 'method' && c.argRoots.slice(0, 2).every((r) => !!r && drawnAtRandom(calls, r)) && returnedAsData(calls, i)) return null;
    // (with a bias, `F.linear(x, w, b)`, the bias is in the GEMM; what reads its output after it is still a pass)
    // (`F.linear` as the code usually writes it; a call spelled out in full is named as written)
    if (c.qualified === 'torch.nn.functional.linear' && c.name !== c.qualified) shown = '`F.linear`';
    else shown = c.form === 'operator' ? '`@`' : `\`${c.form === 'method' ? c.name.slice(1) : c.qualified ?? c.name}\``;
  } else if (c.form === 'method' && (c.args[0]?.trim() === 'self' || (c.name === '.lm_head' && /^[A-Za-z_][\w.]*$/.test(c.args[0]?.trim() ?? ''))) && known.isLayer(c.name.slice(1))) {
    // (also a causal LM's vocabulary projection through the model, `model.lm_head(h)` in a trainer's loss)
    // `self.lm_head(h)` with `self.lm_head = nn.Linear(...)`: the layer's cuBLAS GEMM; or one of the file's GEMM
    // modules (`self.inter = TritonLinear(h, i)`), whose forward launches the file's kernel
    const module = known.layers.modules.get(`${known.owner}.${c.name.slice(1)}`);
    if (module?.runs === 'kernel') return withOutput(calls, i, `\`self${c.name}\` (a \`${module.name}\`, whose \`forward\` launches a GEMM kernel)`, { torch: false });
    const receiver = c.args[0]?.trim() ?? 'self';
    shown = module ? `\`self${c.name}\` (a \`${module.name}\`, whose \`forward\` is a PyTorch matmul)` : `\`${receiver}${c.name}\` (an \`nn.Linear\`)`;
  } else if (c.form === 'call' && c.qualified !== undefined && c.qualified !== c.name && libraryMatmul(c.qualified)) {
    const library = c.qualified.slice(0, c.qualified.lastIndexOf('.'));
    shown = `\`${c.name}\` (from \`${library}\`)`;
    return withOutput(calls, i, shown, { library });
  } else return null;
  return withOutput(calls, i, shown, { torch: !helper, layerMethod: c.form === 'method' && LAYER_ATTRIBUTE.test(c.args[0] ?? '') });
}

/** The one name the statement of call `k` binds its value to (`h` of `h = torch.matmul(x, w) + b`), if any. */
function boundName(calls: readonly CallFact[], k: number): string | null {
  for (let p: number | undefined = k; p !== undefined; p = calls[p].parent) {
    if (calls[p].form === 'assign') return calls[p].name === '=' && calls[p].assignedTo?.length === 1 ? calls[p].assignedTo![0] : null;
  }
  return null;
}

/** The producer at `i` with where its result is first read: directly (`matmul(a, b) * s`), or bound to a name first (`c = matmul(a, b)`). */
function withOutput(calls: CallFact[], i: number, shown: string, how: Pick<Producer, 'torch' | 'layerMethod' | 'library'>): Producer | null {
  const c = calls[i];
  const parent = c.parent !== undefined ? calls[c.parent] : undefined;
  if (!parent) return null;
  if (parent.form === 'assign' && parent.name === '=' && (parent.assignedTo ?? []).length === 1) {
    const output = parent.assignedTo![0];
    const use = firstUse(calls, c.parent!, output);
    return use ? { index: i, shown, use: use.index, output, ...how } : null;
  }
  return { index: i, shown, use: c.parent!, output: '', ...how };
}

function checkHost(host: FunctionFacts, fileKnown: FileKnown, lines: string[], passes: Map<string, LaunchHelper>): RuleFinding[] {
  const out: RuleFinding[] = [];
  const known: Known = { ...fileKnown, isLayer: layerOf(fileKnown.layers, host), isActivation: activationOf(fileKnown.layers, host), owner: host.className ?? '' };
  const calls = host.calls;
  const fn = host.name === '<module>' ? null : host.name;
  const reported = new Set<number>();
  const chain = attentionChain(host);
  calls.forEach((c, i) => {
    const p = producerOf(calls, i, known);
    if (!p || p.use === null) return;
    if (reported.has(p.use)) return; // one pass reading two GEMM outputs (`relu(mm1 + mm2)`) is one finding
    const next = calls[p.use];
    // the pass runs whenever the GEMM does, or under a condition of its own (`if bias is not None: c += bias`)
    const inner = (next.scopes ?? []).slice(0, (c.scopes ?? []).length);
    if (c.loops.join() !== next.loops.join()) return;
    // (or after a dispatch whose arms each run a GEMM into the same output, `if small: out = mm(x, w, 16) else:
    // out = mm(x, w, 128)`, then `out += bias`: the pass runs after whichever GEMM ran)
    // (or after a branch whose other arm sets the same output some other way, `out = fp8_gemm(...)` beside `out =
    // torch.matmul(X, W.t())`, then `out = out + bias`: on this arm's path the pass is the matmul's epilogue)
    const dispatched = !neverTogether(c.scopes, next.scopes) && !!p.output && calls.some((d, j) => j !== i && neverTogether(c.scopes, d.scopes) &&
      (producerOf(calls, j, known)?.output === p.output || (d.form === 'assign' && (d.assignedTo ?? []).includes(p.output) && CALL_VALUE.test(d.args[0] ?? ''))));
    if (inner.join() !== (c.scopes ?? []).join() && !dispatched) return;
    const conditional = (next.scopes ?? []).length > (c.scopes ?? []).length;
    // through views of the same elements to the op that computes on them
    let at = p.use;
    while (calls[at].form === 'method' && VIEWS.has(calls[at].name) && calls[at].parent !== undefined) at = calls[at].parent!;
    const op = calls[at];
    let pass: string;
    if (next.kind === 'launch') {
      const k = known.kernels.get(next.name);
      if (!k || (k.kernelClass !== 'elementwise' && !rowwisePass(k) && !readsAtItsStores(k, next, p.output))) return;
      pass = `\`${next.name}\``;
    } else if (p.inductor && op.form === 'method' && op.name === '.run' && /^triton_(poi|pointwise)_/.test(op.args[0] ?? '')) {
      pass = `the pointwise kernel \`${op.args[0]}\``;
    } else if (op.form === 'call' && ACTIVATION_OP.test(lastName(op))) {
      // a layer's GEMM method, then the one fused activation kernel the project wrote for it: the GEMM is
      // whatever backend the layer holds (cuBLAS, a quantized kernel), and the pass after it is already one
      if (p.layerMethod && !(op.qualified ?? op.name).startsWith('torch.')) return;
      const helper = passes.get(op.name);
      const local = helper?.kernelFacts;
      // (nor a norm named for its fused add, `fused_add_rmsnorm`: it sums across the row before it stores)
      if (/norm/i.test(lastName(op)) || (local && local.kernelClass !== 'elementwise' && !local.broadcastOperands)) return;
      // (as written on the line, `F.gelu(h)`, not its resolved import `torch.nn.functional.gelu`)
      pass = `\`${textOf(lines, op.range)}\``;
    } else if (op.form === 'method' && op.args[0]?.trim() === 'self' && known.isActivation(op.name.slice(1))) {
      // `self.act_fn(h)` with `self.act_fn = ACT2FN[config.hidden_act]`: an elementwise activation module
      pass = `\`self${op.name}\``;
    } else if (op.form === 'call' && elementwiseHelper(op, p.output, passes)) {
      // a host helper launching one elementwise kernel on the GEMM's output (`bias_gelu(h, b)`)
      pass = `\`${op.name}\``;
    } else {
      if (!isElementwise(op) || feedsHostCheck(calls, at)) return;
      pass = `\`${textOf(lines, op.range)}\``;
    }
    // the scores of an eager attention chain (`(q @ kᵀ) * scale`, then softmax and P·V): fusion/attention reports the
    // chain, whose fused kernel takes the scale and the mask, or leaves it alone as the fallback of a fused path. (Scores
    // kept for inspection have no chain, and a decode step's chain fusion/attention leaves alone: their scale is still an
    // epilogue's.)
    if (chain?.scoresAt === i && (chain.fallback || !isDecodeStep(host.name))) return;
    const name = /^[A-Za-z_]\w*$/.test(p.output) ? `\`${p.output}\`` : 'its output';
    // (an eager op and the eager steps that take it on, `logits.float()`, `* (1 / cap)`, `tanh`, `* cap`: one epilogue)
    // (an op on the GEMM's result itself, `h = torch.matmul(x, w) + b`, goes on through the name it is bound to)
    const runName = /^[A-Za-z_]\w*$/.test(p.output) ? p.output : boundName(calls, at);
    const run = next.kind !== 'launch' && runName ? passesAfter(calls, at, runName) : [];
    const after = run.length;
    const shown = after ? `${pass.length > 40 ? opName(op) : pass} and ${after} more elementwise op${after > 1 ? 's' : ''}: separate passes` : `${pass.length > 40 ? opName(op) : pass}: a separate pass`;
    reported.add(p.use);
    // (the run's later ops are this finding's too: `silu(e) * g` reads the second GEMM's `g` in the same run)
    for (const k of run) reported.add(k);
    out.push({
      range: next.kind === 'launch' ? next.nameRange : op.range,
      function: fn,
      confidence: 'likely',
      assumptions: [
        `assumes the op runs on the GEMM's output where it is produced (same device, nothing else reads ${name} before it)`,
        ...(conditional ? ['the pass runs under its own condition: the kernel takes it as a flag (a `tl.constexpr` or a nullable pointer)'] : []),
      ],
      // the op's own text can be a long expression: the range already points at it
      message: `${shown} over the output of the ${p.inductor || p.torch ? 'cuBLAS ' : ''}GEMM ${p.shown.replace(/ \(launching [^)]*\)$/, '')}, ${after ? 'a write and a read each' : 'an extra write and read'}`,
      detail: detail(
        `${pass} is a separate elementwise pass over the output of the ${p.inductor || p.torch ? 'cuBLAS ' : ''}GEMM ${p.shown}${p.inductor ? ' in this TorchInductor code' : ''}.`,
        p.inductor
          ? `With \`torch.compile(mode="max-autotune")\` Inductor can pick a Triton GEMM template with these pointwise ops fused into its epilogue, so ${name} is written once and never read back.`
          : p.library
            ? `Call the library's fused form where it has one (an \`addmm\` for a bias), or a GEMM kernel that applies it to the accumulator before its \`tl.store\` (an epilogue), so ${name} is written once and never read back.`
          : p.torch
            ? `A bias add belongs in \`torch.addmm\` / \`F.linear\`; other ops fuse into a Triton GEMM's epilogue (your own \`tl.dot\` kernel, or \`torch.compile(mode="max-autotune")\`), so ${name} is written once and never read back.`
            : `Apply it to the accumulator in the GEMM kernel before its \`tl.store\` (an epilogue), so ${name} is written once and never read back.`,
      ),
      benefit: BENEFIT,
      related: [{ range: c.kind === 'launch' ? c.nameRange : c.range, message: `the GEMM writes ${name} here` }],
    });
  });
  return out;
}

export function tritonGemmEpilogue(facts: FileFacts): RuleFinding[] {
  // kernels of this file, then `@triton.jit` kernels of the project's other modules (`from .conv_kernels import ...`)
  const kernels = new Map(facts.functions.filter((f) => f.isKernel).map((f) => [f.name, f]));
  for (const [name, k] of facts.project?.kernels ?? []) if (k.decorators && !kernels.has(name)) kernels.set(name, k);
  const helpers = gemmHelpers(facts, kernels);
  const passes = launchHelpers(facts, kernels);
  const known: FileKnown = { kernels, helpers, layers: layerAttributes(facts.functions, gemmModules(facts.functions, helpers)), torchGemms: torchGemmHelpers(facts.functions) };
  const out: RuleFinding[] = [];
  for (const host of facts.functions) {
    // (a Python `*_unfused` host is a lesson's or a benchmark's baseline, as for elementwise-chain's Triton hosts)
    if (host.isKernel || pythonOracles(facts.functions).has(host) || compiledHosts(facts.functions).has(host) ||
      // (or a method of a class so named, `GemsSwiGLUUnfused.forward`)
      isUnfusedBaseline(host.name) || isUnfusedBaseline(host.className ?? '') || isNaiveVersion(host.name)) continue;
    try {
      out.push(...checkHost(host, known, facts.lines, passes));
    } catch {
      // facts we cannot follow: no finding
    }
  }
  return out;
}

/** `op` calls a helper that launches one elementwise kernel, which loads the argument the GEMM's output goes in as (`bias_gelu(h, b)`). */
function elementwiseHelper(op: CallFact, output: string, passes: Map<string, LaunchHelper>): boolean {
  const h = passes.get(op.name);
  const k = h?.kernelFacts;
  // (elementwise, or elementwise on its input with an operand broadcast along it: a bias `b + offs % N`)
  if (!h || !k || (k.kernelClass !== 'elementwise' && !k.broadcastOperands)) return false;
  // (the output itself, or the GEMM call nested in place: `bias_gelu(matmul(x, w), b)`)
  return op.args.some((a, i) => h.reads.has(i) && (output ? op.argRoots[i] === output && a.trim() === output : true));
}

/** A long elementwise expression named by its operation: `` `.half()` ``, `` the `+` ``. */
function opName(op: CallFact): string {
  if (op.form === 'method') return `\`${op.name}()\``;
  // (with its short operand: the `/ temperature`, the `* scale`)
  if (op.form === 'operator' && op.args.length === 2) {
    // (a name or a number: not the GEMM's own call, `+ self.proj(x)`)
    const [a, b] = op.args.map((x) => x.trim());
    const short = (t: string) => t.length <= 30 && /^[\w.]+$/.test(t);
    if (short(b)) return `the \`${op.name} ${b}\``;
    if (short(a)) return `the \`${a} ${op.name}\``;
  }
  if (op.form === 'operator') return `the \`${op.name}\``;
  return op.form === 'call' ? `\`${op.name}(...)\`` : 'this elementwise op';
}

/**
 * A kernel elementwise on its output with broadcast operands (a bias over rows: `c[row, cols] + bias[cols]`) that
 * reads the buffer `output` is passed as only where it stores: the GEMM's output goes through it element to element
 * (not `0.5 * (c[r, c] + c[c, r])`, which needs the element another tile of the GEMM makes).
 */
function readsAtItsStores(k: FunctionFacts, launch: CallFact, output: string): boolean {
  if (!k.broadcastOperands || !output) return false;
  const bound = bindArguments(k, launch);
  if (!bound) return false;
  const params = new Set([...bound].filter(([, b]) => plainBuffer(b) === output).map(([name]) => name));
  const form = (a: FunctionFacts['accesses'][number]) => `${a.loops.join()}|${a.indices.map(String).join('|')}`;
  const stored = new Set(k.accesses.filter((a) => a.kind === 'store' && !a.indices.some((x) => x.unknown)).map(form));
  const reads = k.accesses.filter((a) => a.kind === 'load' && params.has(a.array));
  return reads.length > 0 && reads.every((a) => stored.has(form(a)));
}

/**
 * A kernel that walks a row per program and stores each element where it loaded one (`v = tl.load(c_ptr + row * N + c)`,
 * `tl.store(c_ptr + row * N + c, v + b)`, a bias read beside it): an elementwise pass written as a loop over columns.
 */
function rowwisePass(k: FunctionFacts): boolean {
  if (k.kernelClass !== 'other') return false;
  const stores = k.accesses.filter((a) => a.kind === 'store');
  const form = (a: FunctionFacts['accesses'][number]) => `${a.loops.join()}|${a.indices.map(String).join('|')}`;
  const loaded = new Set(k.accesses.filter((a) => a.kind === 'load' && !a.indices.some((p) => p.unknown)).map(form));
  return stores.length > 0 && stores.every((a) => a.loops.length > 0 && !a.indices.some((p) => p.unknown) && loaded.has(form(a)));
}
