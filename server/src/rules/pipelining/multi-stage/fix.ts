// Fixes of pipelining/multi-stage (Triton): a `tl.dot` k-loop compiled with one stage.
//  - Launched with `num_stages=1`: `num_stages=3` at each launch (safe: the number of
//    stages changes no result). First, because it measured best: on the H200 the 3-stage
//    kernel ran at 86% of torch's fp16 matmul, the autotuned one at 76% in an earlier run (autotune's timing
//    picked 4 stages).
//  - Also offered when the launches pass literal block sizes as keyword constexprs, the
//    same at every launch of the file: `@triton.autotune` over 3 and 4 stages at those
//    block sizes (so a fixed grid stays right) and the launch's num_warps, keyed on the
//    size arguments; the block-size / num_warps / num_stages keywords leave the launches
//    (autotune passes them). Not safe: the launches change and autotune times the kernel
//    by running it.
//  - Every `@triton.autotune` config with `num_stages=1`: `num_stages=3` in each (safe).
//  - CUDA (single-buffered `__shared__` tiles): no automatic fix.
import type { FixContext, Fixer, FixResult } from '../../../core/fix';
import type { CallFact, FunctionFacts } from '../../../core/facts/model';
import type { SyntaxNode } from '../../../core/mirror';
import type { Finding, Fix, TextEdit } from '../../../core/types';
import { at, indentOf, keywordArgs, linesAbove, nodeIn, nodeRange } from '../../common/fix-syntax';

/** The stage count the fixes write: Triton's default, 2.3x the one-stage speed on an H200. */
const STAGES = 3;
const ONE_STAGE = /^[01]$/;
/** Launch options autotune configs do not carry over here: their launches keep the simple fix. */
const OPTIONS = new Set(['num_warps', 'num_stages']);

const PY_SCOPES = ['decorated_definition', 'function_definition', 'module'];

export const fix: Fixer = (finding, ctx) =>
  ctx.language === 'triton'
    ? fixTriton(finding, ctx)
    : { reason: 'double-buffering the `__shared__` tiles (a second buffer, `cp.async` copies of the next tile, commit/wait in place of the barriers) is not automatic' };

function fixTriton(_finding: Finding, ctx: FixContext): FixResult {
  const k = ctx.fn;
  if (!k?.isKernel) return { reason: 'the kernel could not be read' };
  const kernelNode = ctx.node(k.range, ['decorated_definition']);
  if (!kernelNode) return { reason: 'the kernel could not be read' };
  if ((k.decorators ?? []).some((d) => /(^|\.)autotune\(/.test(d))) return fixConfigs(k, kernelNode, ctx);

  const hosts = ctx.file.functions.filter((f) => !f.isKernel);
  const launches: { host: FunctionFacts; call: CallFact; node: SyntaxNode }[] = [];
  for (const host of hosts) {
    for (const call of host.calls) {
      if (call.kind !== 'launch' || call.name !== k.name) continue;
      const scope = ctx.node(host.range, PY_SCOPES);
      const node = scope && nodeIn(scope, call.range, ['call']);
      if (!node) return { reason: `the launch of \`${k.name}\` could not be read` };
      launches.push({ host, call, node });
    }
  }
  // each launch's `num_stages=1`, or the `num_stages = 1` of the local it passes
  const stageValues = launches.map((l) => {
    const arg = keywordArgs(l.node).find((a) => a.name === 'num_stages');
    return arg && (ONE_STAGE.test(arg.value.text) ? [arg.value] : localLiterals(arg.value.text, l.host, ctx));
  });
  if (!launches.length || stageValues.some((v) => !v?.length || v.some((n) => !ONE_STAGE.test(n.text))))
    return { reason: `not every launch of \`${k.name}\` in this file passes \`num_stages=1\`` };
  const values = [...new Map(stageValues.flat().map((v) => [v!.startIndex, v!])).values()];

  const simple: Fix = {
    title: `Compile \`${k.name}\` with num_stages=${STAGES} at ${launches.length > 1 ? `its ${launches.length} launches` : 'its launch'}`,
    edits: values.flatMap((v) => [
      ...commentAbove(v, `# ${STAGES} stages (was ${v.text}): the next K-blocks load while tl.dot runs`, ctx),
      { range: nodeRange(v), newText: String(STAGES) },
    ]),
    safe: true,
  };
  const tuned = autotune(k, kernelNode, launches.map((l) => l.node), ctx);
  return 'reason' in tuned ? [simple] : [simple, tuned];
}

/** The right-hand sides of the assignments of local `name` in `host` (`num_stages = 1`), or null when one is not a plain `name = value`. */
function localLiterals(name: string, host: FunctionFacts, ctx: FixContext): SyntaxNode[] | null {
  if (!/^[A-Za-z_]\w*$/.test(name)) return null;
  const scope = ctx.node(host.range, PY_SCOPES);
  const bound = host.calls.filter((c) => c.form === 'assign' && c.assignedTo?.includes(name));
  const rights = bound.map((c) => {
    const a = scope && nodeIn(scope, c.range, ['assignment']);
    return a?.childForFieldName('left')?.text === name ? a.childForFieldName('right') : null;
  });
  return rights.length && rights.every(Boolean) ? (rights as SyntaxNode[]) : null;
}

/** A comment line above the statement that holds `node` (when the statement starts its line). */
function commentAbove(node: SyntaxNode, comment: string, ctx: FixContext): TextEdit[] {
  let stmt: SyntaxNode = node;
  while (stmt.parent && !['block', 'module', 'decorated_definition'].includes(stmt.parent.type)) stmt = stmt.parent;
  const edit = linesAbove(ctx, stmt, [comment]);
  return edit ? [edit] : [];
}

/** Every autotune config says num_stages=1: 3 in each. */
function fixConfigs(k: FunctionFacts, kernelNode: SyntaxNode, ctx: FixContext): FixResult {
  const decorator = kernelNode.namedChildren.find((d) => d.type === 'decorator' && /(^|\.)autotune\s*\(/.test(d.text));
  if (!decorator) return { reason: 'the autotune decorator could not be read' };
  // the configs inline, built by a function of this file (`configs=get_configs()`), or a module-level list (`configs=CONFIGS`)
  let where: SyntaxNode[] = [decorator];
  const helper = /\bconfigs\s*=\s*([A-Za-z_]\w*)\s*\(/.exec(decorator.text)?.[1];
  const read = k.autotuneConfigs?.find((c) => c !== null);
  if (read && read.sources.some((r) => r.start.line < kernelNode.startPosition.row)) {
    const nodes = read.sources.map((r) => ctx.node(r, ['list', 'tuple', 'list_comprehension']));
    if (nodes.some((n) => !n)) return { reason: 'the module-level list of the autotune configs could not be read' };
    where = nodes as SyntaxNode[];
  } else if (helper && !/\bConfig\s*\(/.test(decorator.text)) {
    const f = ctx.file.functions.find((x) => x.name === helper);
    const node = f && ctx.node(f.range, PY_SCOPES);
    if (!node) return { reason: `the configs built by \`${helper}\` could not be read` };
    where = [node];
  }
  const stages = where
    .flatMap((w) => w.descendantsOfType('keyword_argument'))
    .filter((a) => a.childForFieldName('name')?.text === 'num_stages' && ONE_STAGE.test(a.childForFieldName('value')?.text ?? ''))
    .map((a) => a.childForFieldName('value')!);
  if (!stages.length) return { reason: 'the `num_stages=1` of the autotune configs could not be found' };
  const n = stages.length;
  // a comprehension writes one `num_stages=1` for all the configs it makes
  const counted = where.every((w) => w.type !== 'list_comprehension' && !w.descendantsOfType('list_comprehension').length);
  return [{
    title: `Compile the ${counted ? `${n} ` : ''}autotune config${n > 1 || !counted ? 's' : ''} of \`${k.name}\` with num_stages=${STAGES}`,
    edits: [
      ...commentAbove(where[0] === decorator ? decorator : stages[0], `# ${STAGES} stages (was 1): the next K-blocks load while tl.dot runs`, ctx),
      ...stages.map((v) => ({ range: nodeRange(v), newText: String(STAGES) })),
    ],
    safe: true,
  }];
}

const LITERAL = /^(\d+|True|False|None|"[^"\\]*"|'[^'\\]*')$/;
const BLOCK_SIZE = /BLOCK|TILE|SIZE|^B[MNKD]$|^BS/i;

/** `@triton.autotune` over 3 and 4 stages at the launched block sizes, or why not. */
function autotune(k: FunctionFacts, kernelNode: SyntaxNode, calls: SyntaxNode[], ctx: FixContext): Fix | { reason: string } {
  if (!/^\s*import\s+triton\s*$/m.test(ctx.text)) return { reason: 'the file does not `import triton`' };
  // autotune times the kernel by running it: a kernel that updates memory it reads, or adds atomically, would see its results change
  const loaded = new Set(k.accesses.filter((a) => a.kind === 'load').map((a) => a.array));
  if (k.accesses.some((a) => a.kind === 'update' || a.kind === 'atomic' || (a.kind === 'store' && loaded.has(a.array))) || k.calls.some((c) => /atomic/.test(c.name)))
    return { reason: `\`${k.name}\` writes memory it also reads (or updates atomically): autotune would run it several times` };
  const constexprs = k.params.filter((p) => p.constexpr);
  const firstConstexpr = k.params.findIndex((p) => p.constexpr);
  const names = new Set(k.params.map((p) => p.name));
  let moved: Map<string, string> | null = null;
  let warps: string | null | undefined;
  for (const call of calls) {
    const args = call.childForFieldName('arguments')?.namedChildren ?? [];
    const positional = args.filter((a) => a.type !== 'keyword_argument');
    if (positional.some((a) => /^(list_splat|dictionary_splat)/.test(a.type) || a.text.startsWith('*'))) return { reason: 'a launch passes `*args`/`**kwargs`' };
    if (firstConstexpr >= 0 && positional.length > firstConstexpr) return { reason: 'a launch passes constexprs by position' };
    const kws = keywordArgs(call);
    const options = kws.filter((a) => !names.has(a.name));
    if (options.some((a) => !OPTIONS.has(a.name))) return { reason: 'a launch passes options other than num_warps / num_stages' };
    const blocks = new Map(kws.filter((a) => constexprs.some((p) => p.name === a.name) && BLOCK_SIZE.test(a.name)).map((a) => [a.name, a.value.text] as const));
    if (!blocks.size) return { reason: 'the block sizes are not keyword constexprs of the launch' };
    if ([...blocks.values()].some((v) => !LITERAL.test(v))) return { reason: 'a block size of the launch is not a literal' };
    const w = kws.find((a) => a.name === 'num_warps')?.value.text ?? null;
    if (moved === null) {
      moved = blocks;
      warps = w;
    } else if (w !== warps || blocks.size !== moved.size || [...blocks].some(([n, v]) => moved!.get(n) !== v)) {
      return { reason: `the launches of \`${k.name}\` differ in block sizes or num_warps` };
    }
  }
  if (!moved) return { reason: 'no launch' };
  if (warps && !/^\d+$/.test(warps)) return { reason: 'num_warps is not a literal' };

  // the size arguments the tuned config depends on
  const loopBounds = new Set(k.loops.map((l) => l.bound?.trim()).filter(Boolean) as string[]);
  const key = k.params
    .filter((p) => !p.pointer && !p.constexpr && ((/^[A-Z][A-Z0-9_]*$/.test(p.name) && !/STRIDE/.test(p.name)) || loopBounds.has(p.name)))
    .map((p) => p.name);
  const q = (ctx.text.match(/'/g)?.length ?? 0) > (ctx.text.match(/"/g)?.length ?? 0) ? "'" : '"';
  const meta = `{${[...moved].map(([n, v]) => `${q}${n}${q}: ${v}`).join(', ')}}`;
  const config = (s: number) => `triton.Config(${meta}, num_stages=${s}, num_warps=${warps ?? 4})`;
  const indent = indentOf(ctx.lines[kernelNode.startPosition.row] ?? '');
  const decorator = [
    `# ${STAGES} or 4 pipeline stages (was num_stages=1), timed per size at the launched block sizes`,
    '@triton.autotune(',
    '    configs=[',
    `        ${config(3)},`,
    `        ${config(4)},`,
    '    ],',
    `    key=[${key.map((x) => `${q}${x}${q}`).join(', ')}],`,
    ')',
  ].map((l) => `${indent}${l}\n`).join('');
  const edits: TextEdit[] = [{ range: at(kernelNode.startPosition.row, 0), newText: decorator }];
  // the launches stop passing what the configs pass
  for (const call of calls) {
    const args = call.childForFieldName('arguments')?.namedChildren ?? [];
    const drop = (a: SyntaxNode) => {
      if (a.type !== 'keyword_argument') return false;
      const n = a.childForFieldName('name')?.text ?? '';
      return moved!.has(n) || OPTIONS.has(n);
    };
    edits.push(...removeArgs(args, drop));
  }
  return {
    title: `Autotune \`${k.name}\` over 3 and 4 pipeline stages at the launched block sizes (the launch stops passing them)`,
    edits,
    safe: false,
  };
}

/** Edits that remove the arguments `drop` picks, with their commas. */
function removeArgs(args: SyntaxNode[], drop: (a: SyntaxNode) => boolean): TextEdit[] {
  const edits: TextEdit[] = [];
  for (let i = 0; i < args.length; ) {
    if (!drop(args[i])) {
      i++;
      continue;
    }
    let j = i;
    while (j + 1 < args.length && drop(args[j + 1])) j++;
    // a run of dropped arguments: from the end of the kept one before it, or up to the kept one after it
    if (i > 0) edits.push({ range: { start: nodeRange(args[i - 1]).end, end: nodeRange(args[j]).end }, newText: '' });
    else if (j + 1 < args.length) edits.push({ range: { start: nodeRange(args[i]).start, end: nodeRange(args[j + 1]).start }, newText: '' });
    else edits.push({ range: { start: nodeRange(args[i]).start, end: nodeRange(args[j]).end }, newText: '' });
    i = j + 1;
  }
  return edits;
}
