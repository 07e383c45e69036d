package org.xla4j.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.xla4j.models.generate.DecodePrograms;
import org.xla4j.program.Program;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Backends;
import org.xla4j.runtime.DeviceBuffer;
import org.xla4j.runtime.Executable;
import org.xla4j.runtime.HostTensor;
import org.xla4j.tree.Tree;

/**
 * The decode program donates its state: every state argument is marked to alias a result of the same type
 * (so XLA writes the cache in place), the cache writes are row scatters (no full-cache select),
 * and running it consumes the input buffers.
 */
class CacheDonationTest {
  @Test
  void decodeDonatesTheCacheAndWritesItInPlace() {
    DecodePrograms p = new DecodePrograms(GenHarness.grok(), 2, 16);
    Program decode = p.decode();
    List<String> state = p.stateTypes().prefixed("state").paths();
    assertEquals(state, decode.donatedPaths(), "every state leaf is donated");
    String text = decode.text();
    long aliased = text.split("tf.aliasing_output", -1).length - 1;
    assertEquals(state.size(), aliased, "one aliasing attribute per state argument");
    assertTrue(text.contains("stablehlo.scatter"), "the rows are written with one scatter per cache leaf");
    assertFalse(text.lines().anyMatch(l -> l.contains("stablehlo.select") && l.contains("-> tensor<2x16x2x16xbf16>")),
        "no select over the whole cache");

    try (Backend cpu = Backends.open("cpu");
         Executable init = cpu.compile(p.init());
         Executable exe = cpu.compile(decode)) {
      Tree<HostTensor> w = GenHarness.weights(GenHarness.grok(), 1);
      List<DeviceBuffer> st = init.executeBuffers(List.of());
      List<DeviceBuffer> args = new ArrayList<>();
      for (HostTensor t : w.leaves()) args.add(cpu.toDevice(t));
      int first = args.size();
      args.addAll(st);
      assertEquals(decode.argPaths().size(), args.size());
      List<DeviceBuffer> out = exe.executeBuffers(args, Set.copyOf(decode.donated()));
      for (int i = first; i < args.size(); i++) assertTrue(args.get(i).isDeleted(), decode.argPaths().get(i) + " consumed");
      for (int i = 0; i < first; i++) assertFalse(args.get(i).isDeleted(), "parameters kept");
      int[] step = out.get(decode.resultIndex("state/cache/step")).toHost().toIntArray();
      assertEquals(List.of(1, 1), List.of(step[0], step[1]), "every row advanced one position");
      args.forEach(DeviceBuffer::close);
      out.forEach(DeviceBuffer::close);
    }
  }
}
