// A memo of a pure function of a string, for the names and lines asked about on every edit:
// bounded (cleared when full), so a long session over many files does not keep every string
// it ever saw. And the last two results of a per-file computation, for an edit undone.

export function boundedMemo<V>(compute: (key: string) => V, max: number): (key: string) => V {
  const known = new Map<string, V>();
  return (key) => {
    let value = known.get(key);
    if (value === undefined) {
      if (known.size >= max) known.clear();
      known.set(key, (value = compute(key)));
    }
    return value;
  };
}

/**
 * The last two results of a computation over a version of a file, each with what it was computed from: an edit
 * undone (a line typed above functions, then deleted, gives back their facts objects) finds the one before the last.
 */
export function lastTwo<K, V>(): { find(same: (from: K) => boolean): V | undefined; keep(from: K, value: V): V } {
  let kept: { from: K; value: V }[] = [];
  return {
    find(same) {
      const i = kept.findIndex((k) => same(k.from));
      if (i > 0) kept = [kept[i], kept[0]];
      return i < 0 ? undefined : kept[0].value;
    },
    keep(from, value) {
      kept = [{ from, value }, ...kept.slice(0, 1)];
      return value;
    },
  };
}
