// The preprocessor view: macros, local headers, typedefs and constants that
// tree-sitter's unexpanded parse cannot see. Pure, bounded, never executes anything.
export { expandMacros, toOriginal, type MacroDef, type MacroTable, type Segment, type Expansion } from './macros';
export { buildView, cmakeIncludeDirs, compileCommandsIncludeDirs, fsHeaderReader, includeLine, missingHeader, missingHeaderTarget, type HeaderReader, type ViewOptions, type PreprocessorView } from './view';
export { builtinMacro } from './builtins';
export { buildFlagsFor, DEFAULT_BUILD, withSourcePragmas, type BuildFlags } from './build-flags';
