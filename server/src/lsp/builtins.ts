// Short hover notes for the CUDA builtins and Triton ops that matter for performance.
// Nothing else gets a hover: silence beats noise.
import type { Node } from 'web-tree-sitter';
import { readFileSync } from 'node:fs';
import { knowledgePath } from '../core/assets';

let notes: Record<string, string> | undefined;

function load(): Record<string, string> {
  if (!notes) {
    try {
      notes = JSON.parse(readFileSync(knowledgePath('builtins.json'), 'utf8')) as Record<string, string>;
    } catch {
      notes = {}; // a missing or damaged notes file only loses these hovers
    }
  }
  return notes;
}

/** The note for the identifier under the cursor: `__syncthreads`, `__ldg`, `tl.dot` (attribute `dot` of `tl`). */
export function builtinNote(node: Node): string | null {
  if (node.type !== 'identifier' && node.type !== 'field_identifier') return null;
  const parent = node.parent;
  let name = node.text;
  if (parent?.type === 'attribute' && parent.childForFieldName('attribute')?.id === node.id) {
    name = `${parent.childForFieldName('object')?.text}.${node.text}`;
  }
  const note = load()[name];
  return note ? `**${name}** — ${note}` : null;
}
