// Deterministic generator of realistic CUDA source for the benchmark (test/bench/bench.ts):
// naive and tiled matmuls, elementwise kernels, transposes, reductions, grid-stride loops,
// CPU reference loop nests and host functions with allocation, copies and launch chains.
// Names vary per block so that no two functions share a text. Same seed -> same text.

/** mulberry32: a small, fast, deterministic PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NOUNS = ['attn', 'ffn', 'proj', 'embed', 'norm', 'conv', 'pool', 'mlp', 'head', 'gate', 'moe', 'rope', 'kv', 'logit', 'loss', 'grad', 'adam', 'sgd', 'bn', 'ln'];
const VERBS = ['fwd', 'bwd', 'apply', 'update', 'fuse', 'prep', 'post', 'step', 'eval', 'train'];
const OPS: [string, string][] = [
  ['scale', 'a * x[i]'],
  ['bias', 'x[i] + a'],
  ['relu', 'fmaxf(x[i], 0.f)'],
  ['clip', 'fminf(fmaxf(x[i], -a), a)'],
  ['square', 'x[i] * x[i]'],
  ['shift', 'x[i] - a'],
  ['leaky', 'x[i] > 0.f ? x[i] : a * x[i]'],
  ['affine', 'a * x[i] + 1.0f'],
];
const COMMENTS = [
  'one thread per output element',
  'bounds check keeps the tail block safe',
  'accumulate in registers before the store',
  'row-major layout, leading dimension given by the caller',
  'launch configuration chosen for 256 threads per block',
  'the caller owns all device buffers',
  'values are read once and written once',
  'keep the loop simple so the compiler can unroll it',
];

export interface GeneratedFile {
  text: string;
  lines: number;
  functions: number;
}

/** Generates a CUDA translation unit of at least `targetLines` lines. */
export function generateCuda(targetLines: number, seed = 1): GeneratedFile {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const out: string[] = [
    `// Generated benchmark input (seed ${seed}): a mix of the kernels Kernel Advisor looks at.`,
    '#include <cstdio>',
    '#include <cstdlib>',
    '#include <vector>',
    '#include <cuda_runtime.h>',
    '',
    '#define TILE_DIM 32',
    '#define BLOCK_ROWS 8',
    '',
  ];
  let functions = 0;
  let block = 0;
  const emit = (s: string) => out.push(...s.split('\n'));

  const naiveMatmul = (p: string) => {
    functions++;
    emit(`// ${pick(COMMENTS)}
__global__ void ${p}_sgemm_naive(int M, int N, int K, const float* __restrict__ A,
                                 const float* __restrict__ B, float* __restrict__ C) {
  const int row = blockIdx.y * blockDim.y + threadIdx.y;
  const int col = blockIdx.x * blockDim.x + threadIdx.x;
  if (row >= M || col >= N) return;
  float acc = 0.f;
  // ${pick(COMMENTS)}
  for (int k = 0; k < K; ++k) acc += A[row * K + k] * B[k * N + col];
  C[row * N + col] = acc;
}
`);
  };

  const tiledMatmul = (p: string) => {
    functions++;
    const t = pick([16, 32]);
    emit(`// Shared-memory tiled matmul, ${t}x${t} tiles.
__global__ void ${p}_sgemm_tiled(int M, int N, int K, const float* __restrict__ A,
                                 const float* __restrict__ B, float* __restrict__ C) {
  __shared__ float As[${t}][${t}];
  __shared__ float Bs[${t}][${t}];
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int row = blockIdx.y * ${t} + ty;
  const int col = blockIdx.x * ${t} + tx;
  float acc = 0.f;
  for (int k0 = 0; k0 < K; k0 += ${t}) {
    As[ty][tx] = A[row * K + k0 + tx];
    Bs[ty][tx] = B[(k0 + ty) * N + col];
    __syncthreads();
#pragma unroll
    for (int k = 0; k < ${t}; ++k) acc += As[ty][k] * Bs[k][tx];
    __syncthreads();
  }
  if (row < M && col < N) C[row * N + col] = acc;
}
`);
  };

  const elementwise = (p: string, idx: number): string => {
    functions++;
    const [op, expr] = OPS[(idx + Math.floor(rnd() * OPS.length)) % OPS.length];
    const name = `${p}_${op}${idx}`;
    emit(`__global__ void ${name}(const float* __restrict__ x, float* __restrict__ y, float a, int n) {
  // ${pick(COMMENTS)}
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = ${expr};
}
`);
    return name;
  };

  const gridStride = (p: string) => {
    functions++;
    emit(`__global__ void ${p}_saxpy_gs(int n, float a, const float* __restrict__ x, float* __restrict__ y) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) {
    y[i] = a * x[i] + y[i];
  }
}
`);
  };

  const transposes = (p: string) => {
    functions += 2;
    emit(`__global__ void ${p}_transpose_naive(const float* __restrict__ in, float* __restrict__ out,
                                     int rows, int cols) {
  const int x = blockIdx.x * blockDim.x + threadIdx.x;
  const int y = blockIdx.y * blockDim.y + threadIdx.y;
  if (x < cols && y < rows) out[x * rows + y] = in[y * cols + x];
}

__global__ void ${p}_transpose_tiled(const float* __restrict__ in, float* __restrict__ out,
                                     int rows, int cols) {
  __shared__ float tile[TILE_DIM][TILE_DIM + 1];
  int x = blockIdx.x * TILE_DIM + threadIdx.x;
  int y = blockIdx.y * TILE_DIM + threadIdx.y;
  for (int j = 0; j < TILE_DIM; j += BLOCK_ROWS)
    if (x < cols && y + j < rows) tile[threadIdx.y + j][threadIdx.x] = in[(y + j) * cols + x];
  __syncthreads();
  x = blockIdx.y * TILE_DIM + threadIdx.x;
  y = blockIdx.x * TILE_DIM + threadIdx.y;
  for (int j = 0; j < TILE_DIM; j += BLOCK_ROWS)
    if (x < rows && y + j < cols) out[(y + j) * rows + x] = tile[threadIdx.x][threadIdx.y + j];
}
`);
  };

  const rowReduce = (p: string) => {
    functions++;
    emit(`// One thread per row: neighbouring threads read addresses one row apart.
__global__ void ${p}_row_sum(const float* __restrict__ m, float* __restrict__ out, int rows, int cols) {
  const int r = blockIdx.x * blockDim.x + threadIdx.x;
  if (r >= rows) return;
  float s = 0.f;
  for (int c = 0; c < cols; ++c) s += m[r * cols + c];
  out[r] = s;
}
`);
  };

  const cpuReference = (p: string) => {
    functions++;
    emit(`// CPU reference used to check the GPU result.
void ${p}_matmul_ref(int M, int N, int K, const float* A, const float* B, float* C) {
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < N; ++j) {
      float acc = 0.f;
      for (int k = 0; k < K; ++k) acc += A[i * K + k] * B[k * N + j];
      C[i * N + j] = acc;
    }
}
`);
  };

  const host = (p: string, chain: string[]) => {
    functions++;
    const launches = chain
      .map((k, i) => `  ${k}<<<blocks, threads>>>(${i === 0 ? 'd_x' : i % 2 ? 'd_t' : 'd_u'}, ${i % 2 ? 'd_u' : 'd_t'}, ${(0.5 + i).toFixed(1)}f, n);`)
      .join('\n');
    emit(`int ${p}_run(int n, int argc, char** argv) {
  const size_t bytes = size_t(n) * sizeof(float);
  std::vector<float> h(n, ${(rnd() * 4 - 2).toFixed(2)}f);
  float *d_x, *d_t, *d_u;
  cudaMalloc(&d_x, bytes);
  cudaMalloc(&d_t, bytes);
  cudaMalloc(&d_u, bytes);
  cudaMemcpy(d_x, h.data(), bytes, cudaMemcpyHostToDevice);
  const int threads = 256, blocks = (n + threads - 1) / threads;
${launches}
  cudaMemcpy(h.data(), d_u, bytes, cudaMemcpyDeviceToHost);
  std::printf("${p}: %f\\n", h[0]);
  cudaFree(d_x);
  cudaFree(d_t);
  cudaFree(d_u);
  dim3 tb(TILE_DIM, BLOCK_ROWS);
  dim3 grid((n + TILE_DIM - 1) / TILE_DIM, (n + TILE_DIM - 1) / TILE_DIM);
  (void)tb;
  (void)grid;
  return argc > 1 ? std::atoi(argv[1]) : 0;
}
`);
  };

  while (out.length < targetLines) {
    const p = `${pick(NOUNS)}_${pick(VERBS)}_${block}`;
    block++;
    const kinds = Math.floor(rnd() * 4);
    if (kinds === 0) naiveMatmul(p);
    else if (kinds === 1) tiledMatmul(p);
    else if (kinds === 2) transposes(p);
    else rowReduce(p);
    if (rnd() < 0.5) gridStride(p);
    if (rnd() < 0.3) cpuReference(p);
    const n = 2 + Math.floor(rnd() * 3);
    const chain: string[] = [];
    for (let i = 0; i < n; i++) chain.push(elementwise(p, i));
    host(p, chain);
  }
  const text = out.join('\n') + '\n';
  return { text, lines: out.length, functions };
}
