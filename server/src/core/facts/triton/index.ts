// Facts for Triton files (ANALYSIS.md §1, "Triton is the same model with lanes").
//
// Kernels (`@triton.jit` functions): the body is walked in order, evaluating integer
// expressions into index forms over program ids (`#pid<axis>:<name>`), lanes
// (`#lane<k>:<name>`, one per `tl.arange`), loop symbols and parameters. A value also
// remembers on which axis of its block each lane lies, so `rm[:, None] * s + rk[None, :]`
// knows that `rk` runs along the last (contiguous) axis. `tl.load`/`tl.store`/atomics
// become AccessFacts on the pointer parameter they go through.
//
// Host functions (everything else, plus module-level code that launches kernels): every
// operation on values is recorded in evaluation order: `kernel[grid](...)` launches,
// torch calls, methods, operators, subscripts, assignments and returns, with the names
// each one reads, so a rule can follow what happens to a launch's output next.
//
// Anything the walker cannot model becomes unknown; a function that cannot be walked at
// all (too deep, too strange) yields no facts.
import type { SyntaxNode as Node } from '../../mirror';
import { field } from '../../syntax';
import type { FunctionFacts } from '../model';
import { kernelFacts } from './kernel';
import { ModuleBindings, autotuneConfigs } from './configs';
import { hostFacts, moduleFacts } from './host';
import { children, compact, importAliases, isJitDecorator, scanStatements } from './common';
import { BudgetExceeded, MAX_NESTING, TOO_DEEP, nestingDepth } from '../../budget';
/** A program that turns TF32 off for PyTorch's own matmuls (FileFacts.fullFp32Matmuls), in code (not a comment). */
const TF32_OFF = /^[ \t]*(?:torch\.backends\.cuda\.matmul\.allow_tf32\s*=\s*False\b|torch\.set_float32_matmul_precision\(\s*['"]highest['"]\s*\))/m;
export const fullFp32Matmuls = (text: string): boolean => TF32_OFF.test(text);

/** Runs one function's walk (the engine's budget and nesting cap); null when it was skipped. */
export type Guard = (def: Node, name: string, work: () => FunctionFacts | null) => FunctionFacts | null;
const unguarded: Guard = (_def, _name, work) => work();

/** Facts for every function of a Triton file: `@triton.jit` kernels and host functions. */
export function tritonFunctions(root: Node, lines: string[], guard: Guard = unguarded): FunctionFacts[] {
  const out: FunctionFacts[] = [];
  let aliases: Map<string, string>;
  try {
    aliases = importAliases(root);
  } catch {
    return out;
  }
  const defs: { def: Node; outer: Node; decorators: string[]; decoratorNodes: Node[] }[] = [];
  try {
    scanStatements(root, (n) => {
      if (n.type === 'decorated_definition') {
        const def = field(n, 'definition');
        if (def?.type === 'function_definition') {
          const decoratorNodes = children(n).filter((c) => c.type === 'decorator');
          const decorators = decoratorNodes.map((c) => compact(c.text).replace(/^@/, ''));
          defs.push({ def, outer: n, decorators, decoratorNodes });
        }
      } else if (n.type === 'function_definition' && n.parent?.type !== 'decorated_definition') {
        defs.push({ def: n, outer: n, decorators: [], decoratorNodes: [] });
      }
    });
  } catch {
    return out;
  }
  // `silu_kernel = triton.jit(_silu_body)`: the plain function is a kernel under the assigned name
  const jitted = new Map<string, string>();
  for (const st of root.namedChildren) {
    const e = st.type === 'expression_statement' ? st.namedChildren[0] : null;
    if (e?.type !== 'assignment') continue;
    const left = field(e, 'left');
    const right = field(e, 'right');
    if (left?.type !== 'identifier' || right?.type !== 'call') continue;
    const fn = field(right, 'function');
    const args = field(right, 'arguments')?.namedChildren ?? [];
    if (fn && isJitDecorator(compact(fn.text)) && args.length === 1 && args[0].type === 'identifier') jitted.set(args[0].text, left.text);
  }
  const bindings = new ModuleBindings(root);
  for (const { def, outer, decorators, decoratorNodes } of defs) {
    if (outer.hasError) continue; // unparsable: no facts rather than a guess
    try {
      const name = field(def, 'name')?.text ?? '';
      const alias = jitted.get(name);
      const jit = decorators.some(isJitDecorator) || alias !== undefined;
      const f = guard(outer, name || '(unnamed)', () => {
        if (nestingDepth(outer) > MAX_NESTING) throw new BudgetExceeded(TOO_DEEP);
        if (!jit) return hostFacts(def, outer, decorators, aliases, lines);
        const k = kernelFacts(outer === def ? null : outer, def, decorators, aliases, lines);
        if (k && decorators.some((d) => /(^|\.)autotune\(/.test(d))) k.autotuneConfigs = decoratorNodes.map((d) => autotuneConfigs(d, bindings));
        return k;
      });
      const owner = outer.parent?.type === 'block' && outer.parent.parent?.type === 'class_definition' ? field(outer.parent.parent, 'name')?.text : undefined;
      if (f && owner) f.className = owner;
      // (launched as `silu_kernel[grid](...)`: the kernel goes by the assigned name only, the plain function is not
      // launchable, and one fact per body keeps its findings single, `f = triton.jit(f)` too)
      if (f) out.push(alias !== undefined ? { ...f, name: alias } : f);
    } catch {
      // too deep or too strange to model: unknown means silence
    }
  }
  try {
    // module-level statements, each checked for depth (the functions' bodies are not walked here)
    const m = guard(root, '(module)', () => {
      if (root.namedChildren.some((st) => st.type !== 'function_definition' && st.type !== 'decorated_definition' && nestingDepth(st) > MAX_NESTING)) throw new BudgetExceeded(TOO_DEEP);
      return moduleFacts(root, aliases, lines);
    });
    if (m) out.push(m);
  } catch {
    // same
  }
  return out;
}

