package org.xla4j.cli;

import java.util.concurrent.Callable;
import org.xla4j.emit.EmitOptions;
import org.xla4j.emit.StableHloPrinter;
import org.xla4j.models.examples.ExamplePrograms;
import org.xla4j.sharding.ShardingFormat;
import org.xla4j.ir.HloModule;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code xla4j emit}: prints the StableHLO of a built-in example program. */
@Command(name = "emit", mixinStandardHelpOptions = true, description = "Print the StableHLO text of a built-in example.")
final class EmitCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Parameters(index = "0", defaultValue = "softmax", paramLabel = "PROGRAM",
      description = "softmax, mlp, argmax or sharded (default: ${DEFAULT-VALUE})")
  String program;

  @Option(names = "--sharding", defaultValue = "NONE", paramLabel = "none|gspmd|shardy",
      description = "Sharding annotations to print (default: none = the single-device program).")
  String sharding;

  @Option(names = "--locations", description = "Attach source locations (loc(...)) to every op.")
  boolean locations;

  @Override
  public Integer call() {
    ShardingFormat f;
    try {
      f = ShardingFormat.valueOf(sharding.toUpperCase(java.util.Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--sharding must be none, gspmd or shardy, got '" + sharding + "'");
    }
    if (!ExamplePrograms.names().contains(program)) {
      throw new ParameterException(spec.commandLine(), "no example program '" + program + "'; choose one of "
          + ExamplePrograms.names());
    }
    HloModule m = ExamplePrograms.build(program);
    // an unsharded program prints the same in every format: say so rather than ignore the flag
    if (f != ShardingFormat.NONE && m.shardings().isEmpty()) {
      throw new ParameterException(spec.commandLine(), "--sharding " + sharding + ": '" + program
          + "' has no shardings, so there are none to print; drop --sharding, or emit a sharded program: "
          + shardedNames());
    }
    System.out.print(StableHloPrinter.print(m, new EmitOptions(f, locations)));
    return 0;
  }

  private static java.util.List<String> shardedNames() {
    return ExamplePrograms.names().stream().filter(n -> {
      HloModule m = ExamplePrograms.build(n);
      return !m.shardings().isEmpty();
    }).toList();
  }
}
