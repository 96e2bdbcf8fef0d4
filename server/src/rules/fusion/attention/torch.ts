// The Triton / PyTorch half of fusion/attention: host code that computes the scores QKᵀ, their softmax and P·V
// with the scores and probabilities materialized in global memory between the steps (the chain is read in
// rules/common/attention-chain.ts).
//
// Quiet: F.scaled_dot_product_attention and flash-style kernels (no chain), a projection
// `x @ self.weight.T` (a parameter, not keys), functions that return or store the
// scores or probabilities (attention weights for hooks must stay materialized), the eager
// fallback arm of a fused path, decode steps, and reference oracles for tests.
import { detail } from '../../common/detail';
import type { CallFact, FileFacts, FunctionFacts } from '../../../core/facts/model';
import { FUSED_ATTENTION, attentionChain, isDecodeStep, isSoftmax } from '../../common/attention-chain';
import type { RuleFinding } from '../../../core/types';
import { isUnfusedBaseline, pythonOracles } from '../../common/reference';

export const ATTENTION_BENEFIT =
  'on an H200, bf16 B=8 H=16 T=2048 D=64: eager attention (scores materialized, softmax, P·V) 2.299 ms -> fused flash (SDPA) 0.480 ms non-causal (4.79x); causal 4.561 -> 0.286 ms (15.9x)';

function checkHost(host: FunctionFacts): RuleFinding[] {
  const chain = attentionChain(host);
  // (the eager arm of a switch whose other arm calls a fused attention, `if self.flash: y = attention(q, k, v, ...)
  // else: manual softmax(q @ k.T) @ v`, nanoGPT's: the fallback of a path the code already fuses)
  if (!chain || chain.fallback) return [];
  const { scoresAt, softmaxAt, pvAt } = chain;
  const calls = host.calls;
  const qk = calls[scoresAt];
  const sm = calls[softmaxAt];
  const pv = calls[pvAt];
  const line = (c: CallFact) => c.range.start.line + 1;
  return [
    {
      range: qk.form === 'operator' ? qk.range : qk.nameRange,
      function: host.name === '<module>' ? null : host.name,
      confidence: 'likely',
      assumptions: [chain.weightsIf
        ? `assumes \`${chain.weightsIf}\` is off on the hot path: the weights are returned only where it is set (a fused kernel for the default path, the eager one when they are asked for)`
        : 'assumes the attention weights are not needed outside this function (hooks, returned weights)'],
      message: `unfused attention: scores QKᵀ here, softmax (line ${line(sm)}) and P·V (line ${line(pv)}) materialize T×T matrices`,
      detail: detail(
        `Attention is computed in three steps through global memory: the scores QKᵀ here, softmax on line ${line(sm)}, and P·V on line ${line(pv)}.`,
        '`torch.nn.functional.scaled_dot_product_attention` (or a flash-style Triton kernel) keeps the scores on chip and never materializes the T×T matrices.',
      ),
      benefit: ATTENTION_BENEFIT,
      related: [
        { range: sm.nameRange, message: 'softmax of the materialized scores' },
        { range: pv.form === 'operator' ? pv.range : pv.nameRange, message: 'P·V reads the materialized probabilities' },
      ],
    },
  ];
}

/**
 * A call of a fused attention, also bound first (`functools.partial(_flex_attention, score_mod=...)`); a function of the
 * file by such a name counts only if it calls one itself (the file's own eager `_attention` is not fused).
 */
const callsFused = (functions: readonly FunctionFacts[], depth = 0) => (c: CallFact): boolean => {
  const fused = (name: string): boolean => {
    const own = functions.filter((h) => h.name === name);
    if (own.length) return depth < 2 && own.some((h) => h.calls.some(callsFused(functions, depth + 1)));
    return FUSED_ATTENTION.test((name.split('.').pop() ?? '').replace(/^_+/, ''));
  };
  return (c.form === 'call' || c.form === 'method') && (fused(c.name) || (/(?:^|\.)partial$/.test(c.name) && /^\s*[\w.]+\s*$/.test(c.args[0] ?? '') && fused(c.args[0].trim())));
};

export function tritonAttention(facts: FileFacts): RuleFinding[] {
  const out: RuleFinding[] = [];
  for (const f of facts.functions) {
    // (a decode step, `decode_step_eager(q, k_cache, v_cache)`: one query token, its scores a row per head, not T×T)
    // (nor one named as the unfused baseline, `unfused_standard_attn`, benchmarked beside SDPA and the file's kernel)
    if (f.isKernel || pythonOracles(facts.functions).has(f) || isDecodeStep(f.name) || isUnfusedBaseline(f.name) || !f.calls.some(isSoftmax)) continue;
    // (nor the eager one of two definitions of a name, the other fused: unsloth's `if not HAS_FLEX_ATTENTION: def
    // slow_attention_softcapping(...)` (eager) `else: def slow_attention_softcapping(...)` (flex_attention))
    // (the fused one defined after it: the name a module binds last is the one that runs where both are defined)
    const fused = callsFused(facts.functions);
    if (facts.functions.some((g) => g !== f && g.name === f.name && g.className === f.className && g.range.start.line > f.range.start.line && g.calls.some(fused))) continue;
    out.push(...checkHost(f));
  }
  return out;
}
