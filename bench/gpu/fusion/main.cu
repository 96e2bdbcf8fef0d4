// y = relu(2x + b), 2^28 fp32: two kernels through an intermediate, the kernel the fusion fix writes, a hand-fused kernel.
#include "../common.cuh"
namespace before_ {
#include "before.cu"
}
namespace after_ {
#include "after.cu"
}
namespace hand_ {
#include "hand.cu"
}

int main() {
  // keep stream-ordered allocations in the pool, so the intermediate's cudaMallocAsync is not timed as an OS allocation
  cudaMemPool_t pool;
  CHECK(cudaDeviceGetDefaultMemPool(&pool, 0));
  uint64_t keep = UINT64_MAX;
  CHECK(cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &keep));
  const int n = 1 << 28;
  float* x = bench::random_floats(n, 1);
  float* b = bench::random_floats(n, 2);
  float* y = bench::zeros<float>(n);
  // the fused kernel's traffic (x and b read, y written) against the copy ceiling
  bench::Work w{"GB/s", 3.0 * n * sizeof(float), 1e9, bench::copy_gbs((size_t)n * sizeof(float))};
  bench::compare_and_time("fusion", {
      {"before", [&] { before_::launch(x, b, y, n); }},
      {"fix", [&] { after_::launch(x, b, y, n); }},
      {"hand", [&] { hand_::launch(x, b, y, n); }},
    }, [&] { CHECK(cudaMemset(y, 0, (size_t)n * sizeof(float))); }, [&] { return bench::to_host(y, n); }, 1e-6, w);
  return 0;
}
