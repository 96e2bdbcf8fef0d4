// The fix of fusion/elementwise-chain: one fused `__global__` kernel for the chain of
// launches the rule reports, inserted after the chain's last kernel, and one launch of it
// in place of the chain's launches. Each stage's body is copied for element i with its
// parameters renamed to the fused kernel's; a buffer that several stages touch lives in a
// register for element i, so the intermediate is read back from the register, and it is
// no longer written at all when it is this host function's own scratch buffer
// (cudaMalloc'ed, freed, read by nobody else). The original kernels stay (other code may
// launch them). Triton chains are fix-triton.ts's.
//
// This module finds the chain of launches; fix-host.ts reads the launches' host side
// (stages, scalar arguments, scratch buffers, grids), fix-fuse.ts writes the fused kernel
// and its launch, fix-kernel.ts reads each kernel as a plain elementwise kernel.
import type { FixContext, FixResult, Fixer } from '../../../core/fix';
import type { CallFact, FileFacts } from '../../../core/facts/model';
import type { Finding, Range, RuleFinding } from '../../../core/types';
import { FileSyntax, refuse, refused } from './fix-kernel';
import { fixTritonChain } from './fix-triton';
import { code, sameRange } from '../../common/fix-syntax';
import { fuse } from './fix-fuse';

/** The fixer, given the rule's findings of a file (a chain of three launches is two findings, fused as one). */
export function chainFixer(findingsOf: (facts: FileFacts) => RuleFinding[]): Fixer {
  return (finding, ctx) => {
    // the file's findings once, however many of them ask for their fix
    const ofFile = (facts: FileFacts) => ctx.perFile('elementwise-chain findings', () => findingsOf(facts));
    return ctx.language === 'triton' ? fixTritonChain(finding, ctx, ofFile) : fixCudaChain(finding, ctx, ofFile);
  };
}

/** Reads the chain the finding is in (extended by the rule's other pairs in the host) and fuses it, or its first two launches. */
function fixCudaChain(f: Finding, ctx: FixContext, findingsOf: (facts: FileFacts) => RuleFinding[]): FixResult {
  const host = ctx.fn;
  if (!host) return refuse('the launches are not in a function the analysis could read');
  const launchAt = (r: Range | undefined): CallFact | undefined => (r ? host.calls.find((c) => sameRange(c.nameRange, r)) : undefined);
  const direct = (c: CallFact | undefined): c is CallFact => !!c && c.kind === 'launch' && !c.via;
  const first = launchAt(f.related[0]?.range);
  const second = launchAt(f.range);
  if (!direct(first) || !direct(second)) {
    const wrapper = [first, second].find((c) => c && c.kind !== 'launch');
    return refuse(wrapper ? `${code(wrapper.name)} wraps the launch: the fix rewrites launches written in ${code(host.name)} itself` : `the launches are not both made in ${code(host.name)}`);
  }
  // the rule's other pairs in this host extend the chain (a three-launch chain is two findings, one fused kernel)
  const pairs: [CallFact, CallFact][] = [];
  for (const g of findingsOf(ctx.file)) {
    if (g.function !== host.name) continue;
    const a = launchAt(g.related?.[0]?.range);
    const b = launchAt(g.range);
    if (direct(a) && direct(b)) pairs.push([a, b]);
  }
  const chain = [first, second];
  for (let p = pairs.find(([, b]) => b === chain[0]); p && !chain.includes(p[0]); p = pairs.find(([, b]) => b === chain[0])) chain.unshift(p[0]);
  for (let p = pairs.find(([a]) => a === chain[chain.length - 1]); p && !chain.includes(p[1]); p = pairs.find(([a]) => a === chain[chain.length - 1])) chain.push(p[1]);
  const file = FileSyntax.of(ctx);
  if (!file.root) return refuse('the file could not be read as syntax');
  // each finding of a chain asks for the same fused kernel: written once per chain
  const fused = (calls: CallFact[]) =>
    ctx.perFile(`fused ${host.name}: ${calls.map((c) => `${c.nameRange.start.line}:${c.nameRange.start.column}`).join(' ')}`, () => fuse(calls, host, ctx, file));
  const whole = fused(chain);
  if (!refused(whole) || chain.length === 2) return whole;
  return fused([first, second]);
}
