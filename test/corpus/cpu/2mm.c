/*
 * 2mm.c: two chained matrix products, D := alpha*A*B*C + beta*D
 */
#include "polybench_like.h"

#ifndef NI
#define NI 800
#define NJ 900
#define NK 1100
#define NL 1200
#endif

static void init_array(int ni, int nj, int nk, int nl, DATA_TYPE *alpha, DATA_TYPE *beta,
                       DATA_TYPE POLYBENCH_2D(A, NI, NK, ni, nk),
                       DATA_TYPE POLYBENCH_2D(B, NK, NJ, nk, nj),
                       DATA_TYPE POLYBENCH_2D(C, NJ, NL, nj, nl),
                       DATA_TYPE POLYBENCH_2D(D, NI, NL, ni, nl))
{
  int i, j;

  *alpha = 1.5;
  *beta = 1.2;
  for (i = 0; i < ni; i++)
    for (j = 0; j < nk; j++)
      A[i][j] = (DATA_TYPE)((i * j + 1) % ni) / ni;
  for (i = 0; i < nk; i++)
    for (j = 0; j < nj; j++)
      B[i][j] = (DATA_TYPE)(i * (j + 1) % nj) / nj;
  for (i = 0; i < nj; i++)
    for (j = 0; j < nl; j++)
      C[i][j] = (DATA_TYPE)((i * (j + 3) + 1) % nl) / nl;
  for (i = 0; i < ni; i++)
    for (j = 0; j < nl; j++)
      D[i][j] = (DATA_TYPE)(i * (j + 2) % nk) / nk;
}

static void kernel_2mm(int ni, int nj, int nk, int nl, DATA_TYPE alpha, DATA_TYPE beta,
                       DATA_TYPE POLYBENCH_2D(tmp, NI, NJ, ni, nj),
                       DATA_TYPE POLYBENCH_2D(A, NI, NK, ni, nk),
                       DATA_TYPE POLYBENCH_2D(B, NK, NJ, nk, nj),
                       DATA_TYPE POLYBENCH_2D(C, NJ, NL, nj, nl),
                       DATA_TYPE POLYBENCH_2D(D, NI, NL, ni, nl))
{
  int i, j, k;

#pragma scop
  /* tmp := alpha * A * B */
  for (i = 0; i < _PB_NI; i++)
    for (j = 0; j < _PB_NJ; j++) {
      tmp[i][j] = SCALAR_VAL(0.0);
      for (k = 0; k < _PB_NK; ++k)
        tmp[i][j] += alpha * A[i][k] * B[k][j];
    }
  /* D := tmp * C + beta * D */
  for (i = 0; i < _PB_NI; i++)
    for (j = 0; j < _PB_NL; j++) {
      D[i][j] *= beta;
      for (k = 0; k < _PB_NJ; ++k)
        D[i][j] += tmp[i][k] * C[k][j];
    }
#pragma endscop
}

int main(int argc, char **argv)
{
  int ni = NI, nj = NJ, nk = NK, nl = NL;
  DATA_TYPE alpha, beta;
  DATA_TYPE(*tmp)[NJ] = POLYBENCH_ALLOC_2D(DATA_TYPE, NI, NJ);
  DATA_TYPE(*A)[NK] = POLYBENCH_ALLOC_2D(DATA_TYPE, NI, NK);
  DATA_TYPE(*B)[NJ] = POLYBENCH_ALLOC_2D(DATA_TYPE, NK, NJ);
  DATA_TYPE(*C)[NL] = POLYBENCH_ALLOC_2D(DATA_TYPE, NJ, NL);
  DATA_TYPE(*D)[NL] = POLYBENCH_ALLOC_2D(DATA_TYPE, NI, NL);
  int i, j;

  init_array(ni, nj, nk, nl, &alpha, &beta, A, B, C, D);

  polybench_start_instruments;
  kernel_2mm(ni, nj, nk, nl, alpha, beta, tmp, A, B, C, D);
  polybench_stop_instruments;
  polybench_print_instruments;

  if (argc > 42)
    for (i = 0; i < ni; i++)
      for (j = 0; j < nl; j++)
        printf(DATA_PRINTF_MODIFIER, D[i][j]);

  POLYBENCH_FREE(tmp);
  POLYBENCH_FREE(A);
  POLYBENCH_FREE(B);
  POLYBENCH_FREE(C);
  POLYBENCH_FREE(D);
  return 0;
}
