// The cuBLAS calls of precision/tensor-core-eligible, one home for the rule that reports
// them and the fixer that switches them to TF32: the fp32 GEMM calls (`cublasSgemm`, or
// `cublasGemmEx` on CUDA_R_32F operands with fp32 compute) and the math modes that
// already allow tensor cores.
import type { CallFact, FunctionFacts } from '../../../core/facts/model';

const SGEMM = /^cublasSgemm(_v2|Batched|StridedBatched)?$/;
const SGEMM_EX = /^cublasSgemmEx(_64)?$/;
export const GEMM_EX = /^cublasGemm(Ex|BatchedEx|StridedBatchedEx)$/;
export const TENSOR_MODE = /CUBLAS_TF32_TENSOR_OP_MATH|CUBLAS_TENSOR_OP_MATH/;

/** fp32 inputs and fp32 compute on the CUDA cores: `cublasSgemm`, `cublasSgemmEx` on CUDA_R_32F, or `cublasGemmEx` with CUDA_R_32F operands and CUBLAS_COMPUTE_32F. */
export function fp32Gemm(c: CallFact): boolean {
  // the legacy cublas.h API (`cublasSgemm('t', 'n', ...)`, no handle) has no math mode to set: porting it comes first
  if (SGEMM.test(c.name)) return !/^'.'$/.test(c.args[0]?.trim() ?? '');
  // (`cublasSgemmEx` with CUDA_R_32F A, B and C: the same SGEMM, typed; with fp16 or bf16 inputs it is a mixed GEMM)
  if (SGEMM_EX.test(c.name)) {
    const types = c.args.filter((a) => /^CUDA_R_\w+$/.test(a.trim()));
    return types.length === 3 && types.every((t) => t.trim() === 'CUDA_R_32F');
  }
  if (!GEMM_EX.test(c.name) || c.args.length < 8) return false;
  const compute = c.args[c.args.length - 2].trim();
  const types = c.args.filter((a) => /^CUDA_R_\w+$/.test(a.trim()));
  return /^(CUBLAS_COMPUTE_32F|CUDA_R_32F)$/.test(compute) && types.length >= 2 && types.slice(0, 2).every((t) => t.trim() === 'CUDA_R_32F');
}

/**
 * `cublasLtMatmul` in a function that describes it with fp32 compute (`cublasLtMatmulDescCreate(&op, CUBLAS_COMPUTE_32F,
 * CUDA_R_32F)`) on fp32 layouts only (`cublasLtMatrixLayoutCreate(&a, CUDA_R_32F, ...)`): the same CUDA-core GEMM.
 */
export function fp32LtGemm(c: CallFact, fn: FunctionFacts): boolean {
  if (c.name !== 'cublasLtMatmul') return false;
  const descs = fn.calls.filter((d) => d.name === 'cublasLtMatmulDescCreate');
  const layouts = fn.calls.filter((d) => d.name === 'cublasLtMatrixLayoutCreate');
  return descs.length > 0 && descs.every((d) => (d.args[1] ?? '').trim() === 'CUBLAS_COMPUTE_32F') &&
    layouts.length > 0 && layouts.every((d) => (d.args[1] ?? '').trim() === 'CUDA_R_32F');
}
