package org.xla4j.models.generate;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.xla4j.program.Program;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.DeviceBuffer;
import org.xla4j.runtime.Executable;
import org.xla4j.tree.Tree;

/**
 * A generation program and its executable, with its arguments and results bound once to positions in the
 * generator's flat lists: the parameters ({@code params/...}), the state ({@code state/...}, donated) and
 * the call's own inputs ({@code input/...}). A decode step runs many times a second; matching argument
 * paths by name on every call would cost the host more than the launch itself.
 *
 * @param paramIndex per argument, its index in the parameter list, or -1
 * @param stateIndex per argument, its index in the state list, or -1
 * @param stateResults per state leaf, the index of the result that replaces it
 * @param tokensResult the index of the {@link DecodePrograms#TOKENS} result, or -1
 */
record CompiledProgram(Program program, Executable executable, int[] paramIndex, int[] stateIndex, int[] stateResults,
    int tokensResult, Set<Integer> donated) implements AutoCloseable {

  /**
   * Compiles {@code program} and binds its paths to positions in {@code paramPaths} (relative to
   * {@code params/}) and {@code statePaths} (relative to {@code state/}).
   */
  static CompiledProgram compile(Backend backend, Program program, List<String> paramPaths, List<String> statePaths) {
    Map<String, Integer> params = positions(paramPaths);
    Map<String, Integer> state = positions(statePaths);
    List<String> args = program.argPaths();
    int[] pi = new int[args.size()];
    int[] si = new int[args.size()];
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      pi[i] = a.startsWith("params/") ? params.getOrDefault(a.substring(7), -1) : -1;
      si[i] = a.startsWith("state/") ? state.getOrDefault(a.substring(6), -1) : -1;
      if (!a.startsWith("input/") && pi[i] < 0 && si[i] < 0) {
        throw new IllegalArgumentException("generation program " + program.name() + ": argument '" + a
            + "' is neither a parameter, a state leaf nor an input");
      }
    }
    Map<String, Integer> results = positions(program.resultPaths());
    int[] sr = new int[statePaths.size()];
    for (int j = 0; j < sr.length; j++) {
      Integer r = results.get("state/" + statePaths.get(j));
      if (r == null) {
        throw new IllegalArgumentException("generation program " + program.name() + ": no result 'state/"
            + statePaths.get(j) + "'");
      }
      sr[j] = r;
    }
    int tokens = results.getOrDefault(DecodePrograms.TOKENS, -1);
    return new CompiledProgram(program, backend.compile(program), pi, si, sr, tokens, Set.copyOf(program.donated()));
  }

  private static Map<String, Integer> positions(List<String> paths) {
    Map<String, Integer> m = new HashMap<>(paths.size() * 2);
    for (int i = 0; i < paths.size(); i++) m.put(paths.get(i), i);
    return m;
  }

  /** The new state and the ids of one call. */
  record Result(List<DeviceBuffer> state, DeviceBuffer tokens) {}

  /**
   * Runs on the parameters, the state (donated: consumed) and {@code inputs} (paths relative to
   * {@code input/}); returns the new state in the state list's order and the ids (null without them).
   */
  Result call(List<DeviceBuffer> params, List<DeviceBuffer> state, Tree<DeviceBuffer> inputs) {
    List<String> paths = program.argPaths();
    List<DeviceBuffer> in = new ArrayList<>(paths.size());
    for (int i = 0; i < paths.size(); i++) {
      in.add(paramIndex[i] >= 0 ? params.get(paramIndex[i])
          : stateIndex[i] >= 0 ? state.get(stateIndex[i]) : inputs.get(paths.get(i).substring(6)));
    }
    List<DeviceBuffer> out = executable.executeBuffers(in, donated);
    List<DeviceBuffer> next = new ArrayList<>(stateResults.length);
    for (int r : stateResults) next.add(out.get(r));
    return new Result(next, tokensResult < 0 ? null : out.get(tokensResult));
  }

  @Override
  public void close() { executable.close(); }
}
