package org.xla4j.architecture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The one-way imports of DESIGN.md's layout table, checked on the sources: the DSL never imports a
 * backend, a backend never imports models, and jni sees graph-builder only through its value types
 * ({@code org.xla4j.types}, and the sharding records {@code org.xla4j.sharding}, which a device array
 * carries) — never the IR, the DSL or the printer. TensorFlow stays inside the CPU backend package, so a
 * GPU run can leave it off the classpath. The CLI uses only the backend-neutral runtime API.
 */
class LayeringTest {
  private static final Path ROOT = Path.of("..");
  private static final Pattern IMPORT = Pattern.compile("^import (?:static )?([\\w.]+)", Pattern.MULTILINE);

  private static List<String> violations(String module, Pattern forbidden) {
    Path src = ROOT.resolve(module).resolve("src/main/java");
    List<String> out = new ArrayList<>();
    try (Stream<Path> files = Files.walk(src)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
        Matcher m = IMPORT.matcher(Files.readString(f));
        while (m.find()) {
          if (forbidden.matcher(m.group(1)).lookingAt()) out.add(src.relativize(f) + " imports " + m.group(1));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  @Test
  void graphBuilderImportsNoBackendAndNoModel() {
    assertEquals(List.of(), violations("graph-builder", Pattern.compile("org\\.xla4j\\.(runtime|models|cli)|org\\.tensorflow|org\\.bytedeco")));
  }

  @Test
  void jniSeesOnlyGraphBuilderValueTypes() {
    assertEquals(List.of(), violations("jni", Pattern.compile("org\\.xla4j\\.(ir|dsl|emit|models|cli)\\b")));
  }

  @Test
  void tensorflowStaysInsideTheCpuBackend() {
    List<String> v = violations("jni", Pattern.compile("org\\.tensorflow"));
    v.removeIf(s -> s.startsWith("org/xla4j/runtime/cpu/"));
    assertEquals(List.of(), v);
    v = violations("models", Pattern.compile("org\\.tensorflow|org\\.xla4j\\.runtime\\.cpu"));
    assertEquals(List.of(), v);
  }

  @Test
  void theCliSeesOnlyTheBackendNeutralRuntime() {
    // the CLI runs on whatever backend a spec opens: no PJRT class, no CPU-backend class
    List<String> v = violations("models", Pattern.compile("org\\.xla4j\\.runtime\\.(pjrt|cpu)\\b"));
    v.removeIf(s -> !s.startsWith("org/xla4j/cli/"));
    assertEquals(List.of(), v);
    // nor by a fully qualified name in the code
    Path cli = ROOT.resolve("models/src/main/java/org/xla4j/cli");
    Pattern qualified = Pattern.compile("org\\.xla4j\\.runtime\\.(pjrt|cpu)\\.");
    try (Stream<Path> files = Files.walk(cli)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
        Matcher m = qualified.matcher(Files.readString(f));
        if (m.find()) v.add(cli.relativize(f) + " names " + m.group());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    assertEquals(List.of(), v);
    assertTrue(!violations("models", Pattern.compile("org\\.xla4j\\.runtime\\.Backends\\b")).stream()
        .filter(s -> s.startsWith("org/xla4j/cli/")).toList().isEmpty(), "the CLI must be seen importing the runtime");
  }

  @Test
  void theCheckSeesTheSources() {
    // guards against a vacuous pass if the layout moves: the scanned trees must hold code
    for (String m : List.of("graph-builder", "jni", "models")) {
      assertTrue(Files.isDirectory(ROOT.resolve(m).resolve("src/main/java/org/xla4j")), m);
    }
    assertTrue(!violations("jni", Pattern.compile("org\\.xla4j\\.types")).isEmpty(), "jni must be seen importing types");
  }
}
