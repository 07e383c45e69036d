package org.xla4j.models.llama;

/**
 * Hugging Face's {@code rope_scaling} of type {@code llama3} (Llama 3.1): wavelengths longer than
 * {@code originalMaxPositions / lowFreqFactor} are divided by {@code factor}, shorter than
 * {@code originalMaxPositions / highFreqFactor} are kept, and those between blend the two smoothly.
 *
 * <pre>{@code
 * RopeScaling s = new RopeScaling(8, 1, 4, 8192);   // Llama 3.1's values
 * double[] inv = s.apply(LlamaRope.invFreq(128, 500000));
 * }</pre>
 *
 * @param factor divides the low frequencies
 * @param lowFreqFactor {@code low_freq_factor}
 * @param highFreqFactor {@code high_freq_factor} (greater than lowFreqFactor)
 * @param originalMaxPositions {@code original_max_position_embeddings}
 */
public record RopeScaling(double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositions) {
  public RopeScaling {
    if (!(factor > 0) || !(lowFreqFactor > 0) || !(highFreqFactor > lowFreqFactor) || originalMaxPositions <= 0) {
      throw new IllegalArgumentException("rope_scaling llama3 requires factor > 0, 0 < low_freq_factor < "
          + "high_freq_factor and original_max_position_embeddings > 0, got factor " + factor + ", low " + lowFreqFactor
          + ", high " + highFreqFactor + ", original " + originalMaxPositions);
    }
  }

  /** The scaled inverse frequencies (a new array). */
  public double[] apply(double[] invFreq) {
    double lowWavelen = originalMaxPositions / lowFreqFactor;
    double highWavelen = originalMaxPositions / highFreqFactor;
    double[] out = new double[invFreq.length];
    for (int i = 0; i < invFreq.length; i++) {
      double f = invFreq[i];
      double wavelen = 2 * Math.PI / f;
      if (wavelen < highWavelen) {
        out[i] = f;
      } else if (wavelen > lowWavelen) {
        out[i] = f / factor;
      } else {
        // between the two: linear blend of scaled and unscaled by where the wavelength falls
        double smooth = (originalMaxPositions / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
        out[i] = (1 - smooth) * f / factor + smooth * f;
      }
    }
    return out;
  }
}
