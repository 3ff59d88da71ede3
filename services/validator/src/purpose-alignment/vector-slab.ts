/**
 * Zeroed vectors carved out of shared buffers. `new Float32Array(100)` costs close to a
 * microsecond in V8: 400 bytes is over its on-heap limit, so each array gets a backing store
 * of its own, allocated, tracked and later freed by the garbage collector. A view on an
 * existing buffer costs a few dozen nanoseconds, and one buffer serves many actions.
 *
 * NOTE: a view keeps its whole slab alive. The action vector is folded into the drift centroid
 * and dropped, so slabs die young; a caller that kept one vector would pin `SLAB_FLOATS` floats.
 */
const SLAB_FLOATS = 4096;

let slab = new ArrayBuffer(SLAB_FLOATS * Float32Array.BYTES_PER_ELEMENT);
let used = 0;

export function zeroedVector(dims: number): Float32Array {
  if (dims > SLAB_FLOATS) return new Float32Array(dims);
  if (used + dims > SLAB_FLOATS) {
    slab = new ArrayBuffer(SLAB_FLOATS * Float32Array.BYTES_PER_ELEMENT);
    used = 0;
  }
  const vector = new Float32Array(slab, used * Float32Array.BYTES_PER_ELEMENT, dims);
  used += dims;
  return vector;
}
