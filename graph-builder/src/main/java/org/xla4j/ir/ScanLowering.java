package org.xla4j.ir;

import java.util.ArrayList;
import java.util.List;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;
import org.xla4j.types.TensorType;

/**
 * Rewrites an {@link Op.Scan} as the {@code stablehlo.while} every backend runs: the state is an i32 counter,
 * the carry and one zero buffer per y; the body slices step i out of each xs ({@code dynamic_slice} then a
 * reshape dropping the unit axis), runs a copy of the scan's body, and writes each y into its buffer with
 * {@code dynamic_update_slice}. The printer uses it, so the IR keeps the scan and the text keeps a plain loop.
 *
 * <pre>{@code
 * List<Value> results = ScanLowering.lower(fb, scan, init, xs, consts); // the scan's results, in order
 * }</pre>
 */
public final class ScanLowering {
  private ScanLowering() {}

  /**
   * Emits the loop for {@code sc} at {@code fb}'s current block, reading the scan's operands as {@code init},
   * {@code xs} and {@code consts} (values visible there); returns the final carry then the stacked ys.
   */
  public static List<Value> lower(FunctionBuilder fb, Op.Scan sc, List<Value> init, List<Value> xs,
      List<Value> consts) {
    int nc = init.size();
    List<Value> ret = sc.body().returned();
    List<TensorType> yTypes = ret.subList(nc, ret.size()).stream().map(Value::type).toList();
    TensorType i32 = TensorType.scalar(DType.I32);
    List<Value> state = new ArrayList<>();
    state.add(constant(fb, i32, 0));
    state.addAll(init);
    for (TensorType y : yTypes) state.add(constant(fb, y.withShape(Shape.of(sc.length()).append(y.shape())), 0));
    List<TensorType> types = state.stream().map(Value::type).toList();
    Block cond = fb.region(types, false, s -> List.of(fb.emit1(new Op.Compare(Comparison.Direction.LT,
        Comparison.Type.SIGNED, s.get(0), constant(fb, i32, sc.length())))));
    Block body = fb.region(types, false, s -> {
      Value i = s.get(0);
      Value zero = constant(fb, i32, 0);
      Cloner c = new Cloner(fb);
      List<Value> args = sc.body().args();
      for (int k = 0; k < nc; k++) c.map(args.get(k), s.get(1 + k));
      for (int k = 0; k < xs.size(); k++) {
        TensorType t = xs.get(k).type();
        List<Value> starts = new ArrayList<>();
        List<Long> sizes = new ArrayList<>();
        for (int d = 0; d < t.rank(); d++) {
          starts.add(d == 0 ? i : zero);
          sizes.add(d == 0 ? 1L : t.shape().dim(d));
        }
        Value slice = fb.emit1(new Op.DynamicSlice(xs.get(k), starts, sizes));
        c.map(args.get(nc + k), fb.emit1(new Op.Reshape(slice, t.shape().without(0))));
      }
      for (int k = 0; k < consts.size(); k++) c.map(args.get(nc + xs.size() + k), consts.get(k));
      for (Operation o : sc.body().ops()) c.copy(o);
      List<Value> next = new ArrayList<>();
      next.add(fb.emit1(new Op.Binary(BinaryKind.ADD, i, constant(fb, i32, 1))));
      for (int k = 0; k < nc; k++) next.add(c.get(ret.get(k)));
      for (int k = 0; k < yTypes.size(); k++) {
        Value buf = s.get(1 + nc + k);
        TensorType bt = buf.type();
        Value y = fb.emit1(new Op.Reshape(c.get(ret.get(nc + k)), Shape.of(1).append(yTypes.get(k).shape())));
        List<Value> starts = new ArrayList<>();
        for (int d = 0; d < bt.rank(); d++) starts.add(d == 0 ? i : zero);
        next.add(fb.emit1(new Op.DynamicUpdateSlice(buf, y, starts)));
      }
      return next;
    });
    List<Value> out = fb.emit(new Op.While(state, cond, body));
    return out.subList(1, out.size());
  }

  private static Value constant(FunctionBuilder fb, TensorType t, long v) {
    Literal l = t.dtype().isFloat() ? Literal.splat(t, v) : Literal.splatLong(t, v);
    return fb.emit1(new Op.Constant(l));
  }
}
