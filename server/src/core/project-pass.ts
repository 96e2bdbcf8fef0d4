// The project pass that runs before a folder's files are analysed (the CLI's first pass, and the evaluation's): the
// kernels and launch wrappers of the files that launch or define kernels, every file's uses of names, then the loops of the files that
// call the launching files' host functions (a driver's convergence loop over another file's `kmeansCuda`).
import type { Config } from './config';
import type { Engine } from './engine';
import { DEFINES_KERNELS, LAUNCHES } from './project';

/** Indexes `files` into the engine's project; `read` gives a file's text, or null where it cannot be read. */
export function indexProject(engine: Engine, files: readonly string[], read: (file: string) => string | null, config: Config, progress?: (done: number, total: number) => void): void {
  for (const [i, file] of files.entries()) {
    progress?.(i, files.length);
    const text = read(file);
    if (text === null) continue;
    // (and the files that only define kernels, `kernels.cu` beside the `train.cu` that declares and launches them)
    if (LAUNCHES.test(text) || DEFINES_KERNELS.test(text)) engine.indexText(file, text, config);
    engine.indexReferences(file, text);
  }
  for (const file of files) {
    const text = read(file);
    if (text !== null && !LAUNCHES.test(text) && !DEFINES_KERNELS.test(text) && engine.callsIndexedHosts(file, text)) engine.indexText(file, text, config, true);
  }
}
