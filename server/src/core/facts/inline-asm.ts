// What an inline PTX statement does, named as the calls rules already read: `mma_asm` for
// tensor-core instructions, and the cp.async steps (`cp_async`, `cp_async_commit_group`,
// `cp_async_wait_group` with its count) that pipelining reads for how copies overlap compute.

import type { SyntaxNode as Node } from '../mirror';
import { field, namedChildren } from '../syntax';

export interface AsmCall {
  name: string;
  args: string[];
}

/** The calls one `asm volatile("...")` stands for; `operand(i)` gives the text of operand `%i` (the `"n"(N)` of a wait). */
export function asmCalls(code: string, operand: (i: number) => string | null): AsmCall[] {
  const out: AsmCall[] = [];
  if (/\b(?:w?gmma|mma)\.|\bldmatrix\b|\bHMMA\b/.test(code)) out.push({ name: 'mma_asm', args: [] });
  // (with its size in bytes where it is written out: `.cg` copies 16 only, `.ca` 4, 8 or 16)
  const copy = /\bcp\.async\.(ca|cg)\b[^;]*?,\s*(?:(\d+)|%(\d+))\s*;/.exec(code);
  if (copy) out.push({ name: 'cp_async', args: [copy[1] === 'cg' ? '16' : copy[2] ?? operand(Number(copy[3])) ?? '?'] });
  else if (/\bcp\.async\.(?:ca|cg|bulk)\b/.test(code)) out.push({ name: 'cp_async', args: [/\bcp\.async\.cg\b/.test(code) ? '16' : '?'] });
  if (/\bcp\.async\.commit_group\b/.test(code)) out.push({ name: 'cp_async_commit_group', args: [] });
  const wait = /\bcp\.async\.wait_group\s+(?:%(\d+)|(\d+))/.exec(code);
  if (wait) out.push({ name: 'cp_async_wait_group', args: [wait[2] ?? operand(Number(wait[1])) ?? '?'] });
  if (/\bcp\.async\.wait_all\b/.test(code)) out.push({ name: 'cp_async_wait_group', args: ['0'] });
  return out;
}

/** The text of operand `%i` of an asm statement: outputs first, then inputs, as PTX numbers them. */
export function asmOperand(n: Node, i: number): string | null {
  const list = (name: string) => {
    const l = field(n, name);
    return l ? namedChildren(l).filter((o) => o.type.endsWith('_operand')).map((o) => field(o, 'value')?.text ?? null) : [];
  };
  return [...list('output_operands'), ...list('input_operands')][i] ?? null;
}
