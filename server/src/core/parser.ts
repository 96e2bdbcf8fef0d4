// Loads the tree-sitter grammars (WASM) once and parses with a time limit. Trees live on
// the WASM heap, which the JS garbage collector does not see: whoever gets a Tree from
// here must call tree.delete() when done with it.
import { Language, Parser, type Tree } from 'web-tree-sitter';
import { extname } from 'node:path';
import { grammarPath } from './assets';
import type { SourceLanguage } from './types';

export type GrammarName = 'cuda' | 'cpp' | 'python';

const CUDA_EXTENSIONS = new Set(['.cu', '.cuh']);
const CPP_EXTENSIONS = new Set(['.cpp', '.cc', '.cxx', '.c', '.h', '.hpp', '.hh']);

/** Does this C/C++ text use CUDA syntax? Decides the grammar only, not any finding. */
const CUDA_SYNTAX = /__global__|__device__|__shared__|<<<|\bthreadIdx\b/;
/** A Python file is analysed only when it imports triton. */
const TRITON_IMPORT = /^\s*(?:import\s+triton\b|from\s+triton\b)/m;

export function isAnalysableExtension(path: string): boolean {
  const ext = extname(path).toLowerCase();
  return CUDA_EXTENSIONS.has(ext) || CPP_EXTENSIONS.has(ext) || ext === '.py';
}

/**
 * The language a file is analysed as, or null when it is not ours (plain Python). The
 * extension decides; without a known one (untitled buffers) the editor's language id does.
 */
export function detectLanguage(path: string, text: string, languageId?: string): SourceLanguage | null {
  const ext = extname(path).toLowerCase();
  if (CUDA_EXTENSIONS.has(ext) || (!isAnalysableExtension(path) && languageId === 'cuda-cpp')) return 'cuda';
  if (CPP_EXTENSIONS.has(ext) || (!isAnalysableExtension(path) && (languageId === 'cpp' || languageId === 'c'))) return CUDA_SYNTAX.test(text) ? 'cuda' : 'cpp';
  if (ext === '.py' || (!isAnalysableExtension(path) && languageId === 'python')) return TRITON_IMPORT.test(text) ? 'triton' : null;
  return null;
}

export function grammarFor(lang: SourceLanguage): GrammarName {
  return lang === 'triton' ? 'python' : lang;
}

export class ParseTimeout extends Error {}

/**
 * One parser per grammar. Each grammar costs about 10 MB once loaded, so the server
 * loads a grammar when the first file that needs it opens (`ensure`); the CLI loads all.
 */
export class Parsers {
  private readonly loading = new Map<GrammarName, Promise<void>>();
  private constructor(private readonly parsers: Map<GrammarName, Parser>) {}

  static async load(grammars: readonly GrammarName[] = ['cuda', 'cpp', 'python']): Promise<Parsers> {
    await Parser.init({ locateFile: () => grammarPath('web-tree-sitter.wasm') });
    const parsers = new Parsers(new Map());
    for (const name of grammars) await parsers.ensure(name);
    return parsers;
  }

  has(grammar: GrammarName): boolean {
    return this.parsers.has(grammar);
  }

  ensure(grammar: GrammarName): Promise<void> {
    let p = this.loading.get(grammar);
    if (!p) {
      p = Language.load(grammarPath(`${grammar}.wasm`)).then((lang) => {
        this.parsers.set(grammar, new Parser().setLanguage(lang));
      });
      this.loading.set(grammar, p);
    }
    return p;
  }

  /**
   * Parses `text`; `oldTree` (already edited with tree.edit) makes it incremental.
   * Throws ParseTimeout when the grammar takes longer than `timeoutMs`.
   */
  parse(grammar: GrammarName, text: string, oldTree?: Tree | null, timeoutMs = 2000): Tree {
    const parser = this.parsers.get(grammar);
    if (!parser) throw new Error(`the ${grammar} grammar is not loaded`);
    const deadline = performance.now() + timeoutMs;
    let timedOut = false;
    const tree = parser.parse(text, oldTree ?? null, {
      progressCallback: () => {
        if (performance.now() > deadline) timedOut = true;
        return timedOut;
      },
    } as never);
    if (!tree || timedOut) {
      tree?.delete();
      parser.reset();
      throw new ParseTimeout(`parsing took longer than ${timeoutMs} ms`);
    }
    return tree;
  }
}
