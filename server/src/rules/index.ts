// Every rule, registered explicitly in one list (the order is the report order for ties).
import type { Rule } from '../core/rule';
import { rule as elementwiseChain } from './fusion/elementwise-chain/rule';
import { rule as gemmEpilogue } from './fusion/gemm-epilogue/rule';
import { rule as sharedMemoryTiling } from './tiling/shared-memory/rule';
import { rule as vectorMemoryAccess } from './vectorization/vector-memory-access/rule';
import { rule as uncoalescedAccess } from './memory/uncoalesced-access/rule';
import { rule as sharedBankConflict } from './memory/shared-bank-conflict/rule';
import { rule as cpuLoopNest } from './tiling/cpu-loop-nest/rule';
import { rule as multiPassReduction } from './fusion/multi-pass-reduction/rule';
import { rule as attentionFusion } from './fusion/attention/rule';
import { rule as multiStage } from './pipelining/multi-stage/rule';
import { rule as registerBlocking } from './tiling/register-blocking/rule';
import { rule as packedHalf } from './vectorization/packed-half/rule';
import { rule as syncTransfer } from './overlap/sync-transfer/rule';
import { rule as tensorCoreEligible } from './precision/tensor-core-eligible/rule';
import { rule as cpuSimd } from './vectorization/cpu-simd/rule';

export const ALL_RULES: readonly Rule[] = [elementwiseChain, gemmEpilogue, sharedMemoryTiling, vectorMemoryAccess, uncoalescedAccess, sharedBankConflict, cpuLoopNest, multiPassReduction, attentionFusion, multiStage, registerBlocking, packedHalf, syncTransfer, tensorCoreEligible, cpuSimd];
