// Writing a GEMM fix (tiling/shared-memory, tiling/register-blocking): the new kernel over
// the old one with the same name and signature (at the file's indentation), and the
// kernel's launches in this file given the new block and grid, or, where one cannot be
// rewritten, the fix marked for review; and the fixer around it (CUDA only, a recogniser's
// NoFix as the reason). A fixer recognises its own shape of kernel (naive, or shared-tiled)
// into a GemmSpec (fix-gemm-spec.ts) and generates the kernel from it.
import { Poly } from '../../../core/affine';
import type { FixContext, Fixer } from '../../../core/fix';
import type { SyntaxNode } from '../../../core/mirror';
import type { Fix, TextEdit } from '../../../core/types';
import { ceilDiv } from './fix-expr';
import { nodeRange } from '../../common/fix-syntax';
import { NoFix, type GemmSpec } from './fix-gemm-spec';
import { type Launch, launchCovers, launchesOf, newConfig, otherReferences } from './fix-gemm-launches';

/** The kernel's text up to its body, without any `__launch_bounds__`, with `bounds` added before its name. */
export function header(ctx: FixContext, def: SyntaxNode, bounds: string | null): string {
  const body = def.childForFieldName('body')!;
  let declarator = def.childForFieldName('declarator');
  while (declarator && declarator.type !== 'function_declarator') declarator = declarator.childForFieldName('declarator') ?? declarator.namedChildren[0] ?? null;
  const nameNode = declarator?.childForFieldName('declarator');
  const head = ctx.text.slice(def.startIndex, body.startIndex).trimEnd();
  if (!nameNode) return head;
  const at = nameNode.startIndex - def.startIndex;
  const oldCol = at - (head.lastIndexOf('\n', at - 1) + 1) + (head.lastIndexOf('\n', at - 1) === -1 ? def.startPosition.column : 0);
  let prefix = head.slice(0, at).replace(/__launch_bounds__\s*\([^()]*(?:\([^()]*\)[^()]*)*\)\s*/g, '');
  prefix = prefix.replace(/\s*\n\s*$/, ' ').replace(/([^\s])$/, '$1 ') + (bounds ? `${bounds} ` : '');
  const newCol = prefix.length - (prefix.lastIndexOf('\n') + 1) + (prefix.lastIndexOf('\n') === -1 ? def.startPosition.column : 0);
  const delta = newCol - oldCol;
  // parameters continued on later lines and aligned past the name move with it
  const rest = head
    .slice(at)
    .split('\n')
    .map((line, i) => {
      const lead = /^[ \t]*/.exec(line)![0].length;
      if (i === 0 || delta === 0 || lead <= oldCol) return line;
      return delta > 0 ? ' '.repeat(delta) + line : line.slice(Math.min(-delta, lead - 1));
    })
    .join('\n');
  return prefix + rest;
}

/** The indentation unit of the file's function bodies (two spaces when it cannot tell). */
export function indentUnit(ctx: FixContext, def: SyntaxNode): string {
  const body = def.childForFieldName('body');
  const first = body?.namedChildren.find((c) => c.type !== 'comment');
  if (first) {
    const line = ctx.lines[first.startPosition.row] ?? '';
    const lead = /^[ \t]*/.exec(line)![0];
    const base = /^[ \t]*/.exec(ctx.lines[def.startPosition.row] ?? '')![0];
    if (lead.length > base.length) return lead.slice(base.length);
  }
  return '  ';
}

/** Builds the fix: the kernel replaced, its launches in this file rewritten (or, where they cannot be, the fix marked for review). */
export function gemmFix(
  ctx: FixContext,
  spec: GemmSpec,
  kernel: string,
  what: string,
  cfg: { block: number[]; tileM: number; tileN: number },
): Fix {
  const edits: TextEdit[] = [{ range: nodeRange(spec.def), newText: kernel }];
  const notes = [...spec.notes];
  const launches = launchesOf(ctx, spec.fn);
  const blockText = cfg.block.join('x');
  const gridText = `ceil(${spec.n} / ${cfg.tileN}) x ceil(${spec.m} / ${cfg.tileM})`;
  const changed: string[] = [];
  for (const l of launches) {
    const why = launchCovers(spec, l);
    if (why) notes.push(`the launch in \`${l.host.name}\` was not proven to cover C (${why})`);
    // unchanged when it already runs this block and grid
    const same = !why && l.block && l.grid && sameConfig(spec, l, cfg);
    if (same) continue;
    const conf = newConfig(spec, l, cfg.tileM, cfg.tileN);
    if (!conf || !l.block?.rewrite || !l.grid?.rewrite) {
      notes.push(`the launch in \`${l.host.name}\` is not rewritten: launch ${spec.fn.name} with ${blockText} threads and ${gridText} blocks`);
      continue;
    }
    const blockNow = [0, 1, 2].map((i) => (l.block!.dims[i] ? l.value(l.block!.dims[i].e) : Poly.const(1)));
    const want = [...cfg.block, 1, 1].slice(0, 3);
    if (!blockNow.every((b, i) => b.isConstant && b.constant === want[i])) edits.push(l.block.rewrite(cfg.block.map(String)));
    edits.push(l.grid.rewrite(conf.grid));
    changed.push(l.host.name);
  }
  const refs = otherReferences(ctx, spec.fn, launches);
  if (refs.some((r) => r === 0)) notes.push(`\`${spec.fn.name}\` is also launched from another file`);
  else if (refs.length) notes.push(`\`${spec.fn.name}\` is also referenced on line ${refs[0]}`);
  if (launches.length === 0) notes.push(`no launch of \`${spec.fn.name}\` in this file`);
  let title = what;
  if (changed.length) title += ` (launch in ${[...new Set(changed)].map((c) => `\`${c}\``).join(', ')}: ${blockText} threads, ${gridText} blocks)`;
  const outside = launches.length === 0 || refs.length > 0;
  if (outside) title += ` (callers must launch it with ${blockText} threads and ${gridText} blocks)`;
  // what keeps it from being applied without review, beyond callers elsewhere (said above)
  const review = notes.find((n) => !/^no launch of|is also (launched|referenced)/.test(n));
  if (review) title += `; review: ${review}`;
  return { title, edits: dedupe(edits), safe: notes.length === 0 };
}

function sameConfig(spec: GemmSpec, l: Launch, cfg: { block: number[]; tileM: number; tileN: number }): boolean {
  const block = [0, 1, 2].map((i) => (l.block!.dims[i] ? l.value(l.block!.dims[i].e) : Poly.const(1)));
  const want = [...cfg.block, 1, 1].slice(0, 3);
  if (!block.every((b, i) => b.isConstant && b.constant === want[i])) return false;
  if (spec.rowAxis !== 'y') return false;
  const gx = l.grid!.dims[0] ? ceilDiv(l.grid!.dims[0].e, l.value) : null;
  const gy = l.grid!.dims[1] ? ceilDiv(l.grid!.dims[1].e, l.value) : null;
  return !!gx && !!gy && l.value(gx.d).equals(Poly.const(cfg.tileN)) && l.value(gy.d).equals(Poly.const(cfg.tileM));
}

function dedupe(edits: TextEdit[]): TextEdit[] {
  const seen = new Set<string>();
  return edits.filter((e) => {
    const k = JSON.stringify(e.range);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** A GEMM fixer: CUDA only (`tritonReason` says what to do in Triton), a recogniser's NoFix returned as the reason. */
export function gemmFixer(tritonReason: string, write: (ctx: FixContext) => Fix): Fixer {
  return (finding, ctx) => {
    if (ctx.language === 'triton') return { reason: tritonReason };
    try {
      return [write(ctx)];
    } catch (e) {
      if (e instanceof NoFix) return { reason: e.message };
      throw e;
    }
  };
}
