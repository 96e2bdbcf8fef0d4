// Eager PyTorch steps of the Triton half of fusion/elementwise-chain: in a host function of a
// Triton file, a run of PyTorch elementwise operations each of which takes the one before it
// (`rsigma = torch.rsqrt(ms + eps)`, `out = (x * rsigma) * w`, `out.to(x_dtype)`) runs one
// kernel per operation in eager mode, each reading and writing the whole tensor. One Triton
// kernel (or torch.compile on the function) keeps the values in registers.
//
// Quiet: runs of fewer than MIN_STEPS operations; plain-PyTorch versions kept for comparison
// (`naive_*`); runs of plain arithmetic with no PyTorch call or tensor method in them (Python
// numbers look the same), or over no whole tensor (a scalar statistic); steps that only feed a
// check on the host; operations under different loops or branches.
import { detail } from '../../common/detail';
import type { CallFact, FunctionFacts } from '../../../core/facts/model';
import type { RuleFinding } from '../../../core/types';
import { feedsHostCheck, listWords, stepName } from '../../common/triton-host';
import { nextStep, onTensors, step } from '../../common/eager-steps';
import { isEagerVersion, kernelOffPath } from '../../common/reference';

/**
 * The fewest eager operations a run must have to be worth a kernel of its own: shorter runs are mostly set-up (a
 * scale and a cast, a quantizer's clamp and divide), which a reader fuses only once the long ones are done.
 */
const MIN_STEPS = 4;


/** Views and copies that keep a tensor's size (not only views: `.clone()`, `.permute()`): what they return is as big as what they read. */
const SIZE_KEEPING = new Set(['.view', '.reshape', '.contiguous', '.transpose', '.permute', '.flatten', '.squeeze', '.unsqueeze', '.expand', '.clone', '.detach', '.broadcast_to', '.expand_as']);
/** A view, copy or row-wise op (`torch.softmax(logits, dim=-1)`) whose result is as big as the tensor it reads. */
const keepsSize = (c: CallFact) => SIZE_KEEPING.has(c.name) || /(?:^|\.)(?:log_)?softmax$/.test(c.name);
const SCALAR_TYPE = /^(?:float|int|bool|str|Optional\[(?:float|int|bool)\])$/;
/** An unannotated parameter named as a size, a hyperparameter or a placement (`seq_len`, `head_dim`, `base`, `device`): no tensor. */
const SCALAR_NAME = /(?:^|_)(?:len|length|dim|size|count|steps|base|theta|eps|device|dtype)$|^(?:n|num|max|min)_\w+$|^(?:n|N|seqlen|headdim)$/;

/**
 * The operations whose result is as big as an input tensor: they read a tensor parameter (`x: torch.Tensor`, or one
 * with no annotation), or a name or operation that did, through elementwise steps and views. A run over none of
 * these works on scalars or reduced statistics (`clamp(max_norm / (norm + 1e-6))`): no pass over memory to save.
 */
function wholeTensors(host: FunctionFacts): Set<number> {
  const names = new Set(host.params.filter((p) => !SCALAR_TYPE.test(p.type.trim()) && !(p.type.trim() === '' && SCALAR_NAME.test(p.name)) && p.name !== 'self' && p.name !== 'ctx').map((p) => p.name));
  const whole = new Set<number>();
  host.calls.forEach((c, i) => {
    if (c.argRoots.some((r) => r !== null && names.has(r)) && (step(c) || keepsSize(c) || c.form === 'assign')) whole.add(i);
    if (whole.has(i)) {
      if (c.parent !== undefined && (step(host.calls[c.parent]) || keepsSize(host.calls[c.parent]) || host.calls[c.parent].form === 'assign')) whole.add(c.parent);
      for (const n of c.assignedTo ?? []) names.add(n);
    }
  });
  return whole;
}

/** The longest run of eager elementwise operations in the host function (one finding a function: the runs of one computation overlap). */
export function eagerChains(host: FunctionFacts): RuleFinding[] {
  if (isEagerVersion(host.name)) return [];
  const calls = host.calls;
  const whole = wholeTensors(host);
  const taken = new Set<number>();
  let run: number[] = [];
  for (let i = 0; i < calls.length; i++) {
    if (taken.has(i) || !step(calls[i]) || calls[i].kind === 'launch') continue;
    const here = [i];
    for (let n = nextStep(calls, i); n !== null && !here.includes(n) && here.length < 64; n = nextStep(calls, n)) here.push(n);
    for (const k of here) taken.add(k);
    if (here.length < MIN_STEPS || !here.some((k) => onTensors(calls[k])) || !here.some((k) => whole.has(k)) || feedsHostCheck(calls, here[here.length - 1])) continue;
    if (here.length > run.length) run = here;
  }
  // (in the arm a dispatcher takes where its kernel cannot run, `if e.is_cuda: ...launch...; return h` then the CPU form)
  if (!run.length) return [];
  const offPath = kernelOffPath(host);
  if (run.every((k) => offPath(calls[k]))) return [];
  const first = calls[run[0]];
  const steps = run.slice(0, 6).map((k) => stepName(calls[k], 0));
  // (steps on a reduced statistic, `variance + eps` and `rsqrt` of a row's mean square, launch a kernel but move a column)
  const passes = run.filter((k) => whole.has(k)).length;
  const cost = passes === run.length ? 'a kernel and a pass over the tensor each' : `a kernel each, ${passes} over the whole tensor`;
  return [{
    range: first.range,
    function: host.name,
    confidence: 'heuristic',
    assumptions: [passes === run.length
      ? 'assumes the operands are whole tensors (not Python numbers or a few per-row statistics), so each operation is a pass over memory'
      : 'assumes the operations on whole tensors are passes over memory; those on per-row statistics cost a launch each'],
    message: `${run.length} eager PyTorch elementwise operations in a row (${listWords(steps)}${run.length > 6 ? ', ...' : ''}): ${cost}`,
    detail: detail(
      `Each of these operations takes the result of the one before and runs as its own kernel in eager mode, writing an intermediate tensor the next one reads back.`,
      `Fuse them into one kernel that keeps each value in registers: a Triton kernel beside the ones in this file, or \`torch.compile\` on \`${host.name}\`.`,
    ),
    benefit: 'saves a write and a read of each intermediate plus a launch per operation; on an H200, a scale kernel followed by a bias+relu kernel over 2^28 floats went from 1.764 ms to 0.958 ms fused (1.84x)',
    related: run.slice(1, 4).map((k) => ({ range: calls[k].range, message: `then ${stepName(calls[k], 0)}` })),
  }];
}
