// What a C-family file declares outside its functions: where its function definitions
// are (found without entering a body), and its file-scope arrays, integer constants,
// expression macros and structs, which every function's facts read.
import type { SyntaxNode as Node } from '../mirror';
import { children, field, namedChildren } from '../syntax';
import { liveChildren } from './dead-branches';
import type { FileSwitches } from './file-switches';
import { baseType, containerElement, declaratorName } from './ctypes';
import type { MemorySpace } from './model';

/** A function-like macro whose body is an expression (`#define IDX(r, c) ((r) * N + (c))`). */
export interface MacroDef {
  params: string[];
  /** The body parsed as an expression; null when it is not one (`do { ... } while (0)`). */
  body: Node | null;
}

/** An array or container declared at file scope, visible to every function. */
export interface FileArray {
  name: string;
  elemType: string;
  space: MemorySpace;
  /** The declared extents as written (`[LEVELS + 1][3]`: `LEVELS + 1`, `3`), for a multi-dimensional array. */
  dimTexts?: string[];
}

/** The least of a syntax node that the top-level scan needs: web-tree-sitter's Node and SyntaxNode both have it. */
export interface TreeNode<N> {
  type: string;
  text: string;
  startIndex: number;
  children: N[];
  parent: N | null;
  childForFieldName(name: string): N | null;
}

/** Where a top-level scan stops descending: function bodies and expression-level code. */
const SCAN_STOP = new Set(['compound_statement', 'initializer_list', 'argument_list', 'comment', 'string_literal', 'preproc_include', 'expression_statement', 'enumerator_list']);
const FILE_SCOPE = new Set(['translation_unit', 'declaration_list', 'linkage_specification', 'preproc_if', 'preproc_ifdef', 'preproc_else', 'preproc_elif']);

/**
 * Function definitions (in namespaces, templates and classes too) and file-scope
 * declarations, found without entering any function body: run on the real tree, it
 * touches few nodes, so an edit costs little before the cache decides what to re-derive.
 */
export function topLevelItems<N extends TreeNode<N>>(root: N, switches?: FileSwitches): { functions: N[]; declarations: N[]; unread: N[]; classes: Map<N, string>; classFields: [string, N][]; templates: Map<N, N> } {
  const functions: N[] = [];
  // (the template_declaration each templated function is in: its parameters are read from there)
  const templates = new Map<N, N>();
  // (the struct or class each method defined in one is in: `Residual` of `struct Residual { void forward(...) {...} }`)
  const classes = new Map<N, string>();
  // (and the data members those classes declare, `double* data;`, by class: what `data[i]` in a method reads)
  const classFields: [string, N][] = [];
  const declarations: N[] = []; // file-scope declarations and #defines
  const unread: N[] = []; // braces at file scope holding what reads as a function (a syntax error before them swallowed it)
  // each node with its parent's type: a web-tree-sitter Node's `parent` searches down from the root every time
  const stack: [N, string | null, string | null, N | null][] = [[root, root.parent?.type ?? null, null, null]];
  while (stack.length) {
    const [n, parentType, owner, parent] = stack.pop()!;
    const type = n.type; // (a call into WASM on a web-tree-sitter Node)
    if (type === 'function_definition') {
      functions.push(n);
      if (owner) classes.set(n, owner);
      if (parentType === 'template_declaration' && parent) templates.set(n, parent);
      continue;
    }
    if (type === 'field_declaration' && owner && parentType === 'field_declaration_list') classFields.push([owner, n]);
    const fileScope = parentType !== null && FILE_SCOPE.has(parentType);
    if ((type === 'declaration' || type === 'preproc_def' || type === 'preproc_function_def') && fileScope) {
      declarations.push(n);
      continue;
    }
    // a plain struct (`struct S {...};`, `typedef struct {...} S;`): the layout its arrays' fields are read at
    // (one with methods is a class: its text would key every function's facts, and its fields are rarely arrays' elements)
    if (fileScope && plainRecord(type === 'type_definition' ? n.childForFieldName('type') : n)) declarations.push(n);
    // (and an enum's constants, `enum { OP_RMSNORM, ..., OP_COUNT }`: a loop to OP_COUNT runs 7 times)
    else if (fileScope && enumBody(type === 'type_definition' ? n.childForFieldName('type') : n)) declarations.push(n);
    if (fileScope && STRAY_STATEMENT.has(type) && holdsFunctionHead(n.text)) unread.push(n);
    if (SCAN_STOP.has(type)) continue;
    const kids = liveChildren(n, switches); // not into `#if 0`, nor a branch the file's own switches rule out (children of n all)
    const inside = type === 'struct_specifier' || type === 'class_specifier' ? n.childForFieldName('name')?.text ?? null : owner;
    for (let i = kids.length - 1; i >= 0; i--) stack.push([kids[i], type, inside, n]);
  }
  return { functions, declarations, unread, classes, classFields, templates };
}

/** Statements, which C and C++ allow only inside functions: at file scope, what a syntax error before them left. */
const STRAY_STATEMENT = new Set(['compound_statement', 'if_statement', 'for_statement', 'while_statement', 'do_statement', 'switch_statement', 'expression_statement']);

/**
 * A function's head at a line's start and its opening brace, on that line or the next (`void launch(float* a, int n) {`,
 * `__global__ void __launch_bounds__(256) k(float* y)` then `{`); not a statement's (`if (x) {`).
 */
const FUNCTION_HEAD = /^[ \t]*(?:[\w:<>,*&]+[ \t*&]+)*(?:\w+\([^()\n]*\)[ \t]+)?([A-Za-z_]\w*)[ \t]*\([^;{}]*\)[ \t]*(?:const[ \t]*)?\r?\n?[ \t]*\{/gm;
const STATEMENT_WORD = /^(?:if|for|while|switch|catch|return|sizeof|do|else)$/;
function holdsFunctionHead(text: string): boolean {
  for (const m of text.matchAll(FUNCTION_HEAD)) if (!STATEMENT_WORD.test(m[1])) return true;
  return false;
}

/** An enum's list of constants. */
function enumBody<N extends TreeNode<N>>(n: N | null): N | null {
  return n?.type === 'enum_specifier' ? n.childForFieldName('body') : null;
}

/** A struct with a body of fields only. */
function plainRecord<N extends TreeNode<N>>(n: N | null): boolean {
  const body = n?.type === 'struct_specifier' || n?.type === 'union_specifier' ? n.childForFieldName('body') : null;
  return !!body && body.children.every((c) => ['{', '}', ';', 'field_declaration', 'comment'].includes(c.type));
}

/** Arrays and containers declared at file scope (`static float A[N][N];`, `__constant__ float w[9];`). */
export function fileArrays(declarations: Node[]): FileArray[] {
  const out: FileArray[] = [];
  for (const c of declarations) {
    if (c.type !== 'declaration') continue;
    const head = c.text.split(/[=;{]/)[0];
    const typeText = field(c, 'type')?.text ?? '';
    const container = containerElement(typeText);
    const elemType = container ?? baseType(typeText);
    const space: MemorySpace = /__shared__/.test(head) ? 'shared' : /__constant__/.test(head) ? 'constant' : /__device__|__managed__/.test(head) ? 'global' : 'host';
    for (const d of children(c)) {
      const info = declaratorName(d);
      // (or a host buffer kept in a file-scope pointer, Rodinia's `float *a, *b, *m;` filled in `main`: `a[i]` in a
      // function reads it as it reads a parameter's)
      const hostPointer = !!info && space === 'host' && !container && info.pointer && !info.rows && !info.arrayDims.length &&
        /^\*\s*[A-Za-z_]\w*\s*(?:=\s*(?:NULL|nullptr|0)\s*)?$/.test(d.text) && !/\b(?:extern|typedef)\b/.test(head) && !/[(*]/.test(typeText);
      if (info && (info.arrayDims.length > 0 || (container && !info.pointer) || hostPointer)) {
        out.push({ name: info.name, elemType, space, ...(info.arrayDims.length > 1 ? { dimTexts: info.arrayDims.map((x) => x.text) } : {}) });
      }
    }
  }
  return out;
}

/** Integer constants of the file: `#define TILE 32`, `constexpr int TILE = 32;`, `const int N = 1024;`. */
export function fileConstants(declarations: Node[]): Map<string, number> {
  const out = new Map<string, number>();
  // (a name given two values, `#define MAPS 64` and `#define MAPS 6` in the arms of an `#if`: which one holds is open)
  const differing = new Set<string>();
  const set = (name: string, v: number) => {
    if (out.has(name) && out.get(name) !== v) differing.add(name);
    out.set(name, v);
  };
  const literal = (t: string | undefined) => {
    const m = t ? /^\(?\s*(-?\d+)[uUlL]*\s*\)?$/.exec(t.trim()) : null;
    return m ? Number(m[1]) : null;
  };
  let body: Node | null;
  for (const c of declarations) {
    if (c.type === 'preproc_def') {
      const name = field(c, 'name')?.text;
      const v = literal(field(c, 'value')?.text);
      if (name && v !== null) set(name, v);
    } else if (/^\s*(static\s+)?(constexpr|const)\b/.test(c.text) && /\b(int|unsigned|size_t|long|int32_t|int64_t|auto)\b/.test(field(c, 'type')?.text ?? '')) {
      for (const d of children(c)) {
        if (d.type !== 'init_declarator') continue;
        const name = field(d, 'declarator')?.text;
        const v = literal(field(d, 'value')?.text);
        if (name && v !== null) set(name, v);
      }
    } else if ((body = enumBody(c.type === 'type_definition' || c.type === 'declaration' ? field(c, 'type') : c))) {
      // each enumerator one more than the one before, from 0 or the value it is given (up to one not a literal);
      // not a scoped enum's (`enum class Layout { M, N, K }`), whose names are `Layout::N`
      if (/^\s*enum\s+(?:class|struct)\b/.test((c.type === 'enum_specifier' ? c : field(c, 'type'))!.text)) continue;
      let next: number | null = 0;
      for (const e of namedChildren(body)) {
        if (e.type !== 'enumerator') continue;
        const given = field(e, 'value');
        const v: number | null = given ? literal(given.text) : next;
        const name = field(e, 'name')?.text;
        if (v === null) break;
        if (name) set(name, v);
        next = v + 1;
      }
    } else {
      // a plain struct's (or union's, or class's) `static constexpr int kVec = 4;`: `P::kVec` is 4
      const record = c.type === 'type_definition' || c.type === 'declaration' ? field(c, 'type') : c;
      const name = record?.type === 'struct_specifier' || record?.type === 'union_specifier' || record?.type === 'class_specifier' ? field(record, 'name')?.text : undefined;
      for (const f of name ? namedChildren(field(record!, 'body') ?? record!) : []) for (const [member, v] of staticConstants(f)) set(`${name}::${member}`, v);
    }
  }
  for (const name of differing) out.delete(name);
  return out;
}

/** A data member's `static constexpr int kVec = 4;` (each declarator: `static const int batch = 64, classes = 10;`). */
function staticConstants(f: Node): [string, number][] {
  if (f.type !== 'field_declaration' || !/^\s*static\s+(constexpr|const)\b/.test(f.text)) return [];
  return f.text.replace(/;\s*$/, '').split(',').flatMap((part) => {
    const m = /\b(\w+)\s*=\s*\(?\s*(-?\d+)[uUlL]*\s*\)?\s*$/.exec(part);
    return m ? [[m[1], Number(m[2])] as [string, number]] : [];
  });
}

/** The static integer constants of the file's classes with methods (`Softmax::classes`), from their data members. */
export function classConstants(fields: readonly [string, Node][]): Map<string, number> {
  const out = new Map<string, number>();
  for (const [owner, f] of fields) for (const [member, v] of staticConstants(f)) out.set(`${owner}::${member}`, v);
  return out;
}

/**
 * Function-like macros of the file whose body is an expression, parsed with `parse`
 * (which returns the expression node of `int __ka = (<body>);`, or null).
 */
export function fileMacros(declarations: Node[], parse: (body: string) => Node | null): Map<string, MacroDef> {
  const out = new Map<string, MacroDef>();
  for (const d of declarations) {
    if (d.type !== 'preproc_function_def') continue;
    const name = field(d, 'name')?.text;
    const value = field(d, 'value')?.text.replace(/\\\n/g, ' ').trim();
    if (!name || !value) continue;
    const params = namedChildren(field(d, 'parameters') ?? d).map((p) => p.text);
    out.set(name, { params, body: parse(value) });
  }
  return out;
}
