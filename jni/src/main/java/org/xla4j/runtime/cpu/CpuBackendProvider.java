package org.xla4j.runtime.cpu;

import org.xla4j.runtime.Backend;
import org.xla4j.runtime.BackendProvider;

/**
 * Makes {@code Backends.open("cpu")} find {@link CpuBackend}. Touches no TensorFlow class itself, so
 * listing backends never loads TensorFlow.
 */
public final class CpuBackendProvider implements BackendProvider {
  @Override
  public String name() { return "cpu"; }

  @Override
  public Backend open(String argument) {
    if (argument != null && !argument.isBlank()) {
      throw new IllegalArgumentException("the cpu backend takes no argument, got 'cpu:" + argument + "'");
    }
    try {
      // checked here so a run without TensorFlow (a GPU run) gets a sentence, not NoClassDefFoundError
      Class.forName("org.tensorflow.TensorFlow", false, CpuBackendProvider.class.getClassLoader());
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException("the cpu backend needs TensorFlow Java on the classpath "
          + "(org.tensorflow:tensorflow-core-api and tensorflow-core-native:linux-x86_64, 1.1.0)", e);
    }
    return new CpuBackend();
  }
}
