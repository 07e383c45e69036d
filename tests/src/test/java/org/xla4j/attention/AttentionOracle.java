package org.xla4j.attention;

/**
 * Plain-Java attention in double precision, BTNH layout, the definition the mechanisms are tested
 * against: logits = scale·q·k, soft-cap c·tanh(x/c), + bias; hidden entries (causal j > i + qOffset,
 * mask false, different segment, key >= keyLimit) drop out of the softmax; a row with nothing visible
 * gives zeros; output × multiplier. Query head h uses kv head h / (H / Hkv).
 */
final class AttentionOracle {
  int b, sq, sk, h, hkv, d, dv;
  double scale = Double.NaN;
  double softCap;
  double multiplier = 1;
  boolean causal;
  int qOffset;
  int keyLimit = Integer.MAX_VALUE;
  /** [B][H][Sq][Sk] flattened, or null. */
  double[] bias;
  /** [B][H][Sq][Sk] flattened, or null. */
  boolean[] mask;
  int[] qSeg;
  int[] kSeg;

  AttentionOracle(int b, int sq, int sk, int h, int hkv, int d, int dv) {
    this.b = b;
    this.sq = sq;
    this.sk = sk;
    this.h = h;
    this.hkv = hkv;
    this.d = d;
    this.dv = dv;
  }

  /** Output [B, Sq, H, Dv]. */
  double[] run(float[] q, float[] k, float[] v) {
    return run(q, k, v, null);
  }

  /** Output [B, Sq, H, Dv]; weights [B, H, Sq, Sk] into {@code weightsOut} when non-null. */
  double[] run(float[] q, float[] k, float[] v, double[] weightsOut) {
    double sc = Double.isNaN(scale) ? 1 / Math.sqrt(d) : scale;
    int grp = h / hkv;
    double[] out = new double[b * sq * h * dv];
    double[] s = new double[sk];
    boolean[] vis = new boolean[sk];
    for (int bi = 0; bi < b; bi++) {
      for (int hi = 0; hi < h; hi++) {
        int kh = hi / grp;
        for (int i = 0; i < sq; i++) {
          double max = Double.NEGATIVE_INFINITY;
          for (int j = 0; j < sk; j++) {
            double dot = 0;
            for (int x = 0; x < d; x++) {
              dot += (double) q[((bi * sq + i) * h + hi) * d + x] * k[((bi * sk + j) * hkv + kh) * d + x];
            }
            double l = dot * sc;
            if (softCap > 0) l = softCap * Math.tanh(l / softCap);
            int bidx = ((bi * h + hi) * sq + i) * sk + j;
            if (bias != null) l += bias[bidx];
            boolean ok = j < keyLimit;
            if (causal && j > i + qOffset) ok = false;
            if (mask != null && !mask[bidx]) ok = false;
            if (qSeg != null && qSeg[bi * sq + i] != kSeg[bi * sk + j]) ok = false;
            vis[j] = ok;
            s[j] = l;
            if (ok) max = Math.max(max, l);
          }
          double sum = 0;
          for (int j = 0; j < sk; j++) {
            s[j] = vis[j] ? Math.exp(s[j] - max) : 0;
            sum += s[j];
          }
          for (int j = 0; j < sk; j++) {
            double w = sum > 0 ? s[j] / sum : 0;
            if (weightsOut != null) weightsOut[((bi * h + hi) * sq + i) * sk + j] = w;
            for (int x = 0; x < dv; x++) {
              out[((bi * sq + i) * h + hi) * dv + x] += w * v[((bi * sk + j) * hkv + kh) * dv + x] * multiplier;
            }
          }
        }
      }
    }
    return out;
  }
}
