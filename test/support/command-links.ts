// How VS Code reads a hover's command link (openerService's CommandOpener): the link is
// parsed as a URI (its query percent-decoded), then the query decoded again and read as JSON.

/** The target of a hover's Explain link, if it ends on one. */
export const explainLink = (md: string): string | undefined => /\]\((command:kernelAdvisor\.explainRule\?[^)]+)\)$/.exec(md)?.[1];

/** The arguments VS Code runs a command link with. */
export function linkArgs(link: string): unknown[] {
  const query = decodeURIComponent(link.slice(link.indexOf('?') + 1));
  let args: unknown;
  try {
    args = JSON.parse(decodeURIComponent(query));
  } catch {
    args = JSON.parse(query);
  }
  return Array.isArray(args) ? args : [args];
}
