// Rows and elements of image or blob objects reached through their accessors, as CPU code
// written against OpenCV or an inference runtime reads them: `img.ptr<float>(y)`,
// `m.row(i)`, `blob.channel(q)` give row `y` of the object's buffer, `img.at<float>(y, x)`
// its element (y, x). The rows are a run-time pitch apart, named after the object.
import type { SyntaxNode as Node } from '../mirror';
import { field, namedChildren } from '../syntax';
import { unparen } from './evaluate';
import { Poly } from '../affine';

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

/** `img.at<float>(y, x)`: the object, the element type and the two coordinates; else null. */
export function elementAt(call: Node): { object: string; type: string; row: Node; column: Node } | null {
  const m = ELEMENT_AT.exec(field(call, 'function')?.text ?? '');
  const args = m ? namedChildren(field(call, 'arguments') ?? call) : [];
  return m && args.length === 2 ? { object: m[1], type: m[2], row: args[0], column: args[1] } : null;
}

/** The run-time distance between two rows of the object (`row_pitch(img)`, `channel_pitch(blob)`). */
export const rowPitch = (method: string, object: string): Poly => Poly.sym(`${method}_pitch(${object})`);
