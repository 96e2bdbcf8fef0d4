// Every rule, registered explicitly in one list (the order is the report order for ties).
import type { Rule } from '../core/rule';
import { rule as elementwiseChain } from './fusion/elementwise-chain/rule';
import { rule as sharedMemoryTiling } from './tiling/shared-memory/rule';
import { rule as vectorMemoryAccess } from './vectorization/vector-memory-access/rule';
import { rule as uncoalescedAccess } from './memory/uncoalesced-access/rule';
import { rule as sharedBankConflict } from './memory/shared-bank-conflict/rule';
import { rule as cpuLoopNest } from './tiling/cpu-loop-nest/rule';

export const ALL_RULES: readonly Rule[] = [elementwiseChain, sharedMemoryTiling, vectorMemoryAccess, uncoalescedAccess, sharedBankConflict, cpuLoopNest];
