// Element accessors of matrix classes: a member function of two indices whose whole body returns one
// element of a member buffer at a row-major or column-major position,
//   double& at(std::size_t i, std::size_t j) { return data_[i * cols_ + j]; }
//   float get(int r, int c) const { return m_data[c * rows + r]; }
// Code written against such a class (`C.at(i, j) += A.at(i, k) * B.at(k, j)`, or `C(i, j)` through its
// `operator()`) walks memory as its raw-pointer twin does; read from the class's text, in the file or a
// header of it. A call operator is kept under its class's name (`Matrix::operator()`): a call `A(i, k)`
// is one only when `A` is an object of that class.

/** An accessor method by name: the element type it hands out and the order of its two indices. */
export interface ElementAccessor { type: string; columnMajor: boolean }

// `) [const] [noexcept] [override] { return [this->]member[ index ]; }`: the body, anchored on its end
// (or a table of rows, `return data_[i][j];` of a `std::vector<std::vector<float>>`: the second subscript is the column)
const BODY = /\)\s*(?:const\s*)?(?:noexcept\s*)?(?:override\s*)?\{\s*return\s+(?:this\s*->\s*)?([A-Za-z_]\w*)\s*(?:\.\s*data\s*\(\s*\)\s*)?\[([^\[\]{};]{1,120})\](?:\s*\[\s*([A-Za-z_]\w*)\s*\])?\s*;\s*\}/g;
// the head before that `)`: `[qualifiers] Type [&] name(Type i, Type j` (template arguments without nesting)
const HEAD = /(?:^|[\s;{}:])((?:[A-Za-z_][\w:]*(?:\s*<[^<>;{}()]*>)?\s+)*?)([A-Za-z_][\w:]*(?:\s*<[^<>;{}()]*>)?)\s*(&?)\s*((?:[A-Za-z_]\w*\s*::\s*)?(?:operator\s*\(\s*\)|[A-Za-z_]\w*))\s*\(\s*(?:const\s+)?[A-Za-z_][\w:]*(?:\s+[A-Za-z_]\w*)?\s+([A-Za-z_]\w*)\s*,\s*(?:const\s+)?[A-Za-z_][\w:]*(?:\s+[A-Za-z_]\w*)?\s+([A-Za-z_]\w*)\s*$/;
const QUALIFIERS = new Set(['inline', 'constexpr', 'static', 'virtual', 'const', 'volatile', '__host__', '__device__', '__forceinline__', 'explicit']);
const NOT_TYPES = new Set(['return', 'else', 'if', 'while', 'for', 'switch', 'operator', 'new', 'delete']);

/** `i * cols_ + j` and its spellings: column-major when the second index is the scaled one; else null. */
function indexOrder(index: string, i: string, j: string): boolean | null {
  const s = index.replace(/\s+/g, '').replace(/\(([A-Za-z_]\w*)\)/g, '$1').replace(/this->/g, '');
  const stride = '([A-Za-z_][\\w.]*(?:\\(\\))?)';
  for (const [scaled, plain, columnMajor] of [[i, j, false], [j, i, true]] as const) {
    for (const form of [`${scaled}\\*${stride}\\+${plain}`, `${stride}\\*${scaled}\\+${plain}`, `${plain}\\+${scaled}\\*${stride}`, `${plain}\\+${stride}\\*${scaled}`]) {
      const m = new RegExp(`^${form}$`).exec(s);
      // (the stride is another name than the indices: `data_[i * j + j]` is no matrix)
      if (m && m[1] !== i && m[1] !== j) return columnMajor;
    }
  }
  return null;
}

/** `Matrix::operator()` for a call operator inside `class Matrix {`; null when no class opens before it. */
function enclosingClass(text: string, at: number): string | null {
  // (comments blanked: `// simple class for row-major matrices` names no class)
  const before = text.slice(Math.max(0, at - 20000), at).replace(/\/\/[^\n]*|\/\*[\s\S]*?\*\//g, ' ');
  let name: string | null = null;
  for (const m of before.matchAll(/\b(?:class|struct)\s+(?:alignas\s*\([^()]*\)\s*)?([A-Za-z_]\w*)[^;{}()]*\{/g)) name = m[1];
  return name ? `${name}::operator()` : null;
}

/** The element accessors a text defines, by method name (one found with two different shapes is left out). */
export function scanAccessors(text: string): Map<string, ElementAccessor> {
  const out = new Map<string, ElementAccessor | null>();
  if (!text.includes('return')) return new Map();
  BODY.lastIndex = 0;
  for (let m = BODY.exec(text); m; m = BODY.exec(text)) {
    const head = HEAD.exec(text.slice(Math.max(0, m.index - 240), m.index));
    if (!head) continue;
    const [, quals, type, , name, i, j] = head;
    if (NOT_TYPES.has(type) || NOT_TYPES.has(name) || QUALIFIERS.has(type) || i === j) continue;
    if (quals.split(/\s+/).some((q) => q && !QUALIFIERS.has(q) && !/^[A-Za-z_][\w:]*$/.test(q))) continue;
    // (`data_[i][j]`: rows apart by a row's length, as `data_[i * cols_ + j]`; `data_[j][i]` column-major)
    const order = m[3] !== undefined ? (m[2].trim() === i && m[3] === j ? false : m[2].trim() === j && m[3] === i ? true : null) : indexOrder(m[2], i, j);
    if (order === null) continue;
    // (defined outside its class: `double& Matrix::at(...)`, `double& Matrix::operator()(...)`)
    const [owner, method] = name.includes('::') ? name.split(/\s*::\s*/) : [null, name];
    const key = /^operator\s*\(/.test(method) ? (owner ? `${owner}::operator()` : enclosingClass(text, m.index)) : method;
    if (!key) continue;
    const found = { type: type.replace(/\s+/g, ''), columnMajor: order };
    const had = out.get(key);
    out.set(key, had === undefined ? found : had && had.type === found.type && had.columnMajor === found.columnMajor ? had : null);
  }
  const sure = new Map<string, ElementAccessor>();
  for (const [name, a] of out) if (a) sure.set(name, a);
  return sure;
}

// `[const] std::vector<T> &[Class::]operator[](int i) [const] { [assert(...);] return [this->]rows[i]; }` or its
// declaration in the class (`...operator[](int i) const;`): a class that hands out whole rows by reference
const ROW_OPERATOR = /(?:^|[\s;{}])(?:const\s+)?(?:std\s*::\s*)?vector\s*<\s*(?:const\s+)?([A-Za-z_][\w:]*)\s*>\s*&\s*(?:([A-Za-z_]\w*)\s*::\s*)?operator\s*\[\s*\]\s*\(([^()]*)\)\s*(?:const\s*)?(?:noexcept\s*)?(;|\{\s*(?:assert\s*\([^;{}]*\)\s*;\s*)*return\s+(?:this\s*->\s*)?[A-Za-z_]\w*\s*\[\s*([A-Za-z_]\w*)\s*\]\s*;\s*\})/g;

/**
 * Classes whose `operator[]` returns one row of a member table (`std::vector<double> &operator[](int i) { return
 * data[i]; }`), as the table of rows they index like: `m[k][j]` on such an object is `data[k][j]`.
 */
export function scanRowClasses(text: string): Map<string, string> {
  const out = new Map<string, string>();
  if (!text.includes('operator')) return out;
  ROW_OPERATOR.lastIndex = 0;
  for (let m = ROW_OPERATOR.exec(text); m; m = ROW_OPERATOR.exec(text)) {
    const param = /([A-Za-z_]\w*)\s*$/.exec(m[3].trim())?.[1];
    if (m[4] !== ';' && (!param || m[5] !== param)) continue;
    const owner = m[2] ?? enclosingClass(text, m.index)?.replace(/::operator\(\)$/, '');
    if (owner) out.set(owner, `std::vector<std::vector<${m[1]}>>`);
  }
  return out;
}
