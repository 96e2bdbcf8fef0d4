// PyTorch's type dispatch: `AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "name", [&] { k<scalar_t><<<...>>>(...); })`
// runs its lambda once per type of the macro's list, with `scalar_t` bound to each. A launch inside
// says which element types the kernel is built for (float and double here: no 16-bit instantiation).
// Only ATen's own macros are read: a project's look-alike (`VLLM_DISPATCH_FLOATING_TYPES`) has a list of its own.
import type { SyntaxNode as Node } from '../mirror';
import { field, namedChildren } from '../syntax';

const BASE: Record<string, string[]> = {
  FLOATING_TYPES: ['float', 'double'],
  FLOATING_TYPES_AND_HALF: ['float', 'double', 'half'],
  REDUCED_FLOATING_TYPES: ['half', '__nv_bfloat16'],
};
const ATEN_DISPATCH = /^(?:at::)?AT_DISPATCH_(FLOATING_TYPES(?:_AND_HALF)?|REDUCED_FLOATING_TYPES)(?:_AND\d?)?$/;
/** The extra types of `_AND`, `_AND2`, ... : `at::ScalarType::Half`, `at::kBFloat16`. */
const EXTRA: [RegExp, string][] = [[/\b(?:ScalarType::Half|kHalf)\b/, 'half'], [/\b(?:ScalarType::BFloat16|kBFloat16)\b/, '__nv_bfloat16']];

/** The types `scalar_t` takes in the body of `lambda` when it is the function argument of an ATen dispatch; else null. */
export function dispatchedTypes(lambda: Node): string[] | null {
  const call = lambda.parent?.type === 'argument_list' ? lambda.parent.parent : null;
  const name = call?.type === 'call_expression' ? field(call, 'function')?.text.trim() : undefined;
  const m = name ? ATEN_DISPATCH.exec(name) : null;
  if (!m || !call) return null;
  const types = new Set(BASE[m[1]]);
  if (/_AND\d?$/.test(name!)) {
    const args = namedChildren(lambda.parent!).filter((a) => a !== lambda).map((a) => a.text).join(',');
    for (const [re, t] of EXTRA) if (re.test(args)) types.add(t);
  }
  return [...types];
}
