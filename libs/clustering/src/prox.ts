/**
 * The centre update of the paper (eq. 1-2): argmin_c λ·||c||_1 + (1/|S|)·Σ ||c - x||², solved
 * coordinate-wise by soft thresholding the cluster mean at λ/2 (not λ: pitfall 1).
 * λ = 0 returns the mean unchanged (bit for bit).
 */
export function softThreshold(mean: ArrayLike<number>, lambda: number, out: Float64Array = new Float64Array(mean.length)): Float64Array {
  if (!(lambda >= 0)) throw new Error(`softThreshold: lambda must be >= 0, got ${lambda}`);
  const t = lambda / 2;
  for (let j = 0; j < mean.length; j++) {
    const m = mean[j];
    if (t === 0) out[j] = m;
    else if (m > t) out[j] = m - t;
    else if (m < -t) out[j] = m + t;
    else out[j] = 0;
  }
  return out;
}
