// y = 2x, 2^28 fp32: the scalar kernel, the kernel the vector-access fix writes, the hand-written float4 kernel.
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
  const int n = 1 << 28;
  float* x = bench::random_floats(n, 1);
  float* y = bench::zeros<float>(n);
  bench::Work w{"GB/s", 2.0 * n * sizeof(float), 1e9, bench::copy_gbs((size_t)n * sizeof(float))};
  bench::compare_and_time("vector", {
      {"before", [&] { before_::launch(x, y, n); }},
      {"fix", [&] { after_::launch(x, y, n); }},
      {"hand", [&] { hand_::launch(x, y, n); }},
    }, [&] { CHECK(cudaMemset(y, 0, (size_t)n * sizeof(float))); }, [&] { return bench::to_host(y, n); }, 0.0, w);
  // an odd size and an offset pointer: the fix keeps the results for any n and alignment
  const int odd = (1 << 20) + 3;
  bench::compare_and_time("vector-odd", {
      {"before", [&] { before_::launch(x + 1, y + 1, odd); }},
      {"fix", [&] { after_::launch(x + 1, y + 1, odd); }},
    }, [&] { CHECK(cudaMemset(y, 0, (size_t)n * sizeof(float))); }, [&] { return bench::to_host(y, odd + 2); }, 0.0,
    bench::Work{"GB/s", 2.0 * odd * sizeof(float), 1e9, w.ceiling});
  return 0;
}
