// A memo of a pure function of a string, for the names and lines asked about on every edit:
// bounded (cleared when full), so a long session over many files does not keep every string
// it ever saw.

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
