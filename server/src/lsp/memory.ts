// Memory given back after a burst of work. Opening many files at once (a folder, a
// session restore) allocates far more than it keeps: each document's facts are kept only
// while it has a tree (see releaseFacts), but V8 keeps the heap at the size the burst
// needed, and never shrinks it while the server waits for the next message (its memory
// reducer runs on idle notifications Node does not send). 50 open 1,000-line files: the
// heap holds about 30 MB of live objects in about 115 MB. Full collections when the server
// falls idle after such a burst give about 40 MB back (70 ms here). Typing in one file does
// not grow the heap this way (its garbage dies young), so this runs after bursts only.
import { getHeapSpaceStatistics, getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Heap growth since the last collection (or start) that makes an idle moment worth one. */
const GROWTH_BYTES = 32 * 1024 * 1024;
/** How long the server must have had nothing to do: a message arriving meanwhile postpones it. */
const IDLE_MS = 100;

let collector: (() => void) | null | undefined;

/** V8's own full collection, made callable once: null where the runtime does not allow it. */
function fullCollection(): (() => void) | null {
  if (collector === undefined) {
    try {
      setFlagsFromString('--expose-gc'); // takes effect for contexts created from now on
      const gc: unknown = runInNewContext('typeof gc === "function" ? gc : null');
      collector = typeof gc === 'function' ? (gc as () => void) : null;
    } catch {
      collector = null;
    }
  }
  return collector;
}

/** Sets a V8 flag where the runtime has it. */
const setFlag = (flag: string) => {
  try {
    setFlagsFromString(flag);
  } catch {
    // a runtime without the flag
  }
};

const committed = (): number => getHeapStatistics().total_heap_size;

/**
 * The young generation's size at which it stops growing. V8 doubles it up to 32 MB while a
 * burst keeps objects alive (the facts of files opened together), and keeps it at that size
 * for good: with 50 open files, 30 MB of RSS that holds nothing between two messages. Its
 * ceiling is fixed at start-up (`--max-semi-space-size`, which editors launching the server
 * do not pass), but its growth factor is read at each growth: the server sets it to 1 once
 * the young generation has reached this size, and back to 2 should V8 shrink it. Measured
 * here (50 open 1,000-line files; one-character edits of a 5,000-line file): 16 MB gave
 * 172-190 MB of RSS instead of 205, with edits as fast as before; no growth at all (2 MB)
 * gave 171 MB but slowed each edit by about 4 ms.
 */
const YOUNG_CAP_BYTES = 16 * 1024 * 1024;

let growthFactor = 0;

/** Keeps the young generation at or below YOUNG_CAP_BYTES (see there); cheap enough to call after every piece of work. */
export function capYoungGeneration(): void {
  const young = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size;
  if (young === undefined) return;
  const factor = young >= YOUNG_CAP_BYTES ? 1 : 2;
  if (factor === growthFactor) return;
  try {
    setFlagsFromString(`--semi-space-growth-factor=${factor}`);
  } catch {
    // a runtime without the flag: the young generation grows as V8 decides
  }
  growthFactor = factor;
}

export class IdleCompaction {
  private timer: NodeJS.Timeout | null = null;
  private baseline = committed();

  /** Collections made (tests read it). */
  collections = 0;

  /** Told the heap's committed bytes around each collection, and its time (the trace log). */
  constructor(private readonly onCollect?: (c: { before: number; after: number; ms: number }) => void) {}

  /** Work arrived: an idle collection waiting to run waits for the next idle moment. */
  busy(): void {
    capYoungGeneration();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** The server has nothing queued: after IDLE_MS of that, collect once if a burst grew the heap. */
  idle(): void {
    this.busy();
    if (committed() - this.baseline < GROWTH_BYTES) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      const gc = fullCollection();
      if (!gc) return;
      const before = committed();
      const started = performance.now();
      // the first collection frees the burst's garbage; the pages it leaves empty go back in the second. Both
      // compact: V8's own choice moves only the emptiest pages and left the old space half empty (60 MB holding
      // 30) after 50 files opened; compacted, the heap went from 88 to 57 MB and the RSS from 193-208 to 179-184 MB
      setFlag('--compact-on-every-full-gc');
      try {
        gc();
        gc();
      } finally {
        setFlag('--no-compact-on-every-full-gc');
      }
      this.collections++;
      this.baseline = committed();
      this.onCollect?.({ before, after: this.baseline, ms: performance.now() - started });
    }, IDLE_MS);
    this.timer.unref();
  }

  dispose(): void {
    this.busy();
  }
}
