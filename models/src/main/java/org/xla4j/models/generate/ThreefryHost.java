package org.xla4j.models.generate;

/**
 * Threefry-2x32 with 20 rounds (Salmon et al., Random123), as JAX's default PRNG uses it, in plain Java:
 * the host side of {@link Threefry} (seeding keys before the first step) and the oracle its tests compare
 * the device version with. Words are Java ints read as unsigned 32-bit values.
 *
 * <pre>{@code
 * int[] key = ThreefryHost.seed(42);                 // JAX's PRNGKey(42): {0, 42}
 * int[] out = ThreefryHost.hash(key[0], key[1], 0, 7);
 * }</pre>
 */
public final class ThreefryHost {
  /** Rotation distances for 2x32, rounds 0..7 then repeated. */
  static final int[] ROTATIONS = {13, 15, 26, 6, 17, 29, 16, 24};
  /** Skein's key-schedule parity constant for 32-bit words. */
  static final int PARITY = 0x1BD11BDA;
  static final int ROUNDS = 20;

  private ThreefryHost() {}

  /** The block cipher: counter {@code (x0, x1)} under key {@code (k0, k1)}; returns the two output words. */
  public static int[] hash(int k0, int k1, int x0, int x1) {
    int[] ks = {k0, k1, k0 ^ k1 ^ PARITY};
    x0 += ks[0];
    x1 += ks[1];
    for (int r = 0; r < ROUNDS; r++) {
      x0 += x1;
      x1 = Integer.rotateLeft(x1, ROTATIONS[r % 8]);
      x1 ^= x0;
      if (r % 4 == 3) {
        // key injection after every fourth round: s = 1..5
        int s = r / 4 + 1;
        x0 += ks[s % 3];
        x1 += ks[(s + 1) % 3] + s;
      }
    }
    return new int[] {x0, x1};
  }

  /** JAX's {@code PRNGKey(seed)}: the seed's high and low 32 bits. */
  public static int[] seed(long seed) { return new int[] {(int) (seed >>> 32), (int) seed}; }

  /** JAX's {@code fold_in(key, data)}: the key hashed with counter {@code (0, data)}. */
  public static int[] foldIn(int[] key, int data) { return hash(key[0], key[1], 0, data); }

  /**
   * Key {@code i} of JAX's {@code split(key, n)} under {@code jax_threefry_partitionable} (the default
   * since JAX 0.5): the key hashed with counter {@code (0, i)} — the same as {@code foldIn(key, i)}.
   */
  public static int[] split(int[] key, int i) { return foldIn(key, i); }

  /** 32 random bits for element {@code index} of a draw: both output words of counter {@code (0, index)}, xored. */
  public static int bits(int[] key, int index) {
    int[] y = hash(key[0], key[1], 0, index);
    return y[0] ^ y[1];
  }

  /** The f32 in [0, 1) that {@link Threefry#uniform} makes of {@code bits}: 23 high bits as the mantissa of [1, 2), minus 1. */
  public static float uniform(int bits) {
    return Float.intBitsToFloat((bits >>> 9) | 0x3F800000) - 1f;
  }
}
