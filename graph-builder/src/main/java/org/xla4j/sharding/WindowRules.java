package org.xla4j.sharding;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.xla4j.tree.Tree;
import org.xla4j.types.TensorType;

/**
 * Grok-1's partition rules ({@code apply_rules} in its {@code model.py}), with the same semantics:
 *
 * <ul>
 *   <li>the path is split on {@code '/'} into components;</li>
 *   <li>a rule is a tuple of regexes; it matches when, for some start {@code i}, regex {@code n} matches
 *       component {@code i + n} for every {@code n} (a contiguous window, in order). Each regex matches as
 *       Python's {@code re.compile(r + "$").match(component)}: anchored at the start, {@code $} appended, so
 *       {@code (query|key|value)} matches exactly those names and {@code linear} does not match {@code linear_1},
 *       while an unparenthesized {@code a|b} matches any component starting with "a", or exactly "b";</li>
 *   <li>the first matching rule wins; a path with a component equal to {@code layer_stack} gets a leading
 *       {@code None} (the stacked layer axis) in front of the rule's spec;</li>
 *   <li>a path no rule matches is replicated: {@link #spec} returns {@code P()}.</li>
 * </ul>
 * Regexes use Java syntax, which agrees with Python's for what partition rules use (literals, alternation,
 * classes, quantifiers); {@code $} and {@code .} treat only {@code '\n'} as a line end, as Python does.
 * A rule with no regex is refused (Python would never match it).
 *
 * <pre>{@code
 * WindowRules rules = PartitionRules.windows()
 *     .rule(PartitionSpec.of("data", "model"), "multi_head_attention", "(query|key|value)", "w")
 *     .rule(PartitionSpec.of(null, "data", "model"), "moe", "linear", "w")
 *     .build();
 * rules.match("transformer/decoder_layer_0/moe/linear/w");   // Optional[P(None, 'data', 'model')]
 * }</pre>
 */
public final class WindowRules implements PartitionRules {
  /** The component whose presence adds a leading replicated dimension (haiku's layer_stack). */
  public static final String LAYER_STACK = "layer_stack";

  /** One rule: regexes for a window of components, and the spec it gives. */
  public record Rule(List<String> regexes, PartitionSpec spec) {
    public Rule {
      regexes = List.copyOf(regexes);
      if (regexes.isEmpty()) throw new IllegalArgumentException("WindowRules: a rule requires at least one regex");
      java.util.Objects.requireNonNull(spec, "spec");
    }

    @Override
    public String toString() { return regexes + " -> " + spec; }
  }

  private final List<Rule> rules;
  private final List<List<Pattern>> compiled;

  private WindowRules(List<Rule> rules) {
    this.rules = List.copyOf(rules);
    List<List<Pattern>> c = new ArrayList<>();
    for (Rule r : this.rules) c.add(r.regexes().stream().map(WindowRules::compile).toList());
    this.compiled = List.copyOf(c);
  }

  /** Rules in order. */
  public static WindowRules of(List<Rule> rules) { return new WindowRules(rules); }

  public static Builder builder() { return new Builder(); }

  public List<Rule> rules() { return rules; }

  /** These rules followed by {@code more}'s. */
  public WindowRules then(WindowRules more) {
    List<Rule> all = new ArrayList<>(rules);
    all.addAll(more.rules);
    return new WindowRules(all);
  }

  /** The first rule whose regexes match a window of {@code path}'s components, if any. */
  public Optional<Rule> rule(String path) {
    List<String> parts = Tree.split(path);
    for (int r = 0; r < rules.size(); r++) {
      if (matches(compiled.get(r), parts)) return Optional.of(rules.get(r));
    }
    return Optional.empty();
  }

  /**
   * The spec Grok-1's {@code apply_rules} gives {@code path}: the first matching rule's spec, with a leading
   * None when the path has a {@code layer_stack} component; empty when no rule matches.
   */
  public Optional<PartitionSpec> match(String path) {
    return rule(path).map(r -> Tree.split(path).contains(LAYER_STACK) ? leadingNone(r.spec()) : r.spec());
  }

  /** {@link #match}, or {@code P()} (replicated) when no rule matches; the type is not consulted. */
  @Override
  public PartitionSpec spec(String path, TensorType type) { return match(path).orElse(PartitionSpec.of()); }

  @Override
  public String toString() { return "WindowRules" + rules; }

  private static boolean matches(List<Pattern> window, List<String> parts) {
    for (int i = 0; i + window.size() <= parts.size(); i++) {
      boolean all = true;
      for (int n = 0; n < window.size() && all; n++) all = window.get(n).matcher(parts.get(i + n)).lookingAt();
      if (all) return true;
    }
    return false;
  }

  private static PartitionSpec leadingNone(PartitionSpec s) {
    List<List<String>> d = new ArrayList<>();
    d.add(List.of());
    d.addAll(s.dims());
    return new PartitionSpec(d);
  }

  private static Pattern compile(String regex) {
    try {
      // re.match(r + "$"): lookingAt() anchors the start; UNIX_LINES makes '$' and '.' see only '\n', as Python
      return Pattern.compile(regex + "$", Pattern.UNIX_LINES);
    } catch (PatternSyntaxException e) {
      throw new IllegalArgumentException("WindowRules: requires valid regexes, got '" + regex + "': "
          + e.getDescription(), e);
    }
  }

  /** Collects rules in order. */
  public static final class Builder {
    private final List<Rule> rules = new ArrayList<>();

    private Builder() {}

    /** Adds a rule: {@code rule(P("data"), "router", "w")}. */
    public Builder rule(PartitionSpec spec, String... regexes) {
      rules.add(new Rule(List.of(regexes), spec));
      return this;
    }

    public WindowRules build() { return new WindowRules(rules); }
  }
}
