package org.xla4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.xla4j.program.ModuleText;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Backends;
import org.xla4j.runtime.CompileDump;
import org.xla4j.runtime.CompileOptions;
import org.xla4j.runtime.FailureBundle;
import org.xla4j.runtime.Executable;
import org.xla4j.runtime.HostTensor;
import org.xla4j.runtime.Safetensors;
import org.xla4j.runtime.X4jArtifact;
import org.xla4j.types.Signature;
import org.xla4j.types.TensorType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code xla4j exec}: runs any StableHLO text module (ours or JAX-exported) on safetensors inputs. */
@Command(name = "exec", mixinStandardHelpOptions = true,
    description = "Run a StableHLO text module. Inputs are positional: the i-th --input is @main's i-th argument.",
    footer = "A compile or run failure writes a replay bundle under DIR/failures with --dump DIR (without --dump: under"
        + " the temp folder's xla4j-failures).")
final class ExecCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Parameters(index = "0", paramLabel = "MODULE",
      description = "StableHLO text module (.mlir), or a compiled-program artifact (.x4j, from xla4j compile; runs on PJRT)")
  Path module;

  @Option(names = "--input", paramLabel = InputSpec.SYNTAX,
      description = "An argument, in @main's order. " + InputSpec.HELP)
  List<String> inputs = new ArrayList<>();

  @Option(names = "--output", paramLabel = "OUT.safetensors", description = "Where to write the results (out0, out1, ...).")
  Path output;

  @Option(names = "--backend", paramLabel = "cpu|pjrt[:PLUGIN]",
      description = "Backend to run on (default: cpu for .mlir, pjrt for .x4j).")
  String backend;

  @Option(names = "--print", description = "Print each result's type and first values.")
  boolean print;

  @Mixin
  XlaDumpOptions dumps = new XlaDumpOptions();

  private CompileOptions options = CompileOptions.defaults();

  @Override
  public Integer call() throws IOException {
    OptionChecks.existingFile(spec, "MODULE", module);
    OptionChecks.writableOutput(spec, "--output", output);
    boolean isArtifact = isArtifact(module);
    ModuleFiles.checkArtifactName(module, isArtifact);
    X4jArtifact artifact = isArtifact ? X4jArtifact.read(module) : null;
    String backendSpec = backend != null ? backend : artifact != null ? "pjrt" : "cpu";
    String text = artifact == null ? ModuleFiles.readText(module) : null;
    Signature sig = artifact != null ? artifact.signature() : ModuleText.read(text).signature();
    List<HostTensor> args = readInputs(sig);
    options = dumps.compileOptions(backendSpec);
    Progress progress = Progress.stage("exec " + module.getFileName()).message("compile");
    try (progress;
         Backend b = Backends.open(backendSpec);
         Executable exe = artifact != null ? b.load(artifact) : compile(b, text, sig, args)) {
      progress.message("run");
      List<HostTensor> results;
      try {
        results = exe.execute(args);
      } catch (RuntimeException e) {
        if (text == null) throw e;
        throw FailureBundle.write(failures(), "run", text, options, sig.args(), args, e);
      }
      progress.close();
      if (dumps.on()) { // after the run: the CPU backend compiles at the first one
        Path dump = dumps.dir;
        var files = text != null ? CompileDump.write(dump, text, options, exe) : CompileDump.write(dump, exe);
        XlaDumpOptions.report(files, dump);
      }
      Map<String, HostTensor> named = new LinkedHashMap<>();
      for (int i = 0; i < results.size(); i++) named.put("out" + i, results.get(i));
      if (output != null) Safetensors.write(output, named);
      if (print || output == null) {
        named.forEach((k, v) -> System.out.println(k + ": " + v));
      }
      System.err.println("ran " + module.getFileName() + " on " + b.platformName() + " (" + b.platformVersion()
          + "): " + args.size() + " input(s), " + results.size() + " result(s)"
          + (output == null ? "" : " -> " + output));
    }
    return 0;
  }

  private Executable compile(Backend b, String text, Signature sig, List<HostTensor> args) {
    try {
      return b.compile(text, options);
    } catch (RuntimeException e) {
      throw FailureBundle.write(failures(), "compile", text, options, sig.args(), args, e);
    }
  }

  private Path failures() {
    return dumps.on() ? dumps.dir.resolve("failures") : Path.of(System.getProperty("java.io.tmpdir"), "xla4j-failures");
  }

  /** True for a .x4j artifact (by its FlatBuffers file identifier, whatever the file is called). */
  static boolean isArtifact(Path file) throws IOException {
    try (var in = Files.newInputStream(file)) {
      byte[] head = in.readNBytes(8);
      return head.length == 8 && new String(head, 4, 4, java.nio.charset.StandardCharsets.US_ASCII).equals("X4J1");
    }
  }

  private List<HostTensor> readInputs(Signature sig) throws IOException {
    if (inputs.size() != sig.args().size()) {
      throw new IllegalArgumentException(module.getFileName() + ": @main takes " + sig.args().size()
          + " argument(s) " + sig.args() + ", got " + inputs.size() + " --input");
    }
    List<HostTensor> out = new ArrayList<>();
    for (int i = 0; i < inputs.size(); i++) {
      InputSpec in = InputSpec.parse(inputs.get(i));
      HostTensor t = in.read();
      TensorType want = sig.args().get(i);
      if (!t.type().equals(want)) {
        throw new IllegalArgumentException("--input " + in.name() + " (argument " + i + "): @main requires " + want
            + ", got " + t.type() + " from " + in.describe());
      }
      out.add(t);
    }
    return out;
  }
}
