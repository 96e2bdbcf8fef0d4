// Structural equality of facts. An edit that changes a function's text but not what
// was read from it (a word typed in a comment) gives facts equal to the old ones: the
// old object is kept, so everything cached by its identity (findings, derived facts)
// stays valid. Facts are plain data: objects, arrays, Maps, Sets and small classes
// (Poly, which says itself what counts) of them, without cycles.

/** Whether `a` and `b` hold the same data (same classes, same keys, same values, in order for arrays). */
export function sameData(a: unknown, b: unknown, depth = 0): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return Number.isNaN(a) && Number.isNaN(b);
  if (depth > 64 || Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  // (a class that keeps memos in itself, Poly, says what counts)
  if (typeof (a as { sameAs?: unknown }).sameAs === 'function') return (a as { sameAs(o: unknown): boolean }).sameAs(b);
  if (Array.isArray(a)) {
    const y = b as unknown[];
    if (a.length !== y.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameData(a[i], y[i], depth + 1)) return false;
    return true;
  }
  if (a instanceof Map) {
    const y = b as Map<unknown, unknown>;
    if (a.size !== y.size) return false;
    for (const [k, v] of a) if (!y.has(k) || !sameData(v, y.get(k), depth + 1)) return false;
    return true;
  }
  if (a instanceof Set) {
    const y = b as Set<unknown>;
    if (a.size !== y.size) return false;
    for (const v of a) if (!y.has(v)) return false; // (sets of facts hold names and numbers)
    return true;
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const keys = Object.keys(x);
  if (keys.length !== Object.keys(y).length) return false;
  for (const k of keys) if (!Object.prototype.hasOwnProperty.call(y, k) || !sameData(x[k], y[k], depth + 1)) return false;
  return true;
}
