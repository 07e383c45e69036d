package org.xla4j.runtime;

import java.util.ArrayList;
import java.util.List;
import org.xla4j.program.ModuleText;
import org.xla4j.program.Partitioner;
import org.xla4j.program.Program;
import org.xla4j.sharding.Sharding;
import org.xla4j.sharding.ShardingFormat;
import org.xla4j.sharding.ShardingText;
import org.xla4j.types.Signature;
import org.xla4j.types.TensorType;

/**
 * What a backend compiles: StableHLO text and the facts about it. From a {@link Program} every fact is
 * the program's own (nothing is parsed back); from external text they are read once by
 * {@link ModuleText}. Backends compile only this, so both ways in behave alike.
 *
 * <pre>{@code
 * ProgramText t = ProgramText.of(program, program.partitioner().format());
 * }</pre>
 *
 * @param text the StableHLO text
 * @param signature {@code @main}'s types
 * @param argPaths argument names (a Program's tree paths; {@code arg0, ...} for external text)
 * @param resultPaths result names ({@code out0, ...} for external text)
 * @param numPartitions SPMD partitions
 * @param numReplicas replicas
 * @param partitioner the partitioner the text is annotated for
 * @param resultShardings each result's sharding, null where unknown
 * @param argShardingTexts each argument's sharding as attribute text ("" when none), for artifacts
 * @param resultShardingTexts each result's sharding as attribute text ("" when none), for artifacts
 * @param donated indices of the arguments the program donates
 */
public record ProgramText(String text, Signature signature, List<String> argPaths, List<String> resultPaths,
    int numPartitions, int numReplicas, Partitioner partitioner, List<Sharding> resultShardings,
    List<String> argShardingTexts, List<String> resultShardingTexts, List<Integer> donated) {
  public ProgramText {
    argPaths = List.copyOf(argPaths);
    resultPaths = List.copyOf(resultPaths);
    resultShardings = java.util.Collections.unmodifiableList(new ArrayList<>(resultShardings));
    argShardingTexts = List.copyOf(argShardingTexts);
    resultShardingTexts = List.copyOf(resultShardingTexts);
    donated = List.copyOf(donated);
  }

  /** The program's text in {@code format} ({@link ShardingFormat#NONE} for one device) with its facts. */
  public static ProgramText of(Program p, ShardingFormat format) {
    boolean sharded = format != ShardingFormat.NONE;
    List<TensorType> args = p.signature().args();
    List<TensorType> results = p.signature().results();
    List<Sharding> rs = sharded ? p.resultShardings() : java.util.Collections.nCopies(results.size(), null);
    return new ProgramText(p.text(format), p.signature(), p.argPaths(), p.resultPaths(),
        sharded ? p.numPartitions() : 1, sharded ? p.numReplicas() : 1,
        sharded ? p.partitioner() : Partitioner.NONE, rs,
        gspmdTexts(sharded ? p.argShardings() : null, args), gspmdTexts(sharded ? p.resultShardings() : null, results),
        p.donated());
  }

  /** External text (e.g. a JAX export), read by the one {@link ModuleText} reader. */
  public static ProgramText external(String text) {
    ModuleText m;
    try {
      m = ModuleText.read(text);
    } catch (IllegalArgumentException e) {
      throw new CompileException(XlaException.Code.INVALID_ARGUMENT, "cannot read the module's @main signature",
          e.getMessage());
    }
    int partitions = m.numPartitions();
    Partitioner partitioner = m.shardy() ? Partitioner.SHARDY : partitions > 1 ? Partitioner.GSPMD : Partitioner.NONE;
    return new ProgramText(text, m.signature(), numbered("arg", m.signature().args().size()),
        numbered("out", m.signature().results().size()), partitions, m.numReplicas(), partitioner, m.resultShardings(),
        m.argShardingTexts(), m.resultShardingTexts(), List.of());
  }

  /** Replicas x partitions. */
  public int numDevices() { return numPartitions * numReplicas; }

  /** Whether XLA's SPMD partitioner runs (more than one partition). */
  public boolean spmd() { return numPartitions > 1; }

  private static List<String> gspmdTexts(List<Sharding> shardings, List<TensorType> types) {
    List<String> out = new ArrayList<>(types.size());
    for (int i = 0; i < types.size(); i++) {
      Sharding s = shardings == null ? null : shardings.get(i);
      out.add(s == null ? "" : "mhlo.sharding = \"" + ShardingText.gspmd(s, types.get(i).rank()) + "\"");
    }
    return out;
  }

  private static List<String> numbered(String prefix, int n) {
    List<String> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) out.add(prefix + i);
    return out;
  }
}
