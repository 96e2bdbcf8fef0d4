// out = in^T, 16384^2 fp32: the "before" kernel, what the fix writes, the hand-written padded-tile transpose.
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
  const int rows = 16384, cols = 16384;
  const size_t n = (size_t)rows * cols;
  float* in = bench::random_floats(n, 1);
  float* out = bench::zeros<float>(n);
  bench::Work w{"GB/s", 2.0 * n * sizeof(float), 1e9, bench::copy_gbs(n * sizeof(float))};
  bench::compare_and_time("transpose", {
      {"before", [&] { before_::launch(in, out, rows, cols); }},
      {"fix", [&] { after_::launch(in, out, rows, cols); }},
      {"hand", [&] { hand_::launch(in, out, rows, cols); }},
    }, [&] { CHECK(cudaMemset(out, 0, n * sizeof(float))); }, [&] { return bench::to_host(out, n); }, 0.0, w);
  const int r = 1000, c = 777;
  bench::compare_and_time("transpose-edges", {
      {"before", [&] { before_::launch(in, out, r, c); }},
      {"fix", [&] { after_::launch(in, out, r, c); }},
    }, [&] { CHECK(cudaMemset(out, 0, n * sizeof(float))); }, [&] { return bench::to_host(out, (size_t)r * c); }, 0.0,
    bench::Work{"GB/s", 2.0 * r * c * sizeof(float), 1e9, w.ceiling});
  return 0;
}
