// Small helpers over web-tree-sitter nodes shared by the fact extractors.
import type { Node } from 'web-tree-sitter';
import type { Range } from './types';

export function nodeRange(n: Node): Range {
  return {
    start: { line: n.startPosition.row, column: n.startPosition.column },
    end: { line: n.endPosition.row, column: n.endPosition.column },
  };
}

export function field(n: Node, name: string): Node | null {
  return n.childForFieldName(name);
}

export function namedChildren(n: Node): Node[] {
  const out: Node[] = [];
  for (let i = 0; i < n.namedChildCount; i++) {
    const c = n.namedChild(i);
    if (c) out.push(c);
  }
  return out;
}

export function children(n: Node): Node[] {
  const out: Node[] = [];
  for (let i = 0; i < n.childCount; i++) {
    const c = n.child(i);
    if (c) out.push(c);
  }
  return out;
}

/** Depth-first pre-order walk; return false from `visit` to skip a subtree. */
export function walk(n: Node, visit: (n: Node) => boolean | void): void {
  const stack: Node[] = [n];
  while (stack.length) {
    const cur = stack.pop()!;
    if (visit(cur) === false) continue;
    for (let i = cur.childCount - 1; i >= 0; i--) {
      const c = cur.child(i);
      if (c) stack.push(c);
    }
  }
}

export function descendantsOfType(n: Node, type: string | string[]): Node[] {
  const types = Array.isArray(type) ? type : [type];
  const out: Node[] = [];
  walk(n, (c) => {
    if (types.includes(c.type)) out.push(c);
  });
  return out;
}

/** The range of a node clipped to its first line (for headers such as `for (...)`). */
export function firstLineRange(n: Node, lineText: string): Range {
  const r = nodeRange(n);
  if (r.end.line === r.start.line) return r;
  return { start: r.start, end: { line: r.start.line, column: lineText.replace(/\s+$/, '').length } };
}
