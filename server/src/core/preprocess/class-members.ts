// Data members of the classes and structs a header declares (`std::vector<std::vector<double>> weights;`,
// `float* data;`), by class, with each member's type as written: a method defined in the including file
// (`void Layer::backprop(...)` reading `weights[j][k]`) reads them as the class's buffers. Read from the
// text at a glance (one level of members, methods' bodies skipped), as the preprocessing view reads headers.

/** Characters of a class body the scan reads before it gives up on it. */
const MAX_BODY = 20000;
const HEAD = /\b(?:class|struct)\s+([A-Za-z_]\w*)\s*(?::[^{;]*)?\{/g;
/** A member declaration at the body's own level: a type, then names, then `;` (no parentheses: no method, no call). */
const MEMBER = /^\s*(?:mutable\s+)?((?:const\s+)?[A-Za-z_][\w:]*(?:\s*<[^;(){}]*>)?(?:\s*\*)?)\s*((?:\*?\s*[A-Za-z_]\w*\s*,\s*)*\*?\s*[A-Za-z_]\w*)\s*;\s*$/;

/** Each class of `text` with its data members' types (`*` appended for a pointer member). */
export function scanClassMembers(text: string): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  if (!text.includes('class') && !text.includes('struct')) return out;
  HEAD.lastIndex = 0;
  for (let m = HEAD.exec(text); m; m = HEAD.exec(text)) {
    // the body's own level: statements between `;`, `{` and `}` at depth 1 (methods' bodies and nested types skipped)
    let depth = 1;
    let statement = '';
    const members = new Map<string, string>();
    const end = Math.min(text.length, m.index + m[0].length + MAX_BODY);
    for (let i = m.index + m[0].length; i < end && depth > 0; i++) {
      const ch = text[i];
      if (ch === '{') depth++;
      else if (ch === '}') { depth--; statement = ''; continue; }
      if (depth !== 1) continue;
      if (ch === '{') { statement = ''; continue; }
      statement += ch;
      if (ch !== ';') continue;
      const line = statement.replace(/\/\/[^\n]*|\/\*[\s\S]*?\*\//g, ' ').replace(/^[\s\S]*\b(?:public|private|protected)\s*:/, '').replace(/\s+/g, ' ');
      statement = '';
      const d = MEMBER.exec(line);
      if (!d || /^(?:return|using|typedef|friend|static|virtual)\b/.test(d[1].trim())) continue;
      const type = d[1].trim();
      for (const part of d[2].split(',')) {
        const name = part.replace(/[*\s]/g, '');
        if (name) members.set(name, type.endsWith('*') || part.includes('*') ? `${type.replace(/\s*\*$/, '')}*` : type);
      }
    }
    if (members.size && !out.has(m[1])) out.set(m[1], members);
  }
  return out;
}
