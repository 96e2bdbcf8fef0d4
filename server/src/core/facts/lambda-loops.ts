// Loops written as calls: `for_i(parallelize, n, [&](size_t i) { ... })` (tiny-dnn),
// `tbb::parallel_for(0, n, [&](int i) { ... })`, `parallel_for(n, [&](int64_t i) { ... })`.
// The lambda's one integer parameter is the loop variable, the argument before the lambda
// its count, and the one before that, when it is a number, its start.
import type { SyntaxNode as Node } from '../mirror';
import { field, namedChildren } from '../syntax';

const INDEX_TYPE = /^(?:size_t|std::size_t|ptrdiff_t|std::ptrdiff_t|int|unsigned|unsigned int|long|long long|int64_t|uint64_t|int32_t|uint32_t|std::int64_t|auto|\w+_size_t|\w+_index_t|index_t)$/;

export interface LambdaLoop {
  variable: string;
  count: Node;
  start: Node | null;
  body: Node;
}

/** The loop a lambda argument stands for, or null when it is not the last argument of such a call. */
export function lambdaLoop(lambda: Node): LambdaLoop | null {
  const list = lambda.parent;
  if (list?.type !== 'argument_list' || list.parent?.type !== 'call_expression') return null;
  const args = namedChildren(list).filter((a) => a.type !== 'comment');
  if (args.length < 2 || args[args.length - 1] !== lambda) return null;
  const decl = field(lambda, 'declarator');
  const params = decl ? namedChildren(field(decl, 'parameters') ?? decl).filter((p) => p.type === 'parameter_declaration') : [];
  if (params.length !== 1) return null;
  const type = (field(params[0], 'type')?.text ?? '').replace(/\bconst\b/, '').trim();
  const name = field(params[0], 'declarator');
  const body = field(lambda, 'body');
  if (!INDEX_TYPE.test(type) || name?.type !== 'identifier' || !body) return null;
  const before = args[args.length - 3];
  return { variable: name.text, count: args[args.length - 2], start: before && /^\d+$/.test(before.text.trim()) ? before : null, body };
}
