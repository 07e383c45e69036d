package org.xla4j.models.moe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.models.quant.Weight;
import org.xla4j.types.DType;

/** AUTO's pick: which table a platform reads, the first rule that applies, rule checks, and Moe.apply resolving it. */
class MoeAutoTableTest {
  @Test
  void platformNamesSelectTheirTable() {
    assertSame(MoeAutoTable.CPU, MoeAutoTable.rules("cpu"));
    assertSame(MoeAutoTable.CPU, MoeAutoTable.rules(" Host "));
    assertSame(MoeAutoTable.CUDA, MoeAutoTable.rules("cuda"));
    assertSame(MoeAutoTable.CUDA, MoeAutoTable.rules("gpu"));
    assertSame(MoeAutoTable.OTHER, MoeAutoTable.rules("tpu"));
    assertSame(MoeAutoTable.OTHER, MoeAutoTable.rules(null));
  }

  @Test
  void theFirstRuleWhoseBoundsHoldWins() {
    List<MoeAutoTable.Rule> rules = List.of(
        new MoeAutoTable.Rule(0.5, 1000, MoeImplementation.FEW_TOKENS, FewTokensForm.SLICE, false, "a"),
        new MoeAutoTable.Rule(4, 0, MoeImplementation.DROPLESS, FewTokensForm.GATHER, true, "b"),
        new MoeAutoTable.Rule(Double.POSITIVE_INFINITY, 0, MoeImplementation.DENSE, FewTokensForm.GATHER, false, "c"));
    // N·K/E = 1·2/8 = 0.25 and 3·D·F = 3·16·32 = 1536 >= 1000: the first rule
    MoeAutoTable.Choice c = MoeAutoTable.choose(rules, 1, 16, 32, 8, 2);
    assertEquals(MoeImplementation.FEW_TOKENS, c.implementation());
    assertEquals(FewTokensForm.SLICE, c.fewTokens());
    assertEquals("a", c.rule().evidence());
    // the same copies per expert but experts too small (3·4·8 = 96 < 1000): the second
    assertEquals("b", MoeAutoTable.choose(rules, 1, 4, 8, 8, 2).rule().evidence());
    // exactly on a bound applies: 2 tokens · 2 / 8 = 0.5
    assertEquals("a", MoeAutoTable.choose(rules, 2, 16, 32, 8, 2).rule().evidence());
    // 16·2/8 = 4 is the second rule's bound; 17 tokens go past it
    assertEquals("b", MoeAutoTable.choose(rules, 16, 16, 32, 8, 2).rule().evidence());
    assertEquals("c", MoeAutoTable.choose(rules, 17, 16, 32, 8, 2).rule().evidence());
    // E enters through copies per expert: 16 tokens over 64 experts is 0.5 per expert
    assertEquals("a", MoeAutoTable.choose(rules, 16, 16, 32, 64, 2).rule().evidence());
  }

  @Test
  void everyTableCoversEveryShapeAndNeverDrops() {
    for (List<MoeAutoTable.Rule> t : List.of(MoeAutoTable.CPU, MoeAutoTable.CUDA, MoeAutoTable.OTHER)) {
      for (long n : new long[] {1, 2, 32, 4096, 1 << 20}) {
        MoeAutoTable.Choice c = MoeAutoTable.choose(t, n, 6144, 32768, 8, 2);
        assertTrue(c.implementation() != MoeImplementation.CAPACITY && c.implementation() != MoeImplementation.AUTO, c.toString());
      }
      assertEquals(Double.POSITIVE_INFINITY, t.get(t.size() - 1).maxCopiesPerExpert(), "the last rule has no bound");
      assertEquals(0, t.get(t.size() - 1).minExpertParams(), "the last rule has no bound");
    }
  }

  @Test
  void cudaFollowsRoundOneAndResolvesTheTile() {
    // Grok-1's layer (8 experts top-2): T1 reads the two experts in place (REDUCE), T32 (8 copies per expert) runs DENSE, prefill
    // runs CAPACITY_CHECKED, its DROPLESS fallback tiled with tiles of 1024 rows (never ragged_dot, which measured slower)
    MoeAutoTable.Choice t1 = MoeAutoTable.choose("cuda", 1, 6144, 32768, 8, 2);
    assertEquals(MoeImplementation.FEW_TOKENS, t1.implementation());
    assertEquals(FewTokensForm.REDUCE, t1.fewTokens());
    assertEquals(MoeImplementation.DENSE, MoeAutoTable.choose("cuda", 32, 6144, 32768, 8, 2).implementation());
    MoeAutoTable.Choice pre = MoeAutoTable.choose("cuda", 4096, 6144, 32768, 8, 2);
    assertEquals(MoeImplementation.CAPACITY_CHECKED, pre.implementation());
    assertEquals(1024, pre.tileSize());
    assertFalse(pre.raggedDot());
    MoeOptions auto = MoeOptions.builder().implementation(MoeImplementation.AUTO).topK(2).platform("cuda").build();
    MoeOptions r = MoeAutoTable.resolve(auto, 8192, 2048, 5632, 8);
    assertEquals(MoeImplementation.CAPACITY_CHECKED, r.implementation());
    assertEquals(1024, r.tileSize());
    assertEquals(1.25, r.capacityFactor());
    // between 8 and 64 copies per expert (T33-T256 here): DROPLESS directly; from 64 on, CAPACITY_CHECKED
    assertEquals(MoeImplementation.DROPLESS, MoeAutoTable.choose("cuda", 33, 6144, 32768, 8, 2).implementation());
    assertEquals(MoeImplementation.DROPLESS, MoeAutoTable.choose("cuda", 256, 6144, 32768, 8, 2).implementation());
    assertEquals(MoeImplementation.CAPACITY_CHECKED, MoeAutoTable.choose("cuda", 260, 6144, 32768, 8, 2).implementation());
    // a tile the caller set is kept
    assertEquals(256, MoeAutoTable.resolve(auto.toBuilder().tileSize(256).build(), 8192, 2048, 5632, 8).tileSize());
    for (MoeAutoTable.Rule rule : MoeAutoTable.CUDA) assertTrue(rule.evidence().contains("H200 round"), rule.toString());
  }

  @Test
  void cudaTilesFollowTheMeanLoadBetween128And1024() {
    // 8 experts top-2: N·K/E = N/4 copies per expert; the tile is DROPLESS's own, or CAPACITY_CHECKED's fallback's
    long[][] cases = {{8192, 1024}, {4096, 1024}, {4097, 1024}, {2048, 512}, {2044, 512}, {1024, 256}, {512, 128},
        {100, 128}};
    for (long[] c : cases) {
      MoeAutoTable.Choice ch = MoeAutoTable.choose("cuda", c[0], 1536, 8192, 8, 2);
      assertEquals(c[0] > 256 ? MoeImplementation.CAPACITY_CHECKED : MoeImplementation.DROPLESS, ch.implementation(),
          "N " + c[0]);
      assertEquals(c[1], ch.tileSize(), "N " + c[0] + " (" + c[0] / 4.0 + " copies per expert)");
    }
    // 2,052 tokens: 513 copies per expert, past 512
    assertEquals(1024, MoeAutoTable.choose("cuda", 2052, 1536, 8192, 8, 2).tileSize());
    MoeOptions auto = MoeOptions.builder().implementation(MoeImplementation.AUTO).topK(2).platform("cuda").build();
    assertEquals(512, MoeAutoTable.resolve(auto, 2048, 1536, 8192, 8).tileSize());
    MoeAutoTable.Rule r = new MoeAutoTable.Rule(1, 0, MoeImplementation.DROPLESS, FewTokensForm.GATHER, false, 96, 300, "x");
    assertEquals(128, r.tileFor(100), "the power of two at or above the load");
    assertEquals(96, r.tileFor(3), "never under the smallest");
    assertEquals(300, r.tileFor(1000), "never over the largest");
    assertEquals(0, new MoeAutoTable.Rule(1, 0, MoeImplementation.DROPLESS, FewTokensForm.GATHER, false, "x").tileFor(500),
        "automatic: DROPLESS's own");
    assertEquals(64, new MoeAutoTable.Rule(1, 0, MoeImplementation.DROPLESS, FewTokensForm.GATHER, false, 64, "x")
        .tileFor(500), "fixed");
  }

  @Test
  void rulesThatCouldDropOrLoopAreRefused() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new MoeAutoTable.Rule(1, 0,
        MoeImplementation.CAPACITY, FewTokensForm.GATHER, false, "x")).getMessage().contains("CAPACITY"));
    assertThrows(IllegalArgumentException.class,
        () -> new MoeAutoTable.Rule(1, 0, MoeImplementation.AUTO, FewTokensForm.GATHER, false, "x"));
    assertThrows(IllegalArgumentException.class,
        () -> new MoeAutoTable.Rule(0, 0, MoeImplementation.DENSE, FewTokensForm.GATHER, false, "x"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new MoeAutoTable.Rule(1, 0,
        MoeImplementation.DROPLESS, FewTokensForm.GATHER, false, -1, "x")).getMessage().contains("tileSize"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new MoeAutoTable.Rule(1, 0,
        MoeImplementation.DROPLESS, FewTokensForm.GATHER, false, 512, 256, "x")).getMessage().contains("maxTileSize 256"));
    assertThrows(IllegalArgumentException.class, () -> new MoeAutoTable.Rule(1, 0,
        MoeImplementation.DROPLESS, FewTokensForm.GATHER, false, 0, 256, "x"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> MoeAutoTable.choose("cpu", 0, 4, 4, 4, 1))
        .getMessage().contains("N 0"));
  }

  @Test
  void applyResolvesAutoByTheTensorsShapes() {
    for (String platform : new String[] {"cpu", "cuda", null}) {
      for (long n : new long[] {1, 64}) {
        Graph g = new Graph("moe_auto");
        Tensor router = g.parameter(DType.F32, 16, 8);
        Weight w = Weight.of(g.parameter(DType.BF16, 8, 16, 24));
        Weight w1 = Weight.of(g.parameter(DType.BF16, 8, 24, 16));
        MoeOptions o = MoeOptions.builder().implementation(MoeImplementation.AUTO).topK(2).platform(platform).build();
        MoeResult r = Moe.apply(o, g.parameter(DType.BF16, n, 16), new MoeWeights(router, w, w, w1));
        MoeImplementation want = MoeAutoTable.choose(platform, n, 16, 24, 8, 2).implementation();
        // the scope Moe.apply opens names the implementation that ran
        String text = g.program(r.output()).withLocations(true).text();
        assertTrue(text.contains("moe_" + want.name().toLowerCase(java.util.Locale.ROOT)),
            platform + " N " + n + ": expected " + want + " in the program");
        for (MoeImplementation other : MoeImplementation.values()) {
          String scope = "moe_" + other.name().toLowerCase(java.util.Locale.ROOT) + "/";
          assertEquals(other == want, text.contains(scope), platform + " N " + n + ": scope " + scope);
        }
      }
    }
  }
}
