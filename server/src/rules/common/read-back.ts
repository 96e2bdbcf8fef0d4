// Host loops over what the function just copied back from the GPU (`cudaMemcpy(h_losses, d_losses, ...,
// cudaMemcpyDeviceToHost)`, then the mean of the losses): the buffer a copy fills, by one name.

/** The buffer a copy's destination names (`h_rank.data()`, `&h_rank[0]`: `h_rank`). */
export const copiedBuffer = (text: string): string => text.replace(/\s+/g, '').replace(/^&(.*)\[0\]$/, '$1').replace(/\.data\(\)$/, '');
