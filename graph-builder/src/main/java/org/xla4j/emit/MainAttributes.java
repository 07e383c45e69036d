package org.xla4j.emit;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What the printer writes besides the module's ops: the device counts in the module's attributes and
 * the donation attributes on {@code @main}'s arguments. A {@code Program} supplies them; printing a
 * bare module derives the counts from its meshes and donates nothing.
 *
 * <pre>{@code
 * // argument 0 aliases result 0 (tf.aliasing_output), argument 2 is a plain donor (jax.buffer_donor)
 * MainAttributes a = new MainAttributes(1, 1, Map.of(0, 0), Set.of(2));
 * }</pre>
 *
 * @param numPartitions {@code mhlo.num_partitions} in sharded text (unsharded text always says 1)
 * @param numReplicas {@code mhlo.num_replicas} in sharded text (unsharded text always says 1)
 * @param aliasedOutputs donated argument index to the result index whose buffer it becomes
 * @param bufferDonors donated arguments that alias no result of the same type
 */
public record MainAttributes(int numPartitions, int numReplicas, Map<Integer, Integer> aliasedOutputs,
    Set<Integer> bufferDonors) {
  public MainAttributes {
    if (numPartitions < 1 || numReplicas < 1) {
      throw new IllegalArgumentException("MainAttributes: requires counts >= 1, got " + numPartitions
          + " partition(s) x " + numReplicas + " replica(s)");
    }
    aliasedOutputs = java.util.Collections.unmodifiableMap(new TreeMap<>(aliasedOutputs));
    bufferDonors = java.util.Collections.unmodifiableSet(new TreeSet<>(bufferDonors));
    for (int i : bufferDonors) {
      if (aliasedOutputs.containsKey(i)) {
        throw new IllegalArgumentException("MainAttributes: argument " + i + " is both aliased and a plain donor");
      }
    }
  }

  /** The given counts, nothing donated. */
  public static MainAttributes counts(int numPartitions, int numReplicas) {
    return new MainAttributes(numPartitions, numReplicas, Map.of(), Set.of());
  }
}
