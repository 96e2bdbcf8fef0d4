// Where a rule's documentation page lives. The pages are docs/rules/<rule id>.md in the
// repository and in the installed package; the link is the repository's copy when
// package.json names a repository (stable for CI logs and code-scanning UIs), else the
// copy shipped beside the bundle (a file: URI, which editors open offline).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { assetRoot } from '../core/assets';

type Repository = string | { url?: string } | undefined;

let ownRepository: { value: Repository } | undefined;
/** package.json's optional "repository", read from the file beside the bundle (a JSON import of a field that may be absent does not type-check). */
function packageRepository(): Repository {
  if (!ownRepository) {
    try {
      ownRepository = { value: JSON.parse(readFileSync(join(assetRoot(), 'package.json'), 'utf8')).repository };
    } catch {
      ownRepository = { value: undefined };
    }
  }
  return ownRepository.value;
}

/** The repository page path of a rule's documentation, relative to the repository root. */
export const rulePagePath = (ruleId: string) => `docs/rules/${ruleId}.md`;

/** package.json's "repository" as a web address ("github:o/n", "git+https://…/n.git", "git@host:o/n.git" → https://…), or null. */
export function repositoryWebUrl(repository: Repository = packageRepository()): string | null {
  const raw = typeof repository === 'string' ? repository : repository?.url;
  if (!raw) return null;
  let url = raw.trim();
  const short = /^(?:(github|gitlab|bitbucket):)?([\w.-]+\/[\w.-]+)$/.exec(url);
  if (short) url = `https://${short[1] ?? 'github'}.${short[1] === 'bitbucket' ? 'org' : 'com'}/${short[2]}`;
  url = url.replace(/^git\+/, '').replace(/^git@([^:]+):/, 'https://$1/').replace(/^(?:git|ssh):\/\/(?:git@)?/, 'https://');
  url = url.replace(/\.git$/, '').replace(/\/+$/, '');
  return /^https?:\/\/\S+$/.test(url) ? url : null;
}

/** The rule's page in the repository (`<repo>/blob/main/docs/rules/<id>.md`), or null when package.json names no repository. */
export function ruleRepositoryUrl(ruleId: string, repository?: Repository): string | null {
  const repo = repository === undefined ? repositoryWebUrl() : repositoryWebUrl(repository);
  return repo ? `${repo}/blob/main/${rulePagePath(ruleId)}` : null;
}

const pageUrls = new Map<string, string | null>();
/** The link a rule id opens: the repository's page, else the page shipped with the package, else null (no docs/ folder). */
export function rulePageUrl(ruleId: string): string | null {
  let url = pageUrls.get(ruleId);
  if (url === undefined) pageUrls.set(ruleId, (url = findRulePage(ruleId))); // every diagnostic asks, on every keystroke
  return url;
}

function findRulePage(ruleId: string): string | null {
  const remote = ruleRepositoryUrl(ruleId);
  if (remote) return remote;
  try {
    const local = join(assetRoot(), rulePagePath(ruleId));
    return existsSync(local) ? pathToFileURL(local).href : null;
  } catch {
    return null;
  }
}
