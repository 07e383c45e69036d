package org.xla4j.dsl;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import org.xla4j.ir.CallSite;
import org.xla4j.ir.Func;
import org.xla4j.ir.FunctionBuilder;
import org.xla4j.ir.Literal;
import org.xla4j.ir.HloModule;
import org.xla4j.ir.ModuleBuilder;
import org.xla4j.ir.Op;
import org.xla4j.ir.OpException;
import org.xla4j.ir.Value;
import org.xla4j.program.Program;
import org.xla4j.sharding.Sharding;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;
import org.xla4j.types.TensorType;

/**
 * Entry point of the fluent DSL: one program under construction, with its parameters, constants and
 * outputs. Wraps a {@link ModuleBuilder} and its {@code main} {@link FunctionBuilder}; every tensor op
 * goes through {@link FunctionBuilder#emit}, so shape errors name the op and the caller's line.
 *
 * <pre>{@code
 * Graph g = new Graph("mlp");
 * Tensor x = g.parameter(DType.F32, 8, 784);
 * Tensor w = g.parameter(DType.F32, 784, 10);
 * Program p = g.program(x.matmul(w).softmax(-1));
 * String text = p.text();
 * }</pre>
 *
 * <p>A graph is single-threaded, like the builder under it. Tensors of two graphs cannot be mixed.
 */
public final class Graph {
  private final String name;
  private final ModuleBuilder module;
  private final FunctionBuilder main;
  // helper functions being built push here, so ops land in the function whose body is being traced
  private final Deque<FunctionBuilder> building = new ArrayDeque<>();
  // Program names of main's arguments, in argument order
  private final List<String> argNames = new ArrayList<>();

  /** Starts a module called {@code name} (an identifier) with an empty {@code main}. */
  public Graph(String name) {
    this.name = name;
    this.module = new ModuleBuilder(name);
    this.main = module.function("main");
    building.push(main);
  }

  public String name() { return name; }

  // ---- parameters ----

  /**
   * Adds an argument of {@code main}: {@code g.parameter(TensorType.of(DType.BF16, 4, 128))}. In the
   * {@link Program} it is named {@code argN}, N its position.
   */
  public Tensor parameter(TensorType type) { return parameter(type, null); }

  /** Adds an argument of {@code main}: {@code g.parameter(DType.F32, 2, 3)}. */
  public Tensor parameter(DType dtype, long... dims) { return parameter(TensorType.of(dtype, dims), null); }

  /** Adds an argument of {@code main} laid out as {@code sharding} (null: unspecified). */
  public Tensor parameter(TensorType type, Sharding sharding) { return parameter("arg" + argNames.size(), type, sharding); }

  /**
   * Adds an argument of {@code main} named {@code path} in the {@link Program} (a tree path, e.g.
   * {@code "cache"}), laid out as {@code sharding} (null: unspecified).
   */
  public Tensor parameter(String path, TensorType type, Sharding sharding) {
    if (fb() != main) throw error("parameter", "requires main to be the function being built, got helper '"
        + fb().name() + "'; helper arguments come from function(...)");
    try {
      Tree.checkPath(path);
    } catch (IllegalArgumentException e) {
      throw error("parameter", "requires a tree path as the name: " + e.getMessage());
    }
    if (argNames.contains(path)) throw error("parameter", "requires a new name, got '" + path + "' a second time");
    Tensor t = wrap(main.arg(type, sharding));
    argNames.add(path);
    return t;
  }

  /** Adds an argument of {@code main} named {@code path} in the {@link Program}. */
  public Tensor parameter(String path, TensorType type) { return parameter(path, type, null); }

  /**
   * Adds one argument of {@code main} per leaf of {@code types}, in the tree's flatten order, and returns
   * them as a tree of the same paths.
   *
   * <pre>{@code
   * Tree<Tensor> p = g.parameters(Tree.of(Map.of("w", TensorType.of(DType.F32, 8, 16))));
   * Tensor y = x.matmul(p.get("w"));
   * }</pre>
   */
  public Tree<Tensor> parameters(Tree<TensorType> types) {
    return types.mapWithPath((p, t) -> parameter(p, t, null));
  }

  /** As {@link #parameters(Tree)}, each argument laid out as the leaf of {@code shardings} at its path. */
  public Tree<Tensor> parameters(Tree<TensorType> types, Tree<Sharding> shardings) {
    types.requireSameStructure(shardings, "Graph.parameters: shardings");
    return types.mapWithPath((p, t) -> parameter(p, t, shardings.get(p)));
  }

  // ---- constants ----

  /** An f32 constant: {@code g.constant(new float[] {1, 2, 3, 4}, 2, 2)}. */
  public Tensor constant(float[] data, long... dims) {
    count(data.length, dims);
    double[] d = new double[data.length];
    for (int i = 0; i < d.length; i++) d[i] = data[i];
    return literal("constant", TensorType.of(DType.F32, dims), () -> Literal.of(TensorType.of(DType.F32, dims), d));
  }

  /** An f64 constant. */
  public Tensor constant(double[] data, long... dims) {
    count(data.length, dims);
    return literal("constant", TensorType.of(DType.F64, dims), () -> Literal.of(TensorType.of(DType.F64, dims), data));
  }

  /** An i32 constant. */
  public Tensor constant(int[] data, long... dims) {
    count(data.length, dims);
    long[] d = Arrays.stream(data).asLongStream().toArray();
    return literal("constant", TensorType.of(DType.I32, dims), () -> Literal.ofLongs(TensorType.of(DType.I32, dims), d));
  }

  /** An i64 constant. */
  public Tensor constant(long[] data, long... dims) {
    count(data.length, dims);
    return literal("constant", TensorType.of(DType.I64, dims), () -> Literal.ofLongs(TensorType.of(DType.I64, dims), data));
  }

  /** Values converted to any element type: {@code g.constant(DType.BF16, new double[] {0.5, 1}, 2)}. */
  public Tensor constant(DType dtype, double[] data, long... dims) {
    count(data.length, dims);
    TensorType t = TensorType.of(dtype, dims);
    return literal("constant", t, () -> Literal.of(t, data));
  }

  /** A prebuilt literal. */
  public Tensor constant(Literal literal) { return emit1(new Op.Constant(literal)); }

  /** A rank-0 constant: {@code g.scalar(0.5, DType.BF16)}. */
  public Tensor scalar(double value, DType dtype) { return full(TensorType.scalar(dtype), value); }

  /** A rank-0 integer constant, exact for all of i64/u64. */
  public Tensor scalar(long value, DType dtype) {
    TensorType t = TensorType.scalar(dtype);
    // integers keep their exact bit pattern (e.g. -1L as u64 is 2^64-1); floats round from the long
    return literal("scalar", t, () -> dtype.isInteger() || dtype.isBool() ? Literal.splatLong(t, value)
        : Literal.splat(t, value));
  }

  public Tensor zeros(TensorType type) { return full(type, 0); }

  public Tensor zeros(DType dtype, long... dims) { return full(TensorType.of(dtype, dims), 0); }

  public Tensor ones(TensorType type) { return full(type, 1); }

  public Tensor ones(DType dtype, long... dims) { return full(TensorType.of(dtype, dims), 1); }

  /** Every element {@code value} (a splat constant): {@code g.full(DType.F32, -1e9, 4, 4)}. */
  public Tensor full(DType dtype, double value, long... dims) { return full(TensorType.of(dtype, dims), value); }

  public Tensor full(TensorType type, double value) {
    return literal("full", type, () -> Literal.splat(type, value));
  }

  /** {@code jnp.arange(n)}: 0, 1, ..., n-1 via {@code stablehlo.iota}. */
  public Tensor arange(long n, DType dtype) { return iota(TensorType.of(dtype, n), 0); }

  /** {@code jnp.arange(start, stop, step)}: {@code ceil((stop - start) / step)} elements. */
  public Tensor arange(double start, double stop, double step, DType dtype) {
    if (step == 0) throw error("arange", "requires a non-zero step, got 0");
    long n = Math.max(0, (long) Math.ceil((stop - start) / step));
    Tensor i = arange(n, dtype);
    if (step != 1) i = i.mul(step);
    return start == 0 ? i : i.add(start);
  }

  /** {@code stablehlo.iota}: counts along {@code dimension} of {@code type}. */
  public Tensor iota(TensorType type, int dimension) {
    return emit1(new Op.Iota(type, Axes.axis("iota", dimension, type.rank(), type.shape(), this)));
  }

  // ---- structure ----

  /** Runs {@code body} under name scope {@code scopeName}; locations and errors carry it. */
  public <T> T scope(String scopeName, Supplier<T> body) { return fb().scope(scopeName, body); }

  /**
   * Builds a private helper function called from main with {@link Fn#call}. Its body sees only its
   * own arguments (tensors from main are rejected). If {@code body} throws, the helper stays
   * unfinished and the graph can no longer be built.
   *
   * <pre>{@code
   * Graph.Fn gelu = g.function("gelu", List.of(x.type()), a -> List.of(a.get(0).mul(a.get(0).sigmoid())));
   * Tensor y = gelu.call(x).get(0);
   * }</pre>
   */
  public Fn function(String fnName, List<TensorType> argTypes, Function<List<Tensor>, List<Tensor>> body) {
    FunctionBuilder f = module.function(fnName);
    List<Tensor> args = new ArrayList<>();
    for (TensorType t : argTypes) args.add(wrap(f.arg(t)));
    building.push(f);
    try {
      List<Tensor> out = body.apply(Collections.unmodifiableList(args));
      return new Fn(this, f.ret(values("func.return", out).toArray(Value[]::new)));
    } finally {
      building.pop();
    }
  }

  /** A finished helper function of a graph. */
  public record Fn(Graph graph, Func func) {
    /** {@code func.call} from the function being built. */
    public List<Tensor> call(Tensor... args) {
      return graph.emit(graph.module.call(func, graph.values("call", Arrays.asList(args))));
    }
  }

  // ---- finishing ----

  /**
   * Finishes {@code main} returning {@code outputs}, named {@code out0, out1, ...}, and makes the
   * {@link Program}: {@code Program p = g.program(y).withDonated("cache");}
   */
  public Program program(Tensor... outputs) {
    return program(Arrays.asList(outputs), Collections.nCopies(outputs.length, null));
  }

  /** As {@link #program(Tensor...)}, with one sharding per output (null entries: unspecified). */
  public Program program(List<Tensor> outputs, List<Sharding> shardings) {
    HloModule m = build(outputs, shardings);
    List<String> names = new ArrayList<>(outputs.size());
    for (int i = 0; i < outputs.size(); i++) names.add("out" + i);
    return Program.of(m, argNames, names);
  }

  /**
   * Finishes {@code main} returning the leaves of {@code outputs} in flatten order, each result named
   * by its path: {@code g.program(Tree.of(Map.of("logits", y, "cache", c)))}.
   */
  public Program program(Tree<Tensor> outputs) {
    return Program.of(build(outputs.leaves().toArray(Tensor[]::new)), argNames, outputs.paths());
  }

  /** As {@link #program(Tree)}, each result laid out as the leaf of {@code shardings} at its path. */
  public Program program(Tree<Tensor> outputs, Tree<Sharding> shardings) {
    outputs.requireSameStructure(shardings, "Graph.program: shardings");
    return Program.of(build(outputs.leaves(), shardings.leaves()), argNames, outputs.paths());
  }

  /** Finishes {@code main} returning {@code outputs} and builds the module. */
  public HloModule build(Tensor... outputs) {
    return build(Arrays.asList(outputs), Collections.nCopies(outputs.length, null));
  }

  /** Finishes {@code main} with one sharding per output (null entries: unspecified). */
  public HloModule build(List<Tensor> outputs, List<Sharding> shardings) {
    main.ret(values("func.return", outputs), shardings);
    return module.build();
  }

  /** The function builder ops currently go to: the escape hatch to the raw IR. See {@link #wrap}. */
  public FunctionBuilder raw() { return fb(); }

  /** Wraps a raw value (e.g. from {@link #raw()}) as a tensor of this graph. */
  public Tensor wrap(Value v) { return new Tensor(this, v); }

  @Override
  public String toString() { return "Graph(" + name + ")"; }

  // ---- package-private plumbing shared by the op classes ----

  FunctionBuilder fb() { return building.peek(); }

  Tensor emit1(Op op) {
    if (HOOK.isBound() && HOOK.get() != null) {
      EmitHook h = HOOK.get();
      // the hook emits with itself unbound, so the ops it builds are not rewritten again
      Tensor t = ScopedValue.where(HOOK, (EmitHook) null).call(() -> h.emit(this, op, o -> wrap(fb().emit1(o))));
      if (t != null) return t;
    }
    return wrap(fb().emit1(op));
  }

  /**
   * Rewrites single-result ops as the DSL emits them (rematerialization replays a function with some results
   * taken from saved values): {@code plain} emits an op as usual; returning null emits {@code op} as usual.
   */
  @FunctionalInterface
  public interface EmitHook {
    Tensor emit(Graph g, Op op, java.util.function.Function<Op, Tensor> plain);
  }

  private static final ScopedValue<EmitHook> HOOK = ScopedValue.newInstance();

  /**
   * Runs {@code body} with {@code hook} seeing every single-result op the DSL emits (on any graph).
   *
   * <pre>{@code
   * List<Op> dots = new ArrayList<>();
   * Tensor y = Graph.withEmitHook((g, op, plain) -> {
   *   if (op instanceof Op.DotGeneral) dots.add(op);
   *   return null; // emit as usual
   * }, () -> x.matmul(w).tanh());
   * }</pre>
   */
  public static <R> R withEmitHook(EmitHook hook, java.util.function.Supplier<R> body) {
    return ScopedValue.where(HOOK, hook).call(body::get);
  }

  List<Tensor> emit(Op op) { return fb().emit(op).stream().map(this::wrap).toList(); }

  /** A DSL-level error naming {@code op} and the user's call site. */
  OpException error(String op, String detail) {
    return new OpException(op, detail, CallSite.find(fb().scopePath()));
  }

  /** The graph all of {@code ts} belong to; rejects mixing graphs. */
  static Graph of(String op, Tensor... ts) {
    Graph g = ts[0].graph();
    for (Tensor t : ts) {
      if (t.graph() != g) {
        throw g.error(op, "requires tensors of one Graph, got " + ts[0].type() + " of " + g + " and " + t.type()
            + " of " + t.graph());
      }
    }
    return g;
  }

  List<Value> values(String op, List<Tensor> ts) {
    List<Value> out = new ArrayList<>(ts.size());
    for (Tensor t : ts) {
      if (t == null) throw error(op, "requires non-null tensors");
      if (t.graph() != this) throw error(op, "requires tensors of " + this + ", got " + t.type() + " of " + t.graph());
      out.add(t.value());
    }
    return out;
  }

  private void count(int n, long... dims) {
    long want = 1;
    for (long d : dims) {
      if (d < 0) throw error("constant", "requires dimensions >= 0, got " + Arrays.toString(dims));
      want *= d;
    }
    if (want != n) {
      throw error("constant", "requires " + want + " values for shape " + Arrays.toString(dims) + ", got " + n);
    }
  }

  /** Builds a literal, turning its own checks (wrong element count, non-integer value) into op errors. */
  private Tensor literal(String op, TensorType type, Supplier<Literal> lit) {
    Literal l;
    try {
      l = lit.get();
    } catch (IllegalArgumentException e) {
      throw error(op, e.getMessage().replaceFirst("^stablehlo\\.constant: ", ""));
    }
    return constant(l);
  }

}
