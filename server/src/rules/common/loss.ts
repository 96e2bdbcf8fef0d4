// A loss kernel over dense targets: it reads the training targets (`truth`, `target`,
// `labels`) element by element beside the predictions (`truth[i] - pred[i]`). It runs once per
// training step over the network's output (classes, boxes, a regression target), a small
// buffer beside the activations every layer streams, so how it moves each element is not where
// a step's time goes. A cross-entropy over a vocabulary reads one class id per row
// (`targets[row]`) and streams the logits: not this.
import type { FunctionFacts } from '../../core/facts/model';
import { FLOAT_TYPES } from '../../core/facts/ctypes';

const TARGETS = /^(?:truth|targets?|labels?|gt|ground_?truth|y_?true)$/i;
/** The same names, and a classifier's one-hot `y` (a name too common to take as targets without a softmax beside it). */
export const CLASSIFIER_TARGETS = /^(?:truth|targets?|labels?|gt|ground_?truth|y_?true|y|y_?one_?hot|one_?hot)$/i;

/** Reads a floating-point parameter named as the training targets at the predictions' own indices, and never writes it. */
export function readsDenseTargets(fn: FunctionFacts, names: RegExp = TARGETS): boolean {
  const targets = new Set(fn.params.filter((p) => p.pointer && names.test(p.name) && FLOAT_TYPES.has(p.type)).map((p) => p.name));
  if (!targets.size) return false;
  const touching = fn.accesses.filter((a) => targets.has(a.array));
  const key = (a: FunctionFacts['accesses'][number]) => a.indices.map(String).join(',');
  const beside = (a: FunctionFacts['accesses'][number]) => fn.accesses.some((b) => !targets.has(b.array) && b.kind === 'load' && key(b) === key(a));
  return touching.length > 0 && touching.every((a) => a.kind === 'load' && !a.indices.some((p) => p.unknown) && beside(a));
}
