package org.xla4j.ir;

import java.util.List;

/**
 * What a {@code stablehlo.reduce} (or a scatter's combiner) computes, carried on the op so that
 * differentiation and other passes read it instead of matching the body. {@link #CUSTOM} is any other body
 * (e.g. argmax over value/index pairs); {@link #REPLACE} keeps the second argument (a scatter "set").
 *
 * <pre>{@code
 * new Op.Reduce(List.of(x), List.of(zero), List.of(1), body, ReduceKind.SUM);
 * }</pre>
 */
public enum ReduceKind {
  SUM, PRODUCT, MAX, MIN, AND, OR, REPLACE, CUSTOM;

  /**
   * The kind of a two-argument scalar body that returns one binary op of its arguments (either order) or
   * its second argument; {@link #CUSTOM} for anything else. Used once, when an op is built without a kind.
   */
  public static ReduceKind of(Block body) {
    List<Value> args = body.args();
    List<Value> out = body.returned();
    if (args.size() != 2 || out == null || out.size() != 1) return CUSTOM;
    if (body.ops().isEmpty() && out.get(0) == args.get(1)) return REPLACE;
    if (body.ops().size() != 1) return CUSTOM;
    Operation only = body.ops().get(0);
    if (!(only.op() instanceof Op.Binary b) || only.results().get(0) != out.get(0)) return CUSTOM;
    boolean onArgs = (b.lhs() == args.get(0) && b.rhs() == args.get(1))
        || (b.lhs() == args.get(1) && b.rhs() == args.get(0));
    if (!onArgs) return CUSTOM;
    return switch (b.kind()) {
      case ADD -> SUM;
      case MULTIPLY -> PRODUCT;
      case MAXIMUM -> MAX;
      case MINIMUM -> MIN;
      case AND -> AND;
      case OR -> OR;
      default -> CUSTOM;
    };
  }
}
