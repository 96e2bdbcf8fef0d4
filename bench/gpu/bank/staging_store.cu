// What a bank conflict costs when it sits on a tiled GEMM's staging store rather than in
// its inner loop: a register-blocked SGEMM (128x128 block tile, BK = 8, 8x8 per thread,
// 256 threads) stores its A tile transposed into shared memory once per k-step, then its
// inner loop reads 8 k-slices of both tiles as float4. The variants differ only in that
// store (and the row pad it needs):
//   f4_2way   float4 loads of A, stored as 4 scalars at As[(col + c) * 128 + row]: 2-way
//   f4_pad    the same with rows of 132 words: conflict-free
//   s_8way    scalar loads of A (8 lanes along k), stored at As[col * 128 + row]: 8-way
//   s_pad     the same with rows of 132 words: conflict-free
// and, as a control, a conflict in the inner loop instead: A kept row-major in As[128][8],
// read one float at a time, As[(ty + m) * 8 + i] (2-way: the warp's two ty rows are 64
// words apart), against rows of 9 words (conflict-free):
//   inner_2way, inner_pad (its stores are 4 scalars where inner_2way stores one float4: the
//   gain measured for the fix is, if anything, too small)
// and the B fragment's float4 reads: Bs[i * 128 + tx + n] with tx = (t % 16) * 8 puts a quarter-warp's
// 16-byte reads 32 bytes apart (2-way) in every variant above; f4_pad_bsplit reads each thread's 8
// columns as two float4 64 columns apart (tx = (t % 16) * 4, and + 64): conflict-free; f4_pad_bscalar
// reads f4_pad's B fragment as 8 unrolled scalar loads (4-way as scalars, 2-way if the compiler merges
// them into 16-byte loads: the SASS of the run says which)
// Every variant's C is checked against a plain one-thread-per-output GEMM at 512^3 first.
//   nvcc -O3 -arch=sm_90 -std=c++17 -o /tmp/staging bench/gpu/bank/staging_store.cu && /tmp/staging
#include "../chunks/timing.cuh"
#include <cmath>

constexpr int BM = 128, BN = 128, BK = 8, TM = 8, TN = 8, THREADS = 256;

enum Store { F4_T, SCALAR_T, ROW_MAJOR };

// STORE: how A reaches shared memory (float4 or 4 scalars 8 lanes along k, stored transposed; or kept row-major); PAD: words added to each As row
template <Store STORE, int PAD, bool BSPLIT = false, bool BSCALAR = false>
__global__ void __launch_bounds__(THREADS) sgemm(int M, int N, int K, const float* __restrict__ A, const float* __restrict__ B, float* __restrict__ C) {
  constexpr int LDA = (STORE == ROW_MAJOR ? BK : BM) + PAD;
  __shared__ __align__(16) float As[(STORE == ROW_MAJOR ? BM : BK) * LDA];
  __shared__ __align__(16) float Bs[BK * BN];
  const int t = threadIdx.x;
  const int ty = (t / (BN / TN)) * TM, tx = BSPLIT ? (t % (BN / TN)) * 4 : (t % (BN / TN)) * TN;
  // the column of b[n]: tx + n, or with BSPLIT tx + n for n < 4 and tx + 64 + (n - 4) after
  auto bcol = [&](int n) { return BSPLIT ? tx + (n < 4 ? n : 64 + n - 4) : tx + n; };
  A += blockIdx.y * BM * K;
  B += blockIdx.x * BN;
  C += blockIdx.y * BM * N + blockIdx.x * BN;
  float acc[TM][TN] = {};
  for (int k0 = 0; k0 < K; k0 += BK) {
    if (STORE == ROW_MAJOR) {
      const int row = t / 2, col = (t % 2) * 4;
      const float4 v = *reinterpret_cast<const float4*>(&A[row * K + k0 + col]);
      if (LDA % 4 == 0) {
        *reinterpret_cast<float4*>(&As[row * LDA + col]) = v; // conflict-free
      } else {
        // rows of 9 words are not 16-byte aligned: 4 scalar stores, which conflict (against the fix: a conservative gain)
        As[row * LDA + col + 0] = v.x;
        As[row * LDA + col + 1] = v.y;
        As[row * LDA + col + 2] = v.z;
        As[row * LDA + col + 3] = v.w;
      }
    } else if (STORE == SCALAR_T) {
      // lane t: row t / 8 (+ 32 q), column t % 8: words (t % 8) * LDA + t / 8
#pragma unroll
      for (int q = 0; q < 4; ++q) {
        const int row = t / BK + 32 * q, col = t % BK;
        As[col * LDA + row] = A[row * K + k0 + col];
      }
    } else {
      // lane t: row t / 2, columns (t % 2) * 4 .. + 3: words (col + c) * LDA + t / 2
      const int row = t / 2, col = (t % 2) * 4;
      const float4 v = *reinterpret_cast<const float4*>(&A[row * K + k0 + col]);
      As[(col + 0) * LDA + row] = v.x;
      As[(col + 1) * LDA + row] = v.y;
      As[(col + 2) * LDA + row] = v.z;
      As[(col + 3) * LDA + row] = v.w;
    }
    {
      const int row = t / (BN / 4), col = (t % (BN / 4)) * 4;
      *reinterpret_cast<float4*>(&Bs[row * BN + col]) = *reinterpret_cast<const float4*>(&B[(k0 + row) * N + col]);
    }
    __syncthreads();
#pragma unroll
    for (int i = 0; i < BK; ++i) {
      float a[TM], b[TN];
#pragma unroll
      for (int m = 0; m < TM; m += 4) {
        if (STORE == ROW_MAJOR) {
#pragma unroll
          for (int j = 0; j < 4; ++j) a[m + j] = As[(ty + m + j) * LDA + i];
        } else {
          *reinterpret_cast<float4*>(&a[m]) = *reinterpret_cast<const float4*>(&As[i * LDA + ty + m]);
        }
      }
      if (BSCALAR) {
        // the same fragment as 8 scalar loads of consecutive floats: does the compiler merge them into 16-byte ones?
#pragma unroll
        for (int n = 0; n < TN; ++n) b[n] = Bs[i * BN + tx + n];
      } else {
#pragma unroll
        for (int n = 0; n < TN; n += 4) *reinterpret_cast<float4*>(&b[n]) = *reinterpret_cast<const float4*>(&Bs[i * BN + bcol(n)]);
      }
#pragma unroll
      for (int m = 0; m < TM; ++m)
#pragma unroll
        for (int n = 0; n < TN; ++n) acc[m][n] += a[m] * b[n];
    }
    __syncthreads();
  }
#pragma unroll
  for (int m = 0; m < TM; ++m)
#pragma unroll
    for (int n = 0; n < TN; n += 4)
      *reinterpret_cast<float4*>(&C[(ty + m) * N + bcol(n)]) = make_float4(acc[m][n], acc[m][n + 1], acc[m][n + 2], acc[m][n + 3]);
}

__global__ void reference(int M, int N, int K, const float* A, const float* B, float* C) {
  const int r = blockIdx.y * blockDim.y + threadIdx.y, c = blockIdx.x * blockDim.x + threadIdx.x;
  if (r >= M || c >= N) return;
  float s = 0;
  for (int k = 0; k < K; ++k) s += A[r * K + k] * B[k * N + c];
  C[r * N + c] = s;
}

struct Variant {
  const char* name;
  const char* store;
  void (*kernel)(int, int, int, const float*, const float*, float*);
};

int main() {
  const Variant variants[] = {
      {"f4_2way", "float4 load, transposed scalar stores: 2-way", sgemm<F4_T, 0>},
      {"f4_pad", "float4 load, transposed scalar stores, rows of 132 words: conflict-free", sgemm<F4_T, 4>},
      {"s_8way", "scalar loads 8 lanes along k, transposed stores: 8-way", sgemm<SCALAR_T, 0>},
      {"s_pad", "scalar loads, transposed stores, rows of 132 words: conflict-free", sgemm<SCALAR_T, 4>},
      {"inner_2way", "row-major As, inner loop reads As[(ty + m) * 8 + i]: 2-way", sgemm<ROW_MAJOR, 0>},
      {"inner_pad", "row-major As with rows of 9 words: conflict-free", sgemm<ROW_MAJOR, 1>},
      {"f4_pad_bsplit", "f4_pad, and B fragments read as two float4 64 columns apart: conflict-free", sgemm<F4_T, 4, true>},
      {"f4_pad_bscalar", "f4_pad, with the B fragment read as 8 scalar floats (unrolled)", sgemm<F4_T, 4, false, true>},
  };
  const int n = 4096, small = 512;
  std::vector<float> hA(size_t(n) * n), hB(size_t(n) * n);
  srand(1);
  for (auto& x : hA) x = float(rand() % 17 - 8) / 8;
  for (auto& x : hB) x = float(rand() % 13 - 6) / 8;
  float *A, *B, *C, *R;
  CHECK(cudaMalloc(&A, hA.size() * 4));
  CHECK(cudaMalloc(&B, hB.size() * 4));
  CHECK(cudaMalloc(&C, hA.size() * 4));
  CHECK(cudaMalloc(&R, hA.size() * 4));
  CHECK(cudaMemcpy(A, hA.data(), hA.size() * 4, cudaMemcpyHostToDevice));
  CHECK(cudaMemcpy(B, hB.data(), hB.size() * 4, cudaMemcpyHostToDevice));
  // correctness at 512^3 (sums of small multiples of 1/64: exact in fp32)
  reference<<<dim3(small / 16, small / 16), dim3(16, 16)>>>(small, small, small, A, B, R);
  std::vector<float> want(size_t(small) * small), got(want.size());
  CHECK(cudaMemcpy(want.data(), R, want.size() * 4, cudaMemcpyDeviceToHost));
  for (const Variant& v : variants) {
    CHECK(cudaMemset(C, 0, want.size() * 4));
    v.kernel<<<dim3(small / BN, small / BM), THREADS>>>(small, small, small, A, B, C);
    CHECK(cudaMemcpy(got.data(), C, got.size() * 4, cudaMemcpyDeviceToHost));
    for (size_t i = 0; i < got.size(); ++i)
      if (std::fabs(got[i] - want[i]) > 1e-3f) { std::fprintf(stderr, "%s: C[%zu] = %g, want %g\n", v.name, i, got[i], want[i]); return 1; }
  }
  for (const Variant& v : variants) {
    const float us = per_launch_us([&] { v.kernel<<<dim3(n / BN, n / BM), THREADS>>>(n, n, n, A, B, C); });
    const double tflops = 2.0 * n * n * double(n) / (us * 1e-6) / 1e12;
    std::printf("{\"measure\":\"staging_store\",\"variant\":\"%s\",\"store\":\"%s\",\"n\":%d,\"us\":%.1f,\"tflops\":%.2f}\n", v.name, v.store, n, us, tflops);
  }
  return 0;
}
