package org.xla4j.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.xla4j.ir.OpException;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;

class EinsumTest {
  private static long[] dims(String s) {
    return s.isBlank() ? new long[0] : java.util.Arrays.stream(s.trim().split(" ")).mapToLong(Long::parseLong).toArray();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
      "'bqhd,bkhd->bhqk', 2 5 4 8, 2 7 4 8, 2 4 5 7",
      "'bhqk,bkhd->bqhd', 2 4 5 7, 2 7 4 8, 2 5 4 8",
      "'ij,jk->ik', 3 4, 4 5, 3 5",
      "'ij,jk', 3 4, 4 5, 3 5",
      "'ij,jk->ki', 3 4, 4 5, 5 3",
      "'i,i->', 6, 6, ''",
      "'i,j->ij', 3, 4, 3 4",
      "'bsd,de->bse', 2 3 4, 4 6, 2 3 6",
      "'bij,bjk->bik', 5 2 3, 5 3 4, 5 2 4",
      "'ij,kl->ik', 2 3, 4 5, 2 4",
      "'btgd,bsd->bgts', 2 3 4 8, 2 6 8, 2 4 3 6"})
  void resultShapes(String spec, String a, String b, String want) {
    Graph g = new Graph("e");
    Tensor r = Jnp.einsum(spec, g.parameter(DType.F32, dims(a)), g.parameter(DType.F32, dims(b)));
    assertEquals(Shape.of(dims(want)), r.shape());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"'ij->ji', 3 4, 4 3", "'ij->i', 3 4, 3", "'ij->', 3 4, ''", "'ijk->kij', 2 3 4, 4 2 3", "'ij', 3 4, 3 4"})
  void oneOperand(String spec, String a, String want) {
    Graph g = new Graph("e");
    assertEquals(Shape.of(dims(want)), Jnp.einsum(spec, g.parameter(DType.F32, dims(a))).shape());
  }

  @Test
  void attentionScoresAreOneDotAndOneTranspose() {
    Graph g = new Graph("e");
    Tensor q = g.parameter(DType.BF16, 2, 5, 4, 8);
    Tensor k = g.parameter(DType.BF16, 2, 7, 4, 8);
    String t = DslTesting.text(g, Jnp.einsum("bqhd,bkhd->bhqk", DType.F32, q, k));
    assertEquals(1, DslTesting.count(t, "stablehlo.dot_general"), t);
    assertTrue(t.contains("lhs_batching_dimensions = [0, 2], rhs_batching_dimensions = [0, 2], "
        + "lhs_contracting_dimensions = [3], rhs_contracting_dimensions = [3]"), t);
    // dot result is [b, h, q, k] already: no transpose needed
    assertEquals(0, DslTesting.count(t, "stablehlo.transpose"), t);
    assertTrue(t.contains("(tensor<2x5x4x8xbf16>, tensor<2x7x4x8xbf16>) -> tensor<2x4x5x7xf32>"), t);
  }

  @Test
  void outputOrderNeedsATranspose() {
    Graph g = new Graph("e");
    Tensor p = g.parameter(DType.F32, 2, 4, 5, 7);
    Tensor v = g.parameter(DType.F32, 2, 7, 4, 8);
    String t = DslTesting.text(g, Jnp.einsum("bhqk,bkhd->bqhd", p, v));
    assertTrue(t.contains("permutation = array<i64: 0, 2, 1, 3>"), t);
  }

  @Test
  void errorsNameTheSpec() {
    Graph g = new Graph("e");
    Tensor a = g.parameter(DType.F32, 3, 3);
    Tensor b = g.parameter(DType.F32, 3, 4);
    assertMessage(() -> Jnp.einsum("ii->i", a), "einsum: requires distinct letters within one operand (no traces or "
        + "diagonals), got 'ii' in 'ii->i'");
    assertMessage(() -> Jnp.einsum("...ij,jk->ik", a, b), "einsum: requires no ellipsis ('...'), got '...ij,jk->ik'");
    assertMessage(() -> Jnp.einsum("ij,jk,kl->il", a, b), "einsum: requires one or two operands matching the spec's terms");
    assertMessage(() -> Jnp.einsum("ijk,jk->ik", a, b), "einsum: requires term 'ijk' to have one letter per axis of operand 0 [3, 3]");
    assertMessage(() -> Jnp.einsum("ij,kj->ik", a, b), "einsum: requires equal sizes for 'j', got [3, 3] and [3, 4]");
    assertMessage(() -> Jnp.einsum("ij,jk->iz", a, b), "einsum: requires output letter 'z' to appear in an operand");
    assertMessage(() -> Jnp.einsum("ij,jk->ii", a, b), "einsum: requires distinct letters in the output");
  }

  private static void assertMessage(org.junit.jupiter.api.function.Executable e, String prefix) {
    OpException ex = assertThrows(OpException.class, e);
    assertTrue(ex.getMessage().startsWith(prefix), ex.getMessage());
    assertTrue(ex.getMessage().contains("(at EinsumTest.") && ex.getMessage().contains("(EinsumTest.java:"),
        ex.getMessage());
  }
}
