// Rows and elements of image or blob objects reached through their accessors, as CPU code
// written against OpenCV or an inference runtime reads them: `img.ptr<float>(y)`,
// `m.row(i)`, `blob.channel(q)` give row `y` of the object's buffer, `img.at<float>(y, x)`
// its element (y, x). The rows are a run-time pitch apart, named after the object.
import type { SyntaxNode as Node } from '../mirror';
import { field, namedChildren } from '../syntax';
import { unparen } from './evaluate';
import { Poly } from '../affine';
import type { ElementAccessor } from '../preprocess/accessors';

const ROW_ACCESSOR = /^([A-Za-z_]\w*)\s*(?:\.|->)\s*(row|ptr|channel|depth|plane)\s*(?:<[^<>]*>)?$/;
const ELEMENT_AT = /^([A-Za-z_]\w*)\s*(?:\.|->)\s*at\s*<\s*([A-Za-z_][\w:]*)\s*>$/;

/** `img.ptr<float>(y)` (under casts): the object, the accessor and its index; else null. */
export function rowAccessor(value: Node): { object: string; method: string; index: Node } | null {
  let v: Node | null = unparen(value);
  while (v?.type === 'cast_expression') v = unparen(field(v, 'value'));
  if (v?.type !== 'call_expression') return null;
  const m = ROW_ACCESSOR.exec(field(v, 'function')?.text ?? '');
  const args = namedChildren(field(v, 'arguments') ?? v);
  return m && args.length === 1 ? { object: m[1], method: m[2], index: args[0] } : null;
}

/** `X[s]` naming an element that is itself a row (`const std::vector<float>& in = X[s]`): the object and the index; else null. */
export function containerRow(value: Node): { object: string; index: Node } | null {
  const v = unparen(value);
  if (v?.type !== 'subscript_expression') return null;
  const object = unparen(field(v, 'argument'));
  const indices = namedChildren(field(v, 'indices') ?? field(v, 'index') ?? v).filter((c) => c.type !== 'comment');
  const index = field(v, 'index') ?? (indices.length === 1 ? indices[0] : null);
  return object?.type === 'identifier' && index ? { object: object.text, index } : null;
}

const METHOD = /^([A-Za-z_]\w*)\s*(?:\.|->)\s*([A-Za-z_]\w*)$/;

/**
 * `img.at<float>(y, x)`, or `m.at(i, j)` of a matrix class whose `at` hands out `data_[i * cols_ + j]`
 * (`accessors`, by method name): the object, the element type and the two coordinates; else null.
 */
export function elementAt(call: Node, accessors: ReadonlyMap<string, ElementAccessor>, typeOf: (name: string) => string | undefined): { object: string; type: string; row: Node; column: Node } | null {
  const callee = field(call, 'function')?.text ?? '';
  const m = ELEMENT_AT.exec(callee);
  let object = m?.[1];
  let accessor: ElementAccessor | undefined;
  if (!m && accessors.size) {
    const method = METHOD.exec(callee);
    if (method) [object, accessor] = [method[1], accessors.get(method[2])];
    // `A(i, k)` with `Matrix A`: the call operator of A's class
    else if (/^[A-Za-z_]\w*$/.test(callee)) [object, accessor] = [callee, accessors.get(`${className(typeOf(callee) ?? '')}::operator()`)];
  }
  if (!m && !accessor) return null;
  const args = namedChildren(field(call, 'arguments') ?? call).filter((c) => c.type !== 'comment');
  if (args.length !== 2) return null;
  if (m) return { object: m[1], type: m[2], row: args[0], column: args[1] };
  return { object: object!, type: accessor!.type, row: args[accessor!.columnMajor ? 1 : 0], column: args[accessor!.columnMajor ? 0 : 1] };
}

/** `const Matrix&`, `ns::Matrix *`, `const Matrix<float>&` -> `Matrix`. */
const className = (type: string): string => type.replace(/\b(?:const|volatile)\b|[&*\s]|<.*>/g, '').replace(/^.*::/, '');

/** The run-time distance between two rows of the object (`row_pitch(img)`, `channel_pitch(blob)`). */
export const rowPitch = (method: string, object: string): Poly => Poly.sym(`${method}_pitch(${object})`);
