// Comparing positions in a file (0-based line and column), for the rules and the core alike.
import type { Position, Range } from './types';

/** `a` comes strictly before `b`. */
export const positionBefore = (a: Position, b: Position): boolean => a.line < b.line || (a.line === b.line && a.column < b.column);

/** `p` lies within `r`, both ends included. */
export const rangeHolds = (r: Range, p: Position): boolean => !positionBefore(p, r.start) && !positionBefore(r.end, p);
