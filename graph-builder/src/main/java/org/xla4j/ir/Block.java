package org.xla4j.ir;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.xla4j.types.TensorType;

/**
 * A single-block region: arguments, ops in order, and the values it returns. A block is either a
 * function body or the body of a region-carrying op (reduce, while, if, sort, ...).
 */
public final class Block {
  private final Block parent;
  private final boolean isolated;
  private final List<Value> args = new ArrayList<>();
  private final List<Operation> ops = new ArrayList<>();
  private List<Value> returned;

  Block(Block parent, boolean isolated, List<TensorType> argTypes) {
    this.parent = parent;
    this.isolated = isolated;
    for (TensorType t : argTypes) args.add(new Value(t, this));
  }

  /** The enclosing block, or null for a function body. */
  public Block parent() { return parent; }

  /** True when ops inside may not use values defined outside (reduce/sort/scatter computations). */
  public boolean isolated() { return isolated; }

  public List<Value> args() { return Collections.unmodifiableList(args); }

  public List<Operation> ops() { return Collections.unmodifiableList(ops); }

  /** The returned values; null until the block has been terminated. */
  public List<Value> returned() { return returned; }

  public boolean isTerminated() { return returned != null; }

  /** Whether {@code v} may be used by an op placed in this block. */
  public boolean canSee(Value v) {
    for (Block b = this; b != null; b = b.isolated ? null : b.parent) {
      if (v.block() == b) return true;
    }
    return false;
  }

  Value addArg(TensorType t) {
    Value v = new Value(t, this);
    args.add(v);
    return v;
  }

  void append(Operation op) { ops.add(op); }

  void terminate(List<Value> values) { returned = List.copyOf(values); }

  Value newResult(TensorType t) { return new Value(t, this); }
}
