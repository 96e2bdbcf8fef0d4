// Buffers through a host function's kernel launches, for the host halves of
// fusion/multi-pass-reduction and fusion/attention: which caller buffer each launch reads
// and writes, found by binding the launch's arguments to the kernel's pointer parameters
// (positional, and Triton keywords) and reading the kernel's global accesses.
import { Poly, symbolKind } from '../../core/affine';
import type { CallFact, FunctionFacts } from '../../core/facts/model';
import { callsThroughWrappers } from '../../core/facts/wrappers';
import { baseName } from '../../core/project';
import { keptAcrossMoves } from '../../core/facts/shift';

/**
 * Whether an index reaches rows, not only columns: it moves with the block or program (a
 * block per row), or with the thread at a pitch (`x[tid * C + j]`, a thread per row).
 * `gamma[j]`, a layer norm's weights read by every row, does not.
 */
function rowData(p: Poly): boolean {
  if (p.dependsOn((s) => symbolKind(s) === 'block' || symbolKind(s) === 'program')) return true;
  const t = p.coefficient('threadIdx.x');
  return p.dependsOn((s) => s.startsWith('#op')) || (t.terms.size > 0 && !(t.isConstant && Math.abs(t.constant) === 1));
}

/**
 * A thread's own element or record read without a loop (`centres[c * 3 + 1]`, `off[b + 1]` with `b` the thread's
 * flat grid index): each thread reads a field or two of its own, no row swept. (A block's lanes one apart within its
 * row, `x[blockIdx.x * C + threadIdx.x]`, are a row read together; so are a flat index's elements in a kernel that
 * reduces them across the block, in shared memory or with shuffles: the first pass of a two-pass reduction.)
 */
function ownRecord(p: Poly, k: FunctionFacts): boolean {
  if (p.dependsOn((s) => symbolKind(s) === 'loop' || symbolKind(s) === 'lane' || s.startsWith('#op'))) return false;
  const t = p.coefficient('threadIdx.x');
  if (!t.isConstant || t.constant === 0) return false;
  const width = Math.abs(t.constant);
  // (the flat grid index: blocks `blockDim.x` threads apart, each thread its own element or record)
  if (p.coefficient('blockIdx.x').equals(Poly.sym('blockDim.x').scale(t.constant))) return width > 1 || !reducesAcrossBlock(k);
  return width > 1 && !p.dependsOn((s) => s === 'blockIdx.x');
}

/** A kernel that combines its threads' values: through shared memory or warp shuffles. */
const reducesAcrossBlock = (k: FunctionFacts): boolean =>
  k.accesses.some((a) => a.space === 'shared') || k.calls.some((c) => /^__shfl/.test(c.name));

/**
 * `pos[d * n + i]` with `i` the thread's flat grid index and `d < D` a few planes (a compile-time count): its own
 * element of each plane of a [D][n] layout, not a row swept for a statistic (a column walked over a run-time count
 * of rows, `data[i * M + j]` for `i < N`, is one).
 */
function ownElementOfPlanes(p: Poly, k: FunctionFacts): boolean {
  const t = p.coefficient('threadIdx.x');
  if (!t.isConstant || t.constant !== 1 || !p.coefficient('blockIdx.x').equals(Poly.sym('blockDim.x'))) return false;
  const loops = [...p.symbols()].filter((s) => s.startsWith('#loop'));
  const fewPlanes = (s: string) => {
    const l = k.loops.find((x) => x.symbol === s);
    return !!l && ((l.trips !== undefined && l.trips <= FEW_PLANES) || (!!l.bound && k.templateParams.includes(l.bound.trim())));
  };
  return loops.length > 0 && loops.every((s) => {
    const c = p.coefficient(s);
    return fewPlanes(s) && !c.unknown && !c.isConstant && !c.dependsOn((x) => x.startsWith('blockDim.') || x.startsWith('gridDim.') || x.startsWith('threadIdx.'));
  });
}
/** Planes of a [D][n] layout a thread walks at its own element: coordinates, channels of a small vector. */
const FEW_PLANES = 16;

/** Per kernel parameter: read, swept (read at an index that moves with a loop or lane), written, written per row (at a varying index). */
interface ParamUse {
  read: Set<string>;
  swept: Set<string>;
  written: Set<string>;
  perRow: Set<string>;
  /** Index forms of each parameter's loads. */
  loads: Map<string, Set<string>>;
  /** Index forms of each parameter's stores and updates. */
  stores: Map<string, Set<string>>;
}
const uses = new WeakMap<FunctionFacts, ParamUse>();

const varying = (s: string) => symbolKind(s) !== 'uniform' && symbolKind(s) !== 'dim';

export function paramUse(k: FunctionFacts): ParamUse {
  let u = keptAcrossMoves(uses, k);
  if (u) return u;
  u = { read: new Set(), swept: new Set(), written: new Set(), perRow: new Set(), loads: new Map(), stores: new Map() };
  for (const a of k.accesses) {
    if (a.space !== 'global') continue;
    if (a.kind !== 'store') u.read.add(a.array);
    const byForm = a.kind === 'load' ? u.loads : a.kind === 'store' ? u.stores : null;
    for (const m of a.kind === 'update' || a.kind === 'atomic' ? [u.loads, u.stores] : byForm ? [byForm] : []) {
      const forms = m.get(a.array) ?? new Set<string>();
      forms.add(a.indices.map(String).join(']['));
      m.set(a.array, forms);
    }
    if (a.kind !== 'store' && a.indices.some((p) => p.unknown || (p.dependsOn((s) => ['loop', 'lane', 'thread'].includes(symbolKind(s))) && rowData(p) && !ownElementOfPlanes(p, k) && !ownRecord(p, k)))) u.swept.add(a.array);
    if (a.kind === 'load') continue;
    u.written.add(a.array);
    if (a.indices.some((p) => p.unknown || p.dependsOn(varying))) u.perRow.add(a.array);
  }
  uses.set(k, u);
  return u;
}

/** A launch with the caller's buffers it reads and writes (root names of the arguments). */
export interface Launch {
  call: CallFact;
  kernel: FunctionFacts;
  reads: Set<string>;
  /** Buffers read over many elements per thread or program (in a loop, across lanes or threads). */
  swept: Set<string>;
  writes: Set<string>;
  /** Buffers written at a per-row (varying) index: statistics per row, not one global scalar. */
  perRow: Set<string>;
  /** Index forms of the loads of each caller buffer. */
  loads: Map<string, Set<string>>;
  /** Index forms of the stores of each caller buffer. */
  stores: Map<string, Set<string>>;
}

/** The caller's buffer bound to each kernel parameter, or null when the arguments do not line up. */
export function bind(k: FunctionFacts, call: CallFact): Map<string, string | null> | null {
  const out = new Map<string, string | null>();
  const triton = !!k.decorators;
  if (!triton && k.params.length !== call.args.length) return null;
  if (call.args.length > k.params.length) return null;
  call.args.forEach((_, i) => out.set(k.params[i].name, call.argRoots[i]));
  for (const kw of call.keywords ?? []) if (k.params.some((p) => p.name === kw.name)) out.set(kw.name, kw.root);
  return out;
}

/** The host function's launches (through launch wrappers: C/CUDA functions, Python helpers), in source order, with the buffers bound. */
export function launchesOf(host: FunctionFacts, kernels: ReadonlyMap<string, FunctionFacts>, hosts: ReadonlyMap<string, FunctionFacts>): Launch[] {
  const calls = callsThroughWrappers(host, hosts);
  const out: Launch[] = [];
  for (const call of calls) {
    if (call.kind !== 'launch') continue;
    const kernel = kernels.get(baseName(call.name));
    const bound = kernel && bind(kernel, call);
    if (!kernel || !bound) continue;
    const u = paramUse(kernel);
    const pick = (set: Set<string>) => new Set([...set].map((p) => bound.get(p)).filter((b): b is string => !!b));
    const byBuffer = (m: Map<string, Set<string>>) => {
      const out = new Map<string, Set<string>>();
      for (const [param, forms] of m) {
        const b = bound.get(param);
        if (b) out.set(b, new Set([...(out.get(b) ?? []), ...forms]));
      }
      return out;
    };
    out.push({ call, kernel, reads: pick(u.read), swept: pick(u.swept), writes: pick(u.written), perRow: pick(u.perRow), loads: byBuffer(u.loads), stores: byBuffer(u.stores) });
  }
  return out;
}
