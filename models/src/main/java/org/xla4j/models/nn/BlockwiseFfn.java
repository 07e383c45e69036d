package org.xla4j.models.nn;

import java.util.List;
import java.util.function.UnaryOperator;
import org.xla4j.dsl.Lax;
import org.xla4j.dsl.Tensor;
import org.xla4j.ir.CallSite;

/**
 * The Blockwise Parallel Transformer's {@code blockwise_compute_ffn}: a position-wise feed-forward
 * applied to one chunk of the sequence at a time, inside a {@code lax.scan}, so the [B, S, intermediate]
 * activation never exists whole (only [B, chunk, intermediate]). A chunk that does not divide S: the
 * sequence is padded with zeros to a multiple and the padded rows are sliced away (the FFN is
 * position-wise, so they never affect real rows).
 */
public final class BlockwiseFfn {
  static {
    CallSite.registerLibraryPackage("org.xla4j.models.");
  }

  private BlockwiseFfn() {}

  /** {@code ffn} ([B, c, D] -> [B, c, D']) over chunks of {@code x [B, S, D]}; chunk 0 or >= S runs it once. */
  public static Tensor apply(Tensor x, int chunk, UnaryOperator<Tensor> ffn) {
    if (x.rank() != 3) throw Rope.error("blockwiseFfn", "requires x of shape [B, S, D], got " + x.type());
    long b = x.dim(0);
    long s = x.dim(1);
    long d = x.dim(2);
    if (chunk <= 0 || chunk >= s) return ffn.apply(x);
    long n = (s + chunk - 1) / chunk;
    Tensor xp = n * chunk == s ? x : x.pad(new long[] {0, 0, 0}, new long[] {0, n * chunk - s, 0}, 0);
    Tensor xs = xp.reshape(b, n, chunk, d).transpose(1, 0, 2, 3);
    Lax.ScanResult r = Lax.scan(List.of(x.graph().scalar(0L, org.xla4j.types.DType.I32)), List.of(xs),
        (c, xi) -> new Lax.ScanResult(c, List.of(ffn.apply(xi.get(0)))));
    Tensor ys = r.ys().get(0);
    Tensor y = ys.transpose(1, 0, 2, 3).reshape(b, n * chunk, ys.dim(3));
    return n * chunk == s ? y : y.slice(1, 0, s);
  }
}
