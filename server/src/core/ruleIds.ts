// The fixed rule ids of DESIGN.md. Tests, CLI output, settings and the knowledge base use
// these exact strings; they never change meaning.
export const RULE_IDS = [
  'fusion/elementwise-chain',
  'fusion/gemm-epilogue',
  'fusion/attention',
  'fusion/multi-pass-reduction',
  'tiling/shared-memory',
  'tiling/register-blocking',
  'tiling/cpu-loop-nest',
  'vectorization/vector-memory-access',
  'vectorization/packed-half',
  'vectorization/cpu-simd',
  'memory/uncoalesced-access',
  'memory/shared-bank-conflict',
  'overlap/sync-transfer',
  'pipelining/multi-stage',
  'precision/tensor-core-eligible',
] as const;

export type RuleId = (typeof RULE_IDS)[number];

export function isRuleId(s: string): s is RuleId {
  return (RULE_IDS as readonly string[]).includes(s);
}
