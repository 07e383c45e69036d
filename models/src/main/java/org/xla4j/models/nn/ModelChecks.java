package org.xla4j.models.nn;

import org.xla4j.dsl.Tensor;
import org.xla4j.ir.CallSite;
import org.xla4j.ir.OpException;
import org.xla4j.tree.Tree;
import org.xla4j.types.TensorType;

/**
 * The checks every language model runs before building its forward pass: the parameter tree has the
 * config's paths and types, and the tokens are an integer [batch, seq] batch. Errors name the model,
 * the path and both types, and the caller's line.
 *
 * <pre>{@code
 * ModelChecks.parameters("llama", config.parameterTypes(), params);
 * ModelChecks.tokens("llama", tokens);
 * }</pre>
 */
public final class ModelChecks {
  private ModelChecks() {}

  /** Requires {@code params} to have exactly the paths of {@code want}, each leaf of that type. */
  public static void parameters(String model, Tree<TensorType> want, Tree<Tensor> params) {
    try {
      want.requireSameStructure(params, model + " parameters");
    } catch (RuntimeException e) {
      throw error(model, e.getMessage());
    }
    for (Tree.Leaf<TensorType> leaf : want) {
      TensorType got = params.get(leaf.path()).type();
      if (!got.equals(leaf.value())) {
        throw error(model, "requires parameter " + leaf.path() + " of type " + leaf.value() + ", got " + got);
      }
    }
  }

  /** Requires integer tokens shaped [batch, seq]. */
  public static void tokens(String model, Tensor tokens) {
    if (tokens.rank() != 2 || !tokens.dtype().isInteger()) {
      throw error(model, "requires integer tokens [batch, seq], got " + tokens.type());
    }
  }

  /** An error of {@code model}'s forward pass at the caller's line. */
  public static OpException error(String model, String detail) {
    return new OpException(model, detail, CallSite.find(""));
  }
}
