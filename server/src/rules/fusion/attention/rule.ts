// fusion/attention: attention computed in three steps through global memory. A host
// function produces the scores S = QKᵀ (a cuBLAS GEMM or a GEMM-like kernel), a softmax
// kernel (a row reduction that calls exp) turns them into probabilities P, and a second
// GEMM reads P (P·V). The T×T scores and probabilities make a round trip through HBM
// that a flash-style kernel (online softmax over key tiles, scores kept on chip) avoids.
// Elementwise launches between the steps (scaling, masking) are followed.
//
// Quiet: flash-style kernels (one launch: nothing to chain), GEMM → activation → GEMM
// (an MLP: the middle kernel is no softmax), GEMM → layernorm → GEMM (no exp), and launches
// in exclusive branches or different host loops. Triton host code: its launches of the file's kernels
// here, its eager PyTorch chains in torch.ts.
import { detail } from '../../common/detail';
import type { Rule } from '../../../core/rule';
import type { AccessFact, CallFact, FileFacts, FunctionFacts } from '../../../core/facts/model';
import { exclusiveArms, neverTogether } from '../../../core/facts/model';
import type { RuleFinding } from '../../../core/types';
import { callsThroughWrappers } from '../../../core/facts/wrappers';
import { baseName, visibleCallables, type Callables } from '../../../core/project';
import { perHost } from '../../common/memo';
import { CLASSIFIER_TARGETS, readsDenseTargets } from '../../common/loss';
import { sameRange } from '../../common/fix-syntax';
import { bind, paramUse } from '../../common/launch-flow';
import { tritonAttention, ATTENTION_BENEFIT } from './torch';
import { isSoftmax as isTorchSoftmax } from '../../common/attention-chain';
import { pythonOracles } from '../../common/reference';

/** cuBLAS / cuBLASLt GEMMs: argument positions of A, B and the output. */
const GEMMS: [RegExp, number, number, number][] = [
  [/^cublas[SDHCZ]gemm(_v2)?$/, 7, 9, 12],
  [/^cublas[SDHCZ]gemmBatched$/, 7, 9, 12],
  [/^cublas[SDHCZ]gemmStridedBatched$/, 7, 10, 14],
  [/^cublasGemmEx$/, 7, 10, 14],
  [/^cublasGemmBatchedEx$/, 7, 10, 14],
  [/^cublasGemmStridedBatchedEx$/, 7, 11, 16],
  [/^cublasLtMatmul$/, 3, 5, 10],
];

/** A PyTorch GEMM in Triton host code: `a @ b`, `torch.matmul(a, b)` (also `bmm`, `mm`), `a.matmul(b)`. */
const isTorchGemm = (c: CallFact): boolean =>
  (c.form === 'operator' && c.name === '@') || /^torch\.(?:matmul|bmm|mm)$/.test(c.qualified ?? c.name) || (c.form === 'method' && /^\.(?:matmul|bmm|mm)$/.test(c.name));

/** One step of the host function: what it reads and writes, and what kind of step it is. */
interface Step {
  call: CallFact;
  /** `elementwise`: a scale, mask or dropout kernel the scores pass through; `other`: anything else (a top-k, a gather). */
  kind: 'gemm' | 'softmax' | 'elementwise' | 'other';
  reads: Set<string>;
  writes: Set<string>;
  /** A GEMM kernel that multiplies a matrix by a vector (one query's scores, a decode step): no T×T matrix. */
  matrixVector?: boolean;
}

const EXP = /^(?:__)?(?:h2?)?exp(?:f|2f|2|10f)?$|^__expf$|^tl\.(?:math\.)?exp2?$/;
/** A softmax kernel: a row reduction that exponentiates (layernorm and GEMMs do not). */
const isSoftmax = (k: FunctionFacts) => /softmax/i.test(k.name) || (k.kernelClass === 'reduction' && k.calls.some((c) => EXP.test(c.name)));

/**
 * A softmax that is a classifier's loss: named so (`softmax_xent`, `cross_entropy_fwd`, `softmax_ce_grad`) or reading
 * integer labels or targets, or dense (one-hot) ones at its scores' indices (common/loss.ts). Its GEMM before is a projection to classes and the GEMM after a
 * gradient, not attention's P·V.
 */
const isLoss = (k: FunctionFacts) => /entropy|xent|nll|loss|(?:^|_)ce(?:_|$)/i.test(k.name) || readsDenseTargets(k, CLASSIFIER_TARGETS) ||
  k.params.some((p) => p.pointer && LABELS.test(p.name) && /\b(?:int|long|int\d+_t|uint\d+_t|size_t|unsigned)\b/.test(p.type));
/** Integer labels by name: `labels`, `targets`, a classifier's `y` (a mask is `mask`, and bool or float). */
const LABELS = /label|target|^(?:y|gt|truth)$/i;

/**
 * A GEMM-like kernel: classified so, or a dot-product kernel (each thread loops over two
 * different global operands, `q[i] * k[i]` may come from one buffer, and stores only after the loop).
 */
function isGemm(k: FunctionFacts): boolean {
  // (a softmax by its name is one whatever its loops look like: a backward's row dot product, `att[t2] * datt[t2]`, is
  // the softmax backward's reduction, not a product of two matrices)
  if (/softmax/i.test(k.name) && !/gemm|matmul/i.test(k.name)) return false;
  if (k.kernelClass === 'gemm') return true;
  if (isSoftmax(k)) return false;
  const stores = k.accesses.filter((a) => a.space === 'global' && a.kind !== 'load');
  return k.loops.some((l) => {
    if (stores.some((a) => a.loops.includes(l.id))) return false;
    const forms = new Set(
      k.accesses.filter((a) => a.space === 'global' && a.kind === 'load' && a.loops.includes(l.id) && a.indices.some((p) => p.dependsOn((s) => s === l.symbol))).map((a) => `${a.array}[${a.indices.map(String).join('][')}]`),
    );
    return forms.size >= 2;
  });
}

const THREAD_INDICES = ['threadIdx.x', 'threadIdx.y', 'threadIdx.z', 'blockIdx.x', 'blockIdx.y', 'blockIdx.z'];
/** A symbol of an expression that names the index (`(blockIdx.y)/(kv_mul)`). */
const INDEX_WORDS = new Map(THREAD_INDICES.map((t) => [t, new RegExp(`(?<![\\w.])${t.replace('.', '\\.')}(?!\\w)`)]));
const mentions = (symbol: string, index: string): boolean => symbol.length > index.length && INDEX_WORDS.get(index)!.test(symbol);

/**
 * A dot-product kernel one of whose operands varies with no thread or block index the other
 * does not (`q[i] * k[t * kv_dim + i]`, `q[h * hs + i] * k[(t * H + h) * hs + i]`): a matrix
 * times one vector per head, a decode step's scores, a row rather than a T×T matrix.
 */
function matrixVector(k: FunctionFacts): boolean {
  // (inside atoms and quotients too: a key row picked per head group, `(blockIdx.y / kv_mul) * w_stride`, moves with blockIdx.y)
  const threadIndices = (a: AccessFact) => new Set(THREAD_INDICES.filter((t) => a.indices.some((p) => p.dependsOn((s) => s === t || mentions(s, t)))));
  return k.loops.some((l) => {
    const operands = k.accesses.filter((a) => a.space === 'global' && a.kind === 'load' && a.loops.includes(l.id) && a.indices.some((p) => p.dependsOn((s) => s === l.symbol)));
    const uses = operands.map(threadIndices);
    // (the vector moves with no loop but the dot product's: a query picked by an outer loop, `q[qi * hs + i]` for each
    // `qi`, is a row of a query matrix, and the scores a T×T matrix still)
    const otherLoops = new Set(k.loops.filter((m) => m.id !== l.id).map((m) => m.symbol));
    const vector = (a: AccessFact) => !a.indices.some((p) => p.dependsOn((s) => otherLoops.has(s)));
    // (the matrix moves with more thread indices, `k[threadIdx.x * kv_dim + i]`, or with a loop of its own over the rows
    // the vector stays on, a warp per cached timestep: `for (t = warp; t <= pos; t += nwarps)` around `q[i] * k[t * kv_dim + i]`)
    const more = (u: Set<string>, v: Set<string>, j: number) => [...u].every((s) => v.has(s)) && (v.size > u.size || !vector(operands[j]));
    return uses.some((u, i) => uses.some((v, j) => i !== j && operands[i].array !== operands[j].array && vector(operands[i]) && more(u, v, j)));
  });
}

/**
 * A kernel that computes its scores itself: a loop over two global operands of which one also moves with another loop
 * (`q[i] * k[t * hs + i]`, the key `t` of a loop around it) and the other not (the query row). Or that applies its
 * probabilities itself: a loop over a row it keeps in shared memory and a global operand that also moves with another
 * loop (a decode step's `sc[t] * v[t * kv_dim + d]`, P·V with the scores on chip).
 */
function scoresMadeHere(k: FunctionFacts): boolean {
  return k.loops.some((l) => {
    const operands = k.accesses.filter((a) => a.kind === 'load' && (a.space === 'global' || a.space === 'shared') && a.loops.includes(l.id) && a.indices.some((p) => p.dependsOn((s) => s === l.symbol)));
    const others = new Set(k.loops.filter((m) => m.id !== l.id).map((m) => m.symbol));
    const outer = (a: AccessFact) => a.indices.some((p) => p.dependsOn((s) => others.has(s)));
    return operands.some((a) => !outer(a) && operands.some((b) => b.space === 'global' && (a.space === 'global' || a.indices.length === 1) && b.array !== a.array && outer(b)));
  });
}

function steps(host: FunctionFacts, kernels: ReadonlyMap<string, FunctionFacts>, hosts: ReadonlyMap<string, FunctionFacts>): Step[] {
  const out: Step[] = [];
  for (const call of callsThroughWrappers(host, hosts)) {
    const gemm = call.kind === 'call' || call.kind === 'launch' ? GEMMS.find(([re]) => re.test(call.name)) : undefined;
    if (gemm) {
      const root = (i: number) => call.argRoots[i] ?? null;
      // (an operand picked by a flag, `is_training ? dropout_results : softmax_results`, reads either)
      const reads = new Set([root(gemm[1]), root(gemm[2]), ...(call.argChoices?.[gemm[1]] ?? []), ...(call.argChoices?.[gemm[2]] ?? [])].filter((r): r is string => !!r));
      const writes = new Set([root(gemm[3])].filter((r): r is string => !!r));
      out.push({ call, kind: 'gemm', reads, writes });
      continue;
    }
    // (a PyTorch softmax between two Triton GEMM kernels, `p = torch.softmax(s, dim=-1)`: the probabilities it binds)
    const holder = call.parent !== undefined && host.calls.includes(call) ? host.calls[call.parent] : undefined;
    if (call.kind !== 'launch' && isTorchSoftmax(call) && holder?.form === 'assign' && call.argRoots[0]) {
      out.push({ call, kind: 'softmax', reads: new Set([call.argRoots[0]]), writes: new Set(holder.assignedTo ?? []) });
      continue;
    }
    // (and a PyTorch GEMM after two Triton kernels, `torch.matmul(P, v)` of the probabilities a softmax kernel wrote)
    if (call.kind !== 'launch' && isTorchGemm(call)) {
      const reads = new Set(call.argRoots.slice(0, 2).filter((r): r is string => !!r));
      out.push({ call, kind: 'gemm', reads, writes: new Set(holder?.form === 'assign' ? holder.assignedTo ?? [] : []) });
      continue;
    }
    if (call.kind !== 'launch') continue;
    const k = kernels.get(baseName(call.name));
    const bound = k && bind(k, call);
    if (!k || !bound) continue;
    const u = paramUse(k);
    const pick = (set: Set<string>) => new Set([...set].map((p) => bound.get(p)).filter((b): b is string => !!b));
    // (a loss step, a softmax reading labels or the gradient `P - onehot(y)` after one, turns class scores into a
    // gradient: no P for a P·V; a mask before the softmax reading `target_lengths` is still a step of the scores)
    const afterSoftmax = out.some((s) => s.kind === 'softmax');
    // (a softmax kernel that makes its scores itself, a query row times each cached key, `q[i] * k[t * kv_dim + i]`,
    // before the max and the exp: a decode step's fused attention, whose input is the queries, not scores. A masked
    // softmax's `s[t] + mask[t]` moves both operands alike: still the softmax of the scores)
    const kind = isGemm(k) ? 'gemm' : isSoftmax(k) ? (isLoss(k) || scoresMadeHere(k) ? 'other' : 'softmax') : k.kernelClass === 'elementwise' ? (afterSoftmax && isLoss(k) ? 'other' : 'elementwise') : 'other';
    out.push({ call, kind, reads: pick(u.read), writes: pick(u.written), ...(kind === 'gemm' && matrixVector(k) ? { matrixVector: true } : {}) });
  }
  // a step that picks its kernel softmaxes only sometimes: a wrapper's alternatives (`ApplyMoeGate(x, y, gateType)`: a
  // SwiGLU, or a softmax over experts), or the arms of a branch (`if (v4) PrepareDownInput(...) else ApplyGate(...)`)
  // where the other arm activates: the branch picks an activation, the exp in one arm is a SiLU's
  out.forEach((s, i) => {
    if (s.kind !== 'softmax') return;
    const alternative = (t: Step) => t.kind !== 'softmax' && t.kind !== 'gemm' && (s.call.via && t.call.via === s.call.via && sameRange(t.call.range, s.call.range) || neverTogether(s.call.scopes, t.call.scopes));
    // (the steps right after it that never run with it: the other arms)
    for (let j = i + 1; j < out.length && neverTogether(s.call.scopes, out[j].call.scopes) || (j < out.length && sameRange(out[j].call.range, s.call.range)); j++)
      if (alternative(out[j])) s.kind = 'other';
    for (let j = i - 1; j >= 0 && sameRange(out[j].call.range, s.call.range); j--) if (alternative(out[j])) s.kind = 'other';
  });
  return out;
}

function together(a: CallFact, b: CallFact): boolean {
  if (a.loops.join() !== b.loops.join()) return false;
  const s1 = a.scopes ?? [];
  const s2 = b.scopes ?? [];
  const split = s1.findIndex((x, k) => s2[k] !== x);
  return !(split >= 0 && split < s2.length && exclusiveArms(s1[split], s2[split]));
}

const shown = (c: CallFact) => `\`${c.via ?? c.name}\``;
/** A backward pass by its function's name (`attention_backward`, `attn_bwd`, `flash_attn_grad`). */
const BACKWARD = /(?:^|_)(?:backward|bwd|grad)(?:_|$)|Backward|Bwd/;

/**
 * A cuBLAS scores GEMM whose m or n is 1 or a beam width (`cur_step + 1, 1, head_dim`):
 * decoding a token (or a beam's few), where the scores are a row, not a T×T matrix. Or one
 * whose m or n counts experts: a MoE router's gate, whose softmax picks experts.
 */
function notTxT(call: CallFact): boolean {
  if (!GEMMS.some(([re]) => re.test(call.name))) return false;
  const [m, n] = [call.args[3], call.args[4]].map((a) => (a ?? '').trim());
  return [m, n].some((a) => a === '1' || /beam|expert/i.test(a));
}

function checkHost(host: FunctionFacts, all: Step[]): RuleFinding[] {
  const out: RuleFinding[] = [];
  const reported: Step[] = [];
  for (let i = 0; i < all.length; i++) {
    const qk = all[i];
    if (qk.kind !== 'gemm' || qk.writes.size === 0) continue;
    const scores = [...qk.writes][0];
    const tainted = new Set(qk.writes);
    let softmax: Step | null = null;
    let probs: string | null = null;
    for (const s of all.slice(i + 1)) {
      if (!together(qk.call, s.call)) continue;
      const touches = [...s.reads].some((r) => tainted.has(r));
      // (a step that writes over the scores or probabilities without reading them, a driver reusing its buffer for
      // the next demo: what a later GEMM reads there is no longer P. Not an elementwise one: a causal mask writes
      // -inf above the diagonal and leaves the rest of the scores as they were)
      if (!touches && s.kind !== 'elementwise' && [...s.writes].some((w) => tainted.has(w))) break;
      if (!touches) continue;
      if (s.kind === 'gemm') {
        // all three steps inside one call of a wrapper: the wrapper's own finding says it, not each caller
        const inOneCall = !!qk.call.via && !!softmax && [softmax.call, s.call].every((c) => c.via === qk.call.via && sameRange(c.range, qk.call.range));
        // (a wrapper's alternative GEMMs for one call, one per element type: one finding)
        // (nor the other arm's GEMM of an if/else, `if (padded) qk_padded<<<>>>(..., S) else qk<<<>>>(..., S)`: one chain)
        const said = out.some((f) => sameRange(f.range, qk.call.nameRange)) || reported.some((r) => neverTogether(r.call.scopes, qk.call.scopes) && r.writes.has(scores));
        // (a Python host that returns the scores or probabilities, `return o, p`: the caller asked for the attention weights)
        const returned = host.calls.some((c) => c.form === 'return' && c.argRoots.some((r) => r !== null && (r === probs || r === scores)));
        // (after a PyTorch softmax, whose step has no kernel to tell it from a classifier's: a product of P with a transposed
        // input, `xt = x.t().contiguous()` for the weight gradient x^T @ (p - y), is a classifier's backward, not P·V)
        const transposed = new Set(host.calls.filter((c) => c.form === 'assign' && /\.(?:t\(\)|T\b|mT\b|transpose\()/.test(c.args[0] ?? '')).flatMap((c) => c.assignedTo ?? []));
        const leftOperand = softmax?.call.kind === 'launch' || !s.call.argRoots.some((r) => r !== null && transposed.has(r));
        if (softmax && !inOneCall && !said && !returned && leftOperand && !notTxT(qk.call) && !qk.matrixVector && [...s.reads].some((r) => r === probs || tainted.has(r))) {
          reported.push(qk);
          // (in a backward pass the first product is dO·Vᵀ, the softmax step its backward, and the last the dQ / dK products;
          // a softmax backward reads the saved probabilities besides the chain's buffer, a forward's softmax, recomputed
          // under checkpointing too, only the scores)
          const backward = BACKWARD.test(host.name) && [...softmax.reads].some((r) => !tainted.has(r));
          out.push({
            range: qk.call.nameRange,
            function: host.name,
            confidence: 'likely',
            assumptions: [backward
              ? "assumes the forward's probabilities can be recomputed from Q, K and the saved row statistics, as a flash backward does"
              : `assumes nothing else needs the probabilities \`${probs}\` (a backward pass that reads them can recompute them, as flash attention does)`],
            message: backward
              ? `unfused attention backward: dO·Vᵀ in \`${scores}\`, the softmax backward and dQ / dK through global memory, T×T matrices written and read back`
              : `unfused attention: scores QKᵀ in \`${scores}\`, softmax and P·V through global memory, T×T matrices written and read back`,
            detail: backward
              ? detail(
                  `${shown(qk.call)} writes dO·Vᵀ to \`${scores}\`, ${shown(softmax.call)} turns it into the scores' gradient, and ${shown(s.call)} multiplies that T×T matrix into dQ or dK.`,
                  'A fused flash-style backward (probabilities recomputed per key tile from Q, K and the row statistics, their gradient kept on chip) never materializes the T×T matrices.',
                )
              : detail(
                  `${shown(qk.call)} writes the scores QKᵀ to \`${scores}\`, ${shown(softmax.call)} softmaxes them into \`${probs}\`, and ${shown(s.call)} multiplies them by V.`,
                  'A fused flash-style kernel (online softmax over key tiles, scores kept on chip) never materializes the T×T matrices.',
                ),
            benefit: ATTENTION_BENEFIT,
            related: backward
              ? [
                  { range: softmax.call.nameRange, message: `the softmax backward over \`${scores}\`` },
                  { range: s.call.nameRange, message: `dQ / dK read \`${probs}\`` },
                ]
              : [
                  { range: softmax.call.nameRange, message: `softmax over \`${scores}\`` },
                  { range: s.call.nameRange, message: `P·V reads \`${probs}\`` },
                ],
          });
        }
        break; // the scores went into another GEMM: the chain ends here either way
      }
      if (s.kind === 'softmax' && !softmax) {
        softmax = s;
        probs = [...s.writes][0] ?? [...s.reads].find((r) => tainted.has(r)) ?? scores;
      }
      // the scores flow on through a softmax or elementwise steps; a top-k or index kernel (a MoE router) ends them
      if (s.kind === 'softmax' || s.kind === 'elementwise') for (const w of s.writes) tainted.add(w);
    }
  }
  return out;
}

// an edit re-checks only the hosts whose code, kernels or wrappers it changed
const hostCached = perHost((f, t) => {
  const all = steps(f, t.kernels, t.hosts);
  return all.length >= 3 ? checkHost(f, all) : [];
});

export const rule: Rule = {
  id: 'fusion/attention',
  languages: ['cuda', 'cpp', 'triton'],
  defaultSeverity: 'information',
  check(facts: FileFacts) {
    const triton = facts.language === 'triton';
    let tables: Callables | null = null;
    const out: RuleFinding[] = triton ? tritonAttention(facts) : [];
    for (const f of facts.functions) {
      if (f.isKernel || f.isDevice) continue;
      // (Triton host code: the eager chains are torch.ts's; here, three launches of the file's kernels, `qk_kernel[grid]`,
      // `softmax_kernel[grid]`, `pv_kernel[grid]`, through global memory, as in CUDA; not in a test's or a benchmark's reference)
      // (or two launches around a PyTorch softmax)
      if (triton && (f.calls.filter((c) => c.kind === 'launch' || isTorchSoftmax(c) || isTorchGemm(c)).length < 3 || pythonOracles(facts.functions).has(f))) continue;
      if (f.calls.length < 3) continue; // a wrapper call may stand for several launches, but three steps need three calls
      tables ??= visibleCallables(facts);
      // (one chain a finding: an eager chain whose softmax is a launch wrapper, `softmax(scores)` of another file, is
      // seen both as eager ops and as launches; the first word of it stands)
      const at = (r: RuleFinding) => `${r.range.start.line}:${r.range.start.column}`;
      const seen = new Set(out.map(at));
      out.push(...hostCached(f, tables).filter((r) => !seen.has(at(r))));
    }
    return out;
  },
};
