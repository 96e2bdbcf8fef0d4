/*
 * conv2d.c: direct 2-D convolutions on NCHW tensors (single image), the CPU
 * side of the layer benchmark.
 */
#include "polybench_like.h"

#ifndef NI
#define NI 512
#define NJ 512
#endif

#define CIN 64
#define COUT 64
#define H 56
#define W 56
#define KH 3
#define KW 3
#define OH (H - KH + 1)
#define OW (W - KW + 1)

/* PolyBench-style fixed 3x3 filter over one plane. */
static void kernel_conv2d_3x3(int ni, int nj,
                              DATA_TYPE POLYBENCH_2D(A, NI, NJ, ni, nj),
                              DATA_TYPE POLYBENCH_2D(B, NI, NJ, ni, nj))
{
  int i, j;
  const DATA_TYPE c11 = +0.2, c21 = +0.5, c31 = -0.8;
  const DATA_TYPE c12 = -0.3, c22 = +0.6, c32 = -0.9;
  const DATA_TYPE c13 = +0.4, c23 = +0.7, c33 = +0.10;

#pragma scop
  for (i = 1; i < _PB_NI - 1; ++i)
    for (j = 1; j < _PB_NJ - 1; ++j)
      B[i][j] = c11 * A[i - 1][j - 1] + c12 * A[i + 0][j - 1] + c13 * A[i + 1][j - 1]
              + c21 * A[i - 1][j + 0] + c22 * A[i + 0][j + 0] + c23 * A[i + 1][j + 0]
              + c31 * A[i - 1][j + 1] + c32 * A[i + 0][j + 1] + c33 * A[i + 1][j + 1];
#pragma endscop
}

/* Direct convolution, all channels: out[co][y][x] = sum in[ci][y+ky][x+kx] * w[co][ci][ky][kx] */
static void conv2d_nchw_direct(DATA_TYPE POLYBENCH_3D(in, CIN, H, W, CIN, H, W),
                               DATA_TYPE w[COUT][CIN][KH][KW],
                               DATA_TYPE POLYBENCH_1D(bias, COUT, COUT),
                               DATA_TYPE POLYBENCH_3D(out, COUT, OH, OW, COUT, OH, OW))
{
  int co, ci, y, x, ky, kx;

  for (co = 0; co < COUT; co++)
    for (y = 0; y < OH; y++)
      for (x = 0; x < OW; x++) {
        DATA_TYPE acc = bias[co];
        for (ci = 0; ci < CIN; ci++)
          for (ky = 0; ky < KH; ky++)
            for (kx = 0; kx < KW; kx++)
              acc += in[ci][y + ky][x + kx] * w[co][ci][ky][kx];
        out[co][y][x] = acc;
      }
}

/* Output-channel blocked: 8 output channels share each input row load, and the
 * x loop is innermost and vectorized. */
static void conv2d_nchw_blocked(DATA_TYPE POLYBENCH_3D(in, CIN, H, W, CIN, H, W),
                                DATA_TYPE w[COUT][CIN][KH][KW],
                                DATA_TYPE POLYBENCH_1D(bias, COUT, COUT),
                                DATA_TYPE POLYBENCH_3D(out, COUT, OH, OW, COUT, OH, OW))
{
  enum { CO_B = 8 };
  int cob, c, ci, y, x, ky, kx;

  for (cob = 0; cob < COUT; cob += CO_B)
    for (y = 0; y < OH; y++) {
      DATA_TYPE acc[CO_B][OW];
      for (c = 0; c < CO_B; c++)
        for (x = 0; x < OW; x++)
          acc[c][x] = bias[cob + c];
      for (ci = 0; ci < CIN; ci++)
        for (ky = 0; ky < KH; ky++)
          for (kx = 0; kx < KW; kx++)
            for (c = 0; c < CO_B; c++) {
              const DATA_TYPE wv = w[cob + c][ci][ky][kx];
#pragma omp simd
              for (x = 0; x < OW; x++)
                acc[c][x] += wv * in[ci][y + ky][x + kx];
            }
      for (c = 0; c < CO_B; c++)
        memcpy(out[cob + c][y], acc[c], sizeof(acc[c]));
    }
}

/* Lower the input to a (CIN*KH*KW) x (OH*OW) matrix for a GEMM-based path. */
static void im2col(DATA_TYPE POLYBENCH_3D(in, CIN, H, W, CIN, H, W),
                   DATA_TYPE *cols)
{
  int ci, ky, kx, y, x;
  size_t row = 0;

  for (ci = 0; ci < CIN; ci++)
    for (ky = 0; ky < KH; ky++)
      for (kx = 0; kx < KW; kx++, row++)
        for (y = 0; y < OH; y++)
          for (x = 0; x < OW; x++)
            cols[row * (OH * OW) + (size_t)y * OW + x] = in[ci][y + ky][x + kx];
}

int main(int argc, char **argv)
{
  int ni = NI, nj = NJ;
  DATA_TYPE(*A)[NJ] = POLYBENCH_ALLOC_2D(DATA_TYPE, NI, NJ);
  DATA_TYPE(*B)[NJ] = POLYBENCH_ALLOC_2D(DATA_TYPE, NI, NJ);
  DATA_TYPE(*in)[H][W] = POLYBENCH_ALLOC_3D(DATA_TYPE, CIN, H, W);
  DATA_TYPE(*w)[CIN][KH][KW] = malloc(sizeof(DATA_TYPE) * COUT * CIN * KH * KW);
  DATA_TYPE *bias = POLYBENCH_ALLOC_1D(DATA_TYPE, COUT);
  DATA_TYPE(*out)[OH][OW] = POLYBENCH_ALLOC_3D(DATA_TYPE, COUT, OH, OW);
  DATA_TYPE *cols = POLYBENCH_ALLOC_1D(DATA_TYPE, (size_t)CIN * KH * KW * OH * OW);

  kernel_conv2d_3x3(ni, nj, A, B);
  if (argc > 1 && argv[1][0] == 'b')
    conv2d_nchw_blocked(in, w, bias, out);
  else
    conv2d_nchw_direct(in, w, bias, out);
  im2col(in, cols);

  if (argc > 42)
    printf(DATA_PRINTF_MODIFIER "\n", B[1][1] + out[0][0][0] + cols[0]);

  POLYBENCH_FREE(A);
  POLYBENCH_FREE(B);
  POLYBENCH_FREE(in);
  POLYBENCH_FREE(w);
  POLYBENCH_FREE(bias);
  POLYBENCH_FREE(out);
  POLYBENCH_FREE(cols);
  return 0;
}
