// The Triton half of fusion/elementwise-chain. In a host function, a `kernel[grid](...)`
// launch of an elementwise `@triton.jit` kernel writes a buffer; we follow that buffer
// (through plain aliases) to the first operation that reads it. When that operation is
//   (a) a launch of another elementwise kernel that loads it over the same elements, or
//   (b) a PyTorch elementwise op (`torch.relu(y + b)`, `y * 2 + 1`, `F.gelu(y)`, `y.relu_()`),
// the intermediate makes a round trip through global memory that one fused kernel avoids.
// Anything else first (a matmul, a reduction, a view or index, `.cpu()`, `print`,
// `return`, a call we do not know) means silence. So does an elementwise expression that
// only feeds a check on the host (`(out - ref).abs().max().item()`, `assert_close(out * 2, r)`),
// and one whose other operand has more dimensions than the buffer (`big + out`: the result
// outgrows the kernel's output); an operand of unknown shape is assumed to match or broadcast.
import type { CallFact, FileFacts, FunctionFacts } from '../../../core/facts/model';
import type { Range, RuleFinding } from '../../../core/types';
import { isReferenceOracle } from '../../reference';

const BENEFIT_MEASURED =
  'on an H200, a scale kernel followed by a separate bias+relu kernel over 2^28 floats took 1.764 ms; fused into one kernel, 0.958 ms (1.84x)';

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
      // a dtype cast (`y.half()`, `y.to(torch.float16)`) is one more pass the kernel's store could do
      if (['.half', '.bfloat16', '.float', '.double'].includes(c.name) && c.args.length === 1) return true;
      if (c.name === '.to' && c.args.length === 2 && /^(torch\.)?(float16|half|bfloat16|float32|float|float64|double)$/.test(c.args[1].trim())) return true;
      return ELEMENTWISE_METHODS.has(c.name);
    case 'operator':
      if (IN_PLACE_ARITHMETIC.has(c.name)) return (c.assignedTo ?? []).length > 0;
      return ARITHMETIC.has(c.name) || (c.name === '-' && c.args.length === 1);
    default:
      return false;
  }
}

/** Reductions whose result is a scalar or a small tensor: `.max()`, `torch.sum(d)`, `max(d)`. */
const REDUCTIONS = new Set([
  'max', 'min', 'sum', 'mean', 'amax', 'amin', 'norm', 'std', 'var', 'prod', 'all', 'any', 'argmax', 'argmin',
  'count_nonzero', 'median', 'nansum', 'nanmean', 'vector_norm', 'matrix_norm', 'dist',
]);
/** Casts and views that keep a value on its way to a check: `(out - ref).float().abs().max()`. */
const PASS_THROUGH = new Set([
  '.float', '.double', '.half', '.bfloat16', '.to', '.flatten', '.view', '.reshape', '.contiguous', '.detach', '.clone',
  '.squeeze', '.unsqueeze', '.ravel', '.abs', '.abs_',
]);
/** Callees that compare or show a value on the host: the expression is a test, not a pipeline step. */
const CHECK_CALLS = new Set(['print', 'allclose', 'isclose', 'equal', 'float', 'int', 'bool', 'pprint']);
const COMPARISONS = new Set(['<', '>', '<=', '>=', '==', '!=']);

const lastName = (c: CallFact) => ((c.qualified ?? c.name).split('.').pop() ?? '').replace(/^\./, '');

function isReduction(c: CallFact): boolean {
  if (c.form === 'method') return REDUCTIONS.has(c.name.slice(1));
  if (c.form !== 'call') return false;
  const q = c.qualified ?? c.name;
  return (['max', 'min', 'sum'].includes(q) || q.startsWith('torch.') || q.startsWith('numpy.')) && REDUCTIONS.has(lastName(c));
}

/** Does `c` take the value to the host to look at it (after a reduction when `reduced`)? */
function isHostCheck(c: CallFact, reduced: boolean): boolean {
  const last = lastName(c);
  switch (c.form) {
    case 'method':
      if (c.name === '.item' || c.name === '.tolist' || /^\.assert/.test(c.name) || c.name === '.allclose' || c.name === '.equal') return true;
      return reduced && c.kind === 'copy';
    case 'call':
      return CHECK_CALLS.has(last) || /^assert/.test(last) || (reduced && c.kind === 'copy');
    case 'operator':
      return reduced && COMPARISONS.has(c.name);
    case 'other':
      return c.name === 'assert' || c.name === 'f-string';
    default:
      return false;
  }
}

/**
 * Test and check code: the elementwise result only feeds (through casts and reductions)
 * something that brings it to the host to compare or show: `(out - ref).abs().max().item()`,
 * `print((out - ref).abs().max())`, `torch.testing.assert_close(out * 2, ref)`, or
 * `err = (out - ref).abs().max()` then `assert err < tol`.
 */
function feedsHostCheck(calls: CallFact[], topIndex: number): boolean {
  let idx = topIndex;
  let reduced = false;
  for (let hops = 0; hops < 16; hops++) {
    const p = calls[idx].parent;
    if (p === undefined || !calls[p]) return false;
    const c = calls[p];
    if (isHostCheck(c, reduced)) return true;
    if (isReduction(c)) reduced = true;
    else if (c.form === 'assign' && c.name === '=' && reduced && (c.assignedTo ?? []).length === 1) {
      // a reduced value (a scalar) bound to a name: look at what first reads it
      const use = firstUse(calls, p, c.assignedTo![0]);
      if (!use) return false;
      const u = calls[use.index];
      if (isHostCheck(u, true)) return true;
      if (!(isReduction(u) || PASS_THROUGH.has(u.name) || isElementwise(u))) return false;
      idx = use.index;
      continue;
    } else if (!(PASS_THROUGH.has(c.name) && c.form === 'method') && !isElementwise(c)) return false;
    idx = p;
  }
  return false;
}

/** What the host code tells about a name's shape: its rank, a key shared by names of one shape, or that it is a scalar. */
interface Shape {
  rank: number | null;
  key: string | null;
  scalar: boolean;
}
const CREATORS = new Set(['empty', 'zeros', 'ones', 'randn', 'rand', 'full', 'randint']);
const LIKE = new Set(['empty_like', 'zeros_like', 'ones_like', 'randn_like', 'rand_like', 'full_like', 'randint_like']);
const SAME_SHAPE_METHODS = new Set(['.float', '.double', '.half', '.bfloat16', '.to', '.contiguous', '.detach', '.clone', '.cuda']);

/** `(m, n)` / `[m, n]` -> ['m', 'n']; anything else -> null. */
function tupleItems(t: string): string[] | null {
  const m = /^[([](.*)[)\]]$/s.exec(t.trim());
  if (!m) return null;
  const items: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of m[1]) {
    if (ch === ',' && depth === 0) {
      items.push(cur.trim());
      cur = '';
      continue;
    }
    if ('([{'.includes(ch)) depth++;
    if (')]}'.includes(ch)) depth--;
    cur += ch;
  }
  if (cur.trim()) items.push(cur.trim());
  return items;
}

/** Shapes of the names a host function creates: `torch.randn(m, n)`, `torch.empty_like(x)`, `float(...)`, typed scalar parameters. */
function hostShapes(host: FunctionFacts): Map<string, Shape> {
  const calls = host.calls;
  const out = new Map<string, Shape>();
  const unknown = (name: string): Shape => ({ rank: null, key: `=${name}`, scalar: false });
  const get = (name: string | null): Shape | null => (name ? out.get(name) ?? unknown(name) : null);
  for (const p of host.params) if (/^(float|int|bool|complex)$/.test(p.type)) out.set(p.name, { rank: 0, key: null, scalar: true });
  const seen = new Set<string>();
  calls.forEach((a, ai) => {
    if (a.form !== 'assign' || a.name !== '=' || (a.assignedTo ?? []).length !== 1) return;
    const target = a.assignedTo![0];
    let shape: Shape | null = null;
    if (/^-?\d+(\.\d*)?([eE][-+]?\d+)?$/.test(a.args[0].trim())) shape = { rank: 0, key: null, scalar: true };
    else if (a.argRoots[0] !== null && a.args[0] === a.argRoots[0]) shape = get(a.argRoots[0]);
    else {
      let ri = -1;
      for (let j = ai - 1; j >= 0; j--) if (calls[j].parent === ai) { ri = j; break; }
      const r = ri >= 0 ? calls[ri] : null;
      if (r?.form === 'call') {
        const q = r.qualified ?? r.name;
        const last = lastName(r);
        if (q === 'float' || q === 'int' || q === 'len') shape = { rank: 0, key: null, scalar: true };
        else if (q.startsWith('torch.') && LIKE.has(last) && r.argRoots[0]) shape = get(r.argRoots[0]);
        else if (q.startsWith('torch.') && CREATORS.has(last)) {
          const size = last === 'full' ? r.args.slice(0, 1) : last === 'randint' ? r.args.slice(-1) : r.args;
          const one = size.length === 1 ? size[0].replace(/\s+/g, '') : null;
          const like = one ? /^([A-Za-z_]\w*)\.(?:shape|size\(\))$/.exec(one) : null;
          // one size argument: a tuple, or a single integer (`n`, `4096`, `x.numel()`, `rows * n`)
          const integer = (t: string) =>
            /^\d+$/.test(t) || /\.(numel|size\(\w+\))$|\.shape\[-?\d+\]$|^len\(/.test(t) || /[*+\-]|\/\//.test(t) || out.get(t)?.scalar === true;
          const items = one ? tupleItems(one) ?? (integer(one) ? [one] : null) : size.length > 1 ? size : null;
          if (like) shape = get(like[1]);
          else if (items) shape = { rank: items.length, key: `(${items.map((t) => t.replace(/\s+/g, '')).join(',')})`, scalar: false };
        }
      } else if (r?.form === 'method') {
        if (['.item', '.numel', '.dim', '.element_size', '.nelement'].includes(r.name)) shape = { rank: 0, key: null, scalar: true };
        else if (SAME_SHAPE_METHODS.has(r.name) && r.argRoots[0]) shape = get(r.argRoots[0]);
        else if ((r.name === '.view' || r.name === '.reshape') && r.args.length > 1) {
          const items = r.args.length === 2 ? tupleItems(r.args[1]) : r.args.slice(1);
          if (items) shape = { rank: items.length, key: null, scalar: false };
        }
      }
    }
    // assigned twice with different shapes: we cannot tell which one reaches the use
    if (seen.has(target) && JSON.stringify(out.get(target)) !== JSON.stringify(shape)) shape = null;
    seen.add(target);
    if (shape) out.set(target, shape);
    else out.set(target, { rank: null, key: `#${target}`, scalar: false });
  });
  return out;
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

/**
 * Host helpers that launch one elementwise kernel and return a tensor it wrote
 * (`def add(x, y): out = torch.empty_like(x); k[grid](x, y, out, n); return out`), by name -> the kernel.
 */
function launchHelpers(facts: FileFacts, kernels: Map<string, FunctionFacts>): Map<string, string> {
  const out = new Map<string, string>();
  for (const h of facts.functions) {
    if (h.isKernel) continue;
    const launches = h.calls.filter((c) => c.kind === 'launch');
    if (launches.length !== 1) continue;
    const k = kernels.get(launches[0].name);
    const bound = k && k.kernelClass !== 'gemm' ? bindArguments(k, launches[0]) : null;
    if (!k || !bound) continue;
    const written = new Set(storedParams(k).map((p) => plainBuffer(bound.get(p))).filter((b): b is string => b !== null));
    const ret = h.calls.find((c) => c.form === 'return');
    // `return out`, or a view of it (`return y.view_as(x)`): the caller gets the kernel's elements
    const r = ret ? h.calls.indexOf(ret) : -1;
    const viewed = h.calls.find((c) => c.parent === r && c.form === 'method' && ['.view_as', '.view', '.reshape', '.contiguous'].includes(c.name));
    const root = ret && ret.argRoots.length === 1 && ret.args[0] === ret.argRoots[0] ? ret.argRoots[0] : (viewed?.argRoots[0] ?? null);
    if (root !== null && written.has(root)) out.set(h.name, k.name);
  }
  return out;
}

function checkHost(host: FunctionFacts, kernels: Map<string, FunctionFacts>, lines: string[], helpers: Map<string, string>): RuleFinding[] {
  const out: RuleFinding[] = [];
  const calls = host.calls;
  const fn = host.name === '<module>' ? null : host.name;
  const reported = new Set<number>();
  const shapes = hostShapes(host);
  calls.forEach((first, i) => {
    if (first.kind !== 'launch') return;
    const k1 = kernels.get(first.name);
    // any kernel's output can take elementwise ops before its `tl.store` (DESIGN.md), but a GEMM's is
    // fusion/gemm-epilogue's; kernel-to-kernel fusion (a) needs two elementwise kernels
    if (!k1 || k1.kernelClass === 'gemm') return;
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
        if (k1.kernelClass !== 'elementwise') continue;
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
      const inputs = new Set(
        k1.params
          .filter((p) => k1.accesses.some((a) => a.array === p.name && a.kind === 'load'))
          .map((p) => plainBuffer(b1.get(p.name)))
          .filter((r): r is string => r !== null),
      );
      const f = torchOpsAfter({ host, calls, lines, shapes, reported }, { call: first, kernel: first.name, buffer, use, inputs, related });
      if (f) out.push(f);
    }
  });
  // a host helper that launches an elementwise kernel and returns its output (`out = add(x, y)`), then torch ops on it
  calls.forEach((c) => {
    const kernel = c.form === 'call' ? helpers.get(c.name) : undefined;
    const assign = c.parent !== undefined ? calls[c.parent] : undefined;
    if (!kernel || assign?.form !== 'assign' || assign.name !== '=' || (assign.assignedTo ?? []).length !== 1) return;
    const buffer = assign.assignedTo![0];
    const use = firstUse(calls, c.parent!, buffer);
    if (!use || reported.has(use.index) || !sameContext(c, calls[use.index])) return;
    const inputs = new Set(c.argRoots.filter((r): r is string => r !== null));
    const related = [{ range: c.nameRange, message: `\`${c.name}\` launches \`${kernel}\`, which writes the tensor it returns` }];
    const f = torchOpsAfter({ host, calls, lines, shapes, reported }, { call: c, kernel, buffer, use, inputs, related });
    if (f) out.push(f);
  });
  return out;
}

interface HostContext {
  host: FunctionFacts;
  calls: CallFact[];
  lines: string[];
  shapes: Map<string, Shape>;
  reported: Set<number>;
}
interface Producer {
  /** The launch, or the call of a host helper that launches. */
  call: CallFact;
  /** The kernel that writes the buffer. */
  kernel: string;
  buffer: string;
  use: { index: number; names: Set<string> };
  /** Buffers the kernel reads (their shapes are the output's family). */
  inputs: Set<string>;
  related: { range: Range; message: string }[];
}

/** (b): PyTorch elementwise ops read the kernel's output right back. */
function torchOpsAfter(ctx: HostContext, p: Producer): RuleFinding | null {
  const { calls, lines, shapes, reported } = ctx;
  const { use, buffer, inputs, related } = p;
  const first = { ...p.call, name: p.kernel };
  const fn = ctx.host.name === '<module>' ? null : ctx.host.name;
  const next = calls[use.index];
  if (!isElementwise(next)) return null;
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
  // test and check code (`(out - ref).abs().max().item()`): not a step of the computation
  if (feedsHostCheck(calls, topIndex)) return null;
  const others = [...new Set(chain.flatMap((c) => c.argRoots).filter((r): r is string => r !== null && !use.names.has(r)))];
  // the other operands must not grow the result (`big + out` with `big` of more dims than `out` broadcasts `out` over it)
  const mine = shapes.get(buffer) ?? { rank: null, key: `=${buffer}`, scalar: false };
  const family = new Set([mine.key, ...[...inputs].map((r) => (shapes.get(r) ?? { key: `=${r}` }).key)]);
  const unsure: string[] = [];
  const broadcast: string[] = [];
  let grows = false;
  for (const o of others) {
    const sh = shapes.get(o) ?? { rank: null, key: `=${o}`, scalar: false };
    if (sh.scalar || inputs.has(o) || (sh.key !== null && family.has(sh.key))) continue; // a scalar, or the shape of the kernel's own tensors
    if (sh.rank !== null && mine.rank !== null) {
      if (sh.rank > mine.rank) grows = true;
      else if (sh.rank < mine.rank) {
        // broadcast over `out`: certain when the trailing dims are the same
        if (!(sh.key && mine.key && mine.key.endsWith(`,${sh.key.slice(1)}`))) unsure.push(o);
        else broadcast.push(o);
      } else if (sh.key !== mine.key) unsure.push(o);
      continue;
    }
    unsure.push(o);
  }
  if (grows) return null;
  const again = inPlace ? null : laterUse(calls, topIndex, use.names);
  const assumptions = [
    inPlace || again
      ? `assumes the PyTorch ops run on the same device as \`${first.name}\``
      : `assumes the PyTorch ops run on the same device as \`${first.name}\` and nothing else reads \`${buffer}\``,
  ];
  const shapeCaveat = unsure.length
    ? ` (if ${listWords(unsure.map((o) => `\`${o}\``))} ${unsure.length > 1 ? 'have' : 'has'} the shape of \`${buffer}\` or ${unsure.length > 1 ? 'broadcast' : 'broadcasts'} to it)`
    : '';
  if (broadcast.length) {
    const names = listWords(broadcast.map((o) => `\`${o}\``));
    assumptions.push(`${names} ${broadcast.length > 1 ? 'broadcast' : 'broadcasts'} over the leading dimensions of \`${buffer}\`: the fused kernel loads ${broadcast.length > 1 ? 'them' : 'it'} at the flat offset modulo ${broadcast.length > 1 ? 'their' : 'its'} size`);
  }
  if (unsure.length) {
    const names = listWords(unsure.map((o) => `\`${o}\``));
    assumptions.push(
      `assumes ${names} ${unsure.length > 1 ? 'have' : 'has'} the shape of \`${buffer}\` (or ${unsure.length > 1 ? 'broadcast' : 'broadcasts'} to it), so the kernel can load ${unsure.length > 1 ? 'them' : 'it'} with the same (or broadcast) offsets; ` +
        `an operand larger than \`${buffer}\` would make the result larger than the kernel's output and leave little to save`,
    );
  }
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
  return {
    range: top.range,
    function: fn,
    confidence: 'likely',
    assumptions,
    message:
      `\`${first.name}\` writes \`${buffer}\`; \`${expr}\` then reads it back as a separate elementwise op: ` +
      `fuse the ${listWords(steps)} into \`${first.name}\` before its \`tl.store\`${shapeCaveat} — ${saves}${chain.length === 1 ? ' and' : ','} ${rest}.`,
    benefit: `${saves}${chain.length === 1 ? ' and' : ','} ${rest}; ${BENEFIT_MEASURED}`,
    related,
  };
}

export function tritonElementwiseChain(facts: FileFacts): RuleFinding[] {
  const kernels = new Map(facts.functions.filter((f) => f.isKernel).map((f) => [f.name, f]));
  if (kernels.size === 0) return [];
  const out: RuleFinding[] = [];
  const helpers = launchHelpers(facts, kernels);
  for (const host of facts.functions) {
    if (host.isKernel || isReferenceOracle(host.name)) continue; // a test oracle is kept unfused on purpose
    try {
      out.push(...checkHost(host, kernels, facts.lines, helpers));
    } catch {
      // facts we cannot follow: no finding
    }
  }
  return out;
}
