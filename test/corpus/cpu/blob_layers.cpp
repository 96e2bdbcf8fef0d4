// Reference layers of an inference runtime written the way such code is: row pointers from
// blob accessors, pointers stepped through weights, flattened loops, per-plane scratch
// arrays, sliding pooling windows and chunks of rows.
#include <algorithm>
#include <vector>

struct Blob {
  float* data;
  int w, h, c;
  float* channel(int q) const { return data + (long)q * w * h; }
  float* row(int y) const { return data + (long)y * w; }
};

void dense_forward(const Blob& in, const float* weight, const float* bias, Blob& out, int inputs, int outputs) {
  for (int r = 0; r < in.h; ++r) {
    const float* x = in.row(r);
    float* y = out.row(r);
    const float* wrow = weight;
    for (int o = 0; o < outputs; ++o) {
      float acc = bias[o];
      for (int k = 0; k < inputs; ++k) acc += x[k] * wrow[k];
      y[o] = acc;
      wrow += inputs;
    }
  }
}

void adaptive_avg_pool(const Blob& in, Blob& out, int out_h, int out_w) {
  for (int q = 0; q < in.c; ++q) {
    const float* src = in.channel(q);
    float* dst = out.channel(q);
    for (int oy = 0; oy < out_h; ++oy) {
      const int y0 = oy * in.h / out_h;
      const int y1 = ((oy + 1) * in.h + out_h - 1) / out_h;
      for (int ox = 0; ox < out_w; ++ox) {
        const int x0 = ox * in.w / out_w;
        const int x1 = ((ox + 1) * in.w + out_w - 1) / out_w;
        float s = 0.f;
        for (int y = y0; y < y1; ++y)
          for (int x = x0; x < x1; ++x) s += src[y * in.w + x];
        dst[oy * out_w + ox] = s / ((y1 - y0) * (x1 - x0));
      }
    }
  }
}

#define PLANE 256
static double slab[PLANE][PLANE][PLANE], solved[PLANE][PLANE][PLANE];
static double work_plane[PLANE][PLANE];

void plane_smooth(int n) {
  for (int k = 1; k < n - 1; k++) {
    for (int j = 0; j < n; j++)
      for (int i = 0; i < n; i++) work_plane[j][i] = 0.5 * (slab[k - 1][j][i] + slab[k + 1][j][i]);
    for (int j = 1; j < n - 1; j++)
      for (int i = 1; i < n - 1; i++) solved[k][j][i] = work_plane[j][i] + 0.25 * (work_plane[j - 1][i] + work_plane[j + 1][i]);
  }
}

void matmul_flat(const float* lhs, const float* rhs, float* out, int rows, int inner, int cols) {
  for (int t = 0; t < rows * cols; t++) {
    const int i = t / cols;
    const int j = t % cols;
    float acc = 0.f;
    for (int p = 0; p < inner; p++) acc += lhs[i * inner + p] * rhs[p * cols + j];
    out[t] = acc;
  }
}

void quantize_chunks(const float* x, float* q, long* counts, long rows, long width, long chunks, float step) {
  const long per = (rows + chunks - 1) / chunks;
  for (long c = 0; c < chunks; ++c) {
    long kept = 0;
    for (long r = per * c; r < std::min<long>((c + 1) * per, rows); ++r)
      for (long k = 0; k < width; ++k) {
        q[r * width + k] = step * (long)(x[r * width + k] / step);
        kept += 1;
      }
    counts[c] = kept;
  }
}
