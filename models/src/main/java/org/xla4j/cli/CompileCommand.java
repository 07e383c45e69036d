package org.xla4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Backends;
import org.xla4j.runtime.CompileOptions;
import org.xla4j.runtime.Executable;
import org.xla4j.runtime.X4jArtifact;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code xla4j compile}: compiles a StableHLO module through a PJRT plugin into a {@code .x4j}
 * compiled-program artifact that {@code xla4j exec prog.x4j} (or {@code Backend.load}) runs later,
 * in another process, on the same plugin version and device kind. Only the backend-neutral runtime
 * API is used: a backend that cannot serialize says so.
 */
@Command(name = "compile", mixinStandardHelpOptions = true,
    description = "Compile a StableHLO text module into a .x4j compiled-program artifact (PJRT).")
final class CompileCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Parameters(index = "0", paramLabel = "MODULE", description = "StableHLO text module (.mlir)")
  Path module;

  @Option(names = {"-o", "--output"}, required = true, paramLabel = "PROG.x4j", description = "Artifact to write.")
  Path output;

  @Option(names = "--target", defaultValue = "cuda", paramLabel = "cuda|tpu|rocm|...",
      description = "Platform the plugin must report (default: ${DEFAULT-VALUE}); 'any' accepts whatever it is.")
  String target;

  @Option(names = "--backend", defaultValue = "pjrt", paramLabel = "pjrt[:PLUGIN]",
      description = "PJRT plugin to compile with (default: discovered, or $XLA4J_PJRT_PLUGIN).")
  String backend;

  @Option(names = "--device-assignment", split = ",", paramLabel = "ID,...",
      description = "Device ids, replica-major (default: the plugin's).")
  List<Integer> deviceAssignment = List.of();

  @Option(names = "--xla-flag", paramLabel = "NAME=VALUE", description = "XLA debug option override, e.g. xla_gpu_autotune_level=0.")
  List<String> xlaFlags = List.of();

  @Option(names = "--hlo-out", paramLabel = "FILE.txt", description = "Also write the optimized HLO text there (graph dump).")
  Path hloOut;

  @Mixin
  XlaDumpOptions dumps = new XlaDumpOptions();

  @Override
  public Integer call() throws Exception {
    OptionChecks.existingFile(spec, "MODULE", module);
    OptionChecks.writableOutput(spec, "--output", output);
    OptionChecks.writableOutput(spec, "--hlo-out", hloOut);
    if (!backend.equals("pjrt") && !backend.startsWith("pjrt:")) {
      throw new IllegalArgumentException("--backend must be pjrt or pjrt:/path/to/plugin.so, got '" + backend + "'");
    }
    String text = ModuleFiles.readText(module);
    Map<String, String> dbg = new LinkedHashMap<>();
    for (String f : xlaFlags) {
      int eq = f.indexOf('=');
      if (eq <= 0) throw new IllegalArgumentException("--xla-flag must look like NAME=VALUE, got '" + f + "'");
      dbg.put(f.substring(0, eq), f.substring(eq + 1));
    }
    dbg.putAll(dumps.prepare(backend));
    // replicas and partitions are the module's own (mhlo.num_replicas / mhlo.num_partitions)
    CompileOptions opts = CompileOptions.builder().deviceAssignment(deviceAssignment).debugOptions(dbg).build();
    // the artifact is the product: leave no compile-cache entries behind (the PJRT cache reads this
    // switch when the backend opens)
    String cacheSetting = System.getProperty("xla4j.cache");
    System.setProperty("xla4j.cache", "off");
    try (Backend b = Backends.open(backend)) {
      if (!b.platform().matches(target) && !b.platformName().equalsIgnoreCase(target)) {
        throw new IllegalArgumentException("--target " + target + " but the backend " + b + " is platform '"
            + b.platformName() + "'; pass --backend pjrt:/path/to/the/right/plugin.so or --target any");
      }
      long t = System.nanoTime();
      X4jArtifact a;
      String hlo = null;
      double ms;
      try (Executable exe = b.compile(text, opts)) {
        a = exe.toArtifact();
        ms = (System.nanoTime() - t) / 1e6;
        if (hloOut != null) {
          hlo = exe.optimizedHlo().orElseThrow(() -> new IllegalArgumentException("--hlo-out: the backend " + b
              + " does not give optimized HLO text"));
        }
        if (dumps.on()) org.xla4j.runtime.CompileDump.write(dumps.dir, text, opts, exe);
      }
      a.write(output);
      if (hlo != null) Files.writeString(hloOut, hlo);
      System.err.printf("compiled %s for %s %s on %s in %.0f ms -> %s (%d bytes; program sha-256 %s; %s -> %s)%n",
          module.getFileName(), a.platformName(), a.platformVersion(), a.deviceKind(), ms, output, Files.size(output),
          a.programHash().substring(0, 16), a.signature().args(), a.signature().results());
    } finally {
      if (cacheSetting == null) System.clearProperty("xla4j.cache");
      else System.setProperty("xla4j.cache", cacheSetting);
    }
    return 0;
  }
}
