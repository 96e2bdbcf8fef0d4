// A GEMM kernel's scope, for reading its index arithmetic as polynomials: the integer and
// scalar parameters, the file's constants, and each integer local with the value it is
// declared with (and whether it is ever assigned again), so that `row * K + k` reads the
// same whether `row` is written out or named.
import { Poly } from '../../../core/affine';
import type { FixContext } from '../../../core/fix';
import type { FunctionFacts, LoopFact } from '../../../core/facts/model';
import type { SyntaxNode } from '../../../core/mirror';
import type { Range } from '../../../core/types';
import { parseExpr, polyOf, type Expr } from './fix-expr';
import { nodeRange } from '../../common/fix-syntax';
import { constantsOf, inside, refuse } from './fix-gemm-spec';

const INT_TYPE = /^(?:(?:const|constexpr|static|unsigned|signed|volatile)\s+)*(?:int|unsigned|long|long\s+long|size_t|int64_t|int32_t|uint32_t|uint64_t|ptrdiff_t|short|auto)$/;
const INT_PARAM = /^(?:unsigned\s+)?(?:int|long|long\s+long|size_t|int64_t|int32_t|uint32_t|uint64_t|ptrdiff_t|short|unsigned)$/;

export class KernelScope {
  readonly intParams = new Set<string>();
  readonly scalarParams = new Set<string>();
  readonly constants: Map<string, number>;
  private locals = new Map<string, { value: Expr | null; at: Range; type: string; count: number }>();
  private assigned = new Set<string>();

  constructor(
    readonly ctx: FixContext,
    readonly fn: FunctionFacts,
    readonly def: SyntaxNode,
  ) {
    this.constants = constantsOf(ctx);
    for (const p of fn.params) {
      if (p.pointer || (p.rank ?? 0) > 0) continue;
      this.scalarParams.add(p.name);
      if (INT_PARAM.test(p.type.replace(/\bconst\b/g, '').trim())) this.intParams.add(p.name);
    }
    const body = def.childForFieldName('body');
    if (!body) refuse('the kernel has no body');
    for (const d of body!.descendantsOfType('declaration')) {
      const type = [...d.children].filter((c) => c.fieldName === 'type' || c.type === 'type_qualifier' || c.type === 'storage_class_specifier').map((c) => c.text).join(' ');
      for (const decl of d.childrenForFieldName('declarator')) {
        const name = decl.type === 'init_declarator' ? decl.childForFieldName('declarator') : decl;
        if (!name || name.type !== 'identifier') {
          // arrays, pointers: names that are not integer locals
          const id = decl.descendantsOfType('identifier')[0];
          if (id) this.note(id.text, null, nodeRange(decl), 'other');
          continue;
        }
        const value = decl.type === 'init_declarator' ? decl.childForFieldName('value') : null;
        this.note(name.text, value && value.type !== 'initializer_list' && value.type !== 'argument_list' ? parseExpr(value.text) : null, nodeRange(decl), type);
      }
    }
    for (const a of body!.descendantsOfType(['assignment_expression', 'update_expression'])) {
      const target = a.childForFieldName(a.type === 'assignment_expression' ? 'left' : 'argument');
      if (target?.type === 'identifier') this.assigned.add(target.text);
    }
  }

  private note(name: string, value: Expr | null, at: Range, type: string) {
    const seen = this.locals.get(name);
    this.locals.set(name, { value, at, type, count: (seen?.count ?? 0) + 1 });
  }

  /** Is `name` a local of the kernel (any type)? */
  isLocal(name: string): boolean {
    return this.locals.has(name);
  }
  localType(name: string): string | null {
    return this.locals.get(name)?.type ?? null;
  }
  /** The local's declaration, when it is declared once. */
  localDecl(name: string): { value: Expr | null; at: Range } | null {
    const l = this.locals.get(name);
    return l && l.count === 1 ? l : null;
  }
  wasAssigned(name: string): boolean {
    return this.assigned.has(name);
  }

  /** The loops of the kernel enclosing a position, innermost first. */
  private loopsAt(at: Range): LoopFact[] {
    return this.fn.loops.filter((l) => inside(at, l.range)).sort((x, y) => y.depth - x.depth);
  }

  /** The value of an integer expression written at `at`, in the symbols the facts use. */
  value(e: Expr, at: Range, depth = 0): Poly {
    return polyOf(e, (id) => this.lookup(id, at, depth));
  }

  private lookup(id: string, at: Range, depth: number): Poly | undefined {
    if (depth > 16) return undefined;
    const loop = this.loopsAt(at).find((l) => l.variable === id);
    if (loop) return loop.init && loop.step ? loop.init.add(loop.step.mul(Poly.sym(loop.symbol))) : undefined;
    const local = this.locals.get(id);
    if (local) {
      if (local.count !== 1 || this.assigned.has(id) || !local.value || !INT_TYPE.test(local.type.trim())) return undefined;
      return this.value(local.value, local.at, depth + 1);
    }
    if (this.intParams.has(id) || this.fn.templateParams.includes(id)) return Poly.sym(id);
    if (this.constants.has(id)) return Poly.const(this.constants.get(id)!);
    return undefined;
  }

  /** A size written in parameters, template parameters and constants only (`K`, `N * 2`). */
  isUniform(p: Poly): boolean {
    return !p.unknown && [...p.symbols()].every((s) => this.intParams.has(s) || this.fn.templateParams.includes(s));
  }
}

/** A polynomial over parameters as C text (`K`, `2*N`). */
export function polyText(p: Poly): string {
  return p.toString().replace(/\s+/g, ' ');
}
