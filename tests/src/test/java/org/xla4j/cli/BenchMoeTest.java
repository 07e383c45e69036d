package org.xla4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.xla4j.testsupport.StdStreams;

/**
 * {@code xla4j bench moe --backend cpu} at a small shape, end to end: every implementation runs, reports the
 * floor by its formula, drops nothing except at capacity factor 1.0 where the routing overflows, and agrees
 * with DENSE on the same device-made inputs; bad options are usage errors naming the option.
 *
 * <p>Tolerance against DENSE: relative L2 2e-2 (bf16 results; the implementations differ in f32 summation
 * order, which flips some bf16 roundings: about 3e-3 seen); a wrong expert or gate gives ~1.
 */
class BenchMoeTest {
  private static final Pattern JSON = Pattern.compile("(?m)^JSON (\\{.*\\})$");

  @Test
  void everyImplementationRunsAndAgreesWithDense() {
    int[] rc = new int[1];
    // T 6, D 16, F 24, 4 experts top-2; ceilings given so the floor is known: 1 TFLOP/s, 10 GB/s
    String out = StdStreams.out(() -> rc[0] = Main.run("bench", "moe", "--backend", "cpu", "--shape", "6,16,24",
        "--experts", "4", "--runs", "1", "--impl", "all", "--capacity-factor", "1.0,4.0", "--peak-tflops", "1",
        "--bandwidth-gbs", "10"));
    assertEquals(0, rc[0], out);
    List<String> rows = new ArrayList<>();
    Matcher m = JSON.matcher(out);
    while (m.find()) rows.add(m.group(1));
    List<String> variants = rows.stream().map(r -> string(r, "variant")).toList();
    assertEquals(List.of("dense", "dropless (tiled; no ragged_dot on this CPU XLA)", "capacity cf 1.00", "capacity cf 4.00",
        "capacity-checked cf 1.00", "capacity-checked cf 4.00", "few-tokens gather", "few-tokens slice", "few-tokens slice-loop", "auto (dense)"), variants, out);
    double flops = 2.0 * 6 * 2 * 3 * 16 * 24;
    double bytes = 4 * (3.0 * 16 * 24 * 2) + 2 * 6 * 16 * 2 + 16 * 4 * 4;     // min(E, T·K) = 4 experts
    double floorMs = Math.max(flops / 1e12, bytes / 10e9) * 1e3;
    for (String r : rows) {
      String v = string(r, "variant");
      assertTrue(!r.contains("\"error\""), v + " failed: " + r);
      assertEquals(flops, number(r, "useful_flops"), v);
      assertEquals(bytes, number(r, "min_bytes"), v);
      assertEquals(floorMs, number(r, "floor_ms"), 1e-12, v);
      assertEquals(floorMs / number(r, "ms"), number(r, "fraction_of_floor"), 1e-9, v);
      if (v.equals("dense")) continue;
      double err = number(r, "rel_l2_vs_dense");
      if (v.startsWith("capacity-checked")) {
        // its branch: never the dropless fallback where capacity alone drops nothing (factor 4: C = N·K never
        // overflows); where capacity drops, the wider rung (twice the factor) or the fallback runs
        if (v.endsWith("4.00") || dropped(rows, "capacity cf 1.00") == 0) assertEquals(0.0, number(r, "fallback"), v);
      }
      if (v.equals("capacity cf 1.00") && number(r, "dropped_fraction") > 0) {
        assertTrue(err > 1e-2, v + " dropped copies, so it differs from DENSE: " + err);
      } else {
        assertEquals(0.0, number(r, "dropped_fraction"), v);
        assertTrue(err < 2e-2, v + " vs DENSE: relative L2 " + err);
      }
    }
    assertTrue(out.contains("| shape | variant | ms |"), "the closing table: " + out);
  }

  /**
   * The reduce form at decode: agrees with DENSE (bf16 and int8 with scales after). Where the backend gives its
   * optimized HLO (PJRT; the in-process CPU backend gives none, its dump is process-wide through XLA_FLAGS), it
   * writes no buffer shaped like expert weights (D and F both among its dimensions) while the gather form
   * beside it writes its gathered copy, so the check can see one.
   */
  @Test
  void fewTokensReduceReadsTheWeightsInPlace() {
    int[] rc = new int[1];
    String out = StdStreams.out(() -> rc[0] = Main.run("bench", "moe", "--backend", "cpu", "--shape", "1,64,96",
        "--experts", "4", "--runs", "1", "--impl", "dense,few-tokens", "--few-tokens", "reduce,gather",
        "--weights", "bf16,int8-scale-after", "--peak-tflops", "1", "--bandwidth-gbs", "10"));
    assertEquals(0, rc[0], out);
    List<String> rows = new ArrayList<>();
    Matcher m = JSON.matcher(out);
    while (m.find()) rows.add(m.group(1));
    assertEquals(List.of("dense", "few-tokens reduce", "few-tokens gather", "dense [int8-scale-after]",
        "few-tokens reduce [int8-scale-after]", "few-tokens gather [int8-scale-after]"),
        rows.stream().map(r -> string(r, "variant")).toList(), out);
    for (String r : rows) {
      String v = string(r, "variant");
      assertTrue(!r.contains("\"error\""), v + " failed: " + r);
      if (v.startsWith("dense")) continue;
      assertTrue(number(r, "rel_l2_vs_dense") < 2e-2, v + " vs DENSE: " + r);
      if (!r.contains("\"weight_sized_buffers\"")) continue;
      if (v.contains("reduce")) assertEquals(0.0, number(r, "weight_sized_buffers"), v + ": " + r);
      if (v.contains("gather")) assertTrue(number(r, "weight_sized_buffers") > 0, v + ": " + r);
    }
  }

  @Test
  void badOptionsAreUsageErrorsNamingTheOption() {
    for (String[] c : List.of(new String[] {"--shape", "6,16", "--shape"}, new String[] {"--shape", "6,16,0", "--shape"},
        new String[] {"--shape", "6,x,24", "--shape"})) {
      String[] args = {"bench", "moe", "--backend", "cpu", c[0], c[1]};
      String err = StdStreams.err(() -> assertEquals(2, Main.run(args)));
      assertTrue(err.contains(c[2]), err);
    }
    String err = StdStreams.err(() -> assertEquals(2, Main.run("bench", "moe", "--shape", "6,16,24", "--impl", "sparse")));
    assertTrue(err.contains("--impl") && err.contains("sparse"), err);
    err = StdStreams.err(() -> assertEquals(2, Main.run("bench", "moe", "--shape", "6,16,24", "--weights", "fp8")));
    assertTrue(err.contains("--weights") && err.contains("int8-scale-after"), err);
    err = StdStreams.err(() -> assertEquals(2, Main.run("bench", "moe", "--shape", "6,16,24", "--top-k", "9")));
    assertTrue(err.contains("--top-k"), err);
    err = StdStreams.err(() -> assertEquals(2, Main.run("bench", "moe")));
    assertTrue(err.contains("--shape T,D,F"), err);
  }

  private static double dropped(List<String> rows, String variant) {
    return number(rows.stream().filter(r -> string(r, "variant").equals(variant)).findFirst().orElseThrow(), "dropped_fraction");
  }

  private static String string(String json, String key) {
    Matcher m = Pattern.compile("\"" + key + "\":\"([^\"]*)\"").matcher(json);
    assertTrue(m.find(), key + " in " + json);
    return m.group(1);
  }

  private static double number(String json, String key) {
    Matcher m = Pattern.compile("\"" + key + "\":(-?[0-9.E+-]+)").matcher(json);
    assertTrue(m.find(), key + " in " + json);
    return Double.parseDouble(m.group(1));
  }
}
