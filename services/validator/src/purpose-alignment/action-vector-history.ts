/**
 * The vector half of drift: where an agent's recent approved actions sit in the embedding
 * space, and how far a new action lands from them. The drift axis combines this with the
 * discrete signals (new tools, new destinations, volume) it tracks itself.
 */
export interface VectorDeparture {
  /** Cosine to the mean direction of the recorded actions. */
  centroidSimilarity: number;
  /** Cosine to the most similar recorded action. */
  nearestSimilarity: number;
  /** How many actions the comparison rests on. */
  observed: number;
  /** 0..1: 1 − the better of the two similarities. An action like one already approved scores near 0. */
  departure: number;
}

/**
 * A ring buffer of the last `capacity` approved action vectors (unit vectors from
 * `assessAlignment`) with their running sum. One per agent; not thread-shared.
 */
export class ActionVectorHistory {
  private readonly rows: Float32Array;
  /** Float64 so adding and subtracting the same rows for days does not accumulate error. */
  private readonly sum: Float64Array;
  private next = 0;
  private size = 0;

  constructor(
    readonly dims: number,
    readonly capacity = 64,
  ) {
    this.rows = new Float32Array(dims * capacity);
    this.sum = new Float64Array(dims);
  }

  get observed(): number {
    return this.size;
  }

  /** Record an approved action; the oldest drops out once the buffer is full. */
  record(vector: Float32Array): void {
    const base = this.next * this.dims;
    for (let d = 0; d < this.dims; d++) {
      const value = vector[d] ?? 0;
      this.sum[d] = (this.sum[d] ?? 0) + value - (this.size === this.capacity ? (this.rows[base + d] ?? 0) : 0);
      this.rows[base + d] = value;
    }
    this.next = (this.next + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
  }

  /** How far `vector` lands from the recorded actions; null before `minimum` were recorded. */
  departure(vector: Float32Array, minimum = 1): VectorDeparture | null {
    if (this.size < Math.max(1, minimum)) return null;
    let sumDot = 0;
    let sumNorm = 0;
    let vectorNorm = 0;
    for (let d = 0; d < this.dims; d++) {
      const s = this.sum[d] ?? 0;
      const v = vector[d] ?? 0;
      sumDot += s * v;
      sumNorm += s * s;
      vectorNorm += v * v;
    }
    const scale = Math.sqrt(vectorNorm);
    const centroidSimilarity = sumNorm > 0 && scale > 0 ? sumDot / (Math.sqrt(sumNorm) * scale) : 0;
    let nearestSimilarity = -1;
    for (let row = 0; row < this.size; row++) {
      let dotProduct = 0;
      const base = row * this.dims;
      for (let d = 0; d < this.dims; d++) dotProduct += (this.rows[base + d] ?? 0) * (vector[d] ?? 0);
      // Rows are unit vectors (or all zeros for an action with no known words).
      const similarity = scale > 0 ? dotProduct / scale : 0;
      if (similarity > nearestSimilarity) nearestSimilarity = similarity;
    }
    const best = Math.max(centroidSimilarity, nearestSimilarity);
    return {
      centroidSimilarity,
      nearestSimilarity,
      observed: this.size,
      departure: Math.min(1, Math.max(0, 1 - best)),
    };
  }
}
