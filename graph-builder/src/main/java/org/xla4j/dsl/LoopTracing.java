package org.xla4j.dsl;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import org.xla4j.ir.Value;

/**
 * How {@link Lax#scan} and {@link Lax#foriLoop} meet reverse-mode differentiation, which lives in a layer
 * above this one (org.xla4j.autodiff). A loop's step is traced once in a detached region to find its
 * captures (the outer tensors it reads); the loop is then the IR's {@link org.xla4j.ir.Op.Scan}, whose body
 * reads each capture as an explicit argument through {@link #substituting}, and which autodiff's VJP rules
 * differentiate. While a differentiated function is traced, autodiff binds a {@link ScanHandler}: it takes
 * the steps the IR op cannot carry (one holding a customVjp, e.g. remat or a custom attention backward,
 * whose registrations live in the trace) and builds them as a trace-time scan with its own backward; for
 * every other step it returns null and the IR op is emitted. Not for users: they call Lax.scan /
 * Lax.foriLoop or Autodiff.scan.
 */
public final class LoopTracing {
  private LoopTracing() {}

  /**
   * Builds a scan whose step is {@code f}, or returns null to let {@link Lax#scan} emit the IR's scan op;
   * {@code captures} are the outer values f reads, in a stable order; {@code probe} is f traced once, detached.
   */
  public interface ScanHandler {
    Lax.ScanResult scan(List<Tensor> init, List<Tensor> xs, List<Tensor> captures,
        BiFunction<List<Tensor>, List<Tensor>, Lax.ScanResult> f, org.xla4j.ir.Block probe);
  }

  /** The handler in effect; unbound or {@link #LOWER}: loops are the IR's scan op. */
  public static final ScopedValue<ScanHandler> HANDLER = ScopedValue.newInstance();

  /** The handler that means "no handler" (inside a custom VJP's forward): the IR's scan op. */
  public static final ScanHandler LOWER = (init, xs, captures, f, probe) -> {
    throw new IllegalStateException("LOWER is a marker, not a handler");
  };

  private static final ScopedValue<Map<Value, Value>> SUBSTITUTION = ScopedValue.newInstance();

  /** The active handler, or null when loops are the IR's scan op. */
  static ScanHandler active() {
    if (!HANDLER.isBound()) return null;
    ScanHandler h = HANDLER.get();
    return h == LOWER ? null : h;
  }

  /**
   * Runs {@code body} with every tensor holding a key of {@code map} reading as the mapped value: a scan
   * step built this way uses the scan's explicit constants where the user's closure names outer tensors.
   * Nested substitutions compose (the inner map wins).
   */
  public static <T> T substituting(Map<Value, Value> map, Supplier<T> body) {
    Map<Value, Value> m = new IdentityHashMap<>();
    if (SUBSTITUTION.isBound()) m.putAll(SUBSTITUTION.get());
    m.putAll(map);
    return ScopedValue.where(SUBSTITUTION, m).call(body::get);
  }

  /**
   * The substitution in effect now (empty outside any step). A step re-run later, e.g. by a backward pass,
   * must see the substitution it was built under: pass this to {@link #substituting} then.
   */
  public static Map<Value, Value> current() {
    return SUBSTITUTION.isBound() ? java.util.Collections.unmodifiableMap(new IdentityHashMap<>(SUBSTITUTION.get())) : Map.of();
  }

  static Value resolve(Value v) {
    if (!SUBSTITUTION.isBound()) return v;
    Map<Value, Value> m = SUBSTITUTION.get();
    // chains: an outer step maps a capture to its constant, and a scan nested in it maps that constant on
    for (int hops = 0; hops <= m.size(); hops++) {
      Value s = m.get(v);
      if (s == null || s == v) return v;
      v = s;
    }
    throw new IllegalStateException("LoopTracing: cyclic substitution at " + v);
  }

  /** Values the ops of {@code region} (and regions nested in it) use but that are defined outside it, in first-use order. */
  public static List<org.xla4j.ir.Value> captures(org.xla4j.ir.Block region) {
    java.util.Set<org.xla4j.ir.Value> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    List<org.xla4j.ir.Value> out = new ArrayList<>();
    collectCaptures(region, region, seen, out);
    return out;
  }

  private static void collectCaptures(org.xla4j.ir.Block b, org.xla4j.ir.Block region,
      java.util.Set<org.xla4j.ir.Value> seen, List<org.xla4j.ir.Value> out) {
    for (org.xla4j.ir.Operation o : b.ops()) {
      for (org.xla4j.ir.Value v : org.xla4j.ir.OpInfo.operands(o.op())) {
        if (!inside(v.block(), region) && seen.add(v)) out.add(v);
      }
      for (org.xla4j.ir.Block r : org.xla4j.ir.OpInfo.regions(o.op())) collectCaptures(r, region, seen, out);
    }
    if (b.returned() != null) {
      for (org.xla4j.ir.Value v : b.returned()) if (!inside(v.block(), region) && seen.add(v)) out.add(v);
    }
  }

  private static boolean inside(org.xla4j.ir.Block b, org.xla4j.ir.Block region) {
    for (org.xla4j.ir.Block x = b; x != null; x = x.parent()) if (x == region) return true;
    return false;
  }

  /**
   * The tensors {@code body} reads from outside: it is traced once in a detached region (its ops there are
   * dropped), and the values its ops use that are defined outside that region are returned, in first-use
   * order. For wrappers that turn a closure into a function of explicit inputs (remat on a name scope).
   */
  public static List<Tensor> captures(Graph g, Supplier<List<Tensor>> body) {
    org.xla4j.ir.Block probe = g.fb().region(List.of(), false, vs -> g.values("captures", body.get()));
    return captures(probe).stream().map(g::wrap).toList();
  }
}
