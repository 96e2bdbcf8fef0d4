// Eager attention in PyTorch host code, read once for the rules that look at it:
//   scores = q @ k.transpose(-2, -1)      (`@`, torch.matmul/bmm, a local `bmm` wrapper, einsum)
//   probs  = softmax(scores)              (torch.softmax, F.softmax, .softmax(), a `softmax` wrapper)
//   out    = probs @ v
// The host records every operation in evaluation order (CallFact.form, parent, assignedTo), so values are
// tagged as they flow: a transposed operand (kᵀ), the scores (a matmul with a kᵀ operand or an einsum
// contracting both last axes), the probabilities (softmax of scores); scaling, masking, views, dtype casts and
// dropout carry the tags. A matmul of the probabilities closes the chain. fusion/attention reports it;
// fusion/gemm-epilogue leaves the scores' scale and mask to it.
import { neverTogether, type CallFact, type FunctionFacts } from '../../core/facts/model';

type Tag = 'kT' | 'scores' | 'probs';

/**
 * A fused attention call: PyTorch's SDPA, flash-attn's and xformers' functions, a Triton attention helper
 * (`attention(q, k, v, causal, sm_scale)` of the tutorial, `flash_attention`, `fused_attention`); not a helper
 * named for the eager form (`naive_attention`, `eager_attention_forward`).
 */
export const FUSED_ATTENTION = /^(?:scaled_dot_product_attention|attention|flex_attention|flash_attn\w*|\w*flash\w*|memory_efficient_attention\w*|\w*fused_?attention\w*|\w*sdpa\w*)$/i;

const lastName = (c: CallFact) => (c.qualified ?? c.name).replace(/^.*[.]/, '');
const TRANSPOSE = new Set(['transpose', 'permute', 't', 'T', 'mT', 'swapaxes']);
const MATMUL = new Set(['matmul', 'bmm', 'mm', 'baddbmm', 'einsum']);

function isMatmul(c: CallFact): boolean {
  if (c.form === 'operator') return c.name === '@';
  return (c.form === 'call' || c.form === 'method') && MATMUL.has(lastName(c));
}
export const isSoftmax = (c: CallFact) => (c.form === 'call' || c.form === 'method') && lastName(c) === 'softmax';
/** A transpose of a tensor (`k.transpose(-2, -1)`, `w.t()`, `x.mT`, `torch.permute(...)`). */
export const isTranspose = (c: CallFact) => (c.form === 'method' || c.form === 'attribute' || c.form === 'call') && TRANSPOSE.has(lastName(c));

/** `einsum('bhqd,bhkd->bhqk', q, k)`: both operands' last axes are contracted (QKᵀ). */
function einsumScores(c: CallFact): boolean {
  const m = /^['"]([^'"]*)['"]$/.exec(c.args[0]?.trim() ?? '');
  const eq = m?.[1].replace(/\s+/g, '');
  const parts = eq && /^([\w.]+),([\w.]+)->([\w.]+)$/.exec(eq);
  if (!parts) return false;
  const a = parts[1].slice(-1);
  return a === parts[2].slice(-1) && !parts[3].includes(a);
}

/** Where a host function's eager attention chain is (indices into its calls), or null when it has none. */
export interface AttentionChain {
  scoresAt: number;
  softmaxAt: number;
  pvAt: number;
  /** The eager arm of a switch whose other arm calls a fused attention (nanoGPT's `if self.flash:`): the fallback of a fused path. */
  fallback: boolean;
  /** The weights are returned only under this condition (`... if output_attentions else ...`): the default path needs none. */
  weightsIf?: string;
}

/**
 * The chain, when the scores and probabilities stay inside the function: one that returns or stores them (attention
 * weights for hooks or inspection) keeps them materialized on purpose, and has none.
 */
export function attentionChain(host: FunctionFacts): AttentionChain | null {
  if (!host.calls.some(isSoftmax)) return null;
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
  let weightsIf: string | undefined;
  const holds = (name: string | null, ...which: Tag[]) => !!name && which.some((t) => names.get(name)?.has(t));
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
    } else if (c.form === 'store' && holds(c.argRoots[0], 'scores', 'probs')) {
      // an edit of the scores in place (`p[:, :, M == 0] = float("-inf")`, a causal mask): they stay the function's
    } else if (c.form === 'return' || c.form === 'store') {
      if (input.has('scores') || input.has('probs')) escaped = true;
    } else if (c.name === 'if-else' && children[i].some((j) => !tags[j].has('scores') && !tags[j].has('probs') && calls[j].args.length > 0)) {
      // `(ctx, probs) if output_attentions else (ctx,)`: the weights leave only when asked for; the default path keeps them
      for (const t of input) if (t !== 'scores' && t !== 'probs') out.add(t);
      if (input.has('probs') || input.has('scores')) weightsIf = c.args[1]?.trim();
    } else for (const t of input) out.add(t);
    if (c.form === 'assign' || c.form === 'other') for (const n of c.assignedTo ?? []) names.set(n, new Set(out));
  });
  if (scoresAt === null || softmaxAt === null || pvAt === null || escaped) return null;
  const qk = calls[scoresAt];
  const fallback = calls.some((c) => (c.form === 'call' || c.form === 'method') && FUSED_ATTENTION.test(lastName(c)) && neverTogether(c.scopes, qk.scopes));
  return { scoresAt, softmaxAt, pvAt, fallback, ...(weightsIf ? { weightsIf } : {}) };
}

/**
 * A function named for the decode phase (`decode_step`, `attn_decoding`, `forward_decode`; not a `decoder`'s); not speculative decoding's
 * verification, which scores a block of draft tokens at once (`attention_spec_decode`).
 */
const DECODE = /^(?!.*(?:spec|verif|draft)).*decod(?!er)/i;
export const isDecodeStep = (name: string): boolean => DECODE.test(name);
