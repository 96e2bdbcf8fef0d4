// Finds the folder that holds grammars/ and knowledge/. They sit next to the bundle
// (dist/ -> ..), next to the sources in development (server/src/core -> ../../..),
// or inside the installed .vsix; we walk up from this file until both are found.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

let cached: string | undefined;

export function assetRoot(): string {
  if (cached) return cached;
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'knowledge')) && existsSync(join(dir, 'grammars'))) return (cached = dir);
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new Error(`Kernel Advisor could not find its grammars/ and knowledge/ folders near ${__dirname}; reinstall the package or run \`npm run build\`.`);
}

export const grammarPath = (file: string) => join(assetRoot(), 'grammars', file);
export const knowledgePath = (file: string) => join(assetRoot(), 'knowledge', file);
