// Open documents: text, incrementally re-parsed tree, and the per-function facts cache.
// Trees live on the WASM heap: every replaced or closed tree is delete()d here.
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { TextDocumentContentChangeEvent } from 'vscode-languageserver';
import { Edit, type Tree } from 'web-tree-sitter';
import { FactsCache } from '../core/engine';
import { grammarFor, type Parsers } from '../core/parser';
import type { SourceLanguage } from '../core/types';

export class OpenDocument {
  tree: Tree | null = null;
  readonly cache = new FactsCache();

  constructor(
    public doc: TextDocument,
    public language: SourceLanguage | null,
  ) {}

  get text(): string {
    return this.doc.getText();
  }

  /** Applies LSP changes, editing the old tree so the next parse is incremental. */
  applyChanges(changes: TextDocumentContentChangeEvent[], version: number): void {
    for (const change of changes) {
      if ('range' in change && this.tree) {
        const startIndex = this.doc.offsetAt(change.range.start);
        const oldEndIndex = this.doc.offsetAt(change.range.end);
        const lines = change.text.split('\n');
        const newEndPosition = {
          row: change.range.start.line + lines.length - 1,
          column: lines.length === 1 ? change.range.start.character + change.text.length : lines[lines.length - 1].length,
        };
        this.tree.edit(new Edit({
          startIndex,
          oldEndIndex,
          newEndIndex: startIndex + change.text.length,
          startPosition: { row: change.range.start.line, column: change.range.start.character },
          oldEndPosition: { row: change.range.end.line, column: change.range.end.character },
          newEndPosition,
        }));
      } else {
        this.dropTree(); // a full-text change: parse from scratch
      }
      this.doc = TextDocument.update(this.doc, [change], version);
    }
  }

  /** Parses (incrementally when a tree exists). Throws ParseTimeout. */
  reparse(parsers: Parsers): Tree {
    if (!this.language) throw new Error('not an analysed language');
    const next = parsers.parse(grammarFor(this.language), this.text, this.tree);
    this.tree?.delete();
    this.tree = next;
    return next;
  }

  dropTree(): void {
    this.tree?.delete();
    this.tree = null;
  }
}
