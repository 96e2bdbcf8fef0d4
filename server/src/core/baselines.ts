// Names that mark a host function as a baseline kept on purpose beside an optimized twin. The
// facts use it for what a kernel's launches say (core/launch-shapes.ts: a kernel only such a
// baseline launches); the rules for the host functions themselves (rules/common/reference.ts).

/**
 * A host function its author named as the unfused version of a fused twin (`LSTM_elementwise_unfused` beside the
 * fused `elementWise_fp`, picked by a flag; `unfusedForward`): the baseline the fused path is measured against.
 */
export const isUnfusedBaseline = (functionName: string): boolean => /(?:^|_)(?:un|non_?)fused(?:_|[A-Z0-9]|$)|(?:Un|Non)[Ff]used/.test(functionName);
