package org.xla4j.checkpoint;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * Copies a row-major tensor's bytes into another segment with its axes permuted (numpy's
 * {@code transpose(perm)}: result axis {@code i} is source axis {@code perm[i]}). Works on any size
 * of native or heap segment; elements are moved whole, so any dtype works.
 */
final class Permute {
  private Permute() {}

  /** The dimensions after permuting. */
  static long[] dims(long[] dims, int[] perm) {
    check(dims.length, perm);
    long[] r = new long[dims.length];
    for (int i = 0; i < perm.length; i++) r[i] = dims[perm[i]];
    return r;
  }

  static void check(int rank, int[] perm) {
    boolean[] seen = new boolean[rank];
    if (perm.length != rank) throw bad(rank, perm);
    for (int p : perm) {
      if (p < 0 || p >= rank || seen[p]) throw bad(rank, perm);
      seen[p] = true;
    }
  }

  private static IllegalArgumentException bad(int rank, int[] perm) {
    return new IllegalArgumentException("transpose " + Arrays.toString(perm) + " is not a permutation of the "
        + rank + " axes of the tensor");
  }

  static boolean isIdentity(int[] perm) {
    for (int i = 0; i < perm.length; i++) if (perm[i] != i) return false;
    return true;
  }

  /** {@code dst[i0, i1, ...] = src[...]} with {@code dst}'s axis i being {@code src}'s axis perm[i]. */
  static void copy(MemorySegment src, long[] srcDims, int[] perm, int elemBytes, MemorySegment dst) {
    int rank = srcDims.length;
    long n = elemBytes;
    for (long d : srcDims) n *= d;
    if (src.byteSize() != n || dst.byteSize() != n) {
      throw new IllegalArgumentException("permute: " + Arrays.toString(srcDims) + " x " + elemBytes + " bytes needs "
          + n + " bytes; source has " + src.byteSize() + ", destination " + dst.byteSize());
    }
    if (n == 0) return;
    if (isIdentity(perm)) {
      MemorySegment.copy(src, 0, dst, 0, n);
      return;
    }
    long[] srcStride = new long[rank]; // in elements
    long s = 1;
    for (int i = rank - 1; i >= 0; i--) {
      srcStride[i] = s;
      s *= srcDims[i];
    }
    long[] dstDims = dims(srcDims, perm);
    long[] step = new long[rank]; // source stride of each destination axis
    for (int i = 0; i < rank; i++) step[i] = srcStride[perm[i]];
    long inner = dstDims[rank - 1];
    long innerStep = step[rank - 1];
    long[] idx = new long[rank - 1];
    long srcBase = 0;
    long dstAt = 0;
    while (true) {
      copyRow(src, srcBase, innerStep, inner, elemBytes, dst, dstAt);
      dstAt += inner;
      // odometer over the outer destination axes
      int a = rank - 2;
      while (a >= 0) {
        idx[a]++;
        srcBase += step[a];
        if (idx[a] < dstDims[a]) break;
        srcBase -= step[a] * idx[a];
        idx[a] = 0;
        a--;
      }
      if (a < 0) return;
    }
  }

  /** One destination row: {@code count} elements read {@code stride} elements apart. */
  private static void copyRow(MemorySegment src, long srcAt, long stride, long count, int w, MemorySegment dst, long dstAt) {
    switch (w) {
      case 1 -> {
        for (long i = 0; i < count; i++) {
          dst.set(ValueLayout.JAVA_BYTE, dstAt + i, src.get(ValueLayout.JAVA_BYTE, srcAt + i * stride));
        }
      }
      case 2 -> {
        for (long i = 0; i < count; i++) {
          dst.set(ValueLayout.JAVA_SHORT_UNALIGNED, 2 * (dstAt + i), src.get(ValueLayout.JAVA_SHORT_UNALIGNED, 2 * (srcAt + i * stride)));
        }
      }
      case 4 -> {
        for (long i = 0; i < count; i++) {
          dst.set(ValueLayout.JAVA_INT_UNALIGNED, 4 * (dstAt + i), src.get(ValueLayout.JAVA_INT_UNALIGNED, 4 * (srcAt + i * stride)));
        }
      }
      case 8 -> {
        for (long i = 0; i < count; i++) {
          dst.set(ValueLayout.JAVA_LONG_UNALIGNED, 8 * (dstAt + i), src.get(ValueLayout.JAVA_LONG_UNALIGNED, 8 * (srcAt + i * stride)));
        }
      }
      default -> {
        for (long i = 0; i < count; i++) MemorySegment.copy(src, w * (srcAt + i * stride), dst, w * (dstAt + i), w);
      }
    }
  }
}
