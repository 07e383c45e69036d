package org.xla4j.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.xla4j.types.DType.BF16;
import static org.xla4j.types.DType.F16;
import static org.xla4j.types.DType.F32;
import static org.xla4j.types.DType.F64;
import static org.xla4j.types.DType.I16;
import static org.xla4j.types.DType.I32;
import static org.xla4j.types.DType.I64;
import static org.xla4j.types.DType.I8;
import static org.xla4j.types.DType.PRED;
import static org.xla4j.types.DType.U16;
import static org.xla4j.types.DType.U32;
import static org.xla4j.types.DType.U64;
import static org.xla4j.types.DType.U8;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.xla4j.ir.OpException;
import org.xla4j.types.DType;

class PromotionTest {
  @ParameterizedTest(name = "{0} + {1} -> {2}")
  @CsvSource({
      "f32, f32, f32", "pred, i8, i8", "pred, f16, f16", "pred, u32, ui32",
      "i8, i32, i32", "i64, i16, i64", "u8, u32, ui32",
      "i16, u8, i16", "i8, u8, i16", "i16, u16, i32", "i32, u32, i64", "i64, u32, i64",
      "i32, f16, f16", "u64, bf16, bf16", "i64, f32, f32",
      "bf16, f16, f32", "f16, f32, f32", "bf16, f64, f64", "f32, f64, f64"})
  void table(String a, String b, String want) {
    DType da = DType.fromMlir(a);
    DType db = DType.fromMlir(b);
    assertEquals(DType.fromMlir(want), Promotion.result(da, db));
    assertEquals(DType.fromMlir(want), Promotion.result(db, da), "promotion is symmetric");
  }

  @Test
  void signedWithU64HasNoCommonType() {
    assertThrows(IllegalArgumentException.class, () -> Promotion.result(I64, U64));
    Graph g = new Graph("p");
    OpException e = assertThrows(OpException.class,
        () -> g.parameter(I8, 2).add(g.parameter(U64, 2)));
    assertTrue(e.getMessage().startsWith("add: requires types with a common type, got i8 and ui64"), e.getMessage());
  }

  @Test
  void weakScalars() {
    assertEquals(BF16, Promotion.withWeakFloat(BF16));
    assertEquals(F32, Promotion.withWeakFloat(I32));
    assertEquals(F32, Promotion.withWeakFloat(PRED));
    assertEquals(U8, Promotion.withWeakInt(U8));
    assertEquals(F16, Promotion.withWeakInt(F16));
    assertEquals(I32, Promotion.withWeakInt(PRED));
  }

  @Test
  void javaScalarsAreWeakLikeJax() {
    Graph g = new Graph("w");
    Tensor bf = g.parameter(BF16, 4);
    Tensor ints = g.parameter(I16, 4);
    Tensor bools = g.parameter(PRED, 4);
    assertEquals(BF16, bf.mul(2.0).dtype());
    assertEquals(BF16, bf.add(1).dtype());
    assertEquals(F32, ints.add(0.5).dtype());
    assertEquals(I16, ints.add(1).dtype());
    assertEquals(I32, bools.add(1).dtype());
    assertEquals(F32, bools.mul(1.5).dtype());
    assertEquals(PRED, ints.lt(3).dtype());
    assertEquals(BF16, bf.rsub(1.0).dtype());
  }

  @Test
  void strongTensorsPromote() {
    Graph g = new Graph("s");
    assertEquals(F32, g.parameter(BF16, 3).add(g.parameter(F16, 3)).dtype());
    assertEquals(I16, g.parameter(I8, 3).mul(g.parameter(U8, 3)).dtype());
    assertEquals(F64, g.parameter(F64, 3).sub(g.parameter(I32, 3)).dtype());
    assertEquals(U16, g.parameter(U16, 3).maximum(g.parameter(PRED, 3)).dtype());
    assertEquals(U32, g.parameter(U32, 3).and(g.parameter(U8, 3)).dtype());
  }

  @Test
  void integerMathComputesInF32() {
    Graph g = new Graph("m");
    Tensor i = g.parameter(I32, 3);
    assertEquals(F32, i.exp().dtype());
    assertEquals(F32, i.div(i).dtype(), "div is true division");
    assertEquals(I32, i.intDiv(2).dtype());
    assertEquals(F32, i.mean().dtype());
    assertEquals(I32, g.parameter(I8, 3).sum().dtype(), "small ints sum in i32, as jnp.sum");
    assertEquals(BF16, g.parameter(BF16, 3).sum().dtype(), "half floats come back to their type");
  }

  @Test
  void scalarThatDoesNotFitIsAnError() {
    Graph g = new Graph("f");
    OpException e = assertThrows(OpException.class, () -> g.parameter(U8, 2).add(300));
    assertTrue(e.getMessage().startsWith("add: requires a Java scalar that fits ui8, got 300"), e.getMessage());
    assertTrue(e.getMessage().contains("PromotionTest.java"), e.getMessage());
  }
}
