package org.xla4j.ir;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import org.xla4j.sharding.Sharding;
import org.xla4j.types.TensorType;

/**
 * Builds one function: arguments, ops (checked as they are added), nested regions given as lambdas,
 * and the return. The single path every op goes through is {@link #emit(Op)}: it checks scope,
 * infers result types, and records the user's call site and name scope.
 *
 * <pre>{@code
 * ModuleBuilder mb = new ModuleBuilder("example");
 * FunctionBuilder fb = mb.function("main");
 * Value a = fb.arg(TensorType.of(DType.F32, 4));
 * Value b = fb.arg(TensorType.of(DType.F32, 4));
 * fb.ret(fb.emit1(new Op.Binary(BinaryKind.ADD, a, b)));
 * HloModule m = mb.build();
 * }</pre>
 */
public final class FunctionBuilder {
  private final ModuleBuilder module;
  private final String name;
  private final boolean isPublic;
  private final Block body = new Block(null, false, List.of());
  private final Deque<Block> stack = new ArrayDeque<>();
  private final Deque<String> scopes = new ArrayDeque<>();
  private final List<Sharding> argShardings = new ArrayList<>();
  private Func finished;

  FunctionBuilder(ModuleBuilder module, String name, boolean isPublic) {
    this.module = module;
    this.name = name;
    this.isPublic = isPublic;
    stack.push(body);
  }

  public String name() { return name; }

  public ModuleBuilder module() { return module; }

  /** Adds an argument of the given type, without a sharding annotation. */
  public Value arg(TensorType type) { return arg(type, null); }

  /** Adds an argument with a sharding annotation (null for none). */
  public Value arg(TensorType type, Sharding sharding) {
    checkOpen("arg");
    if (stack.peek() != body) {
      throw new OpException("func.func", "requires arguments to be added at function level, not inside a region",
          CallSite.find(scopePath()));
    }
    argShardings.add(sharding);
    return body.addArg(type);
  }

  /** The function's arguments so far. */
  public List<Value> args() { return body.args(); }

  /**
   * Adds an op to the current block and returns its results. Throws {@link OpException} naming the op,
   * what it requires and what it got, and the user's call site.
   */
  public List<Value> emit(Op op) { return emit(op, null); }

  /**
   * {@link #emit(Op)} with a given location (null: the caller's), for ops copied from elsewhere that keep the
   * call site of the op they copy.
   */
  public List<Value> emit(Op op, Location at) {
    String opName = OpInfo.name(op);
    Location loc = at != null ? at : CallSite.find(scopePath());
    checkOpen(opName);
    Block current = stack.peek();
    List<Value> operands = OpInfo.operands(op);
    for (int i = 0; i < operands.size(); i++) {
      Value v = operands.get(i);
      if (v == null) throw new OpException(opName, "requires operand " + i + " to be non-null", loc);
      if (!current.canSee(v)) {
        throw new OpException(opName, "requires operand " + i + " (" + v.type() + ") to be defined in this function"
            + " and visible here; it comes from another function, a finished region, or outside an isolated"
            + " region (reduce/sort/scatter bodies cannot capture values)", loc);
      }
    }
    for (Block r : OpInfo.regions(op)) {
      if (r.parent() != current) {
        throw new OpException(opName, "requires its regions to be built with this builder's region(...) at this"
            + " level", loc);
      }
    }
    if (op instanceof Op.Call c) module.checkCall(c, opName, loc);
    List<TensorType> types;
    try {
      types = ShapeRules.infer(op);
    } catch (IllegalArgumentException e) {
      throw new OpException(opName, e.getMessage(), loc);
    }
    List<Value> results = new ArrayList<>(types.size());
    for (TensorType t : types) results.add(current.newResult(t));
    current.append(new Operation(op, results, loc));
    return Collections.unmodifiableList(results);
  }

  /** {@link #emit(Op)} for single-result ops. */
  public Value emit1(Op op) {
    List<Value> r = emit(op);
    if (r.size() != 1) {
      throw new OpException(OpInfo.name(op), "returns " + r.size() + " results; use emit(...) for it",
          CallSite.find(scopePath()));
    }
    return r.get(0);
  }

  /**
   * Builds a nested region: {@code body} receives the block arguments and returns the values the
   * region yields ({@code stablehlo.return}). Pass the block to a region-carrying op.
   *
   * @param isolated true for computations that may not capture outer values (reduce, sort, scatter,
   *     all_reduce bodies); false for while/if/case bodies
   */
  public Block region(List<TensorType> argTypes, boolean isolated, Function<List<Value>, List<Value>> body) {
    checkOpen("region");
    Block b = new Block(stack.peek(), isolated, argTypes);
    stack.push(b);
    try {
      List<Value> out = body.apply(b.args());
      for (int i = 0; i < out.size(); i++) {
        if (!b.canSee(out.get(i))) {
          throw new OpException("stablehlo.return", "requires returned value " + i + " (" + out.get(i).type()
              + ") to be visible in the region", CallSite.find(scopePath()));
        }
      }
      b.terminate(out);
    } finally {
      stack.pop();
    }
    return b;
  }

  /** Runs {@code body} with {@code name} pushed on the name scope (e.g. "layer3/attn"). */
  public <T> T scope(String scopeName, Supplier<T> bodyFn) {
    scopes.addLast(scopeName);
    try {
      return bodyFn.get();
    } finally {
      scopes.removeLast();
    }
  }

  /** The current name-scope path, "" when none. */
  public String scopePath() { return String.join("/", scopes); }

  /** Ends the function returning {@code results}; no shardings on results. */
  public Func ret(Value... results) {
    return ret(Arrays.asList(results), Collections.nCopies(results.length, null));
  }

  /** Ends the function returning {@code results} with per-result shardings (null entries: none). */
  public Func ret(List<Value> results, List<Sharding> resultShardings) {
    checkOpen("func.return");
    Location loc = CallSite.find(scopePath());
    if (stack.peek() != body) {
      throw new OpException("func.return", "requires to be called at function level, not inside a region", loc);
    }
    if (resultShardings.size() != results.size()) {
      throw new OpException("func.return", "requires one sharding entry per result, got " + resultShardings.size()
          + " for " + results.size(), loc);
    }
    for (int i = 0; i < results.size(); i++) {
      if (results.get(i) == null || !body.canSee(results.get(i))) {
        throw new OpException("func.return", "requires result " + i + " to be a value of this function", loc);
      }
    }
    body.terminate(results);
    finished = new Func(name, isPublic, body, ShapeRules.types(body.args()), ShapeRules.types(results),
        argShardings, resultShardings);
    module.finished(finished);
    return finished;
  }

  /** The finished function, or null while it is still open. */
  public Func func() { return finished; }

  private void checkOpen(String opName) {
    if (finished != null) {
      throw new OpException(opName, "requires an open function, but '" + name + "' has already returned",
          CallSite.find(scopePath()));
    }
  }
}
