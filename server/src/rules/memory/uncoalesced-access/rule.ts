// memory/uncoalesced-access: consecutive threads touching non-consecutive global
// addresses (ANALYSIS.md §2, "Coalescing"): the access's byte addresses, evaluated for
// the 32 lanes of a warp, touch at least twice the 32-byte sectors the same bytes need.
import { perChannelParameter } from '../../common/parameter-vectors';
import { onlySmallFixedArrays } from '../../common/fixed-extent';
import { detail, elementsText } from '../../common/detail';
import type { Rule } from '../../../core/rule';
import type { AccessFact, FunctionFacts, LoopFact } from '../../../core/facts/model';
import { ALONG_Y, bindingsAlongX, narrowWarp, turned, warpAlongX } from '../../common/warp-axis';
import { NO_BINDINGS, bindingsKey, boundAccesses, boundAssumption, templateAlternatives, templateBindings, tensorStrideParams, warpRowWidth, type Bindings } from '../../common/template-bindings';
import type { RuleFinding } from '../../../core/types';
import { Poly, SEGMENT_SPREAD, atomDef, bindSymbols, displaySymbol, symbolKind, type AtomDef } from '../../../core/affine';
import { countsSequences } from '../../../core/facts/sequence-bound';
import { FLOAT_TYPES } from '../../../core/facts/ctypes';
import { FLAG_NAME, SAMPLES, SECTOR_BYTES, laneValues, sectorCounts, type SectorCount } from '../../../core/lanes';
import { checkCpu } from './cpu';
import { OPEN_PACK } from '../shared-bank-conflict/ways';
import { prePasses } from '../../common/products';
import { laneSizes, uniformsIn } from './sizes';
import { tritonUncoalesced } from './triton';
import { perFunction } from '../../common/memo';
import { isReferenceOracle, untunedHosts, includesCudaSource } from '../../common/reference';
import { fixUncoalesced } from './fix';
import { boundByLaunches, computesInMain, loopsAround, mainLoops, tripsAtLaunch } from '../../common/hot-loops';
import { AlikeFindings } from '../../common/alike';
import { declamped } from '../../common/clamps';
import { MAX_RECORD, residuesCovered, siblingsFillSectors } from '../../common/residues';
import { defaultBuildBits, narrowing } from '../../common/element-width';
import { convShape, namesConvWindow } from '../../common/conv-shape';
import { readsDenseTargets } from '../../common/loss';

const TID = 'threadIdx.x';

/** Threads up to which a kernel's whole grid is a few warps, reading a few KB: its sectors cost nothing worth a layout change. */
const FEW_ITEMS = 128;
/** Steps up to which each of those threads' loops keeps it at a few elements. */
const FEW_STEPS = 16;
/** The names in an expression's text. */
const NAMES = /[A-Za-z_]\w*/g;
/** A BLAS-style increment (`incx`, `INCY`, `inc_x`): callers pass 1 for contiguous vectors, nearly always. */
const BLAS_INCREMENT = /^inc(?:r(?:ement)?)?_?[a-z]?$/i;
/** A stride member of a layout struct: `s.d_stride_cache`, `p->stride_x`, `shape.strides[3]`-like names. */
const LAYOUT_STRIDE = /^\w+(?:\.|->)(?:\w+_)?strides?(?:_\w+)?$/i;
/** A parameter named as one axis's stride: `stride_d`, `o_stride_h` (a prefix, `stride_`, the axis). */
const AXIS_STRIDE = /^((?:[a-z]+_)?stride_)([A-Za-z0-9]+)$/;
/**
 * `name` is the last of three or more per-axis strides of one tensor (`stride_s, stride_b, stride_h, stride_d`, in
 * that order: a PyTorch tensor's `.stride(i)`, outermost first): the innermost axis's stride, 1 when contiguous.
 */
const axisStrideOf = (fn: FunctionFacts, name: string): boolean => {
  const m = AXIS_STRIDE.exec(name);
  if (!m) return numberedInnermostStride(fn, name);
  const family = fn.params.filter((p) => !p.pointer && AXIS_STRIDE.exec(p.name)?.[1] === m[1]);
  return family.length >= 3 && family[family.length - 1].name === name;
};
/** A stride numbered by its axis (`s00` of `s00, s01, s02, s03`; `sx0` of `sx0..sx2`), as ggml numbers them. */
const NUMBERED_STRIDE = /^(s[a-z]?\d?|nb\d?)(\d)$/;
/**
 * The stride of axis 0 in a kernel that takes one per axis (three or more, or two beside extents numbered alike,
 * `ne00..ne03`: ggml's tensors, whose axis 0 is the contiguous one): `nb00 / type_size`, 1 for a contiguous tensor.
 */
function numberedInnermostStride(fn: FunctionFacts, name: string): boolean {
  const m = NUMBERED_STRIDE.exec(name);
  if (!m || m[2] !== '0') return false;
  const family = fn.params.filter((p) => !p.pointer && NUMBERED_STRIDE.exec(p.name)?.[1] === m[1]);
  // (a bare `s0..s3` family is as often outermost first, `s0` a batch stride: only beside ggml's extents `ne00`/`ne0`)
  const extents = fn.params.some((p) => !p.pointer && /^ne\d*0$/.test(p.name));
  return m[1] === 's' ? extents && family.length >= 2 : family.length >= 3 || (family.length >= 2 && extents);
}
/**
 * Lanes a few elements apart (at most a sector) inside a loop that moves the index by one element per step for
 * more steps than that spacing (or a run-time count of them): each lane's window overlaps its neighbours'.
 */
function slidingWindow(a: AccessFact, index: Poly, unit: Poly, bytes: number, loops: readonly LoopFact[], values?: Readonly<Record<string, number>>): boolean {
  if (!unit.isConstant || unit.unknown) return false;
  const apart = Math.abs(unit.constant);
  if (apart < 2 || apart * bytes > 32) return false;
  return loops.some((l) => {
    // (not a thread's own chunk, `x = x0; x < x0 + p`: lanes p apart walking p steps meet no neighbour's elements)
    if (!a.loops.includes(l.id) || l.chunked || !l.init || l.init.unknown || l.init.dependsOn((s) => /^(?:threadIdx|blockIdx)\./.test(s))) return false;
    const c = index.coefficient(l.symbol);
    // (the trips every launch gives count too: an ELL row of `max_nnz` = 8 under lanes 8 apart is a thread's own chunk)
    const trips = l.trips ?? (l.bound !== null ? values?.[l.bound.trim()] : undefined);
    return c.isConstant && Math.abs(c.constant) === 1 && (trips === undefined ? l.bound !== null && !/^\s*\d+\s*$/.test(l.bound) : trips > apart);
  });
}

/** A convolution's stride (`stride`, `stride_w`, `stride.x` of an int2) beside its window parameters: 1 or 2, not a row length. */
const CONV_STRIDE = /^stride(?:_?[hwxy]|\.[xyz])?$/i;
/** An element of a layout's strides array, as the index reads it: `(src_s[3])`, `(strides[2])`. */
const STRIDES_ELEMENT = /^\(?((?:\w+_)?s|\w*strides?)\[(\d+)\]\)?$/;

const stridesElement = (sym: string) => STRIDES_ELEMENT.exec(displaySymbol(sym));

/** The last axis of each strides array the kernel reads (`src_s` -> 3 where it reads `src_s[0..3]`). */
function strideAxes(fn: FunctionFacts): Map<string, number> {
  const axes = new Map<string, number>();
  for (const a of fn.accesses) for (const p of a.indices) for (const sym of p.symbols()) {
    const m = stridesElement(sym);
    if (m) axes.set(m[1], Math.max(axes.get(m[1]) ?? 0, Number(m[2])));
  }
  return axes;
}

/**
 * The innermost stride of each strides array (`src_s[3]` of `src_s[0..3]`), set to 1 where this index uses it. (An
 * index that uses only `src_s[1]` runs its lanes along another axis: nothing is set.)
 */
function innermostStrides(axes: ReadonlyMap<string, number>, index: Poly): Map<string, number> {
  const out = new Map<string, number>();
  for (const sym of index.symbols()) {
    const m = stridesElement(sym);
    // (one axis alone says nothing of which is innermost)
    if (m && Number(m[2]) > 0 && Number(m[2]) === axes.get(m[1])) out.set(sym, 1);
  }
  return out;
}

/** A resampling step's name (`sample`, `stride`, `step_w`), as opposed to a shape's extent (`layers`, `C`). */
const STEP_NAME = /^(?:stride|sample|step|dilation|scale|factor)s?(?:_?[hwxy])?$/i;

/** `N*threadIdx.x`, `(TILE + 1)*threadIdx.x`: how threadIdx.x enters the index. */
function threadTerm(c: Poly): string {
  const text = c.toString();
  if (text === '1') return 'threadIdx.x';
  return `${c.terms.size > 1 ? `(${text})` : text}*threadIdx.x`;
}

/** A loop of this function over consecutive elements that a thread walks by itself (`for (j = 0; j < 4; ++j) y[base + j]`). */
function perThreadRun(a: AccessFact, fn: FunctionFacts): LoopFact | undefined {
  const index = withinRow(a.indices[0]);
  // (forwards or counting down: `for (i = NDim - 1; i >= 0; i--) out[i] = ...`)
  return loopsAround(a, fn).find((l) => !l.gridStride && index.coefficient(l.symbol).isConstant && Math.abs(index.coefficient(l.symbol).constant) === 1);
}

/**
 * `(offset + j) % numCols` with a run-time column count: inside a row the remainder moves with its
 * argument, so a thread's `j` loop walks consecutive columns (a flat index taken apart per item).
 */
function withinRow(index: Poly): Poly {
  let out = index;
  for (const s of index.symbols()) {
    const d = atomDef(s);
    if (d?.op !== '%' || d.args.length !== 2 || d.args[1].isConstant) continue;
    out = out.substitute(s, d.args[0]);
  }
  return out;
}

/**
 * `y[base + j] = f(x[base + j])` in one `j` loop, the thread index scaled alike: a thread streams its own
 * chunk from one array to another element by element (a blocked layout), not the fields of one record. So does a chunk
 * updated in place (`x[base + j] = f(x[base + j])`): one formula for every element, as no record's fields have.
 */
function chunkedStream(a: AccessFact, globals: readonly AccessFact[], loops: readonly LoopFact[]): boolean {
  const p = a.indices[0];
  return globals.some((b) => {
    if (b.indices.length !== 1 || b.indices[0].unknown) return false;
    const inPlace = b.array === a.array && b.kind !== a.kind && b.indices[0].toString() === p.toString();
    if (b.array === a.array && !inPlace) return false;
    // (two records loaded side by side, `a[i] = A[b*9 + i]; c[i] = B[b*9 + i]`, are operands, not a stream: something is written)
    if (a.kind === 'load' && b.kind === 'load') return false;
    const q = b.indices[0];
    if (q.coefficient(TID).toString() !== p.coefficient(TID).toString()) return false;
    const unit = (f: Poly, sym: string) => f.coefficient(sym).isConstant && f.coefficient(sym).constant === 1;
    return a.loops.some((id) => b.loops.includes(id) && !!loops[id] && unit(p, loops[id].symbol) && unit(q, loops[id].symbol));
  });
}

/**
 * The lanes a record apart whose width is the experts a token is routed to (`topk`, 2 to 8 in every mixture of
 * experts), and a loop over that count walks the record whole. (A row of run-time length walked so, an ELL matrix's
 * `max_nnz` or a classifier's classes, is the textbook uncoalesced layout: reported.)
 */
function topkRecord(a: AccessFact, stride: ReturnType<typeof describeStride>, loops: readonly LoopFact[]): boolean {
  return a.loops.some((id) => {
    const l = loops.find((x) => x.id === id);
    const bound = l?.bound?.trim();
    return !!l && !!bound && a.indices[0].dependsOn((s) => s === l.symbol) && TOP_K.test(bound.replace(/^.*(?:\.|->)/, '')) && stride.by?.replace(/\s+/g, '') === bound;
  });
}
/** The experts each token is routed to. */
const TOP_K = /^(?:num_?)?top_?k$/i;

/** How the threads' addresses are spaced, in words a reader can check against the code. */
function describeStride(index: Poly, counts: SectorCount[], bytes: number): { text: string; term: string | null; constant: number | null; by?: string; atom?: string } {
  // `vals[e]` for `e` from `rowptr[row]`: each thread walks its own row of a CSR structure
  const segment = csrRow(index);
  if (segment) return { text: 'a CSR row', term: null, constant: null };
  const c = index.coefficient(TID);
  // (atoms the same across the warp, `chunk / per_cloud` of a block's chunk, leave the lane's coefficient the distance)
  if (!laneAtom(index) && !c.unknown && c.terms.size > 0) {
    if (c.isConstant) return { text: `${Math.abs(c.constant)} elements (${Math.abs(c.constant) * bytes} bytes)`, term: threadTerm(c), constant: Math.abs(c.constant) };
    return { text: elementsText(c), term: threadTerm(c), constant: null, by: c.toString() };
  }
  // (a border select whose arms step alike with the lane, `r == rows - 1 ? idx : idx + cols` with `idx = r * cols + c`:
  // that step, as written, not its value under a sample's sizes)
  const arms = selectStep(index);
  if (arms) return { text: elementsText(arms), term: threadTerm(arms), constant: null, by: arms.toString() };
  const stride = counts[0].stride;
  if (stride !== null && counts.every((k) => k.stride === stride)) return { text: `${Math.abs(stride)} elements (${Math.abs(stride) * bytes} bytes)`, term: null, constant: Math.abs(stride) };
  // `((x + shift) % W) * H`: the atom moves with the lane, its coefficient is the distance
  for (const sym of index.symbols()) {
    const d = atomDef(sym);
    if (!d || !d.args.some((p) => p.dependsOn((t) => t === TID))) continue;
    // the atom that steps with the lane (`idx % T`), not one that is the same across the warp (`idx / (T*T)`)
    // (by one a lane, `idx % T`, or by a few, `(idx * 4) % col` of a thread per float4: the distance is the step times its coefficient)
    const v = laneValues(Poly.sym(sym), SAMPLES[0]);
    const step = v && v.length > 1 ? v[1] - v[0] : 0;
    if (!v || step <= 0 || v.filter((x, i) => i > 0 && x - v[i - 1] === step).length < 16) continue;
    const k = index.coefficient(sym).scale(step);
    if (k.unknown || k.terms.size === 0 || k.dependsOn((t) => t === TID)) continue;
    // its coefficient is the lanes' distance only when the rest of the index is the same across the warp: in
    // `(tid / 2) * K + tid % 2` (two lanes per row) the pairs sit a row apart, however the pair's own lanes step
    const rest = laneValues(index.without(sym), SAMPLES[0]);
    if (!rest) continue;
    if (rest.some((x) => x !== rest[0])) {
      const groups = laneGroups(index, v, rest, bytes);
      if (groups) return groups;
      continue;
    }
    if (k.isConstant) return { text: `${Math.abs(k.constant)} elements (${Math.abs(k.constant) * bytes} bytes)`, term: null, constant: Math.abs(k.constant), atom: sym };
    return { text: elementsText(k), term: null, constant: null, by: k.toString(), atom: sym };
  }
  return { text: 'irregular distances', term: null, constant: null };
}

/** The lane's step, symbolic, shared by both arms of the one `?:` an index is (plus what the lanes share), else null. */
function selectStep(index: Poly): Poly | null {
  const atoms = [...index.symbols()].filter((s) => atomDef(s)?.op === '?:');
  if (atoms.length !== 1 || index.coefficient(TID).terms.size > 0) return null;
  const coefficient = index.coefficient(atoms[0]);
  const [, , a, b] = atomDef(atoms[0])!.args;
  if (!a || !b || !coefficient.isConstant || coefficient.constant !== 1 || laneAtom(a) || laneAtom(b)) return null;
  const [ca, cb] = [a.coefficient(TID), b.coefficient(TID)];
  return !ca.unknown && ca.terms.size > 0 && !ca.isConstant && ca.equals(cb) ? ca : null;
}

/** The CSR row start (`rowptr[row]`, a 'segment' atom) an index walks from, when it differs per lane. */
const csrRow = (p: Poly): AtomDef | undefined =>
  [...p.symbols()].map((s) => atomDef(s)).find((d) => d?.op === 'segment' && d.args[0].dependsOn((t) => t === TID || laneAtom(Poly.sym(t))));

/** Whether an atom of `p` (`/`, `%`, `min`, ...) takes the lane's index, directly or through another atom. */
const laneAtom = (p: Poly): boolean => p.hasAtoms && [...p.symbols()].some((s) => atomDef(s)?.args.some((a) => a.dependsOn((t) => t === TID) || laneAtom(a)) ?? false);

/**
 * Lanes in groups along a row, the groups a row apart (`(tid / 2) * K + tid % 2`, two lanes per row of a GEMV): the
 * group's size is the period of the atom that steps with the lane, the distance the coefficient of the quotient.
 */
function laneGroups(index: Poly, steps: readonly number[], rest: readonly number[], bytes: number): ReturnType<typeof describeStride> | null {
  const size = steps.indexOf(steps[0], 1);
  if (size < 2 || size >= 32 || rest.some((x, i) => x !== rest[i - (i % size)])) return null;
  for (const sym of index.symbols()) {
    const d = atomDef(sym);
    if (d?.op !== '/' || !d.args[0]?.dependsOn((t) => t === TID)) continue;
    // (the quotient that tells the groups apart, `lane / 4`, not one the same across the warp, `warp / WARPS_N`)
    const q = laneValues(Poly.sym(sym), SAMPLES[0]);
    if (!q || q.every((x) => x === q[0])) continue;
    const k = index.coefficient(sym);
    if (k.unknown || k.terms.size === 0 || k.dependsOn((t) => t === TID)) continue;
    const apart = k.isConstant ? `${Math.abs(k.constant)} elements (${Math.abs(k.constant) * bytes} bytes)` : elementsText(k);
    return { text: `in groups of ${size} lanes, the groups ${apart}`, term: null, constant: null, ...(k.isConstant ? {} : { by: k.toString() }) };
  }
  return null;
}

/**
 * A walk down a matrix diagonal: the thread is both row and column (`mat[i * ld + i]`, lanes `ld + 1` apart),
 * or the diagonal of packed triangular storage (`mat[(i + 1) * (i + 2) / 2 - 1]`, each lane one further than the
 * last), with no loop moving it. One element per row is the access itself, no remapping of threads coalesces it,
 * and the kernel moves n elements of an n x n matrix.
 */
function diagonalWalk(index: Poly): boolean {
  // (a loop moving along the row from the diagonal, `G[j1 * cols + j2]` for `j2 = j1 ...`, walks a row)
  if (index.dependsOn((s) => s.startsWith('#loop'))) return false;
  const unit = index.coefficient(TID);
  // (exactly `ld + 1`: a padded row, `W + 2`, is a row walk)
  if (!index.hasAtoms) {
    const row = [...unit.symbols()];
    return !unit.unknown && Math.abs(unit.constant) === 1 && row.length === 1 && symbolKind(row[0]) === 'uniform' && unit.coefficient(row[0]).isConstant && unit.coefficient(row[0]).constant === 1;
  }
  const v = laneValues(index, SAMPLES[0]);
  if (!v || v.length < 3) return false;
  const steps = v.slice(1).map((x, k) => x - v[k]);
  return steps.every((d, k) => d > 0 && (k === 0 || d - steps[k - 1] === steps[1] - steps[0])) && steps[1] > steps[0];
}

/** Consecutive lanes, consecutive elements. */
function coalescedRow(a: AccessFact): boolean {
  const unit = a.indices[0].coefficient(TID);
  return !a.indices[0].hasAtoms && unit.isConstant && Math.abs(unit.constant) === 1;
}

/** Segments at least this long (elements) are a scan's or a reduction's blocks, not records of fields. */
const MIN_SEGMENT = 32;

/**
 * The last element of each segment of a constant length (a two-level scan's `d_Dst[(4 * TB) - 1 + (4 * TB) * pos]`,
 * reading the totals the block scans left at their ends): one element per segment is the access itself, no remapping
 * of threads coalesces it, and it moves 1 / S of what the kernels around it do. (A length the launch passes, `x[i * n + n - 1]`
 * with n = 256, is a matrix's last column: a row, not a segment a kernel made.)
 */
function segmentEnds(a: AccessFact, index: Poly, fn: FunctionFacts): boolean {
  // (the length as written, before the launch's values: a constant of the source)
  const written = fn.accesses.find((r) => r.range.start.line === a.range.start.line && r.range.start.column === a.range.start.column);
  if (!written || !written.indices[0]?.coefficient(TID).isConstant) return false;
  const s = index.coefficient(TID);
  if (index.hasAtoms || !s.isConstant || s.constant < MIN_SEGMENT) return false;
  const S = s.constant;
  const inSegments = [...index.terms].every(([m, v]) => m === '' || v % S === 0);
  return inSegments && ((index.constant % S) + S) % S === S - 1;
}

/** Multipliers of the thread index this large are a hash's, not a row pitch's (a pitch is a size: below 2^16 here). */
const HASH_MULTIPLIER = 1 << 16;

/** An index taken modulo a size after multiplying the thread index by a hash constant. */
function hashedIndex(index: Poly): boolean {
  return index.dependsOn((s) => {
    const d = atomDef(s);
    if (!d || d.op !== '%') return false;
    const c = d.args[0].coefficient(TID);
    return c.isConstant && Math.abs(c.constant) >= HASH_MULTIPLIER;
  });
}

/** fp32 operations a GPU does in the time it moves one byte (~60 per 4-byte word: H100/H200 ratio of FLOP/s to bytes/s). */
const OPS_PER_BYTE = 15;

/** `sectors`, when given, gets each reported access's sectors per warp request, by its position (a sweep compares them). */
/**
 * A halo or ghost-cell exchange (`update_halo_left_right`, `fill_ghost_cells`), or a boundary-condition kernel (Stam's
 * `set_bnd`, `setBoundary`): a left or right edge is a column of a row-major field, O(N) cells beside the O(N²) sweeps.
 */
const HALO = /(?:halo|ghost)[_-]?(?:exchange|update|copy|fill|pack|unpack|cells?)|(?:exchange|update|copy|fill|pack|unpack)[_-]?(?:halo|ghost)|^set_?(?:bnd|boundary|boundaries)$/i;

function check(fn: FunctionFacts, bindings: Bindings, sectors?: Map<string, number>, strideParams?: ReadonlySet<string>): RuleFinding[] {
  // (a thread per row copying its row's few edge cells: any mapping touches one sector per row, and the kernel moves
  // O(rows) bytes beside the O(rows × columns) stencils of the step)
  if (fn.isKernel && HALO.test(fn.name)) return [];
  // (nor a kernel launched every so many steps, or only as a benchmark's set-up or check: a CSR-to-COO expansion once
  // before the clocks start is a sliver of the run)
  if (fn.isKernel && fn.rarelyLaunched) return [];
  const out = new AlikeFindings();
  // (a 16-byte pack's element count the build leaves open, `x128::size` of `Packed128<floatX>`: judged at 4, the fp32
  // build's, whose lanes are the fewer sectors apart; a thread's run over the pack, `k < x128::size`, counted the same)
  const packs = new Map<string, number>();
  for (const a of fn.accesses) for (const p of a.indices) for (const x of p.symbols()) if (!packs.has(x) && OPEN_PACK.test(x) && !bindings.has(x)) packs.set(x, 4);
  if (packs.size) bindings = new Map([...bindings, ...packs]);
  const accesses = boundAccesses(fn, bindings);
  const globals = accesses.filter((a) => a.space === 'global' && a.indices.length === 1);
  const blockX = warpRowWidth(fn, bindings);
  const hot = mainLoops(fn, accesses, boundByLaunches(bindings, fn.params.map((p) => p.name)));
  // short loops that may walk a thread's record, its own and its helpers'
  // (a loop over the block's extent every launch fixes, `k < blockDim.y` with blocks of (32, 4), is as short as a literal one)
  const launchTrips = (l: LoopFact): LoopFact => {
    const v = l.trips === undefined && l.bound && (/^blockDim\.[xyz]$/.test(l.bound.trim()) || packs.has(l.bound.trim())) ? bindings.get(l.bound.trim()) : undefined;
    const step = l.step?.isConstant ? l.step.constant : 0;
    return v !== undefined && l.kind === 'for' && l.init?.isConstant && step > 0 ? { ...l, trips: Math.max(0, Math.ceil((v - l.init.constant) / step)) } : l;
  };
  // (each access a helper makes lists the helper's loops: once each here, or a loop's steps would count again for every one)
  const recordLoops = [...new Map([...fn.loops, ...globals.flatMap((g) => g.helperLoops ?? [])].map((l) => [l.symbol, l])).values()].map(launchTrips);
  // a kernel that reads nothing from global memory fills its output from indices and constants:
  // set-up (`A[i*order + j] = i` before the timed loop), run once
  // (reads through a texture, `tex2D<float>(tex, x, y)`, are reads: boxFilter's row pass writes what it filtered)
  if (fn.isKernel && !accesses.some((a) => a.space === 'global' && (a.kind === 'load' || a.kind === 'update')) && !fn.calls.some((c) => TEXTURE_READ.test(c.name))) return [];
  // a loss over dense targets (`target[b * classes + c]` beside `predict[...]`, a thread per sample): once a training
  // step over the network's output, a small buffer beside what every layer streams
  if (fn.isKernel && readsDenseTargets(fn)) return [];
  // every launch is less than a warp (`<<<1, block.x / SEGM>>>` of 4 threads) whose threads touch a few elements each:
  // a demo with no warp to coalesce. (A thread that loops over a run-time length moves more.)
  // (a convolution's usual shape and the kernel's strides arrays, read once the first access needs them)
  let shape: Map<string, number> | undefined;
  let axes: Map<string, number> | undefined;
  if (fn.subWarp && globals.every((a) => a.loops.every((id) => (fn.loops.find((l) => l.id === id)?.trips ?? Infinity) <= 16))) return [];
  // a thread per item of a batch that every launch gives a few dozen items (`if (b >= batch) return;` with 64 samples),
  // each walking a few elements (its loops short at every launch, 10 classes): a few KB in all, whatever the layout
  // (every bound the thread indices are checked against, `b < batch && i < in`: the grid's threads are their product)
  const bounds = fn.indexBounds ?? (fn.indexBound ? [fn.indexBound] : []);
  // (not a template argument: `threadIdx.x < R` with R = 64 checks a block's lanes, not the grid's threads)
  const values = bounds.map((b) => (fn.templateParams.includes(b) ? undefined : fn.launchValues?.[b]));
  const threads = values.length && values.every((v) => v !== undefined) ? values.reduce((m, v) => m! * v!, 1) : undefined;
  // (the loops that move global memory: a block's tree reduction over `__shared__` partials moves none)
  const fewSteps = fn.loops.filter((l) => globals.some((a) => a.loops.includes(l.id))).every((l) => !l.gridStride && (tripsAtLaunch(l, fn) ?? Infinity) <= FEW_STEPS);
  if (threads !== undefined && threads <= FEW_ITEMS && fewSteps) return [];
  // (the same with no count checked: every launch is one block, `<<<1, BATCH>>>`, whose threads each walk a few
  // elements at every launch: at most a thousand threads of a few steps, launch-bound whatever the layout)
  // (the steps of each access's loops multiplied: two nested loops of 16 are 256 elements a thread)
  const fewElements = globals.every((a) => a.loops.reduce((n, id) => n * (tripsAtLaunch(fn.loops.find((l) => l.id === id)!, fn) ?? Infinity), 1) <= FEW_STEPS);
  if (!bounds.length && fn.singleBlock && fewSteps && fewElements && globals.some((a) => a.loops.length > 0)) return [];
  // a kernel that checks no count, whose every launch fixes its blocks and its loops' extents to a small product (a
  // merge of per-block partials: a block per bin summing 240 partial histograms, `d_Partial[blockIdx.x + i * BINS]`): a few
  // hundred KB in all beside the stream that made them, whatever the layout
  // (the threads of a block split each loop, `i = tid; i < count; i += BLOCK`: the product counts every element once)
  const splitByThreads = (l: LoopFact | undefined) => !!l && (l.blockStride || (!!l.init && !l.init.unknown && l.init.coefficient(TID).isConstant &&
    l.init.coefficient(TID).constant === 1 && !!l.step?.isConstant && l.step.constant >= 32));
  const blockSplit = (a: AccessFact) => a.loops.length > 0 && a.loops.every((id) => splitByThreads(fn.loops.find((l) => l.id === id)));
  if (fn.smallProblem && bounds.length === 0 && globals.some((a) => a.loops.length > 0) && globals.every((a) => !a.loops.length || blockSplit(a))) return [];
  let tinyKernel: boolean | undefined;
  for (const a of globals) {
    // (a row or column clamped at the edges moves as the unclamped one away from them)
    const index = declamped(a.indices[0]);
    if (index.unknown || a.singleLane) continue; // unknown, or a request only one lane makes
    // the scalar remainder of a chunked loop (`else { for (j < remaining) ... }`): the last chunk of a row takes it, once
    if (a.chunkTail) continue;
    // a thread per sequence of a batch (`if (index < batch_size)`): a few KB whatever the layout
    if (a.perSequence) continue;
    // the same address for the whole warp: a broadcast (a warp spans threadIdx.y too when blockDim.x < 32)
    if (!index.dependsOn((s) => s === TID || (!!blockX && s === 'threadIdx.y'))) continue;
    // the scalar tail of a vectorized kernel: the array is also moved as vectors here,
    // and only the thread at the end takes the scalar path
    if (!a.vector && accesses.some((b) => b.array === a.array && b.vector)) continue;
    // once per thread next to a main loop that moves the kernel's data (a per-block readout, an epilogue); a store also
    // after a loop each thread runs alone over a tile staged in shared memory (NMS: 64 IoU tests, then one mask word).
    // (A load that stages such a tile strided, `tile[ty][tx] = A[col * n + row]`, is still the kernel's one global read,
    // and a block scan's store after its synced loop is the block's only output: both reported.)
    if (hot.outside(a, 'space') || (a.kind !== 'load' && hot.outside(a, 'private'))) continue;
    // once per thread of a quarter warp at most (`if (threadIdx.x < 8)`, a setup step): a few sectors a block
    if (!a.loops.length && !a.helperLoops?.length && a.activeLanes !== undefined && a.activeLanes <= 8) continue;
    // a handful of the first lanes (`if (tid < 16)`), once per block, beside accesses the whole block makes: a per-block readout
    if (a.activeLanes !== undefined && a.activeLanes <= 16 && !a.loops.length && globals.some((b) => b !== a && b.activeLanes === undefined && !b.singleLane && b.indices[0].dependsOn((s) => s === TID))) continue;
    // a per-channel parameter the threads reach through a remainder (`gamma[c]`, `c = (ng % G) * cpg + i / HW`): a few KB in L1
    if (perChannelParameter(a, fn.loops)) continue;
    // a kernel that only touches arrays whose literal extents make a few KB (`float preact[6][24][24]`): launch-bound,
    // whatever its lanes pick, its atomics too (a pooling layer's 3,456 adds into 864 floats ran 3.6 µs on an H100,
    // 3.0 µs with no atomics at all)
    if (tinyKernel ??= onlySmallFixedArrays(fn, globals)) continue;
    // the common case needs no lanes: consecutive threads, consecutive elements
    if (!index.hasAtoms && !blockX) {
      const unit = index.coefficient(TID);
      if (unit.isConstant && Math.abs(unit.constant) === 1) continue;
    }
    const assumedWidth = a.elemBits === null;
    // (`T` built as `float` and `double`, `real` under an undecided `#if`: judged at the 32-bit build, and said so)
    // (llm.c's `floatX`, bf16 in the build without -D flags: counted at that build, and said so)
    const bytes = (defaultBuildBits(a) ?? 32) / 8;
    // (a warp of blocks smaller than one, `dim3(4, 4)`: the block's 16 threads)
    const lanes = a.activeLanes ?? fn.warpThreads;
    const counts = sectorCounts(index, bytes, TID, blockX, lanes);
    // within 2x of ideal under some sizes, or 2 sectors at most (a half-warp broadcast in 16x16 blocks): not worth a warning
    const worthIt = (ks: SectorCount[] | null) => !!ks && ks.every((k) => k.sectors >= 2 * k.minimum && k.sectors > 2);
    if (!counts || !worthIt(counts)) continue;
    // once per thread after arithmetic that outweighs the extra sectors (a polygon IoU in a helper, then one
    // store): a GPU does ~15 fp32 operations in the time it moves a byte, so the wasted bytes cost less than the work
    // (the kernel's arithmetic shared among its global accesses: index math counts too, and a kernel of 300 accesses is no compute)
    if (!a.loops.length && !a.helperLoops?.length && fn.arithmetic / globals.length >= OPS_PER_BYTE * Math.max(...counts.map((k) => k.sectors - k.minimum))) continue;
    // a convolution's or pooling window's shape (`stride`, `pad`, `ksize`; `sw`, `pw`, `kw`) is a few elements, not a
    // row: with its usual values (stride 1, pad 1, a 3-wide window) col2im's and pooling's lanes walk one element apart
    // and a layout's per-axis strides read from an array (`src_s[3]` of `src_s[0..3]`): the innermost is 1 when contiguous
    const usual = new Map([...(shape ??= convShape(fn)), ...innermostStrides((axes ??= strideAxes(fn)), index)]);
    if (usual.size && !worthIt(sectorCounts(bindSymbols(index, usual), bytes, TID, blockX, lanes))) continue;
    // (and a thread's own filter slice, `w[i*ksize*ksize + y*ksize + x]` over `x, y < ksize`: 9 weights read whole)
    if (shape.size && windowWalkedWhole(a, globals, recordLoops, shape)) continue;
    // `Y[OFFY + i*INCY]`: a strided BLAS vector is the caller's choice, and 1 in practice
    const unit = index.coefficient(TID);
    if (!unit.unknown && unit.terms.size === 1 && !unit.isConstant && BLAS_INCREMENT.test(unit.toString())) continue;
    // `idx_d * src_stride.d_stride_cache`: a layout descriptor's stride for the axis the lanes run along, which
    // generic permute and copy kernels take for every axis (the innermost one is 1 at run time, as a BLAS increment)
    if (!unit.unknown && unit.terms.size === 1 && !unit.isConstant && LAYOUT_STRIDE.test(unit.toString())) continue;
    // `w[i * sw]` with `t.stride(0)` passed for `sw` at every launch, and no loop walking another axis: one value per
    // thread of a column or broadcast view (stride 1, or 0 when expanded), not a row the thread walks
    if (!unit.unknown && unit.terms.size === 1 && !unit.isConstant && strideParams?.has(unit.toString()) && !index.dependsOn((s) => s.startsWith('#loop'))) continue;
    // a sliding window wider than the lanes' spacing (`x[m * D - k]` over `k < ntaps`, a decimating FIR): the
    // neighbours' windows overlap, so the sectors one step skips are the next steps' and stay in L1; staging the
    // window in shared memory is tiling's advice, not remapping the lanes
    if (slidingWindow(a, index, unit, bytes, fn.loops, fn.launchValues)) continue;
    const stride = describeStride(index, counts, bytes);
    // `d_id * stride_d` in a kernel that takes a stride for every axis (`stride_s, stride_b, stride_h, stride_d`,
    // a PyTorch tensor's `.stride(i)`): the lanes' axis is the caller's innermost one, 1 for a contiguous tensor
    // (also reached through `i0 = ir % n_embd`: the lanes on axis 0 still)
    if (stride.by && axisStrideOf(fn, stride.by)) continue;
    // `data_im[... + w_out*stride - pad]` in im2col: lanes a convolution's stride apart (1 or 2), not a row apart
    if (stride.by && CONV_STRIDE.test(stride.by) && fn.params.some((p) => namesConvWindow(p.name))) continue;
    // `src_h = (size_t)(dst_h * h_scale)`: lanes a floating-point scale apart (a resampler's factor, 0.5 to 2), not a row
    if (stride.by && (stride.by.match(/[A-Za-z_]\w*/g) ?? []).some((name) => fn.params.some((p) => p.name === name && !p.pointer && FLOAT_TYPES.has(p.type)))) continue;
    // most fields of records of up to 16 elements read together (`dL_dconics[4*idx]`, `[4*idx + 1]`, `[4*idx + 3]`;
    // `scratch[off + 0..7]` of 9; `covars[i * 2 + j]` over `i, j < 2`): the sectors fetched are mostly used, within
    // twice what the bytes need. A record stored is left alone when it is written whole (every byte of its sectors
    // is data: an output layout such as `rays[idx * 6 + 0..5]`), or mostly, up to 16 bytes a record. (On an H200 a
    // 9-float record written whole in a pure copy cost 5.9x nine separate arrays, bench/gpu/chunks: real, but in
    // kernels that compute each record it is mostly hidden, and the layout is usually the API's; not reported.)
    if (stride.constant !== null) {
      // (a loop that moves another array's chunk in step, `y[base + j] = f(x[base + j])`, is a blocked elementwise
      // layout the kernel chose: the striped one coalesces, so those steps do not count as fields of a record)
      const record = chunkedStream(a, globals, fn.loops) ? [] : recordLoops;
      // (a store's record is written whole by its stores: loads of the other fields fill no hole)
      const covered = residuesCovered(a, stride.constant, a.kind === 'load' ? globals : globals.filter((g) => g.kind !== 'load'), record);
      // (a record whose fields the kernel reads whole and writes at least half of, nbody's `p[i].x += p[i].vx * dt` for
      // x, y and z: its sectors are fetched whole for the reads, and the writes land in them)
      const readWhole = a.kind !== 'load' && residuesCovered(a, stride.constant, globals.filter((g) => g.kind !== 'store'), record) === stride.constant;
      const mostly = covered >= 2 && covered * 2 >= stride.constant && (a.kind === 'load' || stride.constant * bytes <= 16 || readWhole);
      if (covered === stride.constant || mostly) continue;
    }
    if (stride.constant === null && siblingsFillSectors(a, bytes, globals, blockX, recordLoops)) continue; // irregular lanes, whole sectors together
    // a thread's own record of the experts its token is routed to, walked whole (`w[token * topk + k]` for `k < topk`):
    // 2 to 8 floats, the warp's records contiguous, L1 serves the rest
    if (topkRecord(a, stride, fn.loops)) continue;
    if (stride.constant === null && fieldsOfRecord(a, index, globals, fn.loops)) continue;
    if (samplingStep(index, stride, fn)) continue;
    if (diagonalWalk(index) || segmentEnds(a, index, fn)) continue;
    // a column read once per thread beside the tile rows the kernel's loops move coalesced (the halo column of a
    // wavefront tile), or beside a 2-D kernel's sweep in each host loop step (an elimination's pivot column beside the
    // trailing update): a sliver no mapping of threads coalesces
    const once = !a.loops.length && !a.helperLoops?.length;
    if (once && picksColumn(index, bytes) && (fn.besideSweep || globals.some((b) => b !== a && b.loops.length && coalescedRow(b)))) continue;
    // `(i * 56924617 + j * 19349663) % N`: a hash picks the element (random sampling), a gather no layout coalesces
    if (hashedIndex(index)) continue;
    // `scale[threadIdx.x * scale_is_vector]`: a 0/1 flag (a vector or one broadcast value), not a row length
    if (stride.by && FLAG_NAME.test(stride.by)) continue;
    // lanes a batch apart (`output_ids[step * batch_size + b]`, ids kept [step, batch]): coalesced at batch 1, a few KB
    if (stride.by && countsSequences(stride.by)) continue;
    // uniform symbols the verdict rests on (`N*threadIdx.x`, `tid % T`): say so
    const symbolic = [...index.symbols()].filter((s) => symbolKind(s) === 'uniform' && index.coefficient(s).dependsOn((t) => t === TID || t.startsWith('#op')));
    const inAtoms = index.hasAtoms ? [...new Set([...index.symbols()].flatMap((s) => uniformsIn(s)))] : [];
    // a template parameter that multiplies the thread index (`t_col * TN`, `(K / T) * tx`) is set at the launch: unknown here
    if (symbolic.some((x) => fn.templateParams.includes(x) || (displaySymbol(x).match(NAMES) ?? []).some((n) => fn.templateParams.includes(n)))) continue;
    // (a pitch made of several sizes, `6*levels` or `C*C`, is assumed long as a whole: it need not be each factor)
    const pitch = !unit.unknown && !unit.isConstant && !inAtoms.length && (unit.terms.size > 1 || [...unit.terms.keys()].some((k) => k.includes('*')) || [...unit.terms.values()].some((c) => c !== 1)) ? stride.by : undefined;
    const sizes = pitch ? [pitch] : laneSizes(index, !!blockX).map(displaySymbol);
    const row = csrRow(index);
    const confidence: RuleFinding['confidence'] = sizes.length || assumedWidth || row ? 'likely' : 'proven';
    const assumptions = [a.activeLanes
      ? `only the block's first ${a.activeLanes} threads pass the guard around it: one warp request of ${a.activeLanes} lanes`
      : turned(fn) ? ALONG_Y
      // (a launch's narrow block: the lanes were laid out as its rows)
      // (the launches may be another file's, one that includes this header: not said where; nor twice, where the bound
      // template values already give the block)
      : blockX ? `a warp is ${narrowWarp(fn, blockX, /`blockDim\.x`/.test(a.boundAt ?? '') ? '' : ` (blockDim.x is ${blockX} at every launch)`)}`
      : 'assumes blockDim.x spans at least a warp, so a warp is 32 consecutive threadIdx.x values'];
    if (sizes.length) assumptions.push(`assumes ${sizes.map((x) => `\`${x}\``).join(', ')} ${sizes.length > 1 ? 'are' : 'is'} at least 32 at run time`);
    const narrowed = narrowing([a], fn.templateParams);
    if (narrowed) assumptions.push(`assumes \`${a.elemType}\` is \`${narrowed.chosen.join('` or `')}\` (${narrowed.why})`);
    else if (bytes * 8 !== a.elemBits && a.elemDefault) assumptions.push(`counts \`${a.elemType}\` as \`${a.elemDefault}\`, the build without -D flags (an undecided \`#if\` makes it ${a.elemAlternatives!.map((t) => `\`${t}\``).join(' or ')})`);
    if (assumedWidth) assumptions.push(`assumes \`${a.elemType ?? 'the element'}\` is 32 bits wide`);
    if (row) assumptions.push(`assumes the rows hold ${SEGMENT_SPREAD} or more elements on average (a sparse matrix's rows usually hold tens)`);
    const bound = boundAssumption(a, fn.name, bindings);
    if (bound) assumptions.push(bound);
    const worst = counts.reduce((m, k) => (k.sectors > m.sectors ? k : m));
    // (the count at the sizes tried, power-of-two and odd, where it depends on them: `height` a multiple of 8 or not)
    const fewest = counts.reduce((m, k) => (k.sectors < m.sectors ? k : m), worst);
    const touched = fewest === worst ? `${worst.sectors}` : `${fewest.sectors} to ${worst.sectors}`;
    let advice = 'Map threadIdx.x to the contiguous (last) index, or stage the tile through shared memory and write it out transposed.';
    const found = stride.constant !== null ? perThreadRun(a, fn) : undefined;
    // `j < VEC` with VEC bound at the launch reads as `j < 4`
    const run = found?.bound && bindings.has(found.bound.trim()) ? { ...found, bound: String(bindings.get(found.bound.trim())) } : found;
    // how many consecutive elements the thread's own loop walks (`j < TN` with TN a constant: 8)
    const walked = run ? run.trips ?? (run.bound && /^\d+$/.test(run.bound) && run.init?.isConstant ? Number(run.bound) - run.init.constant : null) : null;
    const walksWholeChunk = walked !== null && walked === stride.constant;
    // vectors a thread walks as its own contiguous chunk (`*(inputs_ptr + ic_0)` over float4s, ic_0 < 4):
    // the warp's footprint is dense across the loop, and the accesses are already wide
    if (a.vector && walksWholeChunk) continue;
    // a helper inlined at one call reports once there
    if (out.has(a.range.start.line, a.range.start.column)) continue;
    if (run && stride.constant !== null && stride.constant * bytes <= 16) {
      const span = stride.constant * bytes;
      // the thread's own loop walks its whole chunk of ≤ 16 bytes: the warp uses every sector across the
      // loop, and one vector per thread is the fix (vectorization/vector-memory-access says so)
      if (walksWholeChunk) continue;
      const vec = span === 16 ? 'float4, int4 or uint4' : span === 8 ? 'float2 or uint2' : span === 4 ? 'uchar4 or a 32-bit word' : `a ${span}-byte type`;
      advice = `Each thread walks ${walked ?? stride.constant} of its ${stride.constant} consecutive elements in the \`${run.variable ?? 'inner'}\` loop: load the ${span} bytes as one vector per thread (${vec}), or let consecutive threads take consecutive elements and stride the loop by the block size.`;
    }
    // a thread per CSR row: a warp (or a few lanes) per row reads each row's elements together
    if (row) advice = `Give each row a warp, or a group of lanes sized to the rows' length (CSR-vector): the lanes read consecutive elements of the row and combine their partial results with warp shuffles.`;
    // a strided pick (one column of each row): no mapping of threads helps, the layout does
    if (!a.field && stridedPick(a, index, globals, bytes)) advice = `Nothing else in the kernel ${a.kind === 'load' ? 'reads' : 'writes'} the elements between the lanes, so no mapping of threads fetches fewer sectors: keep \`${a.array}\` so that these elements are contiguous (transposed, or as an array of their own), or move this ${a.kind === 'load' ? 'read' : 'write'} into the kernel that ${a.kind === 'load' ? 'produces' : 'consumes'} the data.`;
    // an array of structures: the record's size is the stride, and the layout is the fix
    if (a.field) advice = `\`${a.array}\` is an array of \`${a.field.record}\` records (${a.field.bytes} bytes each), of which this ${a.kind === 'load' ? 'read' : 'write'} uses one field: keep the fields the kernel touches as separate arrays (a structure of arrays), or move each record whole (one 16-byte access per thread where it fits).`;
    const verb = a.kind === 'load' ? 'reads' : a.kind === 'store' ? 'writes' : 'updates';
    sectors?.set(at(a), worst.sectors);
    out.add(`${a.array}|${stride.text}`, a.array, {
      range: a.range,
      function: fn.name,
      confidence,
      assumptions,
      message: `\`${a.text}\`${a.helper ? ` in \`${a.helper}\`` : ''} ${verb} ${row ? `a CSR row per thread (from \`${row.display}\`)` : `with threads ${stride.text} apart`}: ${touched} sectors per warp instead of ${worst.minimum}`,
      detail: detail(
        `${stride.term && !a.field ? `threadIdx.x enters the index as \`${stride.term}\`, so consecutive` : 'Consecutive'} threads of a warp ${verb === 'reads' ? 'read' : verb === 'writes' ? 'write' : 'update'} global memory ${stride.text} apart, and each warp request touches ${touched} 32-byte sectors${fewest === worst ? '' : ' (by the sizes)'} where ${worst.minimum} would do.`,
        advice,
      ),
      benefit: 'memory transactions for this access drop by up to the stride (8x for 32-bit elements); on an H200, moving threadIdx.x to the contiguous dimension of a naive 4096³ SGEMM measured 5.31x, and a shared-memory tiled transpose 3.01x over the naive one',
    }, `\`${a.text}\` ${verb} with the same stride`);
  }
  return out.list();
}

/**
 * A thread's whole convolution window (`w[i*ksize*ksize + y*ksize + x]` over `y, x < ksize`): with the window's usual
 * size (3) the lanes are a record of 9 apart and the loops walk every field of it, as for a record of a constant size.
 */
function windowWalkedWhole(a: AccessFact, globals: readonly AccessFact[], loops: readonly LoopFact[], shape: ReadonlyMap<string, number>): boolean {
  const bind = (p: Poly) => bindSymbols(p, shape);
  const pitch = bind(a.indices[0]).coefficient(TID);
  if (pitch.unknown || !pitch.isConstant || Math.abs(pitch.constant) < 2 || Math.abs(pitch.constant) > MAX_RECORD) return false;
  // (a loop up to a window parameter, `x < ksize` from 0 by 1, runs its usual number of steps)
  const sized = loops.map((l) => {
    const n = l.trips === undefined && l.bound !== null && l.init?.isConstant && l.init.constant === 0 && l.step?.isConstant && l.step.constant === 1 ? shape.get(l.bound.trim()) : undefined;
    return n === undefined ? l : { ...l, trips: n + (l.inclusive ? 1 : 0) };
  });
  const bound = (b: AccessFact) => ({ ...b, indices: b.indices.map(bind) });
  return residuesCovered(bound(a), Math.abs(pitch.constant), globals.filter((g) => g.array === a.array).map(bound), sized) === Math.abs(pitch.constant);
}

/**
 * `inputs += b * D; x = inputs[0]; y = inputs[1]; z = inputs[2]`: a record of `D` values read field by field
 * at literal offsets 0, 1, ... k-1 and nowhere else (no loop walks it). Such a pitch is the record's width,
 * the fields the code names (xyz: 3), not a row of 32 or more: the warp's sectors are used whole.
 */
function fieldsOfRecord(a: AccessFact, index: Poly, all: readonly AccessFact[], loops: readonly LoopFact[]): boolean {
  const pitch = index.coefficient(TID);
  if (pitch.unknown || pitch.isConstant || pitch.terms.size !== 1) return false;
  const same = all.filter((b) => b.array === a.array && b.indices.length === 1 && !b.indices[0].unknown);
  // (a grid-stride loop moves the thread to its next record whole: `points + index * num_features` in CUDA_KERNEL_LOOP)
  const nextRecord = new Set(loops.filter((l) => l.gridStride).map((l) => l.symbol));
  if (same.some((b) => !b.indices[0].coefficient(TID).equals(pitch))) return false;
  const deltas = same.map((b) => b.indices[0].sub(index));
  if (deltas.some((d) => !d.isConstant)) return false;
  const offsets = new Set(deltas.map((d) => d.constant));
  const low = Math.min(...offsets);
  // (a pointer a loop steps by the record, `xyzs += 3` after `xyzs[0..2]`: the thread writes its records one after another)
  const byRecord = (s: string) => {
    const c = index.coefficient(s);
    return nextRecord.has(s) || (s.endsWith("'") && c.isConstant && c.constant === offsets.size);
  };
  if (index.dependsOn((s) => s.startsWith('#loop') && !byRecord(s))) return false;
  // the fields 0 .. k-1 of the record, each read (2 <= k <= 16, as for a record of a constant size)
  return offsets.size >= 2 && offsets.size <= MAX_RECORD && [...offsets].every((o) => o - low < offsets.size);
}

/**
 * `out[i*sample + w2*(j*sample + ...)]` with `i = id % minw`: the lanes walk the innermost
 * coordinate of a flat index the kernel took apart, and nothing else here moves by one
 * element. So the multiplier is a step inside a row (a resampling stride: 1 or 2 in
 * practice), not a row pitch; `key[t2*C3 + i]` with a loop over `i` is a real row walk.
 */
function samplingStep(index: Poly, stride: { atom?: string; by?: string }, fn: FunctionFacts): boolean {
  if (!stride.atom || !stride.by || atomDef(stride.atom)?.op !== '%' || !STEP_NAME.test(stride.by)) return false;
  const loopVars = new Set(fn.loops.map((l) => l.symbol));
  return ![...index.symbols()].some((s) => loopVars.has(s) && index.coefficient(s).isConstant && Math.abs(index.coefficient(s).constant) === 1);
}

/**
 * `out[i] = in[i * stride]`: a strided pick out of the array's layout (a strided view, one column of each
 * row). Nothing in the kernel touches the elements between the lanes: no other access of the array, and no
 * loop, block or other thread axis moving the index by less than the lanes' run-time distance (the `k` of
 * `A[row * K + k]` and the `y` of a transpose's `in[x * H + y]` fill those gaps: there, remapping the threads
 * is the fix). A pick's fix is the layout, or moving the access to where the data is made.
 */
function stridedPick(a: AccessFact, index: Poly, globals: readonly AccessFact[], bytes: number): boolean {
  return !globals.some((b) => b !== a && b.array === a.array) && picksColumn(index, bytes);
}

/**
 * The lanes pick one element a row, a run-time pitch apart, and nothing moves the index along a row by less than a
 * sector: every other symbol is uniform, or moves it by whole rows (a coefficient the pitch times something, `nx + 2`
 * of a padded grid too), or a block index moves it a sector or more (a 16-wide tile's column, `BS * bx`).
 */
function picksColumn(index: Poly, bytes: number): boolean {
  const pitch = index.coefficient(TID);
  if (index.hasAtoms || pitch.unknown || pitch.isConstant) return false;
  const multiple = (c: Poly) => !c.unknown && c.terms.size > 0 && quotient(c, pitch) !== null;
  const rows = (monomial: string) => monomial.split('*').some((x) => pitch.symbols().has(x));
  const sectorsApart = (c: Poly) => !c.unknown && [...c.terms].every(([m, v]) => rows(m) || Math.abs(v) * bytes >= SECTOR_BYTES);
  return [...index.symbols()].every((s) => {
    const k = symbolKind(s);
    return s === TID || k === 'uniform' || k === 'dim' || multiple(index.coefficient(s)) || (k === 'block' && sectorsApart(index.coefficient(s)));
  });
}

/** `q` with `c = pitch * q` (`blockDim.x * nx + 2 * blockDim.x` over `nx + 2` is `blockDim.x`), or null when there is none. */
function quotient(c: Poly, pitch: Poly): Poly | null {
  // divide by the pitch's term of most symbols, then check the product gives back every term
  const [lead, leadCoef] = [...pitch.terms].filter(([k]) => k !== '').sort((x, y) => y[0].split('*').length - x[0].split('*').length)[0] ?? [];
  if (lead === undefined || !leadCoef) return null;
  let q = Poly.const(0);
  for (const [k, v] of c.terms) {
    const rest = k ? k.split('*') : [];
    if (!lead.split('*').every((s) => rest.includes(s) && rest.splice(rest.indexOf(s), 1).length === 1)) continue;
    if (!Number.isInteger(v / leadCoef)) return null;
    q = q.add(rest.reduce((m, s) => m.mul(Poly.sym(s)), Poly.const(v / leadCoef)));
  }
  return q.terms.size > 0 && c.equals(pitch.mul(q)) ? q : null;
}

/** Texture and surface fetches (`tex2D<float>(tex, x, y)`, `tex1Dfetch`, `surf2Dread`): reads the accesses do not list. */
const TEXTURE_READ = /^(?:tex(?:1D|2D|3D|1Dfetch|1DLayered|2DLayered|Cubemap)(?:Lod|Grad)?|surf(?:1D|2D|3D)read)$/;

/** CUDA kernels and C/C++ loop nests one function at a time (an edit re-checks only what it changed). */
const checkCached = perFunction(
  (fn: FunctionFacts, bindings: Bindings, strides?: ReadonlySet<string>, mainComputes?: boolean) => (fn.isKernel || fn.isDevice ? check(fn, bindings, undefined, strides) : checkCpu(fn, !!mainComputes)),
  (bindings: Bindings, strides?: ReadonlySet<string>, mainComputes?: boolean) => `${bindingsKey(bindings)}|${[...(strides ?? [])].join()}|${!!mainComputes}`,
);

const at = (x: { range: RuleFinding['range'] }) => `${x.range.start.line}:${x.range.start.column}`;

/**
 * A template kernel its launches instantiate with different arguments (`k<3, 2>`, `k<3, 4>`): each set of values
 * checked, and an access reported when every one makes it uncoalesced, with the fewest sectors any of them gives.
 */
const sweepCached = perFunction(
  (fn: FunctionFacts, alts: readonly Bindings[], strides?: ReadonlySet<string>) => {
    const runs = alts.map((b) => {
      const sectors = new Map<string, number>();
      return { findings: check(fn, b, sectors, strides), sectors };
    });
    return runs[0].findings.flatMap((f) => {
      if (!runs.every((r) => r.sectors.has(at(f)))) return [];
      const least = runs.reduce((m, r) => (r.sectors.get(at(f))! < m.sectors.get(at(f))! ? r : m));
      return [least.findings.find((g) => at(g) === at(f)) ?? f];
    });
  },
  (alts: readonly Bindings[], strides?: ReadonlySet<string>) => `${alts.map(bindingsKey).join('|')}|${[...(strides ?? [])].join()}`,
);

export const rule: Rule = {
  id: 'memory/uncoalesced-access',
  languages: ['cuda', 'cpp', 'triton'],
  defaultSeverity: 'warning',
  // Triton reads the launches in the file (what a stride parameter is bound to)
  check: (facts) => {
    if (facts.language === 'triton') return tritonUncoalesced(facts);
    const untuned = untunedHosts(facts.functions, facts.project, includesCudaSource(facts)); // references, a test's expected results, set-up: CPU code nobody tunes
    const bindings = templateBindings(facts);
    const alternatives = templateAlternatives(facts);
    const strides = tensorStrideParams(facts);
    // (a host pre-pass beside a deeper product its callers run as often, a transpose before the multiply: O(n^2) of O(n^3))
    const pre = prePasses(facts.functions);
    return facts.functions.flatMap((fn) => {
      // (and a kernel kept as the oracle a tuned one is checked against, `hgemmReferenceKernel`, as the other rules leave it)
      if (untuned.has(fn.name) || pre.has(fn.name) || (fn.isKernel && isReferenceOracle(fn.name))) return [];
      const alts = fn.isKernel ? alternatives.get(fn.name) : undefined;
      if (alts) return sweepCached(fn, alts, strides.get(fn.name));
      // (blocks one thread wide: the lanes run along threadIdx.y, seen as x)
      const along = fn.isKernel ? warpAlongX(fn) : fn;
      const bound = bindings.get(fn.name) ?? NO_BINDINGS;
      return checkCached(along, along === fn ? bound : bindingsAlongX(bound), strides.get(fn.name), computesInMain(fn, facts.functions));
    });
  },
  // CUDA kernels: swap the thread roles, or stage a transpose through a padded tile (fix.ts)
  fix: fixUncoalesced,
};
