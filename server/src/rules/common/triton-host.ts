// PyTorch host code as the Triton rules read it: which operations map elements one to one,
// which only read metadata, which bring a value to the host to check it, and how a value
// flows from a kernel's output to the operation that first reads it. Shared by the fusion
// rules (elementwise chains after a launch, GEMM epilogues after a matmul).
import { positionBefore } from '../../core/positions';
import { isExpectedOutput } from './reference';
import { neverTogether, type CallFact, type FileFacts, type FunctionFacts } from '../../core/facts/model';
import type { Range } from '../../core/types';
import type { PythonHelper } from '../../core/project';
import { isPointwiseDecorator } from '../../core/facts/triton/kernel';

/** PyTorch functions that map each element independently (`torch.X`, `torch.nn.functional.X`, `torch.special.X`). */
const ELEMENTWISE_FUNCTIONS = new Set([
  'relu', 'relu_', 'relu6', 'sigmoid', 'tanh', 'exp', 'exp2', 'expm1', 'log', 'log2', 'log1p', 'sqrt', 'rsqrt', 'abs',
  'neg', 'negative', 'sin', 'cos', 'erf', 'erfc', 'add', 'sub', 'subtract', 'mul', 'multiply', 'div', 'divide', 'true_divide',
  'pow', 'square', 'reciprocal', 'clamp', 'clamp_min', 'clamp_max', 'clip', 'maximum', 'minimum', 'where', 'sign',
  'gelu', 'silu', 'leaky_relu', 'elu', 'selu', 'celu', 'mish', 'softplus', 'hardtanh', 'hardswish', 'hardsigmoid',
  'logsigmoid', 'tanhshrink', 'softsign', 'threshold', 'logit', 'addcmul', 'addcdiv', 'lerp', 'nan_to_num', 'expit',
]);
// (and FlagGems' ops, which stand in for PyTorch's under the same names: `from flag_gems.ops import add, gelu`)
const ELEMENTWISE_MODULES = ['torch.', 'torch.nn.functional.', 'torch.special.', 'flag_gems.ops.', 'flag_gems.'];
/** Tensor methods that map each element independently, with their in-place forms. */
const ELEMENTWISE_METHODS = new Set([
  'relu', 'sigmoid', 'tanh', 'exp', 'exp2', 'expm1', 'log', 'log1p', 'sqrt', 'rsqrt', 'abs', 'neg', 'sin', 'cos', 'erf',
  'add', 'sub', 'mul', 'div', 'pow', 'square', 'reciprocal', 'clamp', 'clamp_min', 'clamp_max', 'clip', 'sign',
  'maximum', 'minimum', 'addcmul', 'addcdiv', 'lerp', 'nan_to_num', 'logit',
].flatMap((m) => [`.${m}`, `.${m}_`]));
const ARITHMETIC = new Set(['+', '-', '*', '/', '**']);
export const IN_PLACE_ARITHMETIC = new Set(['+=', '-=', '*=', '/=']);
/** Reads that look only at a tensor's metadata, not its contents. */
const METADATA = new Set([
  '.shape', '.dtype', '.device', '.numel', '.size', '.stride', '.dim', '.ndim', '.ndimension', '.is_contiguous',
  '.element_size', '.data_ptr', '.is_cuda', '.nelement', '.storage_offset', '.layout', '.requires_grad',
]);
/** Launch keywords that configure the launch rather than bind a kernel parameter. */
export const LAUNCH_OPTIONS = new Set(['num_warps', 'num_stages', 'num_ctas', 'enable_fp_fusion', 'maxnreg', 'stream', 'warmup', 'grid', 'device']);

export interface Binding {
  text: string;
  root: string | null;
}

/** Kernel parameter -> the launch argument bound to it, or null when the arguments do not fit. */
export function bindArguments(k: FunctionFacts, launch: CallFact): Map<string, Binding> | null {
  // arguments bind by position up to the first `*args` / `**config` splat; after it, only keywords bind
  // (but `*x.stride()` is the tensor's strides, one a parameter: `x.stride(0), x.stride(1)`)
  const { args, roots } = withStridesSpread(k, launch);
  const splat = args.findIndex((a) => a.startsWith('*'));
  const positional = splat >= 0 ? args.slice(0, splat) : args;
  if (positional.length > k.params.length) return null;
  const out = new Map<string, Binding>();
  positional.forEach((a, i) => out.set(k.params[i].name, { text: a.replace(/\s+/g, ''), root: roots[i] }));
  for (const kw of launch.keywords ?? []) {
    if (LAUNCH_OPTIONS.has(kw.name)) continue;
    if (!k.params.some((p) => p.name === kw.name) || out.has(kw.name)) return null;
    out.set(kw.name, { text: kw.value.replace(/\s+/g, ''), root: kw.root });
  }
  return out;
}

const STRIDES_SPLAT = /^\*\s*([A-Za-z_]\w*)\.stride\(\s*\)$/;

/**
 * The launch's positional arguments with one `*x.stride()` written out as `x.stride(0), x.stride(1), ...`: as many as
 * the parameters left for it between the arguments before and after it (those keywords bind aside), 1 to 4 of them,
 * each a parameter named as a stride.
 */
function withStridesSpread(k: FunctionFacts, launch: CallFact): { args: readonly string[]; roots: readonly (string | null)[] } {
  const at = launch.args.findIndex((a) => a.startsWith('*'));
  const m = at >= 0 ? STRIDES_SPLAT.exec(launch.args[at].trim()) : null;
  if (!m || launch.args.slice(at + 1).some((a) => a.startsWith('*'))) return { args: launch.args, roots: launch.argRoots };
  const byKeyword = new Set((launch.keywords ?? []).map((kw) => kw.name));
  const free = k.params.filter((p) => !byKeyword.has(p.name)).length;
  const rank = free - (launch.args.length - 1);
  // (and each of those parameters named as a stride: an autotuned `BLOCK: tl.constexpr` or a defaulted one is no dimension)
  const filled = k.params.filter((p) => !byKeyword.has(p.name)).slice(at, at + rank);
  if (rank < 1 || rank > 4 || !filled.every((p) => /stride/i.test(p.name))) return { args: launch.args, roots: launch.argRoots };
  const spread = Array.from({ length: rank }, (_, d) => `${m[1]}.stride(${d})`);
  return {
    args: [...launch.args.slice(0, at), ...spread, ...launch.args.slice(at + 1)],
    roots: [...launch.argRoots.slice(0, at), ...spread.map(() => m[1]), ...launch.argRoots.slice(at + 1)],
  };
}

/** A plain buffer name (`out`), not a slice or an expression. */
export const plainBuffer = (b: Binding | undefined): string | null => (b && b.root && b.text === b.root ? b.root : null);

export const readsAny = (c: CallFact, names: Set<string>) =>
  c.argRoots.some((r) => r !== null && names.has(r)) || (c.keywords ?? []).some((k) => k.root !== null && names.has(k.root));

export function sameContext(a: CallFact, b: CallFact): boolean {
  return a.loops.join() === b.loops.join() && (a.scopes ?? []).join() === (b.scopes ?? []).join();
}

/** `b` runs after `a` whenever its branch is taken: the same loops, and `a`'s branches or branches inside them (`if reduction == "batchmean": return out / n`). */
export function nestedContext(a: CallFact, b: CallFact): boolean {
  const sa = a.scopes ?? [];
  const sb = b.scopes ?? [];
  return a.loops.join() === b.loops.join() && sa.length <= sb.length && sa.every((s, i) => sb[i] === s);
}

/** Allocations shaped like a tensor (`torch.empty_like(y)`): they read its shape and type, not its contents. */
const SHAPED_LIKE = /^(?:torch\.)?(?:empty|zeros|ones|full|rand|randn)_like$/;

/** A metadata read (`y.shape`, `y.numel()`, `len(y)`, `torch.empty_like(y)`) that leaves the contents alone. */
export function isMetadata(c: CallFact, names: Set<string>): boolean {
  if ((c.form === 'method' || c.form === 'attribute') && METADATA.has(c.name)) {
    return c.argRoots.slice(1).every((r) => r === null || !names.has(r));
  }
  if (c.form === 'call' && SHAPED_LIKE.test(c.qualified ?? c.name)) return c.argRoots.slice(1).every((r) => r === null || !names.has(r));
  return c.form === 'call' && c.name === 'len';
}

/**
 * Views of the same elements (`y.view(-1)`, `y.reshape(shape)`): the buffer under another shape, nothing moved (and
 * `.contiguous()` of a buffer a kernel or a GEMM wrote whole, which is contiguous already).
 */
export const VIEWS = new Set(['.view', '.view_as', '.reshape', '.flatten', '.unsqueeze', '.squeeze', '.contiguous']);

/** A view of the buffer whose other arguments do not read it. */
const isView = (c: CallFact, names: Set<string>) =>
  c.form === 'method' && VIEWS.has(c.name) && c.argRoots[0] !== null && names.has(c.argRoots[0]) && c.argRoots.slice(1).every((r) => r === null || !names.has(r));

/** Is this operation a PyTorch elementwise op? */
export function isElementwise(c: CallFact): boolean {
  switch (c.form) {
    case 'call': {
      const q = c.qualified ?? c.name;
      if ((c.keywords ?? []).some((k) => k.name === 'out' || k.name === 'dim')) return false;
      return ELEMENTWISE_MODULES.some((m) => q.startsWith(m) && ELEMENTWISE_FUNCTIONS.has(q.slice(m.length)));
    }
    case 'method':
      // a dtype cast (`y.half()`, `y.to(torch.float16)`) is one more pass the kernel's store could do
      if (['.half', '.bfloat16', '.float', '.double'].includes(c.name) && c.args.length === 1) return true;
      // (or to a dtype held in a name, `dx.to(dtype)`; not `y.to(x.dtype)`, most often the type `y` already has: no copy)
      if (c.name === '.to' && c.args.length === 2 && /^(torch\.)?(float16|half|bfloat16|float32|float|float64|double)$|^\w*dtype$/i.test(c.args[1].trim())) return true;
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
/** A project's own checker, named as one (`check_close(name, out, expected)`, `verify_output`, `compare_results`, `assert_same`). */
const CHECKER_NAME = /^(?:[cC]heck|[vV]erify|[cC]ompare|[vV]alidate|[aA]ssert|[eE]xpect)(?:_|[A-Z]|$)|_(?:close|allclose|equal)$/;
/**
 * A test runner or a comparison handed the expected value (`run_test(expected, kernel, a, b, label)`,
 * `check_close(name, out, expected)`); not a one-value sanity check (`check_numerics(x)`, `assert_finite(y)`).
 */
const COMPARES_EXPECTED = /^(?:run|do)_?tests?$|(?:^|_)(?:all)?close$|(?:^|_)equal$|^compare(?:_|$)|(?:^|_)same$/i;
/** Python's comparison operators. */
export const COMPARISONS: ReadonlySet<string> = new Set(['<', '>', '<=', '>=', '==', '!=']);

export const lastName = (c: CallFact) => ((c.qualified ?? c.name).split('.').pop() ?? '').replace(/^\./, '');

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
      return CHECK_CALLS.has(last) || /^assert/.test(last) || CHECKER_NAME.test(last) || (reduced && c.kind === 'copy');
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
 * `err = (out - ref).abs().max()` then `assert err < tol`; and the expected side of such a
 * check: a result bound to a reference name (`ref = torch.mm(a.float(), b.float()).half()`).
 */
export function feedsHostCheck(calls: CallFact[], topIndex: number): boolean {
  let idx = topIndex;
  let reduced = false;
  for (let hops = 0; hops < 16; hops++) {
    const p = calls[idx].parent;
    if (p === undefined || !calls[p]) return false;
    const c = calls[p];
    if (isHostCheck(c, reduced)) return true;
    if (c.form === 'assign' && (c.assignedTo ?? []).some(isExpectedOutput)) return true;
    // (or bound to a name that is only ever handed to a test runner or a comparison: `naive = matmul(a, b).to(torch.float16)`,
    // then `run_test(naive, kernel, a, b, label)`, the persistent-matmul tutorial's validate())
    if (c.form === 'assign' && c.name === '=' && !reduced && (c.assignedTo ?? []).length === 1) return onlyCompared(calls, p, c.assignedTo![0]);
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
    } else if (!(PASS_THROUGH.has(c.name) && c.form === 'method') && !isElementwise(c) && !MATMUL_STEP.test(c.qualified ?? c.name)) return false;
    idx = p;
  }
  return false;
}

/** Every read of `name` after `calls[from]` hands it to a test runner or a comparison (and there is one). */
function onlyCompared(calls: CallFact[], from: number, name: string): boolean {
  const names = new Set([name]);
  const reads = calls.slice(from + 1).filter((c) => readsAny(c, names));
  return reads.length > 0 && reads.every((c) => c.form === 'call' && COMPARES_EXPECTED.test(lastName(c)));
}

/** A matmul on the way to the check (`ref = gelu(x @ w1 + b1) @ w2 + b2`, then `assert_close(out, ref)`): the expected side still. */
const MATMUL_STEP = /^(?:@|torch\.(?:matmul|mm|bmm|nn\.functional\.linear))$/;

/** What the host code tells about a name's shape: its rank, a key shared by names of one shape, or that it is a scalar. */
export interface Shape {
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
export function hostShapes(host: FunctionFacts): Map<string, Shape> {
  const calls = host.calls;
  const out = new Map<string, Shape>();
  const unknown = (name: string): Shape => ({ rank: null, key: `=${name}`, scalar: false });
  const get = (name: string | null): Shape | null => (name ? out.get(name) ?? unknown(name) : null);
  for (const p of host.params) if (/^(float|int|bool|complex)$/.test(p.type)) out.set(p.name, { rank: 0, key: null, scalar: true });
  const seen = new Set<string>();
  calls.forEach((a, ai) => {
    // (the sizes a tensor's shape unpacks into, `n_rows, n_cols = logits.shape`: integers)
    if (a.form === 'assign' && a.name === '=' && (a.assignedTo ?? []).length > 1 && /\.(?:shape|size\(\))$/.test(a.args[0]?.trim() ?? '')) {
      for (const t of a.assignedTo!) out.set(t, { rank: 0, key: null, scalar: true });
      return;
    }
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
      } else if (r?.form === 'subscript' && r.argRoots[0] && r.args.length === 2 && /^[^,\[\]]*:[^,\[\]]*$/.test(r.args[1].trim())) {
        // a slice along the first axis, `loss_1d[start:end]`: as many axes as the tensor it cuts
        const whole = get(r.argRoots[0]);
        if (whole && whole.rank !== null) shape = { rank: whole.rank, key: null, scalar: false };
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
export function firstUse(calls: CallFact[], from: number, buffer: string): { index: number; names: Set<string> } | null {
  const names = new Set([buffer]);
  const depth = (calls[from]?.scopes ?? []).length;
  for (let j = from + 1; j < calls.length; j++) {
    const c = calls[j];
    // (the other arms of the conditional it sits in never run after it: `if small: out = mm(...) else: out = mm(...)`)
    if (neverTogether(calls[from]?.scopes, c.scopes)) continue;
    // an early return of it under a condition (`if grad_output == 1: return grads`): the path that goes on is the one to follow
    if (c.form === 'return' && (c.scopes ?? []).length > depth && readsAny(c, names) && c.args.every((a) => names.has(a.trim()))) continue;
    if (!readsAny(c, names)) {
      for (const t of c.assignedTo ?? []) names.delete(t); // overwritten before any read
      if (names.size === 0) return null;
      continue;
    }
    if (isMetadata(c, names)) continue;
    // `t = t.view(shape)`: the name now holds a view of the same elements (an alias). (Inside a larger expression the
    // view is the use: the expression's own reads do not name the buffer, and the rules look through it from there.)
    const holder = isView(c, names) && c.parent !== undefined && c.parent > j ? calls[c.parent] : undefined;
    if (holder?.form === 'assign' && holder.name === '=') {
      for (const t of holder.assignedTo ?? []) names.add(t);
      j = c.parent!;
      continue;
    }
    if (c.form === 'other' && c.name === 'delete') {
      for (const r of c.argRoots) if (r !== null) names.delete(r); // `del y` unbinds the name, it reads nothing
      if (names.size === 0) return null;
      continue;
    }
    if (c.form === 'assign' && c.name === '=' && c.args[0] === c.argRoots[0] && (c.assignedTo ?? []).length > 0) {
      for (const t of c.assignedTo!) names.add(t); // z = y
      continue;
    }
    return { index: j, names };
  }
  return null;
}

/** Any later read of the buffer, after the fused expression (it would still have to be written). */
export function laterUse(calls: CallFact[], after: number, names: Set<string>): CallFact | null {
  const live = new Set(names);
  for (let j = after + 1; j < calls.length; j++) {
    const c = calls[j];
    if (readsAny(c, live) && !isMetadata(c, live)) return c;
    for (const t of c.assignedTo ?? []) live.delete(t);
    if (live.size === 0) return null;
  }
  return null;
}

export function textOf(lines: string[], r: Range): string {
  const parts: string[] = [];
  for (let l = r.start.line; l <= r.end.line; l++) {
    const line = lines[l] ?? '';
    parts.push(line.slice(l === r.start.line ? r.start.column : 0, l === r.end.line ? r.end.column : undefined));
  }
  const t = parts.join(' ').replace(/\s+/g, ' ').trim();
  return t.length > 72 ? t.slice(0, 69) + '...' : t;
}

/** Short names of the fused steps: `+ bias`, `relu`, `* 2`. */
export function stepName(c: CallFact, chainArg: number): string {
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

export function listWords(xs: string[]): string {
  return xs.length <= 1 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`;
}

/** Kernel parameters a kernel stores to (by name). */
export function storedParams(k: FunctionFacts): string[] {
  return k.params.filter((p) => k.accesses.some((a) => a.array === p.name && a.kind !== 'load')).map((p) => p.name);
}

/** The host buffers a launch passes for the parameters its kernel loads (`x`, `y` of `k[grid](x, y, out, n)`). */
export function loadedBuffers(k: FunctionFacts, bound: ReturnType<typeof bindArguments> & object): Set<string> {
  return new Set(k.params.filter((p) => k.accesses.some((a) => a.array === p.name && a.kind === 'load')).map((p) => plainBuffer(bound.get(p.name))).filter((r): r is string => r !== null));
}

/** A host helper that launches one non-GEMM kernel and returns a tensor it wrote; `reads`: its parameters (by position) the kernel loads. */
export interface LaunchHelper {
  kernel: string;
  /** The kernel itself (an imported helper's is its own module's, whatever this module's kernels are called). */
  kernelFacts: FunctionFacts;
  reads: Set<number>;
  /**
   * Where the helper returns a tuple (`return y, mean, rstd`): its length, and the positions holding a tensor the
   * kernel wrote, which the caller unpacks (`h, _, _ = layer_norm(x)`). Absent for a helper returning the tensor alone.
   */
  tuple?: { length: number; written: number[] };
  /** The shape of the tensor it returns, where the helper makes it (`torch.empty((M, 1), ...)`). */
  shape?: Shape;
}

/**
 * Host helpers that launch one elementwise kernel and return a tensor it wrote
 * (`def add(x, y): out = torch.empty_like(x); k[grid](x, y, out, n); return out`), by name.
 */
export function launchHelpers(facts: FileFacts, kernels: Map<string, FunctionFacts>): Map<string, LaunchHelper> {
  const out = new Map<string, LaunchHelper>();
  // (and those other modules of the project define, which this one imports: `from .ops import mul, silu`)
  const own = facts.functions.map((helper) => ({ helper, kernel: kernels.get(helper.calls.find((c) => c.kind === 'launch')?.name ?? '') }));
  for (const { helper: h, kernel: k } of [...own, ...importedHelpers(facts)]) {
    if (h.isKernel) continue;
    // (another module's `def mul(A, B): return mul_func(A, B)` over its `@pointwise_dynamic` kernel: the parameters it passes are read)
    if (k?.decorators?.some(isPointwiseDecorator) && !h.calls.some((c) => c.kind === 'launch') && !out.has(h.name)) {
      const call = h.calls.find((c) => c.form === 'call' && c.name === k.name);
      if (call) out.set(h.name, { kernel: k.name, kernelFacts: k, reads: new Set(h.params.flatMap((p, i) => (call.argRoots.includes(p.name) ? [i] : []))) });
      continue;
    }
    const launches = h.calls.filter((c) => c.kind === 'launch');
    if (launches.length !== 1) continue;
    const bound = k && k.kernelClass !== 'gemm' ? bindArguments(k, launches[0]) : null;
    if (!k || !bound) continue;
    const written = new Set(storedParams(k).map((p) => plainBuffer(bound.get(p))).filter((b): b is string => b !== null));
    // (the return after the launch: an early `if not x.is_cuda: return torch.mul(a, b)` is the fallback's)
    const ret = h.calls.find((c) => c.form === 'return' && positionBefore(launches[0].range.start, c.range.start)) ?? h.calls.find((c) => c.form === 'return');
    // `return out`, or a view of it (`return y.view_as(x)`): the caller gets the kernel's elements
    const r = ret ? h.calls.indexOf(ret) : -1;
    const viewed = h.calls.find((c) => c.parent === r && c.form === 'method' && ['.view_as', '.view', '.reshape', '.contiguous'].includes(c.name));
    const root = ret && ret.argRoots.length === 1 && ret.args[0] === ret.argRoots[0] ? ret.argRoots[0] : (viewed?.argRoots[0] ?? null);
    // (or a tuple of its output and its saved statistics, `return y, mean, rstd`, as norm helpers return them: the
    // members the kernel writes a row of, not one value a program; a member may be a view, `y.view(shape)`)
    const rowWritten = new Set(storedParams(k).filter((p) => k.accesses.some((a) => a.kind !== 'load' && a.array === p && a.indices.some((x) => x.dependsOn((s) => s.startsWith('#lane'))))).map((p) => plainBuffer(bound.get(p))).filter((b): b is string => b !== null));
    const member = (a: string, root: string | null) => (root !== null && a.trim() === root ? root : /^([A-Za-z_]\w*)\.(?:view|view_as|reshape|contiguous)\(/.exec(a.trim())?.[1] ?? null);
    const inTuple = ret && ret.args.length > 1 ? ret.args.flatMap((a, i) => (rowWritten.has(member(a, ret.argRoots[i]) ?? '') ? [i] : [])) : [];
    const tuple = inTuple.length ? { length: ret!.args.length, written: inTuple } : undefined;
    if (!tuple && (root === null || !written.has(root))) continue;
    // (the helper's own parameters the kernel loads, passed on unchanged: `k[grid](x, y, out, n)` for `def add(x, y)`)
    const loaded = loadedBuffers(k, bound);
    // (or through a view of one, `x2 = x.reshape(-1, x.shape[-1])` handed to the kernel: the same elements)
    const viewOf = (name: string) => h.calls.some((c) => c.form === 'assign' && c.name === '=' && c.assignedTo?.length === 1 && loaded.has(c.assignedTo[0]) &&
      new RegExp(`^${name}\\.(?:view|view_as|reshape|contiguous|flatten)\\(`).test((c.args[0] ?? '').trim()));
    const reads = new Set(h.params.flatMap((p, i) => (loaded.has(p.name) || viewOf(p.name) ? [i] : [])));
    // (an autograd.Function's forward under `Cls.apply` only, its arguments after `ctx`: every Function's method is a `forward`)
    const apply = autogradApply(h);
    if (apply) out.set(apply, { kernel: k.name, kernelFacts: k, reads: new Set([...reads].filter((i) => i > 0).map((i) => i - 1)), ...(tuple ? { tuple } : {}) });
    else {
      const shape = !tuple && root !== null ? hostShapes(h).get(root) : undefined;
      out.set(h.name, { kernel: k.name, kernelFacts: k, reads, ...(tuple ? { tuple } : {}), ...(shape && shape.rank !== null ? { shape } : {}) });
    }
  }
  // (a `@pointwise_dynamic` function is its own launcher: `silu(x)` runs the generated kernel over every argument and
  // returns a new tensor)
  for (const k of facts.functions) if (k.isKernel && k.decorators?.some(isPointwiseDecorator)) out.set(k.name, { kernel: k.name, kernelFacts: k, reads: new Set(k.params.map((_, i) => i)) });
  // (a few rounds: a wrapper may be defined before the helper whose call it returns)
  for (let round = 0; round < 3; round++) {
    const before = out.size;
    for (const h of facts.functions) if (!h.isKernel && !autogradApply(h) && !out.has(h.name)) {
      const helper = (round === 0 ? kernelArgumentHelper(h, facts, kernels) : null) ?? passedThrough(h, out);
      if (helper) out.set(h.name, helper);
    }
    if (out.size === before) break;
  }
  return out;
}

/**
 * A function that returns what a launch helper returns, its arguments passed on (`def layer_norm(x, w, b, eps):
 * return LayerNormFunction.apply(x, w, b, eps)`, the functional form beside an autograd.Function): that helper again.
 */
function passedThrough(h: FunctionFacts, helpers: ReadonlyMap<string, LaunchHelper>): LaunchHelper | null {
  const r = h.calls.findIndex((c) => c.form === 'return');
  const ret = r >= 0 ? h.calls[r] : undefined;
  // (the call is the whole returned value: not `f(x) * 2` nor `f(x).view(...)`, whose ops sit between)
  const under = ret?.args.length === 1 ? h.calls.filter((c) => c.parent === r) : [];
  const call = under.length === 1 && under[0].form === 'call' && ret!.args[0].trim().startsWith(`${under[0].name}(`) ? under[0] : undefined;
  const inner = call ? helpers.get(call.name) : undefined;
  if (!call || !inner) return null;
  // (the wrapper's parameters that reach the arguments the kernel loads)
  const reads = new Set<number>();
  for (const i of inner.reads) {
    const root = call.argRoots[i];
    const j = root && call.args[i]?.trim() === root ? h.params.findIndex((p) => p.name === root) : -1;
    if (j >= 0) reads.add(j);
  }
  return { ...inner, reads };
}

/**
 * The name an autograd.Function's static `forward` is called by, `Cls.apply(x, p)` (its arguments are forward's
 * after `ctx`): Liger's, Unsloth's and FlagGems' kernels are launched so. Null for any other function.
 */
export function autogradApply(h: FunctionFacts): string | null {
  return h.name === 'forward' && h.className && h.params[0]?.name === 'ctx' && !!h.decorators?.includes('staticmethod') ? `${h.className}.apply` : null;
}

/** A library's name (`torch.sqrt` of `from torch import sqrt`): no helper of the project. */
const LIBRARY_NAME = /^(?:torch|numpy|np|math|scipy|jax|cupy|triton|F)\./;

/**
 * The launch helpers other modules of the project define (one kernel each) that this module calls by a name it
 * imports from elsewhere than a library (`from .ops import silu` makes `silu(x)` resolve to `ops.silu`; a name the
 * module defines itself, or one `from torch import sqrt` binds, is not theirs).
 */
export function importedHelpers(facts: FileFacts): { helper: FunctionFacts; kernel: FunctionFacts | undefined }[] {
  // (asked by the launch-helper table and by the rules that add the helpers' kernels: read once per facts object)
  let known = importedOf.get(facts);
  if (!known) importedOf.set(facts, (known = readImportedHelpers(facts)));
  return known;
}
const importedOf = new WeakMap<FileFacts, { helper: FunctionFacts; kernel: FunctionFacts | undefined }[]>();

function readImportedHelpers(facts: FileFacts): { helper: FunctionFacts; kernel: FunctionFacts | undefined }[] {
  const helpers = facts.project?.pythonHelpers;
  if (!helpers?.size) return [];
  const defined = new Set(facts.functions.map((f) => f.name));
  const called = new Set(facts.functions.flatMap((f) => f.calls.filter((c) => c.form === 'call' && !!c.qualified && c.qualified !== c.name && !LIBRARY_NAME.test(c.qualified)).map((c) => c.name)));
  // (the kernel of the helper's own module, else the project's kernel of that name)
  const kernelOf = (h: PythonHelper) => h.kernel ?? facts.project?.kernels.get(h.helper.calls.find((c) => c.kind === 'launch')?.name ?? '');
  return [...helpers].flatMap(([name, h]) => (h && !defined.has(name) && called.has(name) ? [{ helper: h.helper, kernel: kernelOf(h) }] : []));
}

/**
 * A function returning what a generic launcher makes of a kernel it passes (`def silu(x): return _unary(silu_kernel, x)`,
 * with `_unary(kernel, x)` launching `kernel[grid](x, out, n)` and returning `out`): a launch helper of that kernel.
 */
function kernelArgumentHelper(h: FunctionFacts, facts: FileFacts, kernels: Map<string, FunctionFacts>): LaunchHelper | null {
  const r = h.calls.findIndex((c) => c.form === 'return');
  const call = r >= 0 ? h.calls.find((c) => c.parent === r && c.form === 'call') : undefined;
  const g = call ? facts.functions.find((f) => f.name === call.name && !f.isKernel) : undefined;
  const launches = g ? g.calls.filter((c) => c.kind === 'launch') : [];
  if (!call || !g || launches.length !== 1) return null;
  const at = g.params.findIndex((p) => p.name === launches[0].name);
  const k = at >= 0 ? kernels.get((call.args[at] ?? '').trim()) : undefined;
  const bound = k && k.kernelClass !== 'gemm' ? bindArguments(k, launches[0]) : null;
  if (!k || !bound) return null;
  // (the launcher returns a buffer the kernel stores)
  const written = new Set(storedParams(k).map((p) => plainBuffer(bound.get(p))).filter((b): b is string => b !== null));
  const ret = g.calls.find((c) => c.form === 'return');
  if (!ret || ret.argRoots.length !== 1 || ret.args[0] !== ret.argRoots[0] || !written.has(ret.argRoots[0]!)) return null;
  // the caller's parameters that reach a buffer the kernel loads, through the launcher's parameters
  const loaded = loadedBuffers(k, bound);
  const reads = new Set<number>();
  g.params.forEach((p, i) => {
    if (!loaded.has(p.name)) return;
    const root = call.argRoots[i];
    const j = root && call.args[i]?.trim() === root ? h.params.findIndex((q) => q.name === root) : -1;
    if (j >= 0) reads.add(j);
  });
  return { kernel: k.name, kernelFacts: k, reads };
}
