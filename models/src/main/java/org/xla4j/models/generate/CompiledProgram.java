package org.xla4j.models.generate;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.xla4j.program.Program;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.DeviceBuffer;
import org.xla4j.runtime.Executable;
import org.xla4j.tree.Tree;

/**
 * A generation program and its executable: called with a tree of device buffers keyed by argument path,
 * donating the program's donated arguments, returning the results keyed by result path.
 */
record CompiledProgram(Program program, Executable executable) implements AutoCloseable {
  static CompiledProgram compile(Backend backend, Program program) {
    return new CompiledProgram(program, backend.compile(program));
  }

  /** Runs on {@code args} (every argument path); the donated ones are consumed. */
  Tree<DeviceBuffer> call(Tree<DeviceBuffer> args) {
    List<DeviceBuffer> in = new ArrayList<>(program.argPaths().size());
    for (String p : program.argPaths()) in.add(args.get(p));
    List<DeviceBuffer> out = executable.executeBuffers(in, Set.copyOf(program.donated()));
    return Tree.unflatten(program.resultPaths(), out);
  }

  @Override
  public void close() { executable.close(); }
}
