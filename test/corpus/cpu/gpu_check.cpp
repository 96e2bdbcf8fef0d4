// gpu_check.cpp - host-side correctness checks for the GPU GEMM and softmax
// kernels. The reference implementations are deliberately the textbook
// definitions; they run once per test case on small shapes.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

// Implemented in gemm_kernels.cu / softmax_kernels.cu.
void gpu_sgemm(const float* A, const float* B, float* C, int M, int N, int K);
void gpu_softmax(const float* x, float* y, int rows, int cols);

namespace {

void matmul_cpu_reference(const float* A, const float* B, float* C, int M, int N, int K) {
  for (int i = 0; i < M; ++i) {
    for (int j = 0; j < N; ++j) {
      double acc = 0.0;  // accumulate in double: the reference must be the more accurate one
      for (int k = 0; k < K; ++k) acc += static_cast<double>(A[i * K + k]) * B[k * N + j];
      C[i * N + j] = static_cast<float>(acc);
    }
  }
}

void softmax_cpu_reference(const float* x, float* y, int rows, int cols) {
  for (int r = 0; r < rows; ++r) {
    const float* xr = x + static_cast<size_t>(r) * cols;
    float* yr = y + static_cast<size_t>(r) * cols;
    float m = -INFINITY;
    for (int c = 0; c < cols; ++c) m = std::fmax(m, xr[c]);
    double s = 0.0;
    for (int c = 0; c < cols; ++c) s += std::exp(static_cast<double>(xr[c]) - m);
    for (int c = 0; c < cols; ++c) yr[c] = static_cast<float>(std::exp(static_cast<double>(xr[c]) - m) / s);
  }
}

float max_rel_error(const std::vector<float>& got, const std::vector<float>& want) {
  float worst = 0.0f;
  for (size_t i = 0; i < got.size(); ++i) {
    const float denom = std::fmax(std::fabs(want[i]), 1e-6f);
    worst = std::fmax(worst, std::fabs(got[i] - want[i]) / denom);
  }
  return worst;
}

void fill_uniform(std::vector<float>& v, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (auto& x : v) x = dist(rng);
}

bool check_gemm(int M, int N, int K, float tol) {
  std::vector<float> A(static_cast<size_t>(M) * K), B(static_cast<size_t>(K) * N);
  std::vector<float> C_gpu(static_cast<size_t>(M) * N), C_ref(C_gpu.size());
  fill_uniform(A, 1u);
  fill_uniform(B, 2u);
  gpu_sgemm(A.data(), B.data(), C_gpu.data(), M, N, K);
  matmul_cpu_reference(A.data(), B.data(), C_ref.data(), M, N, K);
  const float err = max_rel_error(C_gpu, C_ref);
  std::printf("gemm %dx%dx%d: max rel err %.3g %s\n", M, N, K, err, err <= tol ? "ok" : "FAIL");
  return err <= tol;
}

bool check_softmax(int rows, int cols, float tol) {
  std::vector<float> x(static_cast<size_t>(rows) * cols), y_gpu(x.size()), y_ref(x.size());
  fill_uniform(x, 3u);
  gpu_softmax(x.data(), y_gpu.data(), rows, cols);
  softmax_cpu_reference(x.data(), y_ref.data(), rows, cols);
  const float err = max_rel_error(y_gpu, y_ref);
  std::printf("softmax %dx%d: max rel err %.3g %s\n", rows, cols, err, err <= tol ? "ok" : "FAIL");
  return err <= tol;
}

}  // namespace

int main() {
  bool ok = true;
  const int shapes[][3] = {{64, 64, 64}, {127, 65, 33}, {256, 512, 128}};
  for (const auto& s : shapes) ok &= check_gemm(s[0], s[1], s[2], 1e-4f);
  ok &= check_softmax(32, 1000, 1e-5f);
  ok &= check_softmax(7, 4096, 1e-5f);
  return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
