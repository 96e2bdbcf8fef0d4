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

// The fp32 result a custom kernel is checked against: TF32 here would loosen the check itself.
void gemm_cuBLAS_reference(cublasHandle_t handle, const float *A, const float *B, float *C, int M, int N, int K) {
  const float one = 1.0f, zero = 0.0f;
  cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, N, M, K, &one, B, N, A, K, &zero, C, N);
}

// A benchmark's main: cuBLAS fp32 is the baseline the hand-written kernel is timed and checked against.
int main() {
  cublasHandle_t handle;
  cublasCreate(&handle);
  const int n = 4096;
  float *A, *B, *C;
  cudaMalloc(&A, sizeof(float) * n * n);
  cudaMalloc(&B, sizeof(float) * n * n);
  cudaMalloc(&C, sizeof(float) * n * n);
  const float one = 1.0f, zero = 0.0f;
  cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &one, B, n, A, n, &zero, C, n);
  return 0;
}
