package org.xla4j.tree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.junit.jupiter.api.Test;

class TreeTest {
  private static Tree<Integer> layers() {
    Tree.Builder<Integer> b = Tree.builder();
    for (int i = 0; i < 12; i++) b.put("transformer/decoder_layer_" + i + "/router/w", i);
    b.put("language_model/rms_norm/scale", 100);
    b.put("language_model/in_out_embed/embeddings", 101);
    return b.build();
  }

  @Test
  void flattenOrderIsJaxsSortedDictOrderWhateverTheInsertionOrder() {
    Tree<Integer> t = layers();
    List<String> p = t.paths();
    assertEquals("language_model/in_out_embed/embeddings", p.get(0));
    assertEquals("language_model/rms_norm/scale", p.get(1));
    // string order of components: layer_10 and layer_11 before layer_2, as jax.tree_util flattens dicts
    assertEquals(List.of("transformer/decoder_layer_0/router/w", "transformer/decoder_layer_1/router/w",
        "transformer/decoder_layer_10/router/w", "transformer/decoder_layer_11/router/w",
        "transformer/decoder_layer_2/router/w"), p.subList(2, 7));
    Tree<Integer> reversed = Tree.of(new java.util.TreeMap<>(Map.of("b", 1, "a/z", 2, "a/b", 3)));
    assertEquals(List.of("a/b", "a/z", "b"), reversed.paths());
    assertEquals(List.of(3, 2, 1), reversed.leaves());
    // '/' separates components: "a/b" sorts before "a!" although '!' < '/' as characters
    assertEquals(List.of("a/b", "a!"), Tree.of(Map.of("a!", 1, "a/b", 2)).paths());
  }

  @Test
  void getNamesTheMissingPathAndItsNeighbours() {
    Tree<Integer> t = layers();
    assertEquals(3, t.get("transformer/decoder_layer_3/router/w"));
    NoSuchElementException e = assertThrows(NoSuchElementException.class,
        () -> t.get("transformer/decoder_layer_3/router/b"));
    assertTrue(e.getMessage().contains("'transformer/decoder_layer_3/router/b'"), e.getMessage());
    assertTrue(e.getMessage().contains("decoder_layer_3/router/w"), e.getMessage());
  }

  @Test
  void subtreeChildrenPrefixed() {
    Tree<Integer> t = layers();
    Tree<Integer> layer = t.subtree("transformer/decoder_layer_1");
    assertEquals(List.of("router/w"), layer.paths());
    assertEquals(1, layer.get("router/w"));
    assertEquals(List.of("in_out_embed", "rms_norm"), t.children("language_model"));
    assertEquals(List.of("language_model", "transformer"), t.children(""));
    assertEquals(layer.prefixed("x/y").paths(), List.of("x/y/router/w"));
    assertTrue(t.hasNode("transformer"));
    assertFalse(t.hasNode("transform"));
    assertThrows(NoSuchElementException.class, () -> t.subtree("transform"));
    assertEquals(12, t.filter(p -> p.startsWith("transformer/")).size());
  }

  @Test
  void leafAndInnerNodeConflictsAreRefused() {
    Tree.Builder<Integer> b = Tree.<Integer>builder().put("a/b", 1);
    TreeException under = assertThrows(TreeException.class, () -> b.put("a/b/c", 2));
    assertTrue(under.getMessage().contains("under the leaf 'a/b'"), under.getMessage());
    TreeException above = assertThrows(TreeException.class, () -> b.put("a", 2));
    assertTrue(above.getMessage().contains("inner node above 'a/b'"), above.getMessage());
    assertThrows(TreeException.class, () -> b.put("a/b", 3));
    assertThrows(TreeException.class, () -> b.put("a//b", 3));
    assertThrows(TreeException.class, () -> b.put("/a", 3));
    assertThrows(TreeException.class, () -> b.put("x", null));
  }

  @Test
  void zipRequiresTheSameStructureAndNamesTheFirstDifference() {
    Tree<Integer> a = Tree.of(Map.of("p/w", 1, "p/b", 2, "q", 3));
    Tree<String> s = Tree.of(Map.of("p/w", "x", "p/b", "y", "q", "z"));
    Tree<String> z = a.zip(s, (i, str) -> str + i);
    assertEquals("y2", z.get("p/b"));
    Tree<String> missing = Tree.of(Map.of("p/w", "x", "q", "z"));
    TreeException e = assertThrows(TreeException.class, () -> a.zip(missing, (i, str) -> str));
    assertTrue(e.getMessage().contains("'p/b' is in the first tree but not in the second"), e.getMessage());
    Tree<String> extra = s.with("r", "w");
    TreeException e2 = assertThrows(TreeException.class, () -> a.zip(extra, (i, str) -> str));
    assertTrue(e2.getMessage().contains("'r' is in the second tree"), e2.getMessage());
  }

  @Test
  void mapNamesThePathWhenTheFunctionFails() {
    Tree<Integer> a = Tree.of(Map.of("ok", 1, "bad", 0));
    TreeException e = assertThrows(TreeException.class, () -> a.map(i -> 10 / i));
    assertTrue(e.getMessage().startsWith("at 'bad': "), e.getMessage());
    assertEquals(Tree.of(Map.of("ok", 2, "bad", 0)), a.map(i -> i * 2));
  }

  @Test
  void unflattenInvertsFlattenAndIndexOfFollowsTheOrder() {
    Tree<Integer> t = layers();
    assertEquals(t, Tree.unflatten(t.paths(), t.leaves()));
    for (int i = 0; i < t.size(); i++) assertEquals(i, t.indexOf(t.paths().get(i)));
    assertEquals(-1, t.indexOf("nope"));
    assertThrows(TreeException.class, () -> Tree.unflatten(List.of("a"), List.of()));
    assertEquals(t.size() + 1, t.merge(Tree.of(Map.of("extra", 7))).size());
    assertThrows(TreeException.class, () -> t.merge(Tree.of(Map.of("language_model/rms_norm/scale", 7))));
  }

  /** Tree.ORDER against a plain component-by-component comparison, on random paths over a small alphabet. */
  @Test
  void orderComparesComponentByComponent() {
    java.util.Random r = new java.util.Random(3);
    String alphabet = "ab/-_1.9";
    for (int n = 0; n < 20000; n++) {
      String a = randomPath(r, alphabet);
      String b = n % 5 == 0 ? a + "/x" : randomPath(r, alphabet);
      int want = Integer.signum(componentwise(a, b));
      assertEquals(want, Integer.signum(Tree.ORDER.compare(a, b)), a + " vs " + b);
      assertEquals(-want, Integer.signum(Tree.ORDER.compare(b, a)), b + " vs " + a);
    }
  }

  private static String randomPath(java.util.Random r, String alphabet) {
    StringBuilder sb = new StringBuilder();
    int len = 1 + r.nextInt(7);
    for (int i = 0; i < len; i++) {
      char c = alphabet.charAt(r.nextInt(alphabet.length()));
      boolean edge = sb.isEmpty() || sb.charAt(sb.length() - 1) == '/' || i == len - 1;
      sb.append(c == '/' && edge ? 'a' : c);
    }
    return sb.toString();
  }

  /** Components compared as strings; equal leading components: the shorter path first. */
  private static int componentwise(String a, String b) {
    String[] x = a.split("/");
    String[] y = b.split("/");
    for (int i = 0; i < Math.min(x.length, y.length); i++) {
      int c = x[i].compareTo(y[i]);
      if (c != 0) return c;
    }
    return Integer.compare(x.length, y.length);
  }
}
