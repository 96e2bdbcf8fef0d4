// Chunked host loops with pageable synchronous copies: each chunk is copied in, processed
// and copied out before the next one starts.
#include <cuda_runtime.h>

__global__ void scale(const float *in, float *out, float s, int n) {
//              ^^^^^ vectorization/vector-memory-access
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) out[i] = s * in[i];
}

__global__ void axpy(const float *x, float *y, float a, int n) {
//              ^^^^ vectorization/vector-memory-access
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) y[i] += a * x[i];
}

// One device buffer pair reused by every chunk.
void scale_chunks(const float *h_in, float *h_out, float *d_in, float *d_out, size_t total, int chunk) {
  // Chunks round-robin over 4 streams: with the host memory page-locked, cudaMemcpyAsync overlaps one chunk's copies with another's kernel (device buffers: one per stream)
  const int kStreams = 4;
  const size_t chunk_bytes = chunk * sizeof(float);
  const size_t chunk_count = total > 0 ? (total + chunk - 1) / chunk : 0;  // iterations of the loop
  // page-locks host memory for the async copies; false where it is pinned already or cannot be (copies from it still work, unoverlapped)
  auto page_lock = [](const void *p, size_t bytes) {
    const bool clean = cudaPeekAtLastError() == cudaSuccess;
    if (bytes && cudaHostRegister(const_cast<void *>(p), bytes, cudaHostRegisterDefault) == cudaSuccess) return true;
    if (clean) cudaGetLastError();  // leave no error behind
    return false;
  };
  const bool h_in_locked = page_lock(h_in, chunk_count * chunk_bytes);
  const bool h_out_locked = page_lock(h_out, chunk_count * chunk_bytes);
  cudaStream_t streams[kStreams];
  float *d_in_buf[kStreams];
  float *d_out_buf[kStreams];
  cudaEvent_t ready;  // work queued before the loop on the default stream comes first
  cudaEventCreateWithFlags(&ready, cudaEventDisableTiming);
  cudaEventRecord(ready, 0);
  for (int s = 0; s < kStreams; ++s) {
    cudaStreamCreateWithFlags(&streams[s], cudaStreamNonBlocking);
    cudaStreamWaitEvent(streams[s], ready, 0);
    cudaMalloc(&d_in_buf[s], chunk_bytes);
    cudaMalloc(&d_out_buf[s], chunk_bytes);
  }
  int slot = 0;
  for (size_t off = 0; off < total; off += chunk) {
    cudaStreamSynchronize(streams[slot]);  // this stream's previous chunk is done with its device buffers
    cudaMemcpyAsync(d_in_buf[slot], h_in + off, chunk_bytes, cudaMemcpyHostToDevice, streams[slot]);
//  ^^^^^^^^^^ overlap/sync-transfer
    scale<<<(chunk + 255) / 256, 256, 0, streams[slot]>>>(d_in_buf[slot], d_out_buf[slot], 2.0f, chunk);
    cudaMemcpyAsync(h_out + off, d_out_buf[slot], chunk_bytes, cudaMemcpyDeviceToHost, streams[slot]);
    slot = (slot + 1) % kStreams;
  }
  for (int s = 0; s < kStreams; ++s) cudaStreamSynchronize(streams[s]);
  if (chunk_count > 0) {  // d_in, d_out end up holding the last chunk, as with the blocking copies
    const int last = (slot + kStreams - 1) % kStreams;
    cudaMemcpy(d_in, d_in_buf[last], chunk_bytes, cudaMemcpyDeviceToDevice);
    cudaMemcpy(d_out, d_out_buf[last], chunk_bytes, cudaMemcpyDeviceToDevice);
  }
  if (h_in_locked) cudaHostUnregister((void *)h_in);
  if (h_out_locked) cudaHostUnregister((void *)h_out);
  for (int s = 0; s < kStreams; ++s) {
    cudaFree(d_in_buf[s]);
    cudaFree(d_out_buf[s]);
    cudaStreamDestroy(streams[s]);
  }
  cudaEventDestroy(ready);
}

// y += a * x chunk by chunk, y updated in place on the host.
void axpy_chunks(const float *h_x, float *h_y, float a, int nchunks, int chunk) {
  float *d_x, *d_y;
  cudaMalloc(&d_x, chunk * sizeof(float));
  cudaMalloc(&d_y, chunk * sizeof(float));
  // Chunks round-robin over 4 streams: with the host memory page-locked, cudaMemcpyAsync overlaps one chunk's copies with another's kernel (device buffers: one per stream)
  const int kStreams = 4;
  const size_t chunk_bytes = chunk * sizeof(float);
  const size_t chunk_count = nchunks > 0 ? nchunks : 0;  // iterations of the loop
  // page-locks host memory for the async copies; false where it is pinned already or cannot be (copies from it still work, unoverlapped)
  auto page_lock = [](const void *p, size_t bytes) {
    const bool clean = cudaPeekAtLastError() == cudaSuccess;
    if (bytes && cudaHostRegister(const_cast<void *>(p), bytes, cudaHostRegisterDefault) == cudaSuccess) return true;
    if (clean) cudaGetLastError();  // leave no error behind
    return false;
  };
  const bool h_x_locked = page_lock(h_x, chunk_count * chunk_bytes);
  const bool h_y_locked = page_lock(h_y, chunk_count * chunk_bytes);
  cudaStream_t streams[kStreams];
  float *d_x_buf[kStreams];
  float *d_y_buf[kStreams];
  cudaEvent_t ready;  // work queued before the loop on the default stream comes first
  cudaEventCreateWithFlags(&ready, cudaEventDisableTiming);
  cudaEventRecord(ready, 0);
  for (int s = 0; s < kStreams; ++s) {
    cudaStreamCreateWithFlags(&streams[s], cudaStreamNonBlocking);
    cudaStreamWaitEvent(streams[s], ready, 0);
    cudaMalloc(&d_x_buf[s], chunk_bytes);
    cudaMalloc(&d_y_buf[s], chunk_bytes);
  }
  int slot = 0;
  for (int c = 0; c < nchunks; ++c) {
    cudaStreamSynchronize(streams[slot]);  // this stream's previous chunk is done with its device buffers
    cudaMemcpyAsync(d_x_buf[slot], h_x + (size_t)c * chunk, chunk_bytes, cudaMemcpyHostToDevice, streams[slot]);
//  ^^^^^^^^^^ overlap/sync-transfer
    cudaMemcpyAsync(d_y_buf[slot], h_y + (size_t)c * chunk, chunk_bytes, cudaMemcpyHostToDevice, streams[slot]);
    axpy<<<64, 256, 0, streams[slot]>>>(d_x_buf[slot], d_y_buf[slot], a, chunk);
    cudaMemcpyAsync(h_y + (size_t)c * chunk, d_y_buf[slot], chunk_bytes, cudaMemcpyDeviceToHost, streams[slot]);
    slot = (slot + 1) % kStreams;
  }
  for (int s = 0; s < kStreams; ++s) cudaStreamSynchronize(streams[s]);
  if (chunk_count > 0) {  // d_x, d_y end up holding the last chunk, as with the blocking copies
    const int last = (slot + kStreams - 1) % kStreams;
    cudaMemcpy(d_x, d_x_buf[last], chunk_bytes, cudaMemcpyDeviceToDevice);
    cudaMemcpy(d_y, d_y_buf[last], chunk_bytes, cudaMemcpyDeviceToDevice);
  }
  if (h_x_locked) cudaHostUnregister((void *)h_x);
  if (h_y_locked) cudaHostUnregister((void *)h_y);
  for (int s = 0; s < kStreams; ++s) {
    cudaFree(d_x_buf[s]);
    cudaFree(d_y_buf[s]);
    cudaStreamDestroy(streams[s]);
  }
  cudaEventDestroy(ready);
  cudaFree(d_x);
  cudaFree(d_y);
}

// The device arrays hold the whole data set: each chunk has its own slice there too.
void scale_slices(const float *h_in, float *h_out, float *d_in, float *d_out, int total, int chunk) {
  // Chunks round-robin over 4 streams: with the host memory page-locked, cudaMemcpyAsync overlaps one chunk's copies with another's kernel
  const int kStreams = 4;
  const size_t chunk_bytes = chunk * sizeof(float);
  const size_t chunk_count = total > 0 ? (total + chunk - 1) / chunk : 0;  // iterations of the loop
  // page-locks host memory for the async copies; false where it is pinned already or cannot be (copies from it still work, unoverlapped)
  auto page_lock = [](const void *p, size_t bytes) {
    const bool clean = cudaPeekAtLastError() == cudaSuccess;
    if (bytes && cudaHostRegister(const_cast<void *>(p), bytes, cudaHostRegisterDefault) == cudaSuccess) return true;
    if (clean) cudaGetLastError();  // leave no error behind
    return false;
  };
  const bool h_in_locked = page_lock(h_in, chunk_count * chunk_bytes);
  const bool h_out_locked = page_lock(h_out, chunk_count * chunk_bytes);
  cudaStream_t streams[kStreams];
  cudaEvent_t ready;  // work queued before the loop on the default stream comes first
  cudaEventCreateWithFlags(&ready, cudaEventDisableTiming);
  cudaEventRecord(ready, 0);
  for (int s = 0; s < kStreams; ++s) {
    cudaStreamCreateWithFlags(&streams[s], cudaStreamNonBlocking);
    cudaStreamWaitEvent(streams[s], ready, 0);
  }
  int slot = 0;
  for (int off = 0; off < total; off += chunk) {
    cudaMemcpyAsync(d_in + off, h_in + off, chunk_bytes, cudaMemcpyHostToDevice, streams[slot]);
//  ^^^^^^^^^^ overlap/sync-transfer
    scale<<<(chunk + 255) / 256, 256, 0, streams[slot]>>>(d_in + off, d_out + off, 0.5f, chunk);
    cudaMemcpyAsync(h_out + off, d_out + off, chunk_bytes, cudaMemcpyDeviceToHost, streams[slot]);
    slot = (slot + 1) % kStreams;
  }
  for (int s = 0; s < kStreams; ++s) cudaStreamSynchronize(streams[s]);
  if (h_in_locked) cudaHostUnregister((void *)h_in);
  if (h_out_locked) cudaHostUnregister((void *)h_out);
  for (int s = 0; s < kStreams; ++s) {
    cudaStreamDestroy(streams[s]);
  }
  cudaEventDestroy(ready);
}
