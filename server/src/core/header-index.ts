// The kernels and launch wrappers of the headers a file includes (ANALYSIS.md §0, "Interprocedural"): a
// driver calling `encoder_forward(...)` from `llmc/encoder.cuh` sees what that launches when it is checked
// alone (an editor with one file open, `check train.cu`), as the CLI's first pass gives it for a whole
// project. Each header's facts are made once per text; the index for one set of headers is kept while
// their facts are the same objects, so the rules' caches keyed by it hold across keystrokes.
import type { FileFacts } from './facts/model';
import { LAUNCHES, ProjectIndex } from './project';

/** Headers kept (their facts), most recently used last. */
const MAX_HEADERS = 200;
/** Bigger headers are libraries (a vendored cutlass file), not a project's wrappers. */
const MAX_HEADER_CHARS = 512 * 1024;

export class HeaderIndex {
  private readonly byPath = new Map<string, { text: string; facts: FileFacts | null }>();
  private last: { parts: (FileFacts | null)[]; project: ProjectIndex | null } | null = null;
  /** Set while a header's own facts are made: its includes are not indexed again (cycles, depth). */
  private busy = false;

  /** `factsOf(path, text)`: a header's facts (null when it cannot be read as C/C++/CUDA). */
  constructor(private readonly factsOf: (path: string, text: string) => FileFacts | null) {}

  /** The index of what `headers` define, or null when none launches anything (or while a header is being read). */
  projectOf(headers: readonly string[], read: (path: string) => string | null): ProjectIndex | null {
    if (this.busy || headers.length === 0) return null;
    const parts = headers.map((path) => this.factsFor(path, read(path)));
    const last = this.last;
    if (last && last.parts.length === parts.length && last.parts.every((p, i) => p === parts[i])) return last.project;
    let project: ProjectIndex | null = null;
    for (const facts of parts) if (facts) (project ??= new ProjectIndex()).add(facts);
    this.last = { parts, project };
    return project;
  }

  private factsFor(path: string, text: string | null): FileFacts | null {
    if (text === null || text.length > MAX_HEADER_CHARS || !LAUNCHES.test(text)) return null;
    const known = this.byPath.get(path);
    if (known && known.text === text) {
      this.byPath.delete(path); // kept as the most recently used
      this.byPath.set(path, known);
      return known.facts;
    }
    this.busy = true;
    let facts: FileFacts | null = null;
    try {
      facts = this.factsOf(path, text);
    } catch {
      facts = null; // a header that cannot be read adds nothing
    } finally {
      this.busy = false;
    }
    this.byPath.delete(path);
    this.byPath.set(path, { text, facts });
    if (this.byPath.size > MAX_HEADERS) this.byPath.delete(this.byPath.keys().next().value!);
    return facts;
  }
}
