package org.xla4j.runtime.pjrt;

import com.google.protobuf.ByteString;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import org.xla4j.runtime.pjrt.proto.HloModuleProtos.LiteralProto;
import org.xla4j.runtime.pjrt.proto.HloModuleProtos.PrimitiveType;
import org.xla4j.runtime.pjrt.proto.HloModuleProtos.ShapeProto;

/**
 * A constant's literal as XLA's HLO printer writes it: {@code 0}, {@code -inf}, {@code {1, 2, 3}},
 * {@code { { 1, 2 }, { 3, 4 } }}, complex as {@code (re, im)}; arrays of more than {@link #MAX_ELEMENTS}
 * elements elided as {@code {...}} (XLA's default without print_large_constants). Floats take the
 * fewest digits of the type's {@code digits10} or {@code max_digits10} that read back to the same value.
 * Values are read in row-major order (constants carry XLA's default layout).
 */
final class HloLiterals {
  private HloLiterals() {}

  static final int MAX_ELEMENTS = 10;

  static String print(LiteralProto lit) {
    ShapeProto s = lit.getShape();
    if (s.getElementType() == PrimitiveType.TUPLE) {
      List<String> parts = new ArrayList<>();
      for (LiteralProto t : lit.getTupleLiteralsList()) parts.add(print(t));
      return "(" + String.join(", ", parts) + ")";
    }
    long n = 1;
    for (long d : s.getDimensionsList()) n *= d;
    if (n > MAX_ELEMENTS) return "{...}";
    List<String> values = new ArrayList<>((int) n);
    for (int i = 0; i < n; i++) values.add(element(lit, s.getElementType(), i));
    if (s.getDimensionsCount() == 0) return values.isEmpty() ? "" : values.get(0);
    if (s.getDimensionsCount() == 1) return "{" + String.join(", ", values) + "}";
    return nested(values, s.getDimensionsList(), 0, new int[] {0});
  }

  /** Rank 2 and up: every level braced with spaces inside, {@code { { 1, 2 }, { 3, 4 } }}. */
  private static String nested(List<String> values, List<Long> dims, int d, int[] next) {
    List<String> parts = new ArrayList<>();
    for (long i = 0; i < dims.get(d); i++) {
      parts.add(d == dims.size() - 1 ? values.get(next[0]++) : nested(values, dims, d + 1, next));
    }
    return parts.isEmpty() ? "{  }" : "{ " + String.join(", ", parts) + " }";
  }

  private static String element(LiteralProto l, PrimitiveType t, int i) {
    return switch (t) {
      case PRED -> l.getPredsCount() > i ? Boolean.toString(l.getPreds(i)) : "?";
      case S8 -> Integer.toString(signed(l.getS8S(), i, 8));
      case S4 -> Integer.toString(signed(l.getS4S(), i, 4));
      case S2 -> Integer.toString(signed(l.getS2S(), i, 2));
      case S1 -> Integer.toString(signed(l.getS1S(), i, 1));
      case U8 -> Integer.toString(unsigned(l.getU8S(), i, 8));
      case U4 -> Integer.toString(unsigned(l.getU4S(), i, 4));
      case U2 -> Integer.toString(unsigned(l.getU2S(), i, 2));
      case U1 -> Integer.toString(unsigned(l.getU1S(), i, 1));
      case S16 -> Integer.toString((short) le16(l.getS16S(), i));
      case U16 -> Integer.toString(le16(l.getU16S(), i));
      case S32 -> l.getS32SCount() > i ? Integer.toString(l.getS32S(i)) : "?";
      case S64 -> l.getS64SCount() > i ? Long.toString(l.getS64S(i)) : "?";
      case U32 -> l.getU32SCount() > i ? Integer.toUnsignedString(l.getU32S(i)) : "?";
      case U64 -> l.getU64SCount() > i ? Long.toUnsignedString(l.getU64S(i)) : "?";
      case F32 -> l.getF32SCount() > i ? fp(l.getF32S(i), Fp.F32) : "?";
      case F64 -> l.getF64SCount() > i ? fp(l.getF64S(i), Fp.F64) : "?";
      case F16 -> fp(Float.float16ToFloat((short) le16(l.getF16S(), i)), Fp.F16);
      case BF16 -> fp(Float.intBitsToFloat(le16(l.getBf16S(), i) << 16), Fp.BF16);
      case C64 -> l.getC64SCount() > 2 * i + 1
          ? "(" + fp(l.getC64S(2 * i), Fp.F32) + ", " + fp(l.getC64S(2 * i + 1), Fp.F32) + ")" : "?";
      case C128 -> l.getC128SCount() > 2 * i + 1
          ? "(" + fp(l.getC128S(2 * i), Fp.F64) + ", " + fp(l.getC128S(2 * i + 1), Fp.F64) + ")" : "?";
      case F8E5M2 -> small(l.getF8E5M2S(), i, 5, 2, 15, Flavor.IEEE);
      case F8E4M3 -> small(l.getF8E4M3S(), i, 4, 3, 7, Flavor.IEEE);
      case F8E3M4 -> small(l.getF8E3M4S(), i, 3, 4, 3, Flavor.IEEE);
      case F8E4M3FN -> small(l.getF8E4M3Fns(), i, 4, 3, 7, Flavor.FN);
      case F8E4M3FNUZ -> small(l.getF8E4M3Fnuzs(), i, 4, 3, 8, Flavor.FNUZ);
      case F8E5M2FNUZ -> small(l.getF8E5M2Fnuzs(), i, 5, 2, 16, Flavor.FNUZ);
      case F8E4M3B11FNUZ -> small(l.getF8E4M3B11Fnuzs(), i, 4, 3, 11, Flavor.FNUZ);
      case F4E2M1FN -> small(l.getF4E2M1Fns(), i, 2, 1, 1, Flavor.FINITE);
      case F8E8M0FNU -> {
        int b = byteAt(l.getF8E8M0Fnus(), i);
        yield b < 0 ? "?" : b == 0xff ? "nan" : fp(Math.scalb(1.0, b - 127), Fp.SMALL);
      }
      case TUPLE, OPAQUE_TYPE, TOKEN, BUFFER, PRIMITIVE_TYPE_INVALID, UNRECOGNIZED -> "?";
    };
  }

  private static int byteAt(ByteString b, int i) { return i < b.size() ? b.byteAt(i) & 0xff : -1; }

  private static int signed(ByteString b, int i, int bits) {
    int v = byteAt(b, i);
    return v < 0 ? 0 : (v << (32 - bits)) >> (32 - bits);
  }

  private static int unsigned(ByteString b, int i, int bits) {
    int v = byteAt(b, i);
    return v < 0 ? 0 : v & ((1 << bits) - 1);
  }

  /** Little-endian 16-bit element {@code i}, as XLA stores f16/bf16/s16/u16 in a LiteralProto. */
  private static int le16(ByteString b, int i) {
    if (2 * i + 1 >= b.size()) return 0;
    return (b.byteAt(2 * i) & 0xff) | (b.byteAt(2 * i + 1) & 0xff) << 8;
  }

  private enum Flavor { IEEE, FN, FNUZ, FINITE }

  /** Decodes a narrow float: sign, {@code e} exponent bits (bias {@code bias}), {@code m} mantissa bits. */
  private static String small(ByteString bytes, int i, int e, int m, int bias, Flavor f) {
    int v = byteAt(bytes, i);
    if (v < 0) return "?";
    int bits = 1 + e + m;
    v &= (1 << bits) - 1;
    boolean neg = (v >> (bits - 1)) != 0;
    int exp = (v >> m) & ((1 << e) - 1);
    int man = v & ((1 << m) - 1);
    int allExp = (1 << e) - 1;
    switch (f) {
      case IEEE -> {
        if (exp == allExp) return man != 0 ? "nan" : neg ? "-inf" : "inf";
      }
      case FN -> {
        if (exp == allExp && man == (1 << m) - 1) return "nan";
      }
      case FNUZ -> {
        if (neg && exp == 0 && man == 0) return "nan";
      }
      case FINITE -> { }
    }
    double mag = exp == 0 ? Math.scalb((double) man, 1 - bias - m) : Math.scalb((double) ((1 << m) | man), exp - bias - m);
    return fp(neg ? -mag : mag, Fp.SMALL);
  }

  /** A float type's {@code digits10} and {@code max_digits10}, and how a printed value reads back. */
  enum Fp {
    F64(15, 17), F32(6, 9), F16(3, 5), BF16(2, 4), SMALL(1, 3);

    final int digits;
    final int maxDigits;

    Fp(int digits, int maxDigits) {
      this.digits = digits;
      this.maxDigits = maxDigits;
    }

    boolean readsBack(String text, double v) {
      double p = Double.parseDouble(text);
      return switch (this) {
        case F64 -> p == v;
        case F32 -> (float) p == (float) v;
        case F16 -> Float.floatToFloat16((float) p) == Float.floatToFloat16((float) v);
        case BF16 -> bf16((float) p) == bf16((float) v);
        case SMALL -> p == v;
      };
    }

    private static int bf16(float x) {
      int b = Float.floatToRawIntBits(x);
      return (b + 0x7fff + ((b >> 16) & 1)) >>> 16; // round to nearest even
    }
  }

  /** XLA's RoundTripFpToString: {@code %.Ng} with the type's digits10, or max_digits10 where that loses the value. */
  static String fp(double v, Fp type) {
    if (Double.isNaN(v)) return "nan";
    if (Double.isInfinite(v)) return v > 0 ? "inf" : "-inf";
    String s = g(v, type.digits);
    return type.readsBack(s, v) ? s : g(v, type.maxDigits);
  }

  /** C's {@code %.pg}: p significant digits, trailing zeros dropped, exponent form outside [1e-4, 1e p). */
  static String g(double v, int p) {
    if (v == 0) return (1 / v < 0) ? "-0" : "0";
    BigDecimal r = new BigDecimal(v).round(new MathContext(p, RoundingMode.HALF_EVEN));
    int x = r.precision() - r.scale() - 1;
    if (x < -4 || x >= p) {
      String digits = r.unscaledValue().abs().toString().replaceAll("0+$", "");
      if (digits.isEmpty()) digits = "0";
      String mant = digits.charAt(0) + (digits.length() > 1 ? "." + digits.substring(1) : "");
      String exp = Integer.toString(Math.abs(x));
      return (r.signum() < 0 ? "-" : "") + mant + "e" + (x < 0 ? "-" : "+") + (exp.length() < 2 ? "0" + exp : exp);
    }
    return r.stripTrailingZeros().toPlainString();
  }
}
