package org.xla4j.cli;

import java.util.concurrent.Callable;
import org.xla4j.emit.EmitOptions;
import org.xla4j.emit.StableHloPrinter;
import org.xla4j.models.examples.ExamplePrograms;
import org.xla4j.sharding.ShardingFormat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code xla4j emit}: prints the StableHLO of a built-in example program. */
@Command(name = "emit", mixinStandardHelpOptions = true, description = "Print the StableHLO text of a built-in example.")
final class EmitCommand implements Callable<Integer> {
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
      throw new IllegalArgumentException("--sharding must be none, gspmd or shardy, got '" + sharding + "'");
    }
    System.out.print(StableHloPrinter.print(ExamplePrograms.build(program), new EmitOptions(f, locations)));
    return 0;
  }
}
