// Macro expansion into a shadow text with a segment map back to the original.
// A C-preprocessor-like token scan (Prosser's algorithm with hide sets), iterative,
// bounded by output and expansion-count limits; never throws.
import { lexToken, glues, type Kind } from './lex';
import { tick } from '../budget';

/**
 * A macro definition. For a variadic macro the last entry of `params` collects the
 * extra arguments: '__VA_ARGS__' for `(a, ...)`, the name for GNU `(a, rest...)`.
 */
export interface MacroDef { name: string; params: string[] | null /* null = object-like */; variadic: boolean; body: string; }
/** Only `get` is called, so any object with a `get` (e.g. one falling back on builtinMacro) will do. */
export type MacroTable = ReadonlyMap<string, MacroDef>;
/** A piece of the expanded text and where it came from (offsets in the ORIGINAL text). */
export interface Segment { shadowStart: number; shadowEnd: number; origStart: number; origEnd: number; expanded: boolean }
export interface Expansion { text: string; segments: Segment[]; expandedAny: boolean; truncated: boolean }

type HideSet = ReadonlySet<string>;
/** sp: whitespace before the token (0 none, 1 space, 2 newline). blue: never expand again. ph: placemarker. */
interface Tok { k: Kind; t: string; sp: number; hide: HideSet | null; blue: boolean; ph?: boolean; va?: boolean }

class Limit extends Error {}
const MAX_DEPTH = 64;

interface Ctx { macros: MacroTable; expansions: number; produced: number; maxExp: number; maxOut: number }
interface Orig { text: string; pos: number; end: number }

const PASTE: Tok = { k: 'punct', t: '##', sp: 0, hide: null, blue: false };

function tokenize(text: string, start: number, end: number, newlines: boolean): Tok[] {
  const out: Tok[] = [];
  let sp = 0;
  let p = start;
  while (p < end) {
    const r = lexToken(text, p, end, true);
    if (r.end <= p) break;
    if (r.kind === 'ws' || r.kind === 'comment') {
      sp = Math.max(sp, newlines && text.slice(p, r.end).includes('\n') ? 2 : 1);
    } else {
      out.push({ k: r.kind, t: text.slice(p, r.end), sp, hide: null, blue: false });
      sp = 0;
    }
    p = r.end;
  }
  return out;
}

interface Prepared { body: Tok[]; index: Map<string, number>; vaIndex: number }
const prepared = new WeakMap<MacroDef, Prepared>();
function prepare(def: MacroDef): Prepared {
  let p = prepared.get(def);
  if (p) return p;
  const body = tokenize(String(def.body ?? ''), 0, String(def.body ?? '').length, false);
  if (body.length) body[0].sp = 0;
  const params = Array.isArray(def.params) ? def.params.slice() : [];
  if (def.variadic && !params.includes('__VA_ARGS__') && body.some(t => t.t === '__VA_ARGS__')) params.push('__VA_ARGS__');
  const index = new Map<string, number>();
  params.forEach((n, i) => index.set(n, i));
  p = { body, index, vaIndex: def.variadic ? params.length - 1 : -1 };
  prepared.set(def, p);
  return p;
}

function clone(t: Tok): Tok { return { k: t.k, t: t.t, sp: t.sp, hide: t.hide, blue: t.blue }; }

/** Reads tokens from the pending stack (top = end), then from the original text. */
class Cursor {
  pi: number;
  op: number;
  constructor(private pending: Tok[], private orig: Orig | null, private ctx: Ctx) {
    this.pi = pending.length - 1;
    this.op = orig ? orig.pos : 0;
  }
  next(): Tok | null {
    tick(); // the function's time budget covers its expansion (a BudgetExceeded ends it like a Limit)
    if (this.pi >= 0) {
      if (++this.ctx.produced > this.ctx.maxOut) throw new Limit(); // argument scans count as work
      return this.pending[this.pi--];
    }
    const o = this.orig;
    if (!o) return null;
    let sp = 0;
    while (this.op < o.end) {
      const r = lexToken(o.text, this.op, o.end);
      if (r.end <= this.op) return null;
      const s = o.text.slice(this.op, r.end);
      this.op = r.end;
      if (r.kind === 'ws' || r.kind === 'comment') { sp = Math.max(sp, s.includes('\n') ? 2 : 1); continue; }
      if (++this.ctx.produced > this.ctx.maxOut) throw new Limit();
      return { k: r.kind, t: s, sp: r.kind === 'directive' ? 2 : sp, hide: null, blue: false };
    }
    return null;
  }
  commit(): void {
    this.pending.length = this.pi + 1;
    if (this.orig) this.orig.pos = this.op;
  }
}

function split(flat: Tok[], braces: boolean, maxParts: number): Tok[][] {
  const parts: Tok[][] = [[]];
  let depth = 0;
  for (const t of flat) {
    if (t.k === 'punct') {
      if (t.t === '(' || (braces && (t.t === '[' || t.t === '{'))) depth++;
      else if (t.t === ')' || (braces && (t.t === ']' || t.t === '}'))) depth = Math.max(0, depth - 1);
      else if (t.t === ',' && depth === 0 && parts.length < maxParts) { parts.push([]); continue; }
    }
    parts[parts.length - 1].push(t);
  }
  return parts;
}

/** Collects a parenthesised argument list; null (nothing consumed) when there is none. */
function collectArgs(ctx: Ctx, def: MacroDef, pending: Tok[], orig: Orig | null): Tok[][] | null {
  const cur = new Cursor(pending, orig, ctx);
  const open = cur.next();
  if (!open || open.k !== 'punct' || open.t !== '(') return null;
  const flat: Tok[] = [];
  let depth = 0;
  for (;;) {
    const t = cur.next();
    if (!t) return null;
    if (t.k === 'punct') {
      if (t.t === '(') depth++;
      else if (t.t === ')') { if (depth === 0) break; depth--; }
    }
    flat.push(t);
  }
  const { index, vaIndex } = prepare(def);
  const np = index.size;
  let args: Tok[][];
  if (np === 0) {
    if (flat.length) return null;
    args = [];
  } else {
    const max = vaIndex >= 0 ? np : Infinity;
    args = split(flat, false, max);
    if (args.length > np) args = split(flat, true, max);
    if (args.length > np) return null;
    while (args.length < np) args.push([]);
  }
  cur.commit();
  return args;
}

function stringify(arg: Tok[]): string {
  let s = '';
  arg.forEach((t, i) => {
    if (i > 0 && t.sp) s += ' ';
    s += t.k === 'string' || t.k === 'char' ? t.t.replace(/[\\"]/g, '\\$&') : t.t;
  });
  return '"' + s + '"';
}

function expandArg(ctx: Ctx, arg: Tok[], depth: number): Tok[] {
  if (depth >= MAX_DEPTH) return arg.map(clone);
  const stack = arg.map(clone).reverse();
  return rescan(ctx, stack, null, depth + 1);
}

function subst(ctx: Ctx, def: MacroDef, name: Tok, args: Tok[][], depth: number): Tok[] {
  const { body, index, vaIndex } = prepare(def);
  const fn = def.params !== null;
  const pidx = (t: Tok | undefined): number => (fn && t && t.k === 'ident' ? index.get(t.t) ?? -1 : -1);
  const expanded: (Tok[] | undefined)[] = [];
  const out: Tok[] = [];
  for (let i = 0; i < body.length; i++) {
    const t = body[i];
    if (fn && t.k === 'punct' && t.t === '#' && pidx(body[i + 1]) >= 0) {
      out.push({ k: 'string', t: stringify(args[pidx(body[i + 1])]), sp: t.sp, hide: null, blue: false });
      i++;
      continue;
    }
    if (t.k === 'punct' && t.t === '##') { out.push(PASTE); continue; }
    const p = pidx(t);
    if (p >= 0) {
      const nearPaste = body[i - 1]?.t === '##' || body[i + 1]?.t === '##';
      const toks = nearPaste ? args[p] : (expanded[p] ??= expandArg(ctx, args[p], depth));
      if (toks.length === 0) {
        if (nearPaste) out.push({ k: 'ws', t: '', sp: 0, hide: null, blue: false, ph: true, va: p === vaIndex });
        continue;
      }
      toks.forEach((a, j) => { tick(); const c = clone(a); if (j === 0) c.sp = t.sp; out.push(c); });
      continue;
    }
    out.push(clone(t));
  }
  const res: Tok[] = [];
  for (let i = 0; i < out.length; i++) {
    const t = out[i];
    if (t !== PASTE) { res.push(t); continue; }
    const rhs = out[++i];
    const lhs = res.pop();
    if (!rhs) { if (lhs) res.push(lhs); continue; }
    if (!lhs || lhs.ph) { res.push(rhs); continue; }
    if (rhs.ph) { if (!(lhs.t === ',' && rhs.va)) res.push(lhs); continue; }
    const glued = lhs.t + rhs.t;
    const toks = tokenize(glued, 0, glued.length, false);
    if (toks.length) toks[0].sp = lhs.sp;
    for (let j = 1; j < toks.length; j++) toks[j].sp = lhs.t === ',' ? 1 : 0; // `, ## __VA_ARGS__` keeps `, x`
    res.push(...toks);
  }
  const hs = new Set(name.hide ?? []);
  hs.add(def.name);
  const merged = new Map<HideSet, HideSet>();
  const final: Tok[] = [];
  for (const t of res) {
    if (t.ph) continue;
    if (!t.hide) t.hide = hs;
    else if (t.hide !== hs) {
      let m = merged.get(t.hide);
      if (!m) { m = new Set([...t.hide, ...hs]); merged.set(t.hide, m); }
      t.hide = m;
    }
    final.push(t);
  }
  ctx.produced += final.length;
  if (ctx.produced > ctx.maxOut) throw new Limit();
  return final;
}

/** Expands the tokens on `pending` (a stack: next token at the end); may read on into `orig`. */
function rescan(ctx: Ctx, pending: Tok[], orig: Orig | null, depth: number): Tok[] {
  const out: Tok[] = [];
  while (pending.length) {
    const t = pending.pop()!;
    if (t.k === 'ident' && !t.blue) {
      const def = ctx.macros.get(t.t);
      if (def) {
        if (t.hide?.has(t.t)) { t.blue = true; out.push(t); continue; }
        const args = def.params === null ? [] : collectArgs(ctx, def, pending, orig);
        if (args) {
          if (++ctx.expansions > ctx.maxExp) throw new Limit();
          const r = subst(ctx, def, t, args, depth);
          if (r.length) r[0].sp = t.sp;
          for (let i = r.length - 1; i >= 0; i--) pending.push(r[i]);
          continue;
        }
      }
    }
    out.push(t);
  }
  return out;
}

function join(toks: Tok[]): string {
  let s = '';
  let prev: Tok | null = null;
  for (const t of toks) {
    if (prev) {
      if (t.k === 'directive' || prev.k === 'directive' || t.sp === 2) s += '\n';
      else if (t.sp === 1 || glues(prev.t, t.t)) s += ' ';
    }
    s += t.t;
    prev = t;
  }
  return s;
}

function nextIsParen(text: string, p: number, end: number): boolean {
  while (p < end) {
    const r = lexToken(text, p, end);
    if (r.end <= p) return false;
    if (r.kind !== 'ws' && r.kind !== 'comment') return r.kind === 'punct' && text.slice(p, r.end) === '(';
    p = r.end;
  }
  return false;
}

/** Expands macros in text.slice(start, end). Offsets in segments are absolute offsets into `text`; shadow offsets start at 0. */
export function expandMacros(text: string, start: number, end: number, macros: MacroTable,
  limits?: { maxOutput?: number; maxExpansions?: number }): Expansion {
  if (typeof text !== 'string') text = '';
  start = Math.max(0, Math.min(Number.isFinite(start) ? Math.floor(start) : 0, text.length));
  end = Math.max(start, Math.min(Number.isFinite(end) ? Math.floor(end) : text.length, text.length));
  const ctx: Ctx = {
    macros, expansions: 0, produced: 0,
    maxExp: limits?.maxExpansions ?? 20000,
    maxOut: limits?.maxOutput ?? Math.max(4 * (end - start), 65536),
  };
  const parts: string[] = [];
  const segments: Segment[] = [];
  let len = 0;
  let lastChar = '';
  let expandedAny = false;
  let truncated = false;
  const push = (s: string, origStart: number, origEnd: number, expanded: boolean): void => {
    const last = segments[segments.length - 1];
    if (!expanded && last && !last.expanded && last.origEnd === origStart) {
      last.shadowEnd += s.length; last.origEnd = origEnd;
    } else {
      if (!expanded && s.length === 0) return;
      segments.push({ shadowStart: len, shadowEnd: len + s.length, origStart, origEnd, expanded });
    }
    parts.push(s);
    len += s.length;
    if (s) lastChar = s[s.length - 1];
  };
  let copyFrom = start;
  let pos = start;
  while (pos < end) {
    const r = lexToken(text, pos, end);
    if (r.end <= pos) break;
    if (r.kind === 'ident') {
      let def: MacroDef | undefined;
      try { def = macros.get(text.slice(pos, r.end)); } catch { def = undefined; }
      if (def && (def.params === null || nextIsParen(text, r.end, end))) {
        let str: string | null = null;
        let lastTok = '';
        const orig: Orig = { text, pos: r.end, end };
        try {
          const name: Tok = { k: 'ident', t: text.slice(pos, r.end), sp: 0, hide: null, blue: false };
          const toks = rescan(ctx, [name], orig, 0);
          if (!(toks.length === 1 && toks[0] === name && orig.pos === r.end)) { str = join(toks); lastTok = toks.length ? toks[toks.length - 1].t : ''; }
          if (str !== null && len + str.length > ctx.maxOut) throw new Limit();
        } catch {
          truncated = true;
          break;
        }
        if (str !== null) {
          if (copyFrom < pos) push(text.slice(copyFrom, pos), copyFrom, pos, false);
          if (str === '' ? glues(lastChar, text.slice(orig.pos, orig.pos + 3)) : glues(lastChar, str.slice(0, 3))) str = ' ' + str;
          if (orig.pos < end && str.trim() && glues(lastTok, text.slice(orig.pos, orig.pos + 3))) str += ' ';
          push(str, pos, orig.pos, true);
          expandedAny = true;
          pos = copyFrom = orig.pos;
          continue;
        }
      }
    }
    pos = r.end;
  }
  if (copyFrom < end) push(text.slice(copyFrom, end), copyFrom, end, false);
  return { text: parts.join(''), segments, expandedAny, truncated };
}

/** Shadow index -> original index: inside an unexpanded segment 1:1; inside an expanded one, its origStart (or origEnd when `atEnd` is true, for end positions). */
export function toOriginal(segments: Segment[], shadowIndex: number, atEnd = false): number {
  const n = segments.length;
  if (n === 0) return Math.max(0, shadowIndex | 0);
  const i = Number.isFinite(shadowIndex) ? shadowIndex : 0;
  if (i <= segments[0].shadowStart && !(atEnd && i === segments[0].shadowStart && segments[0].shadowEnd === i)) {
    return segments[0].origStart;
  }
  // Largest k with shadowStart <= i (start) or shadowStart < i (end).
  let lo = 0, hi = n - 1, k = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = segments[mid].shadowStart;
    if (atEnd ? s < i : s <= i) { k = mid; lo = mid + 1; } else hi = mid - 1;
  }
  while (k > 0 && segments[k].shadowStart === segments[k].shadowEnd) k--;
  const seg = segments[k];
  if (i >= seg.shadowEnd) {
    return seg.expanded ? seg.origEnd : Math.min(seg.origEnd, seg.origStart + (i - seg.shadowStart));
  }
  if (!seg.expanded) return seg.origStart + (i - seg.shadowStart);
  return atEnd ? seg.origEnd : seg.origStart;
}
