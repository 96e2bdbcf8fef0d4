// One finding per cause, not per access: a stencil reads `in` at 17 offsets with the same
// stride, and 17 warnings would bury the one thing to change. The first access carries the
// finding; the others are its related locations, and the message counts them.
import type { RuleFinding } from '../../core/types';

interface Group { finding: RuleFinding; more: number; array: string }

export class AlikeFindings {
  private readonly groups = new Map<string, Group>();
  private readonly order: Group[] = [];

  /**
   * `key` names the cause (the array and what is wrong with it); `also` is the related
   * line's text when an earlier access already has the finding.
   */
  add(key: string, array: string, finding: RuleFinding, also: string): void {
    const g = this.groups.get(key);
    if (!g) {
      const made = { finding, more: 0, array };
      this.groups.set(key, made);
      this.order.push(made);
      return;
    }
    g.more++;
    (g.finding.related ??= []).push({ range: finding.range, message: also });
  }

  has(line: number, column: number): boolean {
    return this.order.some((g) => (g.finding.range.start.line === line && g.finding.range.start.column === column) ||
      (g.finding.related ?? []).some((r) => r.range.start.line === line && r.range.start.column === column));
  }

  list(): RuleFinding[] {
    return this.order.map(({ finding, more, array }) =>
      more === 0 ? finding : { ...finding, message: `${finding.message} (and ${more} more access${more > 1 ? 'es' : ''} of \`${array}\` like it)` });
  }
}
