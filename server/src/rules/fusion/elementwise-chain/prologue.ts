// The other order of a Triton host's chain: a PyTorch elementwise op whose result only feeds a launch helper that
// loads it (`add(x * a, y)`, `softmax(scores / temperature)`, `h = x + r` then `rms_norm(h, w)` with `h` read
// nowhere else). The op writes a tensor the helper's kernel reads right back; the kernel could apply it as it loads
// (a prologue), as it could apply one after its store. A cast (`x.float()`) is left alone: kernels often load in
// one type on purpose, and a cast before a launch is as often the caller's contract as a pass to save.
import { detail } from '../../common/detail';
import type { CallFact } from '../../../core/facts/model';
import type { RuleFinding } from '../../../core/types';
import { firstUse, isElementwise, laterUse, sameContext, textOf, type LaunchHelper } from '../../common/triton-host';

const CASTS = new Set(['.to', '.half', '.float', '.bfloat16', '.double']);
const squash = (t: string) => t.replace(/\s+/g, '');

/** The elementwise op that makes argument `i` of helper call `c` (at `ci`): inline, or a local set just for it; else null. */
function producedFor(calls: CallFact[], lines: string[], c: CallFact, ci: number, i: number): { op: number; local: string | null } | null {
  const arg = squash(c.args[i] ?? '');
  if (!arg) return null;
  const pure = (j: number) => isElementwise(calls[j]) && !CASTS.has(calls[j].name);
  const inline = calls.findIndex((x, j) => x.parent === ci && squash(textOf(lines, x.range)) === arg);
  if (inline >= 0) return pure(inline) ? { op: inline, local: null } : null;
  const root = c.argRoots[i];
  if (!root || arg !== root) return null;
  // (the last `h = x + r` before the call, the call its first reader, nothing reading `h` after it)
  let set = -1;
  for (let j = ci - 1; j >= 0 && set < 0; j--) if (calls[j].form === 'assign' && (calls[j].assignedTo ?? []).includes(root)) set = j;
  if (set < 0 || calls[set].name !== '=' || calls[set].assignedTo!.length !== 1 || !sameContext(calls[set], c)) return null;
  const value = calls.findIndex((x) => x.parent === set && squash(textOf(lines, x.range)) === squash(calls[set].args[0] ?? ''));
  if (value < 0 || !pure(value)) return null;
  // (read through another name too, `residual = h` before the norm and `residual + out` after it: still written)
  const use = firstUse(calls, set, root);
  if (use?.index !== ci || laterUse(calls, ci, use.names)) return null;
  // (a sum carried round a loop, `h = h + a` each step: the next step reads it again, unless the call's result takes
  // the name, `h = rms_norm(h, w)`)
  const rebound = c.parent !== undefined && calls[c.parent].form === 'assign' && !!calls[c.parent].assignedTo?.includes(root);
  if (calls[set].loops.length && calls[value].argRoots.includes(root) && !rebound) return null;
  return { op: value, local: root };
}

/** Findings for the helper calls of a host whose loaded arguments an elementwise op makes just before. */
export function torchOpsBefore(calls: CallFact[], lines: string[], helpers: ReadonlyMap<string, LaunchHelper>, fn: string | null, reported: Set<number>): RuleFinding[] {
  const out: RuleFinding[] = [];
  calls.forEach((c, ci) => {
    const helper = c.form === 'call' ? helpers.get(c.name) : undefined;
    if (!helper) return;
    for (const i of [...helper.reads].sort((a, b) => a - b)) {
      const made = producedFor(calls, lines, c, ci, i);
      // (an op on another helper's output, `add(mul(x, y) * a, z)`: the chain after `mul` reports it)
      if (!made || reported.has(made.op) || calls.some((x, j) => calls[j].parent === made.op && helpers.has(x.name))) continue;
      reported.add(made.op);
      const op = calls[made.op];
      const expr = textOf(lines, op.range);
      const shown = made.local ? `\`${made.local} = ${expr}\`` : `\`${expr}\``;
      out.push({
        range: op.range,
        function: fn,
        confidence: 'likely',
        assumptions: [`assumes the PyTorch op runs on the same device as \`${helper.kernel}\`, over a tensor of the shape \`${c.name}\` loads (or broadcast to it)`],
        message: `${shown} is a separate elementwise op whose result \`${c.name}\` reads right back in \`${helper.kernel}\`: an extra write, read and launch`,
        detail: detail(
          `${shown} runs as its own kernel and writes a tensor that \`${helper.kernel}\` (through \`${c.name}\`) then loads.`,
          `Apply the op in \`${helper.kernel}\` right after its \`tl.load\` of that argument (pass the op's other operands to the kernel): one launch instead of two, and the intermediate never touches global memory.`,
        ),
        benefit: 'saves a full write and read of the intermediate and a launch',
        related: [{ range: c.nameRange, message: `\`${c.name}\` launches \`${helper.kernel}\`, which loads it` }],
      });
    }
  });
  return out;
}
