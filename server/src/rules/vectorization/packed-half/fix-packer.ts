// The element code of a packed-half site rewritten for a pair of elements: each statement
// read (declarations and stores of element i of 16-bit arrays), each array a stream loaded
// or stored 16 bytes at a time, each value a `__half2` / `__nv_bfloat162`, a float2, or a
// value the same for every element; operations become their paired intrinsics with the
// same rounding (fix-expr.ts), or the fix is refused with the reason.
import type { SyntaxNode } from '../../../core/mirror';
import { FLOAT_MATH, HALF_OF, INT_MATH, OPERATOR, OTHER_ROUNDING, PAIR, PAIRED, bareType, intLiteral, literalClass, operatorOf, refuse, typeClass, type Half, type TypeClass } from './fix-expr';
import { unparen } from '../../common/fix-syntax';
import { COMMENT_TYPES, declared, firstLine, identifiersIn, quote, type Site, type Symbol } from './fix-site';

/** A 16-bit array the element code reads or writes at element i. */
interface Stream {
  name: string;
  half: Half;
  /** Read before it is written (its 16 bytes are loaded). */
  load: boolean;
  store: boolean;
  raw: string;
  view: string;
}

/** A value of the element code, for one pair of elements. */
type Val =
  | { k: 'H'; half: Half; pair: string }
  /** Varying float: a float2 expression and/or its two components. */
  | { k: 'F'; pair?: string; comps?: [string, string]; hint: string }
  /** The same for every element: the scalar text and its type. */
  | { k: 'U'; type: TypeClass; text: string };

/** Marks a line break inside a generated statement; replaced by a newline and the statement's indentation plus two levels. */
export const CONTINUATION = '\u0001';

/** Reads the element code and writes its packed form. */
export class Packer {
  private readonly used: Set<string>;
  private readonly indexLocals = new Map<string, SyntaxNode>();
  private readonly values = new Map<string, Val>();
  readonly streams = new Map<string, Stream>();
  /** The index of every stream access (whitespace removed), its text and the accesses. */
  private index: { key: string; node: SyntaxNode } | null = null;
  readonly accessIndices: SyntaxNode[] = [];
  readonly hoisted: SyntaxNode[] = [];
  private readonly hoistedInits = new Map<string, SyntaxNode>();
  readonly scalar: SyntaxNode[] = [];
  readonly broadcasts = new Map<string, { name: string; half: Half }>();
  /** Arrays read at an element the same for every element (`bias[blockIdx.x]`), and that read. */
  readonly uniformReads = new Map<string, string>();
  readonly pairStatements: string[] = [];
  private pre: string[] = [];
  private readonly floats = new Map<string, string>();
  private stored = new Set<string>();
  readonly k: string;
  private current: SyntaxNode | null = null;

  constructor(
    private readonly site: Site,
    private readonly symbols: Map<string, Symbol>,
    def: SyntaxNode,
  ) {
    this.used = new Set(identifiersIn(def).map((i) => i.text));
    this.k = this.fresh('k');
  }

  fresh(base: string): string {
    let name = base;
    for (let n = 2; this.used.has(name); n++) name = `${base}${n === 2 ? '_' : n}`;
    this.used.add(name);
    return name;
  }

  get indexText(): string {
    return this.index!.node.text;
  }
  get indexNode(): SyntaxNode {
    return this.index!.node;
  }

  private isVaryingName(name: string) {
    return name === this.site.e || this.indexLocals.has(name) || this.values.has(name);
  }

  /** The coefficient of the element index in an integer expression: 1 for element i, 0 for the same value for every element, null otherwise. */
  private coef(n: SyntaxNode): number | null {
    switch (n.type) {
      case 'identifier': {
        if (n.text === this.site.e) return 1;
        const l = this.indexLocals.get(n.text);
        if (l) return this.coef(l);
        return this.values.has(n.text) ? null : 0;
      }
      case 'number_literal':
        return 0;
      case 'parenthesized_expression':
        return n.namedChildren.length === 1 ? this.coef(n.namedChildren[0]) : null;
      case 'cast_expression': {
        const v = n.childForFieldName('value');
        if (!v) return null;
        const c = this.coef(v);
        return c === 0 || typeClass(n.childForFieldName('type')?.text) === 'int' ? c : null;
      }
      case 'binary_expression': {
        const l = n.childForFieldName('left')!;
        const r = n.childForFieldName('right')!;
        const a = this.coef(l);
        const b = this.coef(r);
        if (a === null || b === null) return null;
        const op = operatorOf(n);
        if (op === '+') return a + b;
        if (op === '-') return a - b;
        if (a === 0 && b === 0) return 0;
        if (op === '*') {
          const lv = intLiteral(unparen(l));
          const rv = intLiteral(unparen(r));
          if (a === 0 && lv !== null) return lv * b;
          if (b === 0 && rv !== null) return a * rv;
        }
        return null;
      }
      default:
        return this.varyingIn(n) ? null : 0;
    }
  }

  /** Does `n` read the element index, a value of the element or a stream element? */
  private varyingIn(n: SyntaxNode): boolean {
    return identifiersIn(n).some((i) => this.isVaryingName(i.text) && !(i.parent?.type === 'field_expression' && i.parent.childForFieldName('field') === i));
  }

  /** Rejects what a scalar declaration hoisted out of the element code must not do. */
  private checkPure(n: SyntaxNode): void {
    for (const c of [n, ...n.descendantsOfType(['call_expression', 'assignment_expression', 'update_expression'])]) {
      if (c.type === 'assignment_expression' || c.type === 'update_expression') refuse(`the element code changes a value inside an expression (${quote(c.text)})`);
      if (c.type !== 'call_expression') continue;
      const name = c.childForFieldName('function')?.text ?? '';
      if (!(PAIRED[name] || FLOAT_MATH.has(name) || INT_MATH.has(name) || PAIR.fp16.toFloat.includes(name) || PAIR.bf16.toFloat.includes(name) || PAIR.fp16.fromFloat.includes(name) || PAIR.bf16.fromFloat.includes(name))) {
        refuse(`the element code calls \`${name}\`, which the packed form cannot repeat per element`);
      }
    }
  }

  private elemTypeOf(name: string, at: SyntaxNode): string {
    const s = this.symbols.get(name);
    if (!s || !s.pointer || s.unclear) return refuse(`the element code indexes ${quote(at.text)}, whose element type is not known`);
    return bareType(s.type);
  }

  /** A subscript: a stream element, a value the same for every element, or a refusal. */
  private subscript(n: SyntaxNode, store: boolean): { stream: Stream } | { uniform: Val } {
    const arr = n.childForFieldName('argument')!;
    const list = n.childForFieldName('indices');
    const idx = list?.namedChildren.length === 1 ? list.namedChildren[0] : null;
    if (arr.type !== 'identifier' || !idx) return refuse(`the element code indexes ${quote(n.text)}`);
    const c = this.coef(idx);
    if (c === 0 && !store) {
      this.checkPure(idx);
      this.uniformReads.set(arr.text, n.text);
      return { uniform: { k: 'U', type: typeClass(this.elemTypeOf(arr.text, n)), text: n.text } };
    }
    if (c !== 1) return refuse(`the kernel ${store ? 'writes' : 'reads'} ${quote(n.text)}, not element \`${this.site.e}\``);
    const elem = this.elemTypeOf(arr.text, n);
    const half = HALF_OF[elem];
    if (!half) return refuse(`the kernel ${store ? 'writes' : 'reads'} ${quote(n.text)}, a \`${elem}\` array: only 16-bit arrays are packed`);
    const key = idx.text.replace(/\s+/g, '');
    if (!this.index) this.index = { key, node: idx };
    else if (this.index.key !== key) return refuse(`the kernel reads ${quote(n.text)}, not only element ${quote(this.index.node.text)}`);
    this.checkPure(idx);
    this.accessIndices.push(idx);
    let s = this.streams.get(arr.text);
    if (!s) {
      s = { name: arr.text, half, load: false, store: false, raw: this.fresh(`${arr.text}8`), view: this.fresh(`${arr.text}2`) };
      this.streams.set(arr.text, s);
    }
    return { stream: s };
  }

  /**
   * The text of an index expression at element 0 of the loop (or of the grid), with the
   * locals of the element code written out: `(size_t)blockIdx.x * cols` for
   * `i` = `(size_t)blockIdx.x * cols + c`. It is computed before the loop.
   */
  atZero(n: SyntaxNode): string {
    if (n.type === 'identifier') {
      if (n.text === this.site.e) return '0';
      const init = this.hoistedInits.get(n.text);
      if (!init) return n.text;
      const t = this.atZero(init);
      return /^[\w.]+$/.test(t) ? t : `(${t})`;
    }
    if (n.type === 'binary_expression' && operatorOf(n) === '+') {
      const l = n.childForFieldName('left')!;
      const r = n.childForFieldName('right')!;
      if (l.type === 'identifier' && l.text === this.site.e) return this.atZero(r);
      if (r.type === 'identifier' && r.text === this.site.e) return this.atZero(l);
    }
    if (!n.children.length) return n.text;
    let out = '';
    let at = n.startIndex;
    for (const c of n.children) {
      out += n.text.slice(at - n.startIndex, c.startIndex - n.startIndex) + this.atZero(c);
      at = c.endIndex;
    }
    return out + n.text.slice(at - n.startIndex);
  }

  /** Does the expression at element 0 read memory or call something (through the locals it writes out)? Then it is not computed ahead. */
  readsAtZero(n: SyntaxNode): boolean {
    return identifiersIn(n).some((i) => {
      const init = i.text === this.site.e ? null : this.hoistedInits.get(i.text);
      return !!init && (['subscript_expression', 'call_expression'].includes(init.type) || init.descendantsOfType(['subscript_expression', 'call_expression']).length > 0 || this.readsAtZero(init));
    });
  }

  /** Names the expression at element 0 reads (to see whether it can be computed early). */
  namesAtZero(n: SyntaxNode): string[] {
    return identifiersIn(n).flatMap((i) => (i.text === this.site.e ? [] : this.hoistedInits.has(i.text) ? this.namesAtZero(this.hoistedInits.get(i.text)!) : [i.text]));
  }

  /** Reads one statement of the element code. */
  statement(s: SyntaxNode): void {
    this.current = s;
    this.pre = [];
    if (COMMENT_TYPES.has(s.type)) {
      this.scalar.push(s);
      return;
    }
    if (s.type === 'declaration') return this.declaration(s);
    const a = s.type === 'expression_statement' && s.namedChildren.length === 1 ? s.namedChildren[0] : null;
    if (a?.type === 'assignment_expression' && a.childForFieldName('left')?.type === 'subscript_expression') return this.store(s, a);
    refuse(`the element code has ${quote(firstLine(s))}, which the packed form does not handle`);
  }

  private declaration(s: SyntaxNode): void {
    const ds = s.childrenForFieldName('declarator');
    const one = ds.length === 1 ? declared(ds[0]) : null;
    const typeNode = s.childForFieldName('type');
    if (!one || one.pointer || one.array || !one.init || !typeNode) return refuse(`the element code declares ${quote(firstLine(s))}`);
    const type = typeClass(typeNode.text);
    const init = one.init;
    const readsValues = identifiersIn(init).some((i) => this.values.has(i.text)) || init.descendantsOfType('subscript_expression').some((x) => this.coef(x.childForFieldName('indices')?.namedChildren[0] ?? x) !== 0);
    if (!readsValues && (type === 'int' || !this.varyingIn(init))) {
      // an index (`const size_t i = row * cols + c`) or a value the same for every element:
      // computed once per 8 elements, before the packed and the scalar path
      this.checkPure(init);
      if (this.varyingIn(init)) {
        if (type !== 'int') refuse(`the element code uses \`${this.site.e}\` as a value (${quote(firstLine(s))})`);
        this.indexLocals.set(one.name, init);
      }
      this.hoistedInits.set(one.name, init);
      this.hoisted.push(s);
      return;
    }
    const quals = s.namedChildren.filter((c) => c.type === 'type_qualifier').map((c) => `${c.text} `).join('');
    const v = this.expr(init);
    this.scalar.push(s);
    if (type === 'fp16' || type === 'bf16') {
      const pair = this.toPair(v, type, init);
      this.pairStatements.push(...this.pre, `${quals}${PAIR[type].pair} ${one.name} = ${pair};`);
      this.values.set(one.name, { k: 'H', half: type, pair: one.name });
    } else if (type === 'float') {
      const f = this.toFloat(v, init);
      const pair = f.pair ?? `make_float2(${f.comps![0]}, ${f.comps![1]})`;
      this.pairStatements.push(...this.pre, `${quals}float2 ${one.name} = ${pair};`);
      this.values.set(one.name, { k: 'F', pair: one.name, comps: [`${one.name}.x`, `${one.name}.y`], hint: one.name });
    } else refuse(`the element code keeps a \`${bareType(typeNode.text)}\` per element (${quote(firstLine(s))})`);
  }

  private store(s: SyntaxNode, a: SyntaxNode): void {
    const left = a.childForFieldName('left')!;
    const op = operatorOf(a);
    const sub = this.subscript(left, true);
    if (!('stream' in sub)) return refuse(`the kernel writes ${quote(left.text)}, not element \`${this.site.e}\``);
    const st = sub.stream;
    const rhs = this.expr(a.childForFieldName('right')!);
    let pair = this.toPair(rhs, st.half, a);
    if (op !== '=') {
      const fn = OPERATOR[op.slice(0, -1)];
      if (!fn || op.length !== 2) return refuse(`the element code updates ${quote(left.text)} with \`${op}\``);
      if (!st.store) st.load = true;
      pair = `${fn}(${st.view}[${this.k}], ${pair})`;
    }
    st.store = true;
    this.stored.add(st.name);
    this.scalar.push(s);
    this.pairStatements.push(...this.pre, `${st.view}[${this.k}] = ${pair};`);
  }

  private float2Of(v: { pair?: string; comps?: [string, string]; hint: string }): [string, string] {
    if (v.comps) return v.comps;
    let name = this.floats.get(v.pair!);
    if (!name) {
      name = this.fresh(`${v.hint}f`);
      this.floats.set(v.pair!, name);
      this.pre.push(`const float2 ${name} = ${v.pair};`);
    }
    return [`${name}.x`, `${name}.y`];
  }

  /** `v` as a pair of `half` values. */
  private toPair(v: Val, half: Half, at: SyntaxNode): string {
    if (v.k === 'H') {
      if (v.half !== half) refuse(`the element code mixes fp16 and bf16 in ${quote(at.text)}`);
      return v.pair;
    }
    if (v.k === 'F') {
      // a float stored as a 16-bit value converts to nearest, as the paired conversions do
      if (v.pair && !v.comps) return `${PAIR[half].fromFloat2}(${v.pair})`;
      if (v.pair && /^[A-Za-z_]\w*$/.test(v.pair)) return `${PAIR[half].fromFloat2}(${v.pair})`;
      const [x, y] = this.float2Of(v);
      // long components go on lines of their own (CONTINUATION: the next line, indented)
      return x.length + y.length > 80 ? `${PAIR[half].fromFloats}(${CONTINUATION}${x},${CONTINUATION}${y})` : `${PAIR[half].fromFloats}(${x}, ${y})`;
    }
    if (v.type === half) {
      // the same value for every element: broadcast once, before the pairs
      let b = this.broadcasts.get(v.text);
      const base = /^([A-Za-z_]\w*)\s*(?:\[|$)/.exec(v.text)?.[1] ?? 'h';
      if (!b) this.broadcasts.set(v.text, (b = { name: this.fresh(`${base}2`), half }));
      return b.name;
    }
    if (v.type === 'float' || v.type === 'double' || v.type === 'int') return refuse(`the element code converts ${quote(v.text)} to a 16-bit value implicitly`);
    return refuse(`the type of ${quote(v.text)} is not known`);
  }

  /** `v` as a varying float (a float2 or its components). */
  private toFloat(v: Val, at: SyntaxNode): { pair?: string; comps?: [string, string]; hint: string } {
    if (v.k === 'F') return v;
    if (v.k === 'H') return { pair: `${PAIR[v.half].toFloat2}(${v.pair})`, hint: /^([A-Za-z_]\w*?)2\[/.exec(v.pair)?.[1] ?? (/^[A-Za-z_]\w*$/.test(v.pair) ? v.pair : 'h') };
    return refuse(`${quote(at.text)} is the same for every element`);
  }

  /** The components of a float operand (a varying float or a number the same for every element). */
  private components(v: Val, at: SyntaxNode): [string, string] {
    if (v.k === 'F') return this.float2Of(v);
    if (v.k === 'U' && (v.type === 'float' || v.type === 'double' || v.type === 'int')) return [v.text, v.text];
    return refuse(`the element code mixes 16-bit and float operands in ${quote(at.text)}`);
  }

  private uniform(n: SyntaxNode, type: TypeClass): Val {
    this.checkPure(n);
    return { k: 'U', type, text: n.text };
  }

  /** The pair form of an expression of the element code. */
  private expr(n: SyntaxNode): Val {
    switch (n.type) {
      case 'number_literal':
        return { k: 'U', type: literalClass(n.text), text: n.text };
      case 'identifier': {
        const name = n.text;
        if (name === this.site.e || this.indexLocals.has(name)) return refuse(`the element code uses the index \`${name}\` as a value (${quote(this.current?.text ?? name)})`);
        const v = this.values.get(name);
        if (v) return v;
        const s = this.symbols.get(name);
        if (this.streams.has(name) || s?.pointer) return refuse(`the element code uses the pointer \`${name}\` as a value`);
        return { k: 'U', type: s && !s.unclear ? typeClass(s.type) : 'other', text: name };
      }
      case 'field_expression':
        if (this.varyingIn(n)) return refuse(`the element code reads ${quote(n.text)}`);
        return { k: 'U', type: 'other', text: n.text };
      case 'parenthesized_expression': {
        if (n.namedChildren.length !== 1) return refuse(`the element code has ${quote(n.text)}`);
        const v = this.expr(n.namedChildren[0]);
        if (v.k === 'U') return { ...v, text: `(${v.text})` };
        if (v.k === 'F' && v.comps) return { ...v, comps: [`(${v.comps[0]})`, `(${v.comps[1]})`] };
        return v;
      }
      case 'subscript_expression': {
        const sub = this.subscript(n, false);
        if ('uniform' in sub) return sub.uniform;
        const st = sub.stream;
        const other = [...this.stored].find((s) => s !== st.name && !(this.symbols.get(s)?.restrict && this.symbols.get(st.name)?.restrict));
        if (other) refuse(`the kernel reads ${quote(n.text)} after writing \`${other}\`, which may be the same memory`);
        if (!st.store) st.load = true;
        return { k: 'H', half: st.half, pair: `${st.view}[${this.k}]` };
      }
      case 'unary_expression': {
        const op = operatorOf(n);
        const v = this.expr(n.childForFieldName('argument')!);
        if (v.k === 'U') return { ...v, text: n.text };
        if (op === '-' && v.k === 'H') return { k: 'H', half: v.half, pair: `__hneg2(${v.pair})` };
        if ((op === '-' || op === '+') && v.k === 'F') {
          const [x, y] = this.float2Of(v);
          return { k: 'F', comps: [`${op}${x}`, `${op}${y}`], hint: v.hint };
        }
        return refuse(`the element code has ${quote(n.text)}, which has no packed form here`);
      }
      case 'binary_expression': {
        const op = operatorOf(n);
        const l = this.expr(n.childForFieldName('left')!);
        const r = this.expr(n.childForFieldName('right')!);
        if (!['+', '-', '*', '/'].includes(op)) return refuse(`the element code computes ${quote(n.text)} per element, which has no packed form here`);
        if (l.k === 'U' && r.k === 'U') return { k: 'U', type: promote(l.type, r.type), text: n.text };
        const half = l.k === 'H' ? l.half : r.k === 'H' ? r.half : l.k === 'U' && (l.type === 'fp16' || l.type === 'bf16') ? l.type : r.k === 'U' && (r.type === 'fp16' || r.type === 'bf16') ? r.type : null;
        if (half) {
          if (l.k === 'F' || r.k === 'F') return refuse(`the element code mixes 16-bit and float operands in ${quote(n.text)}`);
          return { k: 'H', half, pair: `${OPERATOR[op]}(${this.toPair(l, half, n)}, ${this.toPair(r, half, n)})` };
        }
        const [lx, ly] = this.components(l, n);
        const [rx, ry] = this.components(r, n);
        return { k: 'F', comps: [`${lx} ${op} ${rx}`, `${ly} ${op} ${ry}`], hint: l.k === 'F' ? l.hint : r.k === 'F' ? r.hint : 'v' };
      }
      case 'cast_expression': {
        const to = typeClass(n.childForFieldName('type')?.text);
        return this.convert(to, this.expr(n.childForFieldName('value')!), n);
      }
      case 'call_expression':
        return this.call(n);
      default:
        return refuse(`the element code has ${quote(n.text)}, which has no packed form here`);
    }
  }

  /** A value converted to `to` (a cast, an implicit conversion or a conversion intrinsic that rounds to nearest). */
  private convert(to: TypeClass, v: Val, at: SyntaxNode): Val {
    if (v.k === 'U') return { k: 'U', type: to, text: at.text };
    if (to === 'float') return { k: 'F', ...this.toFloat(v, at) };
    if (to === 'fp16' || to === 'bf16') {
      if (v.k === 'H' && v.half !== to) return refuse(`the element code converts between fp16 and bf16 (${quote(at.text)})`);
      return { k: 'H', half: to, pair: this.toPair(v, to, at) };
    }
    return refuse(`the element code converts ${quote(at.text)}, which has no packed form here`);
  }

  private call(n: SyntaxNode): Val {
    let fnNode = n.childForFieldName('function')!;
    const args = n.childForFieldName('arguments')?.namedChildren ?? [];
    // `(__half)(x)` parses as a call of a parenthesized type name
    if (fnNode.type === 'parenthesized_expression' && fnNode.namedChildren.length === 1) fnNode = fnNode.namedChildren[0];
    const name = fnNode.text;
    const cast = typeClass(name);
    if (fnNode.type === 'identifier' || fnNode.type === 'primitive_type' || fnNode.type === 'type_identifier') {
      if ((cast === 'fp16' || cast === 'bf16' || cast === 'float') && args.length === 1) return this.convert(cast, this.expr(args[0]), n);
    }
    if (fnNode.type !== 'identifier') return refuse(`the element code calls ${quote(fnNode.text)}`);
    if (OTHER_ROUNDING.test(name)) {
      const vals = args.map((a) => this.expr(a));
      if (vals.every((v) => v.k === 'U')) return this.uniform(n, name.includes('bfloat') ? 'bf16' : 'fp16');
      return refuse(`\`${name}\` has no paired form that rounds the same way`);
    }
    for (const half of ['fp16', 'bf16'] as const) {
      if (PAIR[half].toFloat.includes(name) && args.length === 1) {
        const v = this.expr(args[0]);
        if (v.k === 'U') return this.uniform(n, 'float');
        if (v.k !== 'H' || v.half !== half) return refuse(`\`${name}\` takes ${quote(args[0].text)}, which is not ${half}`);
        return this.convert('float', v, n);
      }
      if (PAIR[half].fromFloat.includes(name) && args.length === 1) {
        const v = this.expr(args[0]);
        if (v.k === 'U') return this.uniform(n, half);
        if (v.k !== 'F') return refuse(`\`${name}\` takes ${quote(args[0].text)}, which is not a float`);
        return { k: 'H', half, pair: this.toPair(v, half, n) };
      }
    }
    const paired = PAIRED[name];
    if (paired && args.length === paired.arity) {
      const vals = args.map((a) => this.expr(a));
      const varying = vals.find((v) => v.k !== 'U');
      if (!varying) {
        const t = vals.map((v) => (v as { type: TypeClass }).type).find((t) => t === 'fp16' || t === 'bf16') ?? 'other';
        return this.uniform(n, t);
      }
      if (varying.k !== 'H') return refuse(`\`${name}\` takes a float in ${quote(n.text)}`);
      return { k: 'H', half: varying.half, pair: `${paired.name}(${vals.map((v, i) => this.toPair(v, varying.half, args[i])).join(', ')})` };
    }
    if (FLOAT_MATH.has(name)) {
      const vals = args.map((a) => this.expr(a));
      if (vals.every((v) => v.k === 'U')) return this.uniform(n, 'float');
      const comps = vals.map((v, i) => this.components(v, args[i]));
      const hint = (vals.find((v) => v.k === 'F') as { hint: string } | undefined)?.hint ?? 'v';
      return { k: 'F', comps: [`${name}(${comps.map((c) => c[0]).join(', ')})`, `${name}(${comps.map((c) => c[1]).join(', ')})`], hint };
    }
    // an argument that uses the index as a value says so first
    for (const a of args) this.expr(a);
    return refuse(`the element code calls \`${name}\`, which has no packed form here`);
  }
}

/** The type of `a OP b` for operands the same for every element. */
function promote(a: TypeClass, b: TypeClass): TypeClass {
  if (a === b) return a;
  if (a === 'other' || b === 'other' || a === 'fp16' || b === 'fp16' || a === 'bf16' || b === 'bf16') return 'other';
  return a === 'double' || b === 'double' ? 'double' : a === 'float' || b === 'float' ? 'float' : 'int';
}

/** Is the whole text one parenthesized expression (`(a + b)`, not `(a) + (b)`)? */
export function wrapped(t: string): boolean {
  if (!t.startsWith('(') || !t.endsWith(')')) return false;
  let depth = 0;
  for (let i = 0; i < t.length; i++) {
    if (t[i] === '(') depth++;
    else if (t[i] === ')' && --depth === 0 && i < t.length - 1) return false;
  }
  return true;
}
