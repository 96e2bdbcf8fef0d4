// The Python half of overlap/sync-transfer: in a host function, a loop whose iterations
// queue GPU work (a Triton launch, a call of a function of the file that launches, a store into a
// tensor made on the device,
// `.cuda()` / `.backward()`, or a tensor made on the device: `torch.arange(n, device=...)`)
// and also read a device value back on the host: `.item()`,
// `.cpu()`, `.tolist()`, `.numpy()`, `.to("cpu")`, or `torch.cuda.synchronize()`. Each
// read waits for everything queued so far, so the host stops running ahead of the GPU.
// Quiet when the read-back is after the loop (`torch.stack(losses).cpu()` once), in
// reference functions, and in loops over a literal list of test cases or settings
// (`for size in [1024, 65536]`): a few iterations that each check a result, not a steady state.
import { detail } from '../../common/detail';
import { exclusiveArms, type CallFact, type FileFacts, type FunctionFacts, type LoopFact } from '../../../core/facts/model';
import type { RuleFinding } from '../../../core/types';
import { pythonOracles } from '../../common/reference';
import { positionBefore } from '../../../core/positions';

const BENEFIT =
  'the host keeps queuing work while the GPU runs instead of waiting for it every iteration (not measured for PyTorch host syncs; the CUDA case measured on an H200, pageable synchronous cudaMemcpy per chunk -> pinned + cudaMemcpyAsync on 4 streams, was 11.3 -> 94.3 GB/s, 8.33x)';
/** Iterations of a loop of trials (`for trial in range(8)`): too few for the idle GPU to matter. */
const FEW_TRIALS = 8;
/** Module code or a function named for a check, test, demo or benchmark: where a few trials are checks. */
const CHECKING_HOST = /^<module>$|check|test|verify|validat|demo|bench|compare|^main$/i;
/** The literal trips of a loop times those of the loops around it (Infinity where one is not a literal). */
function trialsAround(host: FunctionFacts, loop: LoopFact): number {
  let n = 1;
  for (let l: LoopFact | undefined = loop; l; l = l.parent === null ? undefined : host.loops.find((x) => x.id === l!.parent)) n *= l.trips ?? Infinity;
  return n;
}
/** Methods that put a tensor on the device or run device work. */
const DEVICE_METHODS = new Set(['.cuda', '.backward']);

/**
 * The name a call may reach a launch wrapper by: `quantize(x)`, `ops.quantize(x)`, `self.forward(x)`; none for a
 * library's own function (`np.add(a, b)` is not the project's Triton `add`).
 */
const simpleName = (c: CallFact) => {
  const name = c.qualified ?? c.name;
  return LIBRARY.test(name) ? '' : name.replace(/^.*\./, '');
};
const LIBRARY = /^(?:np|numpy|torch|math|F|scipy|jnp|jax|cp|cupy|random|os|time|itertools|functools|triton|tl)\./;

/**
 * Host functions of the file that launch a kernel, directly or through one more function of the file, and the launch
 * wrappers of the project's other Python files (`from ops import quantize`) that the file does not define itself.
 */
function launchingFunctions(facts: FileFacts): Set<string> {
  const hosts = facts.functions.filter((f) => !f.isKernel);
  const defined = new Set(facts.functions.map((f) => f.name));
  const imported = [...(facts.project?.pythonLaunchers ?? [])].filter((n) => !defined.has(n));
  const out = new Set([...hosts.filter((f) => f.calls.some((c) => c.kind === 'launch')).map((f) => f.name), ...imported]);
  for (const f of hosts) if (f.calls.some((c) => c.form === 'call' && out.has(simpleName(c)))) out.add(f.name);
  return out;
}

/** `torch.arange(n, device=x.device)`, `torch.zeros(..., device="cuda")`: a tensor made (and filled) on the device. */
const DEVICE_FACTORY = /^torch\.(?:arange|zeros|ones|empty|full|tensor|linspace|rand\w*)(?:_like)?$/;
/** Factories given a shape (`torch.randn(M, N, device=...)`, `torch.empty(...)`): not `arange` or `tensor`, given values. */
const SHAPED_FACTORY = /^torch\.(?:zeros|ones|empty|full|rand\w*)$/;
const onDevice = (c: CallFact) => (c.keywords ?? []).some((k) => k.name === 'device' && !/^['"]cpu['"]$/.test(k.value.trim()));

/** `x.to("cuda")`, `x.to(device)`, `x.to(DEVICE, non_blocking=True)`: a copy to the GPU (a dtype or `"cpu"` is not). */
const movesToGpu = (c: CallFact): boolean =>
  [...c.args.slice(1), ...(c.keywords ?? []).filter((k) => k.name === 'device').map((k) => k.value)].some((a) => GPU_TARGET.test(a.trim()));
const GPU_TARGET = /^(?:['"]cuda(?::\d+)?['"]|torch\.device\(\s*['"]cuda[^)]*\)|(?:[A-Za-z_]\w*\.)*_*(?:device|DEVICE|dev|cuda_device|gpu|GPU|gpu_id|local_rank|rank))$/;

function isDeviceWork(c: CallFact, launchers: ReadonlySet<string>, deviceNames: ReadonlySet<string> = new Set(), gpu = true): boolean {
  if (c.kind === 'launch') return true;
  // a store into a tensor made on the device (`expert_ids[a:b] = e`): a fill kernel per store
  if (c.form === 'store') return !!c.argRoots[0] && deviceNames.has(c.argRoots[0]);
  // (`.to(device)` in a file that names no GPU anywhere, `device = torch.device("cpu")`: the device-agnostic idiom, no copy)
  if (c.form === 'method') return DEVICE_METHODS.has(c.name) || (c.name === '.to' && gpu && movesToGpu(c));
  if (c.form === 'call' && DEVICE_FACTORY.test(c.qualified ?? c.name) && onDevice(c)) return true;
  return c.form === 'call' && launchers.has(simpleName(c));
}

/** A GPU named in an argument: `device="cuda"`, `device=x.device` is not (it may be the CPU), `.cuda()`, `.to("cuda:0")`. */
const GPU_TEXT = /\bdevice\s*=\s*['"]cuda|\.cuda\(|\.to\(\s*['"]cuda/;

/** PyTorch's library GEMMs and convolutions (`torch.matmul`, `F.linear`, `F.conv2d`): a cuBLAS or cuDNN launch on GPU tensors. */
const TORCH_DEVICE_OP = /^(?:torch\.(?:matmul|mm|bmm|addmm|baddbmm|einsum)|(?:torch\.nn\.functional|F)\.(?:linear|conv[123]d|scaled_dot_product_attention))$/;

/** A read-back or synchronization: `.item()`, `.cpu()`, `.tolist()`, `.numpy()`, `.to("cpu")`, `torch.cuda.synchronize()`. */
const isBlocking = (c: CallFact) => c.kind === 'copy' || c.kind === 'sync';

function describe(c: CallFact): string {
  const via = (c as ReadBackCall).readsBack;
  if (via) return `\`${c.name}(${c.args.join(', ').slice(0, 40)})\` (its \`${via}()\`)`;
  if (c.kind === 'sync') return `\`${c.qualified ?? c.name}()\``;
  const receiver = c.args[0] && c.args[0].length <= 40 ? c.args[0] : '';
  return `\`${receiver}${c.name}()\``;
}

/**
 * A read-back in the test that leaves the loop (`if err.item() < tol: break`), or kept in a name only such tests read
 * (`err = d.max().item()`, then `if err < tol: break`, or `while err > tol:`).
 */
function decidesExit(calls: readonly CallFact[], c: CallFact): boolean {
  if (c.exitTest) return true;
  // (through a conversion, `n = int(count.item())`)
  let assign = c.parent !== undefined ? calls[c.parent] : undefined;
  while (assign && assign.form === 'call' && /^(?:int|float|bool)$/.test(assign.name) && assign.parent !== undefined) assign = calls[assign.parent];
  const name = assign?.form === 'assign' && assign.assignedTo?.length === 1 ? assign.assignedTo[0] : null;
  if (!name) return false;
  // (a `while` test reads it before the assignment, each iteration: any read of the name counts)
  const uses = calls.filter((d) => d !== assign && d.argRoots.includes(name));
  // (every use a test of the exit; or a test of the loop's own condition that also sizes the next launch, `while
  // n_frontier > 0:` with `kernel[(n_frontier,)]` of a BFS: the next step cannot be queued before the value exists)
  return uses.length > 0 && (uses.every((d) => d.exitTest) || (uses.some((d) => d.exitTest) && uses.some((d) => d.kind === 'launch')));
}

/**
 * A read-back of a tensor the host made itself (`torch.randint(0, n, (1,)).item()`, or a name only set so: no `device=`,
 * and the file sets no default device): a CPU tensor, whose `.item()` waits for nothing.
 */
function hostTensorRead(calls: readonly CallFact[], c: CallFact): boolean {
  if (c.kind !== 'copy' || c.form !== 'method' || !c.args[0]) return false;
  const at = calls.indexOf(c);
  if (calls.some((d) => d.parent === at && madeOnHost(d, c.args[0]))) return true;
  const root = c.argRoots[0];
  return !!root && c.args[0].trim() === root && setOnHost(calls, root);
}

/** A factory call with no `device=` that the text starts with (`torch.tensor(...)`); `torch.zeros_like(x)` takes `x`'s device. */
const madeOnHost = (d: CallFact, text: string) => d.form === 'call' && DEVICE_FACTORY.test(d.qualified ?? d.name) && !/_like$/.test(d.qualified ?? d.name) && !onDevice(d) && text.trim().startsWith(`${d.qualified ?? d.name}(`);

/** A name only ever set to a tensor the host makes itself. */
function setOnHost(calls: readonly CallFact[], name: string): boolean {
  const sets = calls.filter((a) => a.form === 'assign' && a.assignedTo?.includes(name));
  return sets.length > 0 && sets.every((a) => a.assignedTo!.length === 1 && calls.some((d) => d.parent === calls.indexOf(a) && madeOnHost(d, a.args[0] ?? '')));
}

/** Host clocks a Python benchmark reads (`time.perf_counter()`, `time.time()`, `timeit.default_timer()`, a CUDA event's `.elapsed_time(end)`). */
const PY_CLOCK = /^(?:time\.(?:time|perf_counter|monotonic|process_time)(?:_ns)?|(?:timeit\.)?default_timer|perf_counter(?:_ns)?|(?:\w+)?\.elapsed_time)$/;

function checkHost(host: FunctionFacts, launchers: ReadonlySet<string>, defaultDevice: boolean, gpu: boolean): RuleFinding[] {
  // names bound to a tensor made on the device (`x = torch.zeros(n, device=ids.device)`)
  const deviceNames = new Set(host.calls.flatMap((c) => {
    const holder = c.parent !== undefined ? host.calls[c.parent] : undefined;
    return c.form === 'call' && DEVICE_FACTORY.test(c.qualified ?? c.name) && onDevice(c) && holder?.form === 'assign' ? holder.assignedTo ?? [] : [];
  }));
  for (const loop of [...host.loops].sort((a, b) => a.depth - b.depth)) {
    // (a literal list of cases, or a few literal trials of a demo or check, `for trial in range(8)` in no loop with more
    // trials around it: checks, not a steady state; not a helper's micro-steps a training loop calls per batch)
    if (loop.literalItems !== undefined || (CHECKING_HOST.test(host.name) && trialsAround(host, loop) <= FEW_TRIALS)) continue;
    const inLoop = host.calls.filter((c) => c.loops.includes(loop.id));
    // (nor a sweep over configurations, each iteration making its inputs on the device anew at the sizes the loop's own
    // variables give, `for M, N in shapes: x = torch.randn(M, N, device="cuda")`: a harness setting up one case at a time,
    // as the CUDA half leaves loops that allocate each iteration)
    // (over a collection of cases, not `range(...)` of steps: a decode loop's `torch.arange(0, t, device=...)` grows with
    // its step, and a sampler's `torch.full((B,), i, ...)` fills with it)
    const header = host.calls.find((c) => c.form === 'assign' && c.name === 'for' && c.loops.at(-1) === loop.id);
    const overCases = !!header && !/^(?:\w+\.)*(?:range|trange|tqdm|enumerate\(\s*range)\b/.test((header.args[0] ?? '').trim());
    const targets = header?.assignedTo ?? [];
    const mentionsTarget = (a: string) => targets.some((t) => new RegExp(`(?<![\\w.])${t}(?!\\w)`).test(a));
    // (the shape a factory is given: its positional arguments, the first alone of `torch.full(size, value)`)
    const shapeArgs = (c: CallFact) => (/(?:^|\.)full$/.test(c.qualified ?? c.name) ? c.args.slice(0, 1) : c.args);
    if (overCases && inLoop.some((c) => c.form === 'call' && SHAPED_FACTORY.test(c.qualified ?? c.name) && onDevice(c) && shapeArgs(c).some(mentionsTarget))) continue;
    // (or a PyTorch GEMM or convolution whose iteration brings a result to the host with `.cpu()` or waits on the device:
    // those say the tensors live on the GPU, where the op is a cuBLAS or cuDNN launch)
    // (or reads back a tensor the function made on the device, `loss_acc.item()` of `torch.zeros((), device=x.device)`)
    const toHost = gpu && inLoop.some((c) => (c.kind === 'copy' && (/^\.(?:cpu|to)$/.test(c.name) || (c.name === '.item' && deviceNames.has(c.argRoots[0] ?? '')))) || c.kind === 'sync');
    const torchOp = (c: CallFact) => (c.form === 'call' && TORCH_DEVICE_OP.test(c.qualified ?? c.name)) || (c.form === 'operator' && c.name === '@');
    const work = inLoop.find((c) => isDeviceWork(c, launchers, deviceNames, gpu) || (toHost && torchOp(c)));
    // (not a read-back under `if step % log_every == 0:`: a log line every so many steps, the usual way to keep the loop ahead)
    // (nor a `torch.cuda.synchronize()` in a loop that reads a clock: a benchmark timing each step, the wait is the measurement)
    const timed = inLoop.some((c) => PY_CLOCK.test(c.qualified ?? c.name));
    // (and so is a read-back after that wait, `torch.cuda.synchronize()` then `loss.item()`: the device is idle by then)
    const direct = (c: CallFact) => c.loops[c.loops.length - 1] === loop.id;
    const timingWaits = timed ? inLoop.filter((c) => c.kind === 'sync' && direct(c) && !c.rareIn?.includes(loop.id)) : [];
    // (with no device work queued between them: an eval batch launched after the timed step waits again)
    // (a model's call or a tensor method there may queue kernels: only clocks, prints and Python's builtins do not)
    const queues = (d: CallFact) => isDeviceWork(d, launchers, deviceNames, gpu) || ((d.form === 'call' || d.form === 'method') && d.kind !== 'copy' && d.kind !== 'sync' &&
      !PY_CLOCK.test(d.qualified ?? d.name) && !/^(?:print|len|str|int|float|round|format|min|max|abs|sum|range|enumerate|zip|isinstance|logging\.\w+|\w*log\w*)$/.test(d.qualified ?? d.name));
    const queuedBetween = (w: CallFact, c: CallFact) => inLoop.some((d) => d !== c && positionBefore(w.range.start, d.range.start) && positionBefore(d.range.start, c.nameRange.start) && queues(d));
    const afterWait = (c: CallFact) => direct(c) && timingWaits.some((w) => positionBefore(w.range.start, c.range.start) && (w.scopes ?? []).every((x) => (c.scopes ?? []).includes(x)) && !queuedBetween(w, c));
    // (rare in this loop, or in one inside it whose guard holds the call itself: `if step % log_every == 0:` in the batch
    // loop an epoch loop wraps; not a validation loop under that guard, `for vx, vy in val_loader: ... .item()`, whose
    // every batch waits each time the guard lets it run)
    const byId = new Map(host.loops.map((l) => [l.id, l]));
    const within = (id: number): boolean => id === loop.id || (byId.get(id)?.parent != null && within(byId.get(id)!.parent!));
    const rare = (c: CallFact) => !!c.rareIn?.some((id) => id === loop.id || (within(id) && c.loops.at(-1) === id));
    const blocking = inLoop.filter((c) => isBlocking(c) && !rare(c) && (defaultDevice || !hostTensorRead(host.calls, c)) && !(timed && c.kind === 'sync') && !afterWait(c));
    // (no GPU work queued in the loop, but `order[i].item()`: one element of a device tensor read back per iteration,
    // a round trip each where one copy of the tensor before the loop would do)
    const perElement = !work && gpu ? blocking.find((c) => readsElementOf(host, c, loop)) : undefined;
    if (perElement) return [perElementFinding(host, perElement, loop)];
    if (!work || !blocking.length) continue;
    // every read-back decides whether the loop goes on (a convergence test): the host needs it before the next launch
    // (DESIGN: check it less often or on the device, as the CUDA half leaves a loop's exit scalar alone)
    if (blocking.every((c) => decidesExit(host.calls, c))) continue;
    const first = blocking[0];
    const sync = first.kind === 'sync';
    return [{
      range: first.range,
      function: host.name === '<module>' ? null : host.name,
      confidence: 'likely',
      assumptions: ['assumes the tensor lives on the GPU and the loop runs many iterations'],
      message: `${describe(first)} in the loop waits for the GPU every iteration: the host cannot run ahead`,
      detail: detail(
        `${describe(first)} waits for all GPU work queued so far, every iteration, so the GPU idles while the host queues the next step.`,
        sync
          ? 'Synchronize once after the loop.'
          : 'Keep the values on the device (accumulate into a tensor, `torch.stack` them) and read them back once after the loop or every N steps.',
      ),
      benefit: BENEFIT,
      related: [
        { range: loop.headerRange, message: 'the loop' },
        { range: work.nameRange, message: `\`${work.name}\` queues GPU work in the same iteration` },
        ...blocking.slice(1, 6).map((c) => ({ range: c.nameRange, message: `${describe(c)} also waits for the GPU every iteration` })),
      ],
    }];
  }
  return [];
}

/** `x[i].item()` with `i` the loop's variable: the read-back of one element per step. */
function readsElementOf(host: FunctionFacts, c: CallFact, loop: LoopFact): boolean {
  const calls = host.calls;
  if (c.kind !== 'copy' || c.name !== '.item' || !loop.variable) return false;
  const at = calls.indexOf(c);
  const receiver = calls.find((r) => r.parent === at && r.form === 'subscript');
  const variable = new RegExp(`(?<![\\w.])${loop.variable}(?!\\w)`);
  return !!receiver && receiver.args.slice(1).some((a) => variable.test(a)) && !onHost(host, receiver.args[0]?.trim() ?? '');
}

/**
 * A name that holds host data: bound to what `.cpu()`, `.numpy()` or `.tolist()` gave or to a NumPy value, or a
 * parameter annotated as a NumPy array: its `.item()` reads host memory.
 */
function onHost(host: FunctionFacts, name: string): boolean {
  if (host.params.some((p) => p.name === name && /\b(?:np|numpy)\.|ndarray|\blist\b/.test(p.type ?? ''))) return true;
  return host.calls.some((a) => a.form === 'assign' && (a.assignedTo ?? []).includes(name) && /\.(?:cpu|numpy|tolist)\(\s*\)|^\s*(?:np|numpy)\./.test(a.args[0] ?? ''));
}

function perElementFinding(host: FunctionFacts, c: CallFact, loop: LoopFact): RuleFinding {
  const tensor = c.argRoots[0] ?? 'the tensor';
  return {
    range: c.range,
    function: host.name === '<module>' ? null : host.name,
    confidence: 'likely',
    assumptions: [`assumes \`${tensor}\` lives on the GPU and the loop runs over many of its elements`],
    message: `${describe(c)} reads one element of \`${tensor}\` back per iteration: a GPU round trip each`,
    detail: detail(
      `${describe(c)} copies one element to the host and waits for the GPU, once per iteration of the loop over \`${loop.variable}\`: a few microseconds of round trip per element, however small the element.`,
      `Bring \`${tensor}\` to the host once before the loop (\`${tensor}.tolist()\` or \`${tensor}.cpu()\`) and index that, or keep the whole loop on the device.`,
    ),
    benefit: BENEFIT,
    related: [{ range: loop.headerRange, message: 'the loop' }],
  };
}

/** Python's conversions of a one-element tensor to a host number: each is an `.item()`. */
const PY_CONVERSION = /^(?:float|int|bool)$/;
/** A name the host runs `.backward()` on, or sets to a reduction of tensors: a loss, a tensor on the device. */
const isLoss = (h: FunctionFacts, name: string): boolean => /^\w+$/.test(name) && (h.calls.some((d) => d.form === 'method' && d.name === '.backward' && d.argRoots[0] === name) ||
  // (not of a tensor the host made itself, `ref = torch.tensor(values)`: a CPU reduction)
  h.calls.some((d) => d.form === 'assign' && d.name === '=' && d.assignedTo?.length === 1 && d.assignedTo[0] === name && deviceReduction(h, d.args[0]?.trim() ?? '')));
/** A reduction of tensors written in place (`float(F.cross_entropy(logits, y))`), of no tensor the host made itself. */
const deviceReduction = (h: FunctionFacts, text: string): boolean =>
  TENSOR_REDUCTION.test(text) && !(text.match(/[A-Za-z_]\w*/g) ?? []).some((w) => setOnHost(h.calls, w));

/** A loss or a statistic reduced on the tensors (`((pred - y) ** 2).mean()`, `F.cross_entropy(logits, y)`, `criterion(out, y)`): a 0-d device tensor. */
const TENSOR_REDUCTION = /\.(?:mean|sum|norm)\(\s*\)$|^(?:F|torch\.nn\.functional|nn\.functional)\.\w*(?:loss|entropy)\w*\(|^(?:self\.)?(?:criterion|loss_fn|loss_func)\(/;

/** A call of a file's helper that reads its argument back (`to_python_float(loss)`, whose body is `return t.item()`), as a copy. */
type ReadBackCall = CallFact & { readsBack?: string };

/**
 * Helpers of the file that bring a parameter's value to the host, outside any loop of their own (`def
 * to_python_float(t): return t.item()`): by name, the read-back they make.
 */
function readBackHelpers(functions: readonly FunctionFacts[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of functions) {
    if (f.isKernel || f.loops.length || !f.params.length) continue;
    // (on every path through it: unconditional, or in an arm of an if/else whose other arm does something else,
    // `if hasattr(t, 'item'): return t.item() else: return t[0]`; not under a guard of its own, `if step % 100 == 0:`)
    const everyCall = (c: CallFact) => (c.scopes ?? []).every((arm) => f.calls.some((d) => (d.scopes ?? []).some((other) => exclusiveArms(arm, other))));
    const read = f.calls.find((c) => c.kind === 'copy' && everyCall(c) && f.params.some((p) => p.name === c.argRoots[0]));
    if (read) out.set(f.name, read.name);
  }
  return out;
}

export function tritonSyncTransfer(facts: FileFacts): RuleFinding[] {
  const launchers = launchingFunctions(facts);
  const readBacks = readBackHelpers(facts.functions);
  // (a host's calls of those helpers read as the copies they make; so does Python's own conversion of a loss the host
  // runs the backward of, `total += float(loss)`, which is `loss.item()`)
  const readBackOf = (h: FunctionFacts, c: CallFact): string | undefined => c.form !== 'call' || c.name === h.name ? undefined
    : readBacks.get(c.name) ?? (PY_CONVERSION.test(c.name) && c.args.length === 1 && (isLoss(h, c.args[0].trim()) || deviceReduction(h, c.args[0].trim())) ? '.item' : undefined);
  const withReadBacks = (h: FunctionFacts): FunctionFacts => !h.calls.some((c) => readBackOf(h, c)) ? h
    : { ...h, calls: h.calls.map((c): ReadBackCall => { const via = readBackOf(h, c); return via ? { ...c, kind: 'copy', readsBack: via } : c; }) };
  // (`torch.set_default_device("cuda")`: factories without `device=` make device tensors too)
  const defaultDevice = facts.functions.some((f) => f.calls.some((c) => /(?:^|\.)set_default_(?:device|tensor_type)$/.test(c.qualified ?? c.name)));
  // (a file that names a GPU somewhere: a `device=` other than the CPU, `.cuda()`, `.to("cuda")`, `torch.cuda.*`, a kernel;
  // in a CPU-only script `.cpu()` is the device-agnostic idiom and copies nothing)
  // (also in an argument's text, a comprehension's `torch.randn(n, device="cuda") for _ in range(8)`)
  const gpu = launchers.size > 0 || defaultDevice || facts.functions.some((f) => f.isKernel || f.calls.some((c) => onDevice(c) || c.name === '.cuda' ||
    ((c.qualified ?? c.name) === 'torch.device' && /^['"]cuda/.test(c.args[0]?.trim() ?? '')) ||
    /^torch\.cuda\./.test(c.qualified ?? c.name) || c.args.some((a) => GPU_TEXT.test(a))));
  return facts.functions.filter((f) => !f.isKernel && !pythonOracles(facts.functions).has(f)).flatMap((h) => checkHost(withReadBacks(h), launchers, defaultDevice, gpu));
}
