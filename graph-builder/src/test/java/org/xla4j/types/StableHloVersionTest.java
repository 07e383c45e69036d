package org.xla4j.types;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.xla4j.emit.EmitOptions;

class StableHloVersionTest {
  @Test
  void parsesAndOrders() {
    assertEquals(StableHloVersion.of(1, 9, 3), StableHloVersion.parse("1.9.3"));
    assertEquals(StableHloVersion.of(1, 8, 0), StableHloVersion.parse("1.8"));
    assertEquals(StableHloVersion.of(1, 9, 3), StableHloVersion.of(List.of(1L, 9L, 3L)));
    assertEquals("1.9.3", StableHloVersion.of(1, 9, 3).toString());
    assertTrue(StableHloVersion.parse("1.10.0").compareTo(StableHloVersion.parse("1.9.7")) > 0);
    assertTrue(StableHloVersion.parse("1.9.3").compareTo(StableHloVersion.parse("1.9.10")) < 0);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StableHloVersion.parse("1.x"));
    assertEquals("StableHLO version must look like 1.9.3, got '1.x'", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> StableHloVersion.parse("1.2.3.4"));
    assertThrows(IllegalArgumentException.class, () -> StableHloVersion.of(List.of()));
  }

  @Test
  void emitOptionsCarryTheTargetThroughTheirWithers() {
    StableHloVersion v = StableHloVersion.of(1, 9, 3);
    EmitOptions o = EmitOptions.shardy().withTarget(v).withLocations(true).withSharding(org.xla4j.sharding.ShardingFormat.GSPMD);
    assertEquals(v, o.targetVersion().orElseThrow());
    assertTrue(EmitOptions.shardy().targetVersion().isEmpty());
  }
}
