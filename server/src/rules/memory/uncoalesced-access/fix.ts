// The fixer of memory/uncoalesced-access (CUDA kernels). Two local rewrites, each offered
// only where the facts prove it keeps the results:
//  - swap the thread roles: a 2-D kernel whose threadIdx.y walks the contiguous index of
//    the flagged access (`row` on x, `col` on y) gets x and y swapped throughout (every
//    threadIdx / blockIdx / blockDim / gridDim .x <-> .y) and its launches' grid (and
//    block, unless square) swapped too: the same threads do the same work, relabelled, so
//    consecutive threads now walk the contiguous index. Safe only when the old grid.x is
//    a constant within grid.y's 65,535-block limit; otherwise offered for review.
//  - stage a transpose through shared memory: a kernel that only copies
//    `out[x * rows + y] = in[y * cols + x]` (or the reverse) becomes the tiled transpose
//    through a padded 32x33 tile (32x8 threads, 4 rows each, bounds-checked), and its
//    launches run one block per 32x32 tile.
// Anything else (a per-thread walk, a gather, atomics, warp-level code, shared memory,
// launches outside the file) gets a reason instead.
import type { FixContext, FixResult } from '../../../core/fix';
import type { AccessFact, FunctionFacts } from '../../../core/facts/model';
import type { Finding, Fix, TextEdit } from '../../../core/types';
import type { SyntaxNode } from '../../../core/mirror';
import { Poly, symbolKind } from '../../../core/affine';
import { argumentFor, ceilDivisor, constantOf, dim3Of, launchesOf, listText, maxThreads, ownedByLaunches, type Dim3, type Launch } from '../../common/fix-launches';
import { atomic, compact, functionNode, identifiers, linesAbove, nodeRange, reassigned, replace, sameRange, uniqueEdits, unparen, within } from '../../common/fix-syntax';

const BUILTINS = ['threadIdx', 'blockIdx', 'blockDim', 'gridDim'];
const BUILTIN = /^(?:threadIdx|blockIdx|blockDim|gridDim)$/;
/** Code whose meaning depends on which threads share a warp: relabelling threads changes it. */
const WARP_LEVEL = /\b(__shfl\w*|__ballot\w*|__any\w*|__all\w*|__activemask|__syncwarp|__match_\w+|__reduce_\w+|warpSize|cooperative_groups|tiled_partition|coalesced_threads|this_thread_block|laneid)\b/;
const ATOMIC = /\b(atomic\w*)\s*\(/;
/** The most blocks a grid's y dimension may have. */
const MAX_GRID_Y = 65535;

interface Refusal {
  reason: string;
  /** The swap would make another access strided: a transpose-like kernel. */
  trade?: boolean;
}

export function fixUncoalesced(finding: Finding, ctx: FixContext): FixResult {
  if (ctx.language === 'triton') return { reason: 'Triton blocks are laid out by the kernel: swap the block axes so the last one walks the contiguous dimension' };
  const fn = ctx.fn;
  if (!fn) return { reason: 'the function could not be read' };
  if (!fn.isKernel && !fn.isDevice) return { reason: 'interchanging the loops of a CPU loop nest is left to you (the loop bounds and the other accesses decide it)' };
  if (!fn.isKernel) return { reason: `\`${fn.name}\` is a device function: the kernels that call it decide which thread takes which element` };
  const access = fn.accesses.find((a) => a.space === 'global' && sameRange(a.range, finding.range));
  if (!access) return { reason: 'the access is in a helper the kernel calls: its callers decide which thread takes which element' };
  const node = functionNode(ctx, fn);
  const body = node?.childForFieldName('body');
  if (!node || !body || node.hasError) return { reason: `\`${fn.name}\` could not be read` };
  const swap = swapFix(ctx, fn, body, access);
  if (!('reason' in swap)) return swap;
  if (!swap.trade) return { reason: swap.reason };
  const transpose = transposeFix(ctx, fn, node, body);
  return 'reason' in transpose && transpose.reason === NOT_A_TRANSPOSE ? { reason: swap.reason } : transpose;
}

// ---------------------------------------------------------------- swap x and y

/** threadIdx.x <-> threadIdx.y (and blockIdx, blockDim, gridDim) in an index form. */
function swapXY(p: Poly): Poly {
  let q = p;
  for (const b of BUILTINS) q = q.substitute(`${b}.x`, Poly.sym('#swap')).substitute(`${b}.y`, Poly.sym(`${b}.x`)).substitute('#swap', Poly.sym(`${b}.y`));
  return q;
}
const unit = (c: Poly) => !c.unknown && c.isConstant && Math.abs(c.constant) === 1;
const zero = (c: Poly) => !c.unknown && c.isConstant && c.constant === 0;
const coalesced = (p: Poly) => {
  const c = p.coefficient('threadIdx.x');
  return zero(c) || unit(c);
};
const threadAtoms = (p: Poly) => p.hasAtoms && p.dependsOn((s) => symbolKind(s) === 'thread');

/** Macros of the file that expand to a thread index (`#define TID threadIdx.x`): the swap cannot see their uses. */
function indexMacros(ctx: FixContext): string[] {
  const out: string[] = [];
  for (const line of ctx.lines) {
    const m = /^\s*#\s*define\s+([A-Za-z_]\w*)\b(.*)$/.exec(line);
    if (m && /\b(?:threadIdx|blockIdx|blockDim|gridDim)\b/.test(m[2])) out.push(m[1]);
  }
  return out;
}

function swapFix(ctx: FixContext, fn: FunctionFacts, body: SyntaxNode, access: AccessFact): Fix[] | Refusal {
  const text = body.text;
  const axes = body.descendantsOfType('field_expression').filter((f) => BUILTIN.test(f.childForFieldName('argument')?.text ?? '') && /^[xy]$/.test(f.childForFieldName('field')?.text ?? ''));
  const index = access.indices[0];
  if (index.unknown || threadAtoms(index)) return { reason: `the index of \`${access.text}\` is not a linear function of the thread index` };
  if (!axes.some((a) => a.childForFieldName('argument')!.text === 'threadIdx' && a.childForFieldName('field')!.text === 'y')) {
    const step = index.coefficient('threadIdx.x');
    const span = step.isConstant ? Math.abs(step.constant) * ((access.elemBits ?? 32) / 8) : 0;
    if (span > 0 && span <= 16)
      return { reason: `each thread of \`${fn.name}\` takes ${Math.abs(step.constant)} consecutive elements: moving them as one ${span}-byte vector per thread fixes this, not a remapping of threads` };
    return { reason: `threadIdx.x is the only thread index of \`${fn.name}\`: a contiguous \`${access.text}\` needs another split of the work (consecutive threads on consecutive elements, e.g. a warp per row), not a local rewrite` };
  }
  if (!coalesced(swapXY(index)))
    return { reason: `threadIdx.y does not walk \`${access.text}\` one element at a time either, so swapping the thread roles would not make it contiguous` };
  // (a warp of 2-D blocks smaller than one, `dim3(4, 4)`: swapped, its rows are as short as its columns were)
  if (fn.warpThreads !== undefined && fn.blockDimX !== undefined && fn.warpThreads / fn.blockDimX === fn.blockDimX)
    return { reason: `every launch of \`${fn.name}\` makes ${fn.blockDimX}×${fn.blockDimX} blocks, a warp of ${fn.warpThreads} threads: swapped, a warp still reads rows of ${fn.blockDimX}; make the blocks 32 threads wide along the contiguous index first` };
  const warp = WARP_LEVEL.exec(text);
  if (warp) return { reason: `\`${fn.name}\` uses \`${warp[1]}\`, which depends on which threads share a warp` };
  const atomicOp = ATOMIC.exec(text);
  if (atomicOp) return { reason: `\`${fn.name}\` accumulates with \`${atomicOp[1]}\` (a reduction): remapping its threads changes the order of the sums` };
  if (fn.shared.length || fn.syncthreads.length || /__shared__|__syncthreads/.test(text)) return { reason: `\`${fn.name}\` shares data through shared memory: swapping the thread roles would change its shared-memory pattern too` };
  const macro = indexMacros(ctx).find((m) => identifiers(body, m).length > 0);
  if (macro) return { reason: `\`${fn.name}\` reads the thread index through the macro \`${macro}\`` };
  for (const c of fn.calls) {
    if (c.kind !== 'call') continue;
    const f = ctx.functionNamed(c.name);
    const n = f && f !== fn ? functionNode(ctx, f) : null;
    if (n && /\b(?:threadIdx|blockIdx|blockDim|gridDim)\b/.test(n.text)) return { reason: `\`${fn.name}\` calls \`${c.name}\`, which reads the thread index too` };
  }
  for (const b of fn.accesses) {
    if (b.space !== 'global' || b === access) continue;
    if (b.indices.length !== 1) return { reason: `\`${b.text}\` is a multi-dimensional access the swap cannot judge` };
    const p = b.indices[0];
    if (p.unknown || threadAtoms(p)) return { reason: `\`${b.text}\` has a data-dependent or non-linear index (a gather): remapping the threads around it is left to you` };
    if (coalesced(p) && !coalesced(swapXY(p))) return { reason: `swapping x and y would make \`${b.text}\` strided instead`, trade: true };
  }

  const launches = launchesOf(ctx, fn);
  if ('reason' in launches) return launches;
  const bytes = (access.elemBits ?? 32) / 8;
  const edits: TextEdit[] = [];
  // the grid's x becomes its y, which CUDA caps at 65,535 blocks (x allows 2^31 - 1): proven only for constants
  const unbounded = new Set<string>();
  for (const l of launches) {
    if (l.config.length < 2) return { reason: `the launch of \`${fn.name}\` in \`${l.host.name}\` could not be read` };
    const grid = dim3Of(l.config[0], l);
    const block = dim3Of(l.config[1], l);
    if (!grid || !block) return { reason: `the launch shape \`<<<${l.config[0].text}, ${l.config[1].text}>>>\` could not be read` };
    if (block.scalar) return { reason: `\`${l.host.name}\` launches \`${fn.name}\` with one-dimensional blocks (\`${l.config[1].text}\`), so threadIdx.y is always 0` };
    const square = block.list !== null && compact(block.parts[0]) === compact(block.parts[1]);
    if (!square) {
      // the new blockDim.x is the old blockDim.y: a warp's run along the row must fill a 32-byte sector
      const by = constantOf(ctx, block.parts[1]);
      if (by === null) return { reason: `the launch's block height \`${block.parts[1]}\` is not a constant: with x and y swapped it becomes the warp's width along the row` };
      if (by * bytes < 32) return { reason: `the launch's blocks are ${block.parts[0]} x ${block.parts[1]}: with x and y swapped a warp would still span ${by} element${by === 1 ? '' : 's'} of a row at a time` };
      edits.push(...reshape(block, l.config[1], launches, []));
    }
    edits.push(...reshape(grid, l.config[0], launches, []));
    const x = constantOf(ctx, grid.parts[0]);
    if (x === null || x > MAX_GRID_Y) unbounded.add(grid.parts[0].replace(/\s+/g, ' ').trim());
  }
  // the kernel: every .x <-> .y of the thread, block and grid indices
  for (const a of axes) {
    const f = a.childForFieldName('field')!;
    edits.push(replace(f, f.text === 'x' ? 'y' : 'x'));
  }
  const comment = commentAbove(ctx, body, axes[0], 'x and y swapped so that consecutive threads (threadIdx.x) walk the contiguous index');
  if (comment) edits.push(comment);
  return [
    {
      title: `Swap the x and y thread indices of \`${fn.name}\` (and its launch${launches.length > 1 ? 'es' : ''}) so that threadIdx.x walks the contiguous index` +
        (unbounded.size ? `; the grid's ${[...unbounded].map((g) => `\`${g}\``).join(', ')} becomes its y dimension, which must stay within ${MAX_GRID_Y.toLocaleString('en-US')} blocks` : ''),
      edits: uniqueEdits(edits),
      safe: unbounded.size === 0,
    },
  ];
}

/** The edits that swap x and y of a launch's grid or block: in its declaration when only launches of this kernel read it, else at the launch. */
function reshape(d: Dim3, at: SyntaxNode, launches: Launch[], alsoIn: SyntaxNode[]): TextEdit[] {
  const parts = [d.parts[1], d.parts[0], d.parts[2]];
  if (d.scalar) return [replace(at, `dim3(1, ${d.parts[0]})`)];
  if (d.list && (!d.variable || ownedByLaunches(d, launches, alsoIn))) return [replace(d.list, listText(d, parts))];
  if (d.variable) return [replace(at, `dim3(${d.variable}.y, ${d.variable}.x, ${d.variable}.z)`)];
  return [replace(at, `dim3(${parts.join(', ')})`)];
}

/** A one-line comment above the statement of the body that holds `n`, at its indentation. */
function commentAbove(ctx: FixContext, body: SyntaxNode, n: SyntaxNode | undefined, text: string): TextEdit | null {
  if (!n) return null;
  let s: SyntaxNode = n;
  while (s.parent && s.parent !== body) s = s.parent;
  return linesAbove(ctx, s, [`// ${text}`]);
}

// ---------------------------------------------------------------- transpose through a tile

const NOT_A_TRANSPOSE = 'not a transpose';

/** The affine value of a small integer expression over the kernel's parameters, the built-in indices and the locals in `env`. */
function polyOf(n: SyntaxNode, env: Map<string, Poly>, params: Set<string>, seen: { wide: boolean }): Poly | null {
  n = unparen(n);
  switch (n.type) {
    case 'number_literal':
      return /^\d+[uUlL]*$/.test(n.text) ? Poly.const(parseInt(n.text, 10)) : null;
    case 'identifier':
      return env.get(n.text) ?? (params.has(n.text) ? Poly.sym(n.text) : null);
    case 'field_expression': {
      const t = compact(n.text);
      return /^(?:threadIdx|blockIdx|blockDim)\.[xyz]$/.test(t) ? Poly.sym(t) : null;
    }
    case 'cast_expression': {
      if (/\b(?:size_t|long|int64_t|uint64_t|ptrdiff_t|ssize_t)\b/.test(n.childForFieldName('type')?.text ?? '')) seen.wide = true;
      const v = n.childForFieldName('value');
      return v ? polyOf(v, env, params, seen) : null;
    }
    case 'binary_expression': {
      const op = n.childForFieldName('operator')?.type;
      const l = polyOf(n.childForFieldName('left')!, env, params, seen);
      const r = polyOf(n.childForFieldName('right')!, env, params, seen);
      if (!l || !r) return null;
      return op === '+' ? l.add(r) : op === '-' ? l.sub(r) : op === '*' ? l.mul(r) : null;
    }
    default:
      return null;
  }
}

const X_FORM = Poly.sym('blockIdx.x').mul(Poly.sym('blockDim.x')).add(Poly.sym('threadIdx.x'));
const Y_FORM = Poly.sym('blockIdx.y').mul(Poly.sym('blockDim.y')).add(Poly.sym('threadIdx.y'));
const PX = Poly.sym('#X');
const PY = Poly.sym('#Y');

/** A comparison `v < bound` (or `bound > v`; with `negated`, `v >= bound` / `bound <= v`) of a thread's index against a parameter. */
function comparisons(n: SyntaxNode, joiner: '&&' | '||', negated: boolean, out: { v: string; bound: string }[]): boolean {
  n = unparen(n);
  if (n.type !== 'binary_expression') return false;
  const op = n.childForFieldName('operator')?.type;
  const l = unparen(n.childForFieldName('left')!);
  const r = unparen(n.childForFieldName('right')!);
  if (op === joiner) return comparisons(l, joiner, negated, out) && comparisons(r, joiner, negated, out);
  if (l.type !== 'identifier' || r.type !== 'identifier') return false;
  const [less, greater] = negated ? ['>=', '<='] : ['<', '>'];
  if (op === less) out.push({ v: l.text, bound: r.text });
  else if (op === greater) out.push({ v: r.text, bound: l.text });
  else return false;
  return true;
}

interface Transpose {
  /** The kernel's names for the thread's x and y indices and their declared type. */
  xName: string;
  yName: string;
  type: string;
  input: string;
  output: string;
  /** `in` is inRows x inCols, row-major: in[r * inCols + c] -> out[c * inRows + r]. */
  inRows: string;
  inCols: string;
  /** The kernel parameter bounding the thread's x and its y (`cols`, `rows`). */
  xBound: string;
  yBound: string;
  /** The stored value with the load replaced by `@LOAD@`. */
  value: string;
  elemType: string;
  wide: boolean;
}

/** Reads a kernel that is only `x = ...; y = ...; if (x < cols && y < rows) out[x * rows + y] = in[y * cols + x];`. */
function readTranspose(fn: FunctionFacts, body: SyntaxNode): Transpose | { reason: string } {
  const notCopy = { reason: NOT_A_TRANSPOSE };
  const scalars = new Set(fn.params.filter((p) => !p.pointer && !p.rank).map((p) => p.name));
  const pointers = new Set(fn.params.filter((p) => p.pointer).map((p) => p.name));
  const env = new Map<string, Poly>();
  const names: { X?: string; Y?: string } = {};
  let type = 'int';
  const bounds: { v: string; bound: string }[] = [];
  let store: SyntaxNode | null = null;
  const seen = { wide: false };
  const takeStore = (s: SyntaxNode): boolean => {
    const e = s.type === 'expression_statement' ? s.namedChildren[0] : null;
    if (store || !e || e.type !== 'assignment_expression' || e.childForFieldName('operator')?.type !== '=') return false;
    store = e;
    return true;
  };
  for (const s of body.namedChildren) {
    if (s.type === 'comment') continue;
    if (s.type === 'declaration') {
      for (const d of s.childrenForFieldName('declarator')) {
        const id = d.type === 'init_declarator' ? d.childForFieldName('declarator') : null;
        const value = d.childForFieldName('value');
        if (!id || id.type !== 'identifier' || !value || reassigned(body, id.text)) return notCopy;
        const p = polyOf(value, env, scalars, seen);
        const role = p?.equals(X_FORM) ? 'X' : p?.equals(Y_FORM) ? 'Y' : null;
        if (!role || names[role]) return notCopy;
        names[role] = id.text;
        env.set(id.text, role === 'X' ? PX : PY);
        type = (s.childForFieldName('type')?.text ?? 'int').trim();
      }
      continue;
    }
    if (s.type === 'if_statement') {
      if (s.childForFieldName('alternative')) return notCopy;
      const cond = s.childForFieldName('condition');
      const value = cond?.type === 'condition_clause' ? cond.childForFieldName('value') : cond;
      let then = s.childForFieldName('consequence');
      if (then?.type === 'compound_statement') {
        const inner = then.namedChildren.filter((c) => c.type !== 'comment');
        if (inner.length !== 1) return notCopy;
        then = inner[0];
      }
      if (!value || !then) return notCopy;
      if (then.type === 'return_statement' && then.namedChildCount === 0) {
        if (!comparisons(value, '||', true, bounds)) return notCopy;
      } else if (!comparisons(value, '&&', false, bounds) || !takeStore(then)) return notCopy;
      continue;
    }
    if (!takeStore(s)) return notCopy;
  }
  const st = store as SyntaxNode | null;
  if (!st || !names.X || !names.Y) return notCopy;
  const left = unparen(st.childForFieldName('left')!);
  const right = st.childForFieldName('right')!;
  const loads = [right, ...right.descendantsOfType('subscript_expression')].filter((n) => n.type === 'subscript_expression');
  if (left.type !== 'subscript_expression' || loads.length !== 1) return notCopy;
  const output = left.childForFieldName('argument')!.text;
  const load = loads[0];
  const input = load.childForFieldName('argument')!.text;
  if (!pointers.has(output) || !pointers.has(input) || output === input) return notCopy;
  // the stored value may scale the element by parameters (`alpha * in[...]`), nothing that varies per thread
  for (const id of right.descendantsOfType('identifier')) if (!within(id, load) && !scalars.has(id.text)) return notCopy;
  if (right.descendantsOfType('call_expression').length || right.type === 'call_expression') return notCopy;
  const indexOf = (n: SyntaxNode) => {
    const ix = n.childForFieldName('indices')?.namedChildren.filter((c) => c.type !== 'comment') ?? [n.childForFieldName('index')].filter((c): c is SyntaxNode => !!c);
    return ix.length === 1 ? polyOf(ix[0], env, scalars, seen) : null;
  };
  const li = indexOf(load);
  const si = indexOf(left);
  if (!li || !si) return notCopy;
  const param = (p: Poly): string | null => (p.terms.size === 1 && p.terms.get([...p.terms.keys()][0]) === 1 && scalars.has([...p.terms.keys()][0]) ? [...p.terms.keys()][0] : null);
  // in[r * inCols + c] and out[c * inRows + r], with (r, c) = (y, x) or (x, y)
  let shape: { r: string; c: string; inCols: string; inRows: string } | null = null;
  for (const [r, c, R, C] of [['#Y', '#X', names.Y, names.X], ['#X', '#Y', names.X, names.Y]] as const) {
    const inCols = param(li.coefficient(r));
    const inRows = param(si.coefficient(c));
    const [pr, pc] = [Poly.sym(r), Poly.sym(c)];
    if (inCols && inRows && li.equals(pr.mul(Poly.sym(inCols)).add(pc)) && si.equals(pc.mul(Poly.sym(inRows)).add(pr))) shape = { r: R, c: C, inCols, inRows };
  }
  if (!shape) return notCopy;
  const bound = (v: string) => bounds.filter((b) => b.v === v).map((b) => b.bound);
  const cb = bound(shape.c);
  const rb = bound(shape.r);
  if (!bounds.length) return { reason: `\`${fn.name}\` has no bounds check: the tiled rewrite needs the extents of \`${input}\`` };
  if (bounds.length !== 2 || cb.length !== 1 || rb.length !== 1 || cb[0] !== shape.inCols || rb[0] !== shape.inRows)
    return { reason: `the bounds check does not keep \`${shape.c}\` below \`${shape.inCols}\` and \`${shape.r}\` below \`${shape.inRows}\`, the extents of \`${input}\`` };
  const inParam = fn.params.find((p) => p.name === input)!;
  const elemType = inParam.type.replace(/\b(?:const|volatile|__restrict__|__restrict|restrict)\b/g, '').replace(/\s+/g, ' ').trim();
  const value = right.text.slice(0, load.startIndex - right.startIndex) + '@LOAD@' + right.text.slice(load.endIndex - right.startIndex);
  return {
    xName: names.X,
    yName: names.Y,
    type: type.replace(/\bconst\b/g, '').trim() || 'int',
    input,
    output,
    inRows: shape.inRows,
    inCols: shape.inCols,
    xBound: shape.c === names.X ? shape.inCols : shape.inRows,
    yBound: shape.c === names.Y ? shape.inCols : shape.inRows,
    value,
    elemType,
    wide: seen.wide,
  };
}

function transposeFix(ctx: FixContext, fn: FunctionFacts, node: SyntaxNode, body: SyntaxNode): FixResult {
  const t = readTranspose(fn, body);
  if ('reason' in t) return t;
  const load = fn.accesses.find((a) => a.space === 'global' && a.kind === 'load' && a.array === t.input);
  const bits = load?.elemBits ?? null;
  if (bits !== 32 && bits !== 64) return { reason: `the elements of \`${t.input}\` are ${bits === null ? 'of unknown width' : `${bits}-bit`}: the padded 32x33 tile is written for 4- and 8-byte elements` };
  if (fn.launchBounds) {
    const most = maxThreads(ctx, fn);
    if (most === null || most < 256) return { reason: `\`${fn.name}\`'s \`${fn.launchBounds}\` does not allow the 256 threads (32x8) of the tiled transpose` };
  }
  const launches = launchesOf(ctx, fn);
  if ('reason' in launches) return launches;

  const edits: TextEdit[] = [];
  for (const l of launches) {
    if (l.config.length < 2) return { reason: `the launch of \`${fn.name}\` in \`${l.host.name}\` could not be read` };
    const grid = dim3Of(l.config[0], l);
    const block = dim3Of(l.config[1], l);
    const hostRows = argumentFor(fn, l, t.inRows);
    const hostCols = argumentFor(fn, l, t.inCols);
    const hostX = argumentFor(fn, l, t.xBound);
    const hostY = argumentFor(fn, l, t.yBound);
    if (!grid || !block || grid.scalar || block.scalar || !hostRows || !hostCols || !hostX || !hostY)
      return { reason: `the launch shape \`<<<${l.config[0].text}, ${l.config[1].text}>>>\` in \`${l.host.name}\` could not be read as a 2-D grid` };
    if (compact(grid.parts[2]) !== '1' || compact(block.parts[2]) !== '1') return { reason: `the launch in \`${l.host.name}\` has a z dimension` };
    // the rewrite must write what the kernel wrote: every element of the matrix, so the old grid must cover it
    const covers = (part: string, extent: string, blockPart: string, axis: 'x' | 'y') => {
      const d = ceilDivisor(part, extent);
      if (d === null) return false;
      if (compact(d) === compact(blockPart) || (block.variable && compact(d) === `${block.variable}.${axis}`)) return true;
      const dv = constantOf(ctx, d);
      const bv = constantOf(ctx, blockPart);
      return dv !== null && bv !== null && bv >= dv;
    };
    if (!covers(grid.parts[0], hostX, block.parts[0], 'x') || !covers(grid.parts[1], hostY, block.parts[1], 'y'))
      return { reason: `the grid of the launch in \`${l.host.name}\` is not seen to cover all \`${hostX}\` x \`${hostY}\` elements (\`(n + B - 1) / B\` blocks of B threads)` };
    const gridParts = [`(${atomic(hostCols)} + 31) / 32`, `(${atomic(hostRows)} + 31) / 32`, '1'];
    const gridOwned = grid.list !== null && (!grid.variable || ownedByLaunches(grid, launches));
    if (gridOwned) edits.push(replace(grid.list!, listText(grid, gridParts)));
    else edits.push(replace(l.config[0], `dim3(${gridParts.slice(0, 2).join(', ')})`));
    const blockParts = ['32', '8', '1'];
    if (block.list && (!block.variable || ownedByLaunches(block, launches, gridOwned && grid.decl ? [grid.decl] : []))) {
      const text = listText(block, blockParts);
      if (compact(text) !== compact(block.list.text)) edits.push(replace(block.list, text));
    } else edits.push(replace(l.config[1], 'dim3(32, 8)'));
  }

  // the kernel's body: staged through the tile
  const taken = new Set([...fn.params.map((p) => p.name), t.xName, t.yName]);
  const fresh = (name: string) => {
    let n = name;
    while (taken.has(n)) n += '_';
    taken.add(n);
    return n;
  };
  const tile = fresh('tile');
  const j = fresh('j');
  const base = ctx.lines[node.startPosition.row].match(/^\s*/)![0];
  const first = body.namedChildren.find((c) => c.type !== 'comment');
  const unitIndent = first && first.startPosition.row > body.startPosition.row ? ctx.lines[first.startPosition.row].match(/^\s*/)![0].slice(base.length) || '  ' : '  ';
  const i1 = base + unitIndent;
  const i2 = i1 + unitIndent;
  const { xName: x, yName: y, inRows: rows, inCols: cols } = t;
  const row = (v: string) => (t.wide ? `(size_t)(${v} + ${j})` : `(${v} + ${j})`);
  const value = t.value.replace('@LOAD@', `${tile}[threadIdx.x][threadIdx.y + ${j}]`);
  const text = [
    '{',
    `${i1}// transposed through a padded 32x33 shared tile (32x8 threads, 4 rows each): global reads and writes both coalesced`,
    `${i1}__shared__ ${t.elemType} ${tile}[32][33];`,
    `${i1}${t.type} ${x} = blockIdx.x * 32 + threadIdx.x;`,
    `${i1}${t.type} ${y} = blockIdx.y * 32 + threadIdx.y;`,
    `${i1}for (int ${j} = 0; ${j} < 32; ${j} += 8)`,
    `${i2}if (${x} < ${cols} && ${y} + ${j} < ${rows}) ${tile}[threadIdx.y + ${j}][threadIdx.x] = ${t.input}[${row(y)} * ${cols} + ${x}];`,
    `${i1}__syncthreads();`,
    `${i1}${x} = blockIdx.y * 32 + threadIdx.x;`,
    `${i1}${y} = blockIdx.x * 32 + threadIdx.y;`,
    `${i1}for (int ${j} = 0; ${j} < 32; ${j} += 8)`,
    `${i2}if (${x} < ${rows} && ${y} + ${j} < ${cols}) ${t.output}[${row(y)} * ${rows} + ${x}] = ${value};`,
    `${base}}`,
  ].join('\n');
  edits.push({ range: nodeRange(body), newText: text });
  return [
    {
      title: `Transpose through a padded 32x33 shared tile in \`${fn.name}\` (one 32x8 block per 32x32 tile), so that \`${t.input}\` and \`${t.output}\` are both accessed contiguously`,
      edits: uniqueEdits(edits),
      safe: true,
    },
  ];
}
