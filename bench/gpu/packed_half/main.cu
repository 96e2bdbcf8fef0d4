// y = a*x + b, 2^28 fp16: scalar __half, the kernel the packed-half fix writes, the hand-written 8-halves-per-thread kernel.
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
  __half* x = bench::random_halves(n, 1);
  __half* y = bench::zeros<__half>(n);
  const __half a = __float2half(1.5f), b = __float2half(-0.25f);
  bench::Work w{"GB/s", 2.0 * n * sizeof(__half), 1e9, bench::copy_gbs((size_t)n * sizeof(__half))};
  bench::compare_and_time("packed_half", {
      {"before", [&] { before_::launch(x, y, a, b, n); }},
      {"fix", [&] { after_::launch(x, y, a, b, n); }},
      {"hand", [&] { hand_::launch(x, y, a, b, n); }},
    }, [&] { CHECK(cudaMemset(y, 0, (size_t)n * sizeof(__half))); }, [&] { return bench::to_host(y, n); }, 0.0, w);
  const int odd = (1 << 20) + 5;
  bench::compare_and_time("packed_half-odd", {
      {"before", [&] { before_::launch(x + 1, y + 1, a, b, odd); }},
      {"fix", [&] { after_::launch(x + 1, y + 1, a, b, odd); }},
    }, [&] { CHECK(cudaMemset(y, 0, (size_t)n * sizeof(__half))); }, [&] { return bench::to_host(y, odd + 2); }, 0.0,
    bench::Work{"GB/s", 2.0 * odd * sizeof(__half), 1e9, w.ceiling});
  return 0;
}
