package org.xla4j.ir;

import org.xla4j.types.TensorType;

/**
 * An SSA value: a function or region argument, or one result of an operation. Values compare by
 * identity; each belongs to the block that defines it, which decides where it may be used.
 */
public final class Value {
  private final TensorType type;
  private final Block block;

  Value(TensorType type, Block block) {
    this.type = type;
    this.block = block;
  }

  public TensorType type() { return type; }

  /** The block that defines this value (its scope). */
  public Block block() { return block; }

  @Override
  public String toString() { return "Value(" + type.mlir() + ")"; }
}
