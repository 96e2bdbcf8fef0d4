// Small helpers over web-tree-sitter nodes shared by the fact extractors.
import type { SyntaxNode as Node } from './mirror';
import type { Range } from './types';

export function nodeRange(n: Node): Range {
  // each position is a search of the line starts: read once
  const start = n.startPosition;
  const end = n.endPosition;
  return {
    start: { line: start.row, column: start.column },
    end: { line: end.row, column: end.column },
  };
}

export function field(n: Node, name: string): Node | null {
  return n.childForFieldName(name);
}

// node.child(i) walks from the first child each time (quadratic on wide nodes); the
// `children` / `namedChildren` getters fetch the whole list in one call.
export function namedChildren(n: Node): Node[] {
  return n.namedChildren;
}

export function children(n: Node): Node[] {
  return n.children;
}

/** Depth-first pre-order walk; return false from `visit` to skip a subtree. */
export function walk(n: Node, visit: (n: Node) => boolean | void): void {
  const stack: Node[] = [n];
  while (stack.length) {
    const cur = stack.pop()!;
    if (visit(cur) === false) continue;
    const kids = cur.children;
    for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]);
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
