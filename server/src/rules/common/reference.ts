// Reference implementations that tests compare against (`matmul_ref`, `attention_reference`,
// `golden_softmax`, and in Triton projects the eager `ff_pytorch` / `torch_softmax`) are kept simple on purpose: rules stay quiet in them. One home for the
// name test, so every rule agrees on what counts as an oracle.
const REFERENCE = /(?:^|_)(?:ref|reference|golden)(?:_|$)|Reference|Golden|Ref$|_(?:pytorch|torch)$|^(?:pytorch|torch)_/;

export const isReferenceOracle = (functionName: string): boolean => REFERENCE.test(functionName);
