package org.xla4j.runtime.pjrt;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Opens the PJRT backend for tests, or skips them (with the reason) when no plugin is installed. */
final class PjrtTestSupport {
  private PjrtTestSupport() {}

  /** Skips the calling test unless a plugin is found; returns an open backend otherwise. */
  private static PjrtPlugins.Search search;

  static synchronized PjrtBackend openOrSkip() {
    if (search == null) search = PjrtPlugins.find(null);
    PjrtPlugins.Search s = search;
    assumeTrue(s.plugin().isPresent(), () -> "SKIPPED: no PJRT plugin on this machine (set "
        + PjrtPlugins.ENV + "); looked at: " + s.lookedAt());
    return PjrtBackend.open(PjrtBackend.Options.defaults().withPlugin(s.plugin().get().toString()));
  }

  static String binary(String op, String type) {
    return """
        module @m {
          func.func public @main(%a: TYPE, %b: TYPE) -> TYPE {
            %0 = stablehlo.OP %a, %b : TYPE
            return %0 : TYPE
          }
        }
        """.replace("TYPE", type).replace("OP", op);
  }
}
