// fusion/gemm-epilogue: a GEMM writes C, and the next kernel that touches C is a separate
// elementwise pass over it (bias, activation, scale, residual). That pass reads and
// writes the whole output again; applied to the accumulators before the GEMM's store
// (a CUTLASS / cublasLt epilogue, or the last lines of a hand-written GEMM kernel) it
// costs nothing extra.
//   CUDA host code: the GEMM is a launch of a GEMM-shaped kernel, a cuBLAS / cublasLt
//   GEMM (facts/library.ts), or a wrapper making one (`caffe_gpu_gemm`, `gemm_ongpu`,
//   followed through callsThroughWrappers); the pass is an elementwise kernel, a cuBLAS
//   level-1 routine, or a rank-1 GEMM (`K = 1`, beta = 1: Caffe's bias trick).
//   Triton host code: triton.ts.
// Quiet when the GEMM kernel applies the epilogue itself (then there is no second pass),
// when C first goes to anything else (another GEMM, a softmax, a copy to the host), and
// in reference oracles.
import { detail } from '../../common/detail';
import type { Rule } from '../../../core/rule';
import type { AccessFact, CallFact, FileFacts, FunctionFacts } from '../../../core/facts/model';
import { exclusiveArms, neverTogether } from '../../../core/facts/model';
import type { RuleFinding } from '../../../core/types';
import { callsThroughWrappers, hostCallee } from '../../../core/facts/wrappers';
import { visibleCallables } from '../../../core/project';
import { isReferenceOracle, isUnfusedBaseline } from '../../common/reference';
import { perHost } from '../../common/memo';
import { gemmOf } from '../../common/gemm-shape';
import { BENEFIT, tritonGemmEpilogue } from './triton';
import { positionBefore, rangeHolds } from '../../../core/positions';

/** Parameter positions a kernel stores to, and loads from. */
function written(k: FunctionFacts): number[] {
  return k.params.flatMap((p, i) => (k.accesses.some((a) => a.array === p.name && a.kind !== 'load') ? [i] : []));
}
function read(k: FunctionFacts): number[] {
  return k.params.flatMap((p, i) => (k.accesses.some((a) => a.array === p.name && a.kind !== 'store') ? [i] : []));
}

const before = (a: CallFact, b: CallFact) => positionBefore(a.range.start, b.range.start);

/** Do two calls run one after the other (same loop nest, never arms of one conditional)? */
function sequential(a: CallFact, b: CallFact): boolean {
  if (a.loops.join() !== b.loops.join()) return false;
  const s1 = a.scopes ?? [];
  const s2 = b.scopes ?? [];
  const split = s1.findIndex((x, i) => s2[i] !== x);
  return !(split >= 0 && split < s2.length && exclusiveArms(s1[split], s2[split]));
}

const GRID_INDICES = ['threadIdx.x', 'threadIdx.y', 'threadIdx.z', 'blockIdx.x', 'blockIdx.y', 'blockIdx.z'];

/** Calls that never touch the output's contents. */
// (and a tensor's shape and pointer reads in PyTorch C++, `torch::empty_like(y)`, `y.size(0)`, `y.data_ptr<float>()`: no data)
const HARMLESS = /^(cudaGetLastError|cudaPeekAtLastError|cudaEvent\w+|cudaStreamWaitEvent|cublasSetStream\w*|cublasSetMathMode|printf|fprintf|assert|\w*[Cc]heck\w*|\w*CHECK\w*|gpuErrchk|(?:torch::|at::)?(?:empty_like|empty_strided)|\w+\.(?:size|sizes|stride|strides|numel|dim|options|device|scalar_type|dtype|is_contiguous|data_ptr(?:<\w+>)?))$/;

/** The pass that applies an epilogue to `output`, when the launch is one: an elementwise kernel reading it, or a rank-1 GEMM accumulating into it. */
function epiloguePass(l: CallFact, output: string, kernels: ReadonlyMap<string, FunctionFacts>): string | null {
  const k = kernels.get(l.name);
  if (!k || k.params.length !== l.args.length) return null;
  if (k.kernelClass === 'elementwise') {
    const reads = read(k);
    const at = reads.filter((i) => l.argRoots[i] === output);
    if (at.length === 0) return null;
    // a plain copy (`A[i] = sum[i]`) computes nothing an epilogue would apply; a bias, a
    // residual, a scale factor, a math call or an in-place update does
    const computes =
      reads.some((i) => !at.includes(i)) ||
      k.params.some((p) => !p.pointer && /^(float|double|half|__half|__nv_bfloat16|Dtype|T|scalar_t|floatX)$/.test(p.type)) ||
      k.calls.some((c) => c.kind === 'call') ||
      k.accesses.some((a) => a.kind === 'update');
    // a layout change (`ker_arrange_qkv`: read [B,T,H,d], write [B,H,T,d]) writes elsewhere than it reads:
    // a GEMM epilogue cannot move elements between threads, so the pass stays whatever the bias does
    const readAt = k.accesses.filter((a) => a.kind !== 'store' && at.some((i) => a.array === k.params[i].name)).map((a) => a.indices.join(','));
    const storedAt = k.accesses.filter((a) => a.kind !== 'load' && a.space === 'global').map((a) => a.indices.join(','));
    // (and one that reads a neighbour's element, `C[j - 1]` beside its stores at `C[j .. j + 3]`, needs another thread's result)
    // (or that combines elements far apart, RoPE's `k[i]` with `k[i + head_size / 2]` or `+ 64`: a tile of the GEMM holds
    // one or the other; a vector's neighbours, `x[4 * i + 1]`, or an interleaved pair, `x[2 * i + 1]`, lie in one tile)
    // (in one iteration: two loops over a row read it at their own steps)
    const readForms = k.accesses.filter((a) => a.kind !== 'store' && a.indices.length === 1 && at.some((i) => a.array === k.params[i].name));
    const farApart = readForms.some((x, n) => readForms.slice(n + 1).some((y) => {
      if (x.loops.join() !== y.loops.join()) return false;
      // (a run-time distance that is no multiple of the block: a thread's two elements `blockDim.x` apart, an unrolled
      // pointwise pass, each stored back where it was read, lie in tiles of their own)
      const d = x.indices[0].sub(y.indices[0]);
      return !d.unknown && (d.isConstant ? Math.abs(d.constant) >= 16 : !d.dependsOn((v) => /^(?:blockDim|gridDim)\./.test(v)));
    }));
    // (or that hands each element of the output to many threads, an outer product's `W[i * out + j] -= x[i] * delta[j]`
    // over a [in, out] grid: the stores span thread indices the output's reads do not, so no one tile holds its pass)
    const stores = k.accesses.filter((a) => a.kind !== 'load' && a.space === 'global');
    const uses = (forms: AccessFact[], v: string) => forms.some((a) => a.indices.some((p) => !p.unknown && p.dependsOn((x) => x === v)));
    const broadcast = readForms.length > 0 && readForms.every((a) => !a.indices[0].unknown) &&
      GRID_INDICES.some((v) => uses(stores, v) && !uses(readForms, v));
    const permutes = (readAt.length > 0 && storedAt.length > 0 && readAt.some((r) => !storedAt.includes(r))) || farApart || broadcast;
    // a reduction over the output's rows first (a softmax's max and sum, one lane sweeping the row `for (t < len)`):
    // no value of the row is final until the sweep is done, so no store of the producer can apply it
    // (a loop that reads the row and stores each element back where it read it, a per-row bias, is no such sweep)
    const sweeps = k.accesses.some((a) => a.kind === 'load' && at.some((i) => a.array === k.params[i].name) && a.loops.some((id) => {
      const l = k.loops.find((x) => x.id === id);
      return !!l && !l.gridStride && !l.blockStride && l.trips === undefined &&
        !k.accesses.some((w) => w.kind !== 'load' && w.loops.includes(id) && w.indices.join() === a.indices.join());
    }));
    return computes && !permutes && !sweeps ? 'elementwise' : null;
  }
  // `gemm(..., M, N, 1, 1, bias_multiplier, bias, 1, C)`: C += ones · biasᵀ, a bias add written as a GEMM
  if (k.kernelClass === 'gemm') {
    const kIdx = k.params.findIndex((p) => p.name === 'k');
    const beta = k.params.findIndex((p) => p.name === 'beta');
    const rankOne = kIdx >= 0 && l.args[kIdx]?.trim() === '1';
    const accumulates = beta >= 0 && /^&?\(?(\(\w+\))?\s*1(\.0*)?f?\)?$/.test(l.args[beta]?.replace(/\s+/g, '') ?? '');
    return rankOne && accumulates && written(k).some((i) => l.argRoots[i] === output) ? 'rank-1' : null;
  }
  return null;
}

/**
 * A pass that reads a mat-vec's output at more than one element a thread (RoPE's `v[2i]` with `v[2i + 1]`, or one
 * `float2` of both): a mat-vec stores one row a thread or warp, so the pass spans rows that two of them hold.
 */
function acrossRows(l: CallFact, output: string, kernels: ReadonlyMap<string, FunctionFacts>): boolean {
  const k = kernels.get(l.name);
  if (!k) return false;
  const reads = k.accesses.filter((a) => a.kind !== 'store' && k.params.some((p, j) => p.name === a.array && l.argRoots[j] === output));
  return reads.some((a) => a.vector) || new Set(reads.map((a) => a.indices.join())).size > 1;
}

/** The buffer of an argument given or left out at run time: `flag ? buffer : NULL` (or the arms the other way round). */
const chosenOrNull = (arg: string): string | null =>
  /\?\s*([A-Za-z_]\w*)\s*:\s*(?:NULL|nullptr|0)\s*$/.exec(arg)?.[1] ?? /\?\s*(?:NULL|nullptr|0)\s*:\s*([A-Za-z_]\w*)\s*$/.exec(arg)?.[1] ?? null;

/** A host function that makes a GEMM itself (a cuBLAS call, a GEMM kernel's launch, a GEMM wrapper's call, also one of the file's: `matmul_forward` running cuBLAS). */
function runsGemm(f: FunctionFacts | undefined, kernels: ReadonlyMap<string, FunctionFacts>, hosts: ReadonlyMap<string, FunctionFacts>): boolean {
  if (!f) return false;
  // (asked for every pass after every GEMM of a host: once per wrapper and set of callables)
  let byWrapper = gemmRunners.get(hosts);
  if (!byWrapper) gemmRunners.set(hosts, (byWrapper = new WeakMap()));
  let runs = byWrapper.get(f);
  if (runs === undefined) byWrapper.set(f, (runs = callsThroughWrappers(f, hosts).some((c) => gemmOf(c, kernels, hosts) !== null)));
  return runs;
}
const gemmRunners = new WeakMap<ReadonlyMap<string, FunctionFacts>, WeakMap<FunctionFacts, boolean>>();

/** A host function that runs a cublasLt GEMM with an epilogue set on its descriptor (`CUBLASLT_MATMUL_DESC_EPILOGUE`). */
function fusesEpilogue(f: FunctionFacts | undefined): boolean {
  return !!f && f.calls.some((c) => /^cublasLtMatmul$/.test(c.name)) &&
    f.calls.some((c) => c.name === 'cublasLtMatmulDescSetAttribute' && (c.args[1] ?? '').trim() === 'CUBLASLT_MATMUL_DESC_EPILOGUE');
}

function checkHost(host: FunctionFacts, kernels: ReadonlyMap<string, FunctionFacts>, hosts: ReadonlyMap<string, FunctionFacts>): RuleFinding[] {
  const out: RuleFinding[] = [];
  const calls = callsThroughWrappers(host, hosts);
  const reported = new Set<CallFact>();
  // the wrapper a launch was made through, as its call site names it (`net.backward()`: the method `MLP::backward`)
  const wrapperAt = (x: CallFact) => {
    const site = host.calls.find((h) => h.range === x.range && h.kind === 'call');
    return (site && hostCallee(site, hosts)) ?? (x.via ? hosts.get(x.via) : undefined);
  };
  calls.forEach((c, i) => {
    const g = gemmOf(c, kernels, hosts);
    if (!g) return;
    // the unfused arm beside one that calls the same GEMM straight into the buffer this arm's pass produces, with nothing
    // after it (`if (gelu_fusion < 1) { gemm(pre, ...); gelu(out, pre); } else gemm(out, ..., pre_gelu)`): the other arm
    // fuses the epilogue, this one is its fallback (an optional bias arm, `else gemm(C, ...)` into the same C, is not)
    const passInto = (buffer: string) => calls.some((x) => x.kind === 'launch' && before(c, x) && !neverTogether(x.scopes, c.scopes) && x.argRoots.includes(g.output) && x.argRoots.includes(buffer));
    const fusedTwin = calls.some((o) => {
      const t = o !== c && o.name === c.name && neverTogether(o.scopes, c.scopes) ? gemmOf(o, kernels, hosts) : null;
      return !!t && t.output !== g.output && passInto(t.output) &&
        !calls.some((x) => before(o, x) && x.kind === 'launch' && x.argRoots.includes(t.output) && !neverTogether(x.scopes, o.scopes));
    });
    if (fusedTwin) return;
    // a GEMM under a condition after a call that already ran a cublasLt GEMM with an epilogue into the same output (apex's
    // `if (use_lt) status = gemm_bias_lt(..., y, b); if (status != 0) { cublasGemmEx(..., y); biasAdd(y, b); }`): the
    // fallback for when the fused path is off or fails
    const ltFirst = (g.call.scopes ?? []).length > 0 && host.calls.some((o) => before(o, g.call) && o.kind === 'call' && o.argRoots.includes(g.output) && fusesEpilogue(hosts.get(o.name)));
    if (ltFirst) return;
    // arms of one `if`/`else` after the GEMM are alternatives: a batch norm in one arm does not hide the bias kernel in the other
    const depth = (g.call.scopes ?? []).length;
    const otherArms: number[] = [];
    for (const next of calls.slice(i + 1)) {
      if (next.range === g.call.range || !before(g.call, next) || !next.argRoots.includes(g.output)) continue; // launches of one wrapper call: the wrapper's own business
      // (a call inside the GEMM's own arguments, `static_cast<void *>(out.data_ptr())`, names its output; it uses nothing)
      if (rangeHolds(g.call.range, next.range.start)) continue;
      if (!sequential(g.call, next)) continue;
      const arm = (next.scopes ?? [])[depth];
      if (arm !== undefined && otherArms.includes(arm)) continue; // the rest of an arm already seen to use C otherwise
      if (otherArms.length && (arm === undefined || !otherArms.every((o) => exclusiveArms(o, arm)))) return;
      // (a launch inside a wrapper that runs a GEMM of its own and reads C into another buffer, `run_network(...)`: SiLU
      // into `act`, then a projection: a stage of the program that uses C, not an epilogue of this GEMM; one that rewrites
      // C in place, `gelu_inplace(hidden)` before the down projection, is still the epilogue)
      const nextKernel = next.kind === 'launch' ? kernels.get(next.name) : undefined;
      const rewritesOutput = !!nextKernel && written(nextKernel).some((j) => next.argRoots[j] === g.output);
      const stage = !!next.via && next.via !== g.call.via && !rewritesOutput && runsGemm(wrapperAt(next), kernels, hosts);
      // (a wrapper whose arms are alternatives judged by all of them: llm.c's `fused_residual_forward5` runs a fused
      // residual + layernorm kernel, a row reduction no epilogue takes, and falls back to two launches only when it
      // cannot get its shared memory)
      const alternatives = !!next.via && calls.some((x) => x !== next && x.range === next.range && x.argRoots.includes(g.output) && neverTogether(x.scopes, next.scopes) &&
        (x.kind !== 'launch' || epiloguePass(x, g.output, kernels) === null));
      const pass = stage || alternatives ? null : next.kind === 'launch' ? epiloguePass(next, g.output, kernels) : next.kind === 'sync' || HARMLESS.test(next.name) ? 'harmless' : null;
      if (pass === 'harmless') continue;
      if (!pass || reported.has(next)) {
        if (arm === undefined) return; // a copy, a call we cannot see, another GEMM: C is used as it is
        otherArms.push(arm);
        continue;
      }
      // the GEMM is handed its fused epilogue's buffer at run time (`gelu_fusion >= 2 ? pre_gelu : NULL`) and the pass
      // that uses that buffer runs under a guard: the fallback for when the fused path is off (llm.c's matmul_backward)
      const site = host.calls.find((h) => h.range === g.call.range) ?? g.call;
      if (arm !== undefined && site.args.some((a) => { const b = chosenOrNull(a); return b !== null && next.argRoots.includes(b); })) return;
      // (also where a wrapper makes that choice: `matmul_backward(dinp, ..., pre_gelu, gelu_fusion)` hands the GEMM's
      // wrapper the buffer the guarded pass reads, which no operand of the GEMM itself is: its epilogue's input)
      if (arm !== undefined && site !== g.call && site.argRoots.some((r) => r !== null && r !== g.output && next.argRoots.includes(r) && !g.call.argRoots.includes(r))) return;
      // the pass writes a buffer that a call between the GEMM and it uses (an SGD step writing `W` after a dgrad that
      // reads `W`): applied in the GEMM's epilogue, the write would come before that use (a later launch of the same
      // wrapper call, `backward(...)` running the wgrad GEMM then the dgrad one, comes between too)
      const k = next.kind === 'launch' ? kernels.get(next.name) : undefined;
      const outputs = k ? written(k).map((j) => next.argRoots[j]).filter((r): r is string => r !== null && r !== g.output) : [];
      const afterGemm = (x: CallFact, j: number) => (before(g.call, x) ? !rangeHolds(g.call.range, x.range.start) : x.range === g.call.range && j > i);
      if (outputs.some((w) => calls.some((x, j) => x !== next && afterGemm(x, j) && before(x, next) && !neverTogether(x.scopes, next.scopes) && x.argRoots.includes(w)))) return;
      // the pass reads what another GEMM between them writes (`silu(h1) * h3` after the GEMM of h1, then the one of h3):
      // not ready at this GEMM's store; the later GEMM's epilogue is where the pass goes (an elementwise launch between
      // them, `sigmoid_backward(z, s)` before `hadamard(d, s)`, can join this epilogue itself)
      // (and so for every pass the epilogue would take, these first and then those chained after it)
      const waitsForLaterGemm = (p: CallFact) => {
        const pk = p.kind === 'launch' ? kernels.get(p.name) : undefined;
        const inputs = pk ? read(pk).map((j) => p.argRoots[j]).filter((r): r is string => r !== null && r !== g.output) : [];
        return inputs.some((r) => calls.some((x, j) => x !== p && afterGemm(x, j) && before(x, p) && !neverTogether(x.scopes, p.scopes) && gemmOf(x, kernels, hosts)?.output === r));
      };
      const spansRows = (p: CallFact) => g.matVec && acrossRows(p, g.output, kernels);
      if (waitsForLaterGemm(next) || spansRows(next)) return;
      reported.add(next);
      // the elementwise passes right after it over the same output (bias, then GELU, then a residual add):
      // one epilogue applies them all
      const later: CallFact[] = [];
      for (const more of calls.slice(calls.indexOf(next) + 1)) {
        if (!more.argRoots.includes(g.output) || !sequential(next, more) || rangeHolds(next.range, more.range.start)) continue;
        if (more.kind === 'sync' || HARMLESS.test(more.name)) continue;
        if (more.kind !== 'launch' || epiloguePass(more, g.output, kernels) !== 'elementwise' || waitsForLaterGemm(more) || spansRows(more)) break;
        later.push(more);
        reported.add(more);
      }
      const shown = (l: CallFact) => (l.via ? `\`${l.via}\` (launching \`${l.name}\`)` : `\`${l.name}\``);
      // (a mat-vec's row sum is in a register before its store, as a GEMM's accumulators are)
      const op = g.matVec ? 'mat-vec' : 'GEMM';
      const what = pass === 'rank-1' ? `adds a bias to \`${g.output}\` as a second, rank-1 GEMM` : `reads \`${g.output}\` back as a separate elementwise pass`;
      const assumptions = [`assumes nothing between the two launches needs \`${g.output}\` without the epilogue`];
      if (g.guessed) assumptions.unshift(`assumes \`${g.call.name}\` is a GEMM that writes its first argument (its definition is not in the project)`);
      if (kernels.get(next.name)?.params.length && written(kernels.get(next.name)!).every((j) => next.argRoots[j] !== g.output)) {
        assumptions.push(`the pass writes a new buffer: if \`${g.output}\` itself is needed later (for a backward pass), the epilogue can store both`);
      }
      // (a pass into a new buffer, `act = relu(pre + b)`, of a GEMM output the caller hands in, kept for a backward pass:
      // the fused epilogue still writes it, and saves its read)
      const keptOutput = pass !== 'rank-1' && outputs.length > 0 && (host.params.some((p) => p.pointer && p.name === g.output) || /[.>]/.test(g.output));
      out.push({
        range: next.nameRange,
        function: host.name,
        confidence: g.guessed ? 'heuristic' : 'likely',
        assumptions,
        message: later.length
          ? `${[next, ...later].map((l) => `\`${l.via ?? l.name}\``).join(', ').replace(/, ([^,]*)$/, ' and $1')} are ${later.length + 1} separate passes over \`${g.output}\` from the ${op} \`${g.call.via ?? g.call.name}\`: an extra write and read each`
          : `\`${next.via ?? next.name}\` ${pass === 'rank-1' ? 'adds a bias as a second GEMM' : 'is a separate pass'} over \`${g.output}\` from the ${op} \`${g.call.via ?? g.call.name}\`: ${keptOutput ? `an extra read (\`${g.output}\` is the caller's: still written)` : 'an extra write and read'}`,
        detail: detail(
          `${shown(next)} ${what} right after the ${op} ${shown(g.call)} wrote it.`,
          g.matVec
            ? `Apply it where the mat-vec stores each row's result (the thread that holds the row's sum, \`out[row] = f(sum, ...)\`), so the output is written once and never read back, and a launch goes.`
            : `Apply it in the GEMM's epilogue (to the accumulators before the store; with cuBLAS, a cublasLt epilogue such as \`CUBLASLT_EPILOGUE_BIAS\` / \`_GELU_BIAS\`), so the output is written once and never read back.`,
        ),
        // (a mat-vec's output is one vector: the launch it saves is most of the gain, per token in a decoder)
        benefit: g.matVec ? 'saves a launch and a write and read of the output vector; small beside the weights the mat-vec streams, but a launch (a few microseconds) per layer per token in single-token decode (not measured here)' : BENEFIT,
        related: [
          { range: g.call.nameRange, message: `${shown(g.call)} writes \`${g.output}\` here` },
          ...later.map((l) => ({ range: l.nameRange, message: `${shown(l)} makes another pass over \`${g.output}\`` })),
        ],
      });
      return;
    }
  });
  return out;
}

// an edit re-checks only the hosts whose code, kernels or wrappers it changed
const hostCached = perHost((h, c) => checkHost(h, c.kernels, c.hosts));

export const rule: Rule = {
  id: 'fusion/gemm-epilogue',
  languages: ['cuda', 'cpp', 'triton'], // .cpp host code calls cuBLAS and launch wrappers too
  defaultSeverity: 'information',
  check(facts: FileFacts) {
    if (facts.language === 'triton') return tritonGemmEpilogue(facts);
    const callables = visibleCallables(facts);
    // (nor a host named as the unfused baseline of a fused twin, `mlpForwardUnfused` beside `mlpForwardFused`)
    return callables.mine.filter((h) => !isReferenceOracle(h.name) && !isUnfusedBaseline(h.name)).flatMap((h) => hostCached(h, callables));
  },
};
