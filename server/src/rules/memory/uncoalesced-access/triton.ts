// The Triton half of memory/uncoalesced-access. A `tl.load` / `tl.store` of a block puts
// consecutive lanes along the block's last axis; they read consecutive addresses only
// when that axis walks the tensor's contiguous dimension. Here it walks with a stride:
// a constant (`offs * 4`), the number of programs (a cyclic split), or a stride parameter that the launches in the file bind to a
// tensor's leading-dimension stride (`x.stride(0)` of a 2-D tensor, the row stride), so
// each lane reads its own 32-byte sector (`x_ptr + rows * stride_row + col`: one program
// per column walking down the rows).
// Quiet when the stride is 1, unknown (no launch in the file binds it), a `.stride(-1)` /
// last-dimension stride, the stride of a tensor the host made with strides of its own
// (`.as_strided(...)`, `.t()`, `.permute(...)`: column-major, whatever its dim 0), when
// another axis of the block may be the contiguous one (Triton then orders the threads along
// it: a transposed tile is read coalesced), in masked-out broadcasts, and in reference oracles.
import { detail } from '../../common/detail';
import type { AccessFact, CallFact, FileFacts, FunctionFacts } from '../../../core/facts/model';
import type { RuleFinding } from '../../../core/types';
import { Poly, displaySymbol } from '../../../core/affine';
import { isReferenceOracle } from '../../common/reference';
import { bindArguments, hostShapes, plainBuffer } from '../../common/triton-host';

/** Bytes a lane step must stay under for a warp's accesses to share sectors (4-byte elements assumed when the type is unknown). */
const MIN_STRIDE = 4;

/** The contiguous (last) axis's lane symbol of a block access. */
const lastLane = (a: AccessFact): string | null => {
  const lanes = a.lanes ?? [];
  return lanes.length ? lanes[lanes.length - 1] : null;
};

interface Launch {
  call: CallFact;
  /** The host's `m, n = x.shape` unpackings: each tensor's extents by name. */
  unpacked: Map<string, string[]>;
  /** Ranks of the host's tensors, where its code says (`torch.empty((m, n))`, `m, n = x.shape`). */
  ranks: Map<string, number>;
  /** Host tensors made with strides of their own (`.as_strided(shape, (1, K))`, `.t()`, `.permute(...)`): not row-major. */
  restrided: Set<string>;
  /** The host's sizes of what follows an axis, by name: `K = x.numel() // (M * N)` is `x`'s (FlagGems' (pre, dim, post) split). */
  innerSizes: Map<string, string>;
}

/** `K = x.numel() // (M * N)`, `post = inp.numel() // M // N`: the elements after the reduced axis of `x`, one of its rows' strides. */
function hostInnerSizes(host: FunctionFacts): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of host.calls) {
    const m = c.form === 'assign' && c.name === '=' && (c.assignedTo ?? []).length === 1 ? /^([A-Za-z_]\w*)\.numel\(\)\/\/.+$/.exec(c.args[0]?.replace(/\s+/g, '') ?? '') : null;
    if (m) out.set(c.assignedTo![0], m[1]);
  }
  return out;
}

/**
 * What each launch binds a size parameter to: the elements after the reduced axis of the tensor it passes for `ptr`
 * (`K = x.numel() // (M * N)`), so `ptr + n * K` walks that axis K elements a lane; one lane apart only when the
 * axis is the last, which such a split is written to avoid.
 */
function innerSize(k: FunctionFacts, param: string, ptr: string, launches: Launch[]): Stride | null {
  const s = sizeAtEveryLaunch(k, param, ptr, launches, (l, tensor, size) => l.innerSizes.get(size) === tensor,
    (tensor, size) => `\`${param}\` (\`${size}\`, the elements after the reduced axis of \`${tensor}\` at the launch)`);
  return s && { ...s, inner: true };
}

/**
 * A size parameter every launch binds, for the row-major tensor it passes for `ptr`, to a size `holds` accepts: the
 * stride it then is, shown as `shown` says; null where a launch binds something else.
 */
function sizeAtEveryLaunch(
  k: FunctionFacts, param: string, ptr: string, launches: Launch[],
  holds: (l: Launch, tensor: string, size: string) => boolean, shown: (tensor: string, size: string) => string,
): Stride | null {
  let seen: Stride | null = null;
  for (const l of launches) {
    const bound = bindArguments(k, l.call);
    const tensor = plainBuffer(bound?.get(ptr));
    const size = bound?.get(param)?.text;
    if (!tensor || !size || l.restrided.has(tensor) || !holds(l, tensor, size)) return null;
    seen ??= { shown: shown(tensor, size), launch: l.call };
  }
  return seen;
}

/** A view or allocation that sets its own strides: its `.stride(0)` may well be 1 (a column-major scale tensor). */
const RESTRIDED = /\.(?:as_strided|t|transpose|permute|swapaxes|movedim)\s*\(|\.(?:T|mT|mH)\b|\bempty_strided\s*\(|memory_format\s*=/;

/** Host tensors assigned from a restriding view or allocation (`s = x.new_empty(k, m).as_strided((k, m), (1, k))`). */
function hostRestrided(host: FunctionFacts): Set<string> {
  const out = new Set<string>();
  for (const c of host.calls) if (c.form === 'assign' && RESTRIDED.test(c.args[0] ?? '')) for (const name of c.assignedTo ?? []) out.add(name);
  return out;
}

/**
 * `m, n = x.shape` in a host function, and the tensors it makes with a shape of sizes (`y = torch.empty((n, m))`):
 * each tensor's extents by name, outermost first.
 */
function unpackedShapes(host: FunctionFacts): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [name, shape] of hostShapes(host)) {
    const items = shape.key?.startsWith('(') && shape.rank !== null && shape.rank >= 2 ? shape.key.slice(1, -1).split(',') : null;
    if (items?.length === shape.rank && items.every((t) => /^[A-Za-z_]\w*$/.test(t))) out.set(name, items);
  }
  // (`m, n = x.shape` or `x.size()`; or one extent at a time, `m = x.shape[0]` and `n = x.shape[1]`, of a tensor whose
  // further extents the function never reads)
  const single = new Map<string, string[]>();
  const deeper = new Set<string>();
  for (const c of host.calls) {
    const text = c.args[0]?.replace(/\s+/g, '') ?? '';
    const m = c.form === 'assign' && (c.assignedTo ?? []).length >= 2 ? /^([A-Za-z_]\w*)\.(?:shape|size\(\))$/.exec(text) : null;
    if (m && !c.args[0].includes('*')) out.set(m[1], c.assignedTo!);
    const one = c.form === 'assign' && c.name === '=' && (c.assignedTo ?? []).length === 1 ? /^([A-Za-z_]\w*)\.(?:shape\[(\d)\]|size\((\d)\))$/.exec(text) : null;
    if (one) {
      const at = Number(one[2] ?? one[3]);
      if (at >= 2) deeper.add(one[1]);
      else (single.get(one[1]) ?? single.set(one[1], []).get(one[1])!)[at] = c.assignedTo![0];
    }
  }
  for (const [tensor, extents] of single) if (!out.has(tensor) && !deeper.has(tensor) && extents[0] && extents[1]) out.set(tensor, extents);
  return out;
}

/**
 * Tensor ranks a host function shows: shapes it creates, and `a, b = x.shape` unpacking; else at least as many as an
 * extent it reads (`x.shape[1]`, `x.size(1)`: two or more).
 */
function hostRanks(host: FunctionFacts, unpacked: ReadonlyMap<string, string[]>): Map<string, number> {
  const out = new Map<string, number>();
  for (const c of host.calls) {
    for (const a of c.args) {
      for (const m of a.matchAll(/\b([A-Za-z_]\w*)\.(?:shape\[|size\()\s*([1-9])\s*[\])]/g)) out.set(m[1], Math.max(out.get(m[1]) ?? 0, Number(m[2]) + 1));
    }
  }
  for (const [name, shape] of hostShapes(host)) if (shape.rank !== null && !shape.scalar) out.set(name, shape.rank);
  for (const [tensor, extents] of unpacked) out.set(tensor, extents.length);
  return out;
}

interface Stride {
  /** How it reads in the message: `4 elements`, `` `stride_row` (`x.stride(0)`, the row stride) ``. */
  shown: string;
  /** The launch that says so, for a related location. */
  launch: CallFact | null;
  /** The stride is the grid's size (`tl.num_programs(0)`). */
  grid?: boolean;
  /** The stride is the size of what follows a reduced axis (`K = x.numel() // (M * N)`): 1 where that axis is the last. */
  inner?: boolean;
}

/** The number of programs along an axis, as a kernel reads it. */
const GRID_SIZE = /^\(?tl\.num_programs\(\s*(?:axis\s*=\s*)?\d\s*\)\)?$/;

/**
 * What each launch in the file binds a stride parameter to: all of them a leading-dimension
 * stride (`t.stride(0)`, `t.stride(-2)`, `t.stride(1)` of a known 3-D tensor) makes it large.
 */
function leadingStride(k: FunctionFacts, param: string, launches: Launch[]): Stride | null {
  let seen: Stride | null = null;
  for (const { call, ranks, restrided } of launches) {
    const bindings = bindArguments(k, call);
    const bound = bindings?.get(param);
    const m = bound ? /^([A-Za-z_]\w*)\.stride\((-?\d+)\)$/.exec(bound.text) : null;
    if (!m) return null; // a launch that passes something else: no claim
    if (restrided.has(m[1])) return null; // its strides are its own: `stride(0)` may be the unit one
    // the rank: from the host code, else a tensor passed with one stride only is taken as 1-D (`w.stride(0)` is then 1)
    const strides = new Set([...bindings!.values()].map((b) => new RegExp(`^${m[1]}\\.stride\\((-?\\d+)\\)$`).exec(b.text)?.[1]).filter((d) => d !== undefined));
    const rank = ranks.get(m[1]) ?? (strides.size <= 1 ? 1 : null);
    const dim = Number(m[2]);
    // with the rank unknown only `stride(0)` is taken as leading (tensors passed with strides are 2-D or more)
    const leading = dim === -2 || (dim === 0 && (rank === null || rank >= 2)) || (rank !== null && dim > 0 && dim < rank - 1);
    if (!leading) return null;
    seen ??= { shown: `\`${param}\` (\`${bound!.text}\` at the launch, a leading-dimension stride)`, launch: call };
  }
  return seen;
}

/**
 * What each launch binds a size parameter to: the last extent of the (row-major) tensor it passes for `ptr`
 * (`M, N = x.shape` then `N`, or `x.shape[-1]`), so `ptr + rows * N` walks down a column, a row apart a lane.
 */
function rowLength(k: FunctionFacts, param: string, ptr: string, launches: Launch[]): Stride | null {
  return sizeAtEveryLaunch(k, param, ptr, launches,
    (l, tensor, size) => size === `${tensor}.shape[-1]` || size === `${tensor}.size(-1)` || l.unpacked.get(tensor)?.at(-1) === size,
    (tensor) => `\`${param}\` (\`${tensor}\`'s row length at the launch)`);
}

/**
 * Could another axis of the block be the contiguous one? Triton's coalescing orders the
 * threads along whichever axis has unit stride (`x[offs_m[:, None] * 1 + offs_k[None, :] * ld]`
 * is read along axis 0), so only an access with no such axis is uncoalesced: every other
 * axis must walk a constant stride of MIN_STRIDE or more, or a leading-dimension stride.
 */
function anotherAxisMayBeContiguous(a: AccessFact, k: FunctionFacts, launches: Launch[]): boolean {
  const lanes = (a.lanes ?? []).slice(0, -1).filter((l): l is string => l !== null);
  return lanes.some((lane) => {
    const c = a.indices[0].coefficient(lane);
    if (c.terms.size === 0) return false; // the axis does not move the address: a broadcast
    if (c.isConstant) return Math.abs(c.constant) < MIN_STRIDE;
    const large = (param: string) => !!(leadingStride(k, param, launches) ?? rowLength(k, param, a.array, launches) ?? innerSize(k, param, a.array, launches));
    const syms = [...c.symbols()];
    const param = syms.length === 1 && c.toString() === syms[0] ? syms[0] : null;
    // (or a product of sizes one of which is such a stride, `N * K` of a row of N after the reduced axis)
    const [term, times] = c.terms.size === 1 ? [...c.terms][0] : ['', 0];
    const product = times > 0 && term.includes('*') ? term.split('*') : null;
    return !(launches.length && (param ? large(param) : !!product?.some((x) => k.params.some((p) => p.name === x) && large(x))));
  });
}

/**
 * A vector read in a `tl.dot` loop beside the 2-D tiles it feeds (`A_scale + offs_am * stride_asm`, a
 * quantized GEMM's per-row scales): a small share of the loop's bytes, and the next steps reuse its sectors.
 */
function scaleBesideTiles(a: AccessFact, k: FunctionFacts): boolean {
  if (a.kind !== 'load' || (a.lanes?.length ?? 0) !== 1 || !a.loops.length) return false;
  const inner = a.loops[a.loops.length - 1];
  const dot = k.calls.some((c) => /(?:^|\.)dot(?:_scaled)?$/.test(c.name) && c.loops.includes(inner));
  return dot && k.accesses.some((t) => t.kind === 'load' && t.loops.includes(inner) && (t.lanes?.length ?? 0) >= 2);
}

/** The integer every launch in the file binds `param` to (`N=4096`), with the first such launch; null where one binds anything else. */
function literalAtLaunches(k: FunctionFacts, param: string, launches: Launch[]): { value: number; launch: CallFact } | null {
  let seen: { value: number; launch: CallFact } | null = null;
  for (const { call } of launches) {
    const text = bindArguments(k, call)?.get(param)?.text.trim() ?? '';
    if (!/^\d+$/.test(text) || (seen && seen.value !== Number(text))) return null;
    seen ??= { value: Number(text), launch: call };
  }
  return seen;
}

/**
 * A lane's own run of `stride` consecutive elements, moved by as many accesses side by side (`base + 0` .. `base + 3`
 * with `base = i * 4`): together they fill every sector they touch, a chunk a vector access would move at once.
 */
function wholeChunk(a: AccessFact, k: FunctionFacts, stride: Poly): boolean {
  // (or one access in a loop over the lane's chunk, `for i in range(PER_LANE)` of `lane * PER_LANE + i`)
  const overChunk = a.loops.some((id) => {
    const l = k.loops.find((x) => x.id === id);
    const by = l ? a.indices[0].coefficient(l.symbol) : null;
    if (!l || !by?.isConstant || by.constant !== 1 || !l.init?.isConstant || l.init.constant !== 0 || !l.step?.isConstant || l.step.constant !== 1) return false;
    return stride.isConstant ? l.trips === Math.abs(stride.constant) : l.bound?.trim() === stride.toString();
  });
  if (overChunk) return true;
  if (!stride.isConstant || Math.abs(stride.constant) > 16) return false;
  const n = Math.abs(stride.constant);
  const form = a.indices[0].sub(Poly.const(a.indices[0].constant)).toString();
  const residues = new Set(k.accesses.filter((b) => b.array === a.array && b.kind === a.kind && b.indices.length === 1 && !b.indices[0].unknown &&
    b.indices[0].sub(Poly.const(b.indices[0].constant)).toString() === form).map((b) => ((b.indices[0].constant % n) + n) % n));
  return residues.size === n;
}

/** A head count (`H`, `HQ`, `NH`, `num_heads`). */
const HEAD_COUNT = /^(?:H|H[QKV]|HKV|NH|n_?heads|num_(?:q_|kv_)?heads)$/;

function checkKernel(k: FunctionFacts, launches: Launch[]): RuleFinding[] {
  const out: RuleFinding[] = [];
  const reported = new Set<string>();
  // once per program beside a loop that streams the program's data (a conv's few weights before the loop over the
  // sequence, a GEMM's epilogue): a small share of its traffic, as in the CUDA half
  const streamed = k.accesses.some((a) => a.loops.length > 0 && a.kind !== 'atomic');
  for (const a of k.accesses) {
    if (a.kind === 'atomic' || a.indices.length !== 1 || a.indices[0].unknown) continue;
    if (streamed && a.loops.length === 0) continue;
    const lane = lastLane(a);
    if (!lane) continue;
    const c = a.indices[0].coefficient(lane);
    let stride: Stride | null = null;
    // (the stride as a number, where the code or every launch gives one: below 8 elements, lanes share sectors)
    let amount = c.isConstant ? Math.abs(c.constant) : null;
    if (c.isConstant) {
      if (Math.abs(c.constant) >= MIN_STRIDE) stride = { shown: `${Math.abs(c.constant)} elements`, launch: null };
    } else {
      const syms = [...c.symbols()];
      const param = syms.length === 1 && c.toString() === syms[0] && k.params.some((p) => p.name === syms[0] && !p.constexpr) ? syms[0] : null;
      // (a `tl.constexpr` every launch sets to the same number, `N=4096`: that many elements)
      const constexpr = syms.length === 1 && c.toString() === syms[0] && k.params.some((p) => p.name === syms[0] && p.constexpr) ? literalAtLaunches(k, syms[0], launches) : null;
      // (a constexpr the launches pass as a size, `N=x.shape[1]`, is read as the parameter it would be; not a head count,
      // `H` of a `[B, T, H]` gate read a head at a time: one scalar a head beside the heads' vectors)
      const sized = param ?? (constexpr === null && syms.length === 1 && c.toString() === syms[0] && !HEAD_COUNT.test(syms[0]) && k.params.some((p) => p.name === syms[0] && p.constexpr) ? syms[0] : null);
      if (sized && launches.length) stride = leadingStride(k, sized, launches) ?? rowLength(k, sized, a.array, launches) ?? innerSize(k, sized, a.array, launches);
      else if (constexpr !== null && constexpr.value >= MIN_STRIDE) {
        stride = { shown: `${constexpr.value} elements (\`${syms[0]}\` at the launch)`, launch: constexpr.launch };
        amount = Math.abs(constexpr.value);
      }
      // (a cyclic split, `pid + tl.arange(0, BLOCK) * tl.num_programs(0)`: lanes a whole grid of programs apart)
      else if (syms.length === 1 && c.toString() === syms[0] && GRID_SIZE.test(syms[0])) stride = { shown: `\`${syms[0]}\` elements (the number of programs)`, launch: null, grid: true };
    }
    const key = `${a.array}|${a.kind}`;
    if (!stride || reported.has(key) || anotherAxisMayBeContiguous(a, k, launches) || scaleBesideTiles(a, k) || wholeChunk(a, k, c)) continue;
    reported.add(key);
    const axis = displaySymbol(lane);
    out.push({
      range: a.range,
      function: k.name,
      confidence: stride.launch || stride.grid ? 'likely' : 'proven',
      assumptions: stride.inner ? ['assumes the tensor is contiguous and the reduced axis is not its last (the elements after it are 8 or more)']
        : stride.launch ? [`assumes the tensor passed here is laid out row-major, as the sizes or strides the launch in this file passes for it say`]
        : stride.grid ? ['assumes the grid has 8 or more programs along that axis'] : [],
      message: `\`${a.array}\` ${a.kind === 'load' ? 'load' : 'store'}: lanes along \`${axis}\` are ${stride.shown.replace(/ \(.*\)$/, '')} apart, ${amount !== null && amount < 8 ? `${amount}× the sectors of a contiguous walk` : 'one memory sector per lane'}`,
      detail: detail(
        `The block's last axis \`${axis}\` is its contiguous one, but it walks \`${a.array}\` ${stride.shown} apart, so ${amount !== null && amount < 8 ? `a warp's request spans ${amount}× the sectors it uses` : `each lane ${a.kind === 'load' ? 'reads' : 'writes'} its own sector`}.`,
        `Lay the block's last axis along the tensor's contiguous dimension (a 2-D block \`[BLOCK_M, BLOCK_N]\` with the unit-stride offsets in \`[None, :]\`), or have each program walk a strip of adjacent columns.`,
      ),
      benefit: 'memory transactions for this access drop by up to the stride (8x for 32-bit elements); on an H200, moving threadIdx.x to the contiguous dimension of a naive 4096³ SGEMM measured 5.31x',
      related: stride.launch ? [{ range: stride.launch.range, message: `the launch binds the stride here` }] : [],
    });
  }
  return out;
}

/**
 * A launch with what its host function knows of the tensors and sizes it passes; for a wrapper's launch seen from a
 * caller, also what the wrapper knows of its parameters, under the caller's names (`n_rows, n_cols = x.shape` in
 * `transpose(x)` called as `transpose(m)`: `m`'s extents).
 */
function launchIn(call: CallFact, host: FunctionFacts, wrapper?: { host: FunctionFacts; named: (param: string) => string }): Launch {
  const unpacked = unpackedShapes(host);
  const ranks = hostRanks(host, unpacked);
  if (wrapper) {
    const own = unpackedShapes(wrapper.host);
    for (const [tensor, extents] of own) if (!unpacked.has(wrapper.named(tensor))) unpacked.set(wrapper.named(tensor), extents);
    for (const [tensor, rank] of hostRanks(wrapper.host, own)) if (!ranks.has(wrapper.named(tensor))) ranks.set(wrapper.named(tensor), rank);
  }
  return { call, unpacked, ranks, restrided: hostRestrided(host), innerSizes: hostInnerSizes(host) };
}

/**
 * A launch that passes its host's parameters on (`scan_kernel[grid](inp, out, B, C)` in `scan_then_fan(inp, out, A, B, C)`):
 * the launch each call of that wrapper in the file makes, its arguments put in, seen from the caller that knows the
 * tensors (`K = inp.numel() // M // N`); the launch as written, from its host, where the file does not call the wrapper.
 */
function asWrapperCalled(call: CallFact, host: FunctionFacts, hosts: readonly FunctionFacts[]): Launch[] {
  const params = host.params.map((p) => p.name);
  if (!call.args.some((a) => params.includes(a.trim()))) return [launchIn(call, host)];
  // (not the wrapper's own recursive call, `scan_then_fan(partial_sum, partial_sum, A, part_num, C)` for the partial sums:
  // it hands on the sizes its first caller gave, `C` as `C`)
  const sites = hosts.flatMap((g) => (g === host ? [] : g.calls.filter((c) => c.form === 'call' && c.name === host.name && c.args.length === params.length).map((c) => [c, g] as const)));
  if (!sites.length) return [launchIn(call, host)];
  return sites.map(([site, caller]) => {
    const arg = (a: string) => { const i = params.indexOf(a.trim()); return i >= 0 ? site.args[i] : a; };
    // (and the buffers the arguments name, the caller's: `m` where the wrapper passes its `x`)
    const root = (r: string | null, k: number) => { const i = params.indexOf(call.args[k]?.trim() ?? ''); return i >= 0 ? site.argRoots[i] ?? null : r; };
    return launchIn({ ...call, args: call.args.map(arg), argRoots: call.argRoots.map(root), keywords: call.keywords?.map((kw) => ({ ...kw, value: arg(kw.value) })) }, caller, { host, named: (p) => arg(p).trim() });
  });
}

export function tritonUncoalesced(facts: FileFacts): RuleFinding[] {
  const hosts = facts.functions.filter((f) => !f.isKernel);
  const out: RuleFinding[] = [];
  for (const k of facts.functions) {
    if (!k.isKernel || isReferenceOracle(k.name)) continue;
    const launches = hosts.flatMap((h) => {
      const calls = h.calls.filter((c) => c.kind === 'launch' && c.name === k.name);
      return calls.flatMap((call) => asWrapperCalled(call, h, hosts));
    });
    out.push(...checkKernel(k, launches));
  }
  return out;
}
