// Triton facts: written next (lanes from tl.arange, program ids, tl.load/tl.store offsets,
// kernel[grid](...) launches and torch ops in host code).
import type { Node } from 'web-tree-sitter';
import type { FunctionFacts } from './model';

export function tritonFunctions(_root: Node, _lines: string[]): FunctionFacts[] {
  return [];
}
