package org.xla4j.autodiff;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.ir.Block;
import org.xla4j.ir.Op;
import org.xla4j.ir.OpException;
import org.xla4j.ir.OpInfo;
import org.xla4j.ir.Operation;
import org.xla4j.ir.Value;
import org.xla4j.tree.Tree;

/**
 * One differentiated call: the forward ops the user's function emitted into a block (a contiguous range of
 * it), which of their values depend on the primals ("active"), and the reverse walk that emits cotangents.
 * stopGradient and customVjp register here, through {@link #CURRENT}, while the forward is traced; nested
 * traces (a grad inside a grad) register with every enclosing trace.
 */
final class Trace {
  /** The traces whose forward is being run now, innermost first; unbound outside any. */
  static final ScopedValue<Trace> CURRENT = ScopedValue.newInstance();

  /** A customVjp call: its inputs, its marked outputs, the user's residuals and backward. */
  record CustomNode(Tree<Tensor> inputs, Tree<Tensor> outputs, Tree<Tensor> residuals,
      BiFunction<Tree<Tensor>, Tree<Tensor>, Tree<Tensor>> backward, List<Operation> forwardOps) {}

  private final Trace parent;
  private final Graph graph;
  private final Block block;
  private final Set<Value> stopped = Collections.newSetFromMap(new IdentityHashMap<>());
  private final Map<Value, CustomNode> custom = new IdentityHashMap<>();
  private final Set<Operation> customForward = Collections.newSetFromMap(new IdentityHashMap<>());
  private final Set<Value> active = Collections.newSetFromMap(new IdentityHashMap<>());
  private List<Value> roots;
  private int start;
  private int end;

  private Trace(Trace parent, Graph graph, Block block) {
    this.parent = parent;
    this.graph = graph;
    this.block = block;
  }

  /**
   * Runs {@code f} on fresh copies of {@code primals} (so each leaf is its own root, even when two leaves
   * are one tensor) and records the ops it emits. Returns the trace and f's outputs.
   */
  static <R> Traced<R> run(String op, Tree<Tensor> primals, Function<Tree<Tensor>, R> f) {
    if (primals.isEmpty()) throw new IllegalArgumentException(op + ": requires at least one primal, got an empty tree");
    Graph g = primals.leaves().get(0).graph();
    Tree<Tensor> roots = primals.map(t -> {
      if (t.graph() != g) throw new IllegalArgumentException(op + ": requires primals of one Graph, got " + t.graph()
          + " and " + g);
      return identity(t);
    });
    Block block = roots.leaves().get(0).value().block();
    Trace t = new Trace(CURRENT.isBound() ? CURRENT.get() : null, g, block);
    t.roots = roots.leaves().stream().map(Tensor::value).toList();
    t.start = block.ops().size();
    // Lax.scan / foriLoop inside f build loops with a backward (see Scan.fromLax)
    R out = ScopedValue.where(CURRENT, t).where(org.xla4j.dsl.LoopTracing.HANDLER, Scan::fromLax)
        .call(() -> f.apply(roots));
    t.end = block.ops().size();
    t.findActive();
    return new Traced<>(t, roots, out);
  }

  record Traced<R>(Trace trace, Tree<Tensor> roots, R out) {}

  /** {@code x} as a fresh value (a same-shape reshape, which XLA removes). */
  static Tensor identity(Tensor x) {
    return x.graph().wrap(x.graph().raw().emit1(new Op.Reshape(x.value(), x.shape())));
  }

  static void markStopped(Value v) {
    for (Trace t = CURRENT.isBound() ? CURRENT.get() : null; t != null; t = t.parent) t.stopped.add(v);
  }

  static void markCustom(CustomNode node) {
    for (Trace t = CURRENT.isBound() ? CURRENT.get() : null; t != null; t = t.parent) {
      for (Tensor o : node.outputs().leaves()) t.custom.put(o.value(), node);
      t.customForward.addAll(node.forwardOps());
    }
  }

  boolean isActive(Value v) { return active.contains(v); }

  /** Whether an op of {@code b} (or of a region in it) is a customVjp's forward or gives its output. */
  boolean holdsCustom(Block b) {
    for (Operation o : b.ops()) {
      if (customForward.contains(o)) return true;
      for (Value r : o.results()) if (custom.containsKey(r)) return true;
      for (Block r : OpInfo.regions(o.op())) if (holdsCustom(r)) return true;
    }
    return false;
  }

  /** Forward pass: a float result is active when an operand, or a value its regions capture, is active. */
  private void findActive() {
    // integer and boolean primals (token ids, masks) carry no gradient: theirs is zeros
    for (Value r : roots) if (r.type().dtype().isFloat()) active.add(r);
    for (int i = start; i < end; i++) {
      Operation o = block.ops().get(i);
      Value first = o.results().isEmpty() ? null : o.results().get(0);
      boolean any;
      if (first != null && stopped.contains(first)) {
        any = false;
      } else if (first != null && custom.containsKey(first)) {
        any = custom.get(first).inputs().leaves().stream().anyMatch(x -> active.contains(x.value()));
      } else {
        any = OpInfo.operands(o.op()).stream().anyMatch(active::contains) || Walk.capturesActive(o.op(), active::contains);
        if (any && customForward.contains(o)) {
          // the custom backward only gives cotangents of the explicit inputs; a closure's would be lost
          throw new OpException(OpInfo.name(o.op()), "requires a customVjp forward to use differentiated values"
              + " only through its inputs, but this op inside it uses one it closed over; pass it as an input",
              o.location());
        }
      }
      if (!any) continue;
      for (Value r : o.results()) if (r.type().dtype().isFloat()) active.add(r);
    }
  }

  /**
   * Reverse pass: seeds the outputs' cotangents, walks the forward ops backwards applying {@link VjpRules},
   * and returns one cotangent per root (zeros where nothing flowed).
   */
  List<Tensor> pullback(List<Tensor> outputs, List<Tensor> seeds) {
    if (graph.raw().func() != null) {
      throw new IllegalStateException("vjp: requires the function the forward was traced in to be open; "
          + graph.raw().name() + " has already returned");
    }
    Set<CustomNode> done = Collections.newSetFromMap(new IdentityHashMap<>());
    Walk w = new Walk(graph) {
      @Override boolean isActive(Value v) { return active.contains(v); }

      @Override boolean isStopped(Value v) { return stopped.contains(v); }

      @Override boolean isCustomOutput(Value v) { return Trace.this.custom.containsKey(v); }

      @Override boolean custom(Operation o) {
        CustomNode node = Trace.this.custom.get(o.results().get(0));
        if (node == null) return false;
        if (done.add(node)) applyCustom(this, node);
        return true;
      }
    };
    for (int i = 0; i < outputs.size(); i++) {
      if (seeds.get(i) != null && active.contains(outputs.get(i).value())) {
        w.accumulate(outputs.get(i).value(), seeds.get(i), "seed");
      }
    }
    w.run(List.copyOf(block.ops().subList(start, end)));
    List<Tensor> out = new ArrayList<>(roots.size());
    for (Value r : roots) {
      Tensor c = w.get(r);
      out.add(c != null ? c : graph.zeros(r.type()));
    }
    return out;
  }

  private void applyCustom(Walk w, CustomNode node) {
    boolean any = false;
    Tree.Builder<Tensor> cts = Tree.builder();
    for (Tree.Leaf<Tensor> l : node.outputs()) {
      Tensor c = w.take(l.value().value());
      any |= c != null;
      cts.put(l.path(), c != null ? c : graph.zeros(l.value().type()));
    }
    if (!any) return;
    Tree<Tensor> in = node.backward().apply(node.residuals(), cts.build());
    for (Tree.Leaf<Tensor> l : node.inputs()) {
      Value v = l.value().value();
      if (!active.contains(v)) continue;
      Tensor c = in.find(l.path()).orElse(null);
      if (c != null) w.accumulate(v, c, "customVjp backward (input '" + l.path() + "')");
    }
  }
}
