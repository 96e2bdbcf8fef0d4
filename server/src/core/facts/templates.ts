// Template parameters of a function, read from its `template <...>` head: the names the facts
// keep (`FunctionFacts.templateParams`), and the value parameters a call's explicit arguments
// or the defaults bind when a `__device__` helper is seen at its call (`stage<16, false>(...)`).
import type { SyntaxNode as Node } from '../mirror';
import { field, namedChildren } from '../syntax';

export interface TemplateParameter {
  name: string | null;
  /** `typename T`, `class T`: a type, never a value. */
  isType: boolean;
  /** `int N = 4`: the value when a call gives none. */
  default: Node | null;
}

/** The parameters of a `template_declaration`, in order. */
export function templateParameters(tmpl: Node): TemplateParameter[] {
  return namedChildren(field(tmpl, 'parameters') ?? tmpl)
    .filter((p) => p.type !== 'comment')
    .map((p) => {
      const nm = field(p, 'declarator') ?? field(p, 'name') ?? namedChildren(p).find((c) => c.type === 'identifier' || c.type === 'type_identifier');
      return { name: nm?.text ?? null, isType: p.type.includes('type_parameter'), default: field(p, 'default_value') ?? field(p, 'default_type') };
    });
}

/** The function of a helper kept with its template head (a `template_declaration`), or the helper itself. */
export function helperFunction(helper: Node): Node | null {
  if (helper.type === 'function_definition') return helper;
  return helper.type === 'template_declaration' ? (namedChildren(helper).find((c) => c.type === 'function_definition') ?? null) : null;
}
