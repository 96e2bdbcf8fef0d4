// A plain-JavaScript copy of a syntax subtree. Every property read on a web-tree-sitter
// Node crosses into WASM and allocates (about a microsecond each), and the fact
// extractors read each node many times; one cursor walk that copies type, field and
// byte range per node, with positions computed here from the line starts, makes the
// extraction itself pure JavaScript. The copy also never touches the WASM heap again,
// so it needs no delete().
import type { Node as TSNode, Language, TreeCursor } from 'web-tree-sitter';

export interface Point {
  row: number;
  column: number;
}

/** The source text with its line starts, shared by every node copied from it. */
export class SourceText {
  private lineStarts: number[] | undefined;
  /** `lines`, when the caller has them (`text` split at '\n'), give the line starts without a search of the text. */
  constructor(
    readonly text: string,
    readonly lines?: readonly string[],
  ) {}

  /** The text the user wrote for [start, end) (a shadow source maps back to it). */
  original(start: number, end: number): string {
    return this.text.slice(start, end);
  }

  position(index: number, _atEnd = false): Point {
    const starts = (this.lineStarts ??= this.lines ? lineStartsFrom(this.lines) : lineStartsOf(this.text));
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= index) lo = mid;
      else hi = mid - 1;
    }
    return { row: lo, column: index - starts[lo] };
  }
}

function lineStartsFrom(lines: readonly string[]): number[] {
  const out = new Array<number>(lines.length);
  for (let i = 0, at = 0; i < lines.length; at += lines[i].length + 1, i++) out[i] = at;
  return out;
}

function lineStartsOf(text: string): number[] {
  const out = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) out.push(i + 1);
  return out;
}

let nextId = 1;
/** Leaves share one empty child list (most nodes are leaves; the copy is mostly garbage soon). */
const NO_CHILDREN: SyntaxNode[] = [];

export class SyntaxNode {
  parent: SyntaxNode | null = null;
  children: SyntaxNode[] = NO_CHILDREN;
  readonly id = nextId++;
  private named: SyntaxNode[] | undefined;

  constructor(
    private readonly source: SourceText,
    readonly type: string,
    readonly isNamed: boolean,
    readonly fieldName: string | null,
    readonly startIndex: number,
    readonly endIndex: number,
    /** An ERROR node, or a token the parser inserted (zero width): the text does not parse here. */
    private readonly broken: boolean,
  ) {}

  /**
   * A copy, not a view: facts keep texts (`x[i * C + c]`) across edits, and a view
   * (a V8 sliced string) would keep that whole version of the document alive.
   */
  get text(): string {
    const t = this.source.text.slice(this.startIndex, this.endIndex);
    return t.length < 13 ? t : (' ' + t).slice(1);
  }
  /** The text as the user wrote it: differs from `text` in a macro-expanded shadow (`FLOAT4(a[i])`, not its expansion). */
  get sourceText(): string {
    const t = this.source.original(this.startIndex, this.endIndex);
    return t.length < 13 ? t : (' ' + t).slice(1);
  }
  get startPosition(): Point {
    return this.source.position(this.startIndex);
  }
  get endPosition(): Point {
    return this.source.position(this.endIndex, true);
  }
  get namedChildren(): SyntaxNode[] {
    return (this.named ??= this.children.filter((c) => c.isNamed));
  }
  get childCount(): number {
    return this.children.length;
  }
  get namedChildCount(): number {
    return this.namedChildren.length;
  }
  child(i: number): SyntaxNode | null {
    return this.children[i] ?? null;
  }
  namedChild(i: number): SyntaxNode | null {
    return this.namedChildren[i] ?? null;
  }
  childForFieldName(name: string): SyntaxNode | null {
    for (const c of this.children) if (c.fieldName === name) return c;
    return null;
  }
  childrenForFieldName(name: string): SyntaxNode[] {
    return this.children.filter((c) => c.fieldName === name);
  }
  fieldNameForChild(i: number): string | null {
    return this.children[i]?.fieldName ?? null;
  }
  /** Set while copying when a descendant is broken, so `hasError` needs no walk. */
  errorBelow = false;
  get hasError(): boolean {
    return this.broken || this.errorBelow;
  }
  get isBroken(): boolean {
    return this.broken;
  }
  /** Scans of large subtrees (a whole file), kept: fixes of many findings ask the same question of it. */
  private scans: Map<string, SyntaxNode[]> | undefined;
  descendantsOfType(types: string | string[]): SyntaxNode[] {
    const want = typeof types === 'string' ? [types] : types;
    if (this.endIndex - this.startIndex < LARGE_SUBTREE) return this.scan(want);
    const key = want.join(' ');
    let hit = (this.scans ??= new Map()).get(key);
    if (!hit) this.scans.set(key, (hit = this.scan(want)));
    return hit.slice();
  }
  private scan(want: readonly string[]): SyntaxNode[] {
    const out: SyntaxNode[] = [];
    const stack: SyntaxNode[] = [...this.children].reverse();
    while (stack.length) {
      const n = stack.pop()!;
      if (want.includes(n.type)) out.push(n);
      for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]);
    }
    return out;
  }
}

/** Characters from which a subtree's scans are kept (a file, not a statement). */
const LARGE_SUBTREE = 20_000;

/** What a copy reads of a language for every node, by type or field id (asked once per language). */
interface LanguageTables {
  /** Whether each type is named; `errorNamed` for ERROR. */
  named: boolean[];
  errorNamed: boolean;
  /**
   * Type and field names as internalized strings: the grammar's are made at run time, and the analysis compares them
   * with literals (`n.type === 'identifier'`) millions of times, which for an internalized pair is one pointer test.
   */
  types: (string | undefined)[];
  fields: (string | null | undefined)[];
}
const tablesCache = new WeakMap<Language, LanguageTables>();
/** The type id of an ERROR node (tree-sitter's builtin error symbol, -1 as 16 bits). */
const ERROR_TYPE_ID = 0xffff;

function languageTables(lang: Language): LanguageTables {
  let tables = tablesCache.get(lang);
  if (!tables) {
    const named: boolean[] = [];
    for (let id = 0; id < lang.nodeTypeCount; id++) named.push(lang.nodeTypeIsNamed(id));
    tables = {
      named,
      errorNamed: lang.nodeTypeIsNamed(ERROR_TYPE_ID),
      types: Array.from(lang.types, (t) => (typeof t === 'string' ? internalized(t) : t)),
      fields: Array.from(lang.fields, (f) => (typeof f === 'string' ? internalized(f) : f)),
    };
    tablesCache.set(lang, tables);
  }
  return tables;
}

/** The internalized copy of a string (V8 internalizes property names); an index-like name stays as it is. */
function internalized(s: string): string {
  return /^\d+$/.test(s) ? s : Object.keys({ [s]: 0 })[0];
}

/**
 * The raw cursor functions of web-tree-sitter's WASM module. Emscripten puts a module's
 * exports on the options object given to `Parser.init`; each of these reads (and the
 * `goto`s write back) the cursor in the module's transfer buffer, where web-tree-sitter's
 * own TreeCursor copies it in and out around every call. Calling them directly while
 * the cursor stays in that buffer makes the copy about twice as fast.
 */
interface CursorBinding {
  HEAP32: Int32Array;
  _ts_init(): number;
  _ts_tree_cursor_goto_first_child_wasm(tree: number): number;
  _ts_tree_cursor_goto_next_sibling_wasm(tree: number): number;
  _ts_tree_cursor_goto_parent_wasm(tree: number): number;
  _ts_tree_cursor_current_node_type_id_wasm(tree: number): number;
  _ts_tree_cursor_current_field_id_wasm(tree: number): number;
  _ts_tree_cursor_start_index_wasm(tree: number): number;
  _ts_tree_cursor_end_index_wasm(tree: number): number;
}
const CURSOR_FUNCTIONS = [
  '_ts_init',
  '_ts_tree_cursor_goto_first_child_wasm',
  '_ts_tree_cursor_goto_next_sibling_wasm',
  '_ts_tree_cursor_goto_parent_wasm',
  '_ts_tree_cursor_current_node_type_id_wasm',
  '_ts_tree_cursor_current_field_id_wasm',
  '_ts_tree_cursor_start_index_wasm',
  '_ts_tree_cursor_end_index_wasm',
] as const;
/** Words of a cursor in the transfer buffer (web-tree-sitter's SIZE_OF_CURSOR). */
const CURSOR_WORDS = 4;

let binding: { fns: CursorBinding; transfer: number } | null = null;
let fastCopy = true;

/**
 * Called after `Parser.init(options)`. The module is made once per process, so only the
 * first options object is filled; later calls find nothing new and keep the binding.
 */
export function useBinding(options: object): void {
  const b = options as Partial<CursorBinding>;
  if (!(b.HEAP32 instanceof Int32Array) || !CURSOR_FUNCTIONS.every((f) => typeof b[f] === 'function')) return;
  // ts_init only writes the library's version numbers into the transfer buffer and returns its address.
  binding = { fns: b as CursorBinding, transfer: (b as CursorBinding)._ts_init() };
}

/** Copies through the public TreeCursor when off (tests compare the two); returns the previous setting. */
export function setFastCopy(on: boolean): boolean {
  const was = fastCopy;
  fastCopy = on;
  return was;
}

/** Cursor operations over one tree: the raw functions, or the public TreeCursor's. */
interface Walk {
  typeId(): number;
  fieldId(): number;
  start(): number;
  end(): number;
  firstChild(): boolean;
  nextSibling(): boolean;
  parent(): boolean;
  done(): void;
}

function publicWalk(cursor: TreeCursor): Walk {
  return {
    typeId: () => cursor.nodeTypeId,
    fieldId: () => cursor.currentFieldId,
    start: () => cursor.startIndex,
    end: () => cursor.endIndex,
    firstChild: () => cursor.gotoFirstChild(),
    nextSibling: () => cursor.gotoNextSibling(),
    parent: () => cursor.gotoParent(),
    done: () => cursor.delete(),
  };
}

function rawWalk(cursor: TreeCursor, b: NonNullable<typeof binding>): Walk | null {
  const handle = cursor as unknown as Record<number, number> & { tree?: Record<number, unknown> };
  const tree = handle.tree?.[0];
  if (typeof tree !== 'number' || typeof handle[0] !== 'number') return null;
  void cursor.nodeTypeId; // copies the cursor into the transfer buffer, where the raw calls keep it
  const f = b.fns;
  return {
    typeId: () => f._ts_tree_cursor_current_node_type_id_wasm(tree),
    fieldId: () => f._ts_tree_cursor_current_field_id_wasm(tree),
    start: () => f._ts_tree_cursor_start_index_wasm(tree),
    end: () => f._ts_tree_cursor_end_index_wasm(tree),
    firstChild: () => f._ts_tree_cursor_goto_first_child_wasm(tree) === 1,
    nextSibling: () => f._ts_tree_cursor_goto_next_sibling_wasm(tree) === 1,
    parent: () => f._ts_tree_cursor_goto_parent_wasm(tree) === 1,
    done: () => {
      // The walk may have grown the cursor's stack (a new address): hand the cursor back
      // to its owner before it frees it. HEAP32 is read now, after any memory growth.
      const heap = f.HEAP32;
      for (let i = 0; i < CURSOR_WORDS; i++) handle[i] = heap[(b.transfer >> 2) + i];
      cursor.delete();
    },
  };
}

/** Copies the subtree under `node` (one cursor walk). */
export function mirror(node: TSNode, source: SourceText): SyntaxNode {
  const lang = node.tree.language;
  const { named, errorNamed, types, fields } = languageTables(lang);
  const cursor = node.walk();
  const walk = (fastCopy && binding && rawWalk(cursor, binding)) || publicWalk(cursor);
  try {
    const make = (fieldName: string | null): SyntaxNode => {
      const typeId = walk.typeId();
      const isNamed = typeId === ERROR_TYPE_ID ? errorNamed : named[typeId] ?? false;
      const start = walk.start();
      const type = types[typeId] ?? 'ERROR';
      // An anonymous node is a literal token whose text is its type: when the source
      // shows that text, its end needs no call into WASM. Otherwise (a token the parser
      // inserted, zero width) ask the cursor.
      const end = !isNamed && type && source.text.startsWith(type, start) ? start + type.length : walk.end();
      return new SyntaxNode(source, type, isNamed, fieldName, start, end, type === 'ERROR' || (start === end && typeId !== 0 && !isNamed && type !== ''));
    };
    const root = make(null);
    let parent = root; // the node whose children the cursor is visiting
    if (!walk.firstChild()) return root;
    // each open node's children gather in a list reused at its depth and are copied at their exact length once
    // complete (a list grown by push keeps room for 16 more: most of the copy's memory)
    const gathering: SyntaxNode[][] = [[]];
    let depth = 0;
    for (;;) {
      const fieldId = walk.fieldId();
      const n = make(fieldId ? (fields[fieldId] ?? null) : null);
      n.parent = parent;
      if (n.isBroken) for (let p: SyntaxNode | null = parent; p && !p.errorBelow; p = p.parent) p.errorBelow = true;
      gathering[depth].push(n);
      if (n.isNamed && walk.firstChild()) {
        parent = n;
        if (++depth === gathering.length) gathering.push([]);
        continue;
      }
      while (!walk.nextSibling()) {
        walk.parent();
        parent.children = gathering[depth].slice();
        gathering[depth].length = 0;
        if (parent === root) return root;
        parent = parent.parent!;
        depth--;
      }
    }
  } finally {
    walk.done();
  }
}
