// Sizes a class keeps in data members its constructor sets (`ReLU(int batch, int features) : n(batch * features) {}`,
// or `this->n = batch * features;` in the constructor's body), for the objects the file builds (`ReLU relu(BATCH,
// HIDDEN);`, `new Softmax(BATCH, 10)`, `std::make_unique<Dense>(784, 128)`). Where every object of the class the file
// builds gives a member the same constant, and no method of the class changes it, its methods read the member as
// that constant, as they read a static constant member: a layer's launch `relu_kernel<<<..>>>(x, y, n)` then passes
// 16384 elements, not an unknown count. A student's MNIST network keeps every size so.
import type { TreeNode } from './file-scope';
import { evalIntExpr } from '../preprocess/expr';

type Node = TreeNode<Node> & { namedChildren?: Node[] };

const INTEGER_MEMBER = /^(?:const\s+)?(?:unsigned\s+|signed\s+)?(?:int|long|long\s+long|short|size_t|std::size_t|int32_t|int64_t|uint32_t|uint64_t|unsigned)$/;

interface Constructor { params: { name: string; fallback: string | null }[]; sets: Map<string, string> }

/** `int n, m;` members of the class's own body: the integer ones, by name. */
function integerMembers(fields: readonly [string, Node][], owner: string): Set<string> {
  const out = new Set<string>();
  for (const [o, f] of fields) {
    if (o !== owner || /^\s*static\b/.test(f.text)) continue;
    const type = f.childForFieldName('type')?.text.replace(/\s+/g, ' ').trim() ?? '';
    if (!INTEGER_MEMBER.test(type)) continue;
    for (const c of f.children) if (c.type === 'field_identifier') out.add(c.text);
  }
  return out;
}

/** A constructor's parameters and the members it sets to expressions of them (initializer list, then plain assignments). */
function constructorOf(def: Node, owner: string): Constructor | null {
  const declarator = def.childForFieldName('declarator');
  const name = declarator?.type === 'function_declarator' ? declarator.childForFieldName('declarator')?.text.replace(/\s+/g, '') : null;
  if (!name || (name !== owner && name !== `${owner}::${owner}`)) return null;
  const params: Constructor['params'] = [];
  for (const p of declarator!.childForFieldName('parameters')?.children ?? []) {
    if (p.type !== 'parameter_declaration' && p.type !== 'optional_parameter_declaration') continue;
    const id = /([A-Za-z_]\w*)\s*$/.exec(p.childForFieldName('declarator')?.text ?? '')?.[1];
    if (!id) return null;
    params.push({ name: id, fallback: p.childForFieldName('default_value')?.text ?? null });
  }
  const sets = new Map<string, string>();
  for (const c of def.children) {
    if (c.type !== 'field_initializer_list') continue;
    for (const init of c.children) {
      if (init.type !== 'field_initializer') continue;
      const member = init.children.find((k) => k.type === 'field_identifier')?.text;
      const value = init.children.find((k) => k.type === 'argument_list' || k.type === 'initializer_list')?.text.slice(1, -1);
      if (member && value) sets.set(member, value);
    }
  }
  // (`this->n = batch * features;` or `n = ...;`, statements of the body's own level)
  const body = def.childForFieldName('body')?.text ?? '';
  for (const m of body.matchAll(/(?<=[{;])\s*(?:this\s*->\s*)?([A-Za-z_]\w*)\s*=(?!=)\s*([^;{}]+);/g)) sets.set(m[1], m[2]);
  return { params, sets };
}

/** Splits an argument list's text at its top-level commas. */
function splitArgs(text: string): string[] {
  const out: string[] = [];
  let depth = 0, start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if ('([{<'.includes(ch)) depth++;
    else if (')]}>'.includes(ch)) depth--;
    else if (ch === ',' && depth === 0) {
      out.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  const last = text.slice(start).trim();
  if (last || out.length) out.push(last);
  return out;
}

/**
 * The argument lists of the objects of `owner` the text builds; null when an object is built some way not read here
 * (a container's `emplace_back`, a default-built `Dense d;`), whose sizes are then unknown.
 */
function constructions(text: string, owner: string): string[][] | null {
  const out: string[][] = [];
  const o = owner.replace(/\W/g, '');
  // `Dense d(784, 128);`, `Dense d{784, 128};`, `new Dense(784, 128)`, `make_unique<Dense>(784, 128)`, `Dense(784, 128)` as a value
  const built = new RegExp(`(?:\\b${o}\\s+[A-Za-z_]\\w*\\s*(?:\\(([^;{}()]*(?:\\([^;{}()]*\\)[^;{}()]*)*)\\)|\\{([^;{}]*)\\})\\s*[;,]|\\bnew\\s+${o}\\s*\\(([^;{}()]*(?:\\([^;{}()]*\\)[^;{}()]*)*)\\)|make_(?:unique|shared)\\s*<\\s*${o}\\s*>\\s*\\(([^;{}()]*(?:\\([^;{}()]*\\)[^;{}()]*)*)\\))`, 'g');
  for (const m of text.matchAll(built)) out.push(splitArgs(m[1] ?? m[2] ?? m[3] ?? m[4] ?? ''));
  // (a temporary or a copy-initialization, `auto loss = CrossEntropy(10000, 10)`, `return Dense(n, m)`, and a derived
  // class's constructor handing its base sizes, `WideGELU(int t) : GELU(t, 4096)`)
  const temporary = new RegExp(`(?:[=(,:]|\\breturn)\\s*${o}\\s*(?:\\(([^;{}()]*(?:\\([^;{}()]*\\)[^;{}()]*)*)\\)|\\{([^;{}]*)\\})`, 'g');
  // (not the constructor's own head after `public:`, `ReLU(int batch, int features)`: its arguments are declarations)
  const declares = (a: string) => /^(?:const\s+)?[A-Za-z_][\w:<>]*(?:\s*[*&]+\s*|\s+)[A-Za-z_]\w*(?:\s*=.*)?$/.test(a);
  for (const m of text.matchAll(temporary)) {
    const args = splitArgs(m[1] ?? m[2] ?? '');
    if (!args.length || !args.every(declares)) out.push(args);
  }
  // objects built where their arguments are not read: a default-built one, or through a container of them
  if (new RegExp(`\\b${o}\\s+[A-Za-z_]\\w*\\s*(?:\\[[^\\]]*\\]\\s*)?;|<\\s*${o}\\s*\\*?\\s*>\\s*[A-Za-z_]\\w*\\s*[;({]`).test(text)) return null;
  return out;
}

/**
 * `Owner::member` -> the constant every object the file builds gives it, for the file's classes whose constructors
 * set integer members from their arguments.
 */
export function constructedMembers(text: string, functions: readonly Node[], classes: ReadonlyMap<Node, string>, fields: readonly [string, Node][], constants: ReadonlyMap<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  // (most files build no such object: a cheap test first, a class with data members whose name is called)
  const owners = new Set(fields.map(([o]) => o));
  if (![...owners].some((o) => new RegExp(`\\b${o}\\s*[({]`).test(text))) return out;
  const byClass = new Map<string, { ctors: Constructor[]; methods: Node[] }>();
  for (const def of functions) {
    const owner = classes.get(def) ?? /^\s*([A-Za-z_]\w*)\s*::/.exec(def.childForFieldName('declarator')?.text ?? '')?.[1];
    if (!owner || !owners.has(owner)) continue;
    const entry = byClass.get(owner) ?? { ctors: [], methods: [] };
    byClass.set(owner, entry);
    const ctor = constructorOf(def, owner);
    if (ctor) entry.ctors.push(ctor);
    else entry.methods.push(def);
  }
  const code = text.replace(/\/\/[^\n]*|\/\*[\s\S]*?\*\//g, ' ');
  for (const [owner, { ctors, methods }] of byClass) {
    const members = integerMembers(fields, owner);
    if (!ctors.some((c) => [...c.sets.keys()].some((m) => members.has(m)))) continue;
    const built = constructions(code, owner);
    if (!built?.length) continue;
    const values = new Map<string, number | null>();
    for (const args of built) {
      // the constructor these arguments choose: the one taking that many (defaults filling the rest)
      const fits = ctors.filter((c) => args.length <= c.params.length && c.params.slice(args.length).every((p) => p.fallback !== null));
      const ctor = fits.length === 1 ? fits[0] : null;
      const argValues = new Map<string, number | null>();
      ctor?.params.forEach((p, i) => argValues.set(p.name, evalIntExpr(i < args.length ? args[i] : p.fallback!, { value: (n) => constants.get(n) ?? null })));
      for (const member of members) {
        const expr = ctor?.sets.get(member);
        const v = expr ? evalIntExpr(expr, { value: (n) => (argValues.has(n) ? argValues.get(n)! : constants.get(n) ?? null) }) : null;
        values.set(member, values.has(member) && values.get(member) !== v ? null : v);
      }
    }
    for (const [member, v] of values) {
      // (a method that changes it, `n = new_n;`, `resize(...)` setting it: its value then is not the built one)
      const changed = new RegExp(`(?:^|[^.\\w>]|\\bthis\\s*->\\s*)${member}\\s*(?:[-+*/%&|^]|<<|>>)?=(?!=)|(?:\\+\\+|--)\\s*${member}\\b|\\b${member}\\s*(?:\\+\\+|--)|&\\s*${member}\\b`);
      // (or code outside the class sets it through an object, `layer.rows = 8192`, `p->rows = n`, `scanf("%d", &cfg.rows)`)
      const setOutside = new RegExp(`(?<!\\bthis\\s*)(?:\\.|->)\\s*${member}\\s*(?:[-+*/%&|^]|<<|>>)?=(?!=)|&\\s*[A-Za-z_][\\w.>-]*(?:\\.|->)\\s*${member}\\b`).test(code);
      if (v !== null && !setOutside && !methods.some((m) => changed.test(m.childForFieldName('body')?.text ?? ''))) out.set(`${owner}::${member}`, v);
    }
  }
  return out;
}
