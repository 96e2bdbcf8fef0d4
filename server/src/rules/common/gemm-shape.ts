// Is it a GEMM? `kernelClass: 'gemm'` only says some loop reads two arrays at the loop index,
// which dot products and recurrences also do. The GEMM shape from index forms: in a loop over k, two loaded operands that both walk k
// and each carry an output dimension the other lacks (A[row][k] and B[k][col]: row is
// A's alone, col is B's alone). That is C[row][col] += A[row][k] * B[k][col], whether the
// dimensions come from threads, blocks, program ids, lanes or enclosing loops
// (`for c: s[c] += Qs[tx][x] * Ks[c][x]` in attention). Not a GEMM: a GEMV or a dot
// product (`x[k]` carries no dimension of its own), a row sweep (layernorm: both rows
// carry the same dimensions), and a convolution window (`in[(p + r) * W + q + t]`: an
// output position and a filter tap added on one axis, or a nest of a few constant taps, a
// 3x3 or 5x5 filter however its index is clamped; implicit GEMM is another story).
import { Poly, atomDef, isVarying, reaches, symbolKind } from '../../core/affine';
import type { AccessFact, CallFact, FunctionFacts, LoopFact } from '../../core/facts/model';
import { GEMVS, LIBRARY_KERNELS } from '../../core/facts/library';
import { keptAcrossMoves } from '../../core/facts/shift';
import { rangeHolds } from '../../core/positions';
import { withHelperLoops } from './helper-loops';
import type { Range } from '../../core/types';

export interface GemmLoop {
  loop: LoopFact;
  a: AccessFact;
  b: AccessFact;
}

/** Symbols of one loop (`#loop3:k` and variants `#loop3:...`). */
const ofLoop = (l: LoopFact) => {
  const prefix = l.symbol.split(':')[0] + ':';
  return (s: string) => s === l.symbol || s.startsWith(prefix);
};

/** Dimensions an index form runs over: threads, blocks, lanes, program ids, loops, opaque `/` and `%` of them. */
function dimensions(p: Poly): Set<string> {
  const out = new Set<string>();
  for (const s of p.symbols()) {
    const k = symbolKind(s);
    if (k !== 'dim' && k !== 'uniform') out.add(s);
  }
  return out;
}

/** `q * stride + t`, `(p + r) * W`: an output dimension and a loop tap added with the same (or a stride's) coefficient. */
function isWindow(p: Poly, loopSyms: readonly string[]): boolean {
  const dims = [...dimensions(p)];
  for (const l of loopSyms) {
    const cl = p.coefficient(l);
    if (cl.unknown || cl.terms.size === 0) continue;
    for (const s of dims) {
      if (s === l) continue;
      const cs = p.coefficient(s);
      if (cs.unknown || cs.terms.size === 0) continue;
      // (two loops walking one index in step, `x_vals[i + w]` over outputs `i` and taps `w`: a convolution's sliding
      // window; a tiled k loop's `k0 + k` moves by a tile a step outside and by one inside, no equal steps)
      if (loopSyms.includes(s)) {
        if (cs.equals(cl)) return true;
        continue;
      }
      if ([1, 2, 3, 4].some((c) => cs.equals(cl.scale(c)))) return true;
      for (const u of cs.symbols()) if (/stride|dilation/i.test(u) && cs.equals(cl.mul(Poly.sym(u)))) return true;
    }
  }
  return false;
}

/**
 * The index form without what enclosing loops start from: in `for (j2 = j1 + 1; ...)` the
 * operand `data[i*M + j2]` runs over j2 alone, not over j1's thread too.
 */
function withoutLoopStarts(p: Poly, loops: readonly LoopFact[]): Poly {
  let out = p;
  for (const l of loops) {
    if (!l.init || !l.step || !l.step.isConstant || l.step.constant === 0 || dimensions(l.init).size === 0) continue;
    const c = out.coefficient(l.symbol);
    if (c.unknown || c.terms.size === 0) continue;
    // (an index written from the loop's start, `s_p[t - t0]` for `t` from `t0`, holds no start to take away)
    if (![...dimensions(l.init)].some((d) => out.dependsOn((x) => x === d))) continue;
    out = out.sub(c.scale(1 / l.step.constant).mul(l.init));
  }
  return out;
}

/** Whether an access reads dimension `s` through an operation on it: an atom (`s / 4`) or a uniform expression kept as text (`(blockIdx.x)/(kv_mul)`). */
function readsThrough(acc: AccessFact, s: string): boolean {
  return acc.indices.some((p) => [...p.symbols()].some((t) => t !== s && (
    (symbolKind(t) === 'uniform' && /[^\w.]/.test(t) && t.includes(s)) || !!atomDef(t)?.args.some((q) => q.dependsOn((u) => u === s)))));
}

const BLOCK_AXES = ['blockIdx.x', 'blockIdx.y', 'blockIdx.z'];

/** Whether these loops all have constant trip counts whose product is at most 64. */
function smallConstantNest(fn: FunctionFacts, loops: ReadonlySet<number>): boolean {
  let product = 1;
  for (const l of fn.loops) {
    if (!loops.has(l.id)) continue;
    if (!l.trips) return false;
    product *= l.trips;
  }
  return product <= 64;
}

/**
 * The reads an array is filled from, on the line that stores it: a `__shared__` tile's global reads (`As[ty][tx] =
 * A[row * K + t * TILE + tx]`), a thread's register array's global or shared reads (`q[x] = Q[row * D + x] * scale`).
 */
function fillsOf(fn: FunctionFacts, acc: AccessFact): AccessFact[] {
  if (acc.space !== 'shared' && acc.space !== 'local') return [];
  const from = (g: AccessFact) => g.space === 'global' || (acc.space === 'local' && g.space === 'shared');
  return fn.accesses.filter((g) => from(g) && g.kind === 'load' && !g.indices.some((p) => p.unknown) && ((acc.space === 'local' && g.register === acc.array) ||
    fn.accesses.some((t) => t.space === acc.space && t.kind === 'store' && t.array === acc.array && t.range.start.line === g.range.start.line)));
}

/** The loop whose two operands form a GEMM, innermost first; null when there is none. */
export function gemmLoop(fn: FunctionFacts, isOperand: (a: AccessFact) => boolean): GemmLoop | null {
  // a loop that copies tiles into shared memory (`As[..] = A[..]; Bs[..] = B[..]`) is not the one that multiplies
  const staging = (a: AccessFact) => a.space === 'global' && fn.accesses.some((s) => s.kind === 'store' && s.space === 'shared' && s.loops.join() === a.loops.join());
  const loops = [...fn.loops].filter((l) => !l.gridStride && !l.blockStride).sort((x, y) => y.depth - x.depth);
  for (const loop of loops) {
    const mine = ofLoop(loop);
    const reads = fn.accesses.filter((a) => a.kind === 'load' && a.loops.includes(loop.id) && isOperand(a) && a.indices.length > 0 && !a.indices.some((p) => p.unknown));
    // the loop symbols an operand may walk: this loop's and those of enclosing loops
    const enclosing = new Set<number>();
    for (let l: LoopFact | undefined = loop; l; l = fn.loops.find((x) => x.id === l!.parent)) enclosing.add(l.id);
    // a few taps in all (a 3x3 or 5x5 filter: every enclosing loop has a constant trip count, 64 at most together): a window, not a k dimension
    if (smallConstantNest(fn, enclosing)) continue;
    const walkers = reads.filter((a) => a.indices.some((p) => p.dependsOn(mine)));
    for (let i = 0; i < walkers.length; i++) {
      for (let j = i + 1; j < walkers.length; j++) {
        const a = walkers[i];
        const b = walkers[j];
        if (a.array === b.array && a.indices.every((p, k) => b.indices[k] && p.equals(b.indices[k]))) continue;
        // (two places of one register array, `tmp[j][i]` and `tmp[j][threadIdx.x]` as a GEMV merges its warps' partial
        // sums: a thread's own values, no two operands of a product)
        if (a.array === b.array && a.space === 'local') continue;
        if (staging(a) && staging(b)) continue;
        // two elements subtracted, `features[..] - clusters[..]`, then squared (a distance's terms), or added (`r_x[ii] +
        // r_b[ii]`, a bias add), and never multiplied together: no operands of a product
        const operandOf = (d: [Range, Range], x: AccessFact) => rangeHolds(d[0], x.range.start) || rangeHolds(d[1], x.range.start);
        const pair = (d: [Range, Range]) => operandOf(d, a) && operandOf(d, b);
        if ((fn.addends ?? []).some(pair) && !(fn.factors ?? []).some(pair)) continue;
        // a product that updates one of its own operands (`shadow[tx][i] -= shadow[tx][j] * shadow[j][i]`, an LU panel or a
        // triangular solve): each step reads what the last one wrote, no independent tiles for an MMA
        if (fn.accesses.some((u) => u.kind === 'update' && (u.array === a.array || u.array === b.array) && u.loops.includes(loop.id) && u.range.start.line === a.range.start.line)) continue;
        const starts = (acc: AccessFact) => fn.loops.filter((l) => acc.loops.includes(l.id));
        // loops nested inside this one (`for i: a[i] = As[k][ty*4 + i]`) are register copies, not dimensions of the product;
        // an atom of the loop symbol (`k / 4`) is the loop
        // unless the inner loop runs over an accumulated output (`for i: out[i] += p * v[t2][i]`)
        const inner = (s: string) =>
          symbolKind(s) === 'loop' && !fn.loops.some((l) => enclosing.has(l.id) && ofLoop(l)(s)) &&
          !fn.accesses.some((u) => u.kind === 'update' && u.indices.some((p) => p.dependsOn((x) => x === s)));
        // `i / 32` or `i % 32` of such a loop's `i` (a row and column of one flat inner walk) runs over what `i` starts from
        const expand = (s: string): string[] => {
          const args = atomDef(s)?.args;
          if (!args) return [s];
          const syms = args.flatMap((p) => [...p.symbols()]);
          return syms.some(inner) ? syms.filter((x) => isVarying(x) && !inner(x)).flatMap(expand) : [s];
        };
        const ofMine = (s: string) => mine(s) || !!atomDef(s)?.args.some((p) => p.dependsOn(mine));
        // (a `__shared__` operand belongs to the blocks whose global reads fill it, too: a GEMV's staged weight tile,
        // `frag[..] = wt[h * stride + ...]` with `h = blockIdx.y`, walks the head its vector `ip[h * K + k]` does, a batch
        // and no row of its own; the threads that share out the copy are no dimension of it)
        // (also through a quotient, `(blockIdx.y / kv_mul) * w_stride`: grouped heads share a value tile)
        const fillBlocks = (acc: AccessFact) => (acc.space === 'shared' ? fillsOf(fn, acc) : []).flatMap((g) => BLOCK_AXES.filter((b) => g.indices.some((p) => reaches(p, b))));
        const dimsOf = (acc: AccessFact) => acc.indices.flatMap((p) => [...dimensions(withoutLoopStarts(p, starts(acc)))].flatMap(expand)).filter((s) => !ofMine(s) && !inner(s));
        // (only for an operand its threads index: the blocks say whose tile it is, they make no dimension of their own)
        // (a thread's register array, `acc += q[x] * Kj[y][x]`, holds the row its fill read, `q[x] = Q[row * D + x]`)
        const dims = (acc: AccessFact) => {
          const own = acc.space === 'local' ? fillsOf(fn, acc).flatMap(dimsOf) : dimsOf(acc);
          return new Set(own.some((s) => s.startsWith('threadIdx.')) ? [...own, ...fillBlocks(acc)] : own);
        };
        const da = dims(a);
        const db = dims(b);
        // each operand needs a dimension of its own (A's row, B's column); a dimension the other reads through a quotient
        // is not (`q[h * D + i]` against `k[t * KV + (h / group) * D + i]`: grouped heads share a key row, one query each)
        const covers = (y: Set<string>, other: AccessFact, s: string) => y.has(s) || readsThrough(other, s);
        const own = (x: Set<string>, y: Set<string>, other: AccessFact) => [...x].some((s) => !covers(y, other, s));
        if (!own(da, db, b) || !own(db, da, a)) continue;
        const loopSyms = (acc: AccessFact) =>
          [...new Set(acc.indices.flatMap((p) => [...p.symbols()]))].filter((s) => symbolKind(s) === 'loop' && fn.loops.some((l) => enclosing.has(l.id) && ofLoop(l)(s)));
        if ([a, b].some((acc) => acc.indices.some((p) => isWindow(withoutLoopStarts(p, starts(acc)), loopSyms(acc))))) continue;
        return { loop, a, b };
      }
    }
  }
  return null;
}

/**
 * A register-blocked micro-kernel: `acc[i][j] += a[i] * b[j]` inside a loop over k that
 * none of them walks (the fragments are refilled from shared memory every k). Returns the
 * k loop with the two fragments.
 */
export function outerProductLoop(fn: FunctionFacts, isOperand: (a: AccessFact) => boolean): GemmLoop | null {
  const dimsOf = (a: AccessFact) => new Set(a.indices.flatMap((p) => [...dimensions(p)]));
  for (const u of fn.accesses) {
    if (u.kind !== 'update' || !isOperand(u) || u.indices.some((p) => p.unknown)) continue;
    const du = dimsOf(u);
    const same = fn.accesses.filter((a) => a.kind === 'load' && a !== u && a.loops.join() === u.loops.join() && isOperand(a) && !a.indices.some((p) => p.unknown));
    for (const a of same) {
      const da = dimsOf(a);
      if (!da.size || [...da].some((s) => !du.has(s))) continue;
      const b = same.find((x) => {
        const dx = dimsOf(x);
        return dx.size > 0 && [...dx].every((s) => du.has(s) && !da.has(s)) && [...du].every((s) => da.has(s) || dx.has(s));
      });
      if (!b) continue;
      // the k loop: the innermost enclosing loop that no index walks
      const k = [...u.loops].reverse().map((id) => fn.loops.find((l) => l.id === id)).find((l) => l && ![...du].some(ofLoop(l)));
      if (k) return { loop: k, a, b };
    }
  }
  return null;
}

/** Calls that make an accumulation something other than a sum of products (a distance, a min-plus product). */
const NOT_A_PRODUCT = /^(?:std::)?(?:fabsf?|abs|fminf?|fmaxf?|min|max|sqrtf?|expf?|__expf|__logf|logf?)$/;

/**
 * A register-tiled GEMM whose fragments are held in registers between the loads and the FMAs (`float4 lhs = ...;
 * vals[ii][ji] += lhs.x * rhs[ji].x`, llm.c's matmul_forward_kernel4): inside a loop over k that fills two
 * `__shared__` tiles, a 2-D register tile indexed by two loops' variables is updated in loops where both tiles are
 * read. Only for a kernel classed as a GEMM. Returns the k loop with the two tile reads.
 */
export function registerTileLoop(fn: FunctionFacts, isOperand: (a: AccessFact) => boolean): GemmLoop | null {
  if (fn.kernelClass !== 'gemm') return null;
  const byId = new Map(fn.loops.map((l) => [l.id, l]));
  for (const u of fn.accesses) {
    if (u.kind !== 'update' || u.space !== 'local' || u.indices.length !== 2 || !isOperand(u)) continue;
    const vars = u.indices.map((p) => u.loops.find((id) => { const l = byId.get(id); return !!l && p.equals(Poly.sym(l.symbol)); }));
    if (vars.some((v) => v === undefined) || vars[0] === vars[1]) continue;
    // (a sum of products: an L1 distance, `+= fabsf(a - b)`, or a min-plus product, `= fminf(acc, a + b)`, is none)
    if (fn.calls.some((c) => c.kind === 'call' && NOT_A_PRODUCT.test(c.name) && c.loops[c.loops.length - 1] === u.loops[u.loops.length - 1])) continue;
    for (let k = 0; k + 1 < u.loops.length; k++) {
      const kLoop = byId.get(u.loops[k]);
      const inner = u.loops[k + 1];
      if (!kLoop || vars.includes(kLoop.id)) continue;
      // the tiles the k loop fills, and their reads under the loop that runs the register tile
      const filled = new Set(fn.accesses.filter((s) => s.kind === 'store' && s.space === 'shared' && s.loops.includes(kLoop.id)).map((s) => s.array));
      if (filled.size < 2) continue;
      // (read as `float4` fragments: their lanes are the operand's elements)
      const lanes = (r: AccessFact): AccessFact => (r.vector && r.elemType ? { ...r, elemType: r.elemType.replace(/^((?:const\s+)?float)[24]$/, '$1') } : r);
      const reads = fn.accesses.filter((r) => r.kind === 'load' && r.space === 'shared' && filled.has(r.array) && r.loops.includes(inner) && isOperand(lanes(r)));
      const a = reads[0];
      const b = a ? reads.find((r) => r.array !== a.array) : undefined;
      if (a && b) return { loop: kLoop, a, b };
    }
  }
  return null;
}

const gemmCache = new WeakMap<FunctionFacts, boolean>();

/** Is this kernel a GEMM (any element type)? Triton: it calls `tl.dot`. CUDA/C: a k-loop of the shape above. */
export function isGemmShaped(k: FunctionFacts): boolean {
  let hit = keptAcrossMoves(gemmCache, k);
  if (hit === undefined) {
    // (a register-tiled one too, `r_c[m][n] = fma(a[m], b[n], r_c[m][n])` over fragments refilled from `__shared__` tiles)
    // (and one whose FMAs are in a `__device__` helper it calls a tile at a time, SGEMM warptiling's `processFromSmem`)
    const shaped = (f: FunctionFacts) => gemmLoop(f, () => true) !== null || outerProductLoop(f, () => true) !== null || registerTileLoop(f, () => true) !== null;
    // (or tensor-core MMAs in PTX in a loop, `HMMA16816(...)`: the k loop of a GEMM)
    const ptxMma = (f: FunctionFacts) => f.calls.some((c) => c.name === 'mma_asm' && c.loops.length > 0);
    hit = k.decorators ? k.kernelClass === 'gemm' : k.kernelClass === 'gemm' && (shaped(k) || ptxMma(k) || (withHelperLoops(k) !== k && shaped(withHelperLoops(k))));
    gemmCache.set(k, hit);
  }
  return hit;
}

/**
 * A mat-vec (GEMV): a loop reads a matrix row (the loop's index and a row the thread or block picks) and a vector (the
 * loop's index, with at most the lane), and each row's result is stored once after the loop (`xout[row] = val`, a warp
 * or a thread per output row: a decoder's `matmul`). A GEMM with one column, whose output takes an epilogue as well.
 */
export function isGemvShaped(k: FunctionFacts): boolean {
  if (!k.isKernel || k.decorators) return false;
  let hit = gemvCache.get(k);
  if (hit === undefined) gemvCache.set(k, (hit = gemvLoop(k)));
  return hit;
}
const gemvCache = new WeakMap<FunctionFacts, boolean>();

/** An atom of warp-uniform values, a row's length in packs (`n / 8` of a row read as uint4): a size, not an index. */
const uniformAtom = (s: string) => s.startsWith('#op') && !Poly.sym(s).dependsOn((x) => !x.startsWith('#op') && isVarying(x));

function gemvLoop(k: FunctionFacts): boolean {
  const varying = (a: AccessFact) => new Set([...a.indices[0].symbols()].filter((s) => isVarying(s) && !uniformAtom(s)));
  // (an atom of the thread index, `threadIdx.x / 32` for a warp's row and `threadIdx.x % 32` for its lane, is a lane's place)
  const laneAtom = (s: string) => s.startsWith('#op') && Poly.sym(s).dependsOn((x) => x === 'threadIdx.x') && !Poly.sym(s).dependsOn((x) => x.startsWith('#loop') || x.startsWith('blockIdx'));
  const plain = (a: AccessFact) => a.space === 'global' && a.indices.length === 1 && !a.indices[0].unknown && [...a.indices[0].symbols()].every((s) => !s.startsWith('#op') || uniformAtom(s) || laneAtom(s));
  for (const l of k.loops) {
    const loads = k.accesses.filter((a) => plain(a) && a.kind === 'load' && a.loops.includes(l.id) && varying(a).has(l.symbol));
    // (a plain store or update: split-K partial sums added with `atomicAdd(&y[row], sum)` are not the row's result yet)
    const outputs = k.accesses.filter((a) => plain(a) && (a.kind === 'store' || a.kind === 'update') && !a.loops.includes(l.id) && varying(a).size > 0);
    for (const m of loads) {
      const rows = [...varying(m)].filter((s) => s !== l.symbol);
      for (const v of loads) {
        if (v.array === m.array) continue;
        const vs = varying(v);
        // (the vector: the loop's index and at most what the matrix's also has, the lane; the matrix a row beyond it)
        if ([...vs].some((s) => s !== l.symbol && !rows.includes(s)) || !rows.some((s) => !vs.has(s))) continue;
        // (the row and the loop both one element a step: a sliding window, `x[i + k]` against `w[k]`, a convolution; a
        // column walk, `w[j * n + i]`, is the transposed product)
        const unit = (s: string) => { const c = m.indices[0].coefficient(s); return c.isConstant && Math.abs(c.constant) === 1; };
        if (unit(l.symbol) && rows.some((s) => !vs.has(s) && unit(s))) continue;
        // (one result per row, stored after the loop at what picks the row)
        if (outputs.some((o) => [...varying(o)].every((s) => rows.includes(s)) && o.array !== m.array && o.array !== v.array)) return true;
      }
    }
  }
  return false;
}

/** A host call that runs a GEMM: a launch of a GEMM-shaped kernel or a cuBLAS GEMM (facts/library.ts), or a call whose name says GEMM, and the buffer it writes. */
/** A name that says GEMM, for a callee whose body we do not have (`matmul_forward_bf16`, declared only). */
const GEMM_NAME = /(^|_)(s|d|h|hs)?(gemm|matmul|linear)(_|$)/i;
export interface Gemm {
  call: CallFact;
  /** The buffer it writes. */
  output: string;
  /** How sure we are which argument is the output. */
  guessed: boolean;
  /** A mat-vec (isGemvShaped): one result a row. */
  matVec?: true;
}

export function gemmOf(c: CallFact, kernels: ReadonlyMap<string, FunctionFacts>, hosts: ReadonlyMap<string, FunctionFacts>): Gemm | null {
  if (c.kind === 'launch') {
    const k = kernels.get(c.name);
    if (!k || k.params.length !== c.args.length) return null;
    const library = LIBRARY_KERNELS.get(c.name) === k;
    const gemm = library ? k.kernelClass === 'gemm' : isGemmShaped(k);
    // (cuBLAS's own mat-vec, `cublasSgemv`, whose `y` a residual add or an activation then reads)
    const matVec = !gemm && (library ? GEMVS.includes(k) : isGemvShaped(k));
    if (!gemm && !matVec) return null;
    const outs = k.params.flatMap((p, i) => (k.accesses.some((a) => a.array === p.name && a.kind !== 'load') ? [i] : [])).map((i) => c.argRoots[i]).filter((r): r is string => r !== null);
    return outs.length === 1 ? { call: c, output: outs[0], guessed: false, ...(matVec ? { matVec: true as const } : {}) } : null;
  }
  // a GEMM wrapper we cannot see into: by its name, with the output first (`matmul_forward(out, inp, weight, ...)`)
  if (c.kind === 'call' && !hosts.has(c.name) && !kernels.has(c.name) && GEMM_NAME.test(c.name) && c.argRoots[0]) {
    return { call: c, output: c.argRoots[0], guessed: true };
  }
  return null;
}


