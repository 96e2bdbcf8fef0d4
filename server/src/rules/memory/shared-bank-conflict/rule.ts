// memory/shared-bank-conflict: a `__shared__` array (2-D, 1-D, extern, or through a
// pointer into it) whose lanes' 4-byte words, evaluated for one warp, put several
// distinct words in one bank (ANALYSIS.md §2, "Bank conflicts"). The fixer (fix.ts) pads
// each row by one 4-byte word: the inner dimension of a 2-D array, the row stride of a 1-D one.
import { detail } from '../../common/detail';
import type { Rule } from '../../../core/rule';
import type { AccessFact, FunctionFacts, LoopFact } from '../../../core/facts/model';
import type { RuleFinding } from '../../../core/types';
import { elementBits } from '../../../core/facts/ctypes';
import { atomDef, displaySymbol, isVarying, symbolKind } from '../../../core/affine';
import { OPEN_PACK, conflictWays, sweptWays, type Ways } from './ways';
import { boundByLaunches, mainLoops, runtimeLoop } from '../../common/hot-loops';
import { fixBankConflict, padFor } from './fix';
import { perFunction } from '../../common/memo';
import { constantValue } from '../../common/file-constants';
import { NO_BINDINGS, bindingsKey, boundAccesses, boundAssumption, templateAlternatives, templateBindings, type BoundAccess, type Bindings } from '../../common/template-bindings';
import { warpRows } from './tile-width';
import { narrowWarp } from '../../common/warp-axis';


/** A convolution's or resampler's window size (`k_size`, `h_ksize`, `kernel_size`, `filterSize`): an odd count of taps. */
const WINDOW_SIZE = /(?:^|[^A-Za-z])(?:k_?size|kernel_?size|filter_?size|window_?size)/i;

/** Sizes the lanes' words depend on (`d` in `Qi[tx * d + x]`), which the verdict assumes. */
function sizesOf(a: AccessFact): string[] {
  const out = new Set<string>();
  // (a size that only scales a loop's step, `k * row_stride`, is the same for every lane)
  const acrossLanes = (s: string) => isVarying(s) && symbolKind(s) !== 'loop';
  // (a pack's element count the build leaves open, `x128::size`, is 4 or 8: the ways are read at each)
  for (const p of a.indices) for (const sym of p.symbols()) if (symbolKind(sym) === 'uniform' && !OPEN_PACK.test(sym) && p.coefficient(sym).dependsOn(acrossLanes)) out.add(displaySymbol(sym));
  return [...out];
}

/**
 * A wide access to a tile whose offset in elements holds a run-time size, counted in vector units
 * (`&out_smem[row * M + c]` as a `float4`: `(row * M + c) / 4`): where its lanes fall depends on M.
 * Sizes the launches bind (`Bs[s][k][8 * tx]` of `Bs[2][BK][BN]`) are in by now.
 */
const runtimeQuotient = (a: AccessFact) =>
  a.vector && a.indices.some((p) => p.dependsOn((s) => {
    const d = atomDef(s);
    return !!d && d.op === '/' && d.args[1].isConstant && d.args[0].dependsOn((x) => symbolKind(x) === 'uniform');
  }));

/**
 * Replays from which an access outside the main loop, a tile's staging store inside it, or one of a
 * tile each element of which passes through once, is still worth a finding. On an H200 a
 * register-blocked SGEMM whose transposing staging store is 2-way ran 1.02x slower than with it
 * conflict-free, 8-way 1.11x (bench/gpu/bank/staging_store.cu); a 16384^2 transpose staged through
 * a tile 1.00x at 2-way, 1.01x at 4-way, 1.11x at 8-way, 1.38x at 16 and 2.18x at 32 (pass_through.cu).
 */
const COLD_WAYS = 8;

/**
 * A thread's run of `size` consecutive elements copied into a register array (`for (i = 0; i < TN; ++i) regN[i] =
 * Bs[... + threadCol * TN + i]`): a register tile's row, whose merged reads conflict or not with the width (none at 4,
 * 2-way at 8): a tile's side or a sum over the run (`s += buf[threadIdx.x * TILE + k]`) conflicts at every power of two.
 */
function registerRun(l: LoopFact, size: string, accesses: readonly AccessFact[]): boolean {
  return l.bound?.trim() === size && !!l.step?.isConstant && l.step.constant === 1 &&
    accesses.some((a) => a.space === 'local' && a.kind === 'store' && a.loops.at(-1) === l.id);
}

/** An extent with a name that is neither a parameter of the kernel nor a template parameter: a constant the analysis could not read. */
function unreadConstant(text: string | null | undefined, fn: FunctionFacts): boolean {
  const names = text?.match(/[A-Za-z_]\w*/g) ?? [];
  return names.some((n) => !fn.templateParams.includes(n) && !fn.params.some((p) => p.name === n) && !/^(?:sizeof|int|unsigned|size_t)$/.test(n));
}

/**
 * A store filling a tile in a loop nest of its own, before another nest reads the tile over and over (a convolution's
 * halo tile: a few stores per thread, then a filter window of reads): each element is stored once, as in a
 * pass-through tile, whose stores measured 1.00x at 2-way and 1.01x at 4-way on an H200. A GEMM's staging store, in
 * the k-loop around the nest that reads the tile, is no such fill (hot.staging decides it).
 */
function filledBeforeReads(a: AccessFact, accesses: readonly AccessFact[]): boolean {
  return a.kind === 'store' && a.loops.length > 0 && accesses.some((b) => b.space === 'shared' && b.array === a.array && b.kind === 'load' &&
    b.loops.length > 0 && !b.loops.some((id) => a.loops.includes(id)));
}

/**
 * A shared array each element of which passes through once (a pack or a transpose staged through shared memory):
 * every store of it sits beside a global load in the same loops, every load beside a global store, and no loop
 * re-reads it without global traffic of its own (a GEMM's k-loop does). Its global traffic decides: shared memory
 * moves several times DRAM's bytes per second, so a few replays there are hidden (a 32-way transpose tile is not:
 * padding it measured 2.15x on an H200). A tile read in the same loop step that fills it, no more often than that step
 * stores it, passes through too.
 */
function passThrough(name: string, accesses: readonly AccessFact[], oneWarpBlocks = false): boolean {
  const mine = accesses.filter((a) => a.space === 'shared' && a.array === name);
  // (the same loops: the kernel's, and those of the helper an access was inlined from)
  const where = (a: AccessFact) => `${a.loops.join()}|${(a.helperLoops ?? []).map((l) => l.symbol).join()}`;
  const beside = (a: AccessFact, kind: 'load' | 'store') => accesses.some((g) => g.space === 'global' && g.kind === kind && where(g) === where(a));
  // (or, in blocks of one warp, read back in the very loop step that fills it, no more often than that step stores it:
  // a naive mma.sync GEMM's tile, stored and read by one `ldmatrix` per k-step, reuses nothing; its global loads decide. With
  // more warps a block, each of them reads what one store filled, unless each warp has a slice of its own)
  const count = (kind: 'load' | 'store', a: AccessFact) => mine.filter((b) => b.kind === kind && where(b) === where(a)).length;
  const streamedThrough = (a: AccessFact) => (oneWarpBlocks || mine.every(perWarp)) && a.loops.length > 0 && count('load', a) <= count('store', a);
  return mine.length > 0 && mine.every((a) => (a.kind === 'store' ? beside(a, 'load') : a.kind === 'load' && (beside(a, 'store') || streamedThrough(a))));
}

/** An access to a warp's own slice of a tile: its index moves with the warp (`B_smem[threadIdx.x / 32][...]`). */
const perWarp = (a: AccessFact) => a.indices.some((p) => p.dependsOn((s) => {
  const d = atomDef(s);
  return !!d && d.op === '/' && d.args[1].isConstant && d.args[1].constant % 32 === 0 && d.args[0].dependsOn((x) => x === 'threadIdx.x');
}));

/** A finding with the shared array it is about and its ways (the least is reported over a tuner's launches). */
interface Conflict {
  finding: RuleFinding;
  array: string;
  ways: number;
}

function check(fn: FunctionFacts, bindings: Bindings): Conflict[] {
  if (!fn.isKernel && !fn.isDevice) return [];
  const out: Conflict[] = [];
  const accesses = boundAccesses(fn, bindings);
  const { width: blockX, fromTile } = warpRows(fn, bindings);
  const known = boundByLaunches(bindings, fn.params.map((p) => p.name));
  const hot = mainLoops(fn, accesses, known, true);
  // no main loop at all (a staging transpose: each thread's words pass through the tile once): its global
  // traffic decides, and a few replays of an access in no loop are noise (the 2.15x measured for padding
  // was a 32-way transpose tile)
  const noMainLoop = !fn.loops.some((l) => runtimeLoop(l, known));
  // (a `__device__` helper's own loops around the access count: its k-loop runs the access many times)
  const once = (a: AccessFact) => noMainLoop && a.loops.length === 0 && !a.helperLoops?.length;
  // a thread's one store of a value it made in a loop that streams global memory (a column sum's
  // `for (row = warp; row < rows; row += 32) partial += dout[...]`, then `tile[lane][warp] = partial`): its replays,
  // once a warp, sit next to a run-time count of global loads a thread; at any number of ways a sliver of the kernel.
  // The loop is every thread's (not under a one-lane guard), its loads differ between lanes, it touches no shared
  // memory, and the store takes no global value of its own (a staged tile's fill, `tile[y][x] = in[...]`, is none)
  const laneStream = (g: AccessFact) => g.space === 'global' && g.kind !== 'store' && !g.singleLane && !g.activeLanes &&
    g.indices.some((p) => p.dependsOn((s) => s.startsWith('threadIdx.')));
  const streams = fn.loops.some((l) => runtimeLoop(l, known) && accesses.some((g) => laneStream(g) && g.loops.includes(l.id)) &&
    !accesses.some((x) => x.space === 'shared' && x.loops.includes(l.id)));
  const besideStream = (a: AccessFact) => streams && a.kind === 'store' && !a.singleLane && a.loops.length === 0 && !a.helperLoops?.length &&
    !accesses.some((g) => g.space === 'global' && g.kind === 'load' && g.range.start.line === a.range.start.line);
  const loopContext = { loops: fn.loops, bindings, params: new Set(fn.params.map((p) => p.name)) };
  // (every launch's block one warp, `dim3 block(32)`)
  const oneWarpBlocks = !!fn.warpBlocks;
  for (const declared of fn.shared) {
    // `T tile[tile_size][tile_size]`, `Bs[BK][BN + 1]` with `tile_size`, `BN` template parameters the launches set
    const s = declared.dims.some((d) => d === null) && bindings.size
      ? { ...declared, dims: declared.dims.map((d, i) => d ?? constantValue(declared.dimTexts[i] ?? null, bindings) ?? constantValue(declared.dimForms?.[i] ?? null, bindings)) }
      : declared;
    // an inner extent the file never gives a value (`C_smem[MMA_M][MMA_N]` with the macros in a header not found): a
    // compile-time constant we could not read, so the rows' pitch, and any conflict, is unknown
    if (s.dims.slice(1).some((d, i) => d === null && unreadConstant(s.dimTexts[i + 1], fn))) continue;
    const hits = accesses
      // (an arm of an `if constexpr` nothing decides, `nb_per_cpy == 1` of a byte-wise copy helper: maybe not built)
      .filter((a) => a.space === 'shared' && a.array === s.name && !runtimeQuotient(a) && !a.undecidedConstexpr)
      .map((a) => ({ a, c: sweptWays(a, s, fn.templateParams, blockX, loopContext) ?? conflictWays(a, s, fn.templateParams, blockX, loopContext) }))
      .filter((h): h is { a: BoundAccess; c: Ways } => h.c !== null && h.c.ways > 1)
      // once per thread next to the kernel's main loop (a staging copy, a per-block readout after a streaming
      // loop, a GEMM's epilogue): a few replays there are a small share of the kernel's time; 8 ways or more
      // (an epilogue's accumulators staged with a row stride of 128 words) still are not; nor is a tile's store once per
      // step of the main loop, beside the loop that then reads the tile over and over; nor one in a kernel without a main loop
      .filter((h) => !besideStream(h.a))
      .filter((h) => h.c.ways >= COLD_WAYS || !(once(h.a) || hot.outside(h.a, 'any') || hot.staging(h.a) || passThrough(s.name, accesses, oneWarpBlocks) || filledBeforeReads(h.a, accesses)))
      // a filter window's size (`k_size = 2 * ceil(support) + 1`, `ksize` of a blur) is odd by construction: rows of
      // it fall on every bank, so a conflict that rests on its being a multiple of 32 never happens
      .filter((h) => !sizesOf(h.a).some((x) => WINDOW_SIZE.test(x)))
      // nor on a template parameter no launch here binds that is a thread's own run of elements (`threadCol * TN` read in
      // an `i < TN` loop of a lone `.cuh`): a register tile's width, 4 or 8 where its launches set it, not the multiple of
      // 32 the count would assume (a tile's side, `tile[threadIdx.x * TILE + k]`, conflicts at every power of two)
      .filter((h) => !sizesOf(h.a).some((x) => fn.templateParams.includes(x) && fn.loops.some((l) => h.a.loops.includes(l.id) && registerRun(l, x, accesses))));
    // one finding per row pitch of the sub-buffers a kernel carves from one array (`float *Qi = sram; float *S = &sram[Bc * d];`
    // of an `extern __shared__` block, rows of `d` and of `Bc` words): each pitch takes its own pad
    for (const [buffer, mine] of bySubBuffer(hits, s.name)) {
      // the access to report: the hottest (most deeply nested: the k-loop, not the epilogue), then the worst
      const first = mine.reduce((m, h) => (h.a.loops.length > m.a.loops.length || (h.a.loops.length === m.a.loops.length && h.c.ways > m.c.ways) ? h : m));
      const worst = first;
      const verb = first.a.kind === 'load' ? 'reads' : 'writes';
      const sweep = first.c.sweep;
      const columns = s.dims.length >= 2 ? s.dims[s.dims.length - 1] : null;
      const sizes = sizesOf(first.a);
      const warp = first.a.activeLanes
        ? `the ${first.a.activeLanes} lanes of the first warp that pass the guard around it (the block's first ${first.a.activeLanes} threads)`
        : blockX && fromTile
        ? `a warp of ${32 / blockX} rows of ${blockX} threads (no launch here gives blockDim.x; the threads of a 2-D block each touch their own cell of a \`__shared__\` tile ${blockX} wide along \`threadIdx.x\`, so it is at most ${blockX})`
        : blockX
        ? `a warp of ${narrowWarp(fn, blockX, ` (blockDim.x is ${blockX} at every launch)`)}`
        : 'a warp of 32 consecutive threadIdx.x';
      const assumptions = [`assumes 4-byte shared-memory banks (every NVIDIA GPU since Kepler in its default mode) and ${warp}`];
      if (sizes.length) assumptions.push(`assumes ${sizes.map((x) => `\`${x}\``).join(', ')} ${sizes.length > 1 ? 'are multiples' : 'is a multiple'} of 32 (a power of two such as 64)`);
      if (first.c.byType) {
        // alternatives come from the launches of a template kernel, or from an `#if` the build decides (`typedef double real`)
        const fromLaunches = fn.templateParams.includes(first.a.elemType ?? '');
        assumptions.push(first.a.elemAlternatives
          ? `assumes \`${first.a.elemType}\` is one of the types ${fromLaunches ? "this file's launches give it" : 'an `#if` of the build may make it'}: ${first.c.byType}; the fewest is reported`
          : `assumes \`${first.a.elemType ?? s.elemType}\` (no launch here names it) is a 16- or 32-bit type: ${first.c.byType}; the fewest is reported`);
      }
      if (first.c.byPack) assumptions.push(first.c.byPack);
      const bound = boundAssumption(first.a, fn.name, bindings);
      if (bound) assumptions.push(bound);
      // a variable doubled each pass (a scan's `offset`): its worst pass needs a warp's worth of threads still at work
      if (sweep?.grows) assumptions.push(`assumes a warp's 32 threads all still work at \`${sweep.variable}\` = ${sweep.at}${sweep.span ? ` (a tree over ${sweep.span.toLocaleString('en-US')} or more elements)` : ''}`);
      // the tree's every element is read back by the threads afterwards: a prefix sum, whose result is the whole array
      const scan = !!sweep && accesses.some((b) => b.array === s.name && b.kind === 'load' && b.loops.length === 0 && !b.singleLane && !!b.indices[0]?.dependsOn((x) => x === 'threadIdx.x'));
      // one 4-byte word of padding per row: 1 float, 2 halves, 4 bytes; one element of 8 bytes (each half-warp's pass);
      // the fixer's pad, so that the advice and the fix agree (none when the builds' types need different pads)
      const bits = elementBits(s.elemType) ?? first.a.elemBits;
      const pad = first.c.rowPad ?? padFor(s, first.a);
      const padUnit = bits === 64 ? 'one 8-byte element' : 'one word';
      const padded = columns !== null && pad > 0;
      const shape = s.dims.map((d) => `[${d ?? ''}]`).join('');
      // a wide access (or 4-byte ones the compiler merges) is served a half- or quarter-warp at a time: 2 or 4 passes even without a conflict
      // (an 8-byte element, a `double` read as such, is served a half-warp at a time too)
      const wide = (first.a.vector || bits === 64) && (first.a.elemBits === 64 || first.a.elemBits === 128) ? first.a.elemBits / 32 : first.c.merged ?? 0;
      // (the passes a conflict-free warp takes: fewer where only the first lanes take part, `ldmatrix.x2`'s 16)
      const taking = Math.min(first.a.activeLanes ?? 32, 32) - (first.a.laneFrom ?? 0);
      const phases = wide ? Math.max(1, Math.ceil(taking / (32 / wide))) : 0;
      out.push({ array: buffer, ways: worst.c.ways, finding: {
        range: first.a.range,
        function: fn.name,
        // (merged loads rest on what the compiler does: likely)
        confidence: sizes.length || !first.c.certain || first.c.merged ? 'likely' : 'proven',
        assumptions,
        message: wide
          ? `\`${first.a.text}\` ${verb} \`__shared__ ${s.name}${shape}\`: ${worst.c.ways}-way bank conflict in its ${wide * 4}-byte${first.c.merged ? ' merged' : ''} accesses, ${phases * worst.c.ways} passes per warp instead of ${phases}`
          : sweep && sweep.least < sweep.most
          ? `\`${first.a.text}\` ${verb} \`__shared__ ${s.name}${shape}\`: ${sweep.least}- to ${sweep.most}-way bank conflict as \`${sweep.variable}\` changes (${sweep.most}-way at \`${sweep.variable}\` = ${sweep.at})`
          : `\`${first.a.text}\` ${verb} \`__shared__ ${s.name}${shape}\`: ${worst.c.ways}-way bank conflict, ${worst.c.ways} passes per warp instead of 1`,
        detail: detail(
          wide
            ? (first.c.merged ? `The unrolled loop's consecutive 4-byte ${verb === 'reads' ? 'loads' : 'stores'} are merged by the compiler into ${wide * 4}-byte ones. ` : '') +
              `${wide * 4}-byte accesses are served ${wide === 4 ? 'a quarter-warp (8 lanes)' : 'a half-warp (16 lanes)'} at a time, ${phases} passes per warp when conflict-free${phases < wide ? ` (${taking} lanes take part)` : ''}; here one bank serves ${worst.c.ways} different words of \`__shared__ ${s.elemType} ${s.name}${shape}\` in a ${wide === 4 ? 'quarter' : 'half'}-warp, so it takes ${phases * worst.c.ways}.`
            : sweep && sweep.least < sweep.most
            ? `${sweep.grows ? `Each pass doubles \`${sweep.variable}\`, which spreads` : `Each pass of the \`${sweep.variable}\` loop spreads`} the lanes further apart: one bank serves ${sweep.least} different words of \`__shared__ ${s.elemType} ${s.name}${shape}\` for a warp at the first pass and ${sweep.most} at \`${sweep.variable}\` = ${sweep.at}, so the access takes up to ${sweep.most} passes instead of 1.`
            : `One bank serves ${worst.c.ways} different words of \`__shared__ ${s.elemType} ${s.name}${shape}\` for a warp, so the access takes ${worst.c.ways} passes instead of 1.`,
          wide
            ? `Lay the lanes out so that the ${wide === 4 ? '8 lanes of a quarter-warp' : '16 lanes of a half-warp'} touch consecutive ${wide * 4}-byte chunks, or swizzle the chunk index${first.a.kind === 'load' && wide === 4 ? ' (for a register-blocked GEMM\'s fragments: a thread\'s 8 columns read as two `float4` 64 columns apart rather than side by side, as warp-tiled SGEMMs do)' : ''}. A pad of one word would misalign the wide accesses.`
            : sweep && s.dims.length === 1 && scan
            ? `Pad the index by one word every 32 (\`i += i >> 5\` for each index of the tree, and the array a thirty-second longer), so that a pass's lanes fall in different banks: the conflict-free offset of the work-efficient scan.`
            : sweep && s.dims.length === 1
            ? `Use sequential addressing: at each step let the first \`${sweep.variable}\` threads combine element \`tid\` with element \`tid + ${sweep.variable}\` (\`${sweep.variable}\` halving from the block size), so a warp's lanes read consecutive words; or reduce within each warp with \`__shfl_down_sync\` first.`
            : first.c.withinRow
            ? `The lanes meet in the banks within one row of \`${s.name}\` (their columns are several words apart), so padding the rows does not remove it: lay the threads out so that consecutive lanes read consecutive columns, or consecutive 16-byte \`float4\` chunks of the row, as warp-tiled SGEMMs do.`
            : padded && first.c.rowPad
            ? `Pad the inner dimension by ${(first.c.rowPad * (bits ?? 32)) / 32} words (\`${s.name}${s.dims.map((d, i) => `[${i === s.dims.length - 1 ? columns + pad : d ?? ''}]`).join('')}\`) so that the ${32 / blockX!} rows a warp spans (${blockX} lanes each) start ${blockX} banks apart; a pad of one word would move them by one bank only, leaving most of their banks shared.`
            : padded
            ? `Pad the inner dimension by ${padUnit} (\`${s.name}${s.dims.map((d, i) => `[${i === s.dims.length - 1 ? columns + pad : d ?? ''}]`).join('')}\`) so that consecutive rows start in different banks.`
            : `Pad each row by one word (a row stride of \`d + 1\` words instead of \`d\`) or swizzle the column index, so that the lanes' words fall in different banks.`,
        ),
        benefit: wide
          ? `the access is served in ${phases} passes instead of ${phases * worst.c.ways}${first.a.kind === 'load' && wide === 4 ? "; on an H200, reading a register-blocked SGEMM's B fragments as two float4 64 columns apart instead of 32 bytes apart within a quarter-warp measured 1.09x" : ''}`
          : 'the access is served in one pass instead of one per conflicting word; on an H200, padding a 32x32 shared-memory transpose tile to [32][33] measured 2.15x (84% of copy bandwidth)',
        related: [{ range: s.range, message: `\`${s.name}\` is declared here` }, ...mine.filter((h) => h !== first).map((h) => ({ range: h.a.range, message: `also ${h.c.ways}-way: \`${h.a.text}\`` }))],
      } });
    }
  }
  return out;
}

/**
 * The accesses of one shared array grouped by the sub-buffer they go through when it names another (`Qi[...]`, `S[...]`
 * of `sram`), sub-buffers whose lanes move alike (Q, K and V tiles of `d` words a row) in one group: one pad serves
 * them. Keyed by the sub-buffers' names, which a launch's template values do not change.
 */
function bySubBuffer<H extends { a: AccessFact }>(hits: readonly H[], array: string): Map<string, H[]> {
  const byRoot = new Map<string, H[]>();
  for (const h of hits) {
    const root = /^\s*([A-Za-z_]\w*)\[/.exec(h.a.text)?.[1]; // (not `ldmatrix [a]`, an instruction's operand)
    const k = root && root !== array ? root : '';
    byRoot.set(k, [...(byRoot.get(k) ?? []), h]);
  }
  const pitch = (h: H) => (h.a.indices.length === 1 ? h.a.indices[0].coefficient('threadIdx.x').toString() : '');
  const groups: { roots: string[]; pitches: Set<string>; hits: H[] }[] = [];
  for (const [root, mine] of byRoot) {
    const pitches = new Set(mine.map(pitch));
    const same = root ? groups.find((g) => g.roots[0] !== '' && [...pitches].some((p) => g.pitches.has(p))) : undefined;
    if (same) {
      same.roots.push(root);
      same.hits.push(...mine);
      for (const p of pitches) same.pitches.add(p);
    } else groups.push({ roots: [root], pitches, hits: [...mine] });
  }
  return new Map(groups.map((g) => [g.roots[0] === '' ? array : `${array}/${[...g.roots].sort().join('+')}`, g.hits]));
}

/**
 * A kernel its launches instantiate with different template values (a tuner's sweep): a conflict on an array under
 * every one of them, reported as under the one with the fewest ways, and the most ways another launch gives said too.
 */
function leastOver(each: readonly Conflict[][]): RuleFinding[] {
  return each[0]
    .filter((x) => each.every((e) => e.some((y) => y.array === x.array)))
    .map((x) => {
      const all = each.map((e) => e.find((y) => y.array === x.array)!);
      const least = all.reduce((m, y) => (y.ways < m.ways ? y : m));
      // (the same access under the other launches: another launch's finding on the array may be another access's)
      const same = all.filter((y) => y.finding.range.start.line === least.finding.range.start.line && y.finding.range.start.column === least.finding.range.start.column);
      const most = same.reduce((m, y) => (y.ways > m.ways ? y : m));
      return most.ways > least.ways ? { ...least.finding, message: `${least.finding.message} (${most.ways}-way under another launch's template values)` } : least.finding;
    });
}

/** One function at a time (an edit re-checks only what it changed), with its launches' template arguments. */
const checkCached = perFunction(check, (bindings: Bindings) => bindingsKey(bindings));
/** The same for a tuner's sweep: all its sets of values at once. */
const sweepCached = perFunction(
  (fn: FunctionFacts, alts: readonly Bindings[]) => leastOver(alts.map((b) => check(fn, b))),
  (alts: readonly Bindings[]) => alts.map(bindingsKey).join('|'),
);

export const rule: Rule = {
  id: 'memory/shared-bank-conflict',
  languages: ['cuda'],
  defaultSeverity: 'warning',
  // a template kernel's parameters come from its launches in the file (`<128, 128, 8, 8, 8>`): a file rule
  check: (facts) => {
    const bindings = templateBindings(facts);
    const alternatives = templateAlternatives(facts);
    return facts.functions.flatMap((fn) => {
      const alts = alternatives.get(fn.name);
      return alts ? sweepCached(fn, alts) : checkCached(fn, bindings.get(fn.name) ?? NO_BINDINGS).map((c) => c.finding);
    });
  },
  // pads the rows of the array: the inner dimension of a 2-D one, the row stride of a 1-D or extern one (fix.ts)
  fix: fixBankConflict,
};
