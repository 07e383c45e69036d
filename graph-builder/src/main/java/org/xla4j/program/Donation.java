package org.xla4j.program;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.xla4j.emit.MainAttributes;
import org.xla4j.types.TensorType;

/**
 * Pairs donated arguments with results as JAX does when it lowers {@code jax.jit(f, donate_argnums=...)}:
 * in argument order, each donated argument takes the first result of the same type not yet taken
 * ({@code tf.aliasing_output}); one that finds none stays a plain donor ({@code jax.buffer_donor}),
 * whose buffer XLA may still reuse for any result that fits.
 */
final class Donation {
  private Donation() {}

  static MainAttributes attributes(int partitions, int replicas, Set<Integer> donated, List<TensorType> args,
      List<TensorType> results) {
    Map<Integer, Integer> aliased = new LinkedHashMap<>();
    Set<Integer> donors = new TreeSet<>();
    boolean[] taken = new boolean[results.size()];
    for (int a : new TreeSet<>(donated)) {
      int r = firstFree(args.get(a), results, taken);
      if (r < 0) {
        donors.add(a);
      } else {
        taken[r] = true;
        aliased.put(a, r);
      }
    }
    return new MainAttributes(partitions, replicas, aliased, donors);
  }

  private static int firstFree(TensorType t, List<TensorType> results, boolean[] taken) {
    for (int r = 0; r < results.size(); r++) if (!taken[r] && results.get(r).equals(t)) return r;
    return -1;
  }

  /** The donated indices as a sorted list (for messages and accessors). */
  static List<Integer> sorted(Set<Integer> donated) { return new ArrayList<>(new TreeSet<>(donated)); }
}
