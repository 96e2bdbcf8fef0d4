// C and CUDA types as the facts read them: element widths (through the file's aliases),
// vector types, containers, qualifiers, and the name a declarator declares.
import type { SyntaxNode as Node } from '../mirror';
import { children, field, namedChildren } from '../syntax';

const ELEMENT_BITS: Record<string, number> = {
  char: 8, 'signed char': 8, 'unsigned char': 8, int8_t: 8, uint8_t: 8, bool: 8,
  // the FP8 formats of cuda_fp8.h, one byte each
  __nv_fp8_e4m3: 8, __nv_fp8_e5m2: 8, __nv_fp8_e8m0: 8, __nv_fp8_storage_t: 8, fp8e4m3: 8, fp8e5m2: 8,
  __nv_fp8x2_e4m3: 16, __nv_fp8x2_e5m2: 16, __nv_fp8x4_e4m3: 32, __nv_fp8x4_e5m2: 32,
  short: 16, 'unsigned short': 16, int16_t: 16, uint16_t: 16,
  half: 16, __half: 16, __nv_bfloat16: 16, nv_bfloat16: 16, bfloat16: 16,
  // PyTorch's and CUTLASS's storage types, which extension kernels take directly (`const at::BFloat16* x`)
  'at::Half': 16, 'at::BFloat16': 16, 'c10::Half': 16, 'c10::BFloat16': 16, 'cutlass::half_t': 16, 'cutlass::bfloat16_t': 16,
  'at::Float8_e4m3fn': 8, 'at::Float8_e5m2': 8, 'c10::Float8_e4m3fn': 8, 'c10::Float8_e5m2': 8,
  int: 32, unsigned: 32, 'unsigned int': 32, int32_t: 32, uint32_t: 32, float: 32,
  half2: 32, __half2: 32, __nv_bfloat162: 32, nv_bfloat162: 32, char4: 32, uchar4: 32,
  long: 64, 'long long': 64, 'unsigned long': 64, 'unsigned long long': 64, 'long int': 64, 'long long int': 64,
  'unsigned long int': 64, 'unsigned long long int': 64, int64_t: 64, uint64_t: 64, size_t: 64, double: 64,
  float2: 64, int2: 64, uint2: 64,
  float4: 128, int4: 128, uint4: 128, double2: 128, longlong2: 128,
  // the other CUDA vector types: pairs and quads of small integers, and the 3-component structs (a packed RGB
  // pixel, `uchar3`, is 3 bytes; `float3` 12), which move as separate element loads
  char2: 16, uchar2: 16, short2: 32, ushort2: 32, short4: 64, ushort4: 64,
  char3: 24, uchar3: 24, short3: 48, ushort3: 48, int3: 96, uint3: 96, float3: 96, double3: 192,
  // cuComplex.h's and cufft.h's element types (a complex is two reals, one element)
  cufftReal: 32, cufftDoubleReal: 64, cuFloatComplex: 64, cuComplex: 64, cufftComplex: 64, cuDoubleComplex: 128, cufftDoubleComplex: 128,
};
/** Types that already move several elements per access. */
export const VECTOR_TYPES = new Set([
  'float2', 'float4', 'int2', 'int4', 'uint2', 'uint4', 'double2', 'longlong2',
  'half2', '__half2', '__nv_bfloat162', 'nv_bfloat162', 'char4', 'uchar4',
  '__nv_fp8x2_e4m3', '__nv_fp8x2_e5m2', '__nv_fp8x4_e4m3', '__nv_fp8x4_e5m2',
]);
export const FLOAT_TYPES = new Set(['float', 'double', 'half', '__half', '__nv_bfloat16', 'nv_bfloat16', 'at::Half', 'at::BFloat16', 'c10::Half', 'c10::BFloat16']);
/** `std::vector<float>`, `std::array<float, N>`, `std::span<const float>` -> `float`. */
export function containerElement(typeText: string): string | null {
  const m = /^(?:std::)?(?:vector|array|span)\s*<\s*(?:const\s+)?([\w:]+(?:\s+\w+)?)\s*[,>]/.exec(typeText.trim());
  return m ? m[1] : null;
}

/** `std::vector<std::vector<double>>`: a table of rows, each its own buffer, read `A[i][k]`. */
const NESTED_CONTAINER = /^(?:std::)?vector\s*<\s*(?:std::)?vector\s*<\s*(?:const\s+)?([\w:]+(?:\s+\w+)?)\s*[,>]/;

/**
 * The element of a table of rows, through an alias (`using Matrix = std::vector<std::vector<double>>`): a matrix
 * handed to a function (a local table, a ring buffer of a few rows, is left alone: its size is the function's own).
 */
export function tableElement(typeText: string, aliases?: TypeAliases): string | null {
  const name = typeText.replace(/\b(?:const|volatile)\b|[&*]/g, '').trim();
  for (const t of [name, ...(aliases?.get(name) ?? [])]) {
    const m = NESTED_CONTAINER.exec(t.trim());
    if (m) return m[1];
  }
  return null;
}

/**
 * A PyTorch tensor accessor (`torch::PackedTensorAccessor32<float, 3, RestrictPtrTraits>`,
 * `at::TensorAccessor<scalar_t, 2>`, `GenericPackedTensorAccessor<...>`): its element type and rank.
 */
export function tensorAccessor(typeText: string): { elem: string; rank: number; restrict: boolean } | null {
  const m = /^(?:(?:at|torch)::)?(?:Generic)?(?:Packed)?TensorAccessor(?:32|64)?\s*<\s*([\w:]+(?:\s+\w+)?)\s*,\s*(\d+)\s*[,>]/.exec(typeText.replace(/\bconst\b/g, '').trim());
  return m ? { elem: m[1], rank: Number(m[2]), restrict: /RestrictPtrTraits/.test(typeText) } : null;
}

/** The element type of a container type, through an alias (`typedef std::vector<float_t, A> vec_t;`: `vec_t` holds `float_t`). */
export function containerElementOf(typeText: string, aliases?: TypeAliases): string | null {
  const direct = containerElement(typeText);
  if (direct || !aliases) return direct;
  const name = typeText.replace(/\b(?:const|volatile)\b|[&*]/g, '').trim();
  const elems = [...new Set((aliases.get(name) ?? []).map((t) => containerElement(t)))];
  return elems.length === 1 ? elems[0] : null;
}

/** Type aliases of the file and its headers (`floatX` -> ['__nv_bfloat16', 'float'] under an undecided #if). */
export type TypeAliases = ReadonlyMap<string, readonly string[]>;

/** Bits of an element type, through aliases; with several possible types, the widest (all must be known). */
export function elementBits(type: string | null, aliases?: TypeAliases, depth = 0): number | null {
  if (!type) return null;
  const t = type.replace(/\b(const|volatile|__restrict__|restrict)\b/g, '').trim();
  const known = ELEMENT_BITS[t];
  if (known !== undefined || !aliases || depth > 4) return known ?? null;
  const targets = aliases.get(t);
  if (!targets?.length) return null;
  const bits = targets.map((x) => elementBits(x, aliases, depth + 1));
  return bits.every((b) => b !== null) ? Math.max(...(bits as number[])) : null;
}

/** Strips qualifiers from a type text: `const float` -> `float`. */
export function baseType(text: string): string {
  return text.replace(/\b(const|volatile|__restrict__|restrict|struct|typename)\b/g, '').replace(/\s+/g, ' ').trim();
}

/**
 * A declarator's name and shape. `rows` are the dims of the array a pointer points at
 * (`float (*s)[2][T][T]`: a pointer, rows [2, T, T]), not dims of the declared name.
 */
export function declaratorName(d: Node | null): { name: string; pointer: boolean; arrayDims: Node[]; restrict: boolean; rows?: Node[] } | null {
  let pointer = false;
  let restrict = false;
  let arrayDims: Node[] = [];
  let rows: Node[] | undefined;
  let cur = d;
  while (cur) {
    switch (cur.type) {
      case 'identifier':
      case 'field_identifier':
        return { name: cur.text, pointer, arrayDims: arrayDims.reverse(), restrict, ...(rows ? { rows } : {}) };
      case 'parenthesized_declarator':
        // `(*s)[2][T][T]`: the dims outside the parentheses are the pointee's
        if (!rows && arrayDims.length) {
          rows = arrayDims.reverse();
          arrayDims = [];
        }
        cur = namedChildren(cur)[0] ?? null;
        break;
      case 'pointer_declarator':
        pointer = true;
        if (/__restrict__|restrict/.test(children(cur).filter((c) => c.type === 'type_qualifier').map((c) => c.text).join(' '))) restrict = true;
        cur = field(cur, 'declarator');
        break;
      case 'reference_declarator':
        cur = namedChildren(cur)[0] ?? null;
        break;
      case 'array_declarator':
        arrayDims.push(field(cur, 'size') ?? cur);
        cur = field(cur, 'declarator');
        break;
      case 'init_declarator':
        cur = field(cur, 'declarator');
        break;
      default:
        return null;
    }
  }
  return null;
}

/**
 * `float (*s)[2][T][T] = ...` inside a function, which the grammar reads as an assignment to
 * `float(*s)[2][T][T]` (a call subscripted): the declared pointer's name, element type and
 * the dims it points at. Only a built-in or known-size element type counts (`get(*p)[i] = v` is a call).
 */
export function misparsedArrayPointer(left: Node | null, aliases?: TypeAliases): { name: string; type: string; rows: Node[] } | null {
  const rows: Node[] = [];
  let cur = left;
  while (cur?.type === 'subscript_expression') {
    const idx = field(cur, 'indices') ?? field(cur, 'index');
    const inner = idx?.type === 'subscript_argument_list' ? namedChildren(idx)[0] : idx;
    if (!inner || (idx?.type === 'subscript_argument_list' && namedChildren(idx).length !== 1)) return null;
    rows.unshift(inner);
    cur = field(cur, 'argument');
  }
  if (cur?.type !== 'call_expression' || !rows.length) return null;
  const fn = field(cur, 'function');
  const args = namedChildren(field(cur, 'arguments') ?? cur);
  const type = fn?.text ?? '';
  if (!fn || !(fn.type === 'primitive_type' || (fn.type === 'identifier' && elementBits(type, aliases) !== null))) return null;
  const ptr = args.length === 1 && args[0].type === 'pointer_expression' && field(args[0], 'operator')?.text === '*' ? field(args[0], 'argument') : null;
  return ptr?.type === 'identifier' ? { name: ptr.text, type, rows } : null;
}

