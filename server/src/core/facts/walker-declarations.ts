// Declarations in a C/C++ function body (the walker layer between loops and statements): what
// each declared name stands for afterwards. A pointer into a buffer (`const float* x = in + off`),
// a local array (shared, local, or a host function's own on its stack), a row of a container or an
// image object, a buffer of its own (`new float[n]`, `malloc`), a record linked from a parameter,
// a `dim3` launch shape, or an integer's value as an index form.
import type { SyntaxNode as Node } from '../mirror';
import { containerRow, elementAt, rowAccessor, rowPitch } from './object-rows';
import { FLOAT_TYPES, VECTOR_TYPES, baseType, containerElementOf, declaratorName, elementBits, type TypeAliases } from './ctypes';
import { unparen, type PtrValue } from './evaluate';
import { Poly } from '../affine';
import { children, field, namedChildren, nodeRange, walk } from '../syntax';
import type { MemorySpace } from './model';
import { emptyBraces, repointedNames, identifiersOf, initializerValue, randomDraws, rootName, uniformOrNull } from './c-syntax';
import { LoopWalker } from './walker-loops';
import { conversionCallee, getterObject, sharedAccessorArray } from './shared-accessors';
import { EXPECTED_OUTPUT } from '../test-code';

/** A host pointer's initial value that names a buffer the walk cannot trace: an allocation, a call's result, a struct member. */
function hostBufferSource(value: Node): boolean {
  let v: Node | null = unparen(value);
  while (v?.type === 'cast_expression') v = unparen(field(v, 'value'));
  return v?.type === 'new_expression' || v?.type === 'call_expression' || v?.type === 'field_expression' || v?.type === 'subscript_expression';
}

/** An allocation of a buffer (`(float *)malloc(n * sizeof(float))`, `new float[n]`, `calloc(...)`), under casts. */
function ownHostBuffer(value: Node): boolean {
  let v: Node | null = unparen(value);
  while (v?.type === 'cast_expression') v = unparen(field(v, 'value'));
  return v?.type === 'new_expression' || (v?.type === 'call_expression' && /^(?:std::)?(?:malloc|calloc|aligned_alloc|_mm_malloc|memalign)$/.test(field(v, 'function')?.text ?? ''));
}

/** `datt`, `(const float*)datt`: a pointer's name alone, through casts; else null. */
function plainPointer(value: Node): string | null {
  let v: Node | null = unparen(value);
  while (v?.type === 'cast_expression') v = unparen(field(v, 'value'));
  return v?.type === 'identifier' ? v.text : null;
}

/** A tensor's whole storage under casts, `static_cast<void*>(scores.data_ptr())` (not an offset into it, `ws.data_ptr() + n`). */
function wholeStorage(value: Node): boolean {
  let v: Node | null = unparen(value);
  while (v?.type === 'cast_expression') v = unparen(field(v, 'value'));
  return v?.type === 'call_expression' && /\.(?:data_ptr|data)\s*(?:<[^<>]*>)?\s*\(\s*\)\s*\)?$/.test(v.text);
}

/** `s->key_cache + loff + t * kv_dim`, or the buffer alone: such a buffer and the element offsets added to it (in any order); else null. */
function hostBufferAt(value: Node): { source: Node; offsets: Node[] } | null {
  const terms: Node[] = [];
  const flatten = (n: Node | null): void => {
    const v = unparen(n);
    if (v?.type === 'binary_expression' && field(v, 'operator')?.text === '+') {
      flatten(field(v, 'left'));
      flatten(field(v, 'right'));
    } else if (v) terms.push(v);
  };
  flatten(value);
  const sources = terms.filter(hostBufferSource);
  if (sources.length === 1 && terms.length > 1) return { source: sources[0], offsets: terms.filter((t) => t !== sources[0]) };
  return hostBufferSource(value) ? { source: value, offsets: [] } : null;
}

/** Bytes of a function's own array up to which it stays in L1 (and within any stack). */
const STACK_ARRAY_BYTES = 32 * 1024;
/** SIMD register types (`__m256`, `float32x4_t`, `svfloat32_t`, `vfloat32m8_t`, ggml's `GGML_F32_VEC`): an array of them is a register tile. */
const SIMD_REGISTER = /^(?:__m\d+[dih]?|(?:float|int|uint|bfloat)\d+x\d+(?:x\d+)?_t|sv\w+_t|v\w+m\d+_t|\w+_VEC)$/;

/**
 * A host function's own array that stays in cache: automatic (not `static`, `extern` or `thread_local`), of at most
 * 32 KB (`float acc[64][64]`), or of SIMD registers (`GGML_F32_VEC ax[UNROLL][ARR]`). A large or run-time-sized one
 * (`float a[512][512]`, `double A[n][n]`) is memory like any other.
 */
function stackResident(decl: Node, type: string, dims: readonly (number | null)[], aliases: TypeAliases): boolean {
  if (children(decl).some((c) => c.type === 'storage_class_specifier' && /^(?:static|extern|thread_local|_Thread_local)$/.test(c.text))) return false;
  if (SIMD_REGISTER.test(type)) return true;
  const bits = elementBits(type, aliases);
  return bits !== null && dims.every((d) => d !== null) && (dims as number[]).reduce((n, d) => n * d, bits / 8) <= STACK_ARRAY_BYTES;
}

export abstract class DeclarationWalker extends LoopWalker {
  /** `auto& in = X[s]` with `X` a parameter holding a container of containers: the rows' element type; else null. */
  /** `m.at(i, j)`, `A(i, k)` of a matrix class, `img.at<float>(y, x)` in host code: the element of the object's buffer; else null. */
  protected elementCall(call: Node): ReturnType<typeof elementAt> {
    if (this.isKernel || call.type !== 'call_expression') return null;
    const element = elementAt(call, this.elementAccessors, (name) => this.localTypes.get(name)?.type ?? this.params.get(name)?.type);
    return element && this.stableObject(element.object) ? element : null;
  }

  /** `&A(i, 0)`: the element whose address it is; else null. */
  protected addressedElement(value: Node): ReturnType<typeof elementAt> {
    const v = unparen(value);
    const target = v?.type === 'pointer_expression' && field(v, 'operator')?.text === '&' ? unparen(field(v, 'argument')) : null;
    return target ? this.elementCall(target) : null;
  }

  /** The element's place in its object's buffer: rows a run-time pitch apart. */
  protected elementIndex(element: NonNullable<ReturnType<typeof elementAt>>): Poly {
    return this.eval(element.row).mul(rowPitch('row', element.object)).add(this.eval(element.column));
  }

  private autoRowElement(typeText: string, d: Node, object: string): string | null {
    if (baseType(typeText) !== 'auto' || field(d, 'declarator')?.type !== 'reference_declarator') return null;
    const param = this.params.get(object);
    // (a vector of vectors: the parameter's facts already name the element its rows hold)
    if (param?.rank === 2 && !param.dimTexts && !param.accessor) return param.type;
    const rows = param?.type;
    const row = rows ? rowType(rows) : null;
    return row ? containerElementOf(row, this.aliases) : null;
  }

  /** `BT(m, p)` of `Mat BT(m, p);`: every "parameter" is a name the function holds a value in (a local or a parameter). */
  private constructedFromValues(declarator: Node): boolean {
    const args = namedChildren(field(declarator, 'parameters') ?? declarator);
    return args.length > 0 && args.every((a) => a.type === 'parameter_declaration' && namedChildren(a).length === 1 &&
      (this.localTypes.has(a.text) || this.params.has(a.text)));
  }

  /** `typedef typename std::aligned_storage<ILP * sizeof(T), ...>::type LT;`: LT is a pack of elements (Evaluator.localPacks). */
  protected localTypedef(n: Node): void {
    if (!/\baligned_storage\s*<[^,>]*\bsizeof\s*\(/.test(field(n, 'type')?.text ?? '')) return;
    for (const c of namedChildren(n)) if (c.type === 'type_identifier') this.localPacks.add(c.text);
  }

  protected declaration(n: Node): void {
    const typeNode = field(n, 'type');
    const container = containerElementOf(typeNode?.text ?? '', this.aliases);
    const type = container ?? baseType(typeNode?.text ?? '');
    const isShared = children(n).some((c) => c.type === 'type_qualifier' && c.text === '__shared__') || /__shared__/.test(n.text.split(/[=;]/)[0]);
    // (four random numbers at once, `float4 r = curand_uniform4(&state)`, are the generator's output, not a vector access)
    if (VECTOR_TYPES.has(type) && !randomDraws(n)) this.usesVectorTypes = true;
    if (this.groupTiles?.size || /\b(?:thread_block_tile|tiled_partition)\b/.test(n.text)) this.noteGroupTiles(n);
    if (type === 'dim3') this.noteDim3(n);
    // `int threads = 256;` in another branch than an earlier `dim3 threads(16, 16)`: that name is no longer the dim3
    else if (this.dim3dims.size) {
      for (const d of namedChildren(n)) {
        const name = declaratorName(d)?.name;
        if (name && this.dim3dims.delete(name)) for (const axis of ['x', 'y', 'z']) this.env.delete(`${name}.${axis}`);
      }
    }
    // (a container of rows, `std::vector<std::vector<double>>` or an alias of it: the rows' element)
    const typeText = typeNode?.text ?? '';
    const rowsType = container === null && !this.isKernel ? rowType(this.aliases.get(typeText.trim())?.length === 1 ? this.aliases.get(typeText.trim())![0] : typeText) : null;
    const rowElement = rowsType ? containerElementOf(rowsType, this.aliases) : null;
    for (const child of children(n)) {
      // `std::vector<double> bt(n * n);` reads as a function declaration (C++'s most vexing parse): a container of its own
      // (so does `Mat BT(m, p);`, an object of a class built from the function's own values: `m` and `p` name no types)
      const vexing = child.type === 'function_declarator' && field(child, 'declarator')?.type === 'identifier' &&
        (container !== null || rowElement !== null || (!this.isKernel && typeNode?.type === 'type_identifier' && this.constructedFromValues(child)));
      // (`matrix BT(n, std::vector<double>(n));`: rows of their own, indexed `BT[j][k]`)
      if (vexing && rowElement !== null) {
        const name = field(child, 'declarator')!.text;
        this.env.set(name, { kind: 'ptr', base: name, offset: Poly.const(0), elemType: rowElement, space: 'host', vector: false, dims: [null, null] });
        // (declared at this depth: a row of it taken in a loop, `const vector<double>& b = BT[j]`, is that row of BT)
        this.localTypes.set(name, { type: typeText, depth: this.loopStack.length });
        continue;
      }
      const d = vexing ? field(child, 'declarator')! : child;
      // (`void (*kernel)(float*, float*, int, int);`: a function pointer declared without a value, assigned later)
      const pointerToFunction = !this.isKernel && d.type === 'function_declarator' && /^\(\s*\*\s*\w+\s*\)$/.test(field(d, 'declarator')?.text ?? '');
      if (pointerToFunction) {
        this.kernelChoices.set(/\w+/.exec(field(d, 'declarator')!.text)![0], []);
        continue;
      }
      if (!['init_declarator', 'identifier', 'pointer_declarator', 'array_declarator', 'reference_declarator'].includes(d.type)) continue;
      if (d === typeNode) continue;
      // a function pointer declared with its signature, `void (*kernel)(float*, float*, int, int) = &transposeNaive;`, then
      // `kernel<<<grid, threads>>>(...)`: a launch of that kernel
      const signature = d.type === 'init_declarator' ? field(d, 'declarator') : null;
      if (!this.isKernel && signature?.type === 'function_declarator') {
        const name = /^\(\s*\*\s*(\w+)\s*\)$/.exec(field(signature, 'declarator')?.text ?? '')?.[1];
        const value = initializerValue(d);
        const target = value?.type === 'pointer_expression' && field(value, 'operator')?.text === '&' ? field(value, 'argument') : value;
        if (name && (target?.type === 'identifier' || target?.type === 'template_function')) this.kernelAliases.set(name, target);
        continue;
      }
      const info = declaratorName(d);
      if (!info) continue;
      const value = d.type === 'init_declarator' ? initializerValue(d) : null;
      // `auto kernel_func = dense_kernel<CTA_M, CTA_N>;` then `kernel_func<<<...>>>`: a launch of that instantiation
      // (or a pointer to a kernel, `auto kernel = &cuComputePartGradGammaBeta<T, U, V>;`, `auto k = &part_grad;`)
      const pointed = value?.type === 'pointer_expression' && field(value, 'operator')?.text === '&' ? field(value, 'argument') : null;
      const aliased = pointed ?? value;
      // (or through a function-pointer typedef, `softmax_forward_func kernel = &softmax_rows;`: a plain name declared with
      // a function's address, no `*` of its own)
      const viaTypedef = pointed?.type === 'identifier' && !info.pointer && typeNode?.type === 'type_identifier';
      if (!this.isKernel && (((aliased?.type === 'template_function' || (pointed && aliased?.type === 'identifier')) && typeNode?.text === 'auto') || viaTypedef)) this.kernelAliases.set(info.name, aliased!);
      let pointee: PtrValue | null = null;
      let row: ReturnType<typeof rowAccessor> = null;
      let buffer: ReturnType<typeof hostBufferAt> = null;
      let addressed: ReturnType<typeof elementAt> = null;
      // `float4& out = out4[idx];`: a name for the element; read here unless something is assigned through it
      const element = value && field(d, 'declarator')?.type === 'reference_declarator' && (value.type === 'subscript_expression' || (value.type === 'pointer_expression' && field(value, 'operator')?.text === '*'));
      const before = this.accesses.length;
      if (value) this.expressions(value);
      if (value && type === 'bool' && !info.pointer) this.flagConditions.set(info.name, { test: value, loop: this.loopStack.at(-1) });
      else this.flagConditions.delete(info.name);
      const bound = element ? this.accesses.slice(before).find((a) => a.range.start.line === value.startPosition.row && a.range.start.column === value.startPosition.column) : undefined;
      if (bound) this.elementRefs.set(info.name, bound);
      else this.elementRefs.delete(info.name);
      // (`auto g = cg::this_thread_block();`: the group's type, as if declared `cg::thread_block g`)
      const group = type === 'auto' && value ? /(?:^|::)(this_thread_block|this_grid)\s*\(\s*\)$/.exec(value.text.replace(/\s+/g, ''))?.[1] : undefined;
      if (!container && !info.pointer && !info.arrayDims.length) this.localTypes.set(info.name, { type: group === 'this_grid' ? 'cg::grid_group' : group ? 'cg::thread_block' : type, depth: this.loopStack.length });
      else this.localTypes.delete(info.name);
      // `const std::vector<float>& in = X[s];` (or `const auto& in = X[s];` of a vector of vectors): row `s` of the
      // container of rows `X` (a sample of a batch), not a buffer of its own
      const sample = !info.pointer && !this.isKernel && value ? containerRow(value) : null;
      const rowElem = sample && (container ? type : this.autoRowElement(typeNode?.text ?? '', d, sample.object));
      if (sample && rowElem && this.stableObject(sample.object)) {
        const at = this.eval(sample.index);
        this.env.set(info.name, { kind: 'ptr', base: sample.object, offset: at.unknown ? Poly.unknown : at.mul(rowPitch('row', sample.object)), elemType: rowElem, space: 'host', vector: VECTOR_TYPES.has(rowElem) });
      } else if (container && !info.pointer) {
        this.env.set(info.name, { kind: 'ptr', base: info.name, offset: Poly.const(0), elemType: type, space: this.isKernel ? 'local' : 'host', vector: VECTOR_TYPES.has(type) });
      } else if (rowElement !== null && !info.pointer && !info.arrayDims.length && field(d, 'declarator')?.type !== 'reference_declarator') {
        // (rows of its own built by a call or a copy, `Matrix BT = createMatrix(n, n);`: indexed `BT[j][k]`, as the vexing form is)
        this.env.set(info.name, { kind: 'ptr', base: info.name, offset: Poly.const(0), elemType: rowElement, space: 'host', vector: false, dims: [null, null] });
      } else if (info.arrayDims.length) {
        const dims = info.arrayDims.map((s) => {
          const v = s.type === 'array_declarator' ? Poly.unknown : this.eval(s);
          return v.isConstant ? v.constant : null;
        });
        // (its length, for `sizeof(a) / sizeof(a[0])`: the size written, or the items of `= {32, 64, 128}`)
        const length = dims.length === 1 ? dims[0] ?? (value?.type === 'initializer_list' ? namedChildren(value).filter((c) => c.type !== 'comment').length : null) : null;
        if (length !== null) this.arrayLengths.set(info.name, length);
        else this.arrayLengths.delete(info.name);
        const space: MemorySpace = isShared ? 'shared' : this.isKernel ? 'local' : 'host';
        // (a dim of template arguments, `[BK][BN]`, stays a symbol: the launches bind it)
        const flatDims = info.arrayDims.map((s, i) => (dims[i] !== null ? Poly.const(dims[i]!) : s.type === 'array_declarator' ? null : uniformOrNull(this.eval(s))));
        const onStack = space === 'host' && !info.pointer && stackResident(n, type, dims, this.aliases);
        this.env.set(info.name, { kind: 'ptr', base: info.name, offset: Poly.const(0), elemType: type, space, vector: VECTOR_TYPES.has(type), ...(dims.length > 1 ? { dims: flatDims } : {}), ...(info.pointer ? { pointers: true } : {}), ...(onStack ? { onStack: true } : {}) });
        if (isShared) {
          const dimRanges = info.arrayDims.map((s) => (s.type === 'array_declarator' ? null : nodeRange(s)));
          const dimTexts = info.arrayDims.map((s) => (s.type === 'array_declarator' ? null : s.sourceText));
          // (a local constant of template parameters, `constexpr int BN = MMA_N * TILE_N`: its value, for the launches to bind)
          const dimForms = flatDims.map((p, i) => (p && !p.isConstant && p.toString() !== dimTexts[i] ? p.toString() : null));
          this.shared.push({ name: info.name, elemType: type, dims, dimRanges, dimTexts, ...(dimForms.some((f) => f !== null) ? { dimForms } : {}), range: nodeRange(n) });
        }
      } else if (info.pointer) {
        const member = value && !this.isKernel ? rootName(value) : null;
        // (a member, `float* x = p->data`, or a tensor's storage, `void* s_ptr = static_cast<void*>(scores.data_ptr())`:
        // the pointer names that buffer wherever it is passed)
        if (member && (/[.>]/.test(member) || wholeStorage(value!))) this.memberAliases.set(info.name, member);
        // (or another name for a pointer, llm.c's `const floatX* dpreatt = datt;` after an in-place pass, where the
        // function points neither name elsewhere: a swap of ping-pong buffers makes the names trade buffers)
        else if (member && plainPointer(value!) === member && (this.params.get(member)?.pointer || this.env.get(member)?.kind === 'ptr') &&
          !repointedNames(n).has(member) && !repointedNames(n).has(info.name)) this.memberAliases.set(info.name, this.memberAliases.get(member) ?? member);
        else this.memberAliases.delete(info.name);
        // (a buffer kept under an expected output's name, `float* h_C_ref = h_C;` before `h_C` is pointed at the GPU's result)
        if (!this.isKernel && EXPECTED_OUTPUT.test(info.name) && unparen(value)?.type === 'identifier') this.expectedAliases.add(unparen(value)!.text);
        // (a call's result, `float* y = matmul_forward(out, ...)`: the callee may hand back one of its arguments)
        const fn = !this.isKernel && value?.type === 'call_expression' ? field(value, 'function') : null;
        if (fn?.type === 'identifier' && !repointedNames(n).has(info.name)) {
          this.resultAliases.set(info.name, { call: fn.text, roots: namedChildren(field(value!, 'arguments') ?? value!).map((a) => this.root(a)) });
        } else this.resultAliases.delete(info.name);
        if (info.rows) {
          this.pointerToArray(info.name, type, info.rows, value);
          continue;
        }
        // `T* sdata = SharedMemory<T>();`: the block's dynamic shared memory, through a struct's conversion operator
        // (or its getter, `U* buf = shared.getPointer()` with `SharedMemory<U> shared;`)
        const getter = this.isKernel ? getterObject(value) : null;
        const converted = !this.isKernel ? null : getter ? this.localTypes.get(getter)?.type.replace(/<[\s\S]*$/, '').trim() ?? null : conversionCallee(value);
        const smem = converted ? sharedAccessorArray(this.lines, converted) ?? this.records.sharedStructs?.get(converted) ?? null : null;
        if (smem) {
          this.env.set(info.name, { kind: 'ptr', base: smem, offset: Poly.const(0), elemType: type, space: 'shared', vector: VECTOR_TYPES.has(type) });
          if (!this.shared.some((s) => s.name === smem)) this.shared.push({ name: smem, elemType: type, dims: [null], dimRanges: [null], dimTexts: [null], range: nodeRange(n) });
          continue;
        }
        const p = this.evalPtr(value);
        if (p) {
          // (a member of unknown type, `s->key_cache + off` into a `float*`: C allows no other element type there, so the
          // offset was counted in the declared one)
          const retyped = p.elemType === null && type && type !== 'void' ? { ...p, elemType: type, vector: VECTOR_TYPES.has(type) } : p.elemType !== type && type ? this.recast(p, type) : p;
          this.env.set(info.name, { kind: 'ptr', ...retyped });
        } else if (!this.isKernel && value && (row = rowAccessor(value)) && this.stableObject(row.object)) {
          // `const float* r = img.ptr<float>(y)`: row `y` of the object's buffer, rows a run-time pitch apart
          const at = this.eval(row.index);
          this.env.set(info.name, { kind: 'ptr', base: row.object, offset: at.unknown ? Poly.unknown : at.mul(rowPitch(row.method, row.object)), elemType: type, space: 'host', vector: VECTOR_TYPES.has(type) });
        } else if (value && (addressed = this.addressedElement(value))) {
          // `const float* a = &A(i, 0);` of a matrix class: row `i` of the object's buffer
          this.env.set(info.name, { kind: 'ptr', base: addressed.object, offset: this.elementIndex(addressed), elemType: type, space: 'host', vector: VECTOR_TYPES.has(type) });
        } else if (!this.isKernel && value && (buffer = hostBufferAt(value))) {
          // `double* d = new double[n]`, `(float*)malloc(...)`, `t.data_ptr<float>()`, `in.values` of a struct, `acts[l]` of
          // an array of pointers: a buffer of its own
          // (made from a loop's variable or an object declared in a loop, `blobs[b].channel(q)`: another buffer on each pass),
          // at an element offset when one is added (`s->key_cache + t * kv_dim`)
          const { source, offsets } = buffer;
          const varies = this.loopStack.length > 0 && identifiersOf(source).some((name) => !this.stableObject(name) && (this.localTypes.has(name) || this.isLoopVariable(name)));
          // (an element of an array of pointers, `const float* a = acts[l]` in the loop over layers, is a buffer of its own
          // on each pass, as its declaration under the loop says: its elements are at their offsets within it)
          const element = unparen(source)?.type === 'subscript_expression';
          const at = varies && !element ? Poly.unknown : offsets.reduce((sum, o) => sum.add(this.eval(o)), Poly.const(0));
          // (a member, `s->q`, is one buffer whichever local points into it, and the name calls pass it by)
          const member = offsets.length && unparen(source)?.type === 'field_expression' && source.text.length <= 80 ? source.text.replace(/\s+/g, '') : null;
          this.env.set(info.name, { kind: 'ptr', base: member ?? info.name, offset: at, elemType: type, space: 'host', vector: VECTOR_TYPES.has(type) });
        } else this.env.delete(info.name);
        // (a null pointer, `int4 *A_lane_ptr = nullptr;`, points nowhere yet: set later, as one declared with no value)
        const pointsNowhere = !value || /^(?:nullptr|NULL|0)$/.test(unparen(value)?.text ?? '');
        if (pointsNowhere && type && type !== 'void') this.unsetPointers.set(info.name, type);
        else this.unsetPointers.delete(info.name);
        const address = value ? unparen(value) : null;
        const ofStruct = !this.isKernel && !VECTOR_TYPES.has(type) && address?.type === 'pointer_expression' && field(address, 'operator')?.text === '&' && unparen(field(address, 'argument'))?.type === 'field_expression';
        // (or a struct taken from an array of pointers to them, `const Matrix* w = weights[l]`: its members hold the buffers)
        const structElement = !this.isKernel && address?.type === 'subscript_expression' && !!type && type !== 'void' && elementBits(type, this.aliases) === null && !VECTOR_TYPES.has(type);
        if ((ofStruct && !this.env.has(info.name)) || structElement || (value && this.linkedRecord(type, value, info.name, n))) this.structPointers.add(info.name);
        else this.structPointers.delete(info.name);
      } else if (type === 'auto' && (pointee = value ? this.evalPtr(value) : null)) {
        // `auto out = voxels + voxelidx * stride;`: a pointer into the buffer, as if declared `T* out`
        this.env.set(info.name, { kind: 'ptr', ...pointee });
      } else if (FLOAT_TYPES.has(type) || VECTOR_TYPES.has(type)) {
        this.env.set(info.name, { kind: 'int', poly: Poly.unknown });
      } else if (this.isKernel && value && (pointee = this.sharedAddress(value) ?? this.sharedAddressSum(value))) {
        // `uint32_t addr = __cvta_generic_to_shared(&tile[r][c]);` for an `ldmatrix`: the address of that element
        // (and `base + (k * ld + n) * sizeof(half)` from such an address of the tile's start)
        this.env.set(info.name, { kind: 'ptr', ...pointee });
      } else {
        this.env.set(info.name, { kind: 'int', poly: emptyBraces(value) ? Poly.const(0) : value ? this.eval(value) : Poly.unknown });
        const loaded = value && this.isKernel ? this.offsetLoad(value) : null;
        if (loaded) this.loadedOffsets.set(info.name, loaded);
        else this.loadedOffsets.delete(info.name);
      }
      // a buffer of its own declared here (`std::vector<float> v;`, `float tmp[64];`, `new float[n]`): a new one on each
      // pass of the loops around
      const own = this.env.get(info.name);
      if (own?.kind === 'ptr' && own.base === info.name) this.declaredIn.set(info.name, [...this.loopStack]);
      // (or a name for an element picked in the loops around, `Layer& L = net[l];`: another object, and its members other
      // buffers, on each pass)
      else if (element && !this.isKernel && this.loopStack.length && value.type === 'subscript_expression') this.declaredIn.set(info.name, [...this.loopStack]);
      else this.declaredIn.delete(info.name);
    }
  }

  /**
   * A pointer declared without a value and given one later (C89 style): `J = (float *)malloc(...)`, a buffer of its own as
   * if allocated where it was declared, or `rA = &rv[l * NPB]`, a place in another buffer.
   */
  protected pointedLater(name: string, value: Node): void {
    const type = this.unsetPointers.get(name);
    if (type === undefined) return;
    if (!this.isKernel && ownHostBuffer(value)) {
      this.env.set(name, { kind: 'ptr', base: name, offset: Poly.const(0), elemType: type, space: 'host', vector: VECTOR_TYPES.has(type) });
      this.declaredIn.set(name, [...this.loopStack]); // (allocated in a loop: a new buffer on each pass)
      this.unsetPointers.delete(name);
      return;
    }
    // `rA = &rv[l * NPB];` of a pointer declared at the top of the function (C89 style): where it points from here on,
    // as the declaration with that value would say (not where another arm of the same `if` points it elsewhere, `if (flip)
    // row = ...; else row = ...;`: one of two places, which the walk reads as an unknown offset, a gather)
    if (assignedInOtherArm(value, name)) return;
    const p = this.evalPtr(value);
    if (!p) return;
    const retyped = p.elemType === null ? { ...p, elemType: type, vector: VECTOR_TYPES.has(type) } : p.elemType !== type ? this.recast(p, type) : p;
    this.env.set(name, { kind: 'ptr', ...retyped });
  }

  /**
   * `node_t *q = p->child[0];` (or `p->next`, `&net->layers[0]`) in host code: a pointer to another record of the caller's,
   * read from a member of a pointer parameter or of such a local, whose members are then buffers as a parameter's are.
   * Its type names no element (`float *x = p->data` is a buffer); read outside loops, or from values no loop changes
   * (`q = nodes[i]` under `for i` is another record on each pass), and never pointed elsewhere (`q = q->next`).
   */
  protected linkedRecord(type: string, value: Node, name: string, decl: Node): boolean {
    const t = baseType(type);
    if (this.isKernel || !/^[A-Za-z_][\w:]*$/.test(t) || VECTOR_TYPES.has(t) || this.templateParams.has(t) || elementBits(t, this.aliases) !== null || /^(?:void|auto|char|bool|FILE)$/.test(t)) return false;
    let v: Node | null = unparen(value);
    while (v?.type === 'cast_expression') v = unparen(field(v, 'value'));
    if (v?.type === 'pointer_expression' && field(v, 'operator')?.text === '&') v = unparen(field(v, 'argument'));
    while (v?.type === 'subscript_expression') v = unparen(field(v, 'argument'));
    if (v?.type !== 'field_expression') return false;
    let obj: Node | null = v;
    while (obj?.type === 'field_expression' || obj?.type === 'subscript_expression') obj = unparen(field(obj, 'argument'));
    const root = obj?.type === 'identifier' && (this.params.get(obj.text)?.pointer || this.structPointers.has(obj.text));
    if (!root || identifiersOf(value).some((x) => this.isLoopVariable(x) || (this.localTypes.has(x) && !this.stableObject(x)))) return false;
    let moved = false;
    if (decl.parent) {
      walk(decl.parent, (c) => {
        if (moved) return false;
        const target = c.type === 'assignment_expression' ? field(c, 'left') : c.type === 'update_expression' ? field(c, 'argument') : null;
        if (target?.type === 'identifier' && target.text === name) moved = true;
        return !moved;
      });
    }
    return !moved;
  }

  /** `float (*s)[2][T][T] = (float (*)[2][T][T])smem`: `(*s)[b][r][c]` is then one flat offset into smem. */
  protected pointerToArray(name: string, type: string, rows: readonly Node[], value: Node | null): void {
    const p = this.evalPtr(value);
    if (!p) {
      this.env.delete(name);
      return;
    }
    const retyped = p.elemType !== type && type ? this.recast(p, type) : p;
    this.env.set(name, { kind: 'ptr', ...retyped, rows: rows.map((r) => uniformOrNull(this.eval(r))) });
  }
}

/** The row type of a container of rows: `std::vector<std::vector<float, A>>` -> `std::vector<float, A>` (the first template argument). */
function rowType(typeText: string): string | null {
  const m = /^(?:const\s+)?(?:std::)?vector\s*</.exec(typeText.trim());
  if (!m) return null;
  const t = typeText.trim();
  let depth = 0;
  for (let i = m[0].length; i < t.length; i++) {
    const ch = t[i];
    if (ch === '<') depth++;
    else if ((ch === '>' || ch === ',') && depth === 0) return t.slice(m[0].length, i).trim();
    else if (ch === '>') depth--;
  }
  return null;
}

/** Whether the `if` whose arm holds `value` assigns `name` in its other arm too (`if (flip) row = a; else row = b;`). */
function assignedInOtherArm(value: Node, name: string): boolean {
  let arm: Node = value;
  for (let up = value.parent; up; arm = up, up = up.parent) {
    if (up.type === 'function_definition') return false;
    if (up.type !== 'if_statement') continue;
    const consequence = field(up, 'consequence');
    const other = arm === consequence ? field(up, 'alternative') : consequence;
    const assigns = new RegExp(`(?<![\\w.>])${name}\\s*=(?!=)`);
    if (other && assigns.test(other.text)) return true;
  }
  return false;
}
