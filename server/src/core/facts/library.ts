// Library routines described as kernel facts, so a call to one is a launch like any other.
// cuBLAS level-1 `scal`, `axpy` and `copy` each launch one elementwise pass over n
// elements: `cublasScopy` + `cublasSscal` followed by an `exp` kernel on the same buffer
// reads as the chain of three passes it is. cuBLAS / cublasLt GEMMs are GEMM kernels that
// write their C (or D) argument: a bias kernel on it afterwards is an unfused epilogue.
import { Poly } from '../affine';
import type { AccessFact, FunctionFacts, ParamFact } from './model';

/** Math-library functions (each counted as 8 operations of arithmetic). */
export const MATH_CALLS = /^(__)?(exp|expf|exp2|exp2f|exp10f?|expm1f?|log|logf|log2f?|log10f?|log1pf?|sin|sinf|cos|cosf|tan|tanf|sinhf?|coshf?|tanh|tanhf|asinf?|acosf?|atanf?|atan2f?|sqrt|sqrtf|rsqrtf?|cbrtf?|pow|powf|erf|erff|erfcf?|lgammaf?|tgammaf?|__expf|__logf|__log2f|__sinf|__cosf|__tanf|__powf|hexp|hlog|hsqrt|h2exp)$/;
/** Device (and pinned host) allocations. */
export const DEVICE_ALLOCATION = /^(?:cudaMalloc|cudaMallocManaged|cudaMallocAsync|cudaMallocHost|cudaHostAlloc|cudaMallocPitch|hipMalloc)$/;

const NOWHERE = { start: { line: 0, column: 0 }, end: { line: 0, column: 0 } };
/** Element i of the pass, as a one-pass elementwise kernel indexes it. */
const ELEMENT = Poly.sym('blockDim.x').mul(Poly.sym('blockIdx.x')).add(Poly.sym('threadIdx.x'));

function routine(name: string, params: string[], reads: string[], writes: string[], type: string, kernelClass: FunctionFacts['kernelClass'] = 'elementwise'): FunctionFacts {
  const fact = (array: string, kind: AccessFact['kind']): AccessFact => ({
    array, space: 'global', kind, indices: [ELEMENT], elemType: type, elemBits: type === 'double' ? 64 : 32, range: NOWHERE, text: `${array}[i]`, loops: [], vector: false,
  });
  const ps: ParamFact[] = params.map((p) => ({ name: p, type: reads.includes(p) || writes.includes(p) ? type : 'int', pointer: reads.includes(p) || writes.includes(p), isConst: !writes.includes(p), restrict: false }));
  return {
    name, range: NOWHERE, nameRange: NOWHERE, isKernel: true, isDevice: false, params: ps, templateParams: [], loops: [],
    accesses: [...reads.map((a) => fact(a, 'load')), ...writes.map((a) => fact(a, 'store'))],
    shared: [], calls: [], syncthreads: [], usesVectorTypes: false, arithmetic: 1, kernelClass, indexBound: kernelClass === 'elementwise' ? 'n' : null, launchBounds: null,
  };
}

/** cuBLAS level-1 routines. */
const LEVEL1: FunctionFacts[] = (['S', 'D'] as const).flatMap((p) => {
  const type = p === 'S' ? 'float' : 'double';
  return [
    routine(`cublas${p}scal`, ['handle', 'n', 'alpha', 'x', 'incx'], ['x'], ['x'], type),
    routine(`cublas${p}axpy`, ['handle', 'n', 'alpha', 'x', 'incx', 'y', 'incy'], ['x', 'y'], ['y'], type),
    routine(`cublas${p}copy`, ['handle', 'n', 'x', 'incx', 'y', 'incy'], ['x'], ['y'], type),
  ];
});

const GEMM_HEAD = ['handle', 'transa', 'transb', 'm', 'n', 'k', 'alpha'];
/** cuBLAS / cublasLt GEMMs by name (the `_v2` names too): A and B read, C (cublasLt: D) written. */
const GEMMS: FunctionFacts[] = [
  ...(['S', 'D', 'H'] as const).flatMap((p) => {
    const type = p === 'S' ? 'float' : p === 'D' ? 'double' : 'half';
    return [
      routine(`cublas${p}gemm`, [...GEMM_HEAD, 'A', 'lda', 'B', 'ldb', 'beta', 'C', 'ldc'], ['A', 'B'], ['C'], type, 'gemm'),
      routine(`cublas${p}gemmStridedBatched`, [...GEMM_HEAD, 'A', 'lda', 'strideA', 'B', 'ldb', 'strideB', 'beta', 'C', 'ldc', 'strideC', 'batchCount'], ['A', 'B'], ['C'], type, 'gemm'),
    ];
  }),
  routine('cublasSgemmEx', [...GEMM_HEAD, 'A', 'Atype', 'lda', 'B', 'Btype', 'ldb', 'beta', 'C', 'Ctype', 'ldc'], ['A', 'B'], ['C'], 'float', 'gemm'),
  routine('cublasGemmEx', [...GEMM_HEAD, 'A', 'Atype', 'lda', 'B', 'Btype', 'ldb', 'beta', 'C', 'Ctype', 'ldc', 'computeType', 'algo'], ['A', 'B'], ['C'], 'float', 'gemm'),
  routine('cublasGemmStridedBatchedEx', [...GEMM_HEAD, 'A', 'Atype', 'lda', 'strideA', 'B', 'Btype', 'ldb', 'strideB', 'beta', 'C', 'Ctype', 'ldc', 'strideC', 'batchCount', 'computeType', 'algo'], ['A', 'B'], ['C'], 'float', 'gemm'),
  routine('cublasLtMatmul', ['lightHandle', 'computeDesc', 'alpha', 'A', 'Adesc', 'B', 'Bdesc', 'beta', 'C', 'Cdesc', 'D', 'Ddesc', 'algo', 'workspace', 'workspaceSize', 'stream'], ['A', 'B', 'C'], ['D'], 'float', 'gemm'),
];
/** cuBLAS matrix-vector products: A and x read, y written (a decoder's projections, one token at a time). */
export const GEMVS: FunctionFacts[] = (['S', 'D'] as const).map((p) =>
  routine(`cublas${p}gemv`, ['handle', 'trans', 'm', 'n', 'alpha', 'A', 'lda', 'x', 'incx', 'beta', 'y', 'incy'], ['A', 'x'], ['y'], p === 'S' ? 'float' : 'double', 'other'));
/**
 * The routines above by name, with their `_v2` names and their hipBLAS twins: ROCm ports
 * (`#define cublasSgemm hipblasSgemm` in darknet, ggml) read as the same launches.
 */
export const LIBRARY_KERNELS: ReadonlyMap<string, FunctionFacts> = new Map(
  [...LEVEL1, ...GEMMS, ...GEMVS].flatMap((k) => [k.name, `${k.name}_v2`, k.name.replace(/^cublas/, 'hipblas')].map((n) => [n, k] as const)),
);
