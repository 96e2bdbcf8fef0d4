// Explicit instantiations (`template __global__ void k<4>(const float*, int);`, `template void
// run<16, 64>(int, float*);`): the template arguments a translation unit builds a kernel or a
// launcher with when no launch in sight names them (the launch sits behind a pointer, in another
// language, or in the launcher's own template). Template bindings read them as they read a launch's
// `k<4><<<...>>>`, and a launcher's forwarded launches are read at them (core/project.ts).
import type { CallFact } from './model';
import { lineScan } from '../line-scans';

/** `template` not followed by `<` (a definition's header), then the declaration up to `name<args>(`. */
const INSTANTIATION = /^[ \t]*(?:extern[ \t]+)?template[ \t]+(?!<)(?:[^;{}()<>]|<[^;{}()<>]*>)*?\b([A-Za-z_]\w*)[ \t]*<((?:[^<>;{}()]|<[^<>;{}()]*>)*)>[ \t]*\(/gm;

/** `template` before something other than `<`, on one line: where an instantiation may start. */
const MAY_INSTANTIATE = /\btemplate[ \t]+[^<\s]/;
/** Whether any line has one (kept across edits of lines that have none, before and after). */
const instantiatesOn = (line: string): boolean => line.includes('template') && MAY_INSTANTIATE.test(line);
const mayInstantiate = lineScan((line) => !instantiatesOn(line), (lines) => lines.some(instantiatesOn));

/** Splits template arguments at their top-level commas. */
function splitArgs(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '<' || ch === '(') depth++;
    else if (ch === '>' || ch === ')') depth--;
    else if (ch === ',' && depth === 0) {
      out.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(text.slice(start).trim());
  return out.filter((a) => a.length > 0);
}

/** The file's explicit instantiations of function templates, as calls with their template arguments (no run-time arguments). */
export function explicitInstantiations(text: string, constants: ReadonlyMap<string, number>, lines?: readonly string[]): CallFact[] {
  if (lines ? !mayInstantiate(lines) : !MAY_INSTANTIATE.test(text)) return [];
  const out: CallFact[] = [];
  let lineStart = 0;
  let line = 0;
  for (const m of text.matchAll(INSTANTIATION)) {
    // (the line of the match, counted from the last one)
    for (let i = text.indexOf('\n', lineStart); i >= 0 && i < m.index; i = text.indexOf('\n', i + 1)) {
      line++;
      lineStart = i + 1;
    }
    const args = splitArgs(m[2]);
    const values = args.map((a) => (/^-?\d+$/.test(a) ? Number(a) : constants.get(a) ?? null));
    const column = m.index + m[0].indexOf(m[1]) - lineStart;
    const at = { start: { line, column }, end: { line, column: column + m[1].length } };
    out.push({
      kind: 'call', name: m[1], range: at, nameRange: at, args: [], argRoots: [], loops: [], scopes: [],
      templateArgs: args, ...(values.some((v) => v !== null) ? { templateValues: values } : {}),
    });
    if (out.length >= 256) break;
  }
  return out;
}
