// Names that mark a function as a variant kept on purpose beside an optimized twin: an unfused
// baseline, a lesson's naive version, an fp32 kernel beside its TF32 one. The facts use them for
// what a kernel's launches say (core/launch-shapes.ts: a kernel only such a baseline launches);
// the rules for the host functions themselves (rules/common/reference.ts) and for kernels
// (precision/tensor-core-eligible: the op a name says).
import { neverTogether, type FunctionFacts } from './facts/model';
import { baseName } from './project';

const UNFUSED = /(?:^|_)(?:un|non_?)fused(?:_|[A-Z0-9]|$)|(?:Un|Non)[Ff]used/;

/**
 * A host function its author named as the unfused version of a fused twin (`LSTM_elementwise_unfused` beside the
 * fused `elementWise_fp`, picked by a flag; `unfusedForward`): the baseline the fused path is measured against.
 */
export const isUnfusedBaseline = (functionName: string): boolean => UNFUSED.test(functionName);

/**
 * Unfused baselines a caller picks against a kernel launch of its own, in the other arm of one conditional
 * (`if (FUSE_PW) elementWise_fp<<<...>>>(...); else LSTM_elementwise_unfused(...)`): the comparison path beside a fused
 * one, so the kernels only they launch are plain on purpose. (For the kernels a name alone is not enough: a library's
 * `UnfusedAttention` may be the path it runs. The fusion rules leave a host so named alone: rules/common/reference.ts.)
 */
export function pickedBaselines(functions: readonly FunctionFacts[]): ReadonlySet<string> {
  const out = new Set<string>();
  if (!functions.some((f) => !f.isKernel && isUnfusedBaseline(f.name))) return out;
  // (or one whose fused twin the file defines beside it, `run_unfused` and `run_fused`: a comparison the file makes)
  const hosts = new Set(functions.filter((f) => !f.isKernel).map((f) => baseName(f.name)));
  // (the twin's name may go on, `linear_relu_fused_epilogue` beside `linear_relu_unfused`)
  const twinOf = (name: string) => { const twin = fusedTwinName(name); return [...hosts].some((h) => h === twin || h.startsWith(`${twin}_`)); };
  for (const f of functions) if (!f.isKernel && isUnfusedBaseline(f.name) && twinOf(baseName(f.name))) out.add(baseName(f.name));
  for (const g of functions) {
    for (const c of g.calls) {
      if (c.kind !== 'call' || !isUnfusedBaseline(c.name)) continue;
      if (g.calls.some((l) => l.kind === 'launch' && neverTogether(c.scopes, l.scopes))) out.add(baseName(c.name));
    }
  }
  return out;
}

/**
 * A function named as a variant of an op (`swiglu_two_kernels`, `norm_naive`, `geglu_eager`) beside a fused twin of
 * that op's name (`swiglu_fused`, `fused_norm`): a lesson's or a benchmark's unfused variant, kept to be measured against
 * the fused one.
 */
export function hasFusedTwin(functionName: string, names: ReadonlySet<string>): boolean {
  const stem = VARIANT.exec(functionName.replace(/^_+/, ''))?.[1];
  return !!stem && (names.has(`${stem}_fused`) || names.has(`fused_${stem}`) || names.has(`_${stem}_fused`));
}
/** An op's name and a variant suffix that says how it is written (`swiglu` + `_two_kernels`). */
const VARIANT = /^(\w+?)_(?:two_kernels|\d+_kernels|naive|eager|torch|simple|separate|unfused|v\d+)$/;

/** The fused twin's name of an unfused one: `run_unfused` -> `run_fused`, `unfusedForward` -> `fusedForward`. */
const fusedTwinName = (name: string): string => name.replace(/(^|_)(?:un|non_?)fused/, '$1fused').replace(/(?:Un|Non)[Ff]used/, 'Fused');

/**
 * The op a kernel's name says, without the words for how it is written (`sgemm_naive_f32_kernel`,
 * `sgemm_t_8x8_sliced_k_f32x4_bcf_dbuf_kernel` and `sgemm_wmma_m16n16k8_tf32_kernel`: `sgemm`; `kernel_attn_scores_f32`: `attn_scores`).
 */
export function opOf(name: string): string {
  return name.split('_').filter((w) => w && !HOW_WRITTEN.test(w)).join('_');
}
const HOW_WRITTEN = /^(?:kernel|cuda|gpu|device|naive|simple|simt|tiled|tile|shared|smem|wmma|mma|tensor|core|tc|f16|fp16|bf16|f32|fp32|tf32|f64|fp64|m\d+n\d+k\d+|v\d+|t|x\d+|\d+x\d+|\d+|pack|packed|async|block|warp|reg|regs|vec\d*|f32x\d+|f16x\d+|prefetch|dbuf|bcf|sliced|k|stages?|dsmem|swizzle|nopipe|pipe|mma\d+x\d+|warp\d+x\d+|double|buffer(?:ed)?)$/i;
