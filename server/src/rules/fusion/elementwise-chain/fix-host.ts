// The host side of a CUDA elementwise chain, for fusion/elementwise-chain's fix: each launch
// as a stage with its kernel read, the scalar arguments that may be copied into the fused
// launch (names, literals, arithmetic, pure math), whether a buffer is this host's own
// scratch (declared, cudaMalloc'ed and freed here, used by the chain alone), and whether a
// launch's grid covers the kernel's count (`(n + 255) / 256` blocks of 256).
import type { CallFact, FunctionFacts } from '../../../core/facts/model';
import type { SyntaxNode } from '../../../core/mirror';
import { assigned, declaredNames, walk, type PlainKernel } from './fix-kernel';
import { compact } from '../../common/fix-syntax';

/** A plain name (a host value can be looked up by it). */
export const IDENT = /^[A-Za-z_]\w*$/;

/** One launch of the chain with its kernel read. */
export interface Stage {
  launch: CallFact;
  kernel: PlainKernel;
  /** The launch's `call_expression`, its statement, the `<<<...>>>` and the arguments. */
  call: SyntaxNode;
  statement: SyntaxNode;
  config: SyntaxNode;
  templateArgs: string | null;
  args: SyntaxNode[];
  /** Fused names of this stage's parameters, index and locals. */
  names: Map<string, string>;
}

/** Pure scalar argument texts: names, literals, arithmetic, casts and math; no calls with effects, no assignments. */
const PURE_CALL = /^(static_cast<[^>]*>|float|double|int|unsigned|size_t|int64_t|half|__half|__float2half|__half2float|Dtype|T|sqrtf?|expf?|logf?|powf?|fabsf?|std::(min|max|sqrt|exp|log|pow|abs)|min|max|sizeof)$/;

export function pureArgument(a: SyntaxNode, hostTemplateParams: readonly string[]): boolean {
  let ok = true;
  walk(a, (n) => {
    if (n.type === 'assignment_expression' || n.type === 'update_expression' || n.type === 'lambda_expression') ok = false;
    if (n.type === 'call_expression') {
      const fn = n.childForFieldName('function')?.text ?? '';
      if (!PURE_CALL.test(fn) && !hostTemplateParams.includes(fn)) ok = false;
    }
  });
  return ok;
}

const ALLOC_FREE = /^(cudaMalloc|cudaMallocAsync|cudaMallocManaged|cudaMallocFromPoolAsync|cudaFree|cudaFreeAsync)$/;
const ALLOC = /^cudaMalloc/;

/** Is `root` this host's own scratch buffer: declared here without a value, allocated and freed here, used by the chain only? */
export function scratchBuffer(root: string, host: FunctionFacts, hostNode: SyntaxNode, chainArgs: SyntaxNode[]): boolean {
  if (host.params.some((p) => p.name === root)) return false;
  const body = hostNode.childForFieldName('body');
  if (!body) return false;
  let declared = false;
  let allocated = false;
  let other = false;
  const inside = (n: SyntaxNode, outer: SyntaxNode) => n.startIndex >= outer.startIndex && n.endIndex <= outer.endIndex;
  walk(body, (n) => {
    if (other || n.type !== 'identifier' || n.text !== root) return;
    if (chainArgs.some((a) => inside(n, a))) return;
    const decl = n.parent && (n.parent.type === 'init_declarator' || n.parent.type === 'pointer_declarator') ? ancestor(n, 'declaration') : null;
    if (decl && declaredNames(decl).includes(n)) {
      const init = n.parent?.type === 'pointer_declarator' && n.parent.parent?.type === 'init_declarator' ? n.parent.parent.childForFieldName('value') : null;
      if (init && !/^(nullptr|NULL|0)$/.test(init.text)) other = true;
      declared = true;
      return;
    }
    const call = ancestor(n, 'call_expression');
    const fn = call?.childForFieldName('function')?.text ?? '';
    if (call && ALLOC_FREE.test(fn)) {
      if (ALLOC.test(fn)) allocated = true;
      return;
    }
    other = true;
  });
  return declared && allocated && !other;
}

export function ancestor(n: SyntaxNode, type: string): SyntaxNode | null {
  for (let p = n.parent; p; p = p.parent) if (p.type === type) return p;
  return null;
}

/** The value a host name is declared with (`const int blocks = (n + 255) / 256;`), when it is never assigned again. */
function hostValue(name: string, hostNode: SyntaxNode): string | null {
  let value: string | null = null;
  let changed = false;
  walk(hostNode, (n) => {
    if (n.type !== 'identifier' || n.text !== name) return;
    if (n.parent?.type === 'init_declarator' && n.parent.childForFieldName('declarator') === n) value = n.parent.childForFieldName('value')?.text ?? null;
    else if (assigned(n)) changed = true;
  });
  return changed ? null : value;
}

const CEIL_DIV = /^(div_up|divUp|DIV_UP|div_round_up|DIV_ROUND_UP|ceil_div|ceildiv|cdiv|CEIL_DIV|iDivUp|DIVUP|CeilDiv)\((.+),(.+)\)$/;

/** Does the launch's grid cover the kernel's count (`(n + 255) / 256` blocks of 256, `div_up(n, threads)`)? Then a grid-stride loop runs once per thread. */
export function coversCount(s: Stage, hostNode: SyntaxNode): boolean {
  const k = s.kernel;
  if (!/^[A-Za-z_]\w*$/.test(k.bound.text)) return false;
  const j = k.facts.params.findIndex((p) => p.name === k.bound.text);
  if (j < 0) return false;
  const resolve = (t: string | undefined): string => {
    const q = compact(t ?? '');
    return IDENT.test(q) ? compact(hostValue(q, hostNode) ?? q) : q;
  };
  const count = compact(s.args[j].text);
  const block = resolve(s.launch.block);
  const grid = resolve(s.launch.grid).replace(/^\((.*)\)$/, '$1');
  if (!count || !block || !/^(\d+|[A-Za-z_]\w*)$/.test(block)) return false;
  const unparen = (t: string) => t.replace(/^\((.*)\)$/, '$1');
  const m = CEIL_DIV.exec(grid);
  if (m) return unparen(m[2]) === count && resolve(m[3]) === block;
  const d = /^\((.+)\+(.+)\)\/(.+)$/.exec(grid);
  if (!d || resolve(d[3]) !== block || unparen(d[1]) !== count) return false;
  const add = resolve(d[2]);
  return add === `${block}-1` || add === `(${block}-1)` || (/^\d+$/.test(add) && /^\d+$/.test(block) && Number(add) === Number(block) - 1);
}
