package org.xla4j.runtime.pjrt;

import org.xla4j.runtime.Backend;
import org.xla4j.runtime.BackendProvider;

/**
 * The {@code pjrt} backend spec: {@code pjrt} searches for a plugin ({@link PjrtPlugins#find}),
 * {@code pjrt:/path/plugin.so} names one. The client does not preallocate GPU memory.
 */
public final class PjrtBackendProvider implements BackendProvider {
  @Override
  public String name() { return "pjrt"; }

  @Override
  public Backend open(String argument) {
    PjrtBackend.Options o = PjrtBackend.Options.defaults();
    if (argument != null && !argument.isBlank()) o = o.withPlugin(argument.strip());
    return PjrtBackend.open(o);
  }
}
