// The Triton half of fusion/elementwise-chain: written next, over the Triton facts.
import type { FileFacts } from '../../../core/facts/model';
import type { RuleFinding } from '../../../core/types';

export function tritonElementwiseChain(_facts: FileFacts): RuleFinding[] {
  return [];
}
