/** Everything an `ApprovedCentroid` holds; plain numbers so it can travel as JSON. */
export interface ApprovedCentroidSnapshot {
  /** Approved action vectors folded in (all-zero vectors are not). */
  samples: number;
  /** The running mean; empty before the first sample. */
  mean: number[];
}

/**
 * Where an agent's approved actions point: the running mean of their unit vectors (an EWMA once
 * past `1/smoothing` samples, so it follows recent behaviour). Only its direction matters, so the
 * inverse of its norm is kept beside it and a comparison is one pass over the new vector.
 */
export class ApprovedCentroid {
  private mean: Float32Array | null = null;
  private inverseNorm = 0;
  private count = 0;

  constructor(private readonly smoothing: number) {}

  get samples(): number {
    return this.count;
  }

  get dims(): number {
    return this.mean?.length ?? 0;
  }

  /**
   * Cosine distance (1 − cosine, 0..2) of `vector` from the centroid's direction; null when there
   * is nothing to compare: no centroid yet, a vector of another dimension, or an all-zero vector
   * (an action without a single known word has no direction).
   */
  distance(vector: Float32Array): number | null {
    const mean = this.mean;
    if (mean === null || mean.length !== vector.length || this.inverseNorm === 0) return null;
    let dotProduct = 0;
    let squaredNorm = 0;
    for (let d = 0; d < mean.length; d++) {
      const v = vector[d]!;
      dotProduct += v * mean[d]!;
      squaredNorm += v * v;
    }
    if (squaredNorm === 0) return null;
    return 1 - (dotProduct * this.inverseNorm) / Math.sqrt(squaredNorm);
  }

  record(vector: Float32Array): void {
    let squaredNorm = 0;
    for (let d = 0; d < vector.length; d++) squaredNorm += vector[d]! * vector[d]!;
    if (squaredNorm === 0) return;
    if (this.mean === null || this.mean.length !== vector.length) {
      // A vector of another dimension means the embedding changed: the old centroid says nothing
      // about the new space, so the baseline starts over.
      this.mean = new Float32Array(vector.length);
      this.count = 0;
    }
    this.count++;
    const weight = Math.max(1 / this.count, this.smoothing);
    // Scaled to unit length so that a vector handed over unnormalised does not outweigh the others.
    const scale = weight / Math.sqrt(squaredNorm);
    const mean = this.mean;
    let meanNorm = 0;
    for (let d = 0; d < mean.length; d++) {
      mean[d] = mean[d]! * (1 - weight) + vector[d]! * scale;
      meanNorm += mean[d]! * mean[d]!;
    }
    this.inverseNorm = meanNorm > 0 ? 1 / Math.sqrt(meanNorm) : 0;
  }

  snapshot(): ApprovedCentroidSnapshot {
    return { samples: this.count, mean: this.mean ? Array.from(this.mean) : [] };
  }

  static restore(snapshot: ApprovedCentroidSnapshot, smoothing: number): ApprovedCentroid {
    const centroid = new ApprovedCentroid(smoothing);
    if (snapshot.mean.length > 0) {
      centroid.mean = Float32Array.from(snapshot.mean);
      let meanNorm = 0;
      for (const value of centroid.mean) meanNorm += value * value;
      centroid.inverseNorm = meanNorm > 0 ? 1 / Math.sqrt(meanNorm) : 0;
      centroid.count = snapshot.samples;
    }
    return centroid;
  }
}
