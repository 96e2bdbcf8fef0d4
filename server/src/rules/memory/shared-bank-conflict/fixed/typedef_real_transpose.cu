// A textbook's precision switch: `real` is double or float, as the build says (-DUSE_DP).
// The column read of the [32][32] tile conflicts either way: 32-way for float, and for
// double 16-way (an 8-byte access is served a half-warp at a time): the fewest is reported.
#ifdef USE_DP
    typedef double real;
#else
    typedef float real;
#endif

const int TILE_DIM = 32;

__global__ void transpose_real(const real *A, real *B, const int N)
{
    __shared__ real S[TILE_DIM][TILE_DIM + 1];
    int bx = blockIdx.x * TILE_DIM;
    int by = blockIdx.y * TILE_DIM;
    int nx1 = bx + threadIdx.x;
    int ny1 = by + threadIdx.y;
    if (nx1 < N && ny1 < N)
    {
        S[threadIdx.y][threadIdx.x] = A[ny1 * N + nx1];
    }
    __syncthreads();
    int nx2 = bx + threadIdx.y;
    int ny2 = by + threadIdx.x;
    if (nx2 < N && ny2 < N)
    {
        B[nx2 * N + ny2] = S[threadIdx.x][threadIdx.y];
//                         ^^^^^^^^^^^^^^^^^^^^^^^^^^^ memory/shared-bank-conflict
    }
}

// A double tile alone: 16-way on the column read.
__global__ void transpose_double(const double *A, double *B, const int N)
{
    __shared__ double S[32][33];
    int x = blockIdx.x * 32 + threadIdx.x;
    int y = blockIdx.y * 32 + threadIdx.y;
    S[threadIdx.y][threadIdx.x] = A[y * N + x];
    __syncthreads();
    x = blockIdx.y * 32 + threadIdx.x;
    y = blockIdx.x * 32 + threadIdx.y;
    B[y * N + x] = S[threadIdx.x][threadIdx.y];
//                 ^^^^^^^^^^^^^^^^^^^^^^^^^^^ memory/shared-bank-conflict
}

void transpose(const real *A, real *B, const double *C, double *D, int N)
{
    const dim3 block(TILE_DIM, TILE_DIM);
    const dim3 grid((N + TILE_DIM - 1) / TILE_DIM, (N + TILE_DIM - 1) / TILE_DIM);
    transpose_real<<<grid, block>>>(A, B, N);
    transpose_double<<<grid, block>>>(C, D, N);
}
