// The Triton half of fusion/elementwise-chain. In a host function, a `kernel[grid](...)`
// launch of an elementwise `@triton.jit` kernel writes a buffer; we follow that buffer
// (through plain aliases) to the first operation that reads it. When that operation is
//   (a) a launch of another elementwise kernel that loads it over the same elements, or
//   (b) a PyTorch elementwise op (`torch.relu(y + b)`, `y * 2 + 1`, `F.gelu(y)`, `y.relu_()`),
// the intermediate makes a round trip through global memory that one fused kernel avoids.
// Anything else first (a matmul, a reduction, a view or index, `.cpu()`, `print`,
// `return`, a call we do not know) means silence.
import type { CallFact, FileFacts, FunctionFacts } from '../../../core/facts/model';
import type { Range, RuleFinding } from '../../../core/types';

const BENEFIT_MEASURED =
  'on an H100, a scale kernel followed by a separate bias+relu kernel over 2^28 floats took 2.076 ms; fused into one kernel, 1.170 ms (1.77x)';

/** PyTorch functions that map each element independently (`torch.X`, `torch.nn.functional.X`, `torch.special.X`). */
const ELEMENTWISE_FUNCTIONS = new Set([
  'relu', 'relu_', 'relu6', 'sigmoid', 'tanh', 'exp', 'exp2', 'expm1', 'log', 'log2', 'log1p', 'sqrt', 'rsqrt', 'abs',
  'neg', 'negative', 'sin', 'cos', 'erf', 'erfc', 'add', 'sub', 'subtract', 'mul', 'multiply', 'div', 'divide', 'true_divide',
  'pow', 'square', 'reciprocal', 'clamp', 'clamp_min', 'clamp_max', 'clip', 'maximum', 'minimum', 'where', 'sign',
  'gelu', 'silu', 'leaky_relu', 'elu', 'selu', 'celu', 'mish', 'softplus', 'hardtanh', 'hardswish', 'hardsigmoid',
  'logsigmoid', 'tanhshrink', 'softsign', 'threshold', 'logit', 'addcmul', 'addcdiv', 'lerp', 'nan_to_num', 'expit',
]);
const ELEMENTWISE_MODULES = ['torch.', 'torch.nn.functional.', 'torch.special.'];
/** Tensor methods that map each element independently, with their in-place forms. */
const ELEMENTWISE_METHODS = new Set([
  'relu', 'sigmoid', 'tanh', 'exp', 'exp2', 'expm1', 'log', 'log1p', 'sqrt', 'rsqrt', 'abs', 'neg', 'sin', 'cos', 'erf',
  'add', 'sub', 'mul', 'div', 'pow', 'square', 'reciprocal', 'clamp', 'clamp_min', 'clamp_max', 'clip', 'sign',
  'maximum', 'minimum', 'addcmul', 'addcdiv', 'lerp', 'nan_to_num', 'logit',
].flatMap((m) => [`.${m}`, `.${m}_`]));
const ARITHMETIC = new Set(['+', '-', '*', '/', '**']);
const IN_PLACE_ARITHMETIC = new Set(['+=', '-=', '*=', '/=']);
/** Reads that look only at a tensor's metadata, not its contents. */
const METADATA = new Set([
  '.shape', '.dtype', '.device', '.numel', '.size', '.stride', '.dim', '.ndim', '.ndimension', '.is_contiguous',
  '.element_size', '.data_ptr', '.is_cuda', '.nelement', '.storage_offset', '.layout', '.requires_grad',
]);
/** Launch keywords that configure the launch rather than bind a kernel parameter. */
const LAUNCH_OPTIONS = new Set(['num_warps', 'num_stages', 'num_ctas', 'enable_fp_fusion', 'maxnreg', 'stream', 'warmup', 'grid', 'device']);

interface Binding {
  text: string;
  root: string | null;
}

/** Kernel parameter -> the launch argument bound to it, or null when the arguments do not fit. */
function bindArguments(k: FunctionFacts, launch: CallFact): Map<string, Binding> | null {
  if (launch.args.length > k.params.length || launch.args.some((a) => a.startsWith('*'))) return null; // *args: positions unknown
  const out = new Map<string, Binding>();
  launch.args.forEach((a, i) => out.set(k.params[i].name, { text: a.replace(/\s+/g, ''), root: launch.argRoots[i] }));
  for (const kw of launch.keywords ?? []) {
    if (LAUNCH_OPTIONS.has(kw.name)) continue;
    if (!k.params.some((p) => p.name === kw.name) || out.has(kw.name)) return null;
    out.set(kw.name, { text: kw.value.replace(/\s+/g, ''), root: kw.root });
  }
  return out;
}

/** A plain buffer name (`out`), not a slice or an expression. */
const plainBuffer = (b: Binding | undefined): string | null => (b && b.root && b.text === b.root ? b.root : null);

const readsAny = (c: CallFact, names: Set<string>) =>
  c.argRoots.some((r) => r !== null && names.has(r)) || (c.keywords ?? []).some((k) => k.root !== null && names.has(k.root));

function sameContext(a: CallFact, b: CallFact): boolean {
  return a.loops.join() === b.loops.join() && (a.scopes ?? []).join() === (b.scopes ?? []).join();
}

/** A metadata read (`y.shape`, `y.numel()`, `len(y)`) that leaves the contents alone. */
function isMetadata(c: CallFact, names: Set<string>): boolean {
  if ((c.form === 'method' || c.form === 'attribute') && METADATA.has(c.name)) {
    return c.argRoots.slice(1).every((r) => r === null || !names.has(r));
  }
  return c.form === 'call' && c.name === 'len';
}

/** Is this operation a PyTorch elementwise op? */
function isElementwise(c: CallFact): boolean {
  switch (c.form) {
    case 'call': {
      const q = c.qualified ?? c.name;
      if ((c.keywords ?? []).some((k) => k.name === 'out' || k.name === 'dim')) return false;
      return ELEMENTWISE_MODULES.some((m) => q.startsWith(m) && ELEMENTWISE_FUNCTIONS.has(q.slice(m.length)));
    }
    case 'method':
      return ELEMENTWISE_METHODS.has(c.name);
    case 'operator':
      if (IN_PLACE_ARITHMETIC.has(c.name)) return (c.assignedTo ?? []).length > 0;
      return ARITHMETIC.has(c.name) || (c.name === '-' && c.args.length === 1);
    default:
      return false;
  }
}

/** The first operation after `from` that reads one of `names` (following `z = y` aliases). */
function firstUse(calls: CallFact[], from: number, buffer: string): { index: number; names: Set<string> } | null {
  const names = new Set([buffer]);
  for (let j = from + 1; j < calls.length; j++) {
    const c = calls[j];
    if (!readsAny(c, names)) {
      for (const t of c.assignedTo ?? []) names.delete(t); // overwritten before any read
      if (names.size === 0) return null;
      continue;
    }
    if (isMetadata(c, names)) continue;
    if (c.form === 'assign' && c.name === '=' && c.args[0] === c.argRoots[0] && (c.assignedTo ?? []).length > 0) {
      for (const t of c.assignedTo!) names.add(t); // z = y
      continue;
    }
    return { index: j, names };
  }
  return null;
}

/** Any later read of the buffer, after the fused expression (it would still have to be written). */
function laterUse(calls: CallFact[], after: number, names: Set<string>): CallFact | null {
  const live = new Set(names);
  for (let j = after + 1; j < calls.length; j++) {
    const c = calls[j];
    if (readsAny(c, live) && !isMetadata(c, live)) return c;
    for (const t of c.assignedTo ?? []) live.delete(t);
    if (live.size === 0) return null;
  }
  return null;
}

function textOf(lines: string[], r: Range): string {
  const parts: string[] = [];
  for (let l = r.start.line; l <= r.end.line; l++) {
    const line = lines[l] ?? '';
    parts.push(line.slice(l === r.start.line ? r.start.column : 0, l === r.end.line ? r.end.column : undefined));
  }
  const t = parts.join(' ').replace(/\s+/g, ' ').trim();
  return t.length > 72 ? t.slice(0, 69) + '...' : t;
}

/** Short names of the fused steps: `+ bias`, `relu`, `* 2`. */
function stepName(c: CallFact, chainArg: number): string {
  switch (c.form) {
    case 'operator': {
      const op = c.name.replace(/=$/, '');
      if (c.args.length === 1) return `negation`;
      const other = c.args[chainArg === 0 ? 1 : 0]?.replace(/\s+/g, ' ') ?? '';
      const o = other.length > 24 ? '...' : other;
      return chainArg === 0 ? `\`${op} ${o}\`` : `\`${o} ${op}\``;
    }
    case 'method':
      return `\`${c.name.slice(1).replace(/_$/, '')}\``;
    default:
      return `\`${((c.qualified ?? c.name).split('.').pop() ?? '').replace(/_$/, '')}\``;
  }
}

function listWords(xs: string[]): string {
  return xs.length <= 1 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`;
}

function storedParams(k: FunctionFacts): string[] {
  return k.params.filter((p) => k.accesses.some((a) => a.array === p.name && a.kind !== 'load')).map((p) => p.name);
}

function checkHost(host: FunctionFacts, kernels: Map<string, FunctionFacts>, lines: string[]): RuleFinding[] {
  const out: RuleFinding[] = [];
  const calls = host.calls;
  const fn = host.name === '<module>' ? null : host.name;
  const reported = new Set<number>();
  calls.forEach((first, i) => {
    if (first.kind !== 'launch') return;
    const k1 = kernels.get(first.name);
    if (!k1 || k1.kernelClass !== 'elementwise') return;
    const b1 = bindArguments(k1, first);
    if (!b1) return;
    for (const param of storedParams(k1)) {
      const buffer = plainBuffer(b1.get(param));
      if (!buffer) continue;
      const use = firstUse(calls, i, buffer);
      if (!use || reported.has(use.index)) continue;
      const next = calls[use.index];
      if (!sameContext(first, next)) continue;
      const related = [{ range: first.nameRange, message: `\`${first.name}\` writes \`${buffer}\` here` }];

      // (a) another elementwise kernel reads the buffer right back
      if (next.kind === 'launch') {
        const k2 = kernels.get(next.name);
        if (!k2 || k2.kernelClass !== 'elementwise') continue;
        const b2 = bindArguments(k2, next);
        if (!b2) continue;
        const bound = [...b2].filter(([, b]) => plainBuffer(b) !== null && use.names.has(plainBuffer(b)!)).map(([p]) => p);
        if (!bound.some((p) => k2.accesses.some((a) => a.array === p && a.kind === 'load'))) continue; // only overwritten
        const n1 = k1.indexBound ? b1.get(k1.indexBound)?.text ?? null : null;
        const n2 = k2.indexBound ? b2.get(k2.indexBound)?.text ?? null : null;
        const sameGrid = !!first.grid && first.grid === next.grid;
        let confidence: RuleFinding['confidence'];
        const assumptions: string[] = [];
        if (n1 && n1 === n2) {
          confidence = sameGrid ? 'proven' : 'likely';
          if (!sameGrid) assumptions.push(`assumes both grids cover the same \`${n1}\` elements (the launches use \`${first.grid}\` and \`${next.grid}\`)`);
        } else if (!n1 && !n2 && sameGrid) {
          confidence = 'likely';
          assumptions.push('assumes both kernels cover the same elements: neither masks against a size, and both launch on the same grid');
        } else continue;
        assumptions.push(`assumes nothing outside this function reads \`${buffer}\` between the launches`);
        const over = n1 ? ` over the same \`${n1}\` elements` : '';
        reported.add(use.index);
        out.push({
          range: next.nameRange,
          function: fn,
          confidence,
          assumptions,
          message:
            `\`${first.name}\` writes \`${buffer}\` and \`${next.name}\` reads it right back${over}, with nothing in between using it. ` +
            `Fuse the two elementwise kernels into one \`@triton.jit\` kernel that keeps each value in registers between the \`tl.load\` and the \`tl.store\`: ` +
            `one launch instead of two, and \`${buffer}\` no longer makes a round trip through global memory (drop it if nothing else reads it).`,
          benefit: `saves a full write and read of \`${buffer}\` and a launch; ${BENEFIT_MEASURED}`,
          related,
        });
        continue;
      }

      // (b) PyTorch elementwise ops on the output
      if (!isElementwise(next)) continue;
      const chain: CallFact[] = [next];
      let top = next;
      let topIndex = use.index;
      while (top.parent !== undefined && calls[top.parent] && isElementwise(calls[top.parent]) && sameContext(first, calls[top.parent])) {
        topIndex = top.parent;
        top = calls[top.parent];
        chain.push(top);
      }
      // which operand carries the chain, for naming the steps
      const steps = chain.map((c, j) => {
        const carrier = j === 0 ? c.argRoots.findIndex((r) => r !== null && use.names.has(r)) : c.args.findIndex((a) => a.replace(/\s+/g, '') === textOf(lines, chain[j - 1].range).replace(/\s+/g, ''));
        return stepName(c, Math.max(0, carrier));
      });
      const expr = textOf(lines, top.range);

      // an in-place op (`y.relu_()`, `y += r`) leaves its result in the buffer itself: later reads see the fused value
      const inPlace = chain.some(
        (c) =>
          ((c.form === 'method' || c.form === 'call') && c.name.endsWith('_') && c.argRoots[0] !== null && use.names.has(c.argRoots[0])) ||
          (c.form === 'operator' && IN_PLACE_ARITHMETIC.has(c.name) && (c.assignedTo ?? []).some((t) => use.names.has(t))),
      );
      const others = chain.flatMap((c) => c.argRoots).filter((r): r is string => r !== null && !use.names.has(r));
      const again = inPlace ? null : laterUse(calls, topIndex, use.names);
      const assumptions = [
        inPlace || again
          ? `assumes the PyTorch ops run on the same device as \`${first.name}\``
          : `assumes the PyTorch ops run on the same device as \`${first.name}\` and nothing else reads \`${buffer}\``,
      ];
      if (others.length) assumptions.push(`assumes ${listWords([...new Set(others)].map((o) => `\`${o}\``))} can be loaded inside the kernel with the same (or a broadcast) offsets`);
      let saves = `saves a full write and read of \`${buffer}\``;
      if (again) {
        saves = `saves a full read of \`${buffer}\``;
        assumptions.push(`\`${buffer}\` is read again on line ${again.range.start.line + 1}, so the fused kernel must still store it; the read back is what goes away`);
      }
      const rest =
        chain.length === 1
          ? 'a launch'
          : `the ${chain.length - 1 === 1 ? 'intermediate tensor' : `${chain.length - 1} intermediate tensors`} between the eager ops, and ${chain.length} launches`;
      reported.add(use.index);
      out.push({
        range: top.range,
        function: fn,
        confidence: 'likely',
        assumptions,
        message:
          `\`${first.name}\` writes \`${buffer}\`; \`${expr}\` then reads it back as a separate elementwise op: ` +
          `fuse the ${listWords(steps)} into \`${first.name}\` before its \`tl.store\` — ${saves}${chain.length === 1 ? ' and' : ','} ${rest}.`,
        benefit: `${saves}${chain.length === 1 ? ' and' : ','} ${rest}; ${BENEFIT_MEASURED}`,
        related,
      });
    }
  });
  return out;
}

export function tritonElementwiseChain(facts: FileFacts): RuleFinding[] {
  const kernels = new Map(facts.functions.filter((f) => f.isKernel).map((f) => [f.name, f]));
  if (kernels.size === 0) return [];
  const out: RuleFinding[] = [];
  for (const host of facts.functions) {
    if (host.isKernel) continue;
    try {
      out.push(...checkHost(host, kernels, facts.lines));
    } catch {
      // facts we cannot follow: no finding
    }
  }
  return out;
}
