// cuBLAS fp32 GEMMs with the default math mode.
#include <cublas_v2.h>

void project(cublasHandle_t handle, const float *X, const float *W, float *Y, int M, int N, int K) {
  const float one = 1.0f, zero = 0.0f;
  // TF32 tensor cores for the fp32 GEMMs on this handle (inputs rounded to a 10-bit mantissa, fp32 accumulation)
  cublasSetMathMode(handle, CUBLAS_TF32_TENSOR_OP_MATH);
  cublasSgemm(handle, CUBLAS_OP_T, CUBLAS_OP_N, N, M, K, &one, W, K, X, K, &zero, Y, N);
//^^^^^^^^^^^ precision/tensor-core-eligible
}

void project_ex(cublasHandle_t handle, const float *X, const float *W, float *Y, int M, int N, int K) {
  const float one = 1.0f, zero = 0.0f;
  // TF32 tensor cores for the fp32 GEMMs on this handle (inputs rounded to a 10-bit mantissa, fp32 accumulation)
  cublasSetMathMode(handle, CUBLAS_TF32_TENSOR_OP_MATH);
  cublasGemmEx(handle, CUBLAS_OP_T, CUBLAS_OP_N, N, M, K, &one, W, CUDA_R_32F, K, X, CUDA_R_32F, K,
//^^^^^^^^^^^^ precision/tensor-core-eligible
               &zero, Y, CUDA_R_32F, N, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
}
