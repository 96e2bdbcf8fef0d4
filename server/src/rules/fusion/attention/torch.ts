// The Triton / PyTorch half of fusion/attention: host code that computes
//   scores = q @ k.transpose(-2, -1)      (`@`, torch.matmul/bmm, a local `bmm` wrapper, einsum)
//   probs  = softmax(scores)              (torch.softmax, F.softmax, .softmax(), a `softmax` wrapper)
//   out    = probs @ v
// with the scores and probabilities materialized in global memory between the steps.
// The host records every operation in evaluation order (CallFact.form, parent,
// assignedTo), so we tag values as they flow: a transposed operand (kᵀ), the scores
// (a matmul with a kᵀ operand or an einsum contracting both last axes), the
// probabilities (softmax of scores); scaling, masking, views, dtype casts and dropout
// carry the tags. A matmul of the probabilities closes the chain.
//
// Quiet: F.scaled_dot_product_attention and flash-style kernels (no chain), a projection
// `x @ self.weight.T` (a parameter, not keys), functions that return or store the
// scores or probabilities (attention weights for hooks must stay materialized), and
// reference oracles for tests.
import { detail } from '../../common/detail';
import { neverTogether, type CallFact, type FileFacts, type FunctionFacts } from '../../../core/facts/model';
import type { RuleFinding } from '../../../core/types';
import { isPythonOracle } from '../../common/reference';

export const ATTENTION_BENEFIT =
  'on an H200, bf16 B=8 H=16 T=2048 D=64: eager attention (scores materialized, softmax, P·V) 2.299 ms -> fused flash (SDPA) 0.480 ms non-causal (4.79x); causal 4.561 -> 0.286 ms (15.9x)';

type Tag = 'kT' | 'scores' | 'probs';

/**
 * A fused attention call: PyTorch's SDPA, flash-attn's and xformers' functions, a Triton attention helper
 * (`attention(q, k, v, causal, sm_scale)` of the tutorial, `flash_attention`, `fused_attention`); not a helper
 * named for the eager form (`naive_attention`, `eager_attention_forward`).
 */
const FUSED_ATTENTION = /^(?:scaled_dot_product_attention|attention|flash_attn\w*|\w*flash\w*|memory_efficient_attention\w*|\w*fused_?attention\w*|\w*sdpa\w*)$/i;

const lastName = (c: CallFact) => (c.qualified ?? c.name).replace(/^.*[.]/, '');
const TRANSPOSE = new Set(['transpose', 'permute', 't', 'T', 'mT', 'swapaxes']);
const MATMUL = new Set(['matmul', 'bmm', 'mm', 'baddbmm', 'einsum']);

function isMatmul(c: CallFact): boolean {
  if (c.form === 'operator') return c.name === '@';
  return (c.form === 'call' || c.form === 'method') && MATMUL.has(lastName(c));
}
const isSoftmax = (c: CallFact) => (c.form === 'call' || c.form === 'method') && lastName(c) === 'softmax';
const isTranspose = (c: CallFact) => (c.form === 'method' || c.form === 'attribute' || c.form === 'call') && TRANSPOSE.has(lastName(c));

/** `einsum('bhqd,bhkd->bhqk', q, k)`: both operands' last axes are contracted (QKᵀ). */
function einsumScores(c: CallFact): boolean {
  const m = /^['"]([^'"]*)['"]$/.exec(c.args[0]?.trim() ?? '');
  const eq = m?.[1].replace(/\s+/g, '');
  const parts = eq && /^([\w.]+),([\w.]+)->([\w.]+)$/.exec(eq);
  if (!parts) return false;
  const a = parts[1].slice(-1);
  return a === parts[2].slice(-1) && !parts[3].includes(a);
}

function checkHost(host: FunctionFacts): RuleFinding[] {
  const calls = host.calls;
  const names = new Map<string, Set<Tag>>();
  const tags: Set<Tag>[] = calls.map(() => new Set());
  const children: number[][] = calls.map(() => []);
  calls.forEach((c, i) => {
    if (c.parent !== undefined && c.parent >= 0 && c.parent < calls.length) children[c.parent].push(i);
  });
  let scoresAt: number | null = null;
  let softmaxAt: number | null = null;
  let pvAt: number | null = null;
  let escaped = false;
  calls.forEach((c, i) => {
    const input = new Set<Tag>();
    for (const r of c.argRoots) for (const t of (r ? names.get(r) : undefined) ?? []) input.add(t);
    for (const j of children[i]) for (const t of tags[j]) input.add(t);
    const out = tags[i];
    if (isTranspose(c)) {
      // `k.transpose(-2, -1)`, but not a parameter (`self.weight.T`: a projection)
      const receiver = c.args[0] ?? '';
      if (!/^self\b|weight|\bW\b|\bw\b/.test(receiver)) out.add('kT');
      for (const t of input) out.add(t);
    } else if (isMatmul(c)) {
      if (input.has('probs') && scoresAt !== null && softmaxAt !== null && pvAt === null) pvAt = i;
      else if (input.has('kT') || (lastName(c) === 'einsum' && einsumScores(c))) {
        out.add('scores');
        scoresAt ??= i;
      }
    } else if (isSoftmax(c)) {
      if (input.has('scores')) {
        out.add('probs');
        softmaxAt ??= i;
      } else for (const t of input) out.add(t);
    } else if (c.form === 'return' || c.form === 'store') {
      if (input.has('scores') || input.has('probs')) escaped = true;
    } else for (const t of input) out.add(t);
    if (c.form === 'assign' || c.form === 'other') for (const n of c.assignedTo ?? []) names.set(n, new Set(out));
  });
  if (scoresAt === null || softmaxAt === null || pvAt === null || escaped) return [];
  const qk = calls[scoresAt];
  // the eager arm of a switch whose other arm calls a fused attention (`if self.flash: y = attention(q, k, v, ...)
  // else: manual softmax(q @ k.T) @ v`, nanoGPT's): the fallback of a path the code already fuses
  if (calls.some((c) => (c.form === 'call' || c.form === 'method') && FUSED_ATTENTION.test(lastName(c)) && neverTogether(c.scopes, qk.scopes))) return [];
  const sm = calls[softmaxAt];
  const pv = calls[pvAt];
  const line = (c: CallFact) => c.range.start.line + 1;
  return [
    {
      range: qk.form === 'operator' ? qk.range : qk.nameRange,
      function: host.name === '<module>' ? null : host.name,
      confidence: 'likely',
      assumptions: ['assumes the attention weights are not needed outside this function (hooks, returned weights)'],
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
 * A function named for the decode phase (`decode_step`, `attn_decoding`, `forward_decode`; not a `decoder`'s); not speculative decoding's
 * verification, which scores a block of draft tokens at once (`attention_spec_decode`).
 */
const DECODE = /^(?!.*(?:spec|verif|draft)).*decod(?!er)/i;

export function tritonAttention(facts: FileFacts): RuleFinding[] {
  const out: RuleFinding[] = [];
  for (const f of facts.functions) {
    // (a decode step, `decode_step_eager(q, k_cache, v_cache)`: one query token, its scores a row per head, not T×T)
    if (f.isKernel || isPythonOracle(f) || DECODE.test(f.name) || !f.calls.some(isSoftmax)) continue;
    out.push(...checkHost(f));
  }
  return out;
}
