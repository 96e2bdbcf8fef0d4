// Triton row loops that run once: `for off in range(0, N, BLOCK_SIZE)` where every launch sizes the block from the
// row, `BLOCK_SIZE = triton.next_power_of_2(N)` (the tutorial's layer norm, capped at 64 KB and raising beyond).
// Its passes then re-read one block the program just loaded, from cache: merging them buys what a block sweep
// over a cached row buys (1.07x measured), and the rule's advice assumes rows wider than a block.
import type { CallFact, FileFacts, FunctionFacts } from '../../../core/facts/model';
import { bindArguments } from '../../common/triton-host';

/** The loops of Triton kernel `k` that every launch in the file gives a block as long as their row. */
export function oneBlockLoops(k: FunctionFacts, facts: FileFacts): number[] {
  const params = new Set(k.params.map((p) => p.name));
  const rowLoops = k.loops.filter((l) => !!l.bound && params.has(l.bound.trim()) && !!l.step && !l.step.unknown && l.step.terms.size === 1 && l.step.constant === 0 && params.has([...l.step.terms.keys()][0]));
  if (!rowLoops.length) return [];
  // (or the kernel's own heuristics size it so, `@triton.heuristics({"BLOCK_SIZE": lambda args: next_power_of_2(args["N"])})`)
  const heuristic = rowLoops.filter((l) => rowSizedByHeuristics(k, [...l.step!.terms.keys()][0], l.bound!.trim()));
  if (heuristic.length) return heuristic.map((l) => l.id);
  const launches = facts.functions.flatMap((h) => (h.isKernel ? [] : h.calls.filter((c) => c.kind === 'launch' && c.name === k.name).map((c) => ({ h, c }))));
  if (!launches.length) return [];
  return rowLoops.filter((l) => launches.every(({ h, c }) => {
    // (not a launch in a branch: `else: wide_kernel[...]` after `if N <= BLOCK_N` is the path for rows that do not fit)
    if (c.scopes?.length) return false;
    const bound = bindArguments(k, c);
    const n = bound?.get(l.bound!.trim())?.text;
    const b = bound?.get([...l.step!.terms.keys()][0])?.text;
    if (!n || !b || !/^[A-Za-z_]\w*$/.test(b)) return false;
    // every value the host gives the block: the row's next power of two (capped at a size, `min(MAX_FUSED, ...)`), or
    // a floor on it (`max(BLOCK_SIZE, 128)`); a cap of its own (`min(BLOCK_SIZE, 4096)`) leaves longer rows looping
    const fromRow = new RegExp(`next_power_of_2\\(${n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)`);
    const sets: HostSet[] = h.calls.filter((x) => x.form === 'assign' && x.assignedTo?.includes(b))
      .flatMap((x) => settingsHelperValues(x, b, facts) ?? [{ name: x.name, single: x.assignedTo!.length === 1, text: x.args[0] ?? '' }]);
    const value = (x: HostSet) => x.text.replace(/\s+/g, '');
    const capped = (v: string) => /min\((?:\d+,|[^()]*(?:\([^()]*\))?[^()]*,\d+\))/.test(v); // `min(4096, ...)`, `min(..., 4096)`
    const sized = sets.length > 0 && sets.every((x) => x.name === '=' && x.single && !capped(value(x)) && (fromRow.test(value(x)) || value(x).startsWith(`max(${b},`)));
    // (a cap of a size, `min(MAX_FUSED_SIZE, ...)`, holds the row only where the host refuses longer ones: Liger's
    // cross-entropy caps the block at 32K and loops over a 128K vocabulary)
    return sized && (!sets.some((x) => value(x).startsWith('min(')) || refusesLonger(h, n, b));
  })).map((l) => l.id);
}

/** A value the host sets a name to: the operator (`=`, `+=`), whether the name is all it sets, the value's text. */
interface HostSet { name: string; single: boolean; text: string }

/**
 * `BLOCK_SIZE, num_warps = calculate_settings(N)`: the values a settings helper of the file gives the name at that
 * place of its returned tuple, its parameters replaced by the call's arguments (`triton.next_power_of_2(N)`); null
 * where the set is no such call. The helper unsloth made and Liger and others copy, imported from a utilities module,
 * is read as it is written there: the row's next power of two, raising beyond 64K.
 */
function settingsHelperValues(set: CallFact, name: string, facts: FileFacts): HostSet[] | null {
  const call = /^([A-Za-z_][\w.]*)\((.*)\)$/s.exec((set.args[0] ?? '').trim());
  const place = set.assignedTo?.indexOf(name) ?? -1;
  if (!call || place < 0) return null;
  const args = call[2].split(',').map((a) => a.trim());
  const as = (text: string): HostSet => ({ name: '=', single: true, text });
  const helperName = call[1].split('.').pop()!;
  const helper = facts.functions.find((f) => !f.isKernel && f.name === helperName);
  if (!helper) return helperName === 'calculate_settings' && args.length === 1 && place === 0 ? [as(`triton.next_power_of_2(${args[0]})`)] : null;
  if (helper.params.length !== args.length) return null;
  const returned = helper.calls.filter((c) => c.form === 'return').map((c) => c.args[place]?.trim());
  if (!returned.length || returned.some((r) => !r || !/^[A-Za-z_]\w*$/.test(r))) return null;
  const values = returned.flatMap((r) => helper.calls.filter((c) => c.form === 'assign' && c.assignedTo?.length === 1 && c.assignedTo[0] === r).map((c) => c.args[0] ?? ''));
  if (!values.length) return null;
  // (the helper's parameters, written as the caller's arguments)
  const substitute = (text: string) => helper.params.reduce((t, p, i) => t.replace(new RegExp(`(^|[^\\w.])${p.name}(?!\\w)`, 'g'), `$1${args[i]}`), text);
  return values.map((v) => as(substitute(v)));
}

/** The host raises when the row is longer than the block (`if N > BLOCK_SIZE: raise ...`) or asserts it is not. */
function refusesLonger(h: FunctionFacts, n: string, b: string): boolean {
  const is = (c: CallFact, op: string, l: string, r: string) => c.form === 'operator' && c.name === op && c.args.map((a) => a.replace(/\s+/g, '')).join() === `${l},${r}`;
  return h.calls.some((c, i) =>
    ((is(c, '>', n, b) || is(c, '<', b, n)) && h.calls.slice(i + 1, i + 4).some((d) => d.name === 'raise')) ||
    ((is(c, '<=', n, b) || is(c, '>=', b, n)) && c.parent !== undefined && h.calls[c.parent]?.name === 'assert'));
}

/** A `@triton.heuristics` entry that sets `block` to the next power of two of the row argument `n`. */
function rowSizedByHeuristics(k: FunctionFacts, block: string, n: string): boolean {
  const esc = (t: string) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const entry = new RegExp(`["']${esc(block)}["']\\s*:\\s*lambda\\s*(\\w+)\\s*:\\s*(?:triton\\.)?next_power_of_2\\(\\s*\\1\\[\\s*["']${esc(n)}["']\\s*\\]\\s*\\)\\s*[,}]`);
  return (k.decorators ?? []).some((d) => /(^|\.)heuristics\(/.test(d) && entry.test(d));
}
