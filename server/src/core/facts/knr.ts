// K&R definitions, which old C code (Rodinia's backprop, numerical recipes) is written in:
//
//   void bpnn_adjust_weights(delta, ndelta, w)
//   float *delta, **w;
//   int ndelta;
//   { ... }
//
// The C++ grammar reads them as two declarations and braces at file scope. Each is read
// again as the ANSI definition it stands for, `void bpnn_adjust_weights(float *delta, int
// ndelta, float **w) { ... }`, mapped back to the original text (the body 1:1, the new
// parameter list to the old one), so its facts and findings sit where the code is.
import type { Tree } from 'web-tree-sitter';
import type { Segment } from '../preprocess/macros';
import { mirror, type SourceText, type SyntaxNode } from '../mirror';
import { MappedSource } from './shadow';
import { liveChildren } from './dead-branches';

/** Where one K&R definition lies: its head, the old parameter list and declarations, and its body. */
export interface KnrDefinition {
  start: number;
  /** The `(` of the name-only parameter list. */
  open: number;
  /** The `{` of the body. */
  body: number;
  end: number;
  /** The ANSI parameter list that replaces text [open, body). */
  params: string;
}

const IDENT = '[A-Za-z_]\\w*';
// `type name(a, b, c)` on its own line(s), then declarations of the names, then `{` (comments and blank lines between allowed)
const HEAD = new RegExp(
  `^(?:${IDENT}[ \\t*]+)+?(${IDENT})[ \\t]*\\(([ \\t]*${IDENT}(?:[ \\t]*,[ \\t\\n]*${IDENT})*[ \\t]*)\\)[ \\t]*(?:\\/\\/[^\\n]*)?\\n` +
    `((?:[ \\t]*\\n|[ \\t]*(?:register[ \\t]+)?${IDENT}[\\w \\t*,\\[\\]]*;[ \\t]*(?:(?:\\/\\/|\\/\\*)[^\\n]*)?\\n)+)[ \\t]*\\{`,
  'gm',
);
/** Words a head's first line may not start with (a call or a control statement wrapped over lines). */
const NOT_A_TYPE = /^(?:return|if|while|for|switch|else|do|case|goto|sizeof|typedef)\b/;
const CHEAP_TEST = /\)[ \t]*\n(?:[ \t]*\n)*[ \t]*(?:register[ \t]+)?[A-Za-z_][\w \t*,[\]]*;[ \t]*\n(?:[^{\n]*;[ \t]*\n|[ \t]*\n)*[ \t]*\{/;

/** The K&R definitions of a file, outside the functions the grammar read (`inside`). */
export function knrDefinitions(text: string, root: Tree['rootNode'], inside: readonly { startIndex: number; endIndex: number }[]): KnrDefinition[] {
  if (!CHEAP_TEST.test(text)) return [];
  const out: KnrDefinition[] = [];
  HEAD.lastIndex = 0;
  for (let m = HEAD.exec(text); m; m = HEAD.exec(text)) {
    const start = m.index;
    if (NOT_A_TYPE.test(m[0]) || inside.some((f) => f.startIndex <= start && start < f.endIndex)) continue;
    const names = m[2].split(',').map((s) => s.trim());
    const types = declaredTypes(m[3]);
    // every declaration names a parameter (else these are a prototype and globals), and there is one (blank lines
    // between the head and the body are no declarations)
    if (!types || !types.size || [...types.keys()].some((n) => !names.includes(n))) continue;
    const open = start + m[0].indexOf('(', m[0].indexOf(m[1]) + m[1].length);
    const body = start + m[0].length - 1;
    const braces = root.descendantForIndex(body);
    const block = braces?.type === '{' ? braces.parent : braces;
    if (!block || block.type !== 'compound_statement' || block.startIndex !== body || !live(block)) continue;
    // (an undeclared parameter is an int)
    const params = `(${names.map((n) => types.get(n) ?? `int ${n}`).join(', ')})`;
    out.push({ start, open, body, end: block.endIndex, params });
  }
  return out;
}

/** Not in a branch the preprocessor leaves out (`#if 0`, a debug switch off): what the grammar reads of it is not built. */
function live(block: Tree['rootNode']): boolean {
  for (let n = block, up = block.parent; up; n = up, up = up.parent) {
    if (up.type.startsWith('preproc_') && !liveChildren(up).some((c) => c.startIndex === n.startIndex && c.endIndex === n.endIndex)) return false;
  }
  return true;
}

/** `float *delta, **w;\nint n;` -> delta: `float *delta`, w: `float **w`, n: `int n` (null when a line is not such a declaration). */
function declaredTypes(lines: string): Map<string, string> | null {
  const out = new Map<string, string>();
  for (const raw of lines.split('\n')) {
    const line = raw.replace(/\/\/.*$|\/\*.*?\*\//g, '').trim();
    if (!line) continue;
    // (the type is all before the first declarator, `unsigned int n, *p;`, `struct node *head;`)
    const m = new RegExp(`^((?:register\\s+)?(?:${IDENT}\\s+)*${IDENT})(?:\\s*(?=\\*)|\\s+)((?:\\*\\s*)*${IDENT}\\s*(?:\\[[^\\]]*\\]\\s*)*(?:,[^;]*)?);$`).exec(line);
    if (!m) return null;
    const base = m[1].replace(/^register\s+/, '');
    for (const d of m[2].split(',')) {
      const dm = new RegExp(`^(\\**)\\s*(${IDENT})\\s*((?:\\[[^\\]]*\\])*)$`).exec(d.trim());
      if (!dm) return null;
      out.set(dm[2], `${base} ${dm[1]}${dm[2]}${dm[3]}`);
    }
  }
  return out.size ? out : null;
}

/** The definition read as ANSI C, its positions the original's. */
export function knrFunction(def: KnrDefinition, source: SourceText, parse: (text: string) => Tree): SyntaxNode | null {
  const head = source.text.slice(def.start, def.open);
  const body = source.text.slice(def.body, def.end);
  const text = `${head}${def.params} ${body}`;
  const ansi = head.length + def.params.length + 1;
  const segments: Segment[] = [
    { shadowStart: 0, shadowEnd: head.length, origStart: def.start, origEnd: def.open, expanded: false },
    { shadowStart: head.length, shadowEnd: ansi, origStart: def.open, origEnd: def.body, expanded: true },
    { shadowStart: ansi, shadowEnd: text.length, origStart: def.body, origEnd: def.end, expanded: false },
  ];
  const tree = parse(text);
  try {
    const root = mirror(tree.rootNode, new MappedSource(text, source, segments));
    return root.namedChildren.find((c) => c.type === 'function_definition') ?? null;
  } finally {
    tree.delete();
  }
}
