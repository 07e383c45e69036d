package org.xla4j.graph;

import java.util.List;
import java.util.Set;
import org.xla4j.types.TensorType;

/**
 * Our own static FLOP and byte counts per op, independent of any backend: {@code dot_general} is
 * 2·(result elements)·(contracted size); elementwise math one FLOP per result element; reductions one
 * per input element; data movement (reshape, slice, gather, ...) none. Bytes are what the op reads
 * plus what it writes, as if nothing were fused, so they bound XLA's "bytes accessed" from above.
 */
public final class StaticCost {
  private StaticCost() {}

  private static final Set<String> NO_FLOPS = Set.of("constant", "iota", "convert", "bitcast_convert",
      "broadcast_in_dim", "reshape", "transpose", "slice", "dynamic_slice", "dynamic_update_slice", "concatenate",
      "pad", "reverse", "gather", "scatter", "while", "scan", "if", "case", "optimization_barrier", "custom_call",
      "partition_id", "replica_id", "call", "sharding_constraint", "all_gather", "collective_permute", "all_to_all",
      "rng_bit_generator", "get_tuple_element", "tuple", "return", "copy");

  /**
   * FLOPs of an op of {@code kind} (with or without dialect prefix).
   *
   * @param lhsContracting for {@code dot_general}: the lhs contracting dimensions; ignored otherwise
   */
  public static long flops(String kind, List<TensorType> in, List<TensorType> out, List<Integer> lhsContracting) {
    String k = kind.substring(kind.indexOf('.') + 1);
    if (k.equals("dot_general") || k.equals("dot")) {
      if (in.isEmpty() || out.isEmpty()) return 0;
      long contracted = 1;
      TensorType lhs = in.get(0);
      if (lhsContracting.isEmpty() && k.equals("dot") && lhs.rank() > 0) contracted = lhs.dim(lhs.rank() - 1);
      for (int d : lhsContracting) if (d < lhs.rank()) contracted *= lhs.dim(d);
      return 2 * out.get(0).numElements() * contracted;
    }
    if (k.equals("reduce") || k.equals("reduce_window") || k.equals("all_reduce") || k.equals("reduce_scatter")) {
      return in.isEmpty() ? 0 : in.get(0).numElements();
    }
    if (k.equals("sort") || k.equals("top_k")) {
      if (in.isEmpty()) return 0;
      long n = in.get(0).numElements();
      return n * Math.max(1, 64 - Long.numberOfLeadingZeros(Math.max(1, n))); // n log n compares
    }
    if (NO_FLOPS.contains(k)) return 0;
    long sum = 0;
    for (TensorType t : out) sum += t.numElements();
    return sum; // elementwise: one per result element
  }

  /** Bytes read plus bytes written. */
  public static long bytes(List<TensorType> in, List<TensorType> out) {
    long b = 0;
    for (TensorType t : in) b += t.byteSize();
    for (TensorType t : out) b += t.byteSize();
    return b;
  }
}
