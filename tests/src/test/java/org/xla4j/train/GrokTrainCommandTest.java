package org.xla4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xla4j.cli.TinyCheckpoints;
import org.xla4j.runtime.HostTensor;
import org.xla4j.runtime.Safetensors;

/**
 * {@code xla4j train --model DIR} on the CPU, on the tiny Grok-1 fixture written as a Hugging Face directory
 * (scripts/grok_reference.py's weights): the first step's loss is the cross entropy of the numpy oracle's logits
 * (computed here in plain Java), the loss falls on a memorized batch, the JSON output holds every step, and bad
 * input names the option at fault.
 */
class GrokTrainCommandTest {
  /**
   * The first step's loss (a forward) of another MoE implementation against DENSE's, relative: 2^-9, one bf16 rounding.
   * The implementations round the expert products to bf16 at the same points (the barrier in the experts' FFN) but sum
   * in other orders and groupings; measured on this tiny model: DROPLESS 7.9e-4 (34.2557 vs 34.2286).
   */
  static final double STEP1_VS_DENSE = 0x1p-9;

  @TempDir
  static Path dir;

  static Path model;
  static Path tokens;
  /** Row 0 of the fixture's tokens: 5, 17, 3, 99, 42, 7, 0, 0 (two pads at the end). */
  static int[] row;

  @BeforeAll
  static void fixture() throws IOException {
    model = TinyCheckpoints.grokHf(Files.createDirectories(dir.resolve("grok-tiny")), false);
    int[] all = TinyCheckpoints.grokIo("tokens").toIntArray();
    row = Arrays.copyOf(all, 8);
    tokens = dir.resolve("tokens.safetensors");
    Safetensors.write(tokens, Map.of("tokens", HostTensor.ofInts(row, row.length)));
  }

  private static TinyCheckpoints.Run train(String... extra) {
    List<String> args = new ArrayList<>(List.of("train", "--model", model.toString(), "--plot",
        dir.resolve("loss.png").toString()));
    args.addAll(List.of(extra));
    return TinyCheckpoints.cli(args);
  }

  /**
   * The oracle: the model sees row[0..6] and predicts row[1..7]; targets 0 (pads) do not count, so the loss is
   * the mean over positions 0..4 of logsumexp(z) - z[target], with z the numpy logits of the full row (causal:
   * position t's logits do not depend on later tokens).
   */
  private static double oracleLoss() throws IOException {
    HostTensor logits = TinyCheckpoints.grokIo("logits_bf16"); // [2, 8, 128] f32
    int v = (int) logits.shape().dim(2);
    float[] z = logits.toFloatArray();
    double sum = 0;
    int n = 0;
    for (int t = 0; t < row.length - 1; t++) {
      int target = row[t + 1];
      if (target == 0) continue;
      double max = Double.NEGATIVE_INFINITY;
      for (int k = 0; k < v; k++) max = Math.max(max, z[t * v + k]);
      double s = 0;
      for (int k = 0; k < v; k++) s += Math.exp(z[t * v + k] - max);
      sum += Math.log(s) + max - z[t * v + target];
      n++;
    }
    assertEquals(5, n, "valid targets of row 0");
    return sum / n;
  }

  @Test
  void firstLossIsTheOraclesAndTheLossFallsOnAMemorizedBatch() throws IOException {
    Path json = dir.resolve("run.json");
    TinyCheckpoints.Run r = train("--data", tokens.toString(), "--fixed-batch", "--batch", "1", "--seq", "8", "--steps",
        "25", "--lr", "3e-3", "--weight-decay", "0.01", "--output", json.toString());
    assertEquals(0, r.rc(), r.out() + r.err());
    JsonObject o = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
    JsonArray losses = o.getAsJsonArray("losses");
    assertEquals(25, losses.size(), r.out());
    assertEquals(25, o.getAsJsonArray("step_ms").size());
    assertEquals(1, o.get("batch").getAsInt());
    assertEquals(7, o.get("tokens_per_step").getAsLong());
    assertTrue(o.get("median_step_ms").getAsDouble() > 0 && o.get("tokens_per_s").getAsDouble() > 0, o.toString());
    double first = losses.get(0).getAsDouble();
    double want = oracleLoss();
    System.out.printf("grok tiny train: step 1 loss %.6f, numpy oracle %.6f%n", first, want);
    // bf16 logits of magnitude up to ~40 agree with numpy's within about one bf16 ulp (0.25) per element; the
    // cross entropy averages softmax-weighted differences, measured here at about 0.01
    assertEquals(want, first, 0.05, "step 1 loss against the numpy oracle's cross entropy");
    double last = losses.get(24).getAsDouble();
    assertTrue(last < 0.3 * first, "memorizing 5 targets: " + first + " -> " + last);
    assertTrue(r.out().contains("median step") && r.out().contains("tokens/s"), r.out());
    assertEquals("f32 master weights and AdamW state, bf16 compute", o.get("dtype_policy").getAsString());
  }

  @Test
  void capacityMoeTrainsAndCountsDrops() throws IOException {
    JsonObject o = trainJson("cap.json", "--moe", "capacity", "--capacity-factor", "0.5");
    // 7 tokens x top-2 over 4 experts at factor 0.5: capacity ceil(14/4 * 0.5) = 2 per expert, 8 slots for 14
    // copies in each of the 2 layers: at least 2 x 6 copies are dropped
    for (var d : o.getAsJsonArray("dropped")) assertTrue(d.getAsLong() >= 12, o.toString());
  }

  /**
   * {@code --moe capacity-checked} trains through its custom backward in both branches: at factor 0.25 every step's
   * routing overflows both capacity rungs (C 1 and 2 for a mean load of 3.5) and its losses are DROPLESS's, at factor
   * 4 none can overflow and they are CAPACITY's at factor 4; nothing is dropped. Against its branch: in f32 compute
   * every step to 1e-5 relative (the same math); in bf16 the first step (the forward, the same ops) to 1e-5, later
   * ones to 5e-3: the capacity branch's backward reuses the forward's products where CAPACITY's recomputes them, and
   * the two differ in bf16 rounding (with the products recomputed instead, this backward matched CAPACITY's to 1e-5
   * over the 3 steps; saved: 1.5e-4 at step 2, 1.5e-3 at step 3, AdamW at lr 1e-2 growing a rounding-level gradient
   * difference about 10x per step). All stay near DENSE's: the first step's loss (the
   * forward) within 2e-2, later steps within 1% (AdamW's normalized step turns bf16 rounding differences of tiny
   * gradient entries into whole steps: DROPLESS and CAPACITY themselves differ from DENSE by ~0.3% at step 3).
   */
  @Test
  void capacityCheckedMoeTrainsAsItsBranchesDo() throws IOException {
    List<Double> capacity32 = losses("capacity4-f32.json", "--moe", "capacity", "--capacity-factor", "4", "--compute",
        "f32");
    List<Double> checked32 = losses("checked4-f32.json", "--moe", "capacity-checked", "--capacity-factor", "4",
        "--compute", "f32");
    for (int i = 0; i < 3; i++) {
      assertEquals(capacity32.get(i), checked32.get(i), 1e-5 * Math.abs(capacity32.get(i)), "f32, step " + (i + 1)
          + ": " + capacity32 + " vs " + checked32);
    }
    List<Double> dense = losses("dense.json", "--moe", "dense");
    Map<String, List<Double>> reference = Map.of("0.25", losses("dropless.json", "--moe", "dropless"),
        "4", losses("capacity4.json", "--moe", "capacity", "--capacity-factor", "4"));
    for (String cf : List.of("0.25", "4")) {
      JsonObject o = trainJson("checked-" + cf + ".json", "--moe", "capacity-checked", "--capacity-factor", cf);
      for (var d : o.getAsJsonArray("dropped")) assertEquals(0, d.getAsLong(), o.toString());
      JsonArray l = o.getAsJsonArray("losses");
      for (int i = 0; i < 3; i++) {
        double got = l.get(i).getAsDouble();
        double want = reference.get(cf).get(i);
        assertEquals(want, got, (i == 0 ? 1e-5 : 5e-3) * Math.abs(want), "factor " + cf + ", step " + (i + 1)
            + " vs its branch: " + o);
        assertEquals(dense.get(i), got, (i == 0 ? STEP1_VS_DENSE : 1e-2) * dense.get(i), "factor " + cf + ", step "
            + (i + 1) + " vs DENSE: " + o);
      }
    }
  }

  /**
   * {@code --moe-capacity}: the rung each layer ran, per step, printed ({@code moe rungs}) and in the JSON. 7 tokens x
   * top-2 over 4 experts: 14 copies, so the busiest expert of a layer has m >= 4 of them. The ladder 0.25,0.5 (C 1, 2)
   * holds none: every layer of every step runs DROPLESS, rung 2. The ladder of C 4, 5, 6 reports rung m - 4, or 3
   * (DROPLESS) for m = 7; the one-rung ladder C 5 must then report 1 exactly where that m is over 5, layer by layer at
   * step 1 (the same parameters in both runs, so the same routing). Nothing is dropped and the losses stay near
   * DENSE's (as in {@link #capacityCheckedMoeTrainsAsItsBranchesDo}).
   */
  /**
   * Without --moe-capacity the training ladder is TrainCommand.TRAIN_LADDER (1.25, 1.5, 2, 3), of which a layer of 7
   * tokens x top-2 over 4 experts (3.5 copies per expert) keeps the rungs of capacity under 7: 1.25 (C 5) and 1.5 (C 6);
   * with --capacity-factor 1 it is 1 and 2 (C 4, 7), of which 1 stays.
   */
  @Test
  void trainingsDefaultLadderIsTheMeasuredOne() throws IOException {
    assertEquals("[1.25,1.5]", trainJson("default-ladder.json", "--moe", "capacity-checked")
        .getAsJsonArray("moe_ladder").toString());
    assertEquals("[1.0]", trainJson("factor-ladder.json", "--moe", "capacity-checked", "--capacity-factor", "1")
        .getAsJsonArray("moe_ladder").toString());
  }

  @Test
  void capacityCheckedReportsTheRungEachLayerRan() throws IOException {
    JsonObject plain = trainJson("dense-rungs.json", "--moe", "dense");
    assertTrue(!plain.has("moe_rungs"), "DENSE has no ladder: " + plain);
    List<Double> dense = new ArrayList<>();
    for (var v : plain.getAsJsonArray("losses")) dense.add(v.getAsDouble());

    TinyCheckpoints.Run r = train("--data", tokens.toString(), "--fixed-batch", "--batch", "1", "--seq", "8", "--steps",
        "3", "--moe", "capacity-checked", "--moe-capacity", "0.25,0.5", "--output", dir.resolve("low.json").toString());
    assertEquals(0, r.rc(), r.out() + r.err());
    JsonObject low = JsonParser.parseString(Files.readString(dir.resolve("low.json"))).getAsJsonObject();
    assertEquals("[0.25,0.5]", low.getAsJsonArray("moe_ladder").toString());
    int[][] lowRungs = rungs(low);
    assertEquals(3, lowRungs.length, low.toString());
    for (int[] step : lowRungs) assertArrayEquals(new int[] {2, 2}, step, low.toString());
    assertEquals(3, r.out().lines().filter(l -> l.startsWith("step ") && l.endsWith("moe rungs 2 2")).count(), r.out());

    double mean = 7 * 2 / 4.0;
    JsonObject fine = trainJson("fine.json", "--moe", "capacity-checked", "--moe-capacity", factors(mean, 4, 5, 6));
    JsonObject coarse = trainJson("coarse.json", "--moe", "capacity-checked", "--moe-capacity", factors(mean, 5));
    int[][] f = rungs(fine);
    int[][] c = rungs(coarse);
    for (int[] step : f) for (int x : step) assertTrue(x >= 0 && x <= 3, fine.toString());
    for (int[] step : c) for (int x : step) assertTrue(x == 0 || x == 1, coarse.toString());
    for (int layer = 0; layer < 2; layer++) {
      int m = f[0][layer] == 3 ? 7 : f[0][layer] + 4; // the busiest expert's copies in this layer at step 1
      assertEquals(m > 5 ? 1 : 0, c[0][layer], "layer " + layer + ": max load " + m + " vs C 5: " + fine + coarse);
    }
    for (JsonObject o : List.of(low, fine, coarse)) {
      for (var d : o.getAsJsonArray("dropped")) assertEquals(0, d.getAsLong(), o.toString());
      JsonArray l = o.getAsJsonArray("losses");
      for (int i = 0; i < 3; i++) {
        assertEquals(dense.get(i), l.get(i).getAsDouble(), (i == 0 ? STEP1_VS_DENSE : 1e-2) * dense.get(i), "step "
            + (i + 1) + " vs DENSE: " + o);
      }
    }
  }

  /** --moe-capacity's factors for capacities {@code cs}: ceil(mean · (c - 0.5) / mean) = c, clear of float rounding. */
  private static String factors(double mean, int... cs) {
    return String.join(",", Arrays.stream(cs).mapToObj(c -> Double.toString((c - 0.5) / mean)).toList());
  }

  /** The JSON's moe_rungs: per step, per layer. */
  private static int[][] rungs(JsonObject o) {
    JsonArray steps = o.getAsJsonArray("moe_rungs");
    int[][] out = new int[steps.size()][];
    for (int i = 0; i < out.length; i++) {
      JsonArray s = steps.get(i).getAsJsonArray();
      out[i] = new int[s.size()];
      for (int l = 0; l < out[i].length; l++) out[i][l] = s.get(l).getAsInt();
    }
    return out;
  }

  private static List<Double> losses(String file, String... moe) throws IOException {
    List<Double> out = new ArrayList<>();
    for (var v : trainJson(file, moe).getAsJsonArray("losses")) out.add(v.getAsDouble());
    return out;
  }

  /** Three steps on the data's first batch (1 x 8 tokens) with {@code extra} options; the run's --output JSON. */
  private static JsonObject trainJson(String file, String... extra) throws IOException {
    Path json = dir.resolve(file);
    List<String> args = new ArrayList<>(List.of("--data", tokens.toString(), "--fixed-batch", "--batch", "1", "--seq",
        "8", "--steps", "3", "--output", json.toString()));
    args.addAll(List.of(extra));
    TinyCheckpoints.Run r = train(args.toArray(String[]::new));
    assertEquals(0, r.rc(), r.out() + r.err());
    return JsonParser.parseString(Files.readString(json)).getAsJsonObject();
  }

  @Test
  void badInputNamesTheOption() {
    TinyCheckpoints.Run r = TinyCheckpoints.cli(List.of("train", "--model", dir.resolve("nowhere").toString()));
    assertEquals(2, r.rc());
    assertTrue(r.err().contains("--model") && r.err().contains("nowhere"), r.err());

    r = train("--seq", "66"); // the fixture's context is 64 tokens; the model would see 65
    assertEquals(2, r.rc());
    assertTrue(r.err().contains("--seq 66") && r.err().contains("65") && r.err().contains("64"), r.err());

    r = train("--fixed-batch");
    assertEquals(2, r.rc());
    assertTrue(r.err().contains("--fixed-batch needs --data"), r.err());

    r = train("--moe", "few-tokens");
    assertEquals(2, r.rc());
    assertTrue(r.err().contains("--moe"), r.err());

    r = train("--capacity-factor", "2");
    assertEquals(2, r.rc());
    assertTrue(r.err().contains("--capacity-factor applies to --moe capacity"), r.err());

    r = train("--moe", "capacity-checked", "--capacity-factor", "0");
    assertEquals(2, r.rc());
    assertTrue(r.err().contains("--capacity-factor") && r.err().contains("must be > 0"), r.err());

    r = train("--moe", "dense", "--moe-capacity", "1.25,2");
    assertEquals(2, r.rc());
    assertTrue(r.err().contains("--moe-capacity applies to --moe capacity-checked and auto"), r.err());

    r = train("--moe", "capacity-checked", "--moe-capacity", "2,1.25");
    assertEquals(2, r.rc());
    assertTrue(r.err().contains("--moe-capacity requires") && r.err().contains("[2.0, 1.25]"), r.err());

    r = train("--moe", "auto", "--moe-capacity", "1.25,2", "--capacity-factor", "1");
    assertEquals(2, r.rc());
    assertTrue(r.err().contains("--moe-capacity") && r.err().contains("not both"), r.err());

    r = TinyCheckpoints.cli(List.of("train", "--model", "tiny-llama", "--moe", "dense", "--plot",
        dir.resolve("x.png").toString()));
    assertEquals(2, r.rc());
    assertTrue(r.err().contains("apply to --model DIR"), r.err());
  }

  @Test
  void anInt8CheckpointIsRefused() throws IOException {
    Path int8 = TinyCheckpoints.grokHf(Files.createDirectories(dir.resolve("grok-int8")), true);
    TinyCheckpoints.Run r = TinyCheckpoints.cli(List.of("train", "--model", int8.toString(), "--plot",
        dir.resolve("x.png").toString()));
    assertEquals(2, r.rc());
    assertTrue(r.err().contains("int8 checkpoint cannot be trained"), r.err());
  }
}
