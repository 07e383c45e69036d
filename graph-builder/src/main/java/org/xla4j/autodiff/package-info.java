/**
 * Reverse-mode automatic differentiation over the IR: {@link org.xla4j.autodiff.Autodiff#vjp}, {@code grad}
 * and {@code valueAndGrad} of functions from a {@link org.xla4j.tree.Tree} of tensors, plus {@code
 * stopGradient} and {@code customVjp}.
 *
 * <p>How it works: the function runs once on fresh copies of the primals, emitting its forward ops into the
 * graph as usual. A forward pass over those ops marks the values that depend on the primals (float results
 * only; integer and boolean values never carry gradients). The backward walks the same ops in reverse,
 * emitting each op's cotangent ops into the same graph with the rule of {@code VjpRules}, an exhaustive
 * switch over the sealed op type. Conditionals ({@code if}, {@code case}) differentiate through the branch taken:
 * the backward is a conditional on the same predicate whose branches recompute their forward branch and pull
 * back to the values it reads. Ops with no derivative (data-dependent while loops, collectives, custom calls
 * without a custom VJP) throw an {@link org.xla4j.ir.OpException} that says "not
 * differentiable" and names the op and the line that built it, when a gradient would have to flow through
 * them.
 *
 * <p>{@code Autodiff.checkpoint(f, policy, preventCse)} is gradient checkpointing with jax's policies: the
 * backward replays {@code f} from its inputs and the dot results the policy saves, behind an optimization
 * barrier when {@code preventCse}.
 *
 * <p>Loops: {@code Lax.scan} and {@code Lax.foriLoop} (static bounds) are the IR's scan op, with the values
 * the step closes over as explicit constants; its VJP ({@code ScanVjp}) re-runs the scan stacking the carry
 * entering each step, then runs a reverse scan whose body recomputes one step from its saved carry and pulls
 * the cotangents back through it. A step holding a customVjp (remat, custom attention backwards) is built
 * instead as {@code Autodiff.scan}, a customVjp over the same loop whose backward re-traces the step (see
 * {@link org.xla4j.dsl.LoopTracing}); {@code Autodiff.scan} takes its constants explicitly. {@code
 * Lax.whileLoop}, whose trip count is data-dependent, is refused.
 *
 * <pre>{@code
 * Graph g = new Graph("sgd");
 * Tree<Tensor> p = g.parameters(Tree.of(Map.of("w", TensorType.of(DType.F32, 3), "b", TensorType.of(DType.F32))));
 * Tensor x = g.parameter(DType.F32, 3);
 * Autodiff.ValueAndGrad vg = Autodiff.valueAndGrad(t -> x.mul(t.get("w")).sum().add(t.get("b")).square())
 *     .apply(p);
 * Tree<Tensor> next = p.zip(vg.grad(), (w, dw) -> w.sub(dw.mul(0.01)));
 * HloModule m = g.build(vg.value(), next.get("b"), next.get("w"));
 * }</pre>
 */
package org.xla4j.autodiff;
