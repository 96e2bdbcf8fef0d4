// The fused kernel of a CUDA elementwise chain, for fusion/elementwise-chain's fix: the
// stages' buffers and accesses, one name for each of the fused kernel's parameters,
// registers and the stages' locals, a register for each buffer several stages touch (with
// products rounded as the store did), the kernel's text after the chain's last kernel,
// and one launch of it in place of the chain's launches.
import type { FixContext, FixResult } from '../../../core/fix';
import type { CallFact, FunctionFacts } from '../../../core/facts/model';
import type { SyntaxNode } from '../../../core/mirror';
import type { TextEdit } from '../../../core/types';
import { FileSyntax, declaredNames, ldgOf, mayEndInProduct, mayFeedAdd, operatorOf, readKernel, refuse, refused, render, walk } from './fix-kernel';
import { code, compact, indentOf, unparen } from '../../common/fix-syntax';
import { ancestor, coversCount, IDENT, pureArgument, scratchBuffer, type Stage } from './fix-host';

/** `a`, `a and b`, `a, b and c`. */
function listWords(items: string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** A buffer of the chain (a host pointer), as the fused kernel handles it. */
interface Buffer {
  root: string;
  type: string;
  accesses: Access[];
  stages: Set<number>;
  written: boolean;
  /** Touched by more than one stage: kept in a register for element i. */
  cached: boolean;
  /** The first touch is an unconditional plain store: the register is declared there with its value. */
  declared: boolean;
  /** No longer written: this host's own scratch buffer, read by nobody else. */
  dropped: boolean;
  /** The fused kernel's pointer parameter for it, when it still needs one. */
  param: string | null;
  register: string | null;
  /** Each parameter of the stages that names it: restrict-qualified? const? */
  restrictAll: boolean;
  /** The product that declares the register is written `__fmul_rn(a, b)`: rounded as the store did, never fused into the next stage's add. */
  roundedProduct: 'fmul' | 'dmul' | null;
  /** The first parameter name and the consumers' name, for naming the register. */
  paramNames: string[];
}

interface Access {
  stage: number;
  /** Index in the stage's statements of the statement it is in. */
  statement: number;
  node: SyntaxNode;
  kind: 'load' | 'store' | 'update';
}

const INTEGRAL = /^((unsigned|signed)\s+)?(char|short|int|long|long\s+long|long\s+int|unsigned)$|^(size_t|ptrdiff_t|u?int(8|16|32|64)_t|bool|u?char[1-4]|u?short[1-4]|u?int[1-4]|u?long[1-4]|u?longlong[1-4])$/;

/** One fused kernel for the launches (in one host function, in order) and one launch of it, or why not. */
export function fuse(launches: CallFact[], host: FunctionFacts, ctx: FixContext, file: FileSyntax): FixResult {
  const text = ctx.text;
  const hostNode = file.find(host.range, 'function_definition');
  if (!hostNode) return refuse(`${code(host.name)} could not be read as syntax`);
  const scopes = JSON.stringify(launches[0].scopes ?? []);
  if (launches.some((l) => JSON.stringify(l.scopes ?? []) !== scopes)) return refuse('the launches run under different conditions: the fused kernel would need them as flags');
  const looped = launches.find((l) => l.loops.join() !== launches[0].loops.join());
  if (looped) return refuse(`${code(looped.name)} runs in a loop the other launch is not in`);

  // --- each launch and its kernel
  const stages: Stage[] = [];
  for (const l of launches) {
    const k = ctx.functionNamed(l.name);
    if (!k || !k.isKernel) return refuse(`${code(l.name)} is not a kernel defined in this file`);
    if (ctx.file.functions.filter((g) => g.name === l.name && g.isKernel).length > 1) return refuse(`${code(l.name)} is overloaded: the fix cannot tell which one runs`);
    const def = file.find(k.range, 'function_definition');
    if (!def) return refuse(`${code(k.name)} could not be read as syntax`);
    const kernel = readKernel(k, def, text);
    if (refused(kernel)) return kernel;
    const call = file.find(l.range, 'call_expression');
    const statement = call?.parent;
    const config = call?.children.find((c) => c.type === 'kernel_call_syntax');
    const argList = call?.childForFieldName('arguments');
    if (!call || !config || !argList || statement?.type !== 'expression_statement' || statement.parent?.type !== 'compound_statement')
      return refuse(`the launch of ${code(l.name)} is not a statement of its own`);
    const fn = call.childForFieldName('function');
    const templateArgs = fn?.type === 'template_function' ? (fn.childForFieldName('arguments')?.text ?? null) : null;
    const args = argList.namedChildren.filter((c) => c.type !== 'comment');
    if (args.length !== k.params.length) return refuse(`${code(l.name)} is launched with ${args.length} arguments for ${k.params.length} parameters`);
    stages.push({ launch: l, kernel, call, statement, config, templateArgs, args, names: new Map() });
  }
  const [s0] = stages;
  const last = stages[stages.length - 1];
  const kernelNames = listWords(stages.map((s) => code(s.kernel.facts.name)));

  // --- one launch shape, one index, one count
  const configText = (s: Stage) => compact(s.config.text);
  const odd = stages.find((s) => configText(s) !== configText(s0));
  if (odd) return refuse(`${code(s0.kernel.facts.name)} and ${code(odd.kernel.facts.name)} are launched with different shapes (${code(s0.config.text)}, ${code(odd.config.text)})`);
  if (stages.some((s) => (s.kernel.template ? compact(s.kernel.template) : null) !== (s0.kernel.template ? compact(s0.kernel.template) : null) || s.templateArgs !== s0.templateArgs))
    return refuse('the kernels are templates with different parameters or arguments');
  if (stages.some((s) => !!s.kernel.template !== !!s.templateArgs)) return refuse('a templated kernel is launched with deduced template arguments');
  // a grid-stride loop launched with a grid that covers its count runs once per thread: one element per thread
  if (stages.some((s) => s.kernel.form !== s0.kernel.form))
    for (const s of stages) if (s.kernel.form === 'stride' && coversCount(s, hostNode)) s.kernel = { ...s.kernel, form: 'guard', strideKey: '' };
  const oddForm = stages.find((s) => s.kernel.form !== s0.kernel.form);
  if (oddForm)
    return refuse(`${code((s0.kernel.form === 'stride' ? s0 : oddForm).kernel.facts.name)} is a grid-stride loop, ${code((s0.kernel.form === 'stride' ? oddForm : s0).kernel.facts.name)} one element per thread`);
  const oddIndex = stages.find(
    (s) =>
      s.kernel.indexType !== s0.kernel.indexType ||
      s.kernel.initKey !== s0.kernel.initKey ||
      s.kernel.strideKey !== s0.kernel.strideKey ||
      (s0.kernel.form === 'stride' && s.kernel.macro !== s0.kernel.macro),
  );
  if (oddIndex) return refuse(`${code(s0.kernel.facts.name)} and ${code(oddIndex.kernel.facts.name)} compute their index differently`);

  // --- arguments: buffers (plain host pointers) and scalars
  const hostTemplate = host.templateParams;
  const buffers = new Map<string, Buffer>();
  const scalars = new Map<string, { name: string | null; stage: number; param: number; text: string }>();
  // one fused parameter per argument value and type; a literal or expression given to parameters of different names
  // (`bias` and `lo` both -0.5f) stays two parameters, each keeping its meaning
  const scalarKey = (s: Stage, j: number) => {
    const arg = compact(s.args[j].text);
    return `${arg}|${compact(s.kernel.params[j].decl.childForFieldName('type')?.text ?? '')}${IDENT.test(arg) ? '' : `|${s.kernel.facts.params[j].name}`}`;
  };
  for (let si = 0; si < stages.length; si++) {
    const s = stages[si];
    const k = s.kernel.facts;
    for (let j = 0; j < k.params.length; j++) {
      // (a template kernel's parameter as written, `const T`: the fused kernel stays a template, whatever type the
      // launches give `T`)
      const p = k.templateParams.length ? { ...k.params[j], type: writtenType(s.kernel.params[j].decl) ?? k.params[j].type } : k.params[j];
      const a = unparen(s.args[j]);
      if (p.pointer) {
        if (a.type !== 'identifier' || !IDENT.test(a.text))
          return refuse(`${code(k.name)} gets ${code(s.args[j].text)} for ${code(p.name)}: the fix fuses plain buffer names only (an offset or cast could overlap another buffer)`);
        let b = buffers.get(a.text);
        if (!b) {
          b = { root: a.text, type: p.type, accesses: [], stages: new Set(), written: false, cached: false, declared: false, dropped: false, param: null, register: null, restrictAll: true, roundedProduct: null, paramNames: [] };
          buffers.set(a.text, b);
        } else if (compact(b.type) !== compact(p.type)) return refuse(`${code(a.text)} is ${code(b.type)} in one kernel and ${code(p.type)} in ${code(k.name)}`);
        b.restrictAll &&= p.restrict;
        b.paramNames.push(p.name);
      } else {
        if (!pureArgument(s.args[j], hostTemplate)) return refuse(`the argument ${code(s.args[j].text)} of ${code(k.name)} may have side effects`);
        const key = scalarKey(s, j);
        if (!scalars.has(key)) scalars.set(key, { name: null, stage: si, param: j, text: s.args[j].text });
      }
    }
  }
  // host pointers derived from one another (`float* y = x + 1`) may overlap
  const roots = [...buffers.keys()];
  const hostBody = hostNode.childForFieldName('body')!;
  let derived: string | null = null;
  walk(hostBody, (n) => {
    if (derived || n.type !== 'identifier' || !buffers.has(n.text)) return;
    let value: SyntaxNode | null = null;
    if (n.parent?.type === 'assignment_expression' && n.parent.childForFieldName('left') === n) value = n.parent.childForFieldName('right');
    const init = n.parent?.type === 'pointer_declarator' ? n.parent.parent : n.parent;
    if (init?.type === 'init_declarator' && init.childForFieldName('value')) value = init.childForFieldName('value');
    if (value && roots.some((r) => r !== n.text && new RegExp(`\\b${r}\\b`).test(value!.text))) derived = n.text;
  });
  if (derived) return refuse(`${code(derived)} is set from another buffer of the chain: they may overlap`);

  // nothing the earlier launches read may change before the last one, where the fused launch goes
  const between = text
    .slice(s0.statement.endIndex, last.statement.startIndex)
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/\/\/[^\n]*/g, ' ');
  const moved = new Set<string>();
  for (const s of stages.slice(0, -1)) for (const n of [...s.args, s.config]) walk(n, (x) => x.type === 'identifier' && moved.add(x.text));
  for (const name of moved) {
    const changed = new RegExp(`(?<![\\w.>])${name}\\s*(?:[-+*/%&|^]|<<|>>)?=(?!=)|(?:\\+\\+|--)\\s*${name}\\b|\\b${name}\\s*(?:\\+\\+|--)|(?<!&)&\\s*${name}\\b`);
    if (changed.test(between)) return refuse(`${code(name)} changes between the launches`);
  }

  // --- the stages' accesses
  for (let si = 0; si < stages.length; si++) {
    const s = stages[si];
    const k = s.kernel.facts;
    s.kernel.statements.forEach((st, stIndex) =>
      walk(st, (n) => {
        if (n.type !== 'subscript_expression') return;
        const arr = n.childForFieldName('argument');
        const j = k.params.findIndex((p) => p.pointer && p.name === arr?.text);
        if (j < 0 || arr?.type !== 'identifier') return;
        let c = n;
        while (c.parent?.type === 'parenthesized_expression') c = c.parent;
        const p = c.parent;
        const kind: Access['kind'] =
          p?.type === 'assignment_expression' && p.childForFieldName('left') === c ? (operatorOf(p) === '=' ? 'store' : 'update') : p?.type === 'update_expression' ? 'update' : 'load';
        const b = buffers.get(unparen(s.args[j]).text)!;
        // `__ldg(&x[i])` is a load of x[i] as a whole: a register takes the place of the call
        b.accesses.push({ stage: si, statement: stIndex, node: ldgOf(n) ?? n, kind });
        b.stages.add(si);
        if (kind !== 'load') b.written = true;
      }),
    );
  }
  const chainArgs = stages.flatMap((s) => s.args);
  for (const b of buffers.values()) {
    b.cached = b.stages.size > 1;
    if (!b.cached) continue;
    const firstTouch = b.accesses[0];
    const st = stages[firstTouch.stage].kernel.statements[firstTouch.statement];
    const assign = firstTouch.node.parent;
    b.declared =
      firstTouch.kind === 'store' &&
      assign?.type === 'assignment_expression' &&
      assign.parent === st &&
      st.type === 'expression_statement' &&
      !b.accesses.some((a) => a !== firstTouch && a.stage === firstTouch.stage && a.node.startIndex >= assign.startIndex && a.node.endIndex <= assign.endIndex);
    b.dropped = b.declared && b.written && scratchBuffer(b.root, host, hostNode, chainArgs);
  }
  if (![...buffers.values()].some((b) => b.cached && b.written)) return refuse('no buffer is written by one kernel and read by the next');

  // --- names: the fused kernel's parameters, index, registers and the stages' locals, none shadowing another
  const taken = new Set<string>(['threadIdx', 'blockIdx', 'blockDim', 'gridDim']);
  for (const s of stages) {
    const own = new Set([...s.kernel.facts.params.map((p) => p.name), s.kernel.index, ...s.kernel.locals]);
    for (const st of s.kernel.statements) walk(st, (n) => (n.type === 'identifier' || n.type === 'type_identifier') && !own.has(n.text) && taken.add(n.text));
    walk(s.kernel.node.childForFieldName('declarator')!, (n) => n.type === 'type_identifier' && taken.add(n.text));
    if (s.kernel.node.parent?.type === 'template_declaration')
      walk(s.kernel.node.parent.childForFieldName('parameters') ?? s.kernel.node.parent, (n) => n.type === 'type_identifier' && taken.add(n.text));
  }
  const claim = (...candidates: string[]): string => {
    for (const c of candidates) if (IDENT.test(c) && !taken.has(c)) return taken.add(c), c;
    const base = candidates[0];
    for (let i = 2; ; i++) if (!taken.has(`${base}${i}`)) return taken.add(`${base}${i}`), `${base}${i}`;
  };
  const index = claim(s0.kernel.index, 'i', 'idx');
  for (const b of buffers.values()) {
    const needsParam = !b.cached || !b.declared || (b.written && !b.dropped);
    if (needsParam) b.param = claim(b.root, b.paramNames[0], `${b.root}_`);
  }
  for (const [key, sc] of scalars) {
    const p = stages[sc.stage].kernel.facts.params[sc.param];
    sc.name = claim(p.name, IDENT.test(sc.text) ? sc.text : p.name, `${p.name}${sc.stage + 1}`);
    scalars.set(key, sc);
  }
  const stripped = (r: string) => {
    const s = r.replace(/^(d_|dev_|device_|d(?=[A-Z]))/, '');
    return IDENT.test(s) ? s : r;
  };
  for (const b of buffers.values()) if (b.cached) b.register = claim(stripped(b.root), `${stripped(b.root)}_i`, ...b.paramNames);
  stages.forEach((s, si) => {
    const k = s.kernel.facts;
    k.params.forEach((p, j) => {
      if (p.pointer) {
        const b = buffers.get(unparen(s.args[j]).text)!;
        if (b.param) s.names.set(p.name, b.param);
      } else s.names.set(p.name, scalars.get(scalarKey(s, j))!.name!);
    });
    s.names.set(s.kernel.index, index);
    for (const l of s.kernel.locals) s.names.set(l, claim(l, `${l}${si + 1}`, `${l}_${si + 1}`));
  });

  // --- the count each stage checks, in the fused names
  const renames = (s: Stage, under: SyntaxNode): Map<SyntaxNode, string> => {
    const repl = new Map<SyntaxNode, string>();
    walk(under, (n) => {
      if (n.type === 'identifier' && s.names.has(n.text) && !(n.parent?.type === 'call_expression' && n.parent.childForFieldName('function') === n)) {
        const to = s.names.get(n.text)!;
        if (to !== n.text) repl.set(n, to);
      }
    });
    return repl;
  };
  // (the count of a loop macro is read by the grammar as a type name)
  const boundOf = (s: Stage) => (s.kernel.macro ? (s.names.get(s.kernel.bound.text) ?? s.kernel.bound.text) : render(s.kernel.bound, text, renames(s, s.kernel.bound)));
  const oddBound = stages.find((s) => compact(boundOf(s)) !== compact(boundOf(s0)));
  if (oddBound)
    return refuse(`${code(s0.kernel.facts.name)} runs over ${code(compact(s0.launch.args[s0.kernel.facts.params.findIndex((p) => p.name === s0.kernel.bound.text)] ?? s0.kernel.bound.text))} elements, ${code(oddBound.kernel.facts.name)} over ${code(compact(oddBound.launch.args[oddBound.kernel.facts.params.findIndex((p) => p.name === oddBound.kernel.bound.text)] ?? oddBound.kernel.bound.text))}`);

  // --- rounding: a product kept in a register must not fuse into the next stage's add (the two kernels round in between)
  const unsafe: string[] = [];
  for (const b of buffers.values()) {
    if (!b.cached || !b.written || INTEGRAL.test(b.type.trim())) continue; // integers round nowhere
    for (const si of b.stages) {
      const writes = b.accesses.filter((a) => a.stage === si && a.kind !== 'load');
      const later = b.accesses.filter((a) => a.stage > si && a.kind !== 'store');
      if (!writes.length || !later.length) continue;
      const k = stages[si].kernel.facts;
      const scalarParam = (name: string) => k.params.some((p) => p.name === name && !p.pointer);
      const producer = writes.some((a) => {
        const p = a.node.parent!;
        if (a.kind === 'update') return p.type === 'assignment_expression' && /^[*/]=$/.test(operatorOf(p) ?? '');
        return mayEndInProduct(p.childForFieldName('right')!, scalarParam);
      });
      const consumer = later.some((a) => (a.kind === 'update' ? !/^[*/]=$/.test(operatorOf(a.node.parent!) ?? '') || a.node.parent!.type === 'update_expression' : mayFeedAdd(a.node)));
      if (!producer || !consumer) continue;
      const rounded = b.declared && writes.length === 1 && writes[0] === b.accesses[0] ? roundedProduct(b, stages[si]) : null;
      // otherwise the compiler (nvcc or ptxas) may fuse the two into an FMA that rounds once: results may differ in the last bit
      if (rounded) b.roundedProduct = rounded;
      else unsafe.push(`\`${b.root}\` may be fused into an FMA with the next stage`);
    }
  }

  // --- restrict: kept where every stage promised it and each written buffer met the others in one kernel
  const params = [...buffers.values()].filter((b) => b.param);
  const together = (a: Buffer, b: Buffer) => stages.some((_, si) => a.stages.has(si) && b.stages.has(si)) || stages.some((s) => s.args.some((x) => unparen(x).text === a.root) && s.args.some((x) => unparen(x).text === b.root));
  const writesMemory = (b: Buffer) => b.accesses.some((a) => a.kind !== 'load' && !b.cached) || (b.cached && b.written && !b.dropped);
  const restrict = (b: Buffer) => b.restrictAll && params.every((o) => o === b || !(writesMemory(o) || writesMemory(b)) || together(o, b));

  // --- the fused kernel
  const lineOf = (n: SyntaxNode) => ctx.lines[n.startPosition.row] ?? '';
  const unitGuess = indentOf(ctx.lines[s0.kernel.headerRow] ?? '');
  const unit = unitGuess.length ? unitGuess : '  ';
  const in2 = unit + unit;
  const body: string[] = [];
  const comments = stages.some((s) => s.kernel.statements.filter((x) => x.type !== 'comment').length > 1);
  const elem = (b: Buffer) => `${b.param}[${index}]`;
  stages.forEach((s, si) => {
    if (comments) body.push(`${in2}// ${s.kernel.facts.name}`);
    const base = renames(s, s.kernel.node);
    for (const b of buffers.values()) if (b.cached) for (const a of b.accesses) if (a.stage === si) base.set(a.node, b.register!);
    s.kernel.statements.forEach((st, stIndex) => {
      const origIndent = st.startPosition.column === indentOf(lineOf(st)).length ? indentOf(lineOf(st)) : indentOf(lineOf(st)) + unit;
      const emit = (t: string) => body.push(in2 + t.split('\n').map((l, i) => (i === 0 ? l : l.startsWith(origIndent) ? in2 + l.slice(origIndent.length) : l.trim() ? l : '')).join('\n'));
      // registers whose first touch is here
      let declaredHere: Buffer | null = null;
      for (const b of buffers.values()) {
        if (!b.cached || b.accesses[0].stage !== si || b.accesses[0].statement !== stIndex) continue;
        if (b.declared) declaredHere = b;
        else body.push(`${in2}${b.written ? '' : 'const '}${b.type} ${b.register} = ${elem(b)};`);
      }
      if (declaredHere) {
        const b = declaredHere;
        const assign = b.accesses[0].node.parent!;
        const rhs = assign.childForFieldName('right')!;
        let value = render(rhs, text, base);
        if (b.roundedProduct) {
          const prod = unparen(rhs);
          value = `__${b.roundedProduct}_rn(${render(prod.childForFieldName('left')!, text, base)}, ${render(prod.childForFieldName('right')!, text, base)})`;
        }
        const writes = b.accesses.filter((a) => a.kind !== 'load').length;
        const constant = writes === 1;
        if (b.roundedProduct) body.push(`${in2}// rounded before the next stage adds to it, as when \`${b.root}\` went through memory (no FMA)`);
        emit(`${constant ? 'const ' : ''}${b.type} ${b.register} = ${value};`);
        if (b.written && !b.dropped && writes === 1) body.push(`${in2}${elem(b)} = ${b.register};`);
      } else emit(render(st, text, base));
    });
  });
  for (const b of buffers.values()) {
    const writes = b.accesses.filter((a) => a.kind !== 'load').length;
    if (b.cached && b.written && !b.dropped && !(b.declared && writes === 1)) body.push(`${in2}${elem(b)} = ${b.register};`);
  }

  // signature: buffers first, then scalars, the count last
  const ordered = [...params];
  const paramTexts = ordered.map((b) => {
    const writes = writesMemory(b);
    return `${writes ? '' : 'const '}${b.type}* ${restrict(b) ? '__restrict__ ' : ''}${b.param}`;
  });
  const boundText = boundOf(s0);
  const scalarList = [...scalars.values()];
  scalarList.sort((a, b) => Number(new RegExp(`\\b${a.name}\\b`).test(boundText)) - Number(new RegExp(`\\b${b.name}\\b`).test(boundText)));
  for (const sc of scalarList) {
    const s = stages[sc.stage];
    const p = s.kernel.params[sc.param];
    paramTexts.push(render(p.decl, text, new Map([[p.name, sc.name!]])).replace(/\s+/g, ' ').trim());
  }
  const launchArgs = [...ordered.map((b) => b.root), ...scalarList.map((sc) => sc.text.replace(/\s+/g, ' ').trim())];

  const base = (n: string) => n.replace(/(_kernel|Kernel|_k)$/, '') || n;
  const fusedName = (() => {
    const want = `${stages.map((s) => base(s.kernel.facts.name)).join('_')}_fused`;
    // (the file's words, gathered once: a search of the whole text for every fused chain grows with the file)
    const words = ctx.perFile('words of the text', () => new Set(text.match(/\b[A-Za-z_]\w*/g)));
    const used = (n: string) => ctx.file.functions.some((f) => f.name === n) || (/^[A-Za-z_]\w*$/.test(n) ? words.has(n) : new RegExp(`\\b${n}\\b`).test(text));
    if (!used(want)) return want;
    for (let i = 2; ; i++) if (!used(`${want}${i}`)) return `${want}${i}`;
  })();
  const lbs = new Set(stages.map((s) => s.kernel.launchBounds));
  const lb = lbs.size === 1 && s0.kernel.launchBounds ? `${s0.kernel.launchBounds} ` : '';
  const head = `__global__ void ${lb}${fusedName}(`;
  let signature = `${head}${paramTexts.join(', ')}) {`;
  if (signature.length > 100) {
    const lines: string[] = [];
    let cur = head;
    paramTexts.forEach((p, i) => {
      const piece = p + (i === paramTexts.length - 1 ? ') {' : ',');
      if (cur.length + piece.length + 1 > 100 && cur !== head) {
        lines.push(cur.trimEnd());
        cur = ' '.repeat(head.length);
      }
      cur += piece + (i === paramTexts.length - 1 ? '' : ' ');
    });
    lines.push(cur);
    signature = lines.join('\n');
  }
  const dropped = [...buffers.values()].filter((b) => b.dropped).map((b) => code(b.root));
  const kept = [...buffers.values()].filter((b) => b.cached && b.written && !b.dropped).map((b) => code(b.root));
  const plain = (s: string) => s.replace(/`/g, '');
  const what = [
    dropped.length ? `${listWords(dropped)} ${dropped.length > 1 ? 'are' : 'is'} no longer written` : '',
    kept.length ? `${listWords(kept)} still written, not read back` : '',
  ].filter(Boolean).join('; ');
  const comment = `// ${plain(listWords(stages.map((s) => s.kernel.facts.name)))} in one pass: element ${index} stays in registers between them (${plain(what)})`;
  const init = (() => {
    const k = s0.kernel;
    if (k.form === 'stride' && k.macro) return `${k.macro}(${index}, ${boundText}) {`;
    if (k.form === 'stride') {
      const loop = k.header!;
      const loopBody = loop.childForFieldName('body')!;
      return `${render(loop, text, renames(s0, loop)).slice(0, loopBody.startIndex - loop.startIndex).trimEnd()} {`;
    }
    // the guard form: the first kernel's declaration as written, or the loop's first value when it was a covered grid-stride loop
    const decl = k.header?.type === 'declaration' ? render(k.header, text, renames(s0, k.header)) : `${k.indexType} ${index} = ${k.initText};`;
    return `${decl}\n${unit}if (${index} < ${boundText}) {`;
  })();
  const kernelText = [comment, ...(s0.kernel.template ? [s0.kernel.template] : []), signature, `${unit}${init}`, ...body, `${unit}}`, '}'].join('\n');

  // --- edits: the kernel after the chain's last kernel, one launch in place of the last, the others gone
  const lastDef = stages.map((s) => s.kernel.node).reduce((a, b) => (b.endIndex > a.endIndex ? b : a));
  const hostStart = (hostNode.parent?.type === 'template_declaration' ? hostNode.parent : hostNode).startIndex;
  if (lastDef.endIndex > hostStart) return refuse(`the kernels are defined after ${code(host.name)}`);
  const scopeOf = (n: SyntaxNode) => ancestor(n, 'namespace_definition') ?? ancestor(n, 'class_specifier') ?? null;
  if (stages.some((s) => scopeOf(s.kernel.node) !== scopeOf(hostNode))) return refuse(`the kernels are not in the namespace of ${code(host.name)}`);
  const endRow = lastDef.endPosition.row;
  const spaced = (ctx.lines[endRow + 1] ?? '').trim() === '' ? '' : '\n';
  const edits: TextEdit[] = [{ range: { start: { line: endRow, column: ctx.lines[endRow].length }, end: { line: endRow, column: ctx.lines[endRow].length } }, newText: `\n\n${kernelText}${spaced}` }];
  const configInner = text.slice(last.config.startIndex, last.config.endIndex).replace(/^<<<|>>>$/g, '');
  const launchText = `${fusedName}${s0.templateArgs ?? ''}<<<${configInner}>>>(${launchArgs.join(', ')})`;
  edits.push({ range: last.launch.range, newText: launchText });
  for (const s of stages.slice(0, -1)) {
    const st = s.statement;
    const a = st.startPosition;
    const e = st.endPosition;
    const alone = ctx.lines[a.row].slice(0, a.column).trim() === '' && /^\s*(\/\/.*)?$/.test(ctx.lines[e.row].slice(e.column));
    edits.push(
      alone
        ? { range: { start: { line: a.row, column: 0 }, end: { line: e.row + 1, column: 0 } }, newText: '' }
        : { range: { start: { line: a.row, column: a.column }, end: { line: e.row, column: e.column + indentOf(ctx.lines[e.row].slice(e.column)).length } }, newText: '' },
    );
  }
  const title = `Fuse ${kernelNames} into one kernel (${what ? what.replace(/^(`[^`]+`(?:(?:, | and )`[^`]+`)*) is no longer/, 'the intermediate $1 is no longer').replace(/^(`[^`]+`(?:(?:, | and )`[^`]+`)+) are no longer/, 'the intermediates $1 are no longer') : 'one launch'})`;
  return [{ title, edits, safe: unsafe.length === 0 }];
}

/** `t[i] = a * x[i]` in float or double: `__fmul_rn(a, x[i])` rounds the product as the store did, and never fuses into an FMA. */
function roundedProduct(b: Buffer, s: Stage): 'fmul' | 'dmul' | null {
  if (b.type !== 'float' && b.type !== 'double') return null;
  const rhs = unparen(b.accesses[0].node.parent!.childForFieldName('right')!);
  if (rhs.type !== 'binary_expression' || operatorOf(rhs) !== '*') return null;
  const k = s.kernel.facts;
  const typeOf = (e: SyntaxNode): string | null => {
    const n = unparen(e);
    if (n.type === 'number_literal') return /^\d+$/.test(n.text) ? 'int' : /[fF]$/.test(n.text) && !/^0[xX]/.test(n.text) ? 'float' : /^[\d.]+([eE][-+]?\d+)?$/.test(n.text) ? 'double' : null;
    if (n.type === 'identifier') {
      const param = k.params.find((p) => p.name === n.text && !p.pointer);
      if (param) return param.type.replace(/^const\s+/, '');
      // a local of the stage declared with a plain type (`const float d = x[i] - mu;`)
      let local: string | null = null;
      for (const st of s.kernel.statements)
        walk(st, (d) => {
          if (d.type === 'declaration' && declaredNames(d).some((x) => x.text === n.text && x.parent?.type !== 'pointer_declarator'))
            local = d.childForFieldName('type')?.type === 'primitive_type' ? d.childForFieldName('type')!.text : null;
        });
      return local;
    }
    if (n.type === 'subscript_expression') return k.params.find((p) => p.pointer && p.name === n.childForFieldName('argument')?.text)?.type ?? null;
    // __ldg(&x[i]) is x[i]
    const sub = n.type === 'call_expression' && n.childForFieldName('function')?.text === '__ldg' ? n.childForFieldName('arguments')?.namedChildren[0]?.childForFieldName('argument') : null;
    if (sub?.type === 'subscript_expression' && ldgOf(sub) === n) return typeOf(sub);
    return null;
  };
  const l = typeOf(rhs.childForFieldName('left')!);
  const r = typeOf(rhs.childForFieldName('right')!);
  const ok = (t: string | null) => t === b.type || t === 'int';
  return ok(l) && ok(r) && (l === b.type || r === b.type) ? (b.type === 'float' ? 'fmul' : 'dmul') : null;
}

/** A parameter's type as its declaration spells it, without qualifiers, as the facts keep types (`T` of `const T* __restrict__ a`), or null. */
function writtenType(decl: SyntaxNode): string | null {
  const d = decl.childForFieldName('declarator');
  const head = d ? decl.text.slice(0, d.startIndex - decl.startIndex).replace(/\b(?:const|volatile)\b/g, ' ').trim() : '';
  return head ? head.replace(/\s+/g, ' ') : null;
}
