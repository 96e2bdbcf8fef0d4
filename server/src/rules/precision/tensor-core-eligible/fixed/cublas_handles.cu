// cuBLAS fp32 GEMMs on handles created here, in an init function, and passed in.
#include <cstdio>
#include <cublas_v2.h>

#define CUBLAS_CHECK(call)                                              \
  do {                                                                  \
    cublasStatus_t status_ = (call);                                    \
    if (status_ != CUBLAS_STATUS_SUCCESS) printf("cuBLAS error %d\n", (int)status_); \
  } while (0)

static cublasHandle_t g_blas;

void blas_init() {
  CUBLAS_CHECK(cublasCreate(&g_blas));
  // TF32 tensor cores for the fp32 GEMMs on this handle (inputs rounded to a 10-bit mantissa, fp32 accumulation)
  CUBLAS_CHECK(cublasSetMathMode(g_blas, CUBLAS_TF32_TENSOR_OP_MATH));
}

// Y = X W^T with the file's global handle.
void dense(const float *X, const float *W, float *Y, int M, int N, int K) {
  const float one = 1.0f, zero = 0.0f;
  CUBLAS_CHECK(cublasSgemm(g_blas, CUBLAS_OP_T, CUBLAS_OP_N, N, M, K, &one, W, K, X, K, &zero, Y, N));
//             ^^^^^^^^^^^ precision/tensor-core-eligible
}

// A handle of its own, created and destroyed around the product.
void gram(const float *A, float *G, int rows, int cols) {
  cublasHandle_t handle;
  cublasCreate(&handle);
  // TF32 tensor cores for the fp32 GEMMs on this handle (inputs rounded to a 10-bit mantissa, fp32 accumulation)
  cublasSetMathMode(handle, CUBLAS_TF32_TENSOR_OP_MATH);
  const float one = 1.0f, zero = 0.0f;
  cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_T, cols, cols, rows, &one, A, cols, A, cols, &zero, G, cols);
//^^^^^^^^^^^ precision/tensor-core-eligible
  cublasDestroy(handle);
}

// One GEMM per batch entry on a handle passed in: the mode is set once, before the loop.
void batched_dense(cublasHandle_t handle, const float *X, const float *W, float *Y, int batch, int M, int N, int K) {
  const float one = 1.0f, zero = 0.0f;
  // TF32 tensor cores for the fp32 GEMMs on this handle (inputs rounded to a 10-bit mantissa, fp32 accumulation)
  cublasSetMathMode(handle, CUBLAS_TF32_TENSOR_OP_MATH);
  for (int b = 0; b < batch; ++b) {
    const float *x = X + (size_t)b * M * K;
    cublasSgemm(handle, CUBLAS_OP_T, CUBLAS_OP_N, N, M, K, &one, W, K, x, K, &zero, Y + (size_t)b * M * N, N);
//  ^^^^^^^^^^^ precision/tensor-core-eligible
  }
}

// Two GemmEx calls with fp32 compute on a handle passed in.
void two_layers(cublasHandle_t handle, const float *X, const float *W1, const float *W2, float *H, float *Y, int M, int N, int K) {
  const float one = 1.0f, zero = 0.0f;
  // TF32 tensor cores for the fp32 GEMMs on this handle (inputs rounded to a 10-bit mantissa, fp32 accumulation)
  cublasSetMathMode(handle, CUBLAS_TF32_TENSOR_OP_MATH);
  cublasGemmEx(handle, CUBLAS_OP_T, CUBLAS_OP_N, N, M, K, &one, W1, CUDA_R_32F, K, X, CUDA_R_32F, K,
//^^^^^^^^^^^^ precision/tensor-core-eligible
               &zero, H, CUDA_R_32F, N, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
  cublasGemmEx(handle, CUBLAS_OP_T, CUBLAS_OP_N, N, M, N, &one, W2, CUDA_R_32F, N, H, CUDA_R_32F, N,
               &zero, Y, CUDA_R_32F, N, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
}
