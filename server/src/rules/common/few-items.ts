// Loop bounds that count a handful of things, not data: classes of a classifier, trees per
// boosting round, threads, positions of a ranking cut-off (`eval_at_.size()`). A loop over them
// runs a few to a few dozen times, so its column walk stays in cache (the loop around it moves
// along the rows) and its sums are not worth a SIMD rewrite; the GPU's SMs (`kNumSMs`, about a
// hundred): a per-SM schedule is a few hundred bytes. By name, as the code says it.
const FEW = /^(?:(?:num|n|k)_?)?(?:class(?:es)?|tree_per_iteration|trees_per_iter\w*|threads?|thread_count|positions?|position_ids|eval_at)_?$/i;

const SMS = /^(?:k_?)?(?:num_?)?(?:sms|sm_?count|multi_?processors?(?:_?count)?)_?$/i;

/** `num_class_`, `num_tree_per_iteration_`, `num_threads`, `eval_at_.size()`, `this->num_classes`. */
export function countsFewItems(bound: string | null | undefined): boolean {
  if (!bound) return false;
  const name = bound.trim().replace(/^(?:this->|self\.)/, '').replace(/\.size\(\)$|\.length$/, '').replace(/^.*(?:\.|->|::)/, '');
  return FEW.test(name) || SMS.test(name);
}

