// The kernels and launch wrappers of the headers a file includes (ANALYSIS.md §0, "Interprocedural"): a
// driver calling `encoder_forward(...)` from `llmc/encoder.cuh` sees what that launches when it is checked
// alone (an editor with one file open, `check train.cu`), as the CLI's first pass gives it for a whole
// project. Each header's facts are made once per text; the index for one set of headers is kept while
// their facts are the same objects, so the rules' caches keyed by it hold across keystrokes.
import type { FileFacts } from './facts/model';
import { DEFINES_KERNELS, LAUNCHES, ProjectIndex } from './project';

/** Headers a file's index reads at most (its first ones, as included): the rest are left out. */
const MAX_INCLUDED = 24;
/** Headers kept (their facts), most recently used last. */
const MAX_HEADERS = 200;
/** Bigger headers are libraries (a vendored cutlass file, a generated op table), not a project's wrappers; reading one would hold up the editor. */
const MAX_HEADER_CHARS = 128 * 1024;

export class HeaderIndex {
  private readonly byPath = new Map<string, { text: string; facts: FileFacts | null }>();
  private last: { parts: (FileFacts | null)[]; project: ProjectIndex | null } | null = null;
  /** Headers whose own facts are being made (nested where a header's includes are indexed too): their includes get no index of their own. */
  private making = 0;
  /** The engine's settings (include paths, build flags, budgets) the kept facts were made under. */
  private generation = -1;

  /** `make(path, text)`: a header's facts (null when it cannot be read as C/C++/CUDA). */
  constructor(private readonly make: (path: string, text: string) => FileFacts | null) {}

  /** Drops what other settings made: a header's facts hang on its includes and `-D` flags too. */
  under(generation: number): this {
    if (generation !== this.generation) {
      this.byPath.clear();
      this.last = null;
      this.generation = generation;
    }
    return this;
  }

  /** The index of what `headers` define, or null when none launches anything (or while a header is being read). */
  projectOf(headers: readonly string[], read: (path: string) => string | null): ProjectIndex | null {
    if (this.making > 0 || headers.length === 0) return null;
    const parts = headers.slice(0, MAX_INCLUDED).map((path) => this.factsOf(path, read(path)));
    const last = this.last;
    if (last && last.parts.length === parts.length && last.parts.every((p, i) => p === parts[i])) return last.project;
    let project: ProjectIndex | null = null;
    for (const facts of parts) if (facts) (project ??= new ProjectIndex()).add(facts);
    this.last = { parts, project };
    return project;
  }

  /** A header's facts, made once per text; null where it launches and defines no kernel (or is too big, or cannot be read). */
  factsOf(path: string, text: string | null): FileFacts | null {
    if (text === null || text.length > MAX_HEADER_CHARS) return null;
    const known = this.byPath.get(path);
    if (known && known.text === text) {
      this.byPath.delete(path); // kept as the most recently used
      this.byPath.set(path, known);
      return known.facts;
    }
    // (one that launches and defines no kernel is kept as such, not searched again on every keystroke)
    if (!LAUNCHES.test(text) && !DEFINES_KERNELS.test(text)) return this.keep(path, text, null);
    this.making++;
    let facts: FileFacts | null = null;
    try {
      facts = this.make(path, text);
    } catch {
      facts = null; // a header that cannot be read adds nothing
    } finally {
      this.making--;
    }
    return this.keep(path, text, facts);
  }

  private keep(path: string, text: string, facts: FileFacts | null): FileFacts | null {
    this.byPath.delete(path);
    this.byPath.set(path, { text, facts });
    if (this.byPath.size > MAX_HEADERS) this.byPath.delete(this.byPath.keys().next().value!);
    return facts;
  }
}
