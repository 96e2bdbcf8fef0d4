// Library handles a file declares `extern` at file scope (`extern cublasHandle_t cublas_handle;` in a layer header):
// created and configured in another file (a trainer's `main()` sets its math mode), so what mode a GEMM on it runs
// in is decided there, not here.
import { lineScan } from '../line-scans';

const EXTERN_HANDLE = /^\s*extern\s+(?:cublas(?:Lt)?Handle_t)\s+([A-Za-z_]\w*)\s*;/;

/** The names of the file's `extern` cuBLAS handles. */
export const externHandles = lineScan((line) => !line.includes('extern'), (lines): string[] =>
  lines.flatMap((l) => { const m = EXTERN_HANDLE.exec(l); return m ? [m[1]] : []; }));
