package org.xla4j.checkpoint;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.xla4j.tree.Tree;

/**
 * One line of a {@link CheckpointMap}: checkpoint tensor names that match {@code name} (the whole name)
 * become the tree path {@code path}, a template in {@link Matcher#replaceAll} syntax ({@code $1},
 * {@code ${layer}}). Optionally the tensor's axes are permuted ({@code transpose}, e.g. {@code [1, 0]}
 * turns torch's [out, in] into [in, out]), and optionally the tensors of one path are stacked: the
 * pattern's group named {@value #STACK} gives each one's index along a new leading axis (per-expert
 * weights {@code ...moe.(?<stack>\d+).linear.weight} into one [E, in, out] leaf). A rule without a
 * path ignores what it matches.
 *
 * <pre>{@code
 * CheckpointRule.of("model\\.layers\\.(\\d+)\\.mlp\\.up_proj\\.weight", "decoder_layer_$1/mlp/up/w").transposed()
 * CheckpointRule.of("model\\.layers\\.(\\d+)\\.moe\\.(?<stack>\\d+)\\.linear\\.weight", "decoder_layer_$1/moe/linear/w")
 *     .transposed().stacked()
 * CheckpointRule.ignore(".*\\.rotary_emb\\.inv_freq")
 * }</pre>
 *
 * @param name pattern over the whole checkpoint name
 * @param path tree path template; empty for an ignore rule
 * @param transpose axes permutation applied to each tensor (empty: none)
 * @param stack whether tensors are stacked by the {@value #STACK} group
 */
public record CheckpointRule(Pattern name, Optional<String> path, List<Integer> transpose, boolean stack) {
  /** The named group that holds a stacked tensor's index. */
  public static final String STACK = "stack";

  public CheckpointRule {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(path, "path");
    transpose = List.copyOf(transpose);
    if (stack && !name.namedGroups().containsKey(STACK)) {
      throw new IllegalArgumentException("stacked rule " + name.pattern() + " needs a group named '" + STACK
          + "' holding the index, e.g. (?<stack>\\d+)");
    }
    if (path.isEmpty() && (stack || !transpose.isEmpty())) {
      throw new IllegalArgumentException("ignore rule " + name.pattern() + " cannot transpose or stack");
    }
    int[] perm = transpose.stream().mapToInt(Integer::intValue).toArray();
    if (perm.length > 0) Permute.check(perm.length, perm);
  }

  /** Names matching {@code regex} become {@code pathTemplate}, unchanged. */
  public static CheckpointRule of(String regex, String pathTemplate) {
    return new CheckpointRule(Pattern.compile(regex), Optional.of(pathTemplate), List.of(), false);
  }

  /** Names matching {@code regex} are skipped (e.g. buffers that are not parameters). */
  public static CheckpointRule ignore(String regex) {
    return new CheckpointRule(Pattern.compile(regex), Optional.empty(), List.of(), false);
  }

  /** Swaps the last two axes of a rank-2 tensor: torch's Linear [out, in] to [in, out]. */
  public CheckpointRule transposed() { return withTranspose(1, 0); }

  /** Permutes the axes: result axis i is the checkpoint tensor's axis {@code perm[i]}. */
  public CheckpointRule withTranspose(int... perm) {
    return new CheckpointRule(name, path, java.util.Arrays.stream(perm).boxed().toList(), stack);
  }

  /** Stacks the tensors that map to one path along a new axis 0, by their {@value #STACK} group. */
  public CheckpointRule stacked() { return new CheckpointRule(name, path, transpose, true); }

  /** The path for a matching name (checked to be a valid tree path), or empty when it does not match. */
  Optional<Matcher> match(String checkpointName) {
    Matcher m = name.matcher(checkpointName);
    return m.matches() ? Optional.of(m) : Optional.empty();
  }

  /** The tree path a matched name maps to. */
  String pathOf(Matcher m) {
    String p = m.replaceFirst(path.orElseThrow());
    try {
      Tree.checkPath(p);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("rule " + this + " maps '" + m.group() + "' to '" + p + "', not a tree path: "
          + e.getMessage());
    }
    return p;
  }

  int[] permutation() { return transpose.stream().mapToInt(Integer::intValue).toArray(); }

  @Override
  public String toString() {
    return name.pattern() + " -> " + path.orElse("(ignored)") + (transpose.isEmpty() ? "" : " transpose " + transpose)
        + (stack ? " stacked" : "");
  }
}
