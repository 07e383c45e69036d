package org.xla4j.runtime.pjrt;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.xla4j.runtime.XlaException;

/**
 * Finds a PJRT plugin library: an explicit path, then {@code $XLA4J_PJRT_PLUGIN}, then installed JAX
 * plugins ({@code jax_plugins/*}{@code /xla_cuda_plugin.so}) and {@code libtpu.so} under Python
 * site-packages folders. When nothing is found the error lists every place looked at.
 */
public final class PjrtPlugins {
  /** Environment variable naming a plugin library. */
  public static final String ENV = "XLA4J_PJRT_PLUGIN";

  private PjrtPlugins() {}

  /** Result of a search: the plugin found (if any) and where the search looked. */
  public record Search(Optional<Path> plugin, List<String> lookedAt) {
    /** The plugin, or an {@link XlaException} (NOT_FOUND) listing the places looked at. */
    public Path orThrow() {
      return plugin.orElseThrow(() -> new XlaException(XlaException.Code.NOT_FOUND,
          "no PJRT plugin found; set " + ENV + " or pass \"pjrt:/path/to/plugin.so\". Looked at:\n  "
              + String.join("\n  ", lookedAt)));
    }
  }

  /** Searches for a plugin; {@code explicitPath} (nullable) wins when given. */
  public static Search find(String explicitPath) {
    List<String> looked = new ArrayList<>();
    if (explicitPath != null && !explicitPath.isBlank()) {
      Path p = Path.of(explicitPath);
      looked.add("explicit path " + p);
      return new Search(Files.isRegularFile(p) ? Optional.of(p) : Optional.empty(), looked);
    }
    String env = System.getenv(ENV);
    if (env != null && !env.isBlank()) {
      Path p = Path.of(env);
      looked.add("$" + ENV + "=" + p);
      if (Files.isRegularFile(p)) return new Search(Optional.of(p), looked);
    } else {
      looked.add("$" + ENV + " (unset)");
    }
    for (Path site : sitePackages()) {
      Path jaxPlugins = site.resolve("jax_plugins");
      looked.add(jaxPlugins + "/*/xla_cuda_plugin.so");
      if (Files.isDirectory(jaxPlugins)) {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(jaxPlugins)) {
          List<Path> hits = new ArrayList<>();
          for (Path d : ds) {
            Path so = d.resolve("xla_cuda_plugin.so");
            if (Files.isRegularFile(so)) hits.add(so);
          }
          hits.sort(null);
          if (!hits.isEmpty()) return new Search(Optional.of(hits.get(hits.size() - 1)), looked);
        } catch (IOException e) {
          // unreadable folder: keep looking
        }
      }
      Path tpu = site.resolve("libtpu").resolve("libtpu.so");
      looked.add(tpu.toString());
      if (Files.isRegularFile(tpu)) return new Search(Optional.of(tpu), looked);
    }
    return new Search(Optional.empty(), looked);
  }

  /** Candidate Python site-packages folders, existing ones only, most specific first. */
  static List<Path> sitePackages() {
    Set<Path> out = new LinkedHashSet<>();
    String pp = System.getenv("PYTHONPATH");
    if (pp != null) for (String s : pp.split(":")) if (!s.isBlank()) out.add(Path.of(s));
    String venv = System.getenv("VIRTUAL_ENV");
    if (venv != null) globPython(Path.of(venv, "lib"), "site-packages", out);
    out.addAll(askPython());
    globPython(Path.of(System.getProperty("user.home"), ".local", "lib"), "site-packages", out);
    try (DirectoryStream<Path> opt = Files.newDirectoryStream(Path.of("/opt"))) {
      for (Path o : opt) globPython(o.resolve(".venv").resolve("lib"), "site-packages", out);
    } catch (IOException | RuntimeException e) {
      // no /opt
    }
    for (String root : List.of("/usr/local/lib", "/usr/lib")) {
      globPython(Path.of(root), "site-packages", out);
      globPython(Path.of(root), "dist-packages", out);
    }
    out.removeIf(p -> !Files.isDirectory(p));
    return new ArrayList<>(out);
  }

  private static void globPython(Path lib, String leaf, Set<Path> out) {
    if (!Files.isDirectory(lib)) return;
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(lib, "python3*")) {
      List<Path> l = new ArrayList<>();
      ds.forEach(l::add);
      l.sort(null);
      for (Path p : l.reversed()) out.add(p.resolve(leaf));
    } catch (IOException e) {
      // ignore
    }
  }

  /** site.getsitepackages() of the python3 on PATH, if there is one (2 s at most). */
  private static List<Path> askPython() {
    List<Path> out = new ArrayList<>();
    try {
      Process p = new ProcessBuilder("python3", "-c",
          "import site,sys\nfor s in site.getsitepackages(): print(s)")
          .redirectErrorStream(false).start();
      p.getOutputStream().close();
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        if (!p.waitFor(2, TimeUnit.SECONDS)) { p.destroyForcibly(); return out; }
        for (String line; (line = r.readLine()) != null; ) if (!line.isBlank()) out.add(Path.of(line.strip()));
      }
    } catch (IOException e) {
      // no python3
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return out;
  }
}
