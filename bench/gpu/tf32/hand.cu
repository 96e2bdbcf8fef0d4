// Hand-written reference (GPU-FACTS.md "tensor cores"): the same cublasSgemm with TF32 tensor-core math.
void launch(cublasHandle_t handle, const float* A, const float* B, float* C, int M, int N, int K) {
  const float alpha = 1.0f, beta = 0.0f;
  cublasSetMathMode(handle, CUBLAS_TF32_TENSOR_OP_MATH);
  cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, M, N, K, &alpha, A, M, B, K, &beta, C, M);
}
