package org.xla4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The {@code xla4j} command line: run StableHLO modules, print example programs.
 *
 * <pre>
 * ./xla4j exec model.mlir --input x=x.safetensors --output out.safetensors
 * ./xla4j emit softmax
 * </pre>
 */
@Command(name = "xla4j", mixinStandardHelpOptions = true, version = "xla4j 0.1.0",
    description = "Build, compile and run XLA (StableHLO) programs from Java.",
    subcommands = {ExecCommand.class, EmitCommand.class, DemoCommand.class, BenchCommand.class, CompileCommand.class, AttentionCommand.class,
        LogitsCommand.class, QuantizeCommand.class, ModelCommand.class, GraphCommand.class, TrainCommand.class,
        GenerateCommand.class})
public final class Main {
  @Option(names = "--quiet", scope = ScopeType.INHERIT,
      description = "No progress on stderr (progress shows only when stderr is a terminal).")
  void quiet(boolean q) {
    Progress.setQuiet(q);
  }

  public static void main(String[] args) {
    XlaDumps.ownProcess(); // one command per process: process-wide XLA settings are ours to make
    System.exit(run(args));
  }

  /** Runs the CLI and returns the exit code (0 ok, 1 runtime failure, 2 usage error). */
  public static int run(String... args) {
    CommandLine cl = new CommandLine(new Main());
    // enum options (--mechanism, --mechanisms, --reference) take any case: vanilla, Vanilla, VANILLA
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    Progress.setQuiet(false);
    cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
      boolean verbose = System.getenv("XLA4J_VERBOSE") != null;
      if (verbose) ex.printStackTrace(cmd.getErr());
      else cmd.getErr().println("xla4j " + cmd.getCommandName() + ": " + CliErrors.message(ex));
      return ex instanceof IllegalArgumentException ? 2 : 1;
    });
    return cl.execute(args);
  }
}
