package org.xla4j.ir;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xla4j.sharding.Mesh;
import org.xla4j.sharding.Sharding;

/**
 * A finished program: functions (one public {@code main}) plus replica/partition counts. Print it with
 * {@code org.xla4j.emit.StableHloPrinter}.
 */
public record HloModule(String name, List<Func> functions, int numReplicas, int numPartitions) {
  public HloModule {
    functions = List.copyOf(functions);
  }

  /** The entry function {@code main}. */
  public Func main() {
    return functions.stream().filter(f -> f.name().equals("main")).findFirst()
        .orElseThrow(() -> new IllegalStateException("module '" + name + "' has no main function"));
  }

  /** Every mesh referenced by a sharding, by name, in first-use order. */
  public Map<String, Mesh> meshes() {
    Map<String, Mesh> out = new LinkedHashMap<>();
    for (Func f : functions) {
      List<Sharding> all = new ArrayList<>(f.argShardings());
      all.addAll(f.resultShardings());
      collect(f.body(), all);
      for (Sharding s : all) {
        if (s instanceof Sharding.Named n) {
          Mesh prev = out.putIfAbsent(n.mesh().name(), n.mesh());
          if (prev != null && !prev.equals(n.mesh())) {
            throw new IllegalStateException("two different meshes are both named '" + n.mesh().name() + "': "
                + prev + " and " + n.mesh());
          }
        }
      }
    }
    return out;
  }

  /** Depth-first, in text order, with an explicit stack: region nesting never costs Java stack. */
  private static void collect(Block body, List<Sharding> out) {
    ArrayDeque<Iterator<Operation>> stack = new ArrayDeque<>();
    stack.push(body.ops().iterator());
    while (!stack.isEmpty()) {
      Iterator<Operation> it = stack.peek();
      if (!it.hasNext()) {
        stack.pop();
        continue;
      }
      Operation op = it.next();
      if (op.op() instanceof Op.ShardingConstraint s) out.add(s.sharding());
      List<Block> regions = OpInfo.regions(op.op());
      for (int i = regions.size() - 1; i >= 0; i--) stack.push(regions.get(i).ops().iterator());
    }
  }
}
