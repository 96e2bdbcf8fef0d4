// Layouts of the file's plain structs (`struct Pixel { int r, g, b, a; }`), so that a field
// of an array of structures (`data[i].g`) is an access of a known width at a known offset:
// a warp's lanes then walk a record apart, as `((int *)data)[4 * i + 1]` would (ANALYSIS.md §2).
import type { SyntaxNode as Node } from '../mirror';
import { children, field, namedChildren } from '../syntax';
import { Poly } from '../affine';
import { baseType, containerElement, declaratorName, elementBits, tableElement, VECTOR_TYPES, type TypeAliases } from './ctypes';
import type { AccessFact } from './model';

export interface RecordField {
  type: string;
  /** Bytes from the start of the record. */
  offset: number;
  bytes: number;
}

export interface RecordLayout {
  bytes: number;
  align: number;
  fields: ReadonlyMap<string, RecordField>;
}

export type RecordLayouts = ReadonlyMap<string, RecordLayout>;

/** CUDA's 3-component vectors: 12 bytes on a 4-byte alignment (not in the width table: no access moves one whole). */
const THREE_WIDE: Record<string, number> = { float3: 12, int3: 12, uint3: 12 };
const COMPONENTS = ['x', 'y', 'z', 'w'];

/** Size and alignment of a field's type, or null when unknown (a pointer, a template type, a class). */
function sizeOf(type: string, aliases: TypeAliases, records: ReadonlyMap<string, RecordLayout>): { bytes: number; align: number } | null {
  const t = baseType(type);
  const rec = records.get(t);
  if (rec) return { bytes: rec.bytes, align: rec.align };
  if (THREE_WIDE[t]) return { bytes: THREE_WIDE[t], align: 4 };
  const bits = elementBits(t, aliases);
  return bits ? { bytes: bits / 8, align: bits / 8 } : null;
}

/** A struct body's layout under natural alignment, or null when a field's size is unknown (or a bit-field). */
function layoutOf(body: Node, align: number, aliases: TypeAliases, records: ReadonlyMap<string, RecordLayout>): RecordLayout | null {
  const fields = new Map<string, RecordField>();
  let offset = 0;
  let maxAlign = Math.max(1, align);
  for (const decl of namedChildren(body)) {
    if (decl.type === 'comment') continue;
    if (decl.type !== 'field_declaration') return null; // methods, access specifiers, nested types: not a plain record
    const typeNode = field(decl, 'type');
    if (!typeNode || children(decl).some((c) => c.type === 'bitfield_clause')) return null;
    const size = sizeOf(typeNode.text, aliases, records);
    if (!size) return null;
    for (const d of children(decl)) {
      if (d.type === 'field_identifier') {
        offset = Math.ceil(offset / size.align) * size.align;
        fields.set(d.text, { type: baseType(typeNode.text), offset, bytes: size.bytes });
        offset += size.bytes;
      } else if (d.type === 'array_declarator') {
        const n = Number(field(d, 'size')?.text);
        if (!Number.isInteger(n) || n <= 0) return null;
        offset = Math.ceil(offset / size.align) * size.align + n * size.bytes; // an array field: its room, no access of its own
      } else if (['pointer_declarator', 'function_declarator', 'reference_declarator'].includes(d.type)) return null;
    }
    maxAlign = Math.max(maxAlign, size.align);
  }
  if (!fields.size) return null;
  return { bytes: Math.ceil(offset / maxAlign) * maxAlign, align: maxAlign, fields };
}

/** `alignas(16)` on a struct: its alignment (and so its size) is at least that. */
function declaredAlign(spec: Node): number {
  const q = children(spec).find((c) => c.type === 'alignas_qualifier');
  const n = q ? Number(/\d+/.exec(q.text)?.[0]) : NaN;
  return Number.isInteger(n) ? n : 1;
}

/** The plain structs declared at file scope (`struct S {...};`, `typedef struct {...} S;`), in file order. */
export function recordLayouts(declarations: readonly Node[], aliases: TypeAliases): Map<string, RecordLayout> {
  const out = new Map<string, RecordLayout>();
  for (const d of declarations) {
    const spec = d.type === 'struct_specifier' ? d : d.type === 'type_definition' ? field(d, 'type') : null;
    const body = spec?.type === 'struct_specifier' ? field(spec, 'body') : null;
    if (!spec || !body) continue;
    const layout = layoutOf(body, declaredAlign(spec), aliases, out);
    if (!layout) continue;
    const name = field(spec, 'name')?.text;
    if (name) out.set(name, layout);
    if (d.type === 'type_definition') for (const t of children(d)) if (t.type === 'type_identifier' && t !== spec) out.set(t.text, layout);
  }
  return out;
}

/** Element types of structs' pointer members by struct and member name (`struct Params { const float* A; }`: Params.A is float). */
export type MemberElements = ReadonlyMap<string, ReadonlyMap<string, string>>;

/** What the facts read of the file's structs: layouts of the plain ones, and what their pointer members point at. */
export interface FileRecords {
  layouts: RecordLayouts;
  members: MemberElements;
  /** Structs of the included headers that hand out the block's dynamic shared memory (`SharedMemory<T>`), with their arrays (preprocess/shared-structs.ts). */
  sharedStructs?: ReadonlyMap<string, string>;
}

export const NO_RECORDS: FileRecords = { layouts: new Map(), members: new Map() };

/**
 * The pointer members of the structs and classes declared at file scope, with their element
 * types: a kernel's `Params p` then reads `p.A[i]` as the floats it holds (one pointer level;
 * `T** rows` and array members are left out: neither is a buffer of T the member names).
 */
export function memberElements(declarations: readonly Node[], classFields: readonly [string, Node][] = []): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  // (a class's, with methods: its data members, read in its methods as `data[i]` or `this->data[i]`)
  for (const [owner, decl] of classFields) {
    const members = out.get(owner) ?? new Map<string, string>();
    pointerMembers(decl, members);
    if (members.size) out.set(owner, members);
  }
  for (const d of declarations) {
    const spec = d.type === 'struct_specifier' || d.type === 'class_specifier' ? d : d.type === 'type_definition' ? field(d, 'type') : null;
    const body = spec && (spec.type === 'struct_specifier' || spec.type === 'class_specifier') ? field(spec, 'body') : null;
    if (!spec || !body) continue;
    const members = new Map<string, string>();
    for (const decl of namedChildren(body)) if (decl.type === 'field_declaration') pointerMembers(decl, members);
    if (!members.size) continue;
    const name = field(spec, 'name')?.text;
    if (name) out.set(name, members);
    if (d.type === 'type_definition') for (const t of children(d)) if (t.type === 'type_identifier' && t !== spec) out.set(t.text, members);
  }
  return out;
}

/**
 * The members of the included headers' classes (their types as written, preprocess/class-members.ts) as memberElements
 * records them: a table of rows, a container's element, a pointer's element.
 */
export function headerMemberElements(classes: ReadonlyMap<string, ReadonlyMap<string, string>>, aliases?: TypeAliases): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  for (const [owner, fields] of classes) {
    const members = new Map<string, string>();
    for (const [name, type] of fields) {
      const rows = tableElement(type, aliases);
      const element = rows ? null : containerElement(type);
      if (rows) members.set(name, ROWS_MEMBER + rows);
      else if (element) members.set(name, element);
      else if (type.endsWith('*') && !type.slice(0, -1).includes('*')) members.set(name, baseType(type.slice(0, -1)));
    }
    if (members.size) out.set(owner, members);
  }
  return out;
}

/** The file's own members, and those of the headers' classes it does not declare itself (its own win). */
export function withHeaderMembers(own: Map<string, Map<string, string>>, headers: ReadonlyMap<string, Map<string, string>>): Map<string, Map<string, string>> {
  if (!headers.size) return own;
  const out = new Map(own);
  for (const [owner, members] of headers) if (!out.has(owner)) out.set(owner, members);
  return out;
}

/** A member that is a table of rows (`std::vector<std::vector<float>> W;`), as memberElements records its element. */
export const ROWS_MEMBER = 'rows:';

/**
 * The one-level pointer members a field declaration declares (`const float* A, *B;`), with their element type; and
 * its container members (`std::vector<float> dx;`, the element; `std::vector<std::vector<float>> W;`, rows of it).
 */
function pointerMembers(decl: Node, into: Map<string, string>): void {
  const type = field(decl, 'type')?.text;
  if (!type) return;
  const rows = tableElement(type);
  const element = rows ? null : containerElement(type);
  if (rows || element) {
    for (const c of children(decl)) if (c.type === 'field_identifier') into.set(c.text, rows ? ROWS_MEMBER + rows : element!);
    return;
  }
  for (const c of children(decl)) {
    if (c.type !== 'pointer_declarator' || field(c, 'declarator')?.type === 'pointer_declarator') continue;
    const info = declaratorName(c);
    if (info?.pointer && !info.arrayDims.length && !info.rows) into.set(info.name, baseType(type));
  }
}

/** A key naming the layouts, for the caches of the facts that read them. */
export function recordsKey(records: FileRecords): string {
  return [...records.layouts].map(([n, r]) => `${n}:${r.bytes}:${[...r.fields].map(([f, x]) => `${f}@${x.offset}`).join('/')}`).join(',') +
    '|' + [...records.members].map(([n, m]) => `${n}:${[...m].map(([f, t]) => `${f}=${t}`).join('/')}`).join(',') +
    '|' + [...(records.sharedStructs ?? [])].map(([n, a]) => `${n}=${a}`).join(',');
}

/**
 * A field of an array-of-structures element (`data[i].g`, `p[i].pos.y`) as an access of the
 * field's own type: the index counted in fields (`4 * i + 1`), quoted as written. Null when the
 * element is no known record, or the field does not divide the record evenly.
 */
export function fieldAccess(
  subscript: Node,
  target: Omit<AccessFact, 'kind' | 'range' | 'text' | 'loops'>,
  records: RecordLayouts,
  aliases: TypeAliases,
): { target: Omit<AccessFact, 'kind' | 'range' | 'text' | 'loops'>; at: Node } | null {
  const rec = target.elemType ? records.get(baseType(target.elemType)) : undefined;
  if (!rec || target.indices.length !== 1) return null;
  let at = subscript;
  let layout: RecordLayout | undefined = rec;
  let offset = 0;
  let type: string | null = null;
  let bytes = 0;
  while (at.parent?.type === 'field_expression' && field(at.parent, 'argument') === at && field(at.parent, 'operator')?.text === '.') {
    const name = field(at.parent, 'field')?.text ?? '';
    if (layout) {
      const f = layout.fields.get(name);
      if (!f) return null;
      offset += f.offset;
      type = f.type;
      bytes = f.bytes;
      layout = records.get(f.type);
    } else if (type && (THREE_WIDE[type] || VECTOR_TYPES.has(type)) && COMPONENTS.includes(name)) {
      // `.pos.y` of a float3 field: a 4-byte component
      const part = THREE_WIDE[type] ? 4 : bytes / (type.endsWith('4') ? 4 : 2);
      offset += COMPONENTS.indexOf(name) * part;
      bytes = part;
      type = /^u?int|^uint/.test(type) ? (type.startsWith('u') ? 'unsigned' : 'int') : /half|bfloat/.test(type) ? '__half' : /double/.test(type) ? 'double' : 'float';
    } else return null;
    at = at.parent;
  }
  // a whole record (`data[i] = r`), a nested record, or a vector field moved whole: left as it was
  if (at === subscript || layout || !type || VECTOR_TYPES.has(type) || THREE_WIDE[type]) return null;
  if (rec.bytes % bytes !== 0 || offset % bytes !== 0) return null;
  const bits = elementBits(type, aliases) ?? bytes * 8;
  const index = target.indices[0].scale(rec.bytes / bytes).add(Poly.const(offset / bytes));
  return { target: { ...target, indices: [index], elemType: type, elemBits: bits, vector: false, field: { record: baseType(target.elemType!), bytes: rec.bytes } }, at };
}
