// Launch summaries across a project's files (ANALYSIS.md §0, "Interprocedural"): real
// code launches kernels through wrappers defined in other files (`caffe_gpu_powx(...)` in
// math_functions.cu, `axpy_ongpu(...)` in blas_kernels.cu). The index keeps, by name, the
// kernels and the small host functions that launch them, so the fusion rule sees the
// chain in the caller's file. Built by the CLI (and the evaluation) in a first pass.
import type { CallFact, FileFacts, FunctionFacts } from './facts/model';
import { LIBRARY_KERNELS } from './facts/library';
import { emptyNameUses, type NameUses } from './reachability';
import { boundedMemo } from './bounded-memo';
import { isPointwiseDecorator } from './facts/triton/kernel';

/**
 * `caffe_gpu_powx<float>` -> `caffe_gpu_powx`: calls name the template, definitions its specializations. (Asked for
 * every function and launch by several rules on every edit: the same few hundred names.)
 */
export const baseName = boundedMemo((name: string): string => name.replace(/<.*$/s, '').trim(), 10_000);

/** A source file that may launch or define kernels (`<<<`, `cudaLaunchKernel`, a cuBLAS routine of facts/library.ts, `@triton.jit`): the files the index reads. */
export const LAUNCHES = /<<<|\bcudaLaunchKernel\b|@triton\.(?:jit|autotune)|\b(?:cu|hip)blas(?:Lt)?\w*(?:gemm|Gemm|Matmul|scal|axpy|copy)\w*\s*\(/;

/** A header that defines kernels (`__global__`): a file including it launches them (SGEMM_CUDA's `kernels/N_*.cuh`). */
export const DEFINES_KERNELS = /\b__global__\b/;

/** A wrapper is small: a few calls around its launches, however many launches (bigger host functions are callers, not wrappers). */
const MAX_WRAPPER_CALLS = 16;

/**
 * The runtime's and libraries' bookkeeping around a launch: descriptors, layouts, preferences and attributes made and
 * destroyed, error checks and messages. No work of its own (copies, allocations, waits and the library's compute calls are).
 */
const BOOKKEEPING = /^(?:cublas(?:Lt)?|cudnn|cusparse(?:Lt)?)\w*(?:Create|Destroy|Set\w*|Get\w*|Heuristic)$|^cuda(?:GetLastError|PeekAtLastError|GetErrorString|FuncSetAttribute|GetDevice|SetDevice|EventCreate|EventDestroy)$|^(?:\w+Check|check\w*|CHECK\w*|\w*_CHECK\w*)$|^(?:f?printf|puts|exit|abort|assert|fflush)$/;

/** Calls other than launches, the runtime's bookkeeping and the calls inside a launch's configuration (`<<<blocks(n), B, 0, stream()>>>`). */
function ownCalls(f: FunctionFacts): number {
  const launches = f.calls.filter((c) => c.kind === 'launch');
  const inside = (c: (typeof f.calls)[number]) =>
    launches.some((l) => l !== c && (l.range.start.line < c.range.start.line || (l.range.start.line === c.range.start.line && l.range.start.column <= c.range.start.column)) &&
      (c.range.end.line < l.range.end.line || (c.range.end.line === l.range.end.line && c.range.end.column <= l.range.end.column)));
  return f.calls.filter((c) => c.kind !== 'launch' && !BOOKKEEPING.test(c.name) && !inside(c)).length;
}

/** A launch whose template arguments name its launcher's own template parameters: bound where the launcher is instantiated. */
function forwardsTemplateArgs(c: CallFact, launcher: FunctionFacts): boolean {
  return !!c.templateArgs?.some((a) => launcher.templateParams.includes(a.trim()));
}

/** The calls the file's functions make, by callee (base name): the sites of each wrapper. */
export function callSitesOf(functions: readonly FunctionFacts[]): Map<string, CallFact[]> {
  const out = new Map<string, CallFact[]>();
  for (const h of functions) for (const d of h.calls) if (d.kind === 'call') {
    const name = baseName(d.name);
    const list = out.get(name);
    if (list) list.push(d); else out.set(name, [d]);
  }
  return out;
}

/**
 * A launch whose kernel or block is a parameter of the host making it (`k<<<grid, block>>>(...)` in
 * `run_kernel(kernel_t k, dim3 grid, dim3 block, ...)`): the launch each call of that host in the file makes, with
 * the kernel it names, its block's extents and its constant arguments; the launch as written where no call says.
 */
export function asCalled(c: CallFact, host: FunctionFacts, sites: ReadonlyMap<string, readonly CallFact[]>, kernels: ReadonlyMap<string, FunctionFacts>): CallFact[] {
  if (host.isKernel) return [c];
  const param = (text: string | undefined) => (text ? host.params.findIndex((p) => p.name === text) : -1);
  const k = kernels.has(baseName(c.name)) ? -1 : param(c.name);
  const b = c.blockDims ? -1 : param(c.block);
  // (or a block built from the host's parameters, `k<<<grid, dim3(bx, by)>>>` of a sweep harness's `launch(k, bx, by)`)
  const parts = !c.blockDims || c.blockDims.some((d) => d === null) ? topLevelParts(/^dim3\((.*)\)$/.exec(c.block ?? '')?.[1]) : undefined;
  const fromParams = parts?.map((x) => param(x)).some((j) => j >= 0) ? parts : undefined;
  if (k < 0 && b < 0 && !fromParams) return [c];
  const out: CallFact[] = [];
  for (const s of sites.get(baseName(host.name)) ?? []) {
    // (`run_kernel(&transpose, ...)`: the address of a kernel is the kernel)
    const name = k >= 0 ? (s.args[k] ?? '').trim().replace(/^&\s*/, '') : c.name;
    if (k >= 0 && !kernels.has(baseName(name))) continue;
    const value = b >= 0 ? s.argValues?.[b] ?? null : null;
    const dims = b >= 0 ? s.argDims?.[b] ?? (value !== null ? [value] : null)
      : fromParams ? fromParams.map((x, i) => { const j = param(x); return j >= 0 ? s.argValues?.[j] ?? null : c.blockDims?.[i] ?? null; }) : null;
    const values = c.args.map((a, i) => { const j = param(a.trim()); return (j >= 0 ? s.argValues?.[j] : undefined) ?? c.argValues?.[i] ?? null; });
    out.push({
      ...c, name,
      ...(dims ? { blockDims: dims, ...(dims[0] !== null ? { blockX: dims[0] } : {}) } : {}),
      ...(values.some((v) => v !== null) ? { argValues: values } : {}),
    });
  }
  return out.length ? out : [c];
}

/** `min(bx, 1024),by` -> [`min(bx, 1024)`, `by`]: the arguments of a call's text, split at its own commas only. */
function topLevelParts(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '(' || ch === '[' || ch === '{' || ch === '<') depth++;
    else if (ch === ')' || ch === ']' || ch === '}' || ch === '>') depth--;
    else if (ch === ',' && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out;
}

/**
 * The launches these functions make, with each forwarded one (`k<BM, BN><<<...>>>` in `template <int BM, int BN>
 * void run()`) read once for every call of its launcher with template arguments (`run<128, 8>(...)`): the values
 * that launch runs with. One whose launcher no such call instantiates stays `forwarded` (its values unknown).
 */
export function resolvedLaunches(functions: readonly FunctionFacts[], explicit: readonly CallFact[] = []): { call: CallFact; forwarded: boolean }[] {
  const out: { call: CallFact; forwarded: boolean }[] = [];
  let instantiations: Map<string, CallFact[]> | undefined;
  let sites: Map<string, CallFact[]> | undefined;
  let kernels: Map<string, FunctionFacts> | undefined;
  for (const f of functions)
    for (const c of f.calls) {
      if (c.kind !== 'launch') continue;
      if (!forwardsTemplateArgs(c, f)) {
        if (!f.isKernel && f.params.some((p) => p.name === c.name || (!c.blockDims && p.name === c.block))) {
          sites ??= callSitesOf(functions);
          kernels ??= new Map(functions.filter((g) => g.isKernel).map((g) => [baseName(g.name), g]));
          for (const call of asCalled(c, f, sites, kernels)) out.push({ call, forwarded: false });
        } else out.push({ call: c, forwarded: false });
        continue;
      }
      if (!instantiations) {
        instantiations = new Map();
        // (the launcher's calls with template arguments, and its explicit instantiations: `template void run<16, 64>(...);`)
        const calls = [...functions.flatMap((g) => g.calls), ...explicit];
        for (const x of calls) if (x.kind === 'call' && x.templateValues) (instantiations.get(baseName(x.name)) ?? instantiations.set(baseName(x.name), []).get(baseName(x.name))!).push(x);
      }
      const calls = instantiations.get(baseName(f.name)) ?? [];
      if (!calls.length) out.push({ call: c, forwarded: true });
      for (const at of calls) {
        const values = (c.templateArgs ?? []).map((a, i) => {
          const k = f.templateParams.indexOf(a.trim());
          return k >= 0 ? at.templateValues?.[k] ?? null : c.templateValues?.[i] ?? null;
        });
        out.push({ call: { ...c, templateValues: values }, forwarded: false });
      }
    }
  return out;
}

export class ProjectIndex {
  readonly kernels = new Map<string, FunctionFacts>();
  readonly hosts = new Map<string, FunctionFacts>();
  /** Functions some file of the project calls with an expected-results argument (`matmul_naive(A, B, C_ref)`): references. */
  readonly references = new Set<string>();
  /** Where the project's files use each name (calls, launches, pointers, strings): what nothing reaches (core/reachability.ts). */
  readonly names: NameUses = emptyNameUses();
  /**
   * Every launch a host function of the project makes, by the kernel's base name (a forwarded one read at each
   * instantiation of its launcher: resolvedLaunches).
   */
  readonly launches = new Map<string, { call: CallFact; forwarded: boolean }[]>();
  /**
   * C/C++ host functions' calls made inside a loop, by the callee's name (a driver's convergence loop calling another
   * file's `kmeansCuda`): a helper that waits on the device waits once per iteration of a loop it cannot see.
   */
  readonly loopCalls = new Map<string, { caller: FunctionFacts; call: CallFact }[]>();
  /** Files whose names were counted. */
  namedFiles = 0;
  /** Python host functions of the project that launch a Triton kernel themselves (`quantize(x)`): other modules import them. */
  readonly pythonLaunchers = new Set<string>();
  /**
   * Those of them that launch one kernel (`def silu(x): ...; silu_kernel[grid](x, y, n); return y`), by name: the
   * launch helpers other modules import (FlagGems and Liger keep one op a module), each with the kernel it launches as
   * its own module defines it (one-op modules often all name theirs `_kernel`); null where two modules define the name.
   */
  readonly pythonHelpers = new Map<string, PythonHelper | null>();

  /**
   * The kernels and launch wrappers of each file (by absolute path) that defines any: a file sees those of the headers
   * it includes before another program's of the same name (llm.c's dev/cuda `residual_forward(kernel_num, ...)`
   * dispatchers beside the `residual_forward` of the header train_gpt2.cu includes).
   */
  readonly byFile = new Map<string, FunctionFacts[]>();
  /**
   * The host functions of the files that include each header (by absolute path) and launch kernels: where a header of
   * kernels alone (ankan-ban llama2.cu's gpu_kernels.h) is launched from, with the block sizes and counts it runs at.
   */
  readonly includers = new Map<string, FunctionFacts[]>();

  /**
   * Notes a launching file's host functions as those that run the kernels of the headers it includes (also through the
   * headers' own launch wrappers: `accum(x, xb, p.dim)` of a .cu that launches nothing itself).
   */
  addIncluder(facts: FileFacts): void {
    const hosts = facts.functions.filter((f) => !f.isKernel && !f.isDevice);
    if (facts.language === 'triton' || !facts.includedHeaders?.length || !hosts.some((f) => f.calls.some((c) => c.kind === 'launch' || c.kind === 'call'))) return;
    for (const h of facts.includedHeaders ?? []) {
      const list = this.includers.get(h);
      if (list) list.push(...hosts); else this.includers.set(h, [...hosts]);
    }
  }

  /** The wrappers in `hosts` that launch each kernel (by base name), in `hosts` order; made when first asked, dropped by `add`. */
  private hostLaunchers: Map<string, { key: string; host: FunctionFacts }[]> | undefined;
  /** The project's launch wrappers that launch `kernel` (a base name), each once, with its key in `hosts`. */
  launchersOf(kernel: string): readonly { key: string; host: FunctionFacts }[] {
    if (!this.hostLaunchers) {
      this.hostLaunchers = new Map();
      for (const [key, host] of this.hosts)
        for (const k of new Set(host.calls.filter((c) => c.kind === 'launch').map((c) => baseName(c.name)))) {
          const list = this.hostLaunchers.get(k);
          if (list) list.push({ key, host });
          else this.hostLaunchers.set(k, [{ key, host }]);
        }
    }
    return this.hostLaunchers.get(kernel) ?? [];
  }

  /** Adds a file's kernels and (C/C++/CUDA) launch wrappers; Triton host code records every operation, so only its kernels are kept. */
  add(facts: FileFacts, path?: string): void {
    this.hostLaunchers = undefined;
    const defined: FunctionFacts[] = [];
    if (facts.language !== 'triton') {
      for (const f of exportedFunctions(facts)) this.exported.add(baseName(f.name));
      for (const name of exportedDeclarations(facts.lines)) this.exported.add(name);
    }
    for (const f of facts.functions) {
      const name = baseName(f.name);
      // (the first definition of a name, but one other files can call over a `static` one of another file's own)
      const wins = (had: FunctionFacts | undefined) => !had || (!!had.isStatic && !f.isStatic);
      if (f.isKernel) {
        defined.push(f);
        if (wins(this.kernels.get(name))) this.kernels.set(name, f);
      } else if (facts.language !== 'triton' && !f.isDevice && ownCalls(f) <= MAX_WRAPPER_CALLS && f.calls.some((c) => c.kind === 'launch' || c.kind === 'call')) {
        defined.push(f);
        if (wins(this.hosts.get(name))) this.hosts.set(name, f);
        // (and as its class's: two classes' `forward` methods, called through objects of each, are two functions)
        if (f.className) this.hosts.set(`${f.className}::${name}`, f);
      }
    }
    if (path && defined.length) this.byFile.set(path, defined);
    // (any host function's: `main` launching `gemm<64, 64, 8, 4, 4>` binds the template arguments of a kernel in a header)
    if (facts.language === 'triton') {
      for (const f of facts.functions) if (!f.isKernel && f.calls.some((c) => c.kind === 'launch')) {
        this.pythonLaunchers.add(f.name);
        const launches = f.calls.filter((c) => c.kind === 'launch');
        if (launches.length !== 1) continue;
        const kernel = facts.functions.find((k) => k.isKernel && k.name === launches[0].name) ?? null;
        this.pythonHelpers.set(f.name, this.pythonHelpers.has(f.name) ? null : { helper: f, kernel });
      }
      // (and a function returning what a generated pointwise kernel of its module makes, FlagGems' `def mul(A, B):
      // return mul_func(A, B)` over a `@pointwise_dynamic` kernel: each call launches it)
      for (const f of facts.functions) {
        if (f.isKernel || this.pythonHelpers.has(f.name)) continue;
        const kernel = pointwiseReturned(f, facts.functions);
        if (kernel) this.pythonHelpers.set(f.name, { helper: f, kernel });
      }
      return;
    }
    for (const launch of resolvedLaunches(facts.functions, facts.instantiations)) {
      const base = baseName(launch.call.name);
      const list = this.launches.get(base) ?? [];
      if (!list.length) this.launches.set(base, list);
      list.push(launch);
    }
  }

  /**
   * The constant each parameter of a C/C++ host function gets at every call the project's files make (null where the
   * calls pass different values or none), by the callee's name: `gpu_softmax(logits, prob, BATCH_SIZE, 10)` in the
   * training file fixes `classes` of the wrapper another file defines (core/call-sites.ts). Not a test's calls.
   */
  readonly callConstants = new Map<string, (number | null)[] | null>();
  /** Names some file calls inside a loop: a workload repeats them (a demo's one call of a library entry does not). */
  private readonly calledInLoops = new Set<string>();
  /** Host functions by name, with how many files define one (two programs' `run` are not one function). */
  private readonly hostDefinitions = new Map<string, number>();
  /** The constants every call of the project gives `name`, where some call repeats in a loop and one file defines it (callConstants). */
  readonly repeatedCallConstants = (name: string): readonly (number | null)[] | null | undefined => {
    return this.calledInLoops.has(name) && (this.hostDefinitions.get(name) ?? 0) <= 1 && !this.exported.has(name) ? this.callConstants.get(name) : undefined;
  };
  /** Host functions some file or header exports for another language (`extern "C"`): their callers are elsewhere too. */
  private readonly exported = new Set<string>();
  addExports(names: readonly string[]): void {
    for (const n of names) this.exported.add(n);
  }

  /** Adds the calls a C/C++ file's host functions make inside loops (loopCalls; the CLI's project pass, not a test's or benchmark's file). */
  addLoopCalls(facts: FileFacts): void {
    if (facts.language === 'triton') return;
    for (const name of new Set(facts.functions.filter((f) => !f.isKernel && !f.isDevice).map((f) => baseName(f.name)))) this.hostDefinitions.set(name, (this.hostDefinitions.get(name) ?? 0) + 1);
    for (const f of facts.functions) {
      if (f.isKernel || f.isDevice) continue;
      for (const call of f.calls) {
        if (call.kind !== 'call' || /\.|->/.test(call.name) || call.scope) continue;
        const name = baseName(call.name);
        if (call.loops.length) this.calledInLoops.add(name);
        const values = call.args.map((_, i) => (call.argValues ?? call.foreignArgValues)?.[i] ?? null);
        const had = this.callConstants.get(name);
        if (had === undefined) this.callConstants.set(name, values);
        else if (had !== null) this.callConstants.set(name, had.length === values.length ? had.map((v, i) => (v === values[i] ? v : null)) : null);
      }
    }
    // (not a call of the file's own function of that name: a tutorial's lessons each loop over their own `run`)
    const own = new Set(facts.functions.map((f) => baseName(f.name).replace(/^.*::/, '')));
    for (const f of facts.functions) {
      if (f.isKernel || f.isDevice) continue;
      for (const call of f.calls) {
        // (plain calls: a method through an object, `callbacks_[i]->on_gradients_ready()`, may be any class's, and
        // `std::sort` is the library's)
        if (call.kind !== 'call' || !call.loops.length || /\.|->|::/.test(call.name) || call.scope) continue;
        const callee = call.name;
        if (own.has(callee)) continue;
        const sites = this.loopCalls.get(callee) ?? [];
        if (!sites.length) this.loopCalls.set(callee, sites);
        if (sites.length < MAX_LOOP_SITES) sites.push({ caller: f, call });
      }
    }
  }
}

/** Loop call sites kept per callee name (a name every file calls in loops, `printf`, needs no more). */
const MAX_LOOP_SITES = 8;

/** A Python launch helper of the project and the kernel it launches, where its own module defines it (else found by name). */
export interface PythonHelper {
  helper: FunctionFacts;
  kernel: FunctionFacts | null;
}

/** What a file's host code can launch or call, by name: kernels (library routines, the project's, then this file's, each winning over the one before) and launch wrappers; `mine` lists this file's host functions. */
export interface Callables {
  kernels: ReadonlyMap<string, FunctionFacts>;
  hosts: ReadonlyMap<string, FunctionFacts>;
  mine: readonly FunctionFacts[];
}

/** One table per analysis: the rules that follow launches all ask (it copies the project's tables). */
const callablesOf = new WeakMap<FileFacts, Callables>();

export function visibleCallables(facts: FileFacts): Callables {
  let known = callablesOf.get(facts);
  if (!known) callablesOf.set(facts, (known = callables(facts)));
  return known;
}

/** A host function by its name, and a method by its class's too (two classes' `forward` methods are two functions: see hostCallee). */
function setHost(hosts: Map<string, FunctionFacts>, f: FunctionFacts): void {
  hosts.set(baseName(f.name), f);
  if (f.className) hosts.set(`${f.className}::${baseName(f.name)}`, f);
}

function callables(facts: FileFacts): Callables {
  const kernels = new Map<string, FunctionFacts>(LIBRARY_KERNELS);
  const hosts = new Map<string, FunctionFacts>();
  for (const [k, f] of facts.project?.kernels ?? []) kernels.set(k, f);
  for (const [k, f] of facts.project?.hosts ?? []) hosts.set(k, f);
  // (those of the headers this file includes over another program's of the same name)
  for (const h of facts.includedHeaders ?? []) for (const f of facts.project?.byFile.get(h) ?? []) {
    if (f.isKernel) kernels.set(baseName(f.name), f);
    else setHost(hosts, f);
  }
  const mine: FunctionFacts[] = [];
  for (const f of facts.functions) {
    if (f.isKernel) kernels.set(baseName(f.name), f);
    else if (!f.isDevice) {
      setHost(hosts, f);
      mine.push(f);
    }
  }
  return { kernels, hosts, mine };
}

/** The host functions of a C/C++ file declared `extern "C"`, or all of them under an `extern "C" {` block of the file. */
export function exportedFunctions(facts: FileFacts): FunctionFacts[] {
  const hosts = facts.functions.filter((f) => !f.isKernel && !f.isDevice);
  if (!hosts.length) return [];
  if (facts.lines.some((l) => /^\s*extern\s+"C"\s*\{/.test(l))) return hosts;
  return hosts.filter((f) => /\bextern\s+"C"/.test(facts.lines.slice(Math.max(0, f.range.start.line - 1), f.nameRange.start.line + 1).join(' ')));
}

/** Functions a header declares under `extern "C" {` or `extern "C" void f(...);` (a library's C interface). */
export function exportedDeclarations(lines: readonly string[]): string[] {
  const out: string[] = [];
  let inBlock = false;
  for (const l of lines) {
    if (/^\s*extern\s+"C"\s*\{/.test(l)) inBlock = true;
    const m = /^\s*(?:extern\s+"C"\s+)?[A-Za-z_][\w:<>]*(?:\s*[*&])*\s+\**\s*([A-Za-z_]\w*)\s*\(/.exec(l);
    if (m && (inBlock || /\bextern\s+"C"\s+[^{]/.test(l))) out.push(m[1]);
  }
  return out;
}

/** The `@pointwise_dynamic` kernel of `functions` whose call `f` returns as it is (`return mul_func(A, B)`), else null. */
export function pointwiseReturned(f: FunctionFacts, functions: readonly FunctionFacts[]): FunctionFacts | null {
  const r = f.calls.findIndex((c) => c.form === 'return');
  const call = r >= 0 ? f.calls.find((c) => c.parent === r && c.form === 'call') : undefined;
  if (!call || !f.calls[r].args[0]?.trim().startsWith(`${call.name}(`)) return null;
  return functions.find((k) => k.isKernel && k.name === call.name && !!k.decorators?.some(isPointwiseDecorator)) ?? null;
}
