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
 * A finished module: functions, one of them the public {@code main}. How many devices it runs on is
 * not its business: a {@code org.xla4j.program.Program} derives that from the meshes its shardings
 * name. Print it with {@code org.xla4j.emit.StableHloPrinter}, or wrap it in a Program.
 */
public record HloModule(String name, List<Func> functions) {
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
    for (Sharding s : shardings()) {
      if (s instanceof Sharding.Named n) {
        Mesh prev = out.putIfAbsent(n.mesh().name(), n.mesh());
        if (prev != null && !prev.equals(n.mesh())) {
          throw new IllegalStateException("two different meshes are both named '" + n.mesh().name() + "': "
              + prev + " and " + n.mesh());
        }
      }
    }
    return out;
  }

  /**
   * How many devices the module's meshes span: 1 when no sharding names a mesh.
   *
   * @throws IllegalStateException naming both meshes when two meshes have different device counts
   */
  public int meshDevices() {
    Mesh first = null;
    for (Mesh m : meshes().values()) {
      if (first == null) first = m;
      else if (m.size() != first.size()) {
        throw new IllegalStateException("module '" + name + "': shardings name mesh '" + first.name() + "' of "
            + first.size() + " devices and mesh '" + m.name() + "' of " + m.size()
            + " devices; one program runs on one set of devices");
      }
    }
    return first == null ? 1 : first.size();
  }

  /** Every sharding the module states (arguments, results, constraints), null entries left out. */
  public List<Sharding> shardings() {
    List<Sharding> all = new ArrayList<>();
    for (Func f : functions) {
      all.addAll(f.argShardings());
      all.addAll(f.resultShardings());
      collect(f.body(), all);
    }
    all.removeIf(java.util.Objects::isNull);
    return all;
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
