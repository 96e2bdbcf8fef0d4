/*
 * gemm.c: C := alpha*A*B + beta*C
 *
 * Two versions: the textbook triple loop that the benchmark started from, and
 * the cache-blocked one we now run in the nightly numbers.
 */
#include "polybench_like.h"

#ifndef NI
#define NI 1000
#define NJ 1100
#define NK 1200
#endif

#define TILE_I 64
#define TILE_J 256
#define TILE_K 128
#define MIN(a, b) ((a) < (b) ? (a) : (b))

static void init_array(int ni, int nj, int nk, DATA_TYPE *alpha, DATA_TYPE *beta,
                       DATA_TYPE POLYBENCH_2D(C, NI, NJ, ni, nj),
                       DATA_TYPE POLYBENCH_2D(A, NI, NK, ni, nk),
                       DATA_TYPE POLYBENCH_2D(B, NK, NJ, nk, nj))
{
  int i, j;

  *alpha = 1.5;
  *beta = 1.2;
  for (i = 0; i < ni; i++)
    for (j = 0; j < nj; j++)
      C[i][j] = (DATA_TYPE)((i * j + 1) % ni) / ni;
  for (i = 0; i < ni; i++)
    for (j = 0; j < nk; j++)
      A[i][j] = (DATA_TYPE)(i * (j + 1) % nk) / nk;
  for (i = 0; i < nk; i++)
    for (j = 0; j < nj; j++)
      B[i][j] = (DATA_TYPE)(i * (j + 2) % nj) / nj;
}

static void print_array(int ni, int nj, DATA_TYPE POLYBENCH_2D(C, NI, NJ, ni, nj))
{
  int i, j;

  fprintf(stderr, "begin dump: C\n");
  for (i = 0; i < ni; i++) {
    for (j = 0; j < nj; j++) {
      if ((i * ni + j) % 20 == 0)
        fprintf(stderr, "\n");
      fprintf(stderr, DATA_PRINTF_MODIFIER, C[i][j]);
    }
  }
  fprintf(stderr, "\nend dump: C\n");
}

/* Reference version: one dot product per output element. */
static void kernel_gemm(int ni, int nj, int nk, DATA_TYPE alpha, DATA_TYPE beta,
                        DATA_TYPE POLYBENCH_2D(C, NI, NJ, ni, nj),
                        DATA_TYPE POLYBENCH_2D(A, NI, NK, ni, nk),
                        DATA_TYPE POLYBENCH_2D(B, NK, NJ, nk, nj))
{
  int i, j, k;

#pragma scop
  for (i = 0; i < _PB_NI; i++) {
    for (j = 0; j < _PB_NJ; j++) {
      DATA_TYPE acc = SCALAR_VAL(0.0);
      for (k = 0; k < _PB_NK; k++)
        acc += A[i][k] * B[k][j];
      C[i][j] = beta * C[i][j] + alpha * acc;
    }
  }
#pragma endscop
}

/* Blocked version: i/k/j tiles sized for a 1 MiB L2, unit-stride inner loop. */
static void kernel_gemm_tiled(int ni, int nj, int nk, DATA_TYPE alpha, DATA_TYPE beta,
                              DATA_TYPE POLYBENCH_2D(C, NI, NJ, ni, nj),
                              DATA_TYPE POLYBENCH_2D(A, NI, NK, ni, nk),
                              DATA_TYPE POLYBENCH_2D(B, NK, NJ, nk, nj))
{
  int i, j, k, ii, jj, kk;

  for (i = 0; i < _PB_NI; i++)
#pragma omp simd
    for (j = 0; j < _PB_NJ; j++)
      C[i][j] *= beta;

  for (ii = 0; ii < _PB_NI; ii += TILE_I)
    for (kk = 0; kk < _PB_NK; kk += TILE_K)
      for (jj = 0; jj < _PB_NJ; jj += TILE_J)
        for (i = ii; i < MIN(ii + TILE_I, _PB_NI); i++)
          for (k = kk; k < MIN(kk + TILE_K, _PB_NK); k++) {
            const DATA_TYPE a = alpha * A[i][k];
#pragma omp simd
            for (j = jj; j < MIN(jj + TILE_J, _PB_NJ); j++)
              C[i][j] += a * B[k][j];
          }
}

int main(int argc, char **argv)
{
  int ni = NI;
  int nj = NJ;
  int nk = NK;
  DATA_TYPE alpha;
  DATA_TYPE beta;
  DATA_TYPE(*C)[NJ] = POLYBENCH_ALLOC_2D(DATA_TYPE, NI, NJ);
  DATA_TYPE(*A)[NK] = POLYBENCH_ALLOC_2D(DATA_TYPE, NI, NK);
  DATA_TYPE(*B)[NJ] = POLYBENCH_ALLOC_2D(DATA_TYPE, NK, NJ);
  int tiled = argc > 1 && !strcmp(argv[1], "--tiled");

  init_array(ni, nj, nk, &alpha, &beta, C, A, B);

  polybench_start_instruments;
  if (tiled)
    kernel_gemm_tiled(ni, nj, nk, alpha, beta, C, A, B);
  else
    kernel_gemm(ni, nj, nk, alpha, beta, C, A, B);
  polybench_stop_instruments;
  polybench_print_instruments;

  polybench_prevent_dce(print_array(ni, nj, C));

  POLYBENCH_FREE(C);
  POLYBENCH_FREE(A);
  POLYBENCH_FREE(B);
  return 0;
}
