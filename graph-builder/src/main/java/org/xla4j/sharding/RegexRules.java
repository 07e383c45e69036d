package org.xla4j.sharding;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.xla4j.types.TensorType;

/**
 * EasyDeL's partition rules ({@code match_partition_rules}): each rule is one regex searched anywhere in the
 * whole {@code '/'}-joined path (Python's {@code re.search}); the first rule that matches gives the spec.
 * As in EasyDeL, a scalar or one-element tensor is replicated whatever the rules say, and a path no rule
 * matches is an error (end the list with {@code (".*", P())} to replicate the rest).
 *
 * <pre>{@code
 * RegexRules rules = PartitionRules.regex()
 *     .rule("self_attn/(q|k|v)_proj/kernel", PartitionSpec.of("fsdp", "tp"))
 *     .rule("self_attn/o_proj/kernel", PartitionSpec.of("tp", "fsdp"))
 *     .rule(".*", PartitionSpec.of())
 *     .build();
 * }</pre>
 */
public final class RegexRules implements PartitionRules {
  /** One rule: a regex searched in the path, and the spec it gives. */
  public record Rule(String regex, PartitionSpec spec) {
    public Rule {
      java.util.Objects.requireNonNull(regex, "regex");
      java.util.Objects.requireNonNull(spec, "spec");
    }

    @Override
    public String toString() { return "'" + regex + "' -> " + spec; }
  }

  private final List<Rule> rules;
  private final List<Pattern> compiled;

  private RegexRules(List<Rule> rules) {
    this.rules = List.copyOf(rules);
    this.compiled = this.rules.stream().map(r -> compile(r.regex())).toList();
  }

  public static RegexRules of(List<Rule> rules) { return new RegexRules(rules); }

  public static Builder builder() { return new Builder(); }

  public List<Rule> rules() { return rules; }

  /** The first rule whose regex is found in {@code path}, if any. */
  public Optional<Rule> rule(String path) {
    for (int i = 0; i < rules.size(); i++) {
      if (compiled.get(i).matcher(path).find()) return Optional.of(rules.get(i));
    }
    return Optional.empty();
  }

  /**
   * {@code P()} for a scalar or one-element tensor, else the first matching rule's spec.
   *
   * @throws IllegalArgumentException naming the path when no rule matches
   */
  @Override
  public PartitionSpec spec(String path, TensorType type) {
    if (type.rank() == 0 || type.numElements() == 1) return PartitionSpec.of();
    return rule(path).map(Rule::spec).orElseThrow(() -> new IllegalArgumentException("RegexRules: no rule matches '"
        + path + "' " + type + " (" + rules.size() + " rules); add a rule (\".*\", PartitionSpec.of()) last to "
        + "replicate what the others leave"));
  }

  @Override
  public String toString() { return "RegexRules" + rules; }

  private static Pattern compile(String regex) {
    try {
      return Pattern.compile(regex, Pattern.UNIX_LINES);
    } catch (PatternSyntaxException e) {
      throw new IllegalArgumentException("RegexRules: requires valid regexes, got '" + regex + "': "
          + e.getDescription(), e);
    }
  }

  /** Collects rules in order. */
  public static final class Builder {
    private final List<Rule> rules = new ArrayList<>();

    private Builder() {}

    public Builder rule(String regex, PartitionSpec spec) {
      rules.add(new Rule(regex, spec));
      return this;
    }

    public RegexRules build() { return new RegexRules(rules); }
  }
}
