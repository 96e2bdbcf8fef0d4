// Analysis runs in short slices through the event loop, one document at a time in turn:
// between two slices the connection reads its next message, so a hover, a code action,
// another document or a newer version of the same one never waits for a whole file.

/** One slice of a job: 'again' when it has more to do (it is queued behind the others). */
export type Step = () => 'done' | 'again';

export class Scheduler {
  /** Pending jobs by key (a document URI); Map order is the turn order. */
  private readonly queue = new Map<string, Step>();
  private timer: NodeJS.Immediate | null = null;

  constructor(
    private readonly onError: (key: string, e: unknown) => void = () => undefined,
    /** Told when work is queued or goes on, and when the queue has run dry (see IdleCompaction). */
    private readonly activity: { busy(): void; idle(): void } = { busy: () => undefined, idle: () => undefined },
  ) {}

  /** Queues `step` for `key`, replacing a pending one (which keeps its turn). */
  schedule(key: string, step: Step): void {
    this.queue.set(key, step);
    this.activity.busy();
    this.kick();
  }

  cancel(key: string): void {
    this.queue.delete(key);
  }

  has(key: string): boolean {
    return this.queue.has(key);
  }

  get pending(): number {
    return this.queue.size;
  }

  private kick(): void {
    this.timer ??= setImmediate(() => this.runOne());
  }

  private runOne(): void {
    this.timer = null;
    const next = this.queue.entries().next();
    if (next.done) return;
    const [key, step] = next.value;
    this.queue.delete(key);
    let result: 'done' | 'again' = 'done';
    try {
      result = step();
    } catch (e) {
      this.onError(key, e);
    }
    // a step may have been re-queued meanwhile (it never is synchronously, but keep the newer one)
    if (result === 'again' && !this.queue.has(key)) this.queue.set(key, step);
    if (this.queue.size) {
      this.activity.busy();
      this.kick();
    } else this.activity.idle();
  }
}
