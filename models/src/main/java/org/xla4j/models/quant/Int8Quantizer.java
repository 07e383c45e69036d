package org.xla4j.models.quant;

import org.xla4j.types.HalfFloats;

/**
 * Quantizes a float matrix into Grok-1's QuantizedWeight8bit layout, in plain Java (the {@code xla4j quantize}
 * command): for a torch-layout matrix {@code W [out, in]} split into {@code nb} blocks of {@code in / nb} input
 * features, each (block, output) pair gets the symmetric scale {@code s[b, o] = bf16(absmax_b(|W[o, i]|) / 127)}
 * and {@code weight[o, i] = clamp(rint(W[o, i] / s[b, o]), -127, 127)} (round to nearest, ties to even), so that
 * {@code W[o, i] ≈ bf16(weight[o, i] · s[i / (in / nb), o])}, the loader's formula. The quotient uses the
 * bf16-rounded scale, the one stored, so the error is at most half a step of the scale that is read back. A
 * block of zeros has scale 0 and zero weights.
 *
 * <pre>{@code
 * Int8Quantizer.Result r = Int8Quantizer.quantize(w, out, in, 8);   // r.weight() [out·in], r.scales() [8·out]
 * }</pre>
 */
public final class Int8Quantizer {
  private Int8Quantizer() {}

  /**
   * A quantized matrix.
   *
   * @param weight int8 values, row-major {@code [out, in]}
   * @param scales bf16-exact scales, row-major {@code [nb, out]}
   */
  public record Result(byte[] weight, float[] scales) {}

  /**
   * Quantizes {@code w}, row-major {@code [out, in]}.
   *
   * @throws IllegalArgumentException when the sizes do not fit or {@code nb} does not divide {@code in}
   */
  public static Result quantize(float[] w, int out, int in, int nb) {
    checkBlocks(in, nb);
    if ((long) out * in != w.length) {
      throw new IllegalArgumentException("Int8Quantizer: a [" + out + ", " + in + "] matrix has " + (long) out * in
          + " elements, got " + w.length);
    }
    byte[] q = new byte[w.length];
    float[] scales = new float[nb * out];
    float[] row = new float[in];
    float[] s = new float[nb];
    for (int o = 0; o < out; o++) {
      System.arraycopy(w, o * in, row, 0, in);
      quantizeRow(row, nb, q, o * in, s);
      for (int b = 0; b < nb; b++) scales[b * out + o] = s[b];
    }
    return new Result(q, scales);
  }

  /**
   * Quantizes one output row {@code W[o, :]} into {@code q[at .. at + in)} and its {@code nb} block scales into
   * {@code scales[0 .. nb)}.
   */
  public static void quantizeRow(float[] row, int nb, byte[] q, int at, float[] scales) {
    int in = row.length;
    checkBlocks(in, nb);
    int block = in / nb;
    for (int b = 0; b < nb; b++) {
      float absmax = 0;
      for (int i = b * block; i < (b + 1) * block; i++) {
        if (!Float.isFinite(row[i])) {
          throw new IllegalArgumentException("Int8Quantizer: element " + i + " of the row is " + row[i]);
        }
        absmax = Math.max(absmax, Math.abs(row[i]));
      }
      float s = HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(absmax / 127f));
      scales[b] = s;
      for (int i = b * block; i < (b + 1) * block; i++) {
        // bf16 rounding can make s slightly smaller than absmax/127, hence the clamp
        q[at + i] = s == 0 ? 0 : (byte) Math.max(-127, Math.min(127, Math.rint(row[i] / s)));
      }
    }
  }

  private static void checkBlocks(int in, int nb) {
    if (nb < 1 || in % nb != 0) {
      throw new IllegalArgumentException("Int8Quantizer: " + nb + " scale blocks must divide the " + in
          + " input features");
    }
  }
}
