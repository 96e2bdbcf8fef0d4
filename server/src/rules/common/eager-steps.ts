// Eager PyTorch elementwise steps and how they chain (`h.float()`, then `(1 / cap) * h`, then `torch.tanh(h)`): each
// takes the one before it, in one expression or through the name it is bound to. Read by fusion/elementwise-chain's
// eager runs and by fusion/gemm-epilogue, which counts the run after a GEMM's output.
import type { CallFact } from '../../core/facts/model';
import { firstUse, isElementwise, nestedContext, sameContext } from './triton-host';

/** A PyTorch function or a tensor method (`torch.rsqrt(...)`, `x.float()`): tensors, not Python numbers. */
export const onTensors = (c: CallFact) => c.form === 'method' || (c.form === 'call' && (c.qualified ?? c.name).startsWith('torch.'));

/**
 * An elementwise step, a cast to a dtype held in a variable too (`out.to(x_dtype)`), or to another tensor's
 * (`out.type_as(x)`), or a copy into a tensor of the input's type (`X.copy_(XX)`, Unsloth's decode RMSNorm casting back).
 */
export const step = (c: CallFact) => isElementwise(c) || (c.form === 'method' && ((c.name === '.to' && c.args.length === 2 && /dtype$/i.test(c.args[1].trim())) ||
  (c.name === '.type_as' && c.args.length === 2) || (c.name === '.copy_' && c.args.length === 2)));

/**
 * The operation that takes `calls[i]`'s result next: its parent in the expression, else the first reader of the
 * name it is bound to. (An intermediate read again later, `rsigma` saved for backward, is one more output of the
 * fused kernel: the run goes on.)
 */
export function nextStep(calls: CallFact[], i: number): number | null {
  const c = calls[i];
  const byName = (from: number, name: string): number | null => {
    const use = firstUse(calls, from, name);
    // (or one after the branch the step is in: `if bias is not None: y = y + bias` then `y = F.gelu(y)` always)
    return use && step(calls[use.index]) && (sameContext(c, calls[use.index]) || nestedContext(calls[use.index], c)) ? use.index : null;
  };
  // (an in-place step, `m.mul_(b1).add_(g)` as a statement, leaves its result in the tensor it was called on)
  if (c.parent === undefined) {
    if ((c.assignedTo ?? []).length === 1) return byName(i, c.assignedTo![0]);
    const target = inPlaceTarget(calls, i);
    return target ? byName(i, target) : null;
  }
  const p = calls[c.parent];
  if (step(p)) return sameContext(c, p) ? c.parent : null;
  return p.form === 'assign' && p.name === '=' && (p.assignedTo ?? []).length === 1 ? byName(c.parent, p.assignedTo![0]) : null;
}

/** The tensor an in-place step writes: `m` of `m.add_(g)`, and of `m.mul_(b1).add_(g)` (its receiver is in-place on `m`). */
function inPlaceTarget(calls: readonly CallFact[], i: number, depth = 0): string | null {
  const c = calls[i];
  if (c.form !== 'method' || !c.name.endsWith('_') || depth > 8) return null;
  if (c.argRoots[0] && c.args[0] === c.argRoots[0]) return c.argRoots[0];
  // (the receiver is the operation this call's expression starts with)
  const receiver = calls.findIndex((r, j) => j < i && r.parent === i && r.range.start.line === c.range.start.line && r.range.start.column === c.range.start.column);
  return receiver >= 0 ? inPlaceTarget(calls, receiver, depth + 1) : null;
}


/**
 * The elementwise passes over `name` the run starting at `calls[i]` makes after that first op, by index: the steps of its
 * expression that read `name` or a step that does (GELU's tanh form, `0.5 * h * (1 + tanh(c * (h + k * h * h * h)))`,
 * is nine passes over h), then those of each step that takes the result on by the name it is bound to.
 */
export function passesAfter(calls: CallFact[], i: number, name: string): number[] {
  const counted = new Set<number>([i]);
  const reads = new Map<number, boolean>();
  // (a step whose operands are `name` or a step that reads it: a bias's own `b * 2` reads the output not at all)
  const readsName = (k: number): boolean => {
    let v = reads.get(k);
    if (v === undefined) {
      reads.set(k, false);
      v = calls[k].argRoots.includes(name) || calls.some((c, j) => c.parent === k && step(c) && readsName(j));
      reads.set(k, v);
    }
    return v;
  };
  const statement = (top: number) => {
    calls.forEach((c, k) => {
      for (let p: number | undefined = k; p !== undefined && step(calls[p]); p = calls[p].parent) {
        if (p === top) {
          if (step(c) && readsName(k)) counted.add(k);
          break;
        }
      }
    });
  };
  let top = i;
  while (calls[top].parent !== undefined && step(calls[calls[top].parent!]) && sameContext(calls[top], calls[calls[top].parent!])) top = calls[top].parent!;
  statement(top);
  for (let n = nextStep(calls, top), guard = 0; n !== null && !counted.has(n) && guard < 16; n = nextStep(calls, n), guard++) {
    counted.add(n);
    name = calls[n].assignedTo?.[0] ?? name;
    statement(n);
  }
  counted.delete(i);
  return [...counted];
}
