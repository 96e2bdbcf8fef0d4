// Loads the tree-sitter grammars (WASM) once and parses with a time limit, in one go or
// in slices (startParse; test/parser-slices.test.ts checks that resuming gives the tree
// of a one-shot parse, as it does in web-tree-sitter 0.27.1). Trees live on
// the WASM heap, which the JS garbage collector does not see: whoever gets a Tree from
// here must call tree.delete() when done with it.
import { Language, Parser, type Tree } from 'web-tree-sitter';
import { extname } from 'node:path';
import { grammarPath } from './assets';
import type { SourceLanguage } from './types';
import { useBinding } from './mirror';
import { lineScan } from './line-scans';

export type GrammarName = 'cuda' | 'cpp' | 'python';

const CUDA_EXTENSIONS = new Set(['.cu', '.cuh']);
const CPP_EXTENSIONS = new Set(['.cpp', '.cc', '.cxx', '.c', '.h', '.hpp', '.hh']);

/** Does this C/C++ text use CUDA syntax? Decides the grammar only, not any finding. */
const CUDA_SYNTAX = /__global__|__device__|__shared__|<<<|\bthreadIdx\b/;
/**
 * A Python file is analysed only when it runs GPU work we read: it imports triton (`import triton`,
 * `import torch, triton`, `from triton import jit`), decorates a kernel with `@triton.jit` (a
 * notebook cell or tutorial snippet saved without its imports), or imports torch (`import torch`,
 * `from torch import nn`): a model's eager attention, its chains of elementwise ops and its
 * per-step `.item()` are what the Python rules read, with or without a Triton kernel beside them.
 */
/** A module that takes a sibling's names wholesale (`from .llama import *`, unsloth's model files) and calls `torch.` with them. */
const torchThroughStarImport = (text: string): boolean => /^[ \t]*from[ \t]+\.[\w.]*[ \t]+import[ \t]+\*/m.test(text) && /\btorch\.\w/.test(text);
const TRITON_IMPORT = /^[ \t]*(?:import[ \t]+(?:[\w.]+(?:[ \t]+as[ \t]+\w+)?[ \t]*,[ \t]*)*(?:triton|torch)\b|from[ \t]+(?:triton|torch)\b|@triton\.(?:jit|autotune|heuristics)\b)/m;

/** A header: what it declares, other files define. */
export const isHeaderPath = (path: string): boolean => /\.(?:h|hh|hpp|hxx|cuh)$/i.test(path);

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
  if (ext === '.py' || (!isAnalysableExtension(path) && languageId === 'python')) return TRITON_IMPORT.test(text) || torchThroughStarImport(text) ? 'triton' : null;
  return null;
}

/**
 * The grammars files of these paths may be parsed with, by extension (a C/C++ file is read
 * as CUDA when its text uses CUDA syntax): a batch run loads no other (each costs tens of ms).
 */
export function grammarsForPaths(paths: readonly string[]): GrammarName[] {
  const out = new Set<GrammarName>();
  for (const p of paths) {
    const ext = extname(p).toLowerCase();
    if (CUDA_EXTENSIONS.has(ext)) out.add('cuda');
    else if (CPP_EXTENSIONS.has(ext)) out.add('cuda').add('cpp');
    else if (ext === '.py') out.add('python');
  }
  return [...out];
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
    // Emscripten fills the options object with the module's exports: the fast tree copy uses them.
    const binding = { locateFile: () => grammarPath('web-tree-sitter.wasm') };
    await Parser.init(binding);
    useBinding(binding);
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
   * Parses `text`; `oldTree` (already edited with tree.edit) makes it incremental (`lines`: see startParse).
   * Throws ParseTimeout when the grammar takes longer than `timeoutMs`.
   */
  parse(grammar: GrammarName, text: string, oldTree?: Tree | null, timeoutMs = 2000, lines?: readonly string[]): Tree {
    const p = this.startParse(grammar, text, oldTree, timeoutMs, lines);
    const tree = p.step(Infinity); // a slice as long as the time limit
    if (tree) return tree;
    p.cancel();
    throw new ParseTimeout('the parse stopped before its end');
  }

  /**
   * A parse that runs in slices, so that a large file's first parse (hundreds of ms) never
   * holds up the server for longer than one slice. tree-sitter stops when the progress
   * callback says so and resumes where it stopped on the next parse call of the same
   * Parser with the same input (unless reset). Other parses run between two slices, so an
   * unfinished parse takes the grammar's shared Parser for itself and leaves a fresh one
   * in its place; a parse that finishes in its first slice (an incremental re-parse after
   * an edit, about 1 ms) costs no new Parser. `timeoutMs` counts the time spent in slices.
   * `text` and `oldTree` must stay as they are until the parse is done or cancelled. `lines`, the text's lines when
   * the caller keeps them across edits (an open document), tell at a glance whether it has a spelling to rewrite.
   */
  startParse(grammar: GrammarName, source: string, oldTree?: Tree | null, timeoutMs = 2000, lines?: readonly string[]): SlicedParse {
    const text = grammar === 'python' || (lines && !mayRewrite(lines))
      ? source
      : withoutStatementInvocations(withoutDefiningInvocations(withoutDeclaratorAttributes(withAlignas(withoutExportMacros(withoutTrailingDefineSpace(source))))));
    const shared = this.parsers.get(grammar);
    if (!shared) throw new Error(`the ${grammar} grammar is not loaded`);
    let own: Parser | null = null; // holds the unfinished parse between slices
    let spent = 0;
    let over = false;
    const end = () => {
      over = true;
      own?.delete();
      own = null;
    };
    return {
      step: (sliceMs) => {
        if (over) throw new Error('the parse is over');
        const parser = own ?? shared;
        const started = performance.now();
        const stopAt = started + Math.min(sliceMs, timeoutMs - spent);
        let tree: Tree | null;
        try {
          tree = parser.parse(text, oldTree ?? null, { progressCallback: () => performance.now() > stopAt } as never);
        } catch (e) {
          parser.reset();
          end(); // frees a Parser of its own
          throw e;
        }
        spent += performance.now() - started;
        if (tree) {
          end();
          return tree;
        }
        if (spent >= timeoutMs) {
          parser.reset(); // the shared one parses the next file from its start
          end();
          throw new ParseTimeout(`parsing took longer than ${timeoutMs} ms`);
        }
        if (!own) {
          own = shared;
          this.parsers.set(grammar, new Parser().setLanguage(shared.language));
        }
        return null;
      },
      cancel: () => {
        if (!over) end();
      },
      get spentMs() {
        return spent;
      },
    };
  }
}

/** A parse under way (Parsers.startParse). */
export interface SlicedParse {
  /** Parses for about `sliceMs` more: the tree when done (the caller deletes it), null when not yet. Throws ParseTimeout. */
  step(sliceMs: number): Tree | null;
  /** Abandons an unfinished parse and frees its Parser (nothing to do once it returned a tree or threw). */
  cancel(): void;
  /** Milliseconds spent parsing so far, over all slices. */
  readonly spentMs: number;
}

/** Whether any line has what withoutExportMacros, withAlignas, withoutDeclaratorAttributes, withoutStatementInvocations or withoutTrailingDefineSpace looks for (asked again only of the lines an edit changed). */
const rewritable = (line: string) =>
  line.includes('class ') || line.includes('struct ') || line.includes('__align__') || line.includes('__attribute__') || (line.includes('define') && EMPTY_DEFINE_LINE.test(line)) ||
  INVOCATION_START.test(line) || (STATEMENT_INVOCATION_START.test(line) && !/;\s*$/.test(line));
/** An indented line that starts a macro invocation with no `;` at its end (withoutStatementInvocations). */
const STATEMENT_INVOCATION_START = /^[ \t]+[A-Z][A-Z0-9]*_[A-Z0-9_]*\s*\(/;
const mayRewrite = lineScan((line) => !rewritable(line), (lines) => lines.some(rewritable));

/**
 * `#define USE_TILED ` with a space or tab after the name and nothing else: the grammar skips the blanks, newline
 * included, and reads the next line as the macro's value (a `#ifdef`, a kernel's head). The grammar gets the blanks
 * before the `#` instead (`  #define USE_TILED`): the line's length stays, and so do the offsets of every other line.
 */
const EMPTY_DEFINE_LINE = /^[ \t]*#[ \t]*define[ \t]+[A-Za-z_]\w*(?:\([^()\n]*\))?[ \t]+\r?$/;
const EMPTY_DEFINE = /^([ \t]*#[ \t]*define[ \t]+[A-Za-z_]\w*(?:\([^()\n]*\))?)([ \t]+)(\r?)$/gm;
/**
 * Whether an edit of `line` may change how the grammar gets it from the line's start on: an empty `#define` moved
 * (withoutTrailingDefineSpace), or an attribute blanked or not by what follows it (withoutDeclaratorAttributes: typing
 * the `=` after `__attribute__((aligned(64)))` changes bytes before the edit).
 */
export const rewrittenFromLineStart = (line: string): boolean =>
  line.includes('__attribute__') || INVOCATION_LINE.test(line) || (line.includes('define') && EMPTY_DEFINE_LINE.test(line));
export function withoutTrailingDefineSpace(text: string): string {
  if (!text.includes('define')) return text;
  return text.replace(EMPTY_DEFINE, (_m, head: string, blanks: string, cr: string) => blanks + head + cr);
}

/**
 * `class OPENMM_EXPORT Force : public Base {`: an export macro (empty, or `__declspec(...)`
 * on one platform) between `class` and the name makes the grammar read the whole class as
 * one broken function, and its member functions are lost. The grammar gets the macro as
 * spaces instead: every offset stays where it was, and the text shown is the file's own.
 */
const EXPORT_MACRO = /\b(class|struct)(\s+)([A-Z][A-Z0-9_]*[A-Z0-9])(?=\s+[A-Za-z_]\w*\s*(?:[:{]|final\b))/g;
export function withoutExportMacros(text: string): string {
  if (!text.includes('class ') && !text.includes('struct ')) return text;
  return text.replace(EXPORT_MACRO, (_m, kw: string, sp: string, name: string) => kw + sp + ' '.repeat(name.length));
}

/**
 * `__shared__ __align__(16) half As[TILE][TK];`: CUDA's alignment macro is unknown to the
 * grammar, whose error recovery can then swallow the whole function (and the next one). The
 * grammar gets the C++ spelling it knows, `alignas(16)`, padded with spaces to the same
 * length: offsets stay, the text shown is the file's own, and a struct's alignment still reads.
 */
const ALIGN_MACRO = /\b__align__(\s*\([^()\n]*\))/g;
export function withAlignas(text: string): string {
  if (!text.includes('__align__')) return text;
  return text.replace(ALIGN_MACRO, (_m, args: string) => `alignas${args}  `);
}

/**
 * `float sum[BS] __attribute__((aligned(64))) = {0.f};`: a GNU attribute after a variable's declarator is unknown to the
 * grammar, whose error recovery then swallows the rest of the file into the function around it (Rodinia's lud_omp lost
 * every function after it). The grammar gets spaces in its place: offsets stay, and the text shown is the file's own.
 * (Attributes before a declaration, `__attribute__((noinline)) void f()`, the grammar reads.)
 */
const DECLARATOR_ATTRIBUTE = /\b__attribute__\s*\(\((?:[^()\n]|\((?:[^()\n]|\([^()\n]*\))*\))*\)\)(?=\s*[=;,])/g;
export function withoutDeclaratorAttributes(text: string): string {
  if (!text.includes('__attribute__')) return text;
  return text.replace(DECLARATOR_ATTRIBUTE, (m) => ' '.repeat(m.length));
}

/**
 * `  LAUNCH_SCALE_KERNEL(scale_kernel, 1, float)` as a statement of a function's body with no `;` after it (the macro's
 * body ends in one, or is a braced block): the grammar reads a declaration whose recovery can swallow the closing brace
 * and the next function, or, alone in a body, turns the whole function into a declaration (LeetCUDA's bindings end
 * so). The grammar gets the invocation as spaces; the facts read the function through its macros (facts/shadow.ts),
 * from the file's own text, the launch included.
 */
const STATEMENT_INVOCATION = /^([ \t]+)([A-Z][A-Z0-9]*_[A-Z0-9_]*)\s*\((?:[^(){};]|\((?:[^(){};]|\([^(){};]*\))*\)){0,600}\)(?=[ \t]*\r?\n[ \t]*[^\s;])/gm;
export function withoutStatementInvocations(text: string): string {
  if (!text.includes('#') || !/^[ \t]+[A-Z][A-Z0-9]*_/m.test(text)) return text;
  const statements = new Set([...text.matchAll(/^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)\(((?:[^)\n]|\\\r?\n)*)\)((?:[^\n]*\\\r?\n)*[^\n]*)/gm)]
    .filter((m) => { const body = m[3].replace(/\\\r?\n/g, ' ').trim(); return body.endsWith(';') || (body.startsWith('{') && body.endsWith('}')); }).map((m) => m[1]));
  if (!statements.size) return text;
  return text.replace(STATEMENT_INVOCATION, (m, _indent: string, name: string) => (statements.has(name) && m.split('\n').length <= MAX_INVOCATION_LINES ? m.replace(/[^\n]/g, ' ') : m));
}

/**
 * `TORCH_BINDING_ELEM_ADD(f32, torch::kFloat32, float, 1)` alone on a line at file scope (or wrapped over a few, with or
 * without a `;`), invoking a
 * function-like macro the file defines (LeetCUDA's launcher macros, which each write a host function): the grammar
 * reads it as the head of the next function, which is then lost. It gets the line as spaces; the functions the
 * invocation writes are read from its expansion (facts/shadow.ts, definingMacroCalls), and the next function as written.
 */
const INVOCATION_LINE = /^[A-Z][A-Z0-9]*_[A-Z0-9_]*\s*\((?:[^()\n]|\([^()\n]*\))*\)[ \t]*;?[ \t]*\r?$/;
/** A line that starts such an invocation, closed on it or wrapped onto the next lines. */
const INVOCATION_START = /^[A-Z][A-Z0-9]*_[A-Z0-9_]*\s*\(/;
// (wrapped over a few lines as clang-format leaves it, with or without a `;`: arguments hold no braces or statements)
const INVOCATION_LINES = /^([A-Z][A-Z0-9]*_[A-Z0-9_]*)\s*\((?:[^(){};]|\([^(){};]*\)){0,400}\)[ \t]*;?[ \t]*(?=\r?$)/gm;
const MAX_INVOCATION_LINES = 6;
const STATEMENT_BODY = /^(?:do\b|\{|if\b|while\b|for\b|switch\b)/;
export function withoutDefiningInvocations(text: string): string {
  if (!text.includes('#') || !/^[A-Z][A-Z0-9]*_/m.test(text)) return text;
  // (macros whose body writes whole definitions, braces and all: one that writes only a head, `ELEMENTWISE_KERNEL(name)`
  // then `{ ... }` on the next line, is the function's own head)
  // (not a statement macro, `CUDA_CHECK(x)` as `do { ... } while (0)`, invoked in a function's body)
  const defined = new Set([...text.matchAll(/^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)\(((?:[^)\n]|\\\r?\n)*)\)((?:[^\n]*\\\r?\n)*[^\n]*)/gm)]
    .filter((m) => { const body = m[3].replace(/\\\r?\n/g, ' ').trim(); return body.includes('{') && !STATEMENT_BODY.test(body); }).map((m) => m[1]));
  if (!defined.size) return text;
  return text.replace(INVOCATION_LINES, (m, name: string) => (defined.has(name) && m.split('\n').length <= MAX_INVOCATION_LINES ? m.replace(/[^\n]/g, ' ') : m));
}
