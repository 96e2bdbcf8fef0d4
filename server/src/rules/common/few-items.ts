// Loop bounds that count a handful of things, not data: classes of a classifier, trees per
// boosting round, threads, positions of a ranking cut-off (`eval_at_.size()`). A loop over them
// runs a few to a few dozen times, so its column walk stays in cache (the loop around it moves
// along the rows) and its sums are not worth a SIMD rewrite; the GPU's SMs (`kNumSMs`, about a
// hundred): a per-SM schedule is a few hundred bytes. By name, as the code says it.
import type { AccessFact, FunctionFacts, LoopFact } from '../../core/facts/model';
const FEW = /^(?:(?:num|n|k)_?)?(?:class(?:es)?|tree_per_iteration|trees_per_iter\w*|threads?|thread_count|positions?|position_ids|eval_at)_?$/i;

const SMS = /^(?:k_?)?(?:num_?)?(?:sms|sm_?count|multi_?processors?(?:_?count)?)_?$/i;

/** `num_class_`, `num_tree_per_iteration_`, `num_threads`, `eval_at_.size()`, `this->num_classes`. */
export function countsFewItems(bound: string | null | undefined): boolean {
  if (!bound) return false;
  const name = bound.trim().replace(/^(?:this->|self\.)/, '').replace(/\.size\(\)$|\.length$/, '').replace(/^.*(?:\.|->|::)/, '');
  return FEW.test(name) || SMS.test(name);
}

/** A sample's class labels (`const std::vector<int> &labels`, `const int *target`) or a column picked by one (`probs[i][labels[i]]`). */
const LABELS = /^(?:labels?|targets?|y_true|gt_labels?|class_ids?)$/i;
const SCORES = /logit|prob|score|pred|softmax/i;
const LABEL_COLUMN = /\[\s*(?:[^\[\]]*\+\s*)?[A-Za-z_]*(?:label|target)\w*\s*\[[^\[\]]*\]\s*\]$/i;

/**
 * A loop along one row of scores in a function that reads the samples' class labels (a loss: `forward(logits, labels)`,
 * the max, `exp` and sum over `j < cols` of each sample's row): the row holds one score per class, a few to a few
 * hundred, whatever names its length.
 */
export function walksClassScores(fn: FunctionFacts, l: LoopFact): boolean {
  if (l.parent === null) return false;
  const labelled = fn.params.some((p) => LABELS.test(p.name) && /\b(?:int|long|int32_t|int64_t|size_t|unsigned)\b/.test(p.type)) || fn.accesses.some((a) => LABEL_COLUMN.test(a.text));
  if (!labelled) return false;
  const outer = new Set(fn.loops.filter((o) => o.id !== l.id && l.depth > o.depth).map((o) => o.symbol));
  // (a row of scores, by name: `logits`, `probs`, `scores`, `preds`; a row of a sequence's losses or masks is as long as the sequence)
  const alongRow = (a: AccessFact) => SCORES.test(a.array) && a.loops[a.loops.length - 1] === l.id && a.indices.some((p) => p.dependsOn((s) => s === l.symbol)) && a.indices.some((p) => p.dependsOn((s) => outer.has(s)));
  return fn.accesses.some(alongRow);
}
